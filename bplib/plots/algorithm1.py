"""Notebook 04 (Algorithm 1, step by step): the state after each line, drawn.

Algorithm 1 (lecture) computes dC/dW_l and dC/db_l for one example (x, y) in eleven lines;
:func:`bplib.backprop.algorithm1_steps` yields after each of them. This module keeps a
snapshot of every step and draws one step at a time: the algorithm with the line just run
highlighted, above the network with only the quantities that line has just computed
written beside their nodes (one label per node), in the slide's 1-based indices.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from ..backend import to_numpy
from ..backprop import Step, algorithm1_steps
from ..network import Network
from . import style

#: The eleven lines of Algorithm 1 as on the slide (mathtext), with their indentation level.
ALGORITHM1_LINES: tuple[tuple[int, str], ...] = (
    (0, r"$a_0 \leftarrow x$"),
    (0, r"for $l = 1, \ldots, L$ do"),
    (1, r"$z_l \leftarrow W_l\, a_{l-1} + b_l$"),
    (1, r"$a_l \leftarrow S_l(z_l)$"),
    (0, r"$\delta_L \leftarrow (\partial S_L/\partial z_L)\,(\partial C/\partial g)$"),
    (0, r"$z_0 \leftarrow 0$"),
    (0, r"for $l = L, \ldots, 1$ do"),
    (1, r"$\partial C/\partial b_l \leftarrow \delta_l$"),
    (1, r"$\partial C/\partial W_l \leftarrow \delta_l\, a_{l-1}^\top$"),
    (1, r"$\delta_{l-1} \leftarrow S_{l-1}'(z_{l-1}) \odot W_l^\top \delta_l$"),
    (0, r"return $\partial C/\partial W_l,\ \partial C/\partial b_l$ ($l = 1, \ldots, L$) "
        r"and $g(x) = a_L$"),
)

FORWARD, BACKWARD, NEW = style.BLUE, style.VERMILLION, style.FILLS["highlight"]
EDGE = "#8A8A8A"  # weights the line does not use: thin grey (3.5:1 on white)
#: How the quantities a line computes are written beside a node (mathtext, unit i of layer l).
SYMBOLS = {"z": "z_{{{l},{i}}}", "a": "a_{{{l},{i}}}", "delta": r"\delta_{{{l},{i}}}",
           "db": r"\partial C/\partial b_{{{l},{i}}}"}


def snapshots(net: Network, x: Any, y: Any) -> list[Step]:
    """Run Algorithm 1 and keep the state after every line (one :class:`Step` per line run).

    ``algorithm1_steps`` yields the *same* lists z, a, delta, dW, db each time (it updates
    them as it goes), so each step's lists are copied here; the arrays inside are never
    modified in place by the algorithm, so a shallow copy is a faithful snapshot.
    """
    return [replace(s, z=list(s.z), a=list(s.a), delta=list(s.delta), dW=list(s.dW),
                    db=list(s.db)) for s in algorithm1_steps(net, x, y)]


def n_steps(L: int) -> int:
    """Lines run by Algorithm 1 for L layers: 1 + 3L (lines 1-4) + 2 (lines 5-6)
    + 3L + (L - 1) (lines 7-10, line 10 not for l = 1) + 1 (line 11) = 7L + 3."""
    return 7 * L + 3


def just_computed(step: Step, L: int) -> set[tuple[str, int]]:
    """What the step's line assigned: {(quantity, layer)} with quantity in z, a, delta, dW, db.

    Lines 2 and 7 (loop heads) and 11 (return) compute nothing.
    """
    l = step.l
    return {
        1: {("a", 0)},
        3: {("z", l)},
        4: {("a", l)},
        5: {("delta", L)},
        6: {("z", 0)},
        8: {("db", l)},
        9: {("dW", l)},
        10: {("delta", None if l is None else l - 1)},
    }.get(step.line, set())


def line_with_layer(line: int, l: int | None, L: int) -> str:
    """The slide's line ``line`` (mathtext) with the loop's l (and L) written as numbers."""
    if line in (2, 7):
        return f"loop: $l = {l}$"
    if line == 11:
        return r"return every $\partial C/\partial W_l$, $\partial C/\partial b_l$ and $g(x)$"
    text = ALGORITHM1_LINES[line - 1][1]
    if line in (5, 6, 1):
        return text.replace("_L", f"_{L}")
    m = l - 1
    return text.replace("{l-1}", f"{{{m}}}").replace("_l", f"_{l}")


def _fmt(v: float) -> str:
    return f"{v + 0.0:+.3f}".replace("-", "\u2212")  # + 0.0: no "-0.000"; a real minus sign


def _box(edge: str) -> dict:
    """Background of a value just computed: the highlight yellow with an edge in its colour
    (so the numbers stand out from the edges drawn underneath)."""
    return {"boxstyle": "round,pad=0.25", "facecolor": NEW, "edgecolor": edge, "lw": 1.0}


def _draw_algorithm(ax: Any, step: Step) -> None:
    """The eleven lines in two columns, feed-forward (1-4) and backward (5-11); the line the
    step ran on a yellow band with an amber edge, its number in bold."""
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(6.6, -1.45)
    columns = ((0.0, "feed-forward", range(1, 5)), (0.36, "backward", range(5, 12)))
    for x0, title, numbers in columns:
        ax.text(x0, -1.0, title, fontsize=11, weight="bold", va="center", color=style.GREY)
        for row, number in enumerate(numbers):
            indent, text = ALGORITHM1_LINES[number - 1]
            current = number == step.line
            if current:
                width = 0.34 if x0 == 0 else 0.6
                ax.add_patch(FancyBboxPatch((x0, row - 0.42), width, 0.84,
                                            boxstyle="round,pad=0.01", facecolor=NEW,
                                            edgecolor=style.AMBER, lw=1.5, gid="current-line"))
            ax.text(x0 + 0.005, row, f"{number:>2}", fontsize=11, va="center",
                    family="monospace", color=style.BLACK if current else style.GREY,
                    weight="bold" if current else "normal")
            ax.text(x0 + 0.045 + 0.035 * indent, row, text, fontsize=12, va="center",
                    weight="bold" if current else "normal")


def _node_positions(p: tuple[int, ...]) -> list[np.ndarray]:
    """y coordinates of the nodes of each layer, centred on 0, unit 1 on top."""
    return [np.arange(n)[::-1] * 1.0 - (n - 1) * 0.5 for n in p]


def _draw_network(ax: Any, step: Step, p: tuple[int, ...]) -> None:
    """Nodes and weights; beside each node only what the step's line has just computed."""
    L = len(p) - 1
    new = just_computed(step, L)
    ys = _node_positions(p)
    xs = np.arange(L + 1, dtype=float)
    top = max(p) * 0.5
    ax.axis("off")
    ax.set_xlim(-0.25, L + 0.9)
    ax.set_ylim(-top - 1.45, top + 0.95)
    # the loop variable of lines 2 and 7: a band around layer l
    if step.line in (2, 7):
        ax.add_patch(Rectangle((step.l - 0.22, -top - 0.05), 0.44, 2 * top + 0.1,
                               facecolor=style.FILLS["light grey"], edgecolor=style.GREY,
                               ls="--", lw=1.2, zorder=0))
        ax.text(step.l, -top - 0.3, f"$l = {step.l}$", ha="center", va="top", fontsize=12)
    # edges: W_l joins layer l-1 to layer l; the W_l the line uses is drawn thick
    for l in range(1, L + 1):
        uses = step.l == l and step.line in (3, 9, 10)
        colour = FORWARD if step.line == 3 else BACKWARD
        for y0 in ys[l - 1]:
            for y1 in ys[l]:
                ax.plot([xs[l - 1], xs[l]], [y0, y1], color=colour if uses else EDGE,
                        lw=2.4 if uses else 0.8, ls="-", zorder=1,
                        gid=f"W_{l}" + (" used" if uses else ""))
        ax.text((xs[l - 1] + xs[l]) / 2, top + 0.45, f"$W_{l}$", ha="center", va="center",
                fontsize=12, color=colour if uses else style.GREY,
                weight="bold" if uses else "normal")
    for l in range(L + 1):
        name = "input $x$" if l == 0 else ("output $g$" if l == L else "hidden")
        ax.text(xs[l], top + 0.45, f"layer {l}\n{name}", ha="center", va="center", fontsize=11)
        ax.scatter(np.full(len(ys[l]), xs[l]), ys[l], s=330, facecolor="white",
                   edgecolor="black", linewidth=1.2, zorder=2)
    # the values the line computed, one label per node
    for q, l in sorted(new, key=lambda t: t[0]):
        if q == "dW":
            continue
        vec = to_numpy(getattr(step, q)[l])
        colour = FORWARD if q in ("z", "a") else BACKWARD
        for i, (y, v) in enumerate(zip(ys[l], vec, strict=True), start=1):
            symbol = SYMBOLS[q].format(l=l, i=i)
            ax.annotate(f"${symbol}$ = {_fmt(float(v))}", (xs[l], y), xytext=(14, 0),
                        textcoords="offset points", va="center", ha="left", fontsize=11,
                        color=colour, bbox=_box(colour), zorder=4, gid="value")
    if step.line == 11:  # return: g(x) = a_L, and every gradient (listed in the caption)
        for k, (y, v) in enumerate(zip(ys[L], to_numpy(step.a[L]), strict=True), start=1):
            ax.annotate(f"$g_{k} = a_{{{L},{k}}}$ = {_fmt(float(v))}", (xs[L], y),
                        xytext=(14, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=11, color=FORWARD, bbox=_box(FORWARD), zorder=4, gid="value")
        ax.text(L / 2, -top - 0.85, r"and $\partial C/\partial W_l$, $\partial C/\partial b_l$"
                f" for $l = 1, \\ldots, {L}$ (computed at lines 8 and 9)", ha="center",
                va="center", fontsize=12, color=BACKWARD)
    if ("dW", step.l) in new:
        l = step.l
        dW = to_numpy(step.dW[l])
        rows = "\n".join("  ".join(_fmt(float(v)) for v in row) for row in dW)
        cx = (xs[l - 1] + xs[l]) / 2
        ax.text(cx - 0.55, -top - 0.85, f"$\\partial C/\\partial W_{l} = \\delta_{l}\\, "
                f"a_{l - 1}^\\top$ =", ha="right", va="center", fontsize=12, color=BACKWARD)
        ax.text(cx - 0.5, -top - 0.85, rows, ha="left", va="center", fontsize=11,
                family="monospace", color=BACKWARD, bbox=_box(BACKWARD), zorder=4, gid="value")


def _example_steps() -> list[dict[str, Any]]:
    net = Network.init((2, 3, 3, 2), hidden="tanh", output="softmax", seed=0)
    steps = snapshots(net, np.array([1.0, -2.0]), 1)
    return [{"steps": steps, "k": k, "p": net.p} for k in (1, 3, 16, len(steps))]


def _values(v: Any) -> str:
    return "(" + ", ".join(f"{float(t) + 0.0:+.3f}" for t in np.ravel(to_numpy(v))) + ")"


def step_description(step: Step, k: int, n: int, p: tuple[int, ...]) -> str:
    """What step k shows, in words and numbers: the line, the values it computed."""
    L = len(p) - 1
    where = f" with l = {step.l}" if step.line in (2, 3, 4, 7, 8, 9, 10) else ""
    text = (f"Algorithm 1, step {k} of {n}, on a network with widths p = {tuple(p)}: line "
            f"{step.line}{where} ({step.text}).")
    names = {"z": "z", "a": "a", "delta": "δ", "dW": "∂C/∂W", "db": "∂C/∂b"}
    new = sorted(just_computed(step, L), key=lambda t: (t[0], t[1] if t[1] is not None else -1))
    parts = [f"{names[q]}_{l} = {_values(getattr(step, q)[l])}" for q, l in new
             if getattr(step, q)[l] is not None]
    if parts:
        text += " It computed " + "; ".join(parts) + "."
        if step.line == 9:
            text += " (the matrix row by row)"
    elif step.line == 11:
        norms = ", ".join(f"‖∂C/∂W_{l}‖ = {np.linalg.norm(to_numpy(step.dW[l])):.3g}"
                          for l in range(1, L + 1))
        text += (f" It returns g(x) = a_{L} = {_values(step.a[L])} and every gradient: "
                 f"{norms}.")
    else:
        text += f" This line only sets the loop's layer to l = {step.l}."
    return text


@style.plot(examples=_example_steps)
def step_figure(steps: list[Step], k: int, p: tuple[int, ...]) -> Figure:
    """Step k (1-based) of Algorithm 1: the algorithm with the line ``steps[k-1].line``
    highlighted (top) and the network (bottom) with only what that line computed: z_l, a_l
    in blue (forward), delta_l and the gradients in vermillion (backward), on yellow, one
    label per node (the slide's 1-based indices); the weights the line uses drawn thick."""
    if not 1 <= k <= len(steps):
        raise ValueError(f"k: expected a step 1..{len(steps)}, got {k}")
    step = steps[k - 1]
    L = len(p) - 1
    fig = style.figure(9.25, 6.4)
    top, bottom = fig.subplots(2, 1, height_ratios=[1.0, 1.55])
    _draw_algorithm(top, step)
    _draw_network(bottom, step, tuple(p))
    fig.suptitle(f"Step {k} of {len(steps)} · line {step.line}:  "
                 f"{line_with_layer(step.line, step.l, L)}", fontsize=14)
    return style.describe(fig, step_description(step, k, len(steps), tuple(p)))
