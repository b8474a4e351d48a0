"""Notebook 11 (a tiny network by hand): every number of Algorithm 1 as scalar arithmetic.

:func:`tiny_network` is the lesson's 2-2-2 network: ReLU hidden layer, identity output,
squared error C = ||g - y||^2, weights 1, 0.5, -1 ..., chosen so that every z_l, a_l,
delta_l and gradient entry is a short sum of halves a student can do with pencil and paper
(and so that the hidden unit 2 is off, z_{1,2} < 0, to show what ReLU'(z) = 0 does).

:func:`hand_steps` writes the computation out one scalar at a time, in Algorithm 1's order
(lines 3-4 unit by unit, the loss, line 5, then lines 8, 9, 10 per layer): each
:class:`HandStep` has the quantity's name in the slide's 1-based indices, its formula in
symbols, the same formula with the numbers put in (what a student writes on paper), that
arithmetic as a Python expression, and its value. The tests evaluate every expression and
compare it with the engine (``algorithm1_steps``); :func:`step_figure` draws the network
with the numbers known after a step, for the notebook's step slider.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import ACTIVATIONS
from ..backend import to_numpy
from ..network import Network, check_network
from . import style

#: Hidden and output activations written out by hand (element-wise ones).
HAND_ACTIVATIONS = ("relu", "identity", "logistic", "tanh")

FORWARD, BACKWARD, NEW = style.BLUE, style.VERMILLION, style.FILLS["highlight"]
EDGE = "#8A8A8A"  # network edges: thin grey (3.5:1 on white)


def tiny_network() -> tuple[Network, np.ndarray, np.ndarray]:
    """The lesson's network (p = (2, 2, 2), ReLU hidden layer, identity output, squared
    error) and its example: x = (1, 2), y = (1, 0).

    W_1 = [[1, 0.5], [0.5, -1]], b_1 = (0.5, 0.5); W_2 = [[1, -1], [-0.5, 2]],
    b_2 = (-1, 0.25). By hand: z_1 = (2.5, -1), a_1 = (2.5, 0), g = z_2 = (1.5, -1),
    C = 1.25, delta_2 = (1, -2), delta_1 = (2, 0).
    """
    W = [np.array([[1.0, 0.5], [0.5, -1.0]]), np.array([[1.0, -1.0], [-0.5, 2.0]])]
    b = [np.array([0.5, 0.5]), np.array([-1.0, 0.25])]
    net = Network.from_weights(W, b, hidden="relu", output="identity", loss="squared_error")
    return net, np.array([1.0, 2.0]), np.array([1.0, 0.0])


# --- numbers as a student writes them ------------------------------------------------------
def num(v: float, paren: bool = True) -> str:
    """A number as written by hand: up to 6 significant digits, a true minus sign, in
    parentheses when negative (so that ``0.5·(−1)`` reads right); -0 is written 0."""
    v = float(v) + 0.0
    text = f"{v:.6g}".replace("-", "−")
    return f"({text})" if paren and v < 0 else text


def _py(v: float) -> str:
    """A number as Python reads it back exactly (repr), in parentheses when negative."""
    v = float(v) + 0.0
    return f"({v!r})" if v < 0 else repr(v)


def fmt(v: float) -> str:
    """A result for a printed table: rounded to 8 decimals (so that a finite difference
    that is 1e-11 off an exact 0 or 2.5 prints the same), then 6 significant digits."""
    return f"{round(float(v), 8) + 0.0:.6g}"


#: Names of S(z) and S'(z) by activation, for formulas.
_S_NAME = {"relu": "ReLU", "identity": "", "logistic": "σ", "tanh": "tanh"}


def _S_text(name: str, z: float) -> tuple[str, str, float]:
    """S(z): (arithmetic, Python expression, value)."""
    if name == "relu":
        return f"max({num(z, False)}, 0)", f"max({_py(z)}, 0.0)", max(z, 0.0)
    if name == "identity":
        return num(z, False), _py(z), z
    if name == "logistic":
        return (f"1/(1 + exp({num(-z, False)}))", f"1.0/(1.0 + math.exp({_py(-z)}))",
                1.0 / (1.0 + math.exp(-z)))
    return f"tanh({num(z, False)})", f"math.tanh({_py(z)})", math.tanh(z)


def _dS_text(name: str, z: float, a: float) -> tuple[str, str, str, float, str]:
    """S'(z) with a = S(z): (formula, arithmetic, Python expression, value, note)."""
    dS = float(ACTIVATIONS[name].dS(np.float64(z)))  # the engine's value (ReLU'(0) convention)
    if name == "relu":
        why = ">" if z > 0 else ("<" if z < 0 else "=")
        note = f"ReLU'({num(z, False)}) = {num(dS, False)} as {num(z, False)} {why} 0"
        return "ReLU'", num(dS), _py(dS), dS, note
    if name == "identity":
        return "1", "1", "1.0", 1.0, ""
    if name == "logistic":
        return ("σ'", f"{num(a)}·(1 − {num(a)})", f"{_py(a)}*(1.0 - {_py(a)})",
                a * (1.0 - a), f"σ'(z) = σ(z)(1 − σ(z)) with σ(z) = {num(a, False)}")
    return ("tanh'", f"(1 − {num(a)}²)", f"(1.0 - {_py(a)}**2)", 1.0 - a * a,
            f"tanh'(z) = 1 − tanh²(z) with tanh(z) = {num(a, False)}")


