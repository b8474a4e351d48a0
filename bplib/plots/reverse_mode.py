"""Notebook 12 (back-propagation is reverse-mode differentiation): the scalar graph of a
network drawn, its backward sweep node by node, the sum over paths, and the cost of reverse
against forward mode.

The graph is :func:`bplib.autodiff.network_graph`'s: one :class:`~bplib.autodiff.Value` per
scalar operation of Algorithm 1's feed-forward and of the loss. This module adds what a
drawing and a lesson need and the engine does not keep:

- :func:`node_names`: the lecture's name of each node that has one (x_j, W_{l,ij}, b_{l,i},
  z_{l,i}, a_{l,i}, g_k, C; 1-based), from the Graph's layer-indexed lists;
- :func:`backward_sweep`: ``Value.backward`` replayed one node at a time, recording what
  each node passes to its children (the same loop, the same order: the tests check that
  the last step equals ``C.backward()``);
- :func:`paths`: every path from C down to a node with the product of its local
  derivatives (their sum is the node's grad: the chain rule summed over paths);
- :func:`mode_costs`: operation counts of reverse and forward mode, read off the graph
  (:func:`bplib.autodiff.graph_size`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..autodiff import Graph, Value, graph_size, network_graph, topological_order
from ..network import Network, dim_theta
from . import style
from .by_hand import num, tiny_network

FORWARD, BACKWARD, NEW = style.BLUE, style.VERMILLION, style.FILLS["highlight"]
EDGE = "#8A8A8A"  # graph edges: thin grey (3.5:1 on white)

#: How each operation is written in a node.
OP_SYMBOL = {"*": "×", "+": "+", "-": "−", "**2": "( )²", "relu": "ReLU", "logistic": "σ",
             "tanh": "tanh", "exp": "exp", "log": "log", "/": "÷", "neg": "−( )"}
#: ... and in words.
OP_WORDS = {"*": "product", "+": "sum", "-": "difference", "**2": "square", "relu": "ReLU",
            "logistic": "logistic", "tanh": "tanh", "exp": "exp", "log": "log",
            "/": "quotient", "neg": "negation"}


def _op_words(v: Value) -> str:
    return f"a {OP_WORDS.get(v.op, v.op)} node ({OP_SYMBOL.get(v.op, v.op)})"


def tiny_graph() -> Graph:
    """The graph of notebook 11's 2-2-2 network and example (:func:`tiny_network`)."""
    return network_graph(*tiny_network())


# --- names ----------------------------------------------------------------------------------
def node_names(graph: Graph) -> dict[int, str]:
    """{id(node): name} in the slide's 1-based indices (mathtext) for the named nodes: the
    input x_j, parameters W_{l,ij}, b_{l,i}, pre-activations z_{l,i}, activations a_{l,i}
    (g_k for the output layer; an identity activation adds no node, so there a_{l,i} is
    the z_{l,i} node and keeps that name) and the loss C."""
    names: dict[int, str] = {}
    L = len(graph.W) - 1
    for j, v in enumerate(graph.a[0], start=1):
        names[id(v)] = f"x_{j}"
    for l in range(1, L + 1):
        for i, row in enumerate(graph.W[l], start=1):
            for j, v in enumerate(row, start=1):
                names[id(v)] = f"W_{{{l},{i}{j}}}"
        for i, v in enumerate(graph.b[l], start=1):
            names[id(v)] = f"b_{{{l},{i}}}"
        for i, v in enumerate(graph.z[l], start=1):
            names[id(v)] = f"z_{{{l},{i}}}"
        for i, v in enumerate(graph.a[l], start=1):
            if isinstance(v, Value) and id(v) not in names:  # identity: a_l is the z node
                names[id(v)] = f"g_{i}" if l == L else f"a_{{{l},{i}}}"
    names[id(graph.C)] = "C"
    return names


def parents(root: Value) -> dict[int, list[Value]]:
    """{id(node): the nodes computed from it}: the graph's edges read upwards."""
    up: dict[int, list[Value]] = {id(v): [] for v in topological_order(root)}
    for v in topological_order(root):
        for child, _ in v.children:
            up[id(child)].append(v)
    return up


