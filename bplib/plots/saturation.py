"""Notebook 07 (saturation and vanishing gradients).

The backward recursion of the theorem (lecture)

    delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l

multiplies by S' once per layer. The logistic has S'(z) = S(z)(1 - S(z)) <= 1/4 and
e^{-|z|}/4 <= S'(z) <= e^{-|z|}: a unit whose |z| is large is *saturated* (S' < 0.01 once
|z| > 4.58) and passes almost nothing back. The ReLU has S'(z) = 1 for every active unit.

Two factors set how fast ||delta_l|| changes from one layer to the next (see
:func:`bplib.health.backward_factors`): the gain of W_l^T, which grows with the weight scale,
and the attenuation by S'(z_{l-1}), which a larger scale makes stronger (more units
saturate). For the logistic the gain wins: the decay is slower at a larger weight scale,
although more units saturate. The computing code is shared with notebook 14
(:mod:`bplib.health`); the ridgeline histograms (:func:`layer_histograms`) too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from ..activations import ACTIVATIONS
from ..data import make_spirals
from ..health import (
    SATURATION_THRESHOLD,
    backward_factors,
    delta_norms,
    saturated_fraction,
    signals,
)
from ..network import Network
from ..train import History, steepest_descent
from . import style

Array = Any

__all__ = ["delta_norms"]  # re-exported from bplib.health (notebook 07 and ex7 use it here)

#: series index in bplib.plots.style of each activation: its colour, marker and line style
SERIES = {"relu": 0, "logistic": 1, "tanh": 2}
LN3 = float(np.log(3.0))  # loss of a 3-class model that predicts 1/3 for every class


def _layers(depth: int) -> str:
    return f"{depth} hidden layer{'s' if depth != 1 else ''}"


def _style(name: str, marker: bool = True, **overrides: Any) -> dict[str, Any]:
    return style.series(SERIES.get(name, 3), marker=marker, **overrides)


def saturation_edge(activation: str, threshold: float = SATURATION_THRESHOLD) -> float:
    """The |z| beyond which S'(z) < ``threshold``: 4.58 for the logistic, 2.993 for tanh
    (their S' falls as |z| grows); 0 for the ReLU, whose S' < threshold exactly for z <= 0."""
    if activation == "relu":
        return 0.0
    dS = ACTIVATIONS[activation].dS
    if float(dS(np.array(0.0))) < threshold:
        return 0.0
    lo, hi = 0.0, 1.0
    while float(dS(np.array(hi))) >= threshold:
        hi *= 2
    for _ in range(60):  # bisection: S' is decreasing in |z| for the logistic and tanh
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(dS(np.array(mid))) >= threshold else (lo, mid)
    return 0.5 * (lo + hi)


def deep_network(depth: int, activation: str, scale: float = 1.0, width: int = 32,
                 p0: int = 2, classes: int = 3, seed: int = 0) -> Network:
    """p = (p0, width x depth, classes): ``depth`` hidden layers of one activation, softmax
    output, W_l ~ N(0, scale^2 g / p_{l-1}) (g = 2 after a ReLU, else 1; see Network.init)."""
    if depth < 1:
        raise ValueError(f"depth: expected at least 1 hidden layer, got {depth}")
    return Network.init((p0, *[width] * depth, classes), hidden=activation, output="softmax",
                        seed=seed, scale=scale)


PROBE = make_spirals(200, seed=1)  # fixed inputs for the per-layer plots


def layer_saturation(net: Network, X: Array = None, y: Array = None,
                     threshold: float = SATURATION_THRESHOLD) -> list:
    """Fraction of the values S'(z_{l,i}) below ``threshold`` in each hidden layer,
    layer-indexed ``[None, f_1, ..., f_{L-1}]`` (on :data:`PROBE` unless X, y are given)."""
    if X is None:
        X, y = PROBE
    sig = signals(net, X, y)
    return [None] + [saturated_fraction(sig.dS[l], threshold) for l in sig.hidden]


@dataclass(frozen=True)
class ScaleSweep:
    """How the weight scale moves saturation and the backward factors (one activation).

    Per scale: ``saturated`` is the fraction of S'(z_{l,i}) < 0.01 over all hidden layers;
    ``gain``, ``attenuation`` and ``factor`` = gain * attenuation are geometric means over
    the hidden-to-hidden steps delta_l -> delta_{l-1}, l = 2..L-1 (bplib.health.backward_factors),
    so factor**(L-2) = ||Delta_1|| / ||Delta_{L-1}||; ``rms_dS`` is the root mean square of
    S'(z_l) over the hidden layers l = 1..L-2 that those steps multiply by."""

    activation: str
    depth: int
    scales: tuple[float, ...]
    saturated: tuple[float, ...]
    gain: tuple[float, ...]
    attenuation: tuple[float, ...]
    factor: tuple[float, ...]
    rms_dS: tuple[float, ...]
    z_std: tuple[float, ...]  # standard deviation of z_l over all hidden layers


def scale_sweep(activation: str, scales: Sequence[float], depth: int = 6,
                width: int = 32) -> ScaleSweep:
    """:class:`ScaleSweep` of ``deep_network(depth, activation, scale)`` on :data:`PROBE`."""
    if depth < 3:
        raise ValueError(f"depth: expected at least 3 hidden layers (two hidden-to-hidden "
                         f"steps to average over), got {depth}")
    X, y = PROBE
    rows = []
    for scale in scales:
        sig = signals(deep_network(depth, activation, scale, width), X, y)
        gain, att = backward_factors(sig)
        steps = range(2, sig.L)  # delta_l -> delta_{l-1} between hidden layers
        g = float(np.exp(np.mean([np.log(gain[l]) for l in steps])))
        a = float(np.exp(np.mean([np.log(att[l]) for l in steps])))
        dS = np.concatenate([sig.dS[l].ravel() for l in range(1, sig.L - 1)])
        rows.append((
            float(np.mean(np.concatenate([sig.dS[l].ravel() < SATURATION_THRESHOLD
                                          for l in sig.hidden]))),
            g, a, g * a, float(np.sqrt(np.mean(dS ** 2))),
            float(np.concatenate([sig.z[l].ravel() for l in sig.hidden]).std())))
    cols = list(zip(*rows, strict=True))
    return ScaleSweep(activation, depth, tuple(float(s) for s in scales),
                      *(tuple(c) for c in cols))


def forward_spread(net: Network, X: Array = None, y: Array = None) -> list:
    """How different the examples still look at each layer: the standard deviation of a_{l,i}
    over the examples, averaged over the units i, layer-indexed [s_0, s_1, ..., s_L]."""
    if X is None:
        X, y = PROBE
    sig = signals(net, X, y)
    return [float(sig.a[l].std(axis=0).mean()) for l in range(sig.L + 1)]


# --- training: one step size per activation --------------------------------------------------
def _train(activation: str, lr: float, depth: int, steps: int, n: int, seed: int,
           log_every: int) -> History:
    X, y = make_spirals(n, seed=seed)

    def stop_if_diverged(step: int, net: Network, hist: History) -> bool:
        return not np.isfinite(hist.loss[-1])

    with np.errstate(over="ignore", invalid="ignore"):  # a step too large overflows: recorded
        return steepest_descent(deep_network(depth, activation, seed=seed), X, y, lr=lr,
                                steps=steps, seed=seed, log_every=log_every,
                                callback=stop_if_diverged)


def lr_sweep(activations: Sequence[str], lrs: Sequence[float], depth: int = 6,
             steps: int = 300, n: int = 150, seed: int = 0,
             log_every: int = 10) -> dict[str, dict[float, History]]:
    """Steepest descent from the same start on the same spirals for every activation and every
    step size: ``{activation: {lr: History}}``. A run whose loss becomes non-finite stops there
    (its last loss is inf or nan: it diverged)."""
    return {name: {float(lr): _train(name, float(lr), depth, steps, n, seed, log_every)
                   for lr in lrs}
            for name in activations}


def final_loss(hist: History) -> float:
    """The last recorded training loss, inf when the run diverged (non-finite loss)."""
    last = hist.loss[-1]
    return float(last) if np.isfinite(last) else float("inf")


def best_lr(runs: Mapping[float, History], rel_tol: float = 0.01) -> float:
    """The step size with the lowest final loss; among runs within ``rel_tol`` (1 %) of that
    loss (a tie, e.g. every run still on a plateau), the largest step size."""
    finals = {lr: final_loss(h) for lr, h in runs.items()}
    best = min(finals.values())
    if not np.isfinite(best):
        raise ValueError("runs: every run diverged; try smaller step sizes")
    return max(lr for lr, v in finals.items() if v <= best * (1 + rel_tol))


def first_step_below(hist: History, level: float) -> int | None:
    """The first logged step whose training loss is below ``level`` (None: never)."""
    return next((s for s, v in zip(hist.step, hist.loss, strict=True) if v < level), None)


def train_activations(activations: Sequence[str], depth: int = 6, steps: int = 300,
                      lr: float | Mapping[str, float] = 0.1, n: int = 150, seed: int = 0,
                      log_every: int = 1) -> dict[str, History]:
    """Steepest descent on the same spirals (same seeds) for each hidden activation, with one
    step size for all or one per activation (``lr={"relu": 0.3, "logistic": 3.0}``)."""
    rates = lr if isinstance(lr, Mapping) else {name: lr for name in activations}
    return {name: _train(name, float(rates[name]), depth, steps, n, seed, log_every)
            for name in activations}


# --- direct labels that do not overlap --------------------------------------------------------
def end_labels(ax: Any, lines: Sequence[Any], texts: Sequence[str], min_gap_pt: float = 13,
               pad_pt: float = 8, fontsize: float = 10) -> list[Any]:
    """A label at the last point of each line, in its colour, moved apart vertically where two
    would overlap (at least ``min_gap_pt`` between centres). Call after the limits are set."""
    fig = ax.figure
    to_pt = 72 / fig.dpi
    ends = []
    for ln, text in zip(lines, texts, strict=True):
        x, y = ln.get_xdata(), ln.get_ydata()
        disp = ax.transData.transform((x[-1], y[-1]))
        ends.append([disp[1] * to_pt, disp, ln, text])
    ends.sort(key=lambda e: e[0])
    for k in range(1, len(ends)):  # push upwards until the gaps are wide enough
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + min_gap_pt)
    out = []
    for want_pt, disp, ln, text in ends:
        dy = want_pt - disp[1] * to_pt
        out.append(ax.annotate(text, ax.transData.inverted().transform(disp),
                               xytext=(pad_pt, dy), textcoords="offset points", va="center",
                               ha="left", fontsize=fontsize, color=ln.get_color(),
                               annotation_clip=False))
    return out


