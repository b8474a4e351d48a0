"""bplib.health: the per-layer signals of a batch (against a hand computation and Algorithm 1)
and the summaries notebooks 07 and 14 plot (saturated fraction, dead units, backward factors)."""

from __future__ import annotations

import numpy as np
import pytest

from bplib import health
from bplib.backprop import algorithm1_steps
from bplib.network import Network


def _hand_net() -> Network:
    # p = (1, 2, 1), logistic hidden layer, identity output, squared error.
    W1, b1 = np.array([[2.0], [-1.0]]), np.zeros(2)
    W2, b2 = np.array([[3.0, -4.0]]), np.array([0.5])
    return Network.from_weights([W1, W2], [b1, b2], hidden="logistic", output="identity",
                                loss="squared_error")


def test_signals_by_hand():
    # x = 0: z_1 = (0, 0), a_1 = (1/2, 1/2), S'(z_1) = (1/4, 1/4); z_2 = 3/2 - 2 + 1/2 = 0 = g.
    # y = 1: delta_2 = 2 (g - y) = -2;  delta_1 = (1/4) W_2^T delta_2 = (1/4)(3, -4)(-2).
    sig = health.signals(_hand_net(), np.zeros((1, 1)), np.array([[1.0]]))
    assert sig.L == 2 and list(sig.hidden) == [1]
    np.testing.assert_array_equal(sig.z[1], [[0.0, 0.0]])
    np.testing.assert_array_equal(sig.a[1], [[0.5, 0.5]])
    np.testing.assert_array_equal(sig.dS[1], [[0.25, 0.25]])
    assert sig.dS[2] is None  # the output layer's S' is inside delta_L
    np.testing.assert_array_equal(sig.delta[2], [[-2.0]])
    np.testing.assert_array_equal(sig.delta[1], [[-1.5, 2.0]])


def test_signals_match_algorithm1_example_by_example(rng):
    net = Network.init((3, 5, 4, 2), hidden=["logistic", "relu"], output="softmax", seed=3)
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, 6)
    sig = health.signals(net, X, y)
    for i in range(6):
        *_, last = algorithm1_steps(net, X[i], y[i])
        for l in range(1, net.L + 1):
            np.testing.assert_allclose(sig.z[l][i], last.z[l], rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(sig.a[l][i], last.a[l], rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(sig.delta[l][i], last.delta[l], rtol=1e-12, atol=1e-15)


def test_delta_norms_by_hand():
    # y = 1: delta_1 = (-1.5, 2), norm 2.5, delta_2 = -2;  y = 2: delta_1 = (-3, 4), norm 5.
    norms = health.delta_norms(_hand_net(), np.zeros((2, 1)), np.array([[1.0], [2.0]]))
    assert norms[0] is None
    assert norms[1:] == pytest.approx([(2.5 + 5.0) / 2, (2.0 + 4.0) / 2], rel=1e-15)


def test_saturated_fraction_counts_values_strictly_below_the_threshold():
    dS = np.array([[0.005, 0.01], [0.2, 0.0]])  # 0.005 and 0 are below 0.01; 0.01 is not
    assert health.saturated_fraction(dS) == 0.5
    assert health.saturated_fraction(dS, threshold=0.3) == 1.0
    with pytest.raises(ValueError, match="threshold: expected a threshold > 0, got 0.0"):
        health.saturated_fraction(dS, threshold=0)
    with pytest.raises(ValueError, match="dS: expected the values"):
        health.saturated_fraction(np.zeros((0, 3)))


def test_dead_units_are_off_for_every_example_of_the_batch():
    z = np.array([[-1.0, 2.0, 0.0, -0.5],
                  [-3.0, -1.0, 0.0, 0.1]])
    np.testing.assert_array_equal(health.dead_units(z), [True, False, True, False])
    assert health.dead_fraction(z) == 0.5
    with pytest.raises(ValueError, match=r"z: expected a batch .* got shape \(4,\)"):
        health.dead_units(z[0])


def test_backward_factors_by_hand_and_their_product():
    # one example, y = 1: Delta_2 = -2, U = Delta_2 W_2 = (-6, 8): gain 10 / 2 = 5;
    # S'(z_1) = (1/4, 1/4): attenuation 1/4; product 5/4 = ||delta_1|| / ||delta_2|| = 2.5 / 2.
    sig = health.signals(_hand_net(), np.zeros((1, 1)), np.array([[1.0]]))
    gain, att = health.backward_factors(sig)
    assert gain[2] == pytest.approx(5.0, rel=1e-15) and att[2] == pytest.approx(0.25, rel=1e-15)
    assert gain[1] is None and att[0] is None


def test_backward_factors_multiply_to_the_norm_ratio(rng):
    net = Network.init((4, 8, 8, 8, 3), hidden="tanh", output="softmax", seed=1, scale=2.0)
    sig = health.signals(net, rng.normal(size=(20, 4)), rng.integers(0, 3, 20))
    gain, att = health.backward_factors(sig)
    for l in range(2, net.L + 1):
        ratio = np.linalg.norm(sig.delta[l - 1]) / np.linalg.norm(sig.delta[l])
        assert gain[l] * att[l] == pytest.approx(ratio, rel=1e-12)
        assert 0 < att[l] <= 1.0  # tanh' <= 1


@pytest.mark.parametrize("init", ["he", "lecun", "glorot", "normal"])
def test_relu_with_zero_biases_the_scale_changes_sizes_not_which_units_are_on(init, rng):
    # every scheme draws the same standard normals times a per-layer constant (b_l = 0), and
    # ReLU(c z) = c ReLU(z) for c > 0: the signs of z_l, hence S' and dead units, are the same.
    X, y = rng.normal(size=(30, 6)), rng.integers(0, 3, 30)
    p = (6, 10, 10, 10, 3)
    ref = health.signals(Network.init(p, hidden="relu", seed=2, init="he"), X, y)
    for scale in (0.1, 7.0):
        sig = health.signals(Network.init(p, hidden="relu", seed=2, init=init, scale=scale), X, y)
        for l in ref.hidden:
            np.testing.assert_array_equal(sig.z[l] > 0, ref.z[l] > 0)
            np.testing.assert_array_equal(health.dead_units(sig.z[l]), health.dead_units(ref.z[l]))


def test_signals_on_every_backend_are_host_arrays_equal_to_numpy(xp, backend, rng):
    X, y = rng.normal(size=(12, 4)), rng.integers(0, 3, 12)
    ref_net = Network.init((4, 6, 6, 3), hidden=["tanh", "relu"], output="softmax", seed=5)
    net = Network.init((4, 6, 6, 3), hidden=["tanh", "relu"], output="softmax", seed=5,
                       backend=backend)
    ref = health.signals(ref_net, X, y)
    sig = health.signals(net, xp.asarray(X), xp.asarray(y))
    for name in ("z", "a", "delta"):
        for l in range(1, 4):
            got = getattr(sig, name)[l]
            assert isinstance(got, np.ndarray)  # moved to the host at the edge
            np.testing.assert_allclose(got, getattr(ref, name)[l], rtol=1e-12, atol=1e-14)
    assert health.delta_norms(net, xp.asarray(X), xp.asarray(y))[1:] == pytest.approx(
        health.delta_norms(ref_net, X, y)[1:], rel=1e-12)
