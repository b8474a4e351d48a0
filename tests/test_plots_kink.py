"""bplib.plots.kink: exact-zero counts, the finite difference across the ReLU kink, and the
gradient check's flags on a network built to sit near the kink."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib.activations import RELU_PRIME_AT_ZERO
from bplib.gradcheck import gradcheck
from bplib.network import Network, dim_theta
from bplib.plots import kink as K


def _tiny_net() -> Network:
    # z_1 = W_1 x + b_1 with W_1 = I, b_1 = 0: z_1 == x, so zeros of x are zeros of z_1.
    W1, b1 = np.eye(2), np.zeros(2)
    W2, b2 = np.array([[1.0, -1.0]]), np.array([-2.0])  # z_2 = a_1,1 - a_1,2 - 2
    W3, b3 = np.array([[1.0], [2.0]]), np.zeros(2)
    return Network.from_weights([W1, W2, W3], [b1, b2, b3], hidden="relu", output="softmax")


def test_count_exact_zeros_per_hidden_layer():
    net = _tiny_net()
    X = np.array([[0.0, 1.0], [0.0, 0.0], [3.0, 1.0], [-1.0, 2.0]])
    # layer 1: z_1 = x, zeros: row 0 (1), row 1 (2) -> 3.
    # layer 2: z_2 = relu(x_1) - relu(x_2) - 2: rows give -3, -2, 0, -4 -> 1 zero (row 2).
    assert K.count_exact_zeros(net, X) == [None, 3, 1]
    assert K.count_exact_zeros(net, X[2]) == [None, 0, 1]  # one example as a 1-D vector


def test_zero_counter_counts_step_zero_and_every_step():
    X = np.vstack([np.zeros((4, 2)), np.random.default_rng(0).normal(size=(8, 2))])
    y = np.arange(12) % 3
    net = Network.init((2, 5, 3), seed=1)  # b_1 = 0, so the 4 zero rows give 4 * 5 zeros
    counter = K.zeros_during_training(net, X, y, lr=0.1, steps=3)
    assert counter.steps == [0, 1, 2, 3]
    assert counter.entries == 12 * 5
    assert counter.zeros[0] == 4 * 5
    assert counter.zeros[1:] == [0, 0, 0]  # the first update moves b_1 off zero


def test_zero_initialised_layer_stays_on_the_kink():
    # W_1 = 0, b_1 = 0: z_1 = 0 for every input and, with S'(0) = 0, delta_1 = 0 forever.
    X = np.random.default_rng(0).normal(size=(10, 2))
    y = np.arange(10) % 2
    net = Network.init((2, 3, 2), seed=0)
    net.W[1][...] = 0.0
    counter = K.zeros_during_training(net, X, y, lr=0.5, steps=4)
    assert RELU_PRIME_AT_ZERO == 0
    assert counter.zeros == [30] * 5
    assert not net.W[1].any() and not net.b[1].any()


@pytest.mark.parametrize("z0, expected", [
    (0.0, 0.5), (2e-6, 1.0), (1e-6, 1.0), (-1e-6, 0.0), (-5e-6, 0.0), (0.5e-6, 0.75),
    (-0.5e-6, 0.25),
])
def test_fd_relu_slope_across_the_kink(z0, expected):
    assert float(K.fd_relu_slope(z0, 1e-6)) == pytest.approx(expected, abs=1e-9)


def test_fd_relu_slope_rejects_bad_step():
    with pytest.raises(ValueError, match="h: expected a positive step, got 0"):
        K.fd_relu_slope(0.0, 0.0)


def test_kink_network_puts_the_unit_at_z0():
    for z0 in (0.0, 1e-7, -3e-7):
        net, x, _ = K.kink_network(z0)
        z, _ = net.feed_forward(x)
        assert z[1][0] == pytest.approx(z0, abs=1e-16)
        assert abs(z[1][1]) > 0.5  # the other unit is far from its kink
    net, x, _ = K.kink_network(0.0)
    assert net.feed_forward(x)[0][1][0] == 0.0  # exactly on the kink


def test_gradcheck_flags_exactly_the_entries_that_straddle():
    h = 1e-6
    names = K.theta_entry_names((2, 2, 2))
    assert len(names) == dim_theta((2, 2, 2))
    cases = {  # z0 -> flagged entries (W_1[0,0] moves z by h, W_1[0,1] by h/16, b_1[0] by h)
        1e-7: {"W_1[0,0]", "b_1[0]"},
        3e-8: {"W_1[0,0]", "W_1[0,1]", "b_1[0]"},
        0.0: {"W_1[0,0]", "W_1[0,1]", "b_1[0]"},
        2e-6: set(),
    }
    for z0, expected in cases.items():
        net, x, y = K.kink_network(z0)
        report = gradcheck(net, x[None, :], np.array([y]), h=h)
        assert {names[i] for i in np.flatnonzero(report.flagged)} == expected, z0
        assert report.passed  # the unflagged entries agree to tol 1e-6
        for i in np.flatnonzero(report.flagged):
            if names[i] == "b_1[0]" and z0 > 0:
                # slope across the kink: numeric = (z0 + h)/(2h) * analytic
                assert report.numeric[i] == pytest.approx((z0 + h) / (2 * h) * report.analytic[i],
                                                          rel=1e-5)
            if z0 == 0.0:
                assert report.analytic[i] == 0.0  # S'(0) = 0: no gradient through the kink
                assert abs(report.numeric[i]) > 1e-3


def test_figures_have_titles_labels_and_legends():
    fig = K.kink_secant_figure(0.3, 1e-6)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert "h = 1e-06" in left.get_title()
    assert right.get_xlabel().startswith("$z_0 / h$")
    assert left.get_legend() is not None and right.get_legend() is not None
    assert "slope = 0.65" in [t.get_text() for t in left.get_legend().get_texts()][1]

    fig = K.kink_gradcheck_figure(0.1)
    (ax,) = fig.axes
    assert ax.get_title().startswith("gradient check at the kink: 2 flagged")
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["W_1[0,0]", "W_1[0,1]"]

    counter = K.ZeroCounter(np.zeros((3, 2)))
    counter.start(Network.init((2, 4, 2), seed=0))
    fig = K.zero_count_figure({"zero rows": counter})
    (ax,) = fig.axes
    assert ax.get_ylabel() and ax.get_xlabel() == "training step"
    assert ax.lines[0].get_ydata().tolist() == [12]