# --- the computation, one scalar at a time --------------------------------------------------
@dataclass(frozen=True)
class HandStep:
    """One scalar of Algorithm 1 worked by hand.

    ``key`` names the quantity with 1-based indices: ("z", l, i), ("a", l, i), ("C",),
    ("delta", l, i), ("db", l, i), ("dW", l, i, j); ``expression`` evaluates (with ``math``)
    to ``value``.
    """

    key: tuple
    name: str  # "z_{1,1}"
    formula: str  # "W_{1,11}·x_1 + W_{1,12}·x_2 + b_{1,1}"
    arithmetic: str  # "1·1 + 0.5·2 + 0.5"
    expression: str  # "1.0*1.0 + 0.5*2.0 + 0.5"
    value: float
    line: int  # the line of Algorithm 1 that computes it (3, 4, 5, 8, 9, 10; 0 for C)
    note: str = ""  # why a factor has its value: "ReLU'(−1) = 0 as −1 < 0"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))  # a Python float, not np.float64

    @property
    def phase(self) -> str:
        return "forward" if self.key[0] in ("z", "a", "C") else "backward"

    def text(self) -> str:
        """"name = formula = arithmetic = value", as printed in the notebook."""
        parts = [self.name, self.formula]
        if self.arithmetic != self.formula:
            parts.append(self.arithmetic)
        if self.arithmetic != num(self.value, False):
            parts.append(num(self.value, False))
        return " = ".join(parts) + (f"   ({self.note})" if self.note else "")


def _a_name(l: int, j: int) -> str:
    return f"x_{j}" if l == 0 else f"a_{{{l},{j}}}"


def check_hand_network(net: Any) -> Network:
    """``net`` if its activations and loss can be written out by hand here, else a
    ValueError naming what is not supported."""
    net = check_network(net)
    if net.loss != "squared_error":
        raise ValueError(f"net: hand_steps writes out element-wise outputs with squared "
                         f"error; got output {net.pair.output!r} with {net.loss!r} "
                         f"(softmax needs exponentials: see the notebook's paragraph)")
    for l in range(1, net.L + 1):
        if net.S[l] not in HAND_ACTIVATIONS:
            raise ValueError(f"net: S_{l} = {net.S[l]!r} is not one of {HAND_ACTIVATIONS}")
    return net


