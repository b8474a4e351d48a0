"""bplib.plots.training (notebook 10): the claims the notebook makes about its training runs
(learning versus memorising), the curves measured at the same parameters, the live figure,
and colours that stay apart for colour-blind readers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from bplib.network import Network
from bplib.plots import style
from bplib.plots import training as T


@pytest.fixture(scope="module")
def run():
    """The notebook's run: 60 training points, p = (2, 16, 16, 3), alpha = 0.5, 1000 steps."""
    return T.train_spirals()


def test_spiral_data_is_balanced_and_the_test_set_is_a_separate_draw():
    d = T.spiral_data()
    assert d.X_train.shape == (T.N_TRAIN, 2) and d.X_test.shape == (T.N_TEST, 2)
    assert np.bincount(d.y_train).tolist() == [20, 20, 20]
    assert np.bincount(d.y_test).tolist() == [200, 200, 200]
    # no test point is a training point (independent draws, not a split of one draw)
    assert not (d.X_train[:, None, :] == d.X_test[None, :, :]).all(axis=2).any()
    assert T.spiral_data() is d  # cached: the widget and the notebook share the data


def test_spiral_network_and_errors():
    net = T.spiral_network(16, 3)
    assert net.p == (2, 16, 16, 16, 3) and net.S[-1] == "softmax"
    with pytest.raises(ValueError, match="width, depth: expected positive integers, got 4, 0"):
        T.spiral_network(4, 0)


def test_curves_measure_both_sets_at_the_same_parameters_from_step_0(run):
    net, curves = run
    assert curves.step == list(range(0, T.STEPS + 1, T.LOG_EVERY))
    n = len(curves.step)
    assert len(curves.train_loss) == len(curves.test_loss) == len(curves.train_accuracy) \
        == len(curves.test_accuracy) == n
    d = T.spiral_data()
    # the last entries are those of the trained network (same theta for both sets) ...
    assert curves.train_loss[-1] == net.loss_value(d.X_train, d.y_train)
    assert curves.test_loss[-1] == net.loss_value(d.X_test, d.y_test)
    # ... and the first those of the initial network
    net0 = T.spiral_network(T.WIDTH, T.DEPTH)
    assert curves.train_loss[0] == net0.loss_value(d.X_train, d.y_train)
    assert curves.test_accuracy[0] == float((net0.predict_class(d.X_test) == d.y_test).mean())


def test_the_notebooks_run_memorises_its_training_points(run):
    """Notebook 10, sections 3-4: every training point right, the test accuracy lower, the
    test loss over 10 times the training loss, and lowest well before the end."""
    _, c = run
    best = c.best()
    assert c.train_accuracy[-1] == 1.0
    assert c.train_accuracy[-1] - c.test_accuracy[-1] > 0.03
    assert c.test_loss[-1] > 10 * c.train_loss[-1]
    assert c.step[best] < 500 and c.test_loss[-1] > 1.2 * c.test_loss[best]
    # up to the best step the two losses fell together
    assert c.train_loss[best] < 0.5 * c.train_loss[0] and c.test_loss[best] < 0.5 * c.test_loss[0]
    # after it the training loss fell by more than a factor of 10 (section 4)
    assert c.train_loss[-1] < c.train_loss[best] / 10


@pytest.mark.parametrize("seed", [1, 2])
def test_the_gap_is_not_an_accident_of_one_draw(seed):
    """Other training sets (and initialisations) of the same size show the same gap."""
    _, c = T.train_spirals(seed=seed)
    assert c.train_accuracy[-1] == 1.0 and c.test_accuracy[-1] < 0.95
    assert c.test_loss[-1] > 10 * c.train_loss[-1]