# --- the backward sweep, node by node -------------------------------------------------------
@dataclass
class SweepStep:
    """One node of the backward sweep: it passes grad(node) * d(node)/d(child) to each child.

    ``grads`` holds every node's grad after this step (sums so far), by id."""

    node: Value
    passed: list[tuple[Value, float, float]]  # (child, local derivative, amount added)
    grads: dict[int, float]


def backward_sweep(root: Value) -> list[SweepStep]:
    """``root.backward()`` one node at a time: grad(root) = 1; then, for every node that was
    computed by an operation, in reverse topological order, add grad(node) * local to each
    child's grad. Leaves pass nothing and are skipped. Does not change the nodes' ``grad``."""
    order = topological_order(root)
    grads = {id(v): 0.0 for v in order}
    grads[id(root)] = 1.0
    steps = []
    for v in reversed(order):
        if not v.children:
            continue
        passed = []
        for child, local in v.children:
            amount = grads[id(v)] * local
            grads[id(child)] += amount
            passed.append((child, local, amount))
        steps.append(SweepStep(v, passed, dict(grads)))
    return steps


def finished(root: Value, k: int) -> set[int]:
    """Ids of the nodes whose grad is complete after k steps of :func:`backward_sweep`:
    the root, and every node all of whose parents have passed their grad on."""
    done = {id(s.node) for s in backward_sweep(root)[:k]}
    up = parents(root)
    return {i for i, ps in up.items() if all(id(p) in done for p in ps)}


# --- the chain rule as a sum over paths -----------------------------------------------------
class Path(NamedTuple):
    """One path from the root down to a node: its nodes, the local derivative of each edge
    (d(upper)/d(lower)) and their product."""

    nodes: list[Value]
    locals: list[float]
    product: float


def paths(root: Value, node: Value) -> list[Path]:
    """Every path root -> ... -> node down the graph, edge by edge (a * a has two edges to
    a, so two paths), with the product of the local derivatives along it. Their sum is
    dC/d(node), the node's grad after ``root.backward()``. (Exponentially many in deep
    networks: for small graphs only; :func:`count_paths` counts them.)"""
    found: list[Path] = []
    stack: list[Path] = [Path([root], [], 1.0)]
    while stack:
        path = stack.pop()
        v = path.nodes[-1]
        if v is node:
            found.append(path)
            continue
        for child, local in reversed(v.children):
            stack.append(Path([*path.nodes, child], [*path.locals, local],
                              path.product * local))
    return found


def path_text(path: Path, names: dict[int, str]) -> str:
    """A :class:`Path` in words: the nodes from the root down (their names, or their
    operation in parentheses) with the local derivative of each edge between them,
    e.g. "C ·1 (square) ·1 (difference) ·1 z_2,1 ..."."""

    def name(v: Value) -> str:
        return _plain(names[id(v)]) if id(v) in names else f"({OP_WORDS.get(v.op, v.op)})"

    parts = [name(path.nodes[0])]
    for local, lower in zip(path.locals, path.nodes[1:], strict=True):
        parts += [f"·{num(local)}", name(lower)]
    return " ".join(parts)


def count_paths(root: Value, node: Value) -> int:
    """The number of paths root -> node, by dynamic programming over the topological order
    (the count reverse mode never enumerates: it visits each edge once)."""
    order = topological_order(root)
    n = {id(v): 0 for v in order}
    n[id(root)] = 1
    for v in reversed(order):
        for child, _ in v.children:
            n[id(child)] += n[id(v)]
    return n[id(node)]


# --- costs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModeCost:
    """Work for the whole gradient of one example on a network of widths ``p``.

    Reverse mode: one forward pass (``operations`` node evaluations, each with its local
    derivatives) and one backward sweep (``operations`` node visits, ``edges`` multiply-adds).
    Forward mode: one pass per parameter, each evaluating every operation and propagating
    one derivative through every edge (``edges`` multiply-adds), dim(theta) passes in all.
    """

    p: tuple[int, ...]
    dim_theta: int
    nodes: int
    operations: int
    edges: int

    @property
    def reverse_visits(self) -> int:  # forward pass + backward sweep
        return 2 * self.operations

    @property
    def forward_visits(self) -> int:  # dim(theta) forward passes
        return self.dim_theta * self.operations

    @property
    def reverse_multiply_adds(self) -> int:  # one per edge in the backward sweep
        return self.edges

    @property
    def forward_multiply_adds(self) -> int:  # one per edge in each of the dim(theta) passes
        return self.dim_theta * self.edges


