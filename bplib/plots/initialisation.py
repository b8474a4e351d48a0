"""Notebook 14 (initialisation and the health of a deep network).

With b_l = 0 and independent weights of mean 0 and variance Var W_l (lecture notation:
fan_in = p_{l-1}, fan_out = p_l),

    Var z_{l,i} = p_{l-1} Var W_l E[a_{l-1,j}^2]                       (forward)
    Var delta_{l-1,j} = p_l Var W_l E[S'(z_{l-1,j})^2] Var delta_{l,i}  (backward),

so Var W_l = 1 / fan_in keeps Var z_l where S(z) ~ z (LeCun), 2 / fan_in where a ReLU halves
E[a^2] (He), and 2 / (fan_in + fan_out) balances forward and backward (Glorot, "Xavier").
The engine draws them (:func:`bplib.network.init_std`, ``Network.init(init=..., scale=...)``);
this module measures what they do, layer by layer, on a batch of the packaged 8x8 digits,
with the computing code shared with notebook 07 (:mod:`bplib.health`) and its ridgeline
histograms (:func:`bplib.plots.saturation.layer_histograms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import health
from ..data import load_digits
from ..network import INIT_SCHEMES, Network
from . import style
from .saturation import end_labels, layer_histograms, log_decades

Array = Any

#: The schemes compared (every name of INIT_SCHEMES except "auto", which picks one of them).
SCHEMES: tuple[str, ...] = tuple(s for s in ("lecun", "glorot", "he", "normal")
                                 if s in INIT_SCHEMES)
#: The formula of Var W_l for each scheme, as the notebook and the figures write it.
VARIANCE = {"lecun": "1/fan_in", "glorot": "2/(fan_in + fan_out)", "he": "2/fan_in",
            "normal": "1"}
#: series index in bplib.plots.style of each scheme (colour, marker, line style)
SERIES = {"he": 0, "lecun": 1, "glorot": 2, "normal": 3}
#: series index of each activation, as in notebook 07
ACTIVATION_SERIES = {"relu": 0, "logistic": 1, "tanh": 2}
MAX_ROWS = 8  # layers shown in the histograms (evenly spread when there are more)
P0, CLASSES = 64, 10  # 8x8 pixels in, 10 digits out


@lru_cache(maxsize=1)
def probe(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` packaged 8x8 digits, each pixel standardised over the batch (mean 0,
    standard deviation 1; the pixels that are constant on the batch set to 0), and labels."""
    X, y = load_digits()
    X, y = X[:n], y[:n]
    sd = X.std(axis=0)
    Xs = np.where(sd > 0, (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
    return Xs, y


def network(activation: str, init: str = "he", depth: int = 10, width: int = 64,
            scale: float = 1.0, seed: int = 0) -> Network:
    """p = (64, width x depth, 10): ``depth`` hidden layers of ``activation``, softmax output,
    W_l ~ N(0, scale^2 Var W_l) with Var W_l from ``init`` (bplib.network.init_std), b_l = 0."""
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth: expected at least 1 hidden layer, got {depth!r}")
    return Network.init((P0, *[int(width)] * int(depth), CLASSES), hidden=activation,
                        output="softmax", init=init, scale=scale, seed=seed)


@lru_cache(maxsize=32)
def _signals(activation: str, init: str, depth: int, width: int, scale: float,
             seed: int) -> health.Signals:
    X, y = probe()
    return health.signals(network(activation, init, depth, width, scale, seed), X, y)


def mean_similarity(a: np.ndarray) -> float:
    """Mean cosine similarity between the rows (examples) of a layer's a_l, over all pairs of
    different examples: near 1 when the examples have become alike."""
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    u = a / np.where(norms > 0, norms, 1.0)
    c = u @ u.T
    n = a.shape[0]
    return float((c.sum() - np.trace(c)) / (n * (n - 1)))


@dataclass(frozen=True)
class LayerHealth:
    """Per-layer summaries of one network on the digits batch (tuples over l = 1..L-1, except
    ``delta_norm`` over l = 1..L and ``similarity`` over l = 0..L-1)."""

    activation: str
    init: str
    depth: int
    width: int
    scale: float
    z_std: tuple[float, ...]       # standard deviation of z_{l,i} over examples and units
    saturated: tuple[float, ...]   # fraction of S'(z_{l,i}) < 0.01
    dead: tuple[float, ...]        # fraction of units with z_{l,i} <= 0 on the whole batch
    delta_norm: tuple[float, ...]  # mean ||delta_l|| over the examples
    similarity: tuple[float, ...]  # mean cosine similarity of a_l between examples

    @property
    def problem(self) -> tuple[float, ...]:
        """What stops a unit passing delta back: dead units for the ReLU, saturated values
        otherwise."""
        return self.dead if self.activation == "relu" else self.saturated

    @property
    def problem_name(self) -> str:
        return "dead units" if self.activation == "relu" else "S' < 0.01"


def layer_health(activation: str, init: str = "he", depth: int = 10, width: int = 64,
                 scale: float = 1.0, seed: int = 0) -> LayerHealth:
    """:class:`LayerHealth` of :func:`network` (same arguments) on :func:`probe`."""
    sig = _signals(activation, init, int(depth), int(width), float(scale), seed)
    hidden = list(sig.hidden)
    return LayerHealth(
        activation, init, int(depth), int(width), float(scale),
        tuple(float(sig.z[l].std()) for l in hidden),
        tuple(health.saturated_fraction(sig.dS[l]) for l in hidden),
        tuple(health.dead_fraction(sig.z[l]) for l in hidden),
        tuple(float(np.linalg.norm(sig.delta[l], axis=1).mean())
              for l in range(1, sig.L + 1)),
        tuple(mean_similarity(sig.a[l]) for l in range(sig.L)))


def shown_layers(depth: int, rows: int = MAX_ROWS) -> list[int]:
    """The hidden layers drawn as rows: all of them, or ``rows`` evenly spread from 1 to depth."""
    if depth <= rows:
        return list(range(1, depth + 1))
    return sorted({int(round(v)) for v in np.linspace(1, depth, rows)})


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


@style.plot(examples=lambda: [{"activation": "relu", "init": "he"},
                               {"activation": "relu", "init": "lecun", "depth": 4},
                               {"activation": "logistic", "init": "normal", "width": 16,
                                "scale": 0.5}])
def layer_histograms_figure(activation: str = "relu", init: str = "he", depth: int = 10,
                            width: int = 64, scale: float = 1.0) -> Figure:
    """Per hidden layer (one row each, layer 1 on top), histograms of z_{l,i}, a_{l,i},
    S'(z_{l,i}) and |delta_{l,i}| over the 256 digits and the layer's units, with the saturated
    (or, for the ReLU, dead) fraction and mean ||delta_l|| of each row in a column at the right."""
    sig = _signals(activation, init, int(depth), int(width), float(scale), 0)
    hh = layer_health(activation, init, depth, width, scale)
    layers = shown_layers(int(depth))
    colour = ACTIVATION_SERIES.get(activation, 3)
    fig = style.figure(9.25, 1.5 + 0.42 * len(layers))
    axes = fig.subplots(1, 5, sharey=True, width_ratios=[1, 1, 1, 1, 0.62])
    ax_z, ax_a, ax_d, ax_delta, ax_t = axes
    z_top = max(float(np.max(np.abs(sig.z[l]))) for l in layers)
    layer_histograms(ax_z, [(l, sig.z[l]) for l in layers], axis="symlog", colour=colour,
                     limit=max(z_top, 1.0))
    a_top = max(float(np.max(np.abs(sig.a[l]))) for l in layers)
    layer_histograms(ax_a, [(l, sig.a[l]) for l in layers], axis="symlog", colour=colour,
                     limit=max(a_top, 1.0))
    dS_all = np.concatenate([sig.dS[l].ravel() for l in layers])
    layer_histograms(ax_d, [(l, sig.dS[l]) for l in layers], axis="log", colour=colour,
                     decades=log_decades(dS_all, high=0), max_ticks=3)
    ax_d.axvline(np.log10(health.SATURATION_THRESHOLD), color=style.BLACK, ls=":", lw=1.2)
    d_abs = [(l, np.abs(sig.delta[l])) for l in layers]
    layer_histograms(ax_delta, d_abs, axis="log", colour=colour,
                     decades=log_decades(np.concatenate([v.ravel() for _, v in d_abs]),
                                         span=(-2, -1)), max_ticks=3)
    for ax, title, label in ((ax_z, "$z_l$", "$z_{l,i}$"), (ax_a, "$a_l = S(z_l)$", "$a_{l,i}$"),
                             (ax_d, "$S'(z_l)$", "$S'(z_{l,i})$, log"),
                             (ax_delta, r"$|\delta_l|$", r"$|\delta_{l,i}|$, log")):
        ax.set_title(title, fontsize=12)
        ax.set_xlabel(label)
        ax.tick_params(axis="x", labelsize=10)
        if ax is not ax_z:
            ax.set_ylabel("")
    # the column of numbers: one line per row
    ax_t.set_axis_off()
    ax_t.set_xlim(0, 1)
    short = "dead" if activation == "relu" else "S'<0.01"
    ax_t.text(0.0, 0.75, f"{short}   " + r"$\|\delta_l\|$", fontsize=10, va="bottom",
              fontweight="bold")
    for r, l in enumerate(layers):
        ax_t.text(0.0, -r + 0.3, f"{_pct(hh.problem[l - 1]):>4}   "
                                 f"{style.fmt_number(hh.delta_norm[l - 1], 2)}",
                  fontsize=10, va="center", family="monospace")
    first, last = layers[0], layers[-1]
    fig.suptitle(f"{activation}, {init} (Var W = scale² · {VARIANCE[init]}), scale {scale:g}, "
                 f"{depth} hidden layers of width {width}", fontsize=12)
    text = (f"Histograms over 256 digits, one row per hidden layer ({len(layers)} of {depth} "
            f"shown), for a {activation} network of width {width} initialised with {init} "
            f"(Var W_l = scale^2 · {VARIANCE[init]}, scale {scale:g}). The standard deviation of "
            f"z_l goes from {style.fmt_number(hh.z_std[first - 1], 2)} in layer {first} to "
            f"{style.fmt_number(hh.z_std[last - 1], 2)} in layer {last}; mean ‖δ_l‖ from "
            f"{style.fmt_number(hh.delta_norm[first - 1], 2)} to "
            f"{style.fmt_number(hh.delta_norm[last - 1], 2)} (‖δ_1‖/‖δ_L‖ = "
            f"{style.fmt_number(hh.delta_norm[0] / hh.delta_norm[-1], 2)}). {hh.problem_name} "
            f"per shown layer: " + ", ".join(_pct(hh.problem[l - 1]) for l in layers) + ".")
    return style.describe(fig, text)


@style.plot(examples=lambda: [{"activation": "relu"}, {"activation": "tanh", "depth": 6},
                               {"activation": "logistic", "width": 16}])
def scheme_comparison_figure(activation: str = "relu", depth: int = 10,
                             width: int = 64) -> Figure:
    """Layer by layer, for each initialisation scheme: the standard deviation of z_l, the
    saturated (or dead) fraction, and mean ||delta_l||, one line per scheme."""
    runs = {init: layer_health(activation, init, depth, width) for init in SCHEMES}
    depth = int(depth)
    fig = style.figure(9.25, 4.0)
    ax_z, ax_p, ax_d = fig.subplots(1, 3)
    hidden = np.arange(1, depth + 1)
    backward = np.arange(depth + 1, 0, -1)  # L, ..., 1: the order of the backward pass
    lines: dict[Any, list] = {ax_z: [], ax_p: [], ax_d: []}
    # ReLU with b_l = 0: every scheme scales the same draws, so the same units are dead
    same_dead = activation == "relu" and all(hh.dead == runs[SCHEMES[0]].dead
                                             for hh in runs.values())
    for init, hh in runs.items():
        st = style.series(SERIES[init], markevery=max(depth // 6, 1))
        lines[ax_z].append(ax_z.semilogy(hidden, hh.z_std, **st)[0])
        lines[ax_d].append(ax_d.semilogy(backward, hh.delta_norm[::-1], **st)[0])
        if not same_dead:
            lines[ax_p].append(ax_p.plot(hidden, hh.problem, **st)[0])
    if same_dead:
        ax_p.plot(hidden, runs[SCHEMES[0]].dead, color=style.BLACK, marker="o", ms=5)
        ax_p.text(0.04, 0.96, "the same for all four\nschemes: rescaling W\nchanges no sign of z",
                  transform=ax_p.transAxes, va="top", fontsize=10)
    for ax in (ax_z, ax_d):
        lo = min(min(ln.get_ydata()) for ln in lines[ax])
        hi = max(max(ln.get_ydata()) for ln in lines[ax])
        ax.set_ylim(lo / 3, hi * 3)
    ax_p.set_ylim(-0.03, 1.03)
    for ax in (ax_z, ax_p, ax_d):
        right = depth + 1 if ax is ax_d else depth
        step = max(1, int(np.ceil(right / 5)))
        ax.set_xticks(list(range(1, right + 1, step)))
        ax.set_xlabel("layer $l$")
        room = 0.55 * right + 0.8 if lines[ax] else 0.4  # room for the labels
        if ax is ax_d:
            ax.set_xlim(right + 0.4, 1 - room)
            ax.set_xlabel("layer $l$, from $L$ back to 1")
        else:
            ax.set_xlim(0.6, right + room)
        if lines[ax]:
            end_labels(ax, lines[ax], list(runs), min_gap_pt=12, pad_pt=5)
    ax_z.set_title("spread of $z_l$ (std)", fontsize=12)
    ax_z.set_ylabel("standard deviation of $z_{l,i}$ (log)")
    name = runs[SCHEMES[0]].problem_name
    ax_p.set_title("dead units" if activation == "relu" else "saturated: $S' < 0.01$",
                   fontsize=12)
    ax_p.set_ylabel("fraction of the layer's units" if activation == "relu"
                    else "fraction of the values $S'(z_{l,i})$")
    ax_d.set_title(r"mean $\|\delta_l\|$", fontsize=12)
    ax_d.set_ylabel(r"mean $\|\delta_l\|$ over 256 digits (log)")
    fig.suptitle(f"{activation}: {depth} hidden layers of width {width}, four "
                 f"initialisations", fontsize=12)
    parts = []
    for init, hh in runs.items():
        parts.append(f"{init} (Var W = {VARIANCE[init]}): std of z_l "
                     f"{style.fmt_number(hh.z_std[0], 2)} in layer 1 to "
                     f"{style.fmt_number(hh.z_std[-1], 2)} in layer {depth}, "
                     f"{name} up to {_pct(max(hh.problem))}, ‖δ_1‖/‖δ_L‖ = "
                     f"{style.fmt_number(hh.delta_norm[0] / hh.delta_norm[-1], 2)}")
    text = (f"Layer by layer for a {activation} network of {depth} hidden layers of width "
            f"{width} on 256 digits, one line per initialisation scheme: the standard "
            f"deviation of z_l, the fraction of {name}, and mean ‖δ_l‖. " + "; ".join(parts)
            + ".")
    return style.describe(fig, text)
