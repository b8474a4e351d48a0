"""Fused CuPy kernels for the fast path of Algorithm 2 (batched form).

On a GPU, a course-sized gradient (784-256-256-10, n = 1024) is dominated by kernel
launches, not arithmetic: the plain array code of :func:`bplib.batched.algorithm2_batched`
spends several launches on every element-wise step. Each kernel here does one such step in
one launch, reading and writing every entry once:

* ``BIAS_ACTIVATE[name](b, Z)``: Z <- S(Z + b) in place (lines 3-4 of Algorithm 1 for a
  hidden layer; plain code: an add, then the activation);
* ``MUL_DS[name](A, D)``: D <- D ⊙ S'(z) read off A = S(z) in place (the ⊙ of line 10;
  plain code: a comparison or products into temporaries, then a multiply);
* :func:`softmax_ce_delta`: line 5 for softmax + cross-entropy, one thread per example,
  giving Delta_L^T / n and the per-example loss from Z_L^T and b_L (plain code: about ten
  launches for max, subtract, exp, sum, log, divide and the one-hot subtraction);
* :func:`batch_is_valid`: the input check of the batch with one device round trip instead
  of three.

Imported only by :func:`bplib.batched.algorithm2_batched` when the arrays are CuPy arrays
(never by ``import bplib``). Any CuPy wheel works; float32 and float64.

These kernels are written against CuPy's documented ``ElementwiseKernel`` and
``ReductionKernel`` interfaces and have not run on the machines this package is developed
on, which have no GPU. Two safeguards: :func:`enabled` runs :func:`self_check` once per
dtype on first use, comparing every kernel with the lecture's formulas in
:mod:`bplib.activations` and :mod:`bplib.losses`, and falls back to the plain array path
(with a warning) when a kernel fails to compile or disagrees; and the GPU tests
(``pytest -m gpu``, ``benchmarks/gpu_check.sh``) assert that the self-check passes and
that the fused path equals the per-example loop.

Set the environment variable ``BPLIB_FUSED=0`` (or use :func:`disabled`) to run the plain
array path on CuPy, e.g. to compare the two.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cupy as cp
import numpy as np

ENV_VAR = "BPLIB_FUSED"  # "0" turns the fused kernels off

Array = Any


# --- lines 3-4, hidden layer: Z <- S(Z + b) ---------------------------------------------------
def _bias_activate(name: str, body: str) -> Any:
    # b (p,) broadcasts over the rows of Z (n, p); Z is the output and is read first.
    return cp.ElementwiseKernel("T b", "T z", body, f"bplib_bias_{name}")


BIAS_ACTIVATE: dict[str, Any] = {
    # max(t, 0), keeping NaN as NaN like numpy.maximum
    "relu": _bias_activate("relu", "T t = z + b; z = (t > (T)0 || t != t) ? t : (T)0;"),
    "tanh": _bias_activate("tanh", "z = tanh(z + b);"),
    # 0.5 (1 + tanh(t / 2)): the overflow-free form of bplib.activations.logistic
    "logistic": _bias_activate("logistic", "z = (T)0.5 * ((T)1 + tanh((T)0.5 * (z + b)));"),
    "identity": _bias_activate("identity", "z = z + b;"),
}


# --- line 10's ⊙: D <- D * S'(z), with S' read off a = S(z) ------------------------------------
def _mul_dS(name: str, body: str) -> Any:
    return cp.ElementwiseKernel("T a", "T d", body, f"bplib_mul_ds_{name}")


MUL_DS: dict[str, Any] = {
    "relu": _mul_dS("relu", "d = a > (T)0 ? d : (T)0;"),  # ReLU'(z) = 1{a > 0}, ReLU'(0) = 0
    "tanh": _mul_dS("tanh", "d = d * ((T)1 - a * a);"),  # tanh' = 1 - a^2
    "logistic": _mul_dS("logistic", "d = d * (a * ((T)1 - a));"),  # logistic' = a (1 - a)
    # identity: S' = 1, nothing to launch
}


# --- line 5, softmax + cross-entropy: Delta_L^T / n and C_i ------------------------------------
# One thread per example i (the size comes from `loss`, shape (n,)). Z_L^T and Delta_L^T are
# (p, n) with one example per column, so neighbouring threads read neighbouring addresses.
# With t_k = z_k + b_k, m = max_k t_k, s = sum_k exp(t_k - m):
#   delta_k / n = (exp(t_k - m) / s - 1{k = y}) / n,   C_i = log s + m - t_y  (log-sum-exp).
_SOFTMAX_CE_DELTA = cp.ElementwiseKernel(
    "raw T zt, raw T b, raw I y, int64 p, int64 n_ex",
    "raw T dt, T loss",
    """
    T m = zt[i] + b[0];
    for (ptrdiff_t k = 1; k < p; ++k) {
        const T t = zt[k * n_ex + i] + b[k];
        m = t > m ? t : m;
    }
    T s = 0;
    for (ptrdiff_t k = 0; k < p; ++k) {
        const T e = exp(zt[k * n_ex + i] + b[k] - m);
        dt[k * n_ex + i] = e;
        s += e;
    }
    const T scale = (T)1 / (s * (T)n_ex);
    for (ptrdiff_t k = 0; k < p; ++k) {
        dt[k * n_ex + i] *= scale;
    }
    const ptrdiff_t yi = (ptrdiff_t)y[i];
    dt[yi * n_ex + i] -= (T)1 / (T)n_ex;
    loss = log(s) + m - (zt[yi * n_ex + i] + b[yi]);
    """,
    "bplib_softmax_ce_delta",
)


def softmax_ce_delta(ZT: Array, b: Array, Y: Array, DT: Array, loss: Array) -> None:
    """Line 5 for softmax + cross-entropy, transposed: DT <- (G - E_Y)^T / n and
    loss[i] <- C_i, from ZT = (A_{L-1} W_L^T)^T of shape (p_L, n) and the bias b_L."""
    p, n = ZT.shape
    _SOFTMAX_CE_DELTA(ZT, b, Y, int(p), int(n), DT, loss)


# --- the input check: finite X and labels in range, one round trip ---------------------------
_COUNT_NONFINITE = cp.ReductionKernel(
    "T x", "int64 count", "isfinite(x) ? 0 : 1", "a + b", "count = a", "0",
    "bplib_count_nonfinite",
)


def batch_is_valid(net: Any, X: Any, Y: Any) -> bool:
    """True when ``X, Y`` would pass the engine's input check unchanged (a float batch of the
    network's dtype and width, all finite, integer labels in 0..c-1), decided with one
    device synchronisation. False means "run the full check", which converts or raises the
    precise error; it never means the input is wrong."""
    if type(X) is not cp.ndarray or type(Y) is not cp.ndarray or not net.pair.classification:
        return False
    if X.dtype != net.dtype or X.ndim != 2 or X.shape[1] != net.p[0] or X.shape[0] == 0:
        return False
    if Y.dtype.kind not in "iu" or Y.shape != (X.shape[0],):
        return False
    c = net.n_classes
    bad = _COUNT_NONFINITE(X) + cp.count_nonzero((Y < 0) | (Y >= c))  # queued, not synced
    return int(bad) == 0  # the one synchronisation


# --- switching on and off, and the self-check ------------------------------------------------
_switch = {"on": True}
_checked: dict[str, list[str]] = {}  # dtype name -> kernels that failed the self-check


@contextmanager
def disabled() -> Iterator[None]:
    """Run the plain array path on CuPy inside the block (for comparisons)."""
    before = _switch["on"]
    _switch["on"] = False
    try:
        yield
    finally:
        _switch["on"] = before


def enabled(dtype: Any) -> bool:
    """Whether the fused kernels are used for arrays of ``dtype``: not switched off, and the
    self-check of every kernel passed (run once per dtype, on first use)."""
    if not _switch["on"] or os.environ.get(ENV_VAR, "1") == "0":
        return False
    name = np.dtype(dtype).name
    if name not in _checked:
        _checked[name] = self_check(dtype)
        if _checked[name]:
            warnings.warn(
                f"bplib.fused: kernels {_checked[name]} failed the self-check for {name}; "
                "using the plain CuPy path instead", RuntimeWarning, stacklevel=3,
            )
    return not _checked[name]


def self_check(dtype: Any) -> list[str]:
    """Run every kernel once on small random arrays and compare with the lecture formulas
    (:mod:`bplib.activations`, :mod:`bplib.losses`). Returns the names of the kernels that
    failed to compile or disagreed; an empty list means all agree."""
    from .activations import ACTIVATIONS  # noqa: PLC0415
    from .losses import softmax_ce_delta as ref_delta  # noqa: PLC0415
    from .losses import softmax_ce_loss as ref_loss  # noqa: PLC0415

    dtype = np.dtype(dtype)
    # a few ulp of O(10) values: kernels and formulas round in different orders
    tol = {"rtol": 1e-12, "atol": 1e-13} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-5}
    rng = np.random.default_rng(0)
    n, p = 37, 5
    Z = cp.asarray(rng.normal(0.0, 2.0, (n, p)), dtype=dtype)
    b = cp.asarray(rng.normal(0.0, 1.0, p), dtype=dtype)
    D = cp.asarray(rng.normal(0.0, 1.0, (n, p)), dtype=dtype)
    Y = cp.asarray(rng.integers(0, p, n))
    failed = []

    def agree(name: str, got: Array, want: Array) -> None:
        if not bool(cp.allclose(got, want, **tol)):
            failed.append(name)

    def attempt(name: str, fn: Any) -> None:
        try:
            fn()
        except Exception:  # a compile or launch error: this kernel is not usable here
            failed.append(name)

    for name, kernel in BIAS_ACTIVATE.items():
        def run_bias(name: str = name, kernel: Any = kernel) -> None:
            z = Z.copy()
            kernel(b, z)
            agree(f"BIAS_ACTIVATE[{name!r}]", z, ACTIVATIONS[name].S(Z + b))
        attempt(f"BIAS_ACTIVATE[{name!r}]", run_bias)
    for name, kernel in MUL_DS.items():
        def run_mul(name: str = name, kernel: Any = kernel) -> None:
            d = D.copy()
            kernel(ACTIVATIONS[name].S(Z), d)
            agree(f"MUL_DS[{name!r}]", d, D * ACTIVATIONS[name].dS(Z))
        attempt(f"MUL_DS[{name!r}]", run_mul)

    def run_softmax() -> None:
        ZT = cp.ascontiguousarray(Z.T)
        DT, loss = cp.empty_like(ZT), cp.empty(n, dtype=dtype)
        softmax_ce_delta(ZT, b, Y, DT, loss)
        agree("softmax_ce_delta (delta)", DT.T, ref_delta(Z + b, Y) / n)
        agree("softmax_ce_delta (loss)", loss, ref_loss(Z + b, Y))
    attempt("softmax_ce_delta", run_softmax)

    def run_counts() -> None:
        X = Z.copy()
        X[3, 1] = cp.nan
        X[5, 2] = cp.inf
        if int(_COUNT_NONFINITE(X)) != 2 or int(_COUNT_NONFINITE(Z)) != 0:
            failed.append("_COUNT_NONFINITE")
    attempt("_COUNT_NONFINITE", run_counts)
    return failed