def example_network(p: tuple[int, ...]) -> tuple[Network, np.ndarray, np.ndarray]:
    """A ReLU network with widths p (identity output, squared error, seed 0) and an example
    (x evenly spaced in [1, 2], y = 0): the networks the cost counts are read from."""
    net = Network.init(p, hidden="relu", output="identity", seed=0)
    return net, np.linspace(1.0, 2.0, p[0]), np.zeros(p[-1])


@functools.lru_cache(maxsize=256)
def mode_cost(p: tuple[int, ...]) -> ModeCost:
    """:class:`ModeCost` of a ReLU network with widths p (identity output, squared error),
    counted on its graph (the counts depend on p only, not on the numbers)."""
    size = graph_size(network_graph(*example_network(tuple(p))).C)
    return ModeCost(tuple(p), dim_theta(p), size.nodes, size.operations, size.edges)


def mode_costs(widths: Any, p0: int = 2, pL: int = 2) -> list[ModeCost]:
    """:func:`mode_cost` of the networks (p0, p_1, pL) for each hidden width p_1 in widths."""
    return [mode_cost((p0, int(w), pL)) for w in widths]


# --- figures --------------------------------------------------------------------------------
def _tex(name: str) -> str:
    return f"${name}$"


def layout(root: Value) -> dict[int, tuple[float, float]]:
    """(column, row) of every node: operations in the column of their longest path from
    the leaves, each leaf one column left of its first use, the output at the right; rows
    ordered within a column by the mean row of the nodes that use them (few crossings)."""
    order = topological_order(root)
    up = parents(root)
    depth: dict[int, int] = {}
    for v in order:  # children come first
        depth[id(v)] = 1 + max((depth[id(c)] for c, _ in v.children), default=-1)
    for v in order:
        if not v.children and up[id(v)]:
            depth[id(v)] = min(depth[id(p)] for p in up[id(v)]) - 1
    columns: dict[int, list[Value]] = {}
    for v in order:
        columns.setdefault(depth[id(v)], []).append(v)
    pos: dict[int, tuple[float, float]] = {}
    rank = {id(v): k for k, v in enumerate(order)}
    for c in sorted(columns, reverse=True):
        nodes = columns[c]
        key = {id(v): (np.mean([pos[id(p)][1] for p in up[id(v)]]) if up[id(v)] else 0.0,
                       rank[id(v)]) for v in nodes}
        nodes.sort(key=lambda v: key[id(v)], reverse=True)
        for r, v in enumerate(nodes):
            pos[id(v)] = (float(c), (len(nodes) - 1) / 2 - r)
    return pos


def _examples_graph() -> list[dict[str, Any]]:
    net, x, y = tiny_network()
    other = Network.from_weights([np.array([[1.0, -1.0]]), np.array([[2.0], [-0.5]])],
                                 [np.array([0.5]), np.array([0.0, 1.0])],
                                 hidden="tanh", output="identity", loss="squared_error")
    return [{"net": net, "x": x, "y": y, "k": 0}, {"net": net, "x": x, "y": y, "k": 12},
            {"net": other, "x": np.array([1.0, 0.5]), "y": np.array([0.0, 1.0]), "k": 3}]


def _value(v: float) -> str:
    """A number in a node: 3 significant digits (the boxes stay narrow), a true minus sign."""
    return f"{float(v) + 0.0:.3g}".replace("-", "−")


