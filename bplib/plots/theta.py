"""Notebook 01 (gradient computations): theta as one vector, dim(theta), the training loss.

Lecture: all weights and biases are stacked into one parameter vector theta, of dimension

    dim(theta) = sum_{l=1}^{L} (p_{l-1} p_l + p_l)    (weights plus biases),

and the training loss is the mean of the per-example losses, (1/n) sum_{i=1}^{n} C_i(theta).
The functions here compute those quantities and draw them; the notebooks wrap them in widgets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..backend import to_numpy
from ..network import Network, dim_theta, theta_blocks
from . import style

WEIGHT_COLOUR = style.BLUE
BIAS_COLOUR = style.AMBER
BIAS_HATCH = "//"  # biases differ from weights in pattern as well as colour
MAX_WIDTH = 100_000  # wider layers than this are a typo, not a network for this course


def parse_widths(text: str) -> tuple[int, ...]:
    """Layer widths (p_0, ..., p_L) from text such as ``"2, 3, 1"`` (commas or spaces).

    Raises ValueError with a message meant for a student typing into a text box: it names
    what was expected and what was typed.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a string such as '2, 3, 1', got {type(text).__name__}")
    parts = [s for s in re.split(r"[,\s;]+", text.strip().strip("[]()")) if s]
    if len(parts) < 2:
        raise ValueError(
            f"layer sizes: expected at least two widths p_0, ..., p_L separated by commas "
            f"(e.g. '2, 3, 1'), got {text.strip()!r}"
        )
    widths = []
    for l, s in enumerate(parts):
        if not re.fullmatch(r"\+?\d+", s):
            raise ValueError(f"layer sizes: p_{l} must be a positive whole number, got {s!r}")
        v = int(s)
        if v < 1:
            raise ValueError(f"layer sizes: p_{l} must be at least 1, got {v}")
        if v > MAX_WIDTH:
            raise ValueError(f"layer sizes: p_{l} must be at most {MAX_WIDTH:,}, got {v:,}")
        widths.append(v)
    return tuple(widths)


@dataclass(frozen=True)
class LayerCount:
    """Parameters of layer l: p_{l-1} p_l weights in W_l and p_l biases in b_l."""

    l: int
    p_prev: int
    p_l: int

    @property
    def weights(self) -> int:
        return self.p_prev * self.p_l

    @property
    def biases(self) -> int:
        return self.p_l

    @property
    def total(self) -> int:
        return self.weights + self.biases


def layer_counts(p: tuple[int, ...]) -> list[LayerCount]:
    """One term p_{l-1} p_l + p_l of the dim(theta) sum per layer l = 1..L (lecture)."""
    return [LayerCount(l, p[l - 1], p[l]) for l in range(1, len(p))]


def dim_theta_formula(p: tuple[int, ...]) -> str:
    """The lecture's sum written out for these widths, e.g. ``(2·3 + 3) + (3·1 + 1) = 13``."""
    terms = " + ".join(f"({c.p_prev}·{c.p_l} + {c.p_l})" for c in layer_counts(p))
    return f"{terms} = {dim_theta(p):,}"


def _message_figure(title: str, message: str) -> Figure:
    fig = style.figure(8, 2.2)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.set_title(title, fontsize=13)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=style.VERMILLION,
            wrap=True, transform=ax.transAxes)
    return style.describe(fig, f"{title}: {message}")


