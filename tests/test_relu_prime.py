"""One ReLU'(0) convention (issue 13, item 3): Algorithm 1, the loop and the batched fast
path of Algorithm 2 and the scalar autodiff all read bplib.activations.RELU_PRIME_AT_ZERO
when they run. With x = 0 rows and zero biases, z_1 = 0 and z_2 = 0 exactly, so the value
used at the kink decides the gradient of W_1, b_1 (and W_2, b_2)."""

from __future__ import annotations

import numpy as np
import pytest

import bplib
from bplib import activations, algorithm1, algorithm2_batched, algorithm2_loop
from bplib.activations import relu_prime_at_zero
from bplib.autodiff import autodiff_gradient, forward_gradient


def kink_problem(output="softmax"):
    rng = np.random.default_rng(5)
    net = bplib.Network.init([3, 4, 4, 3], hidden="relu", output=output, rng=rng)
    X = rng.normal(size=(6, 3))
    X[::2] = 0.0  # rows 0, 2, 4 put every hidden z exactly on the kink (biases are 0)
    # the kink rows share one label: with one label each, their g - e_y would sum to 0
    Y = np.array([0, 1, 0, 2, 0, 1]) if output == "softmax" else rng.normal(size=(6, 3))
    return net, X, Y


def all_paths(net, X, Y):
    """theta-gradients of the mean loss from every path, as float64 vectors."""
    n = X.shape[0]
    per_example = [algorithm1(net, X[i], Y[i]).theta() for i in range(n)]
    ad = [autodiff_gradient(net, X[i], Y[i]).theta() for i in range(n)]
    fwd = [forward_gradient(net, X[i], Y[i]).theta() for i in range(n)]
    return {
        "algorithm1": np.mean(per_example, axis=0),
        "algorithm2_loop": algorithm2_loop(net, X, Y).theta(),
        "algorithm2_batched": algorithm2_batched(net, X, Y).theta(),
        "autodiff": np.mean(ad, axis=0),
        "forward_mode": np.mean(fwd, axis=0),
    }


@pytest.mark.parametrize("output", ["softmax", "identity"])
@pytest.mark.parametrize("value", [0.0, 0.5, 1.0])
def test_every_path_follows_the_convention(monkeypatch, output, value):
    net, X, Y = kink_problem(output)
    baseline = all_paths(net, X, Y)["algorithm1"]  # the default, ReLU'(0) = 0
    monkeypatch.setattr(activations, "RELU_PRIME_AT_ZERO", value)
    assert bplib.RELU_PRIME_AT_ZERO == value
    grads = all_paths(net, X, Y)
    # the expected value at the kink, from drelu itself
    assert activations.drelu(np.zeros(2)).tolist() == [value, value]
    for name, g in grads.items():
        np.testing.assert_allclose(g, grads["algorithm1"], rtol=1e-12, atol=1e-14, err_msg=name)
    changed = not np.allclose(grads["algorithm1"], baseline, rtol=1e-6)
    assert changed == (value != 0.0)  # the problem really sits on the kink


def test_batched_path_reuses_no_buffer_across_a_change_of_convention(monkeypatch):
    net, X, Y = kink_problem()
    before = algorithm2_batched(net, X, Y).theta()
    monkeypatch.setattr(activations, "RELU_PRIME_AT_ZERO", 1.0)
    one = algorithm2_batched(net, X, Y).theta()
    monkeypatch.setattr(activations, "RELU_PRIME_AT_ZERO", 0.0)
    np.testing.assert_array_equal(algorithm2_batched(net, X, Y).theta(), before)
    assert not np.allclose(one, before)


def test_context_manager_sets_and_restores():
    net, X, Y = kink_problem()
    with relu_prime_at_zero(1.0):
        inside = algorithm2_batched(net, X, Y).theta()
        assert activations.RELU_PRIME_AT_ZERO == 1.0
    assert activations.RELU_PRIME_AT_ZERO == 0.0
    with relu_prime_at_zero(1.0):
        np.testing.assert_allclose(algorithm2_loop(net, X, Y).theta(), inside, rtol=1e-12,
                                   atol=1e-14)
    assert not np.allclose(algorithm2_batched(net, X, Y).theta(), inside)
    with pytest.raises(ValueError, match=r"value: expected a ReLU'\(0\) in \[0, 1\]"):
        with relu_prime_at_zero(2.0):
            pass
    with pytest.raises(TypeError, match=r"value: expected a ReLU'\(0\) in \[0, 1\] \(a real"):
        with relu_prime_at_zero("1"):
            pass
    assert activations.RELU_PRIME_AT_ZERO == 0.0