# --- ridgeline histograms (shared with notebook 14) ------------------------------------------
def _log_ticks(lo: int, hi: int, zero_at: float,
               max_ticks: int = 6) -> tuple[list[float], list[str]]:
    step = next(s for s in (1, 2, 3, 4, 5, 8, 10, 20) if (hi - lo) // s + 1 <= max_ticks
                or s == 20)
    ticks = list(range(hi, lo - 1, -step))[::-1]
    labels = ["1" if k == 0 else "10" if k == 1 else f"$10^{{{k}}}$" for k in ticks]
    return [zero_at, *ticks], ["0", *labels]


def _plain_number(t: float) -> str:
    return "0" if t == 0 else f"{t:,.0f}".replace("-", "\u2212")


def log_decades(values: np.ndarray, low: int = -16, high: int | None = None,
                span: tuple[int, int] = (-3, 0), tail: float = 1e-3) -> tuple[int, int]:
    """Whole decades (lo, hi) that hold the positive ``values`` but the smallest fraction
    ``tail`` of them (those are drawn in the lowest bin): lo no lower than ``low``, and the
    range at least ``span`` (e.g. 10^-3 .. 1, so that 0.01 stays in view)."""
    pos = values[values > 0]
    if pos.size == 0:
        return span
    lo = max(int(np.floor(np.log10(np.quantile(pos, tail)))), low)
    hi = int(np.ceil(np.log10(pos.max())))
    if high is not None:
        hi = min(hi, high)
    lo = min(lo, span[0])
    return lo, max(hi, span[1], lo + 1)


