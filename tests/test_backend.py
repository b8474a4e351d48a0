"""Backend selection (argument, $BPLIB_BACKEND, array type), CuPy never imported unasked,
and the fast path (algorithm2_batched) equal to the per-example loop on every backend.

Tolerances of the equivalence tests, as the largest entry-wise difference relative to the
largest entry of the loop's gradient (and the same for the loss): float64 1e-12 (measured
differences are ~1e-15: the two paths only add the same terms in another order), float32
1e-4 (float32 rounding is 6e-8 per operation; a few hundred accumulate in these sums).

The ``xp`` fixture (tests/conftest.py) runs each test on NumPy and, where a CUDA device is
usable, on CuPy, where ``algorithm2_batched`` uses the fused kernels of bplib.fused.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bplib import Network, algorithm2_batched, algorithm2_loop
from bplib.activations import ACTIVATIONS
from bplib.backend import (
    ENV_VAR,
    BackendUnavailable,
    available_backends,
    backend_name,
    cupy_available,
    get_xp,
    resolve_backend,
    to_numpy,
)
from bplib.backprop import _check_batch, _plain
from bplib.losses import OUTPUT_LOSSES

TOL = {np.float64: 1e-12, np.float32: 1e-4}
PAIRS = sorted(OUTPUT_LOSSES)
HIDDEN = sorted(ACTIVATIONS)


@pytest.fixture
def no_cupy(monkeypatch):
    """Make ``import cupy`` fail, as on a machine without CuPy (also on a GPU machine)."""
    monkeypatch.setitem(sys.modules, "cupy", None)


# --- choosing the backend ---------------------------------------------------------------------
def test_default_is_numpy_without_argument_or_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_backend() is np
    assert resolve_backend(None) is np
    assert Network.init([2, 3, 2]).xp is np


def test_argument_selects_and_overrides_env(monkeypatch, no_cupy):
    monkeypatch.setenv(ENV_VAR, "cupy")
    assert resolve_backend("numpy") is np  # the argument wins; CuPy is never touched
    assert resolve_backend("NumPy") is np
    assert resolve_backend(np) is np
    assert Network.init([2, 3, 2], backend="numpy").xp is np


def test_env_var_selects_backend(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "numpy")
    assert resolve_backend() is np


def test_env_var_cupy_without_cupy_raises_backend_unavailable(monkeypatch, no_cupy):
    monkeypatch.setenv(ENV_VAR, "cupy")
    with pytest.raises(BackendUnavailable, match="pip install"):
        resolve_backend()
    with pytest.raises(BackendUnavailable, match="backend='numpy'"):
        Network.init([2, 3, 2])


@pytest.mark.parametrize("bad", ["tensorflow", "", "cuda", 3])
def test_bad_backend_name_is_a_value_error_naming_the_argument(bad):
    with pytest.raises(ValueError, match=r"backend: expected one of \('numpy', 'cupy'\), got"):
        resolve_backend(bad)
    with pytest.raises(ValueError, match="backend: expected"):
        Network.init([2, 3, 2], backend=bad)


def test_bad_env_var_is_a_value_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "jax")
    with pytest.raises(ValueError, match=r"\$BPLIB_BACKEND: expected one of .*got 'jax'"):
        resolve_backend()


def test_cupy_requested_without_cupy_says_how_to_install(no_cupy):
    with pytest.raises(BackendUnavailable) as info:
        resolve_backend("cupy")
    message = str(info.value)
    assert "backend='cupy'" in message
    assert "pip install -e '.[gpu]'" in message and "cupy-cuda12x" in message
    with pytest.raises(BackendUnavailable):
        Network.init([2, 3, 2], backend="cupy")
    with pytest.raises(BackendUnavailable):
        Network.init([2, 3, 2]).to("cupy")
    ok, reason = cupy_available()
    assert not ok and "pip install" in reason
    assert available_backends() == ["numpy"]


def test_array_type_selects_backend():
    assert get_xp(np.zeros(2)) is np
    assert get_xp([1.0, 2.0], 3.0) is np
    assert backend_name(np) == "numpy"
    x = np.arange(3.0)
    assert to_numpy(x) is x


def test_available_backends_lists_numpy_first():
    names = available_backends()
    assert names[0] == "numpy"
    assert set(names) <= {"numpy", "cupy"}
    assert ("cupy" in names) == cupy_available()[0]


def test_import_bplib_never_imports_cupy():
    """Even with BPLIB_BACKEND=cupy and after a NumPy gradient, CuPy stays unimported."""
    code = (
        "import sys, numpy as np, bplib\n"
        "net = bplib.Network.init([3, 4, 2], backend='numpy')\n"
        "bplib.algorithm2_batched(net, np.ones((5, 3)), np.zeros(5, int))\n"
        "import bplib.bench\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cupy'"
        " or m == 'bplib.fused'))\n"
    )
    env = {**os.environ, ENV_VAR: "cupy"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --- the fast path equals the loop on every backend ------------------------------------------
def _problem(xp, backend, p, hidden, output, loss, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    net = Network.init(p, hidden=hidden, output=output, loss=loss, rng=rng, dtype=dtype,
                       backend=backend)
    for l in range(1, net.L + 1):  # non-zero biases, so every term of the gradient counts
        net.b[l][...] = xp.asarray(rng.normal(0.0, 0.5, net.b[l].shape), dtype=dtype)
    X = xp.asarray(rng.normal(size=(n, p[0])), dtype=dtype)
    if net.pair.classification:
        Y = xp.asarray(rng.integers(0, net.n_classes, n))
    else:
        Y = xp.asarray(rng.normal(size=(n, p[-1])), dtype=dtype)
    return net, X, Y


def assert_same_gradient(got, want, tol):
    g, w = to_numpy(got.theta()), to_numpy(want.theta())
    assert g.dtype == w.dtype
    scale = np.max(np.abs(w))
    assert np.max(np.abs(g - w)) <= tol * scale, (np.max(np.abs(g - w)), scale)
    assert abs(got.C - want.C) <= tol * abs(want.C), (got.C, want.C)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("pair", PAIRS, ids="+".join)
def test_batched_equals_loop_for_every_activation_and_pair(xp, backend, pair, hidden, dtype):
    output, loss = pair
    p = [5, 7, 6, 3 if output == "reduced_softmax" else 4]
    net, X, Y = _problem(xp, backend, p, hidden, output, loss, 9, dtype)
    g = algorithm2_batched(net, X, Y)
    assert get_xp(g.W[1]) is xp and g.W[1].dtype == dtype and isinstance(g.C, float)
    assert [tuple(w.shape) for w in g.W[1:]] == [tuple(w.shape) for w in net.W[1:]]
    assert_same_gradient(g, algorithm2_loop(net, X, Y), TOL[dtype])


def test_batched_equals_loop_on_a_deeper_wider_network(xp, backend):
    net, X, Y = _problem(xp, backend, [30, 64, 48, 40, 10], "relu", "softmax", None, 200,
                         np.float64, seed=3)
    assert_same_gradient(algorithm2_batched(net, X, Y), algorithm2_loop(net, X, Y), 1e-12)


def test_repeated_calls_do_not_reuse_stale_buffers(xp, backend):
    """Change n, the data, the dtype and a hidden activation between calls on one network;
    every result must equal the loop, and earlier results must not change afterwards."""
    net, X, Y = _problem(xp, backend, [4, 6, 5, 3], "tanh", "softmax", None, 11, np.float64)
    first = algorithm2_batched(net, X, Y)
    kept = to_numpy(first.theta()).copy()
    for n in (3, 11, 1, 7):  # other batch sizes, and back to the first one
        assert_same_gradient(algorithm2_batched(net, X[:n], Y[:n]),
                             algorithm2_loop(net, X[:n], Y[:n]), 1e-12)
    X2 = X[::-1].copy()  # same n, other data
    assert_same_gradient(algorithm2_batched(net, X2, Y), algorithm2_loop(net, X2, Y), 1e-12)
    np.testing.assert_array_equal(to_numpy(first.theta()), kept)  # results are not buffers

    for l in range(1, net.L + 1):  # same network object, now float32
        net.W[l] = net.W[l].astype(np.float32)
        net.b[l] = net.b[l].astype(np.float32)
    X32 = X.astype(np.float32)
    g32 = algorithm2_batched(net, X32, Y)
    assert g32.W[1].dtype == np.float32
    assert_same_gradient(g32, algorithm2_loop(net, X32, Y), TOL[np.float32])

    net.S = (None, "relu", "logistic", net.S[-1])  # same widths, other hidden activations
    assert_same_gradient(algorithm2_batched(net, X32, Y), algorithm2_loop(net, X32, Y),
                         TOL[np.float32])


def test_fast_path_keeps_the_input_errors(xp, backend):
    """The cheap check of the common case hands everything else to the full check."""
    net, X, Y = _problem(xp, backend, [3, 4, 2], "relu", "softmax", None, 6, np.float64)
    bad = X.copy()
    bad[2, 1] = xp.nan
    with pytest.raises(ValueError, match="X: expected finite values, got 1 nan/inf"):
        algorithm2_batched(net, bad, Y)
    bad[2, 1] = xp.inf
    with pytest.raises(ValueError, match="X: expected finite values"):
        algorithm2_batched(net, bad, Y)
    with pytest.raises(ValueError, match="Y: expected labels in 0..1"):
        algorithm2_batched(net, X, xp.asarray([0, 1, 2, 0, 1, 0]))
    with pytest.raises(ValueError, match="Y: expected labels in 0..1"):
        algorithm2_batched(net, X, xp.asarray([0, 1, -1, 0, 1, 0]))
    with pytest.raises(ValueError, match="X: expected 3 features"):
        algorithm2_batched(net, X[:, :2], Y)
    with pytest.raises(ValueError, match="Y: expected shape"):
        algorithm2_batched(net, X, Y[:5])
    with pytest.raises(ValueError, match="X: expected at least one example"):
        algorithm2_batched(net, X[:0], Y[:0])
    # inputs the full check converts give the same gradient as the canonical ones
    want = algorithm2_batched(net, X, Y)
    assert_same_gradient(algorithm2_batched(net, X.astype(np.float32), Y), want, 1e-6)
    assert_same_gradient(algorithm2_batched(net, X, Y.astype(np.float64)), want, 0.0)


def test_cheap_input_check_is_exact_about_finiteness():
    """X 1 is finite only if X is: NaN or inf anywhere sends the batch to the full check,
    and so does a finite batch whose row sum overflows (which the full check accepts)."""
    net = Network.init([3, 4, 2])
    X, Y = np.ones((4, 3)), np.array([0, 1, 1, 0])
    assert _plain.batch_is_valid(net, X, Y)
    for value in (np.nan, np.inf, -np.inf):
        bad = X.copy()
        bad[1, 2] = value
        assert not _plain.batch_is_valid(net, bad, Y)
    huge = np.full((4, 3), 1e308)  # finite, but every row sum overflows to inf
    assert not _plain.batch_is_valid(net, huge, Y)
    _check_batch(net, huge, Y)  # the full check accepts it
    assert not _plain.batch_is_valid(net, X, Y.astype(float))  # converted by the full check
    assert not _plain.batch_is_valid(net, X.astype(np.float32), Y)
    assert not _plain.batch_is_valid(net, X, np.array([0, 1, 2, 0]))


# --- CuPy only: the fused kernels -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_fused_kernels_pass_their_self_check_and_match_the_plain_path(xp, backend, dtype):
    if backend != "cupy":
        pytest.skip("the fused kernels exist for CuPy only")
    from bplib import fused

    assert fused.self_check(dtype) == []
    assert fused.enabled(dtype)
    for hidden in HIDDEN:
        net, X, Y = _problem(xp, backend, [6, 9, 8, 5], hidden, "softmax", None, 33, dtype)
        g = algorithm2_batched(net, X, Y)
        with fused.disabled():
            plain = algorithm2_batched(net, X, Y)
        assert_same_gradient(g, plain, TOL[dtype])