def hand_steps(net: Network, x: Any, y: Any) -> list[HandStep]:
    """Algorithm 1 for one example (x, y), one scalar at a time, in the algorithm's order.

    Forward (lines 3-4): z_{l,i} = sum_j W_{l,ij} a_{l-1,j} + b_{l,i}, a_{l,i} = S_l(z_{l,i})
    (g_k = a_{L,k}); the loss C = sum_k (g_k - y_k)^2. Backward: line 5,
    delta_{L,k} = S_L'(z_{L,k}) 2 (g_k - y_k); then for l = L, ..., 1: line 8,
    dC/db_{l,i} = delta_{l,i}; line 9, dC/dW_{l,ij} = delta_{l,i} a_{l-1,j}; line 10,
    delta_{l-1,j} = S'_{l-1}(z_{l-1,j}) sum_i W_{l,ij} delta_{l,i} (for l > 1).
    Every value is computed from the numbers shown in its arithmetic (Python floats).
    """
    net = check_hand_network(net)
    x = np.asarray(to_numpy(net.check_x(x)), dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x: expected one example of shape ({net.p[0]},), got shape "
                         f"{x.shape}")
    y = np.asarray(to_numpy(net.check_y(y, x)), dtype=np.float64)
    L = net.L
    W = [None] + [to_numpy(net.W[l]).astype(np.float64) for l in range(1, L + 1)]
    b = [None] + [to_numpy(net.b[l]).astype(np.float64) for l in range(1, L + 1)]
    steps: list[HandStep] = []
    a: list[list[float]] = [[float(v) for v in x]]
    z: list[list[float] | None] = [None]
    for l in range(1, L + 1):  # lines 3 and 4, unit by unit
        zl = []
        for i in range(1, len(b[l]) + 1):
            row = W[l][i - 1]
            terms = [(float(row[j - 1]), a[l - 1][j - 1], j) for j in range(1, len(row) + 1)]
            value = sum(w * v for w, v, _ in terms) + float(b[l][i - 1])
            steps.append(HandStep(
                ("z", l, i), f"z_{{{l},{i}}}",
                " + ".join(f"W_{{{l},{i}{j}}}·{_a_name(l - 1, j)}" for _, _, j in terms)
                + f" + b_{{{l},{i}}}",
                " + ".join(f"{num(w)}·{num(v)}" for w, v, _ in terms) + f" + {num(b[l][i - 1])}",
                " + ".join(f"{_py(w)}*{_py(v)}" for w, v, _ in terms) + f" + {_py(b[l][i - 1])}",
                value, 3))
            zl.append(value)
        z.append(zl)
        al = []
        name = net.S[l]
        for i in range(1, len(zl) + 1):
            arith, expr, value = _S_text(name, zl[i - 1])
            symbol = f"g_{i}" if l == L else f"a_{{{l},{i}}}"
            formula = (f"z_{{{l},{i}}}" if name == "identity"
                       else f"{_S_NAME[name]}(z_{{{l},{i}}})")
            if l == L:
                symbol = f"g_{i} = a_{{{L},{i}}}"
            steps.append(HandStep(("a", l, i), symbol, formula, arith, expr, value, 4))
            al.append(value)
        a.append(al)
    g = a[L]
    C = sum((g[k] - y[k]) ** 2 for k in range(len(g)))
    steps.append(HandStep(
        ("C",), "C", " + ".join(f"(g_{k} − y_{k})²" for k in range(1, len(g) + 1)),
        " + ".join(f"({num(g[k], False)} − {num(y[k])})²" for k in range(len(g))),
        " + ".join(f"({_py(g[k])} - {_py(y[k])})**2" for k in range(len(g))), C, 0))

    delta: list[list[float] | None] = [None] * (L + 1)
    dL = []
    for k in range(1, len(g) + 1):  # line 5: delta_L = S_L'(z_L) ⊙ 2 (g - y)
        f, arith_d, expr_d, dS, note = _dS_text(net.S[L], z[L][k - 1], g[k - 1])
        diff = f"2·({num(g[k - 1], False)} − {num(y[k - 1])})"
        pdiff = f"2.0*({_py(g[k - 1])} - {_py(y[k - 1])})"
        value = dS * 2.0 * (g[k - 1] - y[k - 1])
        if net.S[L] == "identity":
            formula, arith, expr = f"2·(g_{k} − y_{k})", diff, pdiff
        else:
            formula = f"{f}(z_{{{L},{k}}})·2·(g_{k} − y_{k})"
            arith, expr = f"{arith_d}·{diff}", f"{expr_d}*{pdiff}"
        steps.append(HandStep(("delta", L, k), f"δ_{{{L},{k}}}", formula, arith, expr, value, 5,
                              note))
        dL.append(value)
    delta[L] = dL
    for l in range(L, 0, -1):
        for i in range(1, len(delta[l]) + 1):  # line 8: dC/db_l = delta_l
            d = delta[l][i - 1]
            steps.append(HandStep(("db", l, i), f"∂C/∂b_{{{l},{i}}}", f"δ_{{{l},{i}}}",
                                  num(d, False), _py(d), d, 8))
        for i in range(1, len(delta[l]) + 1):  # line 9: dC/dW_l = delta_l a_{l-1}^T
            for j in range(1, len(a[l - 1]) + 1):
                d, v = delta[l][i - 1], a[l - 1][j - 1]
                steps.append(HandStep(
                    ("dW", l, i, j), f"∂C/∂W_{{{l},{i}{j}}}", f"δ_{{{l},{i}}}·{_a_name(l - 1, j)}",
                    f"{num(d)}·{num(v)}", f"{_py(d)}*{_py(v)}", d * v, 9))
        if l == 1:
            break
        dprev = []
        for j in range(1, len(a[l - 1]) + 1):  # line 10, one unit j of layer l - 1
            f, arith_d, expr_d, dS, note = _dS_text(net.S[l - 1], z[l - 1][j - 1],
                                                    a[l - 1][j - 1])
            terms = [(float(W[l][i - 1, j - 1]), delta[l][i - 1], i)
                     for i in range(1, len(delta[l]) + 1)]
            total = sum(w * d for w, d, _ in terms)
            inner = " + ".join(f"W_{{{l},{i}{j}}}·δ_{{{l},{i}}}" for _, _, i in terms)
            formula = (f"{f}(z_{{{l - 1},{j}}})·({inner})" if f != "1" else f"({inner})")
            arith = f"{arith_d}·(" + " + ".join(f"{num(w)}·{num(d)}" for w, d, _ in terms) + ")"
            expr = f"{expr_d}*(" + " + ".join(f"{_py(w)}*{_py(d)}" for w, d, _ in terms) + ")"
            value = dS * total
            steps.append(HandStep(("delta", l - 1, j), f"δ_{{{l - 1},{j}}}", formula, arith,
                                  expr, value, 10, note))
            dprev.append(value)
        delta[l - 1] = dprev
    return steps


