"""The back-propagation theorem as code: Algorithm 1 (one example) and Algorithm 2 (mean
over the training set), as a readable reference path and a fast batched path.

The theorem (lecture): with delta_l = dC/dz_l,

    delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l,
    dC/dW_l = delta_l a_{l-1}^T,        dC/db_l = delta_l,

starting from delta_L = (dS_L/dz_L)(dC/dg) (closed forms in :mod:`bplib.losses`).

Algorithm 1 (gradient of the loss for one example (x, y)), lines as on the slide:

    1  a_0 <- x
    2  for l = 1, ..., L do                        (feed-forward)
    3      z_l <- W_l a_{l-1} + b_l
    4      a_l <- S_l(z_l)
    5  delta_L <- (dS_L/dz_L)(dC/dg)               (closed form for the output/loss pair)
    6  z_0 <- 0                                    (arbitrary; lets the loop run to l = 1)
    7  for l = L, ..., 1 do                        (backward pass)
    8      dC/db_l <- delta_l
    9      dC/dW_l <- delta_l a_{l-1}^T
    10     delta_{l-1} <- S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l
    11 return dC/dW_l, dC/db_l for l = 1, ..., L and g(x) = a_L

Algorithm 2 averages Algorithm 1 over the n training examples: the gradient of the training
loss (1/n) sum_i C_i(theta). :func:`algorithm2_loop` is that literal loop;
:func:`algorithm2_batched` is the same sum as matrix products over a batch with one example
per row: the fast path, in a module of its own (:mod:`bplib.batched`) so this one stays the
slide's code. Tests prove the three equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .activations import ACTIVATIONS
from .backend import get_xp
from .batched import _plain, algorithm2_batched  # noqa: F401  (the fast path; re-exported)
from .network import Gradient, Network, check_network

Array = Any


@dataclass
class Step:
    """One executed line of Algorithm 1, for step-by-step displays (notebook 4)."""

    line: int  # 1..11, as on the slide
    l: int | None  # the layer the line worked on
    text: str  # what the line computed
    z: list
    a: list
    delta: list
    dW: list
    db: list


def algorithm1_steps(net: Network, x: Array, y: Array) -> Iterator[Step]:
    """Algorithm 1, yielding after every line so a display can show the state it leaves.

    Every Step shares the same lists z, a, delta, dW, db, which later lines keep filling in:
    copy them (``[v.copy() if v is not None else None for v in step.z]``) to keep a snapshot.
    The input is checked at the call, before the first step is asked for.
    """
    x = check_network(net).check_x(x)
    if x.ndim != 1:
        raise ValueError(f"x: Algorithm 1 takes one example of shape ({net.p[0]},), "
                         f"got shape {tuple(x.shape)}; use algorithm2_* for a batch")
    return _algorithm1_lines(net, x, net.check_y(y, x))


def _algorithm1_lines(net: Network, x: Array, y: Array) -> Iterator[Step]:
    """The lines of Algorithm 1 for a checked example (see :func:`algorithm1_steps`)."""
    L = net.L
    z, a = [None] * (L + 1), [None] * (L + 1)
    delta, dW, db = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1)

    def step(line: int, l: int | None, text: str) -> Step:
        return Step(line, l, text, z, a, delta, dW, db)

    a[0] = x  # line 1
    yield step(1, 0, "a_0 <- x")
    for l in range(1, L + 1):  # line 2
        yield step(2, l, f"l = {l}")
        z[l] = net.W[l] @ a[l - 1] + net.b[l]  # line 3
        yield step(3, l, f"z_{l} <- W_{l} a_{l - 1} + b_{l}")
        a[l] = net.pair.S_L(z[l]) if l == L else ACTIVATIONS[net.S[l]].S(z[l])  # line 4
        yield step(4, l, f"a_{l} <- S_{l}(z_{l})")
    delta[L] = net.pair.delta_L(z[L], y)  # line 5
    yield step(5, L, f"delta_{L} <- (dS_{L}/dz_{L})(dC/dg)")
    z[0] = x.dtype.type(0) * x  # line 6 (never used: the loop stops before needing S'_0)
    yield step(6, 0, "z_0 <- 0")
    for l in range(L, 0, -1):  # line 7
        yield step(7, l, f"l = {l}")
        db[l] = delta[l]  # line 8
        yield step(8, l, f"dC/db_{l} <- delta_{l}")
        dW[l] = get_xp(x).outer(delta[l], a[l - 1])  # line 9
        yield step(9, l, f"dC/dW_{l} <- delta_{l} a_{l - 1}^T")
        if l > 1:  # line 10 (for l = 1, delta_0 would need S'_0, which does not exist)
            delta[l - 1] = ACTIVATIONS[net.S[l - 1]].dS(z[l - 1]) * (net.W[l].T @ delta[l])
            yield step(10, l, f"delta_{l - 1} <- S'_{l - 1}(z_{l - 1}) ⊙ W_{l}^T delta_{l}")
    yield step(11, None, "return dC/dW_l, dC/db_l for all l, and g(x) = a_L")  # line 11


def algorithm1(net: Network, x: Array, y: Array) -> Gradient:
    """Algorithm 1: the gradient of C(theta) for one example (x, y), line by line."""
    *_, last = algorithm1_steps(net, x, y)
    C = float(net.pair.C(last.z[net.L], net.check_y(y, last.a[0])))
    return Gradient(last.dW, last.db, C)


def _check_batch(net: Network, X: Array, Y: Array) -> tuple[Array, Array]:
    """A training set (X, Y) for ``net``, checked and converted (see Network.check_batch)."""
    return check_network(net).check_batch(X, Y)


def algorithm2_loop(net: Network, X: Array, Y: Array) -> Gradient:
    """Algorithm 2 as written: run Algorithm 1 on each example and average (reference path)."""
    X, Y = _check_batch(net, X, Y)
    n = X.shape[0]
    sum_W = [None] + [0.0 * W for W in net.W[1:]]
    sum_b = [None] + [0.0 * b for b in net.b[1:]]
    C = 0.0
    for i in range(n):
        g = algorithm1(net, X[i], Y[i])
        for l in range(1, net.L + 1):
            sum_W[l] += g.W[l]
            sum_b[l] += g.b[l]
        C += g.C
    return Gradient([None] + [s / n for s in sum_W[1:]], [None] + [s / n for s in sum_b[1:]],
                    C / n)
