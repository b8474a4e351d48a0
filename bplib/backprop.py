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
per row (the fast path). Tests prove the three equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from .activations import ACTIVATIONS
from .backend import get_xp
from .network import Network

Array = Any


class Gradient(NamedTuple):
    """dC/dW_l and dC/db_l as layer-indexed lists (index 0 unused) and the loss C."""

    W: list
    b: list
    C: float

    def theta(self) -> Array:
        """The gradient as one vector, in theta's packing order."""
        from .network import pack  # noqa: PLC0415

        return pack(self.W, self.b)


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
    """Algorithm 1, yielding after every line so a display can show the state it leaves."""
    x = net.check_x(x)
    if x.ndim != 1:
        raise ValueError(f"x: Algorithm 1 takes one example of shape ({net.p[0]},), "
                         f"got shape {tuple(x.shape)}; use algorithm2_* for a batch")
    y = net.check_y(y, x)
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
    X = net.check_x(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X: expected a training set of shape (n, {net.p[0]}), one example per "
                         f"row, got shape {tuple(X.shape)}")
    return X, net.check_y(Y, X, "Y")


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


def algorithm2_batched(net: Network, X: Array, Y: Array) -> Gradient:
    """Algorithm 2 in batched matrix form (fast path): the mean gradient over the n rows of X.

    With one example per row, lines 3, 9 and 10 of Algorithm 1 for all examples at once are

        Z_l = A_{l-1} W_l^T + b_l,           (line 3)
        dC/dW_l = (1/n) Delta_l^T A_{l-1},   dC/db_l = (1/n) 1^T Delta_l   (lines 8-9, averaged)
        Delta_{l-1} = S'_{l-1}(Z_{l-1}) ⊙ (Delta_l W_l),               (line 10)

    i.e. three matrix products per layer (none for Delta_0). Fast path: the 1/n is folded
    into Delta_L once, and Z_l, A_l, Delta_l live in buffers reused across calls and updated
    in place (same results as :func:`algorithm2_loop`, proven by the tests).
    """
    X, Y = _check_batch(net, X, Y)
    xp, L, n = net.xp, net.L, X.shape[0]
    Z, A, D = _buffers(net, n)
    A[0] = X
    for l in range(1, L + 1):  # feed-forward, in place
        xp.matmul(A[l - 1], net.W[l].T, out=Z[l])
        Z[l] += net.b[l]
        if l < L:
            _activate_inplace(net.S[l], Z[l], A[l])
    C, D[L] = _output_delta(net, Z[L], Y, D[L])  # Delta_L / n, and the mean loss
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):  # backward pass
        dW[l] = D[l].T @ A[l - 1]  # (p_l, p_{l-1}); the 1/n is already in D[l]
        db[l] = D[l].sum(axis=0)
        if l > 1:
            xp.matmul(D[l], net.W[l], out=D[l - 1])  # Delta_l W_l: (n, p_{l-1})
            _mul_dS_inplace(net.S[l - 1], D[l - 1], Z[l - 1], A[l - 1])
    return Gradient(dW, db, C)


# --- fast-path helpers -----------------------------------------------------------------------
def _buffers(net: Network, n: int) -> tuple[list, list, list]:
    """Z_l, A_l, Delta_l work arrays for a batch of n, allocated once per (n, dtype, device)."""
    key = (n, net.dtype, net.xp.__name__, net.p)
    if net._cache.get("key") != key:
        xp, p = net.xp, net.p
        Z = [None] + [xp.empty((n, p[l]), dtype=net.dtype) for l in range(1, net.L + 1)]
        A = [None] + [xp.empty((n, p[l]), dtype=net.dtype) for l in range(1, net.L)] + [None]
        D = [None] + [xp.empty((n, p[l]), dtype=net.dtype) for l in range(1, net.L + 1)]
        net._cache.clear()
        net._cache.update(key=key, Z=Z, A=A, D=D)
    return net._cache["Z"], net._cache["A"], net._cache["D"]


def _activate_inplace(name: str, Z: Array, out: Array) -> None:
    """A_l = S_l(Z_l) written into ``out`` (no temporaries for ReLU and identity)."""
    xp = get_xp(Z)
    if name == "relu":
        xp.maximum(Z, 0, out=out)
    elif name == "identity":
        out[...] = Z
    elif name == "tanh":
        xp.tanh(Z, out=out)
    else:
        out[...] = ACTIVATIONS[name].S(Z)


def _mul_dS_inplace(name: str, D: Array, Z: Array, A: Array) -> None:
    """D *= S'(Z) in place, using A = S(Z) where that is cheaper than recomputing S'."""
    xp = get_xp(D)
    if name == "relu":
        D *= Z > 0  # ReLU'(0) = 0: the kink gets no gradient
    elif name == "identity":
        pass
    elif name == "tanh":
        D *= 1.0 - A * A
    elif name == "logistic":
        D *= A * (1.0 - A)
    else:  # any activation registered later
        xp.multiply(D, ACTIVATIONS[name].dS(Z), out=D)


def _output_delta(net: Network, Z_L: Array, Y: Array, out: Array) -> tuple[float, Array]:
    """(mean loss, Delta_L / n) for the batch; softmax + cross-entropy done in place."""
    xp, n = get_xp(Z_L), Z_L.shape[0]
    C = float(xp.mean(net.pair.C(Z_L, Y)))
    if net.pair.output == "softmax":
        xp.subtract(Z_L, Z_L.max(axis=1, keepdims=True), out=out)  # stable: subtract max
        xp.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)  # G = softmax(Z_L)
        out[xp.arange(n), Y] -= 1.0  # G - E_Y
        out *= 1.0 / n
        return C, out
    return C, net.pair.delta_L(Z_L, Y) * (1.0 / n)  # other pairs: closed form, then scale