@style.plot(examples=lambda: [{"layer_sizes": "2, 3, 1"}, {"layer_sizes": "784, 256, 10"}])
def dim_theta_figure(layer_sizes: str) -> Figure:
    """dim(theta) for widths typed as text: the formula and count (left) next to the split
    into weights and biases per layer (right). Bad input gives a figure with the message.

    Lecture: dim(theta) = sum_{l=1}^{L} (p_{l-1} p_l + p_l).
    """
    try:
        p = parse_widths(layer_sizes)
    except (TypeError, ValueError) as exc:
        return _message_figure("dim(θ): cannot read the layer sizes", str(exc))
    counts = layer_counts(p)
    n_w = sum(c.weights for c in counts)
    n_b = sum(c.biases for c in counts)

    fig = style.figure(9, 3.8)
    left, right = fig.subplots(1, 2, width_ratios=[1.1, 1])
    left.axis("off")
    left.set_title(f"dim(θ) for p = {list(p)}", fontsize=13)
    lines = [
        r"$\dim(\theta)=\sum_{l=1}^{L}\,(p_{l-1}\,p_l + p_l)$",
        "",
        dim_theta_formula(p) if len(counts) <= 4 else f"{len(counts)} layers: sum = {n_w + n_b:,}",
        "",
        f"weights: {n_w:,}    biases: {n_b:,}",
        f"dim(θ) = {n_w + n_b:,}",
    ]
    left.text(0.0, 0.95, "\n".join(lines), va="top", ha="left", fontsize=12,
              transform=left.transAxes, wrap=True)

    layers = np.arange(1, len(counts) + 1)
    w = np.array([c.weights for c in counts])
    b = np.array([c.biases for c in counts])
    right.bar(layers, w, color=WEIGHT_COLOUR, label=r"weights $p_{l-1}p_l$ in $W_l$")
    right.bar(layers, b, bottom=w, color=BIAS_COLOUR, hatch=BIAS_HATCH, edgecolor="white",
              label=r"biases $p_l$ in $b_l$")
    right.set_xticks(layers)
    right.set_xlabel("layer $l$")
    right.set_ylabel("number of parameters")
    right.set_title("split per layer", fontsize=13)
    right.legend()
    per_layer = "; ".join(f"layer {c.l}: {c.weights:,} weights + {c.biases:,} "
                          f"{'bias' if c.biases == 1 else 'biases'}" for c in counts)
    text = (f"dim(θ) = {n_w + n_b:,} for layer widths p = {list(p)}: {n_w:,} weights and "
            f"{n_b:,} biases. Bars per layer: {per_layer}.")
    return style.describe(fig, text)


def theta_layout(p: tuple[int, ...]) -> list[tuple[str, int, int]]:
    """Where each block sits in theta: [(name, start, stop), ...] in packing order
    [vec(W_1); b_1; ...; vec(W_L); b_L] (rows of W_l one after the other)."""
    return [(name, sl.start, sl.stop) for name, sl, _ in theta_blocks(p)]


@style.plot(examples=lambda: [{"p": (2, 3, 1)}, {"p": (4, 8, 8, 3)}])
def theta_layout_figure(p: tuple[int, ...]) -> Figure:
    """theta as one vector: a strip with one coloured segment per block W_l, b_l."""
    layout = theta_layout(p)
    fig = style.figure(9, 2.0)
    ax = fig.add_subplot()
    for name, start, stop in layout:
        is_w = name[0] == "W"
        ax.barh(0, stop - start, left=start, color=WEIGHT_COLOUR if is_w else BIAS_COLOUR,
                hatch=None if is_w else BIAS_HATCH, edgecolor="white")
        if stop - start >= 0.03 * layout[-1][2]:  # label only the segments wide enough
            ax.text((start + stop) / 2, 0, f"${name[0]}_{{{name[2:]}}}$", ha="center",
                    va="center", fontsize=12, color="white",
                    bbox={"facecolor": WEIGHT_COLOUR if is_w else BIAS_COLOUR,
                          "edgecolor": "none", "pad": 1})
    ax.set_yticks([])
    ax.set_xlim(0, layout[-1][2])
    ax.set_xlabel("index in θ (0-based)")
    ax.set_title(f"θ for p = {list(p)}: dim(θ) = {dim_theta(p)}", fontsize=13)
    ax.barh(0, 0, color=WEIGHT_COLOUR, label="weights")
    ax.barh(0, 0, color=BIAS_COLOUR, hatch=BIAS_HATCH, edgecolor="white", label="biases")
    fig.legend(loc="outside right center")
    blocks = ", ".join(f"{name} at {start}..{stop - 1}" for name, start, stop in layout)
    text = (f"θ for p = {list(p)} as one vector of dim(θ) = {dim_theta(p)} entries, in packing "
            f"order (indices 0-based): {blocks}.")
    return style.describe(fig, text)