def test_more_training_data_closes_the_gap(run):
    """The answer to the notebook's prediction: with 600 training points the training loss
    is higher than with 60, the test loss much lower, and the two are close."""
    _, small = run
    big = T.cached_run(T.LR, T.WIDTH, 600).curves
    assert big.train_loss[-1] > 10 * small.train_loss[-1]
    assert big.test_loss[-1] < small.test_loss[-1] / 2
    assert big.test_loss[-1] < 2 * big.train_loss[-1]
    assert abs(big.train_accuracy[-1] - big.test_accuracy[-1]) < 0.02
    # the numbers the answer quotes ("about 0.07", "about 0.13", 0.965, 0.97)
    assert big.train_loss[-1] == pytest.approx(0.07, abs=0.01)
    assert big.test_loss[-1] == pytest.approx(0.13, abs=0.01)
    assert big.test_accuracy[-1] == pytest.approx(0.965, abs=0.005)
    assert big.train_accuracy[-1] == pytest.approx(0.97, abs=0.005)
    # "the short spikes of both losses near step 200": a jump up, then back down
    jumps = [j for j in range(1, len(big.step))
             if big.train_loss[j] > 1.5 * big.train_loss[j - 1]
             and big.test_loss[j] > 1.5 * big.test_loss[j - 1]]
    assert jumps and all(150 <= big.step[j] <= 250 for j in jumps)
    assert big.train_loss[-1] < min(big.train_loss[:jumps[0]])


def test_a_too_large_step_kills_the_second_hidden_layer():
    """Section 5: with alpha = 5 every unit of layer 2 is off for every input, the output is
    constant and the loss stays at ln 3 with accuracy 1/3."""
    run = T.cached_run(5.0, T.WIDTH, T.N_TRAIN)
    net, d = run.network(), T.spiral_data()
    _, a = net.feed_forward(np.vstack([d.X_train, d.X_test]))
    assert not (a[2] > 0).any()
    assert run.curves.train_loss[-1] == pytest.approx(np.log(3), abs=1e-9)
    assert run.curves.test_accuracy[-1] == pytest.approx(1 / 3)


def test_a_small_step_is_still_learning_after_1000_steps():
    c = T.cached_run(0.05, T.WIDTH, T.N_TRAIN).curves
    assert c.best() == len(c.step) - 1  # the test loss is still falling at the end


def test_one_step_in_numbers():
    """Section 2: w_new = w - alpha dl/dw, and the loss falls by a little less than the
    first-order prediction alpha ||grad||^2 (the second-order term is positive here)."""
    d = T.spiral_data()
    net = T.spiral_network(T.WIDTH, T.DEPTH)
    theta = net.theta.copy()
    s = T.one_step(net, d.X_train, d.y_train, lr=T.LR)
    np.testing.assert_array_equal(net.theta, theta)  # the network itself is not changed
    assert s["w_after"] == pytest.approx(s["w"] - T.LR * s["dw"], abs=1e-15)
    assert s["predicted"] < s["loss_after"] < s["loss"]
    # the gradient is Algorithm 2's: a central difference in w agrees
    h, probe = 1e-6, net.copy()
    probe.W[1][0, 0] += h
    up = probe.loss_value(d.X_train, d.y_train)
    probe.W[1][0, 0] -= 2 * h
    down = probe.loss_value(d.X_train, d.y_train)
    assert s["dw"] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-10)


def test_recorder_and_live_figure_draw_at_the_chosen_steps():
    class Handle:  # stands in for IPython's DisplayHandle
        def __init__(self):
            self.calls = []

        def display(self, fig):
            self.calls.append(("display", fig))

        def update(self, fig):
            self.calls.append(("update", fig))

    handle = Handle()
    live = T.LiveFigure(steps=30, handle=handle)
    _, curves = T.train_spirals(steps=30, show=live, show_at=(0, 20, 30))
    assert live.drawn == [0, 20, 30] and curves.step == [0, 10, 20, 30]
    assert [kind for kind, _ in handle.calls] == ["display", "update", "update"]
    first = handle.calls[0][1]
    assert "step 0 of 30" in first._suptitle.get_text()
    assert "No step taken yet" in style.description(first)


def test_live_figure_at_step_0_has_no_empty_axes():
    """Issue 10: before the first step the figure already shows the initial decision regions
    and the step-0 losses, on an x axis that spans the whole run."""
    d = T.spiral_data()
    net = T.spiral_network(T.WIDTH, T.DEPTH)
    curves = T.Curves()
    curves.record(0, net, d)
    fig = T.live_figure(net, curves, steps=1000)
    region, loss_ax, acc_ax = fig.axes
    assert region.collections  # the regions and the points
    for ax in (loss_ax, acc_ax):
        assert all(len(ln.get_xdata()) >= 1 for ln in ax.lines)
        lo, hi = ax.get_xlim()
        assert lo <= 0 and hi >= 1000
    lo, hi = loss_ax.get_ylim()
    assert hi / lo >= 10  # whole decades, not a +-0.04 window around one value
    assert style.audit(fig) == []


