"""bplib.plots.saturation: per-layer delta norms (by hand and against Algorithm 1) and the
vanishing-gradient figures."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib.backprop import algorithm1_steps
from bplib.network import Network
from bplib.plots import saturation as S


def _hand_net() -> Network:
    # p = (1, 2, 1), logistic hidden layer, identity output, squared error.
    W1, b1 = np.array([[2.0], [-1.0]]), np.zeros(2)
    W2, b2 = np.array([[3.0, -4.0]]), np.array([0.5])
    return Network.from_weights([W1, W2], [b1, b2], hidden="logistic", output="identity",
                                loss="squared_error")


def test_delta_norms_by_hand():
    # x = 0: z_1 = 0, a_1 = (1/2, 1/2), S'(z_1) = (1/4, 1/4); z_2 = 3/2 - 2 + 1/2 = 0 = g.
    # y = 1: delta_2 = 2 (g - y) = -2;  delta_1 = (1/4)(3, -4)(-2) = (-1.5, 2), norm 2.5.
    # y = 2: delta_2 = -4;              delta_1 = (-3, 4), norm 5.
    X = np.zeros((2, 1))
    Y = np.array([[1.0], [2.0]])
    norms = S.delta_norms(_hand_net(), X, Y)
    assert norms[0] is None
    assert norms[1:] == pytest.approx([(2.5 + 5.0) / 2, (2.0 + 4.0) / 2], rel=1e-15)


def test_delta_norms_match_algorithm1_per_example(rng):
    net = Network.init((3, 5, 4, 2), hidden=["logistic", "relu"], output="softmax", seed=3)
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, 6)
    expected = np.zeros(net.L + 1)
    for i in range(6):
        *_, last = algorithm1_steps(net, X[i], y[i])
        for l in range(1, net.L + 1):
            expected[l] += np.linalg.norm(last.delta[l]) / 6
    assert S.delta_norms(net, X, y)[1:] == pytest.approx(expected[1:].tolist(), rel=1e-12)
    # one example as a 1-D vector gives that example's norms
    *_, last = algorithm1_steps(net, X[0], y[0])
    assert S.delta_norms(net, X[0], np.array([y[0]]))[1:] == pytest.approx(
        [float(np.linalg.norm(last.delta[l])) for l in range(1, net.L + 1)], rel=1e-12)


def test_logistic_vanishes_and_relu_does_not():
    X, y = S.PROBE
    logistic = S.delta_norms(S.deep_network(6, "logistic"), X, y)
    relu = S.delta_norms(S.deep_network(6, "relu"), X, y)
    assert logistic[1] / logistic[-1] < 1e-3
    assert all(logistic[l] < logistic[l + 1] for l in range(1, 7))  # shrinks every layer
    assert 0.1 < relu[1] / relu[-1] < 10


def test_deep_network_shape_and_errors():
    net = S.deep_network(4, "tanh", width=8)
    assert net.p == (2, 8, 8, 8, 8, 3)
    assert net.S[1:-1] == ("tanh",) * 4
    with pytest.raises(ValueError, match="depth: expected at least 1 hidden layer, got 0"):
        S.deep_network(0, "relu")


def test_derivative_figure_plots_the_bound():
    fig = S.derivative_figure()
    left, right = fig.axes
    assert right.get_title() == "derivative $S'(z)$"
    logistic_d = right.lines[0].get_ydata()
    assert logistic_d.max() == pytest.approx(0.25, abs=1e-6)
    assert set(np.unique(right.lines[1].get_ydata())) == {0.0, 1.0}
    assert left.get_legend() is not None and right.get_legend() is not None


def test_delta_norm_figure_is_log_scale_with_one_line_per_activation():
    fig = S.delta_norm_figure(5, "relu", 1.0)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 3
    assert ax.lines[0].get_linewidth() > ax.lines[1].get_linewidth()  # chosen one is bold
    assert len(ax.lines[0].get_ydata()) == 6  # 5 hidden layers + output
    assert "5 hidden layers" in ax.get_title()
    assert ax.get_legend().get_texts()[0].get_text().startswith("relu:")


def test_training_curves_figure():
    hist = S.train_activations(("logistic", "relu"), depth=2, steps=5, n=30)
    assert set(hist) == {"logistic", "relu"} and len(hist["relu"].loss) == 5
    fig = S.training_curves_figure(hist)
    left, right = fig.axes
    assert left.get_yscale() == "log" and right.get_ylabel() == "training accuracy"
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["logistic", "relu"]
    assert list(left.lines[1].get_ydata()) == hist["relu"].loss
