"""Notebook 04 (Algorithm 1, step by step): the state after each line, drawn.

Algorithm 1 (lecture) computes dC/dW_l and dC/db_l for one example (x, y) in eleven lines;
:func:`bplib.backprop.algorithm1_steps` yields after each of them. This module keeps a
snapshot of every step and draws it: the algorithm's text with the current line
highlighted, next to the network (nodes per layer) annotated with the values known so far,
the ones the line has just computed in bold.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

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
    (0, r"$\delta_L \leftarrow \frac{\partial S_L}{\partial z_L}\,"
        r"\frac{\partial C}{\partial g}$"),
    (0, r"$z_0 \leftarrow 0$"),
    (0, r"for $l = L, \ldots, 1$ do"),
    (1, r"$\partial C/\partial b_l \leftarrow \delta_l$"),
    (1, r"$\partial C/\partial W_l \leftarrow \delta_l\, a_{l-1}^\top$"),
    (1, r"$\delta_{l-1} \leftarrow S_{l-1}'(z_{l-1}) \odot W_l^\top \delta_l$"),
    (0, r"return $\partial C/\partial W_l,\ \partial C/\partial b_l$ ($l = 1..L$), "
        r"$g(x) = a_L$"),
)

FORWARD, BACKWARD, NEW = style.BLUE, style.VERMILLION, style.FILLS["highlight"]
EDGE = "#8A8A8A"  # weights the line does not use: thin grey (3.5:1 on white)


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


def _fmt(v: float) -> str:
    return f"{v + 0.0:+.3f}"  # + 0.0 turns -0.0 (z_0 = 0 * x for x < 0) into 0.0


def _box(is_new: bool) -> dict:
    """Text background: yellow for the values the line just computed, else white (so the
    edges drawn underneath do not cross the numbers)."""
    return {"facecolor": NEW if is_new else "white", "edgecolor": "none", "pad": 1,
            "alpha": 1.0 if is_new else 0.85}


def _draw_algorithm(ax: Any, step: Step) -> None:
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(len(ALGORITHM1_LINES) + 0.5, -1.2)
    ax.text(0.0, -0.8, "Algorithm 1 (one example)", fontsize=12, weight="bold")
    for i, (indent, text) in enumerate(ALGORITHM1_LINES):
        number = i + 1
        if number == step.line:
            ax.add_patch(FancyBboxPatch((0.0, i - 0.45), 1.0, 0.9, boxstyle="round,pad=0.02",
                                        facecolor=NEW, edgecolor=style.AMBER, lw=1.5))
        ax.text(0.02, i, f"{number:>2}", fontsize=10, va="center", family="monospace",
                color=style.GREY)
        ax.text(0.08 + 0.06 * indent, i, text, fontsize=11, va="center",
                weight="bold" if number == step.line else "normal")


def _node_positions(p: tuple[int, ...]) -> list[np.ndarray]:
    """y coordinates of the nodes of each layer, centred on 0, top node first."""
    return [np.arange(n)[::-1] * 1.6 - (n - 1) * 0.8 for n in p]


def _draw_network(ax: Any, step: Step, p: tuple[int, ...]) -> None:
    L = len(p) - 1
    new = just_computed(step, L)
    ys = _node_positions(p)
    xs = np.arange(L + 1) * 3.2
    ax.axis("off")
    top = max(p) * 0.8 + 0.6
    ax.set_xlim(-0.8, xs[-1] + 2.8)
    ax.set_ylim(-top - 3.6, top + 0.4)
    # edges: W_l connects layer l-1 to layer l; highlight the W_l the line uses
    for l in range(1, L + 1):
        uses_W = step.l == l and step.line in (3, 9, 10)
        colour = {3: FORWARD, 9: BACKWARD, 10: BACKWARD}.get(step.line, EDGE)
        for y0 in ys[l - 1]:
            for y1 in ys[l]:
                ax.plot([xs[l - 1], xs[l]], [y0, y1], color=colour if uses_W else EDGE,
                        lw=2.0 if uses_W else 0.8, ls="-", zorder=1)
        ax.text((xs[l - 1] + xs[l]) / 2, top, f"$W_{l}$", ha="center", fontsize=11,
                color=colour if uses_W else style.GREY)
    for l in range(L + 1):
        name = "input $x$" if l == 0 else ("output" if l == L else "hidden")
        ax.text(xs[l], -top + 0.1, f"layer {l}\n{name}", ha="center", va="top", fontsize=10)
        ax.scatter(np.full(len(ys[l]), xs[l]), ys[l], s=520, facecolor="white",
                   edgecolor="black", linewidth=1.2, zorder=2)
        for j, y in enumerate(ys[l]):
            ax.text(xs[l], y, f"{j + 1}", ha="center", va="center", fontsize=10, zorder=3)
            rows = []
            for q, sym, colour in (("z", "z", FORWARD), ("a", "a", FORWARD),
                                   ("delta", "δ", BACKWARD)):
                vec = getattr(step, q)[l]
                if vec is not None:  # z_0 appears once line 6 sets it
                    rows.append((f"{sym} {_fmt(float(to_numpy(vec)[j]))}", colour,
                                 (q, l) in new))
            for r, (text, colour, is_new) in enumerate(rows):
                ax.text(xs[l] + 0.42, y + 0.5 - 0.5 * r, text, fontsize=10, va="center",
                        color=colour, family="monospace", weight="bold" if is_new else "normal",
                        bbox=_box(is_new), zorder=4)
    # gradients, under the weights W_l they belong to
    for l in range(1, L + 1):
        lines, is_new = [], False
        if step.db[l] is not None:
            lines.append(f"∂C/∂b_{l} = δ_{l}")
            is_new |= ("db", l) in new
        if step.dW[l] is not None:
            lines.append(f"∂C/∂W_{l} =")
            lines += [" ".join(_fmt(v) for v in row) for row in to_numpy(step.dW[l])]
            is_new |= ("dW", l) in new
        if lines:
            ax.text((xs[l - 1] + xs[l]) / 2, -top - 0.5, "\n".join(lines), ha="center",
                    va="top", fontsize=10, family="monospace", color=BACKWARD,
                    weight="bold" if is_new else "normal", bbox=_box(is_new))


def _example_steps() -> list[dict[str, Any]]:
    net = Network.init((2, 3, 3, 2), hidden="tanh", output="softmax", seed=0)
    steps = snapshots(net, np.array([1.0, -2.0]), 1)
    return [{"steps": steps, "k": k, "p": net.p} for k in (3, 11, len(steps))]


def _values(v: Any) -> str:
    return "(" + ", ".join(_fmt(float(t)) for t in np.ravel(to_numpy(v))) + ")"


def step_description(step: Step, k: int, n: int, p: tuple[int, ...]) -> str:
    """What step k shows, in words and numbers: the line, the values it computed."""
    L = len(p) - 1
    text = f"Algorithm 1, step {k} of {n}, on a network with widths p = {tuple(p)}: line " \
           f"{step.line} ({step.text})."
    names = {"z": "z", "a": "a", "delta": "δ", "dW": "∂C/∂W", "db": "∂C/∂b"}
    new = sorted(just_computed(step, L), key=lambda t: (t[0], t[1] if t[1] is not None else -1))
    parts = [f"{names[q]}_{l} = {_values(getattr(step, q)[l])}" for q, l in new
             if getattr(step, q)[l] is not None]
    if parts:
        text += " It computed " + "; ".join(parts) + "."
    elif step.line == 11:
        norms = ", ".join(f"‖∂C/∂W_{l}‖ = {np.linalg.norm(to_numpy(step.dW[l])):.3g}"
                          for l in range(1, L + 1))
        text += f" All gradients are known: {norms}."
    else:
        text += " This line only starts a loop."
    return text


@style.plot(examples=_example_steps)
def step_figure(steps: list[Step], k: int, p: tuple[int, ...]) -> Figure:
    """Step k (1-based) of Algorithm 1: the algorithm with line ``steps[k-1].line``
    highlighted (top) and the network with every value known after that line (bottom);
    z_l, a_l in blue (forward), delta_l and the gradients in vermillion (backward), the
    values the line has just computed in bold on a yellow background."""
    if not 1 <= k <= len(steps):
        raise ValueError(f"k: expected a step 1..{len(steps)}, got {k}")
    step = steps[k - 1]
    fig = style.figure(9.25, 8.6)
    left, right = fig.subplots(2, 1, height_ratios=[1, 1.45])
    _draw_algorithm(left, step)
    _draw_network(right, step, tuple(p))
    fig.suptitle(f"step {k}/{len(steps)} · line {step.line}: {step.text}", fontsize=13)
    return style.describe(fig, step_description(step, k, len(steps), tuple(p)))
