"""Notebook 08 (multi-logit classification): softmax, cross-entropy, delta_L = g - e_{y+1}.

Lecture: the output layer is the softmax g_k = exp(z_{L,k}) / sum_j exp(z_{L,j}),
k = 1, ..., p_L, and a label y in {0, ..., p_L - 1} belongs to output unit y + 1, so the loss
is the cross-entropy C = -ln g_{y+1}. With the Jacobian in the lecture's layout,
[dS_L/dz_L]_{ij} = dg_j/dz_{L,i} = g_j (1{i = j} - g_i), and dC/dg = -e_{y+1} / g_{y+1},

    delta_L = (dS_L/dz_L)(dC/dg) = g - e_{y+1}        (in code: g - one_hot(y), g[y] is g_{y+1}).

The reduced model removes one output node (the first, class 0's): its remaining logits
z~_{L,k} = z_{L,k+1} - z_{L,1} give the same probabilities, with g_1 = 1 - sum_{k>=2} g_k
(softmax is unchanged by subtracting z_{L,1} from every logit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import softmax, softmax_naive
from ..gradcheck import DeltaForms, delta_L_three_ways
from ..losses import get_output_loss, reduce_multilogit
from ..network import Network
from . import style

Array = Any

#: Logits of the bar widget before scaling and shifting (4 classes).
BASE_LOGITS = np.array([1.0, 0.5, -0.25, 0.75])


def softmax_both(z: Array) -> tuple[np.ndarray, np.ndarray]:
    """(naive, stable) softmax of z: exp(z_k)/sum_j exp(z_j) as written, and with max z
    subtracted first (log-sum-exp trick). Overflow warnings of the naive form are
    silenced here: its nan/0 results are the point."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        naive = softmax_naive(z)
    return naive, softmax(z)


def delta_forms(z: Array, y: int, output: str = "softmax", h: float = 1e-6) -> DeltaForms:
    """delta_L for one example three ways: the pair's closed form (g - e_{y+1}; for the
    reduced model its entries 2..p_L + 1), the Jacobian form (dS_L/dz_L)(dC/dg) of the
    lecture, and central differences of the loss C(z_L) = -ln g_{y+1} (float64)."""
    return delta_L_three_ways(get_output_loss(output, "cross_entropy"), z, y, h)


def jacobian_numeric(output: str, z: Array, h: float = 1e-6) -> np.ndarray:
    """Central-difference dS_L/dz_L in the lecture's layout: row i = dg/dz_i."""
    pair = get_output_loss(output, "cross_entropy")
    z = np.asarray(z, dtype=np.float64)
    rows = []
    for i in range(z.shape[0]):
        e = np.zeros_like(z)
        e[i] = h
        rows.append((pair.S_L(z + e) - pair.S_L(z - e)) / (2 * h))
    return np.array(rows)


def reduced_network(net: Network) -> Network:
    """The reduced multi-logit network (one output node removed: p_L - 1 outputs) with the
    same probabilities as ``net`` (softmax output): W~_L has rows 2..p_L of W_L minus its
    row 1, b~_L likewise (subtracting z_{L,1} from every logit changes no probability)."""
    if net.S[-1] != "softmax":
        raise ValueError(f"net: expected a softmax output layer, got {net.S[-1]!r}")
    W_L, b_L = reduce_multilogit(net.W[-1], net.b[-1])
    return Network.from_weights([*net.W[1:-1], W_L], [*net.b[1:-1], b_L],
                                hidden=list(net.S[1:-1]), output="reduced_softmax")


def _vector(v: np.ndarray) -> str:
    return "(" + ", ".join("nan" if np.isnan(t) else f"{t:.3g}" for t in v) + ")"


def _unit_ticks(z: np.ndarray) -> list[str]:
    """Tick labels of output unit k = 1..p_L with its class y = k - 1 and logit z_{L,k}."""
    return [f"$k$ = {k} ($y$ = {k - 1})\n$z_{{L,{k}}}$ = {v:.4g}"
            for k, v in enumerate(z, start=1)]


@style.plot(examples=lambda: [{"scale": 1.0, "shift": 0.0}, {"scale": 1.0, "shift": 720.0},
                               {"scale": 1000.0, "shift": -300.0}])