def plain(text: str) -> str:
    """Text without the subscript braces, for alt text read aloud: z_{1,1} -> z_1,1."""
    return text.replace("{", "").replace("}", "")


def evaluate(step: HandStep) -> float:
    """The step's Python expression evaluated (numbers and ``math`` only)."""
    return float(eval(step.expression, {"__builtins__": {"max": max}, "math": math}))  # noqa: S307


def values(steps: list[HandStep]) -> dict[tuple, float]:
    """{key: value} of the steps."""
    return {s.key: s.value for s in steps}


# --- the figure -----------------------------------------------------------------------------
_TEX = (("δ", r"\delta "), ("∂", r"\partial "), ("·", r"\cdot "), ("−", "-"), ("σ", r"\sigma "),
        ("ReLU", r"\mathrm{ReLU}"), ("max", r"\max"), ("tanh", r"\tanh "), ("exp", r"\exp"),
        ("²", "^2"))


def tex(text: str) -> str:
    """A formula of :class:`HandStep` in Matplotlib mathtext."""
    for a, b in _TEX:
        text = text.replace(a, b)
    return f"${text}$"


def _positions(p: tuple[int, ...], dx: float = 4.0, dy: float = 2.0) -> list[list[tuple]]:
    """(x, y) of node i = 1..p_l of each layer l, top node first, layers dx apart."""
    return [[(l * dx, ((n - 1) / 2 - i) * dy) for i in range(n)] for l, n in enumerate(p)]


def _box(colour: str = "black", fill: str = "white") -> dict:
    return {"boxstyle": "round,pad=0.35", "facecolor": fill, "edgecolor": colour, "lw": 1.2}


def _label(fill: str = "white") -> dict:
    return {"boxstyle": "square,pad=0.15", "facecolor": fill, "edgecolor": "none"}