@style.plot(examples=_examples_graph)
def sweep_figure(net: Network, x: Any, y: Any, k: int) -> Figure:
    """The computational graph of C for one example, after k steps of the backward sweep
    (k = 0: after the forward pass, grad C = 1). Each box: the node's name or operation and
    its value; under it, its grad (vermillion: "grad" when complete, "so far" while other
    users have still to pass theirs). The node of step k is yellow; its edges to its children
    are vermillion, labelled with the local derivatives d(node)/d(child)."""
    graph = network_graph(net, x, y)
    root = graph.C
    sweep = backward_sweep(root)
    if not 0 <= k <= len(sweep):
        raise ValueError(f"k: expected a backward step 0..{len(sweep)}, got {k}")
    names = node_names(graph)
    order = topological_order(root)
    pos = layout(root)
    grads = sweep[k - 1].grads if k else {id(v): 0.0 for v in order} | {id(root): 1.0}
    done = finished(root, k)
    current = sweep[k - 1] if k else None
    touched = {id(root)} | {id(c) for s in sweep[:k] for c, _, _ in s.passed}

    n_cols = int(max(c for c, _ in pos.values()) - min(c for c, _ in pos.values())) + 1
    n_rows = max(sum(1 for c2, _ in pos.values() if c2 == c) for c, _ in pos.values())
    fig = style.figure(9.25, 1.3 + 0.95 * n_rows)
    ax = fig.add_subplot()
    ax.axis("off")
    c0 = min(c for c, _ in pos.values())
    sx, sy = 1.0, 1.0

    def xy(v: Value) -> tuple[float, float]:
        c, r = pos[id(v)]
        return (c - c0) * sx, r * sy

    ax.set_xlim(-0.55, (n_cols - 1) * sx + 0.55)
    ax.set_ylim(-(n_rows / 2) * sy - 0.1, (n_rows / 2) * sy + 0.25)
    for v in order:  # edges, child -> node (the forward direction)
        for child, local in v.children:
            active = current is not None and v is current.node
            (x0, y0), (x1, y1) = xy(child), xy(v)
            skip = x1 - x0 > 1.5 * sx  # an edge over a column bends round the nodes in it
            ax.add_patch(FancyArrowPatch(
                (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=9, shrinkA=17, shrinkB=17,
                connectionstyle=f"arc3,rad={-0.35 if skip else 0.0}",
                color=BACKWARD if active else EDGE, lw=2.0 if active else 0.8, zorder=1,
                gid=None if active else "decoration"))
            if active:
                bend = 0.35 * (x1 - x0) / 2 if skip else 0.0  # the arc's midpoint, roughly
                ax.text(x0 + 0.5 * (x1 - x0), y0 + 0.5 * (y1 - y0) + bend, f"×{_value(local)}",
                        ha="center", va="center", fontsize=10, color=BACKWARD, zorder=5,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                              "edgecolor": "none"})
    for v in order:
        px, py = xy(v)
        name = names.get(id(v))
        head = _tex(name) if name else OP_SYMBOL.get(v.op, v.op)
        is_current = current is not None and v is current.node
        ax.text(px, py + 0.08, f"{head}\n{_value(v.data)}", ha="center", va="center",
                fontsize=10, color="black", linespacing=1.1, zorder=4,
                bbox={"boxstyle": "round,pad=0.25", "lw": 1.6 if is_current else 0.9,
                      "facecolor": NEW if is_current else "white",
                      "edgecolor": BACKWARD if is_current else (FORWARD if name else EDGE)})
        if id(v) in touched:
            complete = id(v) in done
            ax.text(px, py - 0.36, f"{'grad' if complete else 'so far'} {_value(grads[id(v)])}",
                    ha="center", va="center", fontsize=10, color=BACKWARD, zorder=4,
                    weight="bold" if complete else "normal", style="normal" if complete
                    else "italic", bbox={"boxstyle": "square,pad=0.05", "facecolor": "white",
                                         "edgecolor": "none", "alpha": 0.85})
    if current is None:
        title = (f"after the forward pass: {len(order)} nodes, values known; "
                 f"backward sweep starts with grad C = 1")
        what = "the forward pass is done and only C has its grad (1)"
    else:
        v = current.node
        label = names.get(id(v), _op_words(v))
        title = (f"backward step {k} of {len(sweep)}: {_tex(label) if id(v) in names else label}"
                 f" passes grad × local derivative to its {len(current.passed)} "
                 f"child{'ren' if len(current.passed) > 1 else ''}")
        gives = ", ".join(f"{_value(_grad_at(sweep, k, v))} × {_value(local)} = "
                          f"{_value(amount)} to {_plain(names.get(id(c), _op_words(c)))}"
                          for c, local, amount in current.passed)
        what = (f"{'node ' if id(v) in names else ''}{_plain(label)} (value "
                f"{_value(v.data)}, grad {_value(grads[id(v)])}) passes {gives}")
    ax.set_title(title, fontsize=12)
    z_nodes = [(names[id(zv)], zv) for zl in graph.z[1:] for zv in zl]
    z_done = [f"{_plain(nm)} = {_value(grads[id(zv)])}" for nm, zv in z_nodes if id(zv) in done]
    return style.describe(fig, (
        f"The computational graph of C for one example, {len(order)} nodes "
        f"({graph_size(root).operations} operations), after backward step {k} of "
        f"{len(sweep)}: {what}. {len(done)} of {len(order)} nodes have their complete grad"
        + (f"; grads of the z nodes so far (these are δ): {'; '.join(z_done)}." if z_done
           else ".")))


