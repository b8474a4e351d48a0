"""Notebook 13 (why back-propagation is fast, measured): the cost of the gradient three ways.

For the mean loss l(theta) of a network on n examples, the whole gradient can be computed

* by **finite differences** (:func:`bplib.gradcheck.central_difference`): two forward
  passes per parameter, 2 dim(theta) passes;
* by **forward mode**: one Jacobian-vector product (JVP, :func:`jvp`) per parameter, each a
  forward pass that carries the derivatives of Z_l, A_l in one direction theta-dot along;
  dim(theta) passes (:func:`forward_mode_gradient`; :func:`bplib.autodiff.forward_gradient`
  is the same with one Python number per scalar);
* by **back-propagation** (reverse mode, :func:`bplib.algorithm2_batched`): one forward
  and one backward pass, whatever dim(theta) is.

The module counts the multiply-adds of the matrix products of each method (:func:`macs`,
exact formulas; element-wise work is of lower order, O(n sum_l p_l), and left out), checks
them by counting the products that :func:`jvp` actually runs (:class:`MacCounter`), measures
times with ``time.perf_counter`` only (:func:`seconds_per_call`: no threads, no processes,
so it also runs in the browser, under Pyodide), and counts the floats that back-propagation
must keep between its passes (:func:`memory_floats`, :func:`stored_floats`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..activations import ACTIVATIONS
from ..batched import algorithm2_batched
from ..gradcheck import central_difference
from ..network import Network, dim_theta, unpack
from . import style

Array = Any

#: The measured networks: p = (P0, h, h, PL) with tanh hidden layers (smooth, so finite
#: differences are accurate) and a softmax output, on N random examples.
P0, PL, DEPTH, N = 4, 3, 2, 64
HIDDEN = (2, 4, 8, 16, 32)
#: The methods, in the order they are drawn (series i of the style), and the reference.
METHODS = ("back-propagation", "forward mode", "finite differences")
FORWARD = "one forward pass"
#: Fitted slopes use the largest FIT_TOP sizes (where the leading power dominates).
FIT_TOP = 3


# --- counting --------------------------------------------------------------------------------
def widths(hidden: int, depth: int = DEPTH, p0: int = P0, pL: int = PL) -> tuple[int, ...]:
    """p = (p_0, hidden x depth, p_L)."""
    if hidden < 1 or depth < 1:
        raise ValueError(f"hidden, depth: expected positive integers, got {hidden}, {depth}")
    return (p0, *[hidden] * depth, pL)


def n_weights(p: Sequence[int]) -> int:
    """M = sum_{l=1}^L p_l p_{l-1}: the entries of W_1, ..., W_L (dim(theta) less the biases)."""
    return sum(p[l] * p[l - 1] for l in range(1, len(p)))


def macs(method: str, p: Sequence[int], n: int = 1) -> int:
    """Multiply-adds in the matrix products of one gradient (or one forward pass) of the mean
    loss over n examples, for widths p = (p_0, ..., p_L):

    * one forward pass, Z_l = A_{l-1} W_l^T + b_l for l = 1..L:       n M
    * back-propagation: the forward pass, then line 10, Delta_l W_l for l = L..2
      (n sum_{l>=2} p_l p_{l-1} = n (M - p_1 p_0)), and the sums over examples of line 9,
      Delta_l^T A_{l-1} for l = 1..L (n M):                           n (3M - p_1 p_0)
    * forward mode, dim(theta) JVPs; each is the forward pass plus the tangent
      Zdot_l = Adot_{l-1} W_l^T + A_{l-1} Wdot_l^T + bdot_l (Adot_0 = 0: the input does not
      depend on theta):                               dim(theta) n (3M - p_1 p_0)
    * finite differences, two forward passes per parameter:   2 dim(theta) n M
    """
    M, d = n_weights(p), dim_theta(p)
    one_pass = n * M
    reverse = n * (3 * M - p[1] * p[0])
    counts = {FORWARD: one_pass, "back-propagation": reverse, "forward mode": d * reverse,
              "finite differences": 2 * d * one_pass}
    if method not in counts:
        raise ValueError(f"method: expected one of {sorted(counts)}, got {method!r}")
    return counts[method]


class MacCounter:
    """Matrix products that count their multiply-adds: ``mm(A, B)`` is ``A @ B`` and adds
    rows(A) x cols(A) x cols(B) to ``count``."""

    def __init__(self) -> None:
        self.count = 0

    def mm(self, A: Array, B: Array) -> Array:
        self.count += A.shape[0] * A.shape[1] * B.shape[1]
        return A @ B


def jvp(net: Network, X: Array, Y: Array, W_dot: Sequence[Array], b_dot: Sequence[Array],
        counter: MacCounter | None = None) -> tuple[float, float]:
    """Forward mode, one direction theta-dot = (Wdot_l, bdot_l): the mean loss l and its
    directional derivative dl/dtheta . theta-dot, in one forward pass over the n rows of X:

        Z_l = A_{l-1} W_l^T + b_l,        Zdot_l = Adot_{l-1} W_l^T + A_{l-1} Wdot_l^T + bdot_l
        A_l = S_l(Z_l),                   Adot_l = S'_l(Z_l) (.) Zdot_l
        ldot = (1/n) sum_i delta_L,i . zdot_L,i   (delta_L = dC/dz_L, e.g. g - e_{y+1})

    with Adot_0 = 0. Nothing is kept from one layer to the next: a JVP needs no backward pass.
    """
    mm = (counter or MacCounter()).mm
    A, A_dot = X, None
    L = net.L
    for l in range(1, L + 1):
        Z = mm(A, net.W[l].T) + net.b[l]
        Z_dot = mm(A, W_dot[l].T) + b_dot[l]
        if A_dot is not None:
            Z_dot += mm(A_dot, net.W[l].T)
        if l < L:
            act = ACTIVATIONS[net.S[l]]
            A, A_dot = act.S(Z), act.dS(Z) * Z_dot
    C = float(np.mean(net.pair.C(Z, Y)))
    C_dot = float(np.mean(np.sum(net.pair.delta_L(Z, Y) * Z_dot, axis=1)))
    return C, C_dot


def forward_mode_gradient(net: Network, X: Array, Y: Array,
                          counter: MacCounter | None = None) -> np.ndarray:
    """The whole gradient by forward mode: one :func:`jvp` per parameter theta_i, seeded
    with theta-dot = e_i (the i-th unit vector, in theta's packing order)."""
    d = dim_theta(net.p)
    grad = np.empty(d)
    e = np.zeros(d)
    for i in range(d):
        e[i] = 1.0
        W_dot, b_dot = unpack(e, net.p)
        grad[i] = jvp(net, X, Y, W_dot, b_dot, counter)[1]
        e[i] = 0.0
    return grad


def finite_difference_gradient(net: Network, X: Array, Y: Array, h: float = 1e-6
                               ) -> tuple[np.ndarray, int]:
    """The whole gradient by central differences (:func:`bplib.gradcheck.central_difference`)
    of the engine's loss; returns it and the number of forward passes it made."""
    probe = net.copy()
    calls = 0

    def loss(theta: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        probe.set_theta(theta)
        return probe.loss_value(X, Y)

    return central_difference(loss, net.theta, h), calls


def backprop_gradient(net: Network, X: Array, Y: Array) -> np.ndarray:
    """The whole gradient by back-propagation (:func:`bplib.algorithm2_batched`)."""
    return algorithm2_batched(net, X, Y).theta()


# --- memory ----------------------------------------------------------------------------------
def memory_floats(method: str, p: Sequence[int], n: int = 1) -> int:
    """Floats a method keeps for the n examples at its peak, besides theta and the data:

    * back-propagation keeps every Z_l and A_l, l = 1..L, from the forward pass for the
      backward pass (line 9 needs A_{l-1}, line 10 needs S'(Z_{l-1})):  2 n sum_{l>=1} p_l
    * finite differences: one layer at a time, A_{l-1} and Z_l:   n max_l (p_{l-1} + p_l)
    * forward mode: the same for the values and for the tangents: 2 n max_l (p_{l-1} + p_l)
    * "parameters": dim(theta) (the same for every method, for comparison).
    """
    layer = n * max(p[l - 1] + p[l] for l in range(1, len(p)))
    counts = {"back-propagation": 2 * n * sum(p[1:]), "finite differences": layer,
              "forward mode": 2 * layer, "parameters": dim_theta(p)}
    if method not in counts:
        raise ValueError(f"method: expected one of {sorted(counts)}, got {method!r}")
    return counts[method]


def stored_floats(net: Network, X: Array) -> int:
    """Floats in the z_l and a_l (l = 1..L) that the engine's feed-forward returns for the
    rows of X: what Algorithm 1 (and 2) keep for the backward pass, counted on the arrays."""
    z, a = net.feed_forward(X)
    return sum(int(z[l].size) + int(a[l].size) for l in range(1, net.L + 1))


# --- timing ----------------------------------------------------------------------------------
def seconds_per_call(fn: Callable[[], Any], min_time: float = 0.01, repeat: int = 3
                     ) -> float:
    """Seconds one call of ``fn()`` takes: the fastest of ``repeat`` rounds, each of as many
    calls as last about ``min_time`` s together (one call when a call is longer). Uses
    ``time.perf_counter`` only (coarse in a browser, hence rounds of >= ``min_time``); the
    fastest round is the one least disturbed by other work on the machine."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    calls = max(1, round(min_time / max(first, 1e-7)))
    best = first
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def problem(p: Sequence[int], n: int = N, seed: int = 0) -> tuple[Network, np.ndarray,
                                                                   np.ndarray]:
    """A tanh network with softmax output and n random examples (float64, seeded)."""
    rng = np.random.default_rng(seed)
    net = Network.init(tuple(p), hidden="tanh", output="softmax", seed=seed)
    X = rng.normal(size=(n, p[0]))
    Y = rng.integers(0, p[-1], size=n)
    return net, X, Y


@dataclass
class Measurements:
    """Counts and times of the three methods (and of one forward pass) on networks
    p = (P0, h, h, PL) for h in ``hidden``, n examples each."""

    hidden: tuple[int, ...]
    n: int
    dims: np.ndarray
    macs: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, np.ndarray] = field(default_factory=dict)
    #: max |g - g_backprop| / max |g_backprop| of each method, at every size
    disagreement: dict[str, np.ndarray] = field(default_factory=dict)


def measure(hidden: Sequence[int] = HIDDEN, n: int = N, seed: int = 0,
            min_time: float = 0.01) -> Measurements:
    """Count and time the gradient three ways (and one forward pass) for each width in
    ``hidden``, and check that the three gradients agree."""
    ps = [widths(h) for h in hidden]
    m = Measurements(tuple(hidden), n, np.array([dim_theta(p) for p in ps]))
    names = (FORWARD, *METHODS)
    for name in names:
        m.macs[name] = np.array([macs(name, p, n) for p in ps], dtype=np.int64)
        m.seconds[name] = np.empty(len(ps))
    for name in METHODS[1:]:
        m.disagreement[name] = np.empty(len(ps))
    for k, p in enumerate(ps):
        seconds, grads = _time_methods(p, n, seed, min_time)
        for name in names:
            m.seconds[name][k] = seconds[name]
        reference = grads["back-propagation"]
        for name in METHODS[1:]:
            m.disagreement[name][k] = np.max(np.abs(grads[name] - reference)) / np.max(
                np.abs(reference))
    return m


def _time_methods(p: Sequence[int], n: int, seed: int, min_time: float
                  ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Seconds per call of one forward pass and of each method on one network, and the
    gradients the methods returned."""
    net, X, Y = problem(p, n, seed)
    grads: dict[str, np.ndarray] = {}
    fns = {
        FORWARD: lambda: net.loss_value(X, Y),
        "back-propagation": lambda: grads.__setitem__(
            "back-propagation", backprop_gradient(net, X, Y)),
        "forward mode": lambda: grads.__setitem__(
            "forward mode", forward_mode_gradient(net, X, Y)),
        "finite differences": lambda: grads.__setitem__(
            "finite differences", finite_difference_gradient(net, X, Y)[0]),
    }
    return {name: seconds_per_call(fn, min_time) for name, fn in fns.items()}, grads


def fitted_slope(x: Sequence[float], y: Sequence[float], top: int = FIT_TOP) -> float:
    """Slope of log y against log x over the ``top`` largest x (a power law y ~ x^slope)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    order = np.argsort(x)[-top:]
    return float(np.polyfit(np.log(x[order]), np.log(y[order]), 1)[0])


# --- figures ---------------------------------------------------------------------------------
def _example_measurements() -> list[dict[str, Any]]:
    return [{"m": measure((2, 4, 8), n=16, min_time=0.001)},
            {"m": measure((3, 6, 12), n=8, min_time=0.001)}]


def _label_ends(ax: Any, lines: Sequence[Any], texts: Sequence[str],
                where: Sequence[str]) -> None:
    """Direct labels right of the lines' ends: ``where[i]`` is "above", "below" or "level",
    so that labels of lines that end close together go to opposite sides."""
    place = {"above": (6, "bottom"), "below": (-6, "top"), "level": (0, "center")}
    for ln, text, w in zip(lines, texts, where, strict=True):
        dy, va = place[w]
        ax.annotate(text, (ln.get_xdata()[-1], ln.get_ydata()[-1]), xytext=(8, dy),
                    textcoords="offset points", va=va, ha="left", fontsize=10,
                    color=ln.get_color(), annotation_clip=False)


@style.plot(examples=_example_measurements)
def cost_figure(m: Measurements) -> Figure:
    """Left: multiply-adds of the whole gradient, counted, three ways, and of one forward
    pass, against dim(theta) (log-log). Right: the cost of the gradient in forward passes,
    counted (lines) and measured (hollow markers: seconds of the gradient over seconds of
    one forward pass, on this machine). Fitted slopes at the ends of the lines."""
    fig = style.figure(9.25, 4.8)
    left, right = fig.subplots(1, 2)
    dims = m.dims
    count_slopes, pass_slopes, time_slopes = {}, {}, {}
    left.loglog(dims, m.macs[FORWARD], color=style.GREY, ls=":", marker="x", lw=1.5)
    lines, right_lines = [], []
    for i, name in enumerate(METHODS):
        count_slopes[name] = fitted_slope(dims, m.macs[name])
        lines.append(left.loglog(dims, m.macs[name], **style.series(i))[0])
        passes = m.macs[name] / m.macs[FORWARD]
        timed = m.seconds[name] / m.seconds[FORWARD]
        pass_slopes[name] = fitted_slope(dims, passes)
        time_slopes[name] = fitted_slope(dims, timed, top=len(dims))  # noisy: use all
        right_lines.append(right.loglog(dims, passes, **style.series(i))[0])
        right.loglog(dims, timed, ls="none", marker=style.MARKERS[i], markersize=11,
                     mfc="none", mec=style.PALETTE[i], mew=1.5)
    # forward mode ends just above finite differences, back-propagation above one pass
    _label_ends(left, [*lines, left.get_lines()[0]],
                [f"{name}\n(slope {count_slopes[name]:.2f})" for name in METHODS]
                + ["one forward pass"], ["above", "above", "below", "below"])
    _label_ends(right, right_lines,
                [f"{name}\nslope {pass_slopes[name]:.2f} (measured {time_slopes[name]:.2f})"
                 for name in METHODS], ["above", "above", "below"])
    left.set_ylabel("multiply-adds (counted)")
    left.set_title(f"operations, n = {m.n} examples")
    right.set_ylabel("cost in forward passes")
    right.set_title("lines: counted; hollow markers: measured")
    for ax in (left, right):
        ax.set_xlabel("number of parameters dim(θ)")
        ax.grid(True, which="major", alpha=0.4)
        ax.set_xlim(dims.min() / 1.3, dims.max() * 12)  # room for the direct labels
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 8)
    big = len(dims) - 1
    bp_passes = m.macs["back-propagation"][big] / m.macs[FORWARD][big]
    fig.suptitle("The gradient costs about 3 forward passes by back-propagation, "
                 "2 or 3 dim(θ) otherwise")
    measured = {name: m.seconds[name][big] / m.seconds[FORWARD][big] for name in METHODS}
    text = (f"Cost of the whole gradient of the mean loss over n = {m.n} examples, for networks "
            f"with dim(theta) from {dims[0]:,} to {dims[-1]:,}, log-log. Left, multiply-adds "
            f"counted: fitted slopes " + ", ".join(
                f"{k} {v:.2f}" for k, v in count_slopes.items())
            + f" (one forward pass: slope {fitted_slope(dims, m.macs[FORWARD]):.2f}). Right, "
            f"the same in forward passes: back-propagation {bp_passes:.2f} at dim(theta) = "
            f"{dims[big]:,} (slope {pass_slopes['back-propagation']:.2f}), forward mode and "
            f"finite differences grow with dim(theta) (slopes "
            f"{pass_slopes['forward mode']:.2f} and {pass_slopes['finite differences']:.2f}). "
            f"Measured on this machine, seconds of the gradient over seconds of one forward "
            f"pass at dim(theta) = {dims[big]:,}: " + ", ".join(
                f"{k} {style.fmt_number(v)}" for k, v in measured.items())
            + "; measured slopes " + ", ".join(f"{k} {v:.2f}" for k, v in time_slopes.items())
            + ".")
    return style.describe(fig, text)


def _example_memory() -> list[dict[str, Any]]:
    return [{"hidden": 16, "n": 10}, {"hidden": 64, "n": 100}]


#: Hidden layers on the memory figure's x axis.
MEMORY_DEPTHS = tuple(range(1, 11))


@style.plot(examples=_example_memory)
def memory_figure(hidden: int, n: int, depths: Sequence[int] = MEMORY_DEPTHS) -> Figure:
    """Floats each method keeps at its peak against the number of hidden layers (width
    ``hidden``, n examples), with dim(theta) for comparison; markers: the floats in the z_l
    and a_l the engine's feed-forward returns, counted on the arrays."""
    depths = list(depths)
    ps = [widths(hidden, L) for L in depths]
    fig = style.figure(9.0, 4.4)
    ax = fig.add_subplot()
    values = {}
    for i, name in enumerate(METHODS):
        values[name] = [memory_floats(name, p, n) for p in ps]
        ax.plot(depths, values[name], label=name, markevery=[], **style.series(i))
    values["parameters"] = [memory_floats("parameters", p) for p in ps]
    ax.plot(depths, values["parameters"], color=style.GREY, ls=":", lw=1.5,
            label="parameters θ")
    counted_depths = depths[:: max(1, len(depths) // 5)]
    counted = []
    for L in counted_depths:
        net, X, _ = problem(widths(hidden, L), n)
        counted.append(stored_floats(net, X))
    ax.plot(counted_depths, counted, ls="none", marker="o", markersize=9, mfc="none",
            mec=style.BLACK, mew=1.5, label="z_l, a_l kept by Network.feed_forward (counted)")
    style.label_lines(ax, ax.get_lines()[:4],
                      ["back-propagation", "forward mode", "finite differences",
                       "parameters θ"])
    ax.set_xlabel(f"number of hidden layers (each of width {hidden})")
    ax.set_ylabel("floats kept at the peak")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xticks(depths)
    ax.set_xlim(depths[0] - 0.3, depths[-1] + 2.6)
    ax.set_ylim(0, None)
    ax.grid(True, alpha=0.4)
    ax.legend(handles=ax.get_lines()[4:], loc="upper left")
    ax.set_title(f"Memory: back-propagation keeps every layer, n = {n} examples")
    bp, fd, par = (values[k][-1] for k in ("back-propagation", "finite differences",
                                           "parameters"))
    versus = (f"{bp / par:.2g} times fewer than what back-propagation keeps" if bp >= par
              else f"{par / bp:.2g} times as many as back-propagation keeps")
    text = (f"Floats kept at the peak by each method against the number of hidden layers "
            f"(width {hidden}, n = {n} examples). Back-propagation keeps every z_l and a_l: "
            f"{values['back-propagation'][0]:,} floats with 1 hidden layer, {bp:,} with "
            f"{depths[-1]}, {2 * n * hidden:,} more per layer; the counts on the engine's "
            f"arrays (circles) equal the formula. Finite differences keep one layer at a "
            f"time, {fd:,} floats, and forward mode twice that, at every depth from 2 on. The "
            f"parameters theta take {par:,} floats at {depths[-1]} layers, {versus}")
    return style.describe(fig, text + ".")
