"""Notebook 08 (multi-logit classification): softmax, cross-entropy, delta_L = g - e_y.

Lecture: the output layer is the softmax g_k = exp(z_k) / sum_j exp(z_j) of z = z_L and the
loss is the cross-entropy C = -log g_y. With the Jacobian in the lecture's layout,
[dS_L/dz_L]_{ij} = dg_j/dz_i = g_j (1{i = j} - g_i), and dC/dg = -e_y / g_y,

    delta_L = (dS_L/dz_L)(dC/dg) = g - e_y.

The reduced model fixes the logit of class 0 at 0 and has p_L = c - 1 outputs; it gives the
same probabilities as a full model whose logits are shifted by -z_0 (softmax is unchanged
by adding a constant to every logit).
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
    """delta_L for one example three ways: the pair's closed form (g - e_y; for the reduced
    model its entries 1..c-1), the Jacobian form (dS_L/dz_L)(dC/dg) of the lecture, and
    central differences of the loss C(z_L) = -log g_y (float64)."""
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
    """The reduced multi-logit network (p_L - 1 outputs, class 0's logit fixed at 0) with
    the same probabilities as ``net`` (softmax output): W'_L = W_L[1:] - W_L[0],
    b'_L = b_L[1:] - b_L[0] (lecture: subtracting z_0 from every logit changes nothing)."""
    if net.S[-1] != "softmax":
        raise ValueError(f"net: expected a softmax output layer, got {net.S[-1]!r}")
    W_L, b_L = reduce_multilogit(net.W[-1], net.b[-1])
    return Network.from_weights([*net.W[1:-1], W_L], [*net.b[1:-1], b_L],
                                hidden=list(net.S[1:-1]), output="reduced_softmax")


def _vector(v: np.ndarray) -> str:
    return "(" + ", ".join("nan" if np.isnan(t) else f"{t:.3g}" for t in v) + ")"


@style.plot(examples=lambda: [{"scale": 1.0, "shift": 0.0}, {"scale": 1.0, "shift": 720.0},
                               {"scale": 1000.0, "shift": -300.0}])
def softmax_bars_figure(scale: float, shift: float = 0.0) -> Figure:
    """Bars of the naive and the stable softmax of z = scale * BASE_LOGITS + shift.

    The naive exp overflows to inf once max z > ~709.8 (float64) and every exp underflows
    to 0 once max z < ~-745; inf/inf and 0/0 are nan. The stable form computes
    exp(z_k - max z) / sum_j exp(z_j - max z), which is the same number and never overflows.
    """
    z = scale * BASE_LOGITS + shift
    naive, stable = softmax_both(z)
    k = np.arange(z.shape[0])
    fig = style.figure(9, 4.2)
    ax = fig.add_subplot()
    ax.bar(k - 0.2, np.nan_to_num(naive, nan=0.0), width=0.4, color=style.VERMILLION,
           hatch="//", edgecolor="white", label=r"naive $e^{z_k} / \sum_j e^{z_j}$")
    ax.bar(k + 0.2, stable, width=0.4, color=style.BLUE,
           label=r"stable $e^{z_k - \max z} / \sum_j e^{z_j - \max z}$")
    for i in np.flatnonzero(np.isnan(naive)):
        ax.text(i - 0.2, 0.02, "nan", ha="center", va="bottom", color=style.VERMILLION,
                fontsize=12, fontweight="bold")
    ax.set_xticks(k, [f"class {i}\n$z_{i}$ = {v:.4g}" for i, v in enumerate(z)])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("probability $g_k$")
    status = "naive overflows" if np.isnan(naive).any() else "both agree"
    ax.set_title(f"softmax of $z$ = {scale:g} $z_{{base}}$ + {shift:g}: {status}", fontsize=13)
    ax.legend(loc="upper right")
    if np.isnan(naive).any():
        verdict = (f"the naive form gives nan for {int(np.isnan(naive).sum())} of {k.size} "
                   f"classes (exp overflows or underflows) while the stable form still sums to 1")
    else:
        verdict = (f"both forms agree (largest difference "
                   f"{np.max(np.abs(naive - stable)):.1e})")
    text = (f"Bars of the naive and the stable softmax of z = {scale:g} z_base {shift:+g} "
            f"= {_vector(z)}. Stable g = {_vector(stable)}, naive g = {_vector(naive)}: "
            f"{verdict}.")
    return style.describe(fig, text)


def _example_forms() -> list[dict[str, Any]]:
    return [{"forms": delta_forms(np.array([1.0, -0.5, 0.25]), 0), "y": 0},
            {"forms": delta_forms(np.array([0.3, 2.0, -1.0, 0.1]), 2), "y": 2}]


@style.plot(examples=_example_forms)
def delta_forms_figure(forms: DeltaForms, y: int) -> Figure:
    """The three computations of delta_L side by side, one bar group per component."""
    k = np.arange(forms.closed.shape[0])
    fig = style.figure(8, 3.8)
    ax = fig.add_subplot()
    for off, values, colour, hatch, label in (
            (-0.27, forms.closed, style.BLUE, None, "$g - e_y$"),
            (0.0, forms.jacobian, style.GREEN, "..",
             r"$(\partial S_L/\partial z_L)(\partial C/\partial g)$"),
            (0.27, forms.numeric, style.VERMILLION, "//", "central difference")):
        ax.bar(k + off, values, width=0.27, color=colour, hatch=hatch, edgecolor="white",
               label=label)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(k, [f"$i$ = {i}" + (" (= y)" if i == y else "") for i in k])
    ax.set_xlabel(r"component $i$ of $\delta_L$")
    ax.set_ylabel(r"$\partial C / \partial z_{L,i}$")
    ax.set_title(r"$\delta_L$ for softmax + cross-entropy, three ways", fontsize=13)
    ax.legend()
    spread = max(np.max(np.abs(forms.closed - forms.jacobian)),
                 np.max(np.abs(forms.closed - forms.numeric)))
    text = (f"Bars of the {k.size} components of delta_L for softmax with cross-entropy and "
            f"label y = {y}, computed three ways. Closed form g - e_y = {_vector(forms.closed)}; "
            f"the Jacobian form and central differences agree with it to within "
            f"{spread:.1e}. Negative components: "
            f"{', '.join(str(i) for i in np.flatnonzero(forms.closed < 0)) or 'none'}.")
    return style.describe(fig, text)