def softmax_bars_figure(scale: float, shift: float = 0.0) -> Figure:
    """Bars of the naive and the stable softmax of z_L = scale * BASE_LOGITS + shift.

    The naive exp overflows to inf once max z > ~709.8 (float64) and every exp underflows
    to 0 once max z < ~-745; inf/inf and 0/0 are nan. The stable form computes
    exp(z_k - max z) / sum_j exp(z_j - max z), which is the same number and never overflows.
    """
    z = scale * BASE_LOGITS + shift
    naive, stable = softmax_both(z)
    k = np.arange(1, z.shape[0] + 1)
    fig = style.figure(9, 4.4)
    ax = fig.add_subplot()
    ax.bar(k - 0.2, np.nan_to_num(naive, nan=0.0), width=0.4, color=style.VERMILLION,
           hatch="//", edgecolor="white", label=r"naive $e^{z_k} / \sum_j e^{z_j}$ (hatched)")
    ax.bar(k + 0.2, stable, width=0.4, color=style.BLUE,
           label=r"stable $e^{z_k - \max z} / \sum_j e^{z_j - \max z}$")
    for i in np.flatnonzero(np.isnan(naive)):
        ax.text(k[i] - 0.2, 0.02, "nan", ha="center", va="bottom", color=style.VERMILLION,
                fontsize=12, fontweight="bold")
    ax.set_xticks(k, _unit_ticks(z))
    ax.set_xlabel("output unit $k$ (class $y = k - 1$) and its logit")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("probability $g_k$")
    status = "naive overflows" if np.isnan(naive).any() else "both agree"
    ax.set_title(f"softmax of $z_L$ = {scale:g} $z_{{base}}$ + {shift:g}: {status}",
                 fontsize=13)
    ax.legend(loc="upper right")
    if np.isnan(naive).any():
        verdict = (f"the naive form gives nan for {int(np.isnan(naive).sum())} of {k.size} "
                   f"units (exp overflows or underflows) while the stable form still sums to 1")
    else:
        verdict = (f"both forms agree (largest difference "
                   f"{np.max(np.abs(naive - stable)):.1e})")
    text = (f"Bars of the naive and the stable softmax of z_L = {scale:g} z_base {shift:+g} "
            f"= {_vector(z)}, output units k = 1 to {k.size}. Stable g = {_vector(stable)}, "
            f"naive g = {_vector(naive)}: {verdict}.")
    return style.describe(fig, text)


def _example_forms() -> list[dict[str, Any]]:
    return [{"forms": delta_forms(np.array([1.0, -0.5, 0.25]), 0), "y": 0},
            {"forms": delta_forms(np.array([0.3, 2.0, -1.0, 0.1]), 2), "y": 2}]


@style.plot(examples=_example_forms)
def delta_forms_figure(forms: DeltaForms, y: int) -> Figure:
    """The three computations of delta_L for label y: the closed form g - e_{y+1} as bars,
    the Jacobian form and the central difference as markers of two shapes on each bar (so
    agreement shows as markers sitting on the bar tops, whatever the reader's colour vision)."""
    i = np.arange(1, forms.closed.shape[0] + 1)
    fig = style.figure(8, 4.0)
    ax = fig.add_subplot()
    ax.bar(i, forms.closed, width=0.55, color=style.FILLS["sky blue"], edgecolor=style.BLUE,
           lw=1.5, label="closed form $g - e_{y+1}$ (bars)")
    ax.plot(i - 0.1, forms.jacobian, ls="none", ms=11, mfc="none", mew=2,
            label=r"$(\partial S_L/\partial z_L)(\partial C/\partial g)$ (squares)",
            **style.point(5, marker="s"))
    ax.plot(i + 0.1, forms.numeric, ls="none", ms=9, mew=2.2,
            label="central difference (crosses)", **style.point(1, marker="x"))
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(i, [f"$i$ = {k}" + (" (= $y + 1$)" if k == y + 1 else "") for k in i])
    ax.set_xlabel(r"component $i$ of $\delta_L$ (output unit $i$)")
    ax.set_ylabel(r"$\partial C / \partial z_{L,i}$")
    ax.set_title(rf"$\delta_L$ for softmax + cross-entropy, label $y$ = {y}: three ways agree",
                 fontsize=13)
    ax.legend(loc="best")
    spread = max(np.max(np.abs(forms.closed - forms.jacobian)),
                 np.max(np.abs(forms.closed - forms.numeric)))
    text = (f"Bars of the {i.size} components of delta_L for softmax with cross-entropy and "
            f"label y = {y} (output unit {y + 1}); closed form g - e_(y+1) = "
            f"{_vector(forms.closed)}. The Jacobian form (squares) and central differences "
            f"(crosses) sit on the bar tops: they agree with it to within {spread:.1e}. The "
            f"only negative component is i = "
            f"{', '.join(str(k + 1) for k in np.flatnonzero(forms.closed < 0)) or 'none'}.")
    return style.describe(fig, text)


def _example_reduced() -> list[dict[str, Any]]:
    full = Network.init((2, 4, 3), hidden="tanh", output="softmax", seed=0)
    full.b[2][...] = (0.5, -0.2, 0.3)
    full4 = Network.init((2, 4, 4), hidden="tanh", output="softmax", seed=1)
    return [{"full": full, "x": np.array([0.5, -1.0])},
            {"full": full4, "x": np.array([1.0, 0.25])}]