def layer_histograms(ax: Any, rows: Sequence[tuple[int, np.ndarray]], *, axis: str,
                     colour: int, limit: float | None = None,
                     decades: tuple[int, int] | None = None,
                     notes: Sequence[str] | None = None, bins: int = 60,
                     max_ticks: int = 6) -> None:
    """A ridgeline: one histogram per layer, stacked as rows, the first layer on top
    (``rows`` = [(l, values), ...]); each histogram is scaled to its own highest bin.

    ``axis="symlog"``: real values on a symmetric log axis (linear on [-1, 1]), bins of equal
    width on that axis up to ``limit`` (default: the largest |value|). ``axis="log"``:
    values >= 0 on a log axis over 10^lo..10^hi (``decades``, default from the data), with
    exact zeros counted in a separate bar at the left, labelled 0, and at most ``max_ticks``
    decades labelled. ``notes`` are written at the right end of each row (e.g. the saturated
    fraction)."""
    face = style.series(colour)["color"]
    n_rows = len(rows)
    if axis == "symlog":
        top = limit if limit is not None else max(
            float(np.max(np.abs(v))) if v.size else 1.0 for _, v in rows)
        top = max(top, 1.0)
        edges = np.sinh(np.linspace(-np.arcsinh(top), np.arcsinh(top), bins + 1))
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(edges[0], edges[-1])
        k = int(np.floor(np.log10(top)))
        ticks = [float(10 ** j) for j in range(0, k + 1)]
        if len(ticks) > 4:
            ticks = ticks[::2]
        ticks = [-t for t in ticks[::-1]] + [0.0] + ticks
        ax.set_xticks(ticks, [_plain_number(t) for t in ticks])
        ax.minorticks_off()
    elif axis == "log":
        if decades is None:
            decades = log_decades(np.concatenate([v.ravel() for _, v in rows]))
        lo, hi = decades
        edges = np.linspace(lo, hi, max(int(4 * (hi - lo)), 8) + 1)
        unit = max(1.0, (hi - lo) / 6)  # the zero bar's width and gap, in decades
        zero_edges = np.array([lo - 2.0 * unit, lo - unit])
        ax.set_xlim(lo - 2.3 * unit, hi + 0.05 * unit)
        ticks, labels = _log_ticks(lo, hi, zero_edges.mean(), max_ticks)
        ax.set_xticks(ticks, labels)
        ax.axvline(lo - 0.5 * unit, color=style.GREY, lw=1.0, ls=(0, (2, 2)), gid="decoration")
    else:
        raise ValueError(f"axis: expected 'symlog' or 'log', got {axis!r}")
    for r, (_, values) in enumerate(rows):
        base = -float(r)
        v = np.asarray(values, dtype=float).ravel()
        if axis == "symlog":
            counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), edges)
            zero = None
        else:
            pos = v[v > 0]
            counts, _ = np.histogram(np.clip(np.log10(pos), edges[0], edges[-1]), edges)
            zero = int(np.sum(v <= 0))
        peak = max(int(counts.max(initial=0)), zero or 0, 1)
        ax.stairs(base + 0.85 * counts / peak, edges, baseline=base, fill=True,
                  facecolor=face, alpha=0.3, edgecolor="none", gid="decoration")
        ax.stairs(base + 0.85 * counts / peak, edges, baseline=base, color=face, lw=1.3)
        if zero:
            ax.stairs([base + 0.85 * zero / peak], zero_edges, baseline=base, fill=True,
                      facecolor=face, alpha=0.3, edgecolor="none", gid="decoration")
            ax.stairs([base + 0.85 * zero / peak], zero_edges, baseline=base, color=face,
                      lw=1.3)
        ax.axhline(base, color=style.GREY, lw=0.6, gid="decoration")
        if notes is not None:
            ax.text(1.02, base + 0.3, notes[r], transform=blended_transform_factory(
                ax.transAxes, ax.transData), fontsize=10, ha="left", va="center",
                clip_on=False)
    ax.set_yticks([-float(r) for r in range(n_rows)], [str(l) for l, _ in rows])
    ax.set_ylim(-(n_rows - 1) - 0.2, 1.0)
    ax.set_ylabel("layer $l$")


