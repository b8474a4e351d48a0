"""bplib.plots.digits (notebook 15): the split, the curves measured at the same parameters,
the claims the notebook makes about its runs (and its widget's answers), and figures a
colour-blind reader can read (counts written in the cells, text contrast >= 4.5:1)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage

from bplib.plots import digits as D
from bplib.plots import style


@pytest.fixture(scope="module")
def runs():
    """The notebook's two runs: steepest descent (alpha 0.5) and SGD (alpha 0.1, b = 32),
    20 epochs each."""
    return (D.cached_run(D.SD_LR, None, D.EPOCHS), D.cached_run(D.SGD_LR, D.BATCH, D.EPOCHS))


def test_stratified_split_keeps_a_quarter_of_every_digit():
    d = D.digits_data()
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)
    total = np.bincount(d.y_train) + np.bincount(d.y_test)
    assert np.all(np.abs(np.bincount(d.y_test) - total / 4) <= 0.5)
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0


def test_steps_per_epoch():
    assert D.steps_per_epoch(None, 1347) == 1
    assert D.steps_per_epoch(32, 1347) == 42
    assert D.steps_per_epoch(128, 1347) == 10
    assert D.steps_per_epoch(2000, 1347) == 1


@pytest.mark.parametrize(("lr", "batch", "records"), [(0.5, None, 1), (0.1, 32, 6),
                                                      (0.1, 128, 5)])
def test_curves_record_every_epoch_end_at_the_same_parameters(lr, batch, records):
    net, c = D.train_digits(lr, batch, 2)
    assert c.epoch[0] == 0 and c.epoch[-1] == 2
    assert {1.0, 2.0} <= set(c.epoch)
    assert len(c.epoch) == 1 + 2 * records
    d = D.digits_data()
    assert c.train_loss[-1] == net.loss_value(d.X_train, d.y_train)
    assert c.test_loss[-1] == net.loss_value(d.X_test, d.y_test)
    assert c.test_accuracy[-1] == float((D.predictions(net, d.X_test)[0] == d.y_test).mean())


def test_an_untrained_network_starts_near_ln_10():
    d = D.digits_data()
    net = D.digits_network()
    g = net.predict(d.X_test)
    assert 0.04 < g[0].min() and g[0].max() < 0.2  # the first test image, printed
    assert 0.01 < g.min() and g.max() < 0.3  # "of the order of 1/10" for every image
    assert net.loss_value(d.X_test, d.y_test) == pytest.approx(np.log(10), abs=0.05)


def test_sgd_beats_steepest_descent_for_the_same_epochs(runs):
    """Section 3: after 20 epochs, SGD above 0.93 test accuracy (about 0.96), steepest
    descent below 0.9; SGD's training loss under a fifth of steepest descent's."""
    sd, sgd = (r.curves for r in runs)
    assert sgd.test_accuracy[-1] > 0.93 and sgd.test_accuracy[-1] == pytest.approx(0.96, abs=0.01)
    assert sd.test_accuracy[-1] < 0.9
    assert sgd.train_loss[-1] < sd.train_loss[-1] / 5
    assert sgd.train_loss[-1] == pytest.approx(0.098, abs=0.005)  # quoted in the prediction
    assert sgd.train_accuracy[-1] > sgd.test_accuracy[-1]
    assert sgd.train_loss[-1] < sgd.test_loss[-1]


def test_longer_training_section_5():
    sgd = D.cached_run(0.1, 32, 100).curves
    assert sgd.train_loss[-1] == pytest.approx(0.02, abs=0.005)
    assert sgd.train_accuracy[-1] >= 0.998
    assert sgd.test_accuracy[-1] == pytest.approx(0.967, abs=0.006)
    sd = D.cached_run(0.5, None, 200).curves
    assert sd.test_accuracy[-1] >= 0.955


def test_the_widgets_answers_section_6():
    b128 = D.cached_run(0.1, 128, 20).curves
    assert b128.train_loss[-1] == pytest.approx(0.34, abs=0.02)
    assert b128.test_accuracy[-1] == pytest.approx(0.92, abs=0.01)
    assert D.cached_run(0.1, 8, 20).curves.train_loss[-1] == pytest.approx(0.03, abs=0.01)
    assert D.cached_run(1.0, 32, 20).curves.test_accuracy[-1] == pytest.approx(0.97, abs=0.005)
    assert D.cached_run(1.0, 8, 20).curves.test_accuracy[-1] < 0.5
    assert D.cached_run(0.01, 128, 20).curves.train_loss[-1] > 1.5
    # 60 epochs: b = 32 training loss to about a third, test loss 0.164 -> 0.132
    c32 = D.cached_run(0.1, 32, 60).curves
    at20 = c32.epoch.index(20.0)
    assert c32.train_loss[-1] == pytest.approx(0.034, abs=0.003)
    assert c32.test_loss[at20] == pytest.approx(0.164, abs=0.003)
    assert c32.test_loss[-1] == pytest.approx(0.132, abs=0.003)
    # with b = 8 or alpha = 1 the test loss passes its lowest point, then rises
    for lr, b in ((0.1, 8), (1.0, 32)):
        c = D.cached_run(lr, b, 60).curves
        low = int(np.argmin(c.test_loss))
        assert c.epoch[low] < 50 and c.test_loss[-1] > c.test_loss[low]
        assert c.train_loss[-1] < c.train_loss[low]


def test_confusion_counts_and_the_most_confused_pairs():
    y_true = np.array([0, 0, 1, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2, 1])
    counts = D.confusion(y_true, y_pred, classes=3)
    assert counts.tolist() == [[1, 1, 0], [0, 2, 1], [0, 1, 1]]
    assert D.most_confused(counts, k=2) == [(2, 1, 1), (1, 2, 1)]
    assert D.most_confused(np.eye(3, dtype=int)) == []


def test_misclassified_figure_shows_the_wrong_ones(runs):
    net = runs[1].network()
    d = D.digits_data()
    pred, prob = D.predictions(net, d.X_test)
    wrong = np.flatnonzero(pred != d.y_test)
    fig = D.misclassified_figure(net)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titled) == min(12, len(wrong))
    i = wrong[0]
    assert titled[0] == f"true {d.y_test[i]}\npredicted {pred[i]} ({prob[i]:.2f})"
    assert f"{len(wrong)} of the 450 test images are misclassified" in style.description(fig)
    assert (prob > 0.1).all() and (prob <= 1).all()


def test_confusion_figure_writes_every_count_readably(runs):
    """Issue 16 / the brief: counts written in the cells (>= 10 pt), a colour map safe for
    colour-blind readers, and text on each cell with contrast >= 4.5:1 against it."""
    net = runs[1].network()
    d = D.digits_data()
    counts = D.confusion(d.y_test, D.predictions(net, d.X_test)[0])
    fig = D.confusion_figure(net)
    ax = fig.axes[0]
    [image] = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert image.get_cmap().name == "cividis"
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    assert len(texts) == 100
    for (i, j), t in texts.items():
        assert t.get_text() == str(counts[i, j])
        assert t.get_fontsize() >= 10
        cell = image.to_rgba(counts[i, j])
        assert style.contrast_ratio(to_rgba(t.get_color()), cell) >= 4.5, (i, j)
    assert counts.sum() == 450
    assert f"{np.trace(counts)} lie on the diagonal" in style.description(fig)
    assert style.audit(fig) == []


def test_live_curves_redraw_at_the_chosen_epochs():
    class Handle:
        def __init__(self):
            self.calls = []

        def display(self, fig):
            self.calls.append("display")

        def update(self, fig):
            self.calls.append("update")

    handle = Handle()
    sd = D.cached_run(D.SD_LR, None, 2).curves
    live = D.LiveCurves({D.SD: sd}, D.SGD, 2, handle=handle)
    D.train_digits(D.SGD_LR, D.BATCH, 2, show=live, show_at=(0, 1, 2))
    assert live.drawn == [0.0, 1.0, 2.0]
    assert handle.calls == ["display", "update", "update"]


def test_every_widget_control_changes_the_figure():
    base = {"lr": 0.1, "batch_size": 128, "epochs": 2}
    texts = {style.description(D.training_figure(**{**base, **change}))
             for change in ({}, {"lr": 1.0}, {"batch_size": 32}, {"epochs": 5},
                            {"batch_size": 1347})}
    assert len(texts) == 5
    assert "steepest descent" in style.description(D.training_figure(0.1, 1347, 2))
