"""Every integer label dtype gives the answer of int64 labels (issue 13, item 1).

The batched fast path once computed the flat index y_i n + i of the entry (y_i, i) of
Delta_L^T in the labels' own dtype, so uint8/int8 labels wrapped (wrong loss and gradient
from n = 100, an OverflowError from n = 256) and 16-bit labels wrapped from n = 65536 / c.
Here batched and loop are compared with a float64 reference that uses int64 labels and no
fast-path code (the readable batch formulas: one-hot E_Y, Delta_L = (G - E_Y)/n).

Tolerance: 1e-12 relative (float64; the paths sum in different orders).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import Network, algorithm2_batched, algorithm2_loop
from bplib.losses import one_hot
from bplib.network import feed_forward
from bplib.train import steepest_descent

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
TOL = 1e-12


def reference(net, X, y):
    """Mean loss and gradient, float64, int64 labels, the readable batch formulas."""
    y = np.asarray(y).astype(np.int64)
    n = X.shape[0]
    z, a = feed_forward(net, X)
    C = float(np.mean(net.pair.C(z[-1], y)))
    if net.pair.output == "softmax":
        D = (a[-1] - one_hot(y, net.p[-1])) / n  # delta_L = g - e_y, averaged
    else:
        D = net.pair.delta_L(z[-1], y) / n
    dW, db = [None] * (net.L + 1), [None] * (net.L + 1)
    for l in range(net.L, 0, -1):
        dW[l], db[l] = D.T @ a[l - 1], D.sum(axis=0)
        if l > 1:
            from bplib.activations import ACTIVATIONS

            D = ACTIVATIONS[net.S[l - 1]].dS(z[l - 1]) * (D @ net.W[l])
    return C, dW, db


def assert_matches(got, C, dW, db):
    assert got.C == pytest.approx(C, rel=TOL)
    for l in range(1, len(dW)):
        np.testing.assert_allclose(got.W[l], dW[l], rtol=TOL, atol=TOL * np.abs(dW[l]).max())
        np.testing.assert_allclose(got.b[l], db[l], rtol=TOL, atol=TOL * np.abs(db[l]).max())


def problem(n, c, output="softmax", seed=0):
    rng = np.random.default_rng(seed)
    net = Network.init([3, 4, c - (output == "reduced_softmax")], hidden="tanh",
                       output=output, rng=rng)
    for l in range(1, net.L + 1):
        net.b[l][:] = rng.normal(0.0, 0.5, net.b[l].shape)
    return net, rng.normal(size=(n, 3)), rng.integers(0, c, n)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("output", ["softmax", "reduced_softmax"])
@settings(max_examples=6, deadline=None)
@given(n=st.sampled_from([1, 2, 100, 255, 256, 257, 1000]), c=st.integers(2, 5),
       seed=st.integers(0, 2**32 - 1))
def test_every_integer_label_dtype_matches_int64(dtype, output, n, c, seed):
    net, X, y = problem(n, c, output, seed)
    want = reference(net, X, y)
    labels = y.astype(dtype)
    assert_matches(algorithm2_batched(net, X, labels), *want)
    assert_matches(algorithm2_loop(net, X, labels), *want)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16],
                         ids=lambda d: np.dtype(d).name)
def test_narrow_labels_with_many_examples(dtype):
    """n >= 65536: y_i n + i overflows 16 bits (and 8 bits long before)."""
    net, X, y = problem(70_000, 3, seed=1)
    want = reference(net, X, y)
    assert_matches(algorithm2_batched(net, X, y.astype(dtype)), *want)


def test_training_on_uint8_labels_is_training_on_int64_labels():
    net, X, y = problem(300, 3, seed=2)
    runs = []
    for dtype in (np.int64, np.uint8):
        trained = net.copy()
        hist = steepest_descent(trained, X, y.astype(dtype), lr=0.5, steps=30)
        runs.append((hist.loss, hist.accuracy, trained.theta))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=TOL)
    assert runs[1][1] == runs[0][1]
    np.testing.assert_allclose(runs[1][2], runs[0][2], rtol=1e-10, atol=1e-13)