def per_example_losses(net: Network, X: Any, Y: Any) -> np.ndarray:
    """C_i(theta) for every row i of X (host float64 array); their mean is the training loss
    (1/n) sum_i C_i(theta) of the lecture."""
    X = net.check_x(X, "X")
    Y = net.check_y(Y, X, "Y")
    z, _ = net.feed_forward(X)
    return to_numpy(net.pair.C(z[-1], Y)).astype(np.float64)


@style.plot(examples=lambda: [{"losses": np.array([0.5, 1.5, 0.25, 2.0]), "n": 3},
                               {"losses": np.array([0.5, 1.5, 0.25, 2.0]), "n": 4}])
def training_loss_figure(losses: np.ndarray, n: int) -> Figure:
    """The first n per-example losses C_i as bars and their mean (1/n) sum_i C_i as a line."""
    losses = np.asarray(losses, dtype=np.float64)
    if not 1 <= n <= losses.shape[0]:
        raise ValueError(f"n: expected 1 <= n <= {losses.shape[0]}, got {n}")
    c = losses[:n]
    fig = style.figure(9, 3.6)
    ax = fig.add_subplot()
    ax.bar(np.arange(1, n + 1), c, color=style.GREY, label="$C_i(θ)$")
    ax.axhline(c.mean(), color=style.VERMILLION, lw=2, ls="--",
               label=rf"$\frac{{1}}{{n}}\sum_i C_i(θ)$ = {c.mean():.3f}")
    ax.set_xlabel("example $i$")
    ax.set_ylabel("loss")
    ax.set_title(f"training loss = mean of the per-example losses (n = {n})", fontsize=13)
    ax.legend()
    text = (f"Bars of the per-example losses C_i(θ) for i = 1..{n}, from {c.min():.3g} (example "
            f"{int(np.argmin(c)) + 1}) to {c.max():.3g} (example {int(np.argmax(c)) + 1}); the "
            f"dashed line is their mean, the training loss, {c.mean():.3f}.")
    return style.describe(fig, text)


def dim_theta_growth(width: int, max_depth: int) -> tuple[np.ndarray, np.ndarray]:
    """dim(theta) for L = 1..max_depth layers with p_0 = ... = p_L = width (index teaser)."""
    if width < 1 or max_depth < 1:
        raise ValueError(f"width, max_depth: expected positive integers, got {width}, {max_depth}")
    depths = np.arange(1, max_depth + 1)
    return depths, np.array([dim_theta([width] * (L + 1)) for L in depths])


@style.plot(examples=lambda: [{"width": 16, "depth": 3}, {"width": 256, "depth": 10}])
def dim_theta_growth_figure(width: int, depth: int) -> Figure:
    """dim(theta) = L (width^2 + width) against the number of layers L, current L marked."""
    depths, dims = dim_theta_growth(width, max(depth, 10))
    fig = style.figure(7, 3.6)
    ax = fig.add_subplot()
    ax.plot(depths, dims, label=f"$p_l$ = {width} for every layer", **style.series(0))
    ax.plot([depth], [dims[depth - 1]], ms=12, ls="none",
            label=f"L = {depth}: dim(θ) = {dims[depth - 1]:,}", **style.point(1))
    ax.set_xlabel("number of layers $L$")
    ax.set_ylabel("dim(θ)")
    ax.set_title("How many numbers back-propagation differentiates", fontsize=13)
    ax.legend()
    text = (f"dim(θ) = L(p² + p) against the number of layers L for width p = {width}: a "
            f"straight line through the origin, {dims[0]:,} per layer. Marked: L = {depth} "
            f"gives dim(θ) = {dims[depth - 1]:,}"
            + (f"; L = {depths[-1]} gives {dims[-1]:,}." if depth != depths[-1] else "."))
    return style.describe(fig, text)