def _grad_at(sweep: list[SweepStep], k: int, v: Value) -> float:
    """grad(v) when step k (1-based) begins (complete by then: v's users came first)."""
    return sweep[k - 1].grads[id(v)]


def _plain(name: str) -> str:
    return name.replace("{", "").replace("}", "")


def _examples_cost() -> list[dict[str, Any]]:
    return [{"p1": 2}, {"p1": 16}]


#: Hidden widths drawn by :func:`cost_figure`.
WIDTHS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


@style.plot(examples=_examples_cost)
def cost_figure(p1: int) -> Figure:
    """Derivative multiply-adds for the whole gradient of one example, reverse mode (one
    backward sweep) against forward mode (dim(theta) passes), for networks (2, p_1, 2) of
    growing hidden width, with the network of width ``p1`` marked and its counts as bars."""
    if not 1 <= int(p1) <= 256:
        raise ValueError(f"p1: expected a hidden width 1..256, got {p1}")
    costs = mode_costs(sorted(set(WIDTHS) | {int(p1)}))
    here = mode_cost((2, int(p1), 2))
    d = np.array([c.dim_theta for c in costs])
    fig = style.figure(9.25, 4.2)
    left, right = fig.subplots(1, 2, width_ratios=[1.5, 1])
    series = [("forward mode: dim θ passes", [c.forward_multiply_adds for c in costs], 0),
              ("reverse mode: one backward sweep", [c.reverse_multiply_adds for c in costs], 1)]
    for label, counts, i in series:
        left.loglog(d, counts, label=label, **style.series(i, markersize=5))
    left.loglog([here.dim_theta] * 2, [here.reverse_multiply_adds, here.forward_multiply_adds],
                ls="none", marker="o", ms=11, mfc="none", mec="black", mew=1.5,
                label=f"$p_1$ = {int(p1)}")
    left.set_xlabel("number of parameters dim θ")
    left.set_ylabel("derivative multiply-adds")
    left.grid(True, which="major")
    left.legend(loc="upper left", fontsize=10)
    left.set_title("forward mode grows like (dim θ)², reverse like dim θ", fontsize=11)
    bars = [("one forward\npass (ops)", here.operations, style.GREY),
            ("reverse\nmode", here.reverse_multiply_adds, style.VERMILLION),
            ("forward\nmode", here.forward_multiply_adds, style.BLUE)]
    hatches = ("", "//", "..")
    for n, ((_, value, colour), hatch) in enumerate(zip(bars, hatches, strict=True)):
        right.bar(n, value, color=colour, hatch=hatch, edgecolor="black", lw=0.8)
        right.text(n, value, f"{value:,}", ha="center", va="bottom", fontsize=10)
    right.set_xticks(range(3), [b[0] for b in bars], fontsize=10)
    right.set_yscale("log")
    right.set_ylim(10, max(b[1] for b in bars) * 6)
    right.set_ylabel("count (log scale)")
    right.set_title(f"p = (2, {int(p1)}, 2): dim θ = {here.dim_theta}", fontsize=11)
    ratio = here.forward_multiply_adds / here.reverse_multiply_adds
    return style.describe(fig, (
        f"Derivative multiply-adds for the gradient of one example on networks (2, p_1, 2), "
        f"log-log against dim θ from {d[0]} to {d[-1]}: forward mode (one pass per "
        f"parameter) grows like (dim θ)^2, reverse mode (one backward sweep) like dim θ. "
        f"For p_1 = {int(p1)}: dim θ = {here.dim_theta}, a forward pass has "
        f"{here.operations:,} operations and {here.edges:,} edges; reverse mode needs "
        f"{here.reverse_multiply_adds:,} multiply-adds, forward mode "
        f"{here.forward_multiply_adds:,}, {style.fmt_number(ratio)} times as many "
        f"(= dim θ)."))