# --- figures ---------------------------------------------------------------------------------
@style.plot(examples=lambda: [{"z_max": 8.0}, {"z_max": 12.0}])
def derivative_figure(z_max: float = 8.0) -> Figure:
    """S(z) and S'(z) of the logistic and the ReLU (ReLU'(0) = 0: a closed dot at 0, an open
    one at 1, no vertical segment), and the logistic's S' on a log axis, between
    e^{-|z|}/4 and e^{-|z|}: a straight line in |z| (exponential decay)."""
    z = np.linspace(-z_max, z_max, 1601)
    neg, posz = z[z < 0], z[z > 0]
    fig = style.figure(9.25, 3.7)
    left, mid, right = fig.subplots(1, 3)
    logi, relu = ACTIVATIONS["logistic"], ACTIVATIONS["relu"]
    lstyle, rstyle = _style("logistic", False), _style("relu", False)
    left.plot(z, logi.S(z), **lstyle)
    left.plot(z, relu.S(z), **rstyle)
    left.text(-z_max * 0.95, 1.12, "logistic", color=lstyle["color"], fontsize=11)
    left.text(z_max * 0.05, 2.2, "ReLU", color=rstyle["color"], fontsize=11)
    left.set_ylim(-0.15, 2.6)
    left.set_title("activation $S(z)$")
    left.set_ylabel("$S(z)$")

    dS = logi.dS(z)
    mid.plot(z, dS, **lstyle)
    # ReLU'(z): 0 for z < 0, 1 for z > 0, and the convention ReLU'(0) = 0 (bplib.activations)
    mid.plot(neg, relu.dS(neg), **rstyle)
    mid.plot(posz, relu.dS(posz), **rstyle)
    mid.plot([0], [float(relu.dS(np.array(0.0)))], ls="none", marker="o", ms=7,
             color=rstyle["color"])
    mid.plot([0], [1.0], ls="none", marker="o", ms=7, mfc="white", mec=rstyle["color"],
             mew=1.6, color=rstyle["color"])
    mid.axhline(0.25, color=style.GREY, ls=":", lw=1.2, gid="decoration")
    mid.text(-z_max * 0.95, 0.29, "logistic: $\\leq 1/4$", color=lstyle["color"], fontsize=10)
    mid.text(z_max * 0.08, 0.88, "ReLU: 1", color=rstyle["color"], fontsize=10)
    mid.text(-z_max * 0.95, -0.15, "ReLU: 0 for $z \\leq 0$", color=rstyle["color"],
             fontsize=10)
    mid.set_ylim(-0.22, 1.15)
    mid.set_title("derivative $S'(z)$")
    mid.set_ylabel("$S'(z)$")

    edge = saturation_edge("logistic")
    right.semilogy(z, dS, **lstyle)
    right.semilogy(z, np.exp(-np.abs(z)), color=style.GREY, ls=(0, (1, 1.5)), lw=1.6)
    right.plot(posz, np.ones_like(posz), **rstyle)
    right.axhline(SATURATION_THRESHOLD, color=style.BLACK, lw=0.9)
    for side in (-1, 1):
        right.axvspan(side * edge, side * z_max, color=style.FILLS["light grey"],
                      gid="decoration", zorder=0)
    right.text(0, 7e-3, "$S' = 0.01$", ha="center", va="top", fontsize=10)
    right.text(1.0, 0.5, "$e^{-|z|}$", ha="left", fontsize=11, color=style.GREY)
    right.text(-z_max * 0.98, 0.7, "saturated\n$S' < 0.01$", fontsize=10, va="top")
    right.text(z_max * 0.2, 1.6, "ReLU", color=rstyle["color"], fontsize=10)
    right.set_ylim(np.exp(-z_max) / 8, 5.0)
    right.set_title("$S'(z)$, log axis: exponential in $|z|$", fontsize=11)
    right.set_ylabel("$S'(z)$ (log scale)")
    for ax in (left, mid, right):
        ax.set_xlabel("$z$")
    dS_max = float(dS.max())
    text = (f"Left: the logistic and the ReLU for z from {-z_max:g} to {z_max:g}. Middle: their "
            f"derivatives: the logistic's S'(z) peaks at {dS_max:.2f} at z = 0; the ReLU's "
            f"is 0 for z <= 0 (with the convention S'(0) = 0, a filled dot) and 1 for z > 0 "
            f"(an open dot at z = 0). Right: the logistic's S'(z) on a log axis is a straight "
            f"line in |z| beside e^-|z| (between e^-|z|/4 and e^-|z|): it falls exponentially "
            f"in |z|, below 0.01 (saturated, shaded) "
            f"for |z| > {edge:.2f}, and {style.fmt_number(float(dS[-1]), 2)} at z = {z_max:g}.")
    return style.describe(fig, text)


