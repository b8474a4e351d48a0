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
    with pytest.raises(ValueError, match=r"h: expected a positive step .*, got 0\.0"):
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
    cases = {  # z_{1,1} -> flagged entries ((W_1)_{1,1} and b_{1,1} move it by h,
        # (W_1)_{1,2} by h/16)
        1e-7: {"(W_1)_{1,1}", "b_{1,1}"},
        3e-8: {"(W_1)_{1,1}", "(W_1)_{1,2}", "b_{1,1}"},
        0.0: {"(W_1)_{1,1}", "(W_1)_{1,2}", "b_{1,1}"},
        2e-6: set(),
    }
    for z0, expected in cases.items():
        net, x, y = K.kink_network(z0)
        report = gradcheck(net, x[None, :], np.array([y]), h=h)
        assert {names[i] for i in np.flatnonzero(report.flagged)} == expected, z0
        assert report.passed  # the unflagged entries agree to tol 1e-6
        for i in np.flatnonzero(report.flagged):
            if names[i] == "b_{1,1}" and z0 > 0:
                # slope across the kink: numeric = (z0 + h)/(2h) * analytic
                assert report.numeric[i] == pytest.approx((z0 + h) / (2 * h) * report.analytic[i],
                                                          rel=1e-5)
            if z0 == 0.0:
                assert report.analytic[i] == 0.0  # S'(0) = 0: no gradient through the kink
                assert abs(report.numeric[i]) > 1e-3


def test_theta_entry_names_use_the_slides_indices_in_packing_order():
    names = K.theta_entry_names((2, 3, 1))
    assert len(names) == dim_theta((2, 3, 1))
    assert names[:3] == ["(W_1)_{1,1}", "(W_1)_{1,2}", "(W_1)_{2,1}"]  # row by row
    assert names[6:9] == ["b_{1,1}", "b_{1,2}", "b_{1,3}"]
    assert names[-1] == "b_{2,1}"
    assert K.theta_entry_names((2, 3, 1), tex=True)[0] == "$(W_1)_{1,1}$"
    # the name of entry (i, j) is the code's W[l][i-1, j-1]: pack order agrees
    net = Network.init((2, 3, 1), output="identity", seed=0)
    theta = net.theta
    assert theta[names.index("(W_1)_{2,1}")] == net.W[1][1, 0]
    assert theta[names.index("b_{1,3}")] == net.b[1][2]


def test_zero_probability_bound_is_the_exact_binomial_bound():
    n = 3_859_200
    p = K.zero_probability_bound(n)
    assert (1 - p) ** n == pytest.approx(0.05, rel=1e-9)  # P(no zero in n | p) = 5 %
    assert p == pytest.approx(3 / n, rel=0.01)  # the rule of three
    assert K.zero_probability_bound(10 * n) < p  # more entries, tighter bound
    with pytest.raises(ValueError, match="seen: expected a positive number of entries"):
        K.zero_probability_bound(0)


def test_secant_figure_every_control_changes_what_is_drawn():
    """Both controls move the drawing (the widget had an h that changed only the title):
    the secant's ends are z -+ h, and the right panel's marker sits at (h, slope)."""

    def drawn(z, h):
        fig = K.kink_secant_figure(z, h)
        left, right = fig.axes
        secant = left.lines[1]
        marker = right.lines[-1]
        return (tuple(secant.get_xdata()), tuple(secant.get_ydata()),
                tuple(marker.get_xdata()), tuple(marker.get_ydata()), left.get_xlim())

    base = drawn(1e-7, 1e-6)
    assert drawn(1e-7, 1e-8) != base  # h alone
    assert drawn(3e-7, 1e-6) != base  # z alone
    fig = K.kink_secant_figure(1e-7, 1e-6)
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[1].get_xdata(), [-0.9, 1.1])  # (z -+ h) / 1e-6
    assert right.lines[-1].get_ydata()[0] == pytest.approx(0.55)  # (z + h) / (2h)


@pytest.mark.parametrize("z, h, slope, bp", [(1e-7, 1e-6, 0.55, 1.0), (1e-7, 1e-8, 1.0, 1.0),
                                             (0.0, 1e-4, 0.5, 0.0), (-2e-6, 1e-6, 0.0, 0.0)])
def test_secant_figure_reports_the_slope_and_the_derivative(z, h, slope, bp):
    fig = K.kink_secant_figure(z, h)
    text = style_description(fig)
    assert f"reports {slope:.2f}" in text or f"both report {bp:g}" in text
    right = fig.axes[1]
    hs, slopes = right.lines[-2].get_xdata(), right.lines[-2].get_ydata()  # slope against h
    small = hs <= abs(z)
    np.testing.assert_allclose(slopes[small], bp)  # h <= |z|: the derivative itself
    assert abs(slopes[-1] - 0.5) < 0.01 + abs(z) / hs[-1]  # h >> |z|: tends to 1/2


def style_description(fig) -> str:
    from bplib.plots import style

    return style.description(fig)


def test_zero_count_figure_gives_each_run_its_own_panel():
    """Runs with the same counts (float32 and float64: none) must not hide each other."""
    def counter(zeros, entries):
        c = K.ZeroCounter(np.zeros((1, 2)))
        c.steps, c.zeros, c.entries = list(range(len(zeros))), zeros, entries
        return c

    runs = {"float32": counter([0, 0, 0], 100), "float64": counter([0, 0, 0], 100),
            "W_1 = 0": counter([100, 100, 100], 100)}
    fig = K.zero_count_figure(runs)
    assert len(fig.axes) == 3
    for ax, (name, c) in zip(fig.axes, runs.items(), strict=True):
        (line,) = ax.lines
        np.testing.assert_allclose(line.get_ydata(), np.asarray(c.zeros) / c.entries)
        (label,) = [t.get_text() for t in ax.texts]
        assert label.startswith(f"{name}: {sum(c.zeros)} exact zeros in {3 * c.entries}")
    assert "P(z = 0) < 0.00994" in fig.axes[0].texts[0].get_text()  # 1 - 0.05 ** (1/300)


def test_figures_have_titles_labels_and_legends():
    fig = K.kink_secant_figure(0.3e-6, 1e-6)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert left.get_title() == "h = 1.0e-6: secant slope 0.65, $S'(z)$ = 1"
    assert right.get_xlabel().startswith("finite-difference step $h$")
    assert left.get_legend() is not None and right.get_legend() is not None
    assert "slope 0.65" in [t.get_text() for t in left.get_legend().get_texts()][1]

    fig = K.kink_gradcheck_figure(0.1)
    (ax,) = fig.axes
    assert ax.get_title().startswith("gradient check at the kink: 2 flagged")
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["$(W_1)_{1,1}$",
                                                                 "$(W_1)_{1,2}$"]

    counter = K.ZeroCounter(np.zeros((3, 2)))
    counter.start(Network.init((2, 4, 2), seed=0))
    fig = K.zero_count_figure({"zero rows": counter})
    (ax,) = fig.axes
    assert ax.get_xlabel() == "training step"
    assert ax.lines[0].get_ydata().tolist() == [1.0]  # 12 of 12 entries are 0