def test_live_figure_description_follows_the_curves(run):
    net, curves = run
    text = style.description(T.live_figure(net, curves))
    best = curves.best()
    assert f"step {T.STEPS} of {T.STEPS}" in text
    assert f"test accuracy {curves.test_accuracy[-1]:.3f}" in text
    assert f"was at step {curves.step[best]}" in text
    assert "the test loss rose" in text


def test_decision_regions_match_predict_class():
    net = T.spiral_network(8, 1, seed=3)
    x1, x2, classes = T.decision_regions(net, lim=1.0, resolution=7)
    assert x1.shape == x2.shape == classes.shape == (7, 7)
    assert x1[0, 0] == -1.0 and x2[-1, -1] == 1.0
    i, j = 2, 5
    point = np.array([[x1[i, j], x2[i, j]]])
    assert classes[i, j] == int(net.predict_class(point)[0])


def test_training_figure_is_the_cached_run():
    fig = T.training_figure(60, 8, 0.5, steps=40)
    run = T.cached_run(0.5, 8, 60, T.DEPTH, 40)
    assert T.cached_run(0.5, 8, 60, T.DEPTH, 40) is run
    net, curves = T.train_spirals(0.5, 8, T.DEPTH, 60, steps=40)
    np.testing.assert_array_equal(run.network().theta, net.theta)
    assert run.curves == curves
    region, loss_ax, acc_ax = fig.axes
    assert list(loss_ax.lines[0].get_ydata()) == curves.train_loss
    assert list(loss_ax.lines[1].get_ydata()) == curves.test_loss
    assert fig._suptitle.get_text() == ("p = (2, 8, 8, 3), α = 0.5, 60 training points: "
                                        "step 40 of 40")
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        f"class {k}: region, points" for k in range(3)]


def test_every_widget_control_changes_the_figure():
    """Each control of the notebook's widget trains a different network: the descriptions
    (from the data drawn) differ."""
    base = {"n_train": 60, "width": 4, "lr": 0.5, "steps": 40}
    texts = {style.description(T.training_figure(**{**base, **change}))
             for change in ({}, {"n_train": 30}, {"width": 8}, {"lr": 0.05})}
    assert len(texts) == 4


# --- colour-vision deficiencies --------------------------------------------------------------
#: Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _seen_luminance(colour: str, matrix: list[list[float]]) -> float:
    c = np.array(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(np.clip(np.array(matrix) @ linear, 0, 1) @ [0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_region_fills_differ_in_lightness_for_every_colour_vision(vision):
    """Issue 16: under protanopia the regions became one olive. Now the fills differ in
    lightness (luminance ratio >= 1.15 for every pair, as seen with each deficiency), each
    region has its own hatching, and each class its own marker."""
    matrix = np.eye(3).tolist() if vision == "normal" else CVD[vision]
    seen = [_seen_luminance(c, matrix) for c in T.REGION_FILLS]
    for a, b in itertools.combinations(seen, 2):
        assert (max(a, b) + 0.05) / (min(a, b) + 0.05) >= 1.15, (vision, seen)
    assert len(set(T.REGION_HATCHES)) == T.CLASSES
    assert len({style.point(k)["marker"] for k in range(T.CLASSES)}) == T.CLASSES


def test_the_protanopia_simulation_reproduces_the_reported_problem():
    """The old fills (blue, orange and green tints of about equal lightness, reported to
    become one olive under protanopia) fail the criterion above, so that test can fail."""
    old = ("#CCE3F0", "#F0D9C7", "#C7E6DC")
    seen = [_seen_luminance(c, CVD["protanopia"]) for c in old]
    assert min((max(a, b) + 0.05) / (min(a, b) + 0.05)
               for a, b in itertools.combinations(seen, 2)) < 1.15


def test_recorder_needs_no_history_of_its_own():
    """The Recorder is an ordinary steepest_descent callback: it never stops training."""
    d = T.spiral_data()
    curves = T.Curves()
    rec = T.Recorder(d, curves)
    net = Network.init((2, 3, 3))
    assert rec(10, net, None) is False and curves.step == [10]