@style.plot(examples=lambda: [{"activation": "logistic", "scale": 1.0},
                               {"activation": "logistic", "scale": 8.0},
                               {"activation": "relu", "scale": 2.0, "depth": 4}])
def saturation_figure(activation: str, scale: float, depth: int = 6) -> Figure:
    """Per hidden layer, the distribution of z_{l,i} (left, where S' >= 0.01 shaded) and of
    S'(z_{l,i}) on a log axis (right, with the fraction below 0.01 written beside each row),
    over the 200 probe examples and 32 units, for ``depth`` hidden layers of ``activation``
    at weight scale ``scale``."""
    X, y = PROBE
    net = deep_network(depth, activation, scale)
    sig = signals(net, X, y)
    layers = list(sig.hidden)
    fracs = [saturated_fraction(sig.dS[l]) for l in layers]
    fig = style.figure(9.25, 1.3 + 0.5 * depth)
    left, right = fig.subplots(1, 2)
    i = SERIES.get(activation, 3)
    edge = saturation_edge(activation)
    top = max(float(np.max(np.abs(sig.z[l]))) for l in layers)
    layer_histograms(left, [(l, sig.z[l]) for l in layers], axis="symlog", colour=i,
                     limit=max(top, 2 * edge, 1.0))
    if activation == "relu":
        left.axvspan(0, left.get_xlim()[1], color=style.FILLS["sky blue"], alpha=0.25,
                     gid="decoration", zorder=0)
        window = "z > 0, where S' = 1"
    else:
        left.axvspan(-edge, edge, color=style.FILLS["sky blue"], alpha=0.25,
                     gid="decoration", zorder=0)
        window = f"|z| < {edge:.2f}, where S' >= 0.01"
    left.set_xlabel("$z_{l,i}$ (symmetric log scale; shaded: $S' \\geq 0.01$)")
    left.set_title(f"pre-activations $z_l$ ({activation})")
    notes = [f"{100 * f:.0f}% < 0.01" for f in fracs]
    layer_histograms(right, [(l, sig.dS[l]) for l in layers], axis="log", colour=i,
                     decades=log_decades(np.concatenate([sig.dS[l].ravel() for l in layers]),
                                         high=0), notes=notes)
    right.axvline(np.log10(SATURATION_THRESHOLD), color=style.BLACK, ls=":", lw=1.2)
    right.set_xlabel("$S'(z_{l,i})$ (log scale; zeros at the left)")
    right.set_title("derivatives $S'(z_l)$")
    right.set_ylabel("")
    fig.suptitle(f"{_layers(depth)} of width 32, weight scale {scale:g}: "
                 f"{100 * float(np.mean(fracs)):.0f}% of the values $S'$ < 0.01",
                 fontsize=12)
    zstd = [float(sig.z[l].std()) for l in layers]
    text = (f"Histograms, one row per hidden layer l = 1 to {depth}, of the pre-activations "
            f"z_l and of S'(z_l) for a {activation} network with weight scale {scale:g}, over "
            f"200 examples and 32 units. The standard deviation of z_l goes from "
            f"{style.fmt_number(zstd[0], 2)} in layer 1 to {style.fmt_number(zstd[-1], 2)} in "
            f"layer {depth}; the shaded band is {window}. Fraction of values with S' < 0.01, "
            f"layer by layer: " + ", ".join(f"{100 * f:.0f}%" for f in fracs) + ".")
    return style.describe(fig, text)


