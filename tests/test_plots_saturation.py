"""bplib.plots.saturation: the claims notebook 07 makes, checked on the numbers it plots.

- the logistic's S' decays exponentially in |z| (e^{-|z|}/4 <= S' <= e^{-|z|}), and ReLU' is
  drawn with the convention ReLU'(0) = 0 and no vertical segment;
- the saturated fraction rises with the weight scale for the logistic and not for the ReLU;
- two factors compete per layer: the gain of W_l^T grows like the scale, the attenuation by
  S' falls only like scale^(-1/2), so the logistic's delta decays more slowly at larger scale;
- ||delta_l|| vanishes through logistic layers and keeps its size through ReLU layers;
- the deep logistic net sits at loss ln 3 (its output cannot tell the inputs apart) while the
  ReLU net trains, and the step-size sweep picks each activation's best step.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib import health
from bplib.activations import dlogistic, dtanh
from bplib.plots import saturation as S
from bplib.plots import style
from bplib.train import History


def test_delta_norms_is_the_shared_one():
    assert S.delta_norms is health.delta_norms  # one implementation for notebooks 07 and 14
    X, y = S.PROBE
    norms = S.delta_norms(S.deep_network(3, "relu"), X, y)
    assert norms[0] is None and len(norms) == 5


def test_saturation_edge_solves_S_prime_equals_threshold():
    edge = S.saturation_edge("logistic")
    # S'(z) = s (1 - s) = 0.01 at s = (1 - sqrt(0.96)) / 2, z = -ln(1/s - 1)
    s = (1 - np.sqrt(0.96)) / 2
    assert edge == pytest.approx(-np.log(s / (1 - s)), rel=1e-12)
    assert float(dlogistic(np.array(edge))) == pytest.approx(0.01, rel=1e-10)
    assert S.saturation_edge("tanh") == pytest.approx(np.arctanh(np.sqrt(0.99)), rel=1e-12)
    assert float(dtanh(np.array(S.saturation_edge("tanh")))) == pytest.approx(0.01, rel=1e-10)
    assert S.saturation_edge("relu") == 0.0


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


# --- saturation and the weight scale ---------------------------------------------------------
def test_saturated_fraction_rises_with_weight_scale_for_logistic_and_not_for_relu():
    scales = S.DEFAULT_SCALES  # 0.25 ... 64
    logistic = S.scale_sweep("logistic", scales)
    relu = S.scale_sweep("relu", scales)
    # logistic: none saturated at the default scale, then a rising fraction, most at 64
    assert logistic.saturated[scales.index(1.0)] == 0.0
    assert all(b >= a for a, b in zip(logistic.saturated, logistic.saturated[1:], strict=False))
    assert logistic.saturated[scales.index(8.0)] > 0.1 and logistic.saturated[-1] > 0.8
    # ReLU (b_l = 0): rescaling W does not change the sign of any z, so S' < 0.01 (S' = 0)
    # for exactly the same values at every scale: about half of them
    assert max(relu.saturated) == min(relu.saturated)
    assert 0.4 < relu.saturated[0] < 0.6


def test_two_competing_factors_make_the_logistic_decay_slower_at_larger_scale():
    sw = S.scale_sweep("logistic", S.DEFAULT_SCALES)
    # the gain of W_l^T grows like the scale (slope 1 on log-log axes) ...
    assert S.loglog_slope(sw.scales, sw.gain, low=0) == pytest.approx(1.0, abs=0.05)
    # ... the attenuation by S' is at most 1/4 and falls only like scale^(-1/2) once units
    # saturate (a fraction ~ 1/sigma_z of them stays unsaturated, each passing S' up to 1/4)
    assert max(sw.attenuation) <= 0.25
    assert -0.6 < S.loglog_slope(sw.scales, sw.attenuation, low=8.0) < -0.4
    # so their product, the factor per layer, rises with the scale, past 1 near scale 10
    assert all(b > a for a, b in zip(sw.factor, sw.factor[1:], strict=False))
    assert sw.factor[S.DEFAULT_SCALES.index(1.0)] < 0.3 < 1.0 < sw.factor[-1]
    # the mean square of S'(z), z ~ N(0, sigma^2) with sigma large: (1/6) / (sigma sqrt(2 pi))
    for k, scale in enumerate(sw.scales):
        if scale >= 16:
            theory = np.sqrt(1 / (6 * np.sqrt(2 * np.pi) * sw.z_std[k]))
            assert sw.rms_dS[k] == pytest.approx(theory, rel=0.15)


def test_scale_sweep_factor_is_the_measured_decay():
    X, y = S.PROBE
    sw = S.scale_sweep("logistic", (2.0,), depth=5)
    sig = health.signals(S.deep_network(5, "logistic", 2.0), X, y)
    ratio = np.linalg.norm(sig.delta[1]) / np.linalg.norm(sig.delta[sig.L - 1])
    assert sw.factor[0] ** (sig.L - 2) == pytest.approx(ratio, rel=1e-10)
    with pytest.raises(ValueError, match="depth: expected at least 3 hidden layers"):
        S.scale_sweep("logistic", (1.0,), depth=2)


# --- figures ---------------------------------------------------------------------------------
def test_derivative_figure_relu_prime_convention_and_exponential_decay():
    fig = S.derivative_figure(8.0)
    _, mid, right = fig.axes
    relu_colour = style.series(S.SERIES["relu"])["color"]
    relu_lines = [ln for ln in mid.lines if ln.get_color() == relu_colour]
    pieces = [ln for ln in relu_lines if ln.get_linestyle() not in ("None", "none")]
    # two horizontal pieces (0 for z < 0, 1 for z > 0): no line joins 0 to 1 (no vertical)
    assert len(pieces) == 2
    assert sorted(float(np.unique(ln.get_ydata())[0]) for ln in pieces) == [0.0, 1.0]
    assert all(len(np.unique(ln.get_ydata())) == 1 for ln in pieces)
    assert all((np.asarray(ln.get_xdata()) != 0).all() for ln in pieces)
    dots = {(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])): ln.get_markerfacecolor()
            for ln in relu_lines if ln.get_linestyle() in ("None", "none")}
    assert set(dots) == {(0.0, 0.0), (0.0, 1.0)}  # S'(0) = 0 is the filled dot
    assert dots[(0.0, 1.0)] == "white" and dots[(0.0, 0.0)] != "white"
    # right: a log axis, the logistic's S' between e^{-|z|}/4 and e^{-|z|}
    assert right.get_yscale() == "log"
    z, dS = right.lines[0].get_xdata(), right.lines[0].get_ydata()
    assert np.all(dS <= np.exp(-np.abs(z)) * (1 + 1e-12))
    assert np.all(dS >= np.exp(-np.abs(z)) / 4 * (1 - 1e-12))
    assert "4.58" in style.description(fig)


def test_saturation_figure_shows_the_fractions_it_states():
    X, y = S.PROBE
    fig = S.saturation_figure("logistic", 8.0, depth=4)
    left, right = fig.axes
    assert left.get_xscale() == "symlog"
    assert [t.get_text() for t in left.get_yticklabels()] == ["1", "2", "3", "4"]
    expected = S.layer_saturation(S.deep_network(4, "logistic", 8.0))[1:]
    notes = [t.get_text() for t in right.texts if t.get_text().endswith("< 0.01")]
    assert notes == [f"{100 * f:.0f}% < 0.01" for f in expected]
    assert max(expected) > 0.1  # scale 8 saturates some units
    assert ", ".join(f"{100 * f:.0f}%" for f in expected) in style.description(fig)
    low = S.saturation_figure("logistic", 1.0, depth=4)
    assert "0%, 0%, 0%, 0%" in style.description(low)


def test_layer_histograms_count_exact_zeros_apart(rng):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    values = np.concatenate([np.zeros(30), rng.uniform(0.5, 1.0, 70)])
    S.layer_histograms(ax, [(1, values)], axis="log", colour=0, decades=(-3, 0))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "0" and labels[-1] == "1"
    with pytest.raises(ValueError, match="axis: expected 'symlog' or 'log', got 'lin'"):
        S.layer_histograms(ax, [(1, values)], axis="lin", colour=0)
    plt.close(fig)


def test_delta_norm_figure_is_log_scale_with_one_labelled_line_per_activation():
    fig = S.delta_norm_figure(5, "relu", 1.0)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 3
    assert ax.lines[0].get_linewidth() > ax.lines[1].get_linewidth()  # chosen one is bold
    # the three activations differ in colour, marker and line style, not only in width
    for key in ("get_color", "get_marker", "get_linestyle"):
        assert len({getattr(ln, key)() for ln in ax.lines}) == 3
    assert len(ax.lines[0].get_ydata()) == 6  # 5 hidden layers + output
    assert "5 hidden layers" in ax.get_title()
    labels = [t.get_text() for t in ax.texts]
    assert any(t.startswith("relu (chosen): ") for t in labels)
    assert any(t.startswith("logistic: ") for t in labels)


# --- training: one step size per activation --------------------------------------------------
def _hist(loss: list[float]) -> History:
    return History(step=list(range(1, len(loss) + 1)), loss=loss, accuracy=[0.5] * len(loss))


def test_best_lr_lowest_loss_and_ties_go_to_the_larger_step():
    assert S.best_lr({0.1: _hist([1.0, 0.5]), 0.3: _hist([1.0, 0.2]),
                      1.0: _hist([1.0, float("nan")])}) == 0.3
    plateau = {0.1: _hist([1.0986]), 1.0: _hist([1.0985]), 3.0: _hist([1.0986]),
               10.0: _hist([1.9])}
    assert S.best_lr(plateau) == 3.0  # all within 1 %: the largest that did not blow up
    assert S.final_loss(_hist([1.0, float("inf")])) == float("inf")
    with pytest.raises(ValueError, match="runs: every run diverged"):
        S.best_lr({1.0: _hist([float("nan")])})


def test_lr_sweep_stops_a_diverging_run():
    sweep = S.lr_sweep(("relu",), (0.1, 1e200), depth=2, steps=40, n=30, log_every=1)
    runs = sweep["relu"]
    assert set(runs) == {0.1, 1e200}
    assert len(runs[0.1].loss) == 40 and np.isfinite(runs[0.1].loss).all()
    assert S.final_loss(runs[1e200]) == float("inf") and len(runs[1e200].loss) < 40
    assert S.best_lr(runs) == 0.1


def test_deep_logistic_net_cannot_tell_inputs_apart_and_sits_at_ln3():
    logistic = S.forward_spread(S.deep_network(6, "logistic"))
    relu = S.forward_spread(S.deep_network(6, "relu"))
    # the input differences shrink ~4x per logistic layer (S' <= 1/4), not through ReLU layers
    assert logistic[6] < 1e-3 * logistic[1] and relu[6] > 0.1 * relu[1]
    hist = S.train_activations(("logistic", "relu"), depth=6, steps=300,
                               lr={"logistic": 3.0, "relu": 0.3}, log_every=50)
    assert abs(hist["logistic"].loss[-1] - S.LN3) < 1e-3  # on the plateau: chance level
    assert hist["relu"].loss[-1] < 0.01


def test_step_size_figure_marks_best_and_diverged():
    runs = {"relu": {0.1: _hist([1.0, 0.01]), 0.3: _hist([1.0, 0.001]),
                     10.0: _hist([1.0, float("nan")])}}
    fig = S.step_size_figure(runs)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    text = style.description(fig)
    assert "best α = 0.3" in text and "α = 10: diverged" in text
    crosses = [ln for ln in ax.lines if ln.get_marker() == "X"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [10.0]


def test_training_curves_figure():
    hist = S.train_activations(("logistic", "relu"), depth=2, steps=5, n=30)
    fig = S.training_curves_figure(hist, {"logistic": 0.1, "relu": 0.1})
    left, right = fig.axes
    assert left.get_yscale() == "log" and right.get_ylabel() == "training accuracy"
    assert [t.get_text() for t in right.get_legend().get_texts()] == [
        "logistic, α = 0.1", "relu, α = 0.1"]
    assert list(left.lines[1].get_ydata()) == hist["relu"].loss