def _draw_panel(ax: Any, net: Network, x: np.ndarray, y: np.ndarray, known: dict,
                new: set, backward: bool) -> None:
    """One drawing of the network: forward (weights on the edges, biases, z and a at the
    nodes) or backward (dC/dW on the edges, delta = dC/db at the nodes). ``known``: the
    values computed so far by key; ``new``: the keys computed by the current step."""
    p, L = net.p, net.L
    pos = _positions(p)
    ax.axis("off")
    xmax = pos[-1][0][0]
    ymax = max(abs(v) for layer in pos for _, v in layer)
    ax.set_xlim(-1.3, xmax + 2.2)
    ax.set_ylim(-ymax - 0.9, ymax + 1.0)

    def val(key: tuple) -> str:
        return num(known[key], False) if key in known else "?"

    def colour(key: tuple, default: str) -> tuple[str, str]:
        if key in new:
            return default, NEW
        return (default if key in known else style.GREY), "white"

    # edges, with W_{l,ij} (forward) or dC/dW_{l,ij} (backward) written on them, each
    # label at the point of its edge (a quarter to a half of the way) farthest from the others
    placed: list[tuple[float, float]] = []
    for l in range(1, L + 1):
        W = to_numpy(net.W[l])
        for i, (x1, y1) in enumerate(pos[l], start=1):
            for j, (x0, y0) in enumerate(pos[l - 1], start=1):
                key = ("dW", l, i, j)
                ax.plot([x0, x1], [y0, y1], color=EDGE, lw=1.0, ls="-", zorder=1,
                        gid="decoration")
                spots = [(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
                         for t in (0.3, 0.25, 0.36, 0.42, 0.48)]
                at = max(spots, key=lambda s: min(
                    [np.hypot((s[0] - q[0]) / 2.5, s[1] - q[1]) for q in placed] + [0.7]))
                placed.append(at)
                if backward:
                    text = val(key)
                    c, fill = colour(key, BACKWARD)
                else:
                    text, c, fill = num(W[i - 1, j - 1], False), "black", "white"
                ax.text(*at, text, ha="center", va="center", fontsize=11, color=c,
                        bbox=_label(fill), zorder=3,
                        weight="bold" if backward and key in new else "normal")
    # nodes
    for l, layer in enumerate(pos):
        for i, (px, py) in enumerate(layer, start=1):
            if l == 0:
                text, c, fill = f"$x_{i}$ = {num(x[i - 1], False)}", "black", "white"
                edge = "black"
            elif backward:
                key = ("delta", l, i)
                c, fill = colour(key, BACKWARD)
                text, edge = tex(f"δ_{{{l},{i}}}") + f" = {val(key)}", c
            else:
                kz, ka = ("z", l, i), ("a", l, i)
                a_name = f"g_{i}" if l == L else f"a_{{{l},{i}}}"
                text = (tex(f"z_{{{l},{i}}}") + f" = {val(kz)}\n"
                        + tex(a_name) + f" = {val(ka)}")
                fill = NEW if (kz in new or ka in new) else "white"
                c = FORWARD if (kz in known) else style.GREY
                edge = c
            ax.text(px, py, text, ha="center", va="center", fontsize=11, color=c,
                    bbox=_box(edge, fill), zorder=4)
            if l >= 1 and not backward:  # the bias, above its node
                bias = num(to_numpy(net.b[l])[i - 1], False)
                ax.text(px, py + 0.72, tex(f"b_{{{l},{i}}}") + f" = {bias}", ha="center",
                        va="bottom", fontsize=10, color="black", zorder=4)
            if l == L and not backward:  # the target, right of the output
                ax.text(px + 1.05, py, tex(f"y_{i}") + f" = {num(y[i - 1], False)}",
                        ha="left", va="center", fontsize=11, color="black")
    for l in range(L + 1):
        name = "input" if l == 0 else ("output" if l == L else "hidden")
        ax.text(pos[l][-1][0], -ymax - 0.75, f"layer {l} ({name})", ha="center", va="top",
                fontsize=10, color=style.GREY)


def _arrays(net: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(to_numpy(x), dtype=np.float64),
            np.asarray(to_numpy(y), dtype=np.float64))


def _example_network() -> list[dict[str, Any]]:
    net, x, y = tiny_network()
    other = Network.from_weights([np.array([[0.5, -1.0], [1.0, 1.0], [-0.5, 0.5]]),
                                  np.array([[1.0, 0.5, -1.0]])],
                                 [np.array([0.0, -0.5, 0.5]), np.array([0.25])],
                                 hidden="relu", output="identity", loss="squared_error")
    return [{"net": net, "x": x, "y": y},
            {"net": other, "x": np.array([2.0, -1.0]), "y": np.array([1.0])}]


@style.plot(examples=_example_network)
def network_figure(net: Network, x: Any, y: Any) -> Figure:
    """The network with the numbers a student is given: x, y, every W_{l,ij} on its edge
    (from unit j of layer l - 1 to unit i of layer l) and every b_{l,i} above its node."""
    net = check_hand_network(net)
    x, y = _arrays(net, x, y)
    fig = style.figure(9.0, 1.1 + 1.05 * max(net.p))
    ax = fig.add_subplot()
    _draw_panel(ax, net, x, y, {}, set(), backward=False)
    ax.set_title("given: $x$, $y$, $b_l$ (above the nodes) and $W_l$: the edge from unit $j$ "
                 "of layer $l-1$\nto unit $i$ of layer $l$ carries $W_{l,ij}$; "
                 "$z_l$ and $a_l$ are still to compute", fontsize=12)
    W = "; ".join(f"W_{l} = {to_numpy(net.W[l]).tolist()}, b_{l} = {to_numpy(net.b[l]).tolist()}"
                  for l in range(1, net.L + 1))
    return style.describe(fig, (
        f"A network with widths p = {tuple(net.p)}, {net.S[1]} hidden layer, {net.S[-1]} output, "
        f"drawn with its numbers: x = {x.tolist()}, y = {y.tolist()}; {W}. Each edge from "
        f"unit j of layer l - 1 to unit i of layer l carries W_(l,ij); the z and a at the "
        f"nodes are still to be computed (question marks)."))


def _example_steps() -> list[dict[str, Any]]:
    return [{**kw, "k": k} for kw, k in zip(_example_network() * 2, (1, 12, 18, 25),
                                            strict=True)]


@style.plot(examples=_example_steps)
def step_figure(net: Network, x: Any, y: Any, k: int) -> Figure:
    """Step k (1-based) of :func:`hand_steps`: its formula and arithmetic (top), the network
    forward (W_l, b_l; z_l, a_l known so far) and backward (dC/dW_l on the edges,
    delta_l = dC/db_l at the nodes); the number the step computed is bold on yellow."""
    steps = hand_steps(net, x, y)
    if not 1 <= k <= len(steps):
        raise ValueError(f"k: expected a step 1..{len(steps)}, got {k}")
    x, y = _arrays(net, x, y)
    step = steps[k - 1]
    known = {s.key: s.value for s in steps[:k]}
    for s in steps[:k]:  # dC/db_l = delta_l: the node shows it once delta is known
        if s.key[0] == "db":
            known[("delta",) + s.key[1:]] = s.value
    new = {step.key}
    if step.key[0] == "db":
        new.add(("delta",) + step.key[1:])
    rows = max(net.p)
    fig = style.figure(9.0, 1.6 + 2 * (0.9 + 1.05 * rows))
    top, forward, backward = fig.subplots(3, 1, height_ratios=[1.6, 0.9 + 1.05 * rows,
                                                                0.9 + 1.05 * rows])
    top.axis("off")
    line = f"line {step.line} of Algorithm 1" if step.line else "the loss"
    top.text(0.0, 1.0, f"step {k} of {len(steps)} ({step.phase}, {line}):", fontsize=12,
             va="top", weight="bold")
    top.text(0.0, 0.6, tex(f"{step.name} = {step.formula}"), fontsize=14, va="center")
    rest = step.arithmetic if step.arithmetic != step.formula else ""
    result = num(step.value, False)
    tail = f" = {rest} = {result}" if rest and rest != result else f" = {result}"
    top.text(0.0, 0.22, tex(tail.replace(" = ", "= ", 1)), fontsize=14, va="center")
    if step.note:
        top.text(1.0, 0.22, step.note, fontsize=11, va="center", ha="right", color=style.GREY)
    _draw_panel(forward, net, x, y, known, new, backward=False)
    forward.set_title("forward: $W_l$ on the edges, $b_l$ above, $z_l$ and $a_l$ at the "
                      "nodes", fontsize=12)
    _draw_panel(backward, net, x, y, known, new, backward=True)
    backward.set_title(r"backward: $\partial C/\partial W_l$ on the edges, "
                       r"$\delta_l = \partial C/\partial b_l$ at the nodes", fontsize=12)
    return style.describe(fig, (
        f"Step {k} of {len(steps)} of the computation by hand ({step.phase}): "
        f"{plain(step.text())}. Known so far: {sum(1 for s in steps[:k] if s.phase == 'forward')} "
        f"forward and {sum(1 for s in steps[:k] if s.phase == 'backward')} backward numbers "
        f"of {len(steps)}."))
