"""Notebooks 00 and 01 (gradient computations): theta as one vector, dim(theta), the
training loss, and what one gradient costs.

Lecture: all weights and biases are stacked into one parameter vector theta, of dimension

    dim(theta) = sum_{l=1}^{L} (p_{l-1} p_l + p_l)    (weights plus biases),

packed layer by layer, each W_l row by row (row-major, NumPy's default layout; this is not
vec(W_l), which stacks columns) and then b_l. The training loss is the mean of the
per-example losses, (1/n) sum_{i=1}^{n} C_i(theta). The functions here compute those
quantities and draw them; the notebooks wrap them in widgets.
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
    right.set_title(f"per layer: weights are {n_w / (n_w + n_b):.1%} of θ", fontsize=13)
    right.set_ylim(0, 1.35 * float((w + b).max()))  # room for the legend above the bars
    right.legend()
    per_layer = "; ".join(f"layer {c.l}: {c.weights:,} weights + {c.biases:,} "
                          f"{'bias' if c.biases == 1 else 'biases'}" for c in counts)
    text = (f"dim(θ) = {n_w + n_b:,} for layer widths p = {list(p)}: {n_w:,} weights and "
            f"{n_b:,} biases. Bars per layer: {per_layer}.")
    return style.describe(fig, text)


def theta_layout(p: tuple[int, ...]) -> list[tuple[str, int, int]]:
    """Where each block sits in theta: [(name, start, stop), ...] in packing order
    W_1, b_1, ..., W_L, b_L, with W_l stored row by row (row-major: NumPy's default layout),
    so entry (i, j) of W_l (1-based) is theta[start + (i - 1) p_{l-1} + (j - 1)] in code.
    Slices are 0-based, as in code; the math's theta_k is theta[k - 1]."""
    return [(name, sl.start, sl.stop) for name, sl, _ in theta_blocks(p)]


def theta_entries(p: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """Every entry of theta in packing order, as (block, 1-based index): ("W_1", (1, 1)),
    ("W_1", (1, 2)), ..., ("b_1", (1,)), ... (rows of W_l one after the other)."""
    entries = []
    for name, _, shape in theta_blocks(p):
        entries += [(name, tuple(int(k) + 1 for k in idx)) for idx in np.ndindex(*shape)]
    return entries


DETAIL_MAX = 24  # up to this dim(theta) the strip labels every entry with its (i, j)


def _block_tex(name: str) -> str:
    return f"${name[0]}_{{{name[2:]}}}$"


@style.plot(examples=lambda: [{"p": (2, 3, 1)}, {"p": (2, 3, 2)}, {"p": (4, 8, 8, 3)}])
def theta_layout_figure(p: tuple[int, ...]) -> Figure:
    """theta as one strip: W_1 row by row, b_1, W_2 row by row, b_2, ... For a small
    network every entry is drawn with its 1-based (i, j), so the row-major order shows."""
    p = tuple(int(v) for v in p)
    layout = theta_layout(p)
    dim = layout[-1][2]
    detail = dim <= DETAIL_MAX
    fig = style.figure(9, 3.0 if detail else 2.0)
    ax = fig.add_subplot()
    entries = theta_entries(p)
    for name, start, stop in layout:
        is_w = name[0] == "W"
        colour = WEIGHT_COLOUR if is_w else BIAS_COLOUR
        if detail:
            for k in range(start, stop):
                ax.barh(0, 1, left=k + 0.5, color=colour, hatch=None if is_w else BIAS_HATCH,
                        edgecolor="white")
                ax.text(k + 1, 0, ",".join(map(str, entries[k][1])), ha="center",
                        va="center", fontsize=10, color="white",
                        bbox={"facecolor": colour, "edgecolor": "none", "pad": 2})
            if is_w:  # bracket each row of W_l: the rows follow one another (row-major)
                cols = next(shape[1] for n, _, shape in theta_blocks(p) if n == name)
                for r, row_start in enumerate(range(start, stop, cols), start=1):
                    ax.plot([row_start + 0.6, row_start + cols + 0.4], [0.5, 0.5],
                            color=style.GREY, lw=1.5, ls="-", gid="decoration")
                    ax.text(row_start + cols / 2 + 0.5, 0.55, f"row {r}", ha="center",
                            va="bottom", fontsize=10, color=style.GREY)
            ax.text((start + stop) / 2 + 0.5, 0.9, _block_tex(name), ha="center",
                    va="bottom", fontsize=12, color=colour)
        else:
            ax.barh(0, stop - start, left=start + 0.5, color=colour,
                    hatch=None if is_w else BIAS_HATCH, edgecolor="white")
            if stop - start >= 0.03 * dim:  # label only the segments wide enough
                ax.text((start + stop) / 2 + 0.5, 0, _block_tex(name), ha="center",
                        va="center", fontsize=12, color="white",
                        bbox={"facecolor": colour, "edgecolor": "none", "pad": 1})
    ax.set_yticks([])
    ax.set_xlim(0.5, dim + 0.5)
    ax.set_ylim(-0.5, 1.25 if detail else 0.5)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if detail:
        ax.set_xticks(range(1, dim + 1))
    ax.set_xlabel("position $k$ of the entry $\\theta_k$ (code: theta[k - 1])")
    ax.set_title(f"θ for p = {list(p)}: each $W_l$ row by row, then $b_l$; dim(θ) = {dim}",
                 fontsize=13)
    ax.barh(0, 0, color=WEIGHT_COLOUR, label="weights: entry (i, j) of $W_l$")
    ax.barh(0, 0, color=BIAS_COLOUR, hatch=BIAS_HATCH, edgecolor="white",
            label="biases: entry i of $b_l$")
    fig.legend(loc="outside lower center", ncols=2)
    blocks = "; ".join(f"{name} ({'by'.join(map(str, shape)).replace('by', ' by ')}) in "
                       f"θ_{sl.start + 1}..θ_{sl.stop}" for name, sl, shape in theta_blocks(p))
    first_w = ", ".join(f"({i},{j})" for _, (i, j) in entries[:min(4, layout[0][2])])
    text = (f"θ for p = {list(p)} as one vector of dim(θ) = {dim} entries θ_1..θ_{dim}, "
            f"packed layer by layer, each W_l row by row (row-major) and then b_l: {blocks}. "
            f"W_1 starts with its entries {first_w}, so a whole row comes before the next "
            f"row; this is not vec(W_l), which would stack columns.")
    return style.describe(fig, text)


def per_example_losses(net: Network, X: Any, Y: Any) -> np.ndarray:
    """C_i(theta) for every row i of X (host float64 array); their mean is the training loss
    (1/n) sum_i C_i(theta) of the lecture."""
    X = net.check_x(X, "X")
    Y = net.check_y(Y, X, "Y")
    z, _ = net.feed_forward(X)
    return to_numpy(net.pair.C(z[-1], Y)).astype(np.float64)


def running_mean(losses: np.ndarray) -> np.ndarray:
    """(1/m) sum_{i=1}^{m} C_i for m = 1, ..., n: the training loss of the first m examples."""
    losses = np.asarray(losses, dtype=np.float64)
    return np.cumsum(losses) / np.arange(1, losses.shape[0] + 1)


@style.plot(examples=lambda: [{"losses": np.array([0.5, 1.5, 0.25, 2.0]), "n": 3},
                               {"losses": np.array([0.5, 1.5, 0.25, 2.0]), "n": 4}])
def training_loss_figure(losses: np.ndarray, n: int) -> Figure:
    """The first n per-example losses C_i as bars, their mean (1/n) sum_i C_i (the training
    loss, dashed) and the running mean (1/m) sum_{i<=m} C_i for m = 1..n (line)."""
    losses = np.asarray(losses, dtype=np.float64)
    if not 1 <= n <= losses.shape[0]:
        raise ValueError(f"n: expected 1 <= n <= {losses.shape[0]}, got {n}")
    c = losses[:n]
    i = np.arange(1, n + 1)
    run = running_mean(c)
    fig = style.figure(9, 4.0)
    ax = fig.add_subplot()
    ax.bar(i, c, color=style.GREY, width=0.7, label="$C_i(θ)$, the loss on example $i$")
    ax.plot(i, run, label=r"running mean $\frac{1}{m}\sum_{i=1}^{m} C_i(θ)$",
            **style.series(0, ms=5))
    ax.axhline(c.mean(), color=style.VERMILLION, lw=2, ls="--",
               label=rf"training loss $\frac{{1}}{{n}}\sum_{{i=1}}^{{n}} C_i(θ)$ = {c.mean():.3f}")
    ax.set_xlabel("example $i$ (for the running mean: the first $m = i$ examples)")
    ax.set_ylabel("loss (nats)")
    ax.set_xlim(0.4, max(n, 5) + 0.6)
    ax.set_ylim(0, 1.08 * max(float(c.max()), 1e-12))
    ax.set_title(f"The training loss is the mean of the n = {n} per-example losses",
                 fontsize=13)
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(t) for t in sorted(labels, key=lambda t: not t.startswith("$C"))]
    fig.legend([handles[k] for k in order], [labels[k] for k in order],
               loc="outside lower center", ncols=3)
    half = (n + 1) // 2
    text = (f"Bars of the per-example losses C_i(θ) for i = 1..{n}, from {c.min():.3g} "
            f"(example {int(np.argmin(c)) + 1}) to {c.max():.3g} (example "
            f"{int(np.argmax(c)) + 1}); the dashed line is their mean, the training loss, "
            f"{c.mean():.3f}. The running mean of the first m losses is {run[0]:.3g} at m = 1, "
            f"{run[half - 1]:.3g} at m = {half} and {run[-1]:.3g} at m = {n}"
            + (f"; one example moves it by up to {np.abs(np.diff(run[:half])).max():.3g} "
               f"in the first half and by up to {np.abs(np.diff(run[half - 1:])).max():.3g} "
               f"in the second: each new example weighs 1/m." if n >= 4 else "."))
    return style.describe(fig, text)


@dataclass(frozen=True)
class GradientCost:
    """Multiply-adds to get the gradient of one example's loss C(theta) for widths p.

    Only the products with W_l count (p_l p_{l-1} each); element-wise work (adding b_l,
    S_l, the ⊙ of line 10) is O(p_0 + ... + p_L) and left out.
    """

    p: tuple[int, ...]
    dim_theta: int
    forward: int  # one feed-forward: W_l a_{l-1} for l = 1..L (line 3 of Algorithm 1)
    backprop: int  # Algorithm 1: line 3, line 9 (delta_l a_{l-1}^T), line 10 (W_l^T delta_l)
    finite_differences: int  # central differences: 2 dim(theta) feed-forwards

    @property
    def ratio(self) -> float:
        """How many times more work central differences need than back-propagation."""
        return self.finite_differences / self.backprop


def gradient_cost(p: tuple[int, ...]) -> GradientCost:
    """The multiply-adds of one gradient by back-propagation (Algorithm 1) and by central
    differences (C(theta + h e_k) and C(theta - h e_k) for every k = 1..dim(theta)).

    Algorithm 1: line 3 costs p_l p_{l-1} per layer (the feed-forward, F = sum_l p_l p_{l-1}
    in all), line 9 p_l p_{l-1}, line 10 p_l p_{l-1} for l = L..2: 3F - p_1 p_0 in all.
    """
    counts = layer_counts(tuple(p))
    forward = sum(c.weights for c in counts)
    dim = dim_theta(p)
    return GradientCost(tuple(p), dim, forward, 3 * forward - counts[0].weights,
                        2 * dim * forward)


@style.plot(examples=lambda: [{"width": 16, "depth": 3}, {"width": 256, "depth": 10}])
def gradient_cost_figure(width: int, depth: int) -> Figure:
    """The work for one gradient against the number of layers L (every width p): central
    differences (2 dim(theta) feed-forwards) against back-propagation (about 3 feed-forwards).
    """
    depths = np.arange(1, max(depth, 10) + 1)
    costs = [gradient_cost((width,) * (L + 1)) for L in depths]
    fd = np.array([c.finite_differences for c in costs], dtype=np.float64)
    bp = np.array([c.backprop for c in costs], dtype=np.float64)
    now = costs[depth - 1]
    fig = style.figure(8, 4.2)
    ax = fig.add_subplot()
    ax.semilogy(depths, fd, label="finite differences", **style.series(1))
    ax.semilogy(depths, bp, label="back-propagation", **style.series(0))
    style.label_lines(ax)
    ax.plot([depth, depth], [now.backprop, now.finite_differences], color=style.GREY, lw=1.5,
            ls="-", marker="_", ms=12, gid="decoration")
    ax.annotate(f"× {now.ratio:,.0f}", (depth, np.sqrt(now.backprop *
                now.finite_differences)), xytext=(6, 0), textcoords="offset points",
                va="center", fontsize=11, color=style.BLACK)
    ax.set_xlabel(f"number of layers $L$ (every layer {width} wide)")
    ax.set_ylabel("multiply-adds for one gradient")
    ax.set_xticks(depths)
    ax.set_xlim(0.5, depths[-1] + 2.8)
    ax.set_title(f"One gradient, dim(θ) = {now.dim_theta:,} entries: finite differences cost "
                 f"{now.ratio:,.0f} times back-propagation", fontsize=12)
    text = (f"Multiply-adds to compute the gradient of one example's loss, log scale, against "
            f"the number of layers L, every layer {width} wide. At L = {depth}, dim(θ) = "
            f"{now.dim_theta:,}: back-propagation needs {now.backprop:,} (about three "
            f"feed-forwards of {now.forward:,}), central finite differences "
            f"{now.finite_differences:,} (two feed-forwards per entry of θ), "
            f"{now.ratio:,.0f} times more. The gap grows with dim(θ): at "
            f"L = {depths[-1]} it is {costs[-1].ratio:,.0f} times.")
    return style.describe(fig, text)