@style.plot(examples=_example_reduced)
def reduced_model_figure(full: Network, x: Array) -> Figure:
    """The full softmax network and its reduced form (one output node removed) on one input:
    left, the logits (the full model's z_{L,k}; the reduced model's z~_{L,k} = z_{L,k+1} -
    z_{L,1} beside unit k + 1, and the removed node, whose logit is 0); right, the
    probabilities g_k of both, equal, with g_1 = 1 - sum_{k>=2} g_k for the reduced model."""
    reduced = reduced_network(full)
    x = np.asarray(x, dtype=np.float64)
    z_full = full.feed_forward(x)[0][full.L]
    z_red = reduced.feed_forward(x)[0][reduced.L]
    g_full, g_red = full.predict(x), reduced.predict(x)
    c = z_full.shape[0]
    k = np.arange(1, c + 1)
    fig = style.figure(9.25, 4.4)
    left, right = fig.subplots(1, 2)
    left.bar(k - 0.2, z_full, width=0.4, color=style.BLUE, label="full: $z_{L,k}$")
    left.bar(k[1:] + 0.2, z_red, width=0.4, color=style.VERMILLION, hatch="//",
             edgecolor="white", label=r"reduced: $\tilde z_{L,k-1}$ (hatched)")
    for bars in left.containers:  # the numbers, so a logit near 0 is not a missing bar
        left.bar_label(bars, fmt="%.2f", padding=2, fontsize=10)
    left.plot([1.2], [0.0], ls="none", ms=10, mfc="white", mew=2, **style.point(1))
    below = z_full[0] >= 0  # write the note on the side of the axis away from unit 1's bar
    left.annotate("removed\nnode:\nlogit 0", (1.2, 0.0), xytext=(-14, -40 if below else 40),
                  textcoords="offset points", ha="center", va="center", fontsize=10,
                  color=style.VERMILLION,
                  arrowprops={"arrowstyle": "->", "color": style.VERMILLION})
    left.axhline(z_full[0], color=style.GREY, lw=1.2, ls=(0, (4, 3)), gid="decoration")
    left.axhline(0, color="k", lw=0.8)
    left.annotate("$z_{L,1}$", (c + 0.9, z_full[0]), xytext=(-4, 3), textcoords="offset points",
                  ha="right", va="bottom", fontsize=11, color=style.GREY)
    left.set_xticks(k, [f"$k$ = {j}" for j in k])
    left.set_xlim(0.4, c + 0.9)
    left.set_xlabel("output unit $k$ (class $y = k - 1$)")
    left.set_ylabel("logit")
    left.set_title(r"logits: $\tilde z_{L,k-1} = z_{L,k} - z_{L,1}$", fontsize=12)
    lo, hi = min(0.0, *z_full, *z_red), max(0.0, *z_full, *z_red)
    left.set_ylim(lo - 0.55 * (hi - lo), hi + 0.2 * (hi - lo))  # room for the legend below
    left.legend(loc="lower right", fontsize=10)

    right.bar(k - 0.2, g_full, width=0.4, color=style.BLUE, label="full")
    right.bar(k + 0.2, g_red, width=0.4, color=style.VERMILLION, hatch="//",
              edgecolor="white", label="reduced (hatched)")
    right.annotate(r"$g_1 = 1 - \sum_{k \geq 2} g_k$", (1.2, g_red[0]), xytext=(0, 14),
                   textcoords="offset points", ha="center", fontsize=11,
                   color=style.VERMILLION)
    right.set_xticks(k, [f"$k$ = {j}" for j in k])
    top = float(max(g_full)) + 0.4  # the legend sits above the tallest bar
    right.set_ylim(0, top)
    right.set_yticks([t for t in np.arange(0, 1.01, 0.2) if t <= top])
    right.set_xlabel("output unit $k$ (class $y = k - 1$)")
    right.set_ylabel("probability $g_k$")
    right.set_title("probabilities: the same", fontsize=12)
    right.legend(loc="upper right", fontsize=10)
    diff = float(np.max(np.abs(g_full - g_red)))
    text = (f"One input x = {_vector(x)} through a softmax network with p_L = {c} outputs and "
            f"its reduced form with {c - 1}. Left: full logits z_L = {_vector(z_full)}; the "
            f"reduced logits {_vector(z_red)} are the full ones from unit 2 on minus "
            f"z_(L,1) = {z_full[0]:.3g}, and the removed node's logit is 0. Right: the "
            f"probabilities g = {_vector(g_full)} are the same for both (largest difference "
            f"{diff:.1e}); the reduced model gets g_1 = 1 - sum of the others = "
            f"{g_red[0]:.3g}.")
    return style.describe(fig, text)
