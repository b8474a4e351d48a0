"""Algorithm 2 in batched matrix form: the fast path.

:func:`algorithm2_batched` computes the same mean gradient over a training set as the
readable loop :func:`bplib.backprop.algorithm2_loop` (Algorithm 1 once per example), as a few
matrix products per layer over a batch with one example per row, in buffers kept between
calls and updated in place. Everything here is there for speed and is measured by
``python -m bplib.bench``; the slide's code is in :mod:`bplib.backprop`, and the tests prove
the two equal. On CuPy, each element-wise step is one fused kernel (:mod:`bplib.fused`).
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from . import activations
from .activations import ACTIVATIONS
from .backend import get_xp
from .network import Gradient, Network, check_network

Array = Any


def algorithm2_batched(net: Network, X: Array, Y: Array) -> Gradient:
    """Algorithm 2 in batched matrix form (fast path): the mean gradient over the n rows of X.

    With one example per row, Algorithm 1's lines for all n examples at once read

        Z_l = A_{l-1} W_l^T + b_l,  A_l = S_l(Z_l)                    (lines 3-4)
        Delta_L: row i is delta_L = (dS_L/dz_L)(dC/dg) of example i  (line 5)
        dC/dW_l = (1/n) Delta_l^T A_{l-1},  dC/db_l = (1/n) Delta_l^T 1  (lines 8-9, averaged)
        Delta_{l-1} = S'_{l-1}(Z_{l-1}) ⊙ (Delta_l W_l)              (line 10)

    so the work is 3L - 1 matrix products (Delta_0 is never needed) plus element-wise passes.
    Returns the mean gradient and the mean loss, equal to :func:`algorithm2_loop` up to
    float rounding (the tests prove it).

    What makes it fast (measured by ``python -m bplib.bench``):

    * 1/n is folded into Delta_L once, so no gradient is rescaled afterwards;
    * Z_l, A_l, Delta_l live in buffers kept on ``net`` and reused while n, the dtype and
      the layer widths stay the same; every step writes into them with ``out=``;
    * A_l overwrites Z_l in place, because S'_l is read off A_l (ReLU: 1{a > 0},
      tanh: 1 - a^2, logistic: a (1 - a)), so a hidden layer costs two element-wise passes
      forward (add b_l, apply S_l) and one or two backward (multiply by S'_l); ReLU is a
      maximum against a broadcast zero row, which NumPy runs faster than against 0;
    * the output layer is kept transposed, Z_L^T of shape (p_L, n), so the per-example
      max and sum of softmax run along the long axis; softmax + cross-entropy then gives
      Delta_L = (G - E_Y) / n and the loss from one max-shifted exp, with no one-hot matrix;
    * line 10 runs before lines 8-9 of the same layer (same values), so A_{l-1} is still in
      cache for the product of line 9;
    * the common input (a float batch of the network's dtype, integer labels) is checked
      with one matrix-vector product X 1 instead of an ``isfinite`` pass; anything else goes
      to the full check, so every input error is the same as on the reference path;
    * on CuPy, each element-wise step is one fused kernel (:mod:`bplib.fused`) and the
      input check costs one device round trip.

    The returned arrays are new; the buffers are never handed out. Not thread-safe for
    concurrent calls on the same ``net``.
    """
    fused = _fused_kernels(check_network(net).xp, net.dtype)
    if not (fused or _plain).batch_is_valid(net, X, Y):  # the common case, checked cheaply
        X, Y = net.check_batch(X, Y)  # converts, or raises the precise error
    xp, L, n = net.xp, net.L, X.shape[0]
    work = _buffers(net, n)
    Z, A, D = work.Z, work.A, work.D
    A_prev = X  # A_0 = X
    for l in range(1, L):  # feed-forward (lines 2-4) through the hidden layers
        xp.matmul(A_prev, net.W[l].T, out=Z[l])  # Z_l = A_{l-1} W_l^T: (n, p_l)
        _activate_inplace(net.S[l], Z[l], net.b[l], A[l], work, fused)  # A_l = S_l(Z_l + b_l)
        A_prev = A[l]
    xp.matmul(net.W[L], A_prev.T, out=work.ZT)  # Z_L^T = W_L A_{L-1}^T: (p_L, n)
    C = _output_delta(net.pair, work.ZT, net.b[L], Y, work.DT, work, fused)  # line 5, with 1/n
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):  # backward pass (lines 7-10); D[L] is the view DT.T
        A_prev = A[l - 1] if l > 1 else X
        if l > 1:  # line 10 before lines 8-9 (same values): A_{l-1} is then hot for line 9
            xp.matmul(D[l], net.W[l], out=D[l - 1])  # Delta_l W_l: (n, p_{l-1})
            _mul_dS_inplace(net.S[l - 1], D[l - 1], Z[l - 1], A[l - 1], work, fused)
        dW[l] = D[l].T @ A_prev  # (1/n) Delta_l^T A_{l-1}: (p_l, p_{l-1})
        db[l] = _column_sums(D[l], work, fused)  # (1/n) Delta_l^T 1: (p_l,)
    return Gradient(dW, db, C)


# --- fast-path helpers (used only by algorithm2_batched) -------------------------------------
#: Hidden activations whose derivative the fast path reads off a = S(z), so A_l may
#: overwrite Z_l. Any activation registered later keeps its own Z_l and uses its dS(z).
_DS_FROM_A = frozenset({"relu", "tanh", "logistic", "identity"})


def _dS_from_A(name: str) -> bool:
    """Whether S'_l can be read off A_l = S_l(Z_l). For the ReLU only while ReLU'(0) = 0
    (:data:`bplib.activations.RELU_PRIME_AT_ZERO`): a = 0 for z = 0 and for z < 0 alike,
    so another kink value needs Z_l itself."""
    return name in _DS_FROM_A and not (name == "relu" and activations.RELU_PRIME_AT_ZERO)


class _Work(NamedTuple):
    """Work arrays of the fast path for one (n, dtype, device, widths, activations)."""

    key: tuple
    Z: list  # Z[l]: (n, p_l) for the hidden layers l = 1..L-1
    A: list  # A[l]: the same array as Z[l] when S'_l comes from A_l, else its own
    D: list  # D[l]: Delta_l / n, (n, p_l); D[L] is DT.T
    ZT: Array  # Z_L^T: (p_L, n), one example per column
    DT: Array  # Delta_L^T / n: (p_L, n)
    ones: Array  # (n,): Delta_l^T 1 is the bias gradient (on CuPy)
    rows: Array  # (n,): 0..n-1
    zero_row: Array  # (max p_l,) zeros: max(Z, 0-row) broadcasts, faster than a 0 scalar
    scratch: Array  # (n * max p_l,) float scratch for tanh' and logistic'
    loss: Array  # (n,): per-example loss (written by the CuPy kernel)

    @staticmethod
    def like(flat: Array, M: Array) -> Array:
        """The first M.size entries of scratch ``flat``, shaped like M (contiguous)."""
        return flat[: M.size].reshape(M.shape)


def _buffers(net: Network, n: int) -> _Work:
    """Work arrays for a batch of n, allocated once and kept on ``net`` while the key holds.

    The key has n, the dtype, the array module, the widths p and the activations, so a call
    with another batch size, dtype, device or architecture never sees stale buffers.
    """
    xp, p, L = net.xp, net.p, net.L
    key = (n, net.dtype, xp.__name__, p, tuple(net.S), activations.RELU_PRIME_AT_ZERO)
    work = net._cache.get("work")
    if work is not None and work.key == key:
        return work
    net._cache.clear()  # drop the old buffers before allocating new ones

    def new(*shape: int) -> Array:
        return xp.empty(shape, dtype=net.dtype)

    Z = [None] + [new(n, p[l]) for l in range(1, L)] + [None]
    A = [None] + [Z[l] if _dS_from_A(net.S[l]) else new(n, p[l]) for l in range(1, L)]
    DT = new(p[L], n)
    D = [None] + [new(n, p[l]) for l in range(1, L)] + [DT.T]
    widest = max(p[1:])
    work = _Work(
        key, Z, A + [None], D, ZT=new(p[L], n), DT=DT,
        ones=xp.ones(n, dtype=net.dtype),
        rows=xp.arange(n, dtype=xp.int64),
        zero_row=xp.zeros(widest, dtype=net.dtype),
        scratch=new(n * widest),
        loss=new(n),
    )
    net._cache["work"] = work
    return work


def _fused_kernels(xp: Any, dtype: Any) -> Any:
    """The module of fused CuPy kernels when ``xp`` is CuPy and they work here, else None."""
    if xp is np:
        return None
    try:
        from . import fused  # noqa: PLC0415  (imports CuPy; only reached with CuPy arrays)
    except Exception as exc:  # a CuPy build without kernel support: keep the plain path
        warnings.warn(f"bplib.fused unavailable ({type(exc).__name__}: {exc}); using the "
                      "plain CuPy path", RuntimeWarning, stacklevel=3)
        return None
    return fused if fused.enabled(dtype) else None


class _plain:  # noqa: N801  (a namespace, used like the module bplib.fused)
    """Array-module code for what :mod:`bplib.fused` does in one kernel on CuPy."""

    @staticmethod
    def batch_is_valid(net: Network, X: Any, Y: Any) -> bool:
        """True when ``X, Y`` would pass :meth:`Network.check_batch` unchanged: a float batch of the
        network's dtype and width, all finite, integer labels in 0..c-1. False means "run
        the full check" (which converts or raises the precise error), never "invalid".

        Finiteness costs one matrix-vector product X 1 instead of an ``isfinite`` pass: in
        IEEE arithmetic a row sum is finite only if every entry is (a finite row whose sum
        overflows just sends the batch to the full check).
        """
        kind = type(net.W[1])
        if type(X) is not kind or type(Y) is not kind or not net.pair.classification:
            return False
        W1 = net.W[1]
        if X.dtype != W1.dtype or X.ndim != 2 or X.shape[1] != W1.shape[1] or X.shape[0] == 0:
            return False
        if Y.dtype.kind not in "iu" or Y.shape != (X.shape[0],):
            return False
        # labels in 0..c-1 with one reduction: as unsigned, a negative label is huge
        if int(Y.view(f"u{Y.dtype.itemsize}").max()) >= net.n_classes:
            return False
        xp = net.xp
        with np.errstate(over="ignore", invalid="ignore"):  # overflow only means "look closer"
            row_sums = X @ xp.ones(X.shape[1], dtype=X.dtype)
        return bool(xp.isfinite(row_sums).all())


def _column_sums(D: Array, work: _Work, fused: Any = None) -> Array:
    """Delta_l^T 1: line 8's dC/db_l = delta_l summed over the examples (the 1/n is already
    in Delta_l). A reduction on NumPy (measured faster there than a BLAS matrix-vector
    product), ones @ Delta_l on CuPy (one cuBLAS call)."""
    if fused is None and get_xp(D) is np:
        return D.sum(axis=0)
    return work.ones @ D


def _activate_inplace(name: str, Z: Array, b: Array, out: Array, work: _Work,
                      fused: Any = None) -> None:
    """Lines 3-4 for a hidden layer: A_l = S_l(Z_l + b_l) written into ``out`` (may be Z)."""
    if fused is not None and out is Z and name in fused.BIAS_ACTIVATE:
        fused.BIAS_ACTIVATE[name](b, Z)  # one kernel: Z <- S(Z + b)
        return
    xp = get_xp(Z)
    Z += b
    if name == "relu":
        xp.maximum(Z, work.zero_row[: Z.shape[1]], out=out)
    elif name == "tanh":
        xp.tanh(Z, out=out)
    elif name == "logistic":  # 0.5 (1 + tanh(z / 2)): the operations of activations.logistic
        xp.multiply(Z, 0.5, out=out)
        xp.tanh(out, out=out)
        out += 1.0
        out *= 0.5
    elif name == "identity":
        if out is not Z:
            out[...] = Z
    else:  # an activation registered later: its own S, into its own buffer
        out[...] = ACTIVATIONS[name].S(Z)


def _mul_dS_inplace(name: str, D: Array, Z: Array, A: Array, work: _Work,
                    fused: Any = None) -> None:
    """Line 10's ⊙: D <- S'(Z) ⊙ D in place, with S' read off A = S(Z) where possible."""
    if not _dS_from_A(name):  # a later activation, or ReLU'(0) != 0: S' at the kept Z
        D *= ACTIVATIONS[name].dS(Z)
        return
    if fused is not None and name in fused.MUL_DS:
        fused.MUL_DS[name](A, D)  # one kernel: D <- D * S'(from A)
        return
    xp = get_xp(D)
    if name == "relu":  # ReLU'(z) = 1{z > 0} = 1{a > 0}, as ReLU'(0) = 0 here (see _dS_from_A)
        D *= A > 0  # measured: faster than a kept bool buffer and xp.greater(out=)
    elif name == "tanh":  # tanh' = 1 - a^2
        t = work.like(work.scratch, D)
        xp.multiply(A, A, out=t)
        xp.subtract(1.0, t, out=t)
        D *= t
    elif name == "logistic":  # logistic' = a (1 - a)
        t = work.like(work.scratch, D)
        xp.subtract(1.0, A, out=t)
        t *= A
        D *= t
    # identity: S' = 1, nothing to do


def _output_delta(pair: Any, ZT: Array, b: Array, Y: Array, DT: Array, work: _Work,
                  fused: Any = None) -> float:
    """Line 5 for the batch, transposed: Delta_L^T / n written into ``DT`` (after finishing
    Z_L^T = W_L A_{L-1}^T + b_L), and the mean loss (1/n) sum_i C_i as a float.

    Softmax + cross-entropy (delta_L = g - e_{y+1}; code index y): with m_i = max_k z_ki and
    s_i = sum_k exp(z_ki - m_i), g_i = exp(z_i - m_i) / s_i and C_i = log s_i + m_i - z_{y_i,i}
    (log-sum-exp: nothing overflows). Other pairs use their closed form from
    :mod:`bplib.losses` on the (n, p_L) view.
    """
    n = ZT.shape[1]
    if fused is not None and pair.output == "softmax":
        fused.softmax_ce_delta(ZT, b, Y, DT, work.loss)  # one kernel, + b_L included
        return float(work.loss.sum()) / n
    xp = get_xp(ZT)
    ZT += b[:, None]
    if pair.output == "softmax":
        m = ZT.max(axis=0)  # (n,)
        xp.subtract(ZT, m, out=DT)  # Z - m <= 0: exp cannot overflow
        flat = DT.reshape(-1)  # a view; entry (y_i, i) sits at y_i n + i
        # in int64, whatever the labels' dtype: y_i n + i overflows uint8 labels from n = 256
        at_y = Y.astype(xp.int64, copy=False) * n + work.rows
        zy = flat[at_y]  # z_{y_i,i} - m_i (a copy)
        xp.exp(DT, out=DT)
        s = DT.sum(axis=0)  # (n,)
        C = (float(xp.log(s).sum()) - float(zy.sum())) / n  # mean of log s_i - (z_y - m)_i
        s *= n
        DT /= s  # G^T / n
        flat[at_y] -= 1.0 / n  # (G - E_Y)^T / n
        return C
    Z = ZT.T  # (n, p_L) view
    C = float(xp.mean(pair.C(Z, Y)))
    xp.multiply(pair.delta_L(Z, Y), 1.0 / n, out=DT.T)
    return C