DEFAULT_SCALES = tuple(float(2.0 ** k) for k in range(-2, 7))  # 0.25 ... 64


@style.plot(examples=lambda: [{"depth": 6}, {"depth": 4, "scales": (0.5, 2.0, 8.0, 32.0)}])
def saturation_scale_figure(depth: int = 6, scales: Sequence[float] = DEFAULT_SCALES) -> Figure:
    """Left: the fraction of S'(z_{l,i}) < 0.01 against the weight scale, logistic, tanh and
    ReLU. Right: for the logistic, the two factors of the backward step (gain of W_l^T,
    attenuation by S') and their product, the factor by which ||delta|| changes per layer."""
    sweeps = {name: scale_sweep(name, scales, depth) for name in ("logistic", "tanh", "relu")}
    fig = style.figure(9.25, 4.0)
    left, right = fig.subplots(1, 2)
    for name, sw in sweeps.items():
        left.semilogx(sw.scales, sw.saturated, label=name, **_style(name))
    style.label_lines(left, pad_pt=8)
    left.set_xlabel("weight scale (multiplies the standard deviation of $W_l$)")
    left.set_ylabel("fraction of $S'(z_{l,i}) < 0.01$")
    left.set_ylim(-0.03, 1.03)
    left.set_title("saturated (ReLU: inactive) values")
    lg = sweeps["logistic"]
    slope = loglog_slope(lg.scales, lg.attenuation, low=8.0)
    lines = [right.loglog(lg.scales, values, **style.series(k))[0]
             for k, values in ((0, lg.gain), (1, lg.attenuation), (5, lg.factor))]
    right.axhline(1.0, color=style.GREY, lw=1.0, ls=":", gid="decoration")
    style.label_lines(right, lines, texts=["gain of $W_l^T$", "attenuation\nby $S'$",
                                    "product"], pad_pt=8)
    right.set_xlabel("weight scale")
    right.set_ylabel("factor per layer (log scale)")
    right.set_title("logistic: $\\|\\delta_{l-1}\\| / \\|\\delta_l\\|$ = gain $\\times$ "
                    "attenuation", fontsize=11)
    for ax in (left, right):
        ticks = [s for s in scales if np.log2(s) % 2 == 0] or list(scales)
        ax.set_xticks(ticks, [style.fmt_number(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(scales[0] / 1.5, scales[-1] * (4 if ax is left else 12))
    text = (f"Left: the fraction of S'(z) values below 0.01 in {depth} hidden layers against the "
            f"weight scale from {style.fmt_number(scales[0])} to {style.fmt_number(scales[-1])}: "
            f"logistic from {100 * lg.saturated[0]:.0f}% to {100 * lg.saturated[-1]:.0f}%, tanh "
            f"from {100 * sweeps['tanh'].saturated[0]:.0f}% to "
            f"{100 * sweeps['tanh'].saturated[-1]:.0f}%, ReLU "
            f"{100 * sweeps['relu'].saturated[0]:.0f}% at every scale (its inactive units: "
            f"rescaling the weights does not change the sign "
            f"of z). Right, logistic: the gain of W_l^T grows like the scale "
            f"({style.fmt_number(lg.gain[0], 2)} to {style.fmt_number(lg.gain[-1], 2)}), the "
            f"attenuation by S' falls only like scale^{slope:.2f} "
            f"({style.fmt_number(lg.attenuation[0], 2)} to "
            f"{style.fmt_number(lg.attenuation[-1], 2)}), so their product, the factor per "
            f"layer, rises from {style.fmt_number(lg.factor[0], 2)} to "
            f"{style.fmt_number(lg.factor[-1], 2)}: larger weights make delta decay more slowly.")
    return style.describe(fig, text)


def loglog_slope(x: Sequence[float], y: Sequence[float], low: float = 0.0) -> float:
    """Least-squares slope of log y against log x over the points with x >= low."""
    x, y = np.asarray(x), np.asarray(y)
    keep = x >= low
    if keep.sum() < 2:
        keep = np.ones_like(x, dtype=bool)
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


@style.plot(examples=lambda: [{"depth": 8, "activation": "logistic"},
                               {"depth": 3, "activation": "relu", "scale": 2.0}])
def delta_norm_figure(depth: int, activation: str, scale: float = 1.0,
                      others: Sequence[str] = ("logistic", "relu", "tanh")) -> Figure:
    """Per-layer mean ||delta_l|| on a log scale for a network with ``depth`` hidden layers
    of ``activation`` (thick), with the other activations at the same depth and scale (thin);
    each line has its own colour, marker and line style and a label at its end."""
    X, y = PROBE
    fig = style.figure(8.5, 4.2)
    ax = fig.add_subplot()
    names = [activation] + [a for a in others if a != activation]
    ratios, lines, all_norms = {}, [], []
    for name in names:
        norms = delta_norms(deep_network(depth, name, scale), X, y)[1:]
        layers = np.arange(len(norms), 0, -1)  # L, ..., 1: the order of the backward pass
        bold = name == activation
        ratios[name] = norms[0] / norms[-1]
        (line,) = ax.semilogy(layers, norms[::-1], lw=2.8 if bold else 1.5, ms=8 if bold else 6,
                              **_style(name))
        lines.append(line)
        all_norms += norms
    lo, hi = min(all_norms), max(all_norms)
    ax.set_ylim(lo / 2.5, hi * 2.5)
    ax.set_xticks(np.arange(1, depth + 2))
    ax.set_xlim(depth + 1.3, 1 - 0.45 * (depth + 0.3) - 0.3)  # room for the labels
    end_labels(ax, lines, [f"{name}{' (chosen)' if name == activation else ''}: "
                           f"{style.fmt_number(ratios[name], 2)}" for name in names])
    ax.set_xlabel(r"layer $l$, from the output layer $L$ back to layer 1 (the backward pass)")
    ax.set_ylabel(r"mean $\|\delta_l\|$ over 200 examples")
    ax.set_title(f"{_layers(depth)} of width 32, weight scale {scale:g}; "
                 r"labels: $\|\delta_1\| / \|\delta_L\|$", fontsize=12)
    text = (f"Mean norm of delta_l per layer, log scale, for {_layers(depth)} of width 32 "
            f"and weight scale {scale:g}, from the output layer L back to layer 1. Ratio "
            f"‖δ_1‖/‖δ_L‖: " + "; ".join(f"{name}: {style.fmt_number(r, 2)}"
                                          for name, r in ratios.items())
            + f" (at depth {depth}; a ratio far below 1 means the gradient vanishes on its "
              f"way to the first layer, far above 1 that it explodes).")
    return style.describe(fig, text)


def _example_sweep() -> list[dict[str, Any]]:
    def hist(loss: list[float]) -> History:
        return History(step=list(range(len(loss))), loss=loss, accuracy=[0.5] * len(loss))

    return [{"sweep": {"logistic": {0.1: hist([1.1, 1.0986]), 1.0: hist([1.1, 1.0985]),
                                    10.0: hist([1.1, 1.9])},
                       "relu": {0.1: hist([1.1, 0.01]), 1.0: hist([1.1, float("nan")])}}},
            {"sweep": {"tanh": {0.3: hist([1.1, 0.2]), 3.0: hist([1.1, 0.5])}}}]


@style.plot(examples=_example_sweep)
def step_size_figure(sweep: Mapping[str, Mapping[float, History]]) -> Figure:
    """Final training loss against the step size (log-log), one line per activation, the best
    step size of each ringed and ln 3 (chance level for 3 classes) marked; a diverged run is
    drawn at the top edge with a cross."""
    fig = style.figure(8.0, 4.0)
    ax = fig.add_subplot()
    finite = [final_loss(h) for runs in sweep.values() for h in runs.values()
              if np.isfinite(final_loss(h))]
    ceiling = max(max(finite, default=1.0), LN3) * 2.5
    floor = min(min(finite, default=1.0), LN3) / 3
    parts = []
    lines = []
    for name, runs in sweep.items():
        lrs = sorted(runs)
        finals = [final_loss(runs[lr]) for lr in lrs]
        shown = [v if np.isfinite(v) else ceiling for v in finals]
        (line,) = ax.loglog(lrs, shown, **_style(name))
        lines.append(line)
        bad = [lr for lr, v in zip(lrs, finals, strict=True) if not np.isfinite(v)]
        if bad:
            ax.plot(bad, [ceiling] * len(bad), ls="none", marker="X", ms=11,
                    color=line.get_color())
        best = best_lr(runs)
        ax.plot([best], [final_loss(runs[best])], ls="none", marker="o", ms=16, mfc="none",
                mec=line.get_color(), mew=1.8)
        steps = runs[lrs[0]].step[-1] if runs[lrs[0]].step else 0
        parts.append(f"{name}: " + ", ".join(
            f"α = {style.fmt_number(lr)}: " + (style.fmt_number(v, 4) if np.isfinite(v)
                                               else "diverged")
            for lr, v in zip(lrs, finals, strict=True))
            + f"; best α = {style.fmt_number(best)}")
    style.label_lines(ax, lines, list(sweep), pad_pt=10)
    ax.axhline(LN3, color=style.GREY, lw=1.2, ls=":", gid="decoration")
    all_lrs = sorted({lr for runs in sweep.values() for lr in runs})
    ax.set_xticks(all_lrs, [style.fmt_number(lr) for lr in all_lrs])
    ax.minorticks_off()
    ax.text(all_lrs[0], LN3 / 1.35, "ln 3 = 1.099: chance level", fontsize=10,
            color=style.GREY, va="top")
    ax.set_ylim(floor, ceiling * 1.6)
    ax.set_xlabel("step size (learning rate) $\\alpha$")
    ax.set_ylabel("training loss after the last step")
    ax.set_title("final loss per step size (ringed: the best; X: diverged)", fontsize=12)
    ax.set_xlim(all_lrs[0] / 1.6, all_lrs[-1] * 4)
    text = (f"Training loss after {steps} steps of steepest descent against the step size α, "
            f"log-log, one line per hidden activation; ln 3 = 1.099 is the loss of predicting "
            f"1/3 for every class. " + ". ".join(parts) + ".")
    return style.describe(fig, text)


def _example_histories() -> list[dict[str, Any]]:
    def hist(loss: list[float], acc: list[float]) -> History:
        return History(step=list(range(len(loss))), loss=loss, accuracy=acc)

    return [{"histories": {"logistic": hist([1.1, 1.1, 1.099], [0.3, 0.4, 0.59]),
                           "relu": hist([1.1, 0.6, 0.2], [0.3, 0.8, 0.95])},
             "lrs": {"logistic": 3.0, "relu": 0.3}},
            {"histories": {"tanh": hist([1.0, 0.5], [0.4, 0.9])}}]


@style.plot(examples=_example_histories)
def training_curves_figure(histories: Mapping[str, History],
                           lrs: Mapping[str, float] | None = None) -> Figure:
    """Training loss and accuracy against the step, one line per activation (labelled at its
    end, with its step size when ``lrs`` is given)."""
    fig = style.figure(9.25, 3.9)
    left, right = fig.subplots(1, 2)
    names = [f"{name}, α = {style.fmt_number(lrs[name])}" if lrs else name
             for name in histories]
    for label, (name, h) in zip(names, histories.items(), strict=True):
        every = max(len(h.step) // 12, 1)
        left.plot(h.step, h.loss, label=label, markevery=every, **_style(name))
        right.plot(h.step, h.accuracy, label=label, markevery=every, **_style(name))
    left.axhline(LN3, color=style.GREY, lw=1.2, ls=":", gid="decoration")
    left.text(max(h.step[-1] for h in histories.values()), LN3 * 1.2, "ln 3", fontsize=10,
              color=style.GREY, ha="right")
    left.set_yscale("log")
    left.set_ylabel("training loss (cross-entropy)")
    left.set_title("loss", fontsize=12)
    right.set_ylabel("training accuracy")
    right.set_title("accuracy", fontsize=12)
    right.set_ylim(0, 1.05)
    for ax, where in ((left, "lower left"), (right, "lower right")):
        ax.set_xlabel("steepest-descent step")
        ax.legend(loc=where)
    text = ("Training loss (log scale, ln 3 = 1.099 marked) and accuracy against the "
            "steepest-descent step, one line per hidden activation. At the last step: "
            + "; ".join(f"{label}: loss {style.fmt_number(h.loss[-1], 3)}, accuracy "
                        f"{h.accuracy[-1]:.2f} (step {h.step[-1]})"
                        for label, h in zip(names, histories.values(), strict=True)) + ".")
    return style.describe(fig, text)
