"""bplib.plots.training: spiral data, training runs (cached and live), decision regions."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.network import Network
from bplib.plots import style
from bplib.plots import training as T
from bplib.train import History


def test_spiral_data_split():
    X_train, y_train, X_test, y_test = T.spiral_data()
    assert X_train.shape == (225, 2) and X_test.shape == (75, 2)
    assert set(np.unique(y_train)) == {0, 1, 2} and y_test.shape == (75,)


def test_spiral_network_and_errors():
    net = T.spiral_network(16, 3)
    assert net.p == (2, 16, 16, 16, 3) and net.S[-1] == "softmax"
    with pytest.raises(ValueError, match="width, depth: expected positive integers, got 4, 0"):
        T.spiral_network(4, 0)


def test_train_spirals_logs_and_calls_back():
    seen = []
    net, hist = T.train_spirals(0.3, 8, 1, steps=20, callback=lambda s, n, h: seen.append(s))
    assert hist.step == [5, 10, 15, 20] and seen == hist.step
    assert len(hist.test_accuracy) == 4
    assert hist.loss[-1] < hist.loss[0]


def test_cached_run_replays_the_trained_network():
    run = T.cached_run(0.3, 8, 1, 20)
    assert T.cached_run(0.3, 8, 1, 20) is run
    net, hist = T.train_spirals(0.3, 8, 1, steps=20)
    np.testing.assert_array_equal(run.network().theta, net.theta)
    assert run.hist.test_accuracy == hist.test_accuracy


def test_decision_regions_match_predict_class():
    net = T.spiral_network(8, 1, seed=3)
    x1, x2, classes = T.decision_regions(net, lim=1.0, resolution=7)
    assert x1.shape == x2.shape == classes.shape == (7, 7)
    assert x1[0, 0] == -1.0 and x2[-1, -1] == 1.0
    i, j = 2, 5
    point = np.array([[x1[i, j], x2[i, j]]])
    assert classes[i, j] == int(net.predict_class(point)[0])


def test_live_curves_redraws_every_k_steps():
    figures = []
    live = T.LiveCurves(figures.append, every=10)
    hist = History(step=[5, 10], loss=[1.0, 0.5], accuracy=[0.3, 0.6],
                   test_loss=[1.1, 0.6], test_accuracy=[0.3, 0.5])
    net = Network.init((2, 3, 3))
    assert live(5, net, hist) is False and not figures
    live(10, net, hist)
    (fig,) = figures
    loss_ax, acc_ax = fig.axes
    assert fig._suptitle.get_text() == "step 10"
    assert loss_ax.get_yscale() == "log" and acc_ax.get_ylabel() == "accuracy"
    assert list(acc_ax.lines[1].get_ydata()) == [0.3, 0.5]  # test accuracy
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == ["training", "test"]


def test_training_figure_panels():
    fig = T.training_figure(0.3, 8, 1)
    region, loss_ax, acc_ax = fig.axes[:3]
    run = T.cached_run(0.3, 8, 1)
    assert region.get_title() == f"decision regions, test accuracy {run.hist.test_accuracy[-1]:.2f}"
    assert region.get_xlabel() == "$x_1$"
    # one legend for the figure, below the panels, so it covers no point: class x train/test
    [legend] = fig.legends
    assert len(legend.get_texts()) == 6
    assert fig._suptitle.get_text() == "p = (2, 8, 3), lr = 0.3, 300 steps"
    assert list(loss_ax.lines[0].get_ydata()) == run.hist.loss


def test_curves_figure_before_the_first_step_says_so():
    fig = T.curves_figure(T.History(), "waiting for the first step")
    assert "No step has been taken yet" in style.description(fig)
