"""bplib.plots.multilogit: delta_L three ways, naive vs stable softmax, the reduced model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from bplib.activations import softmax_jacobian
from bplib.losses import reduced_softmax_jacobian
from bplib.network import Network, dim_theta
from bplib.plots import multilogit as M
from bplib.plots import style


@pytest.mark.parametrize("output, c", [("softmax", 4), ("reduced_softmax", 3)])
def test_delta_forms_agree(output, c, rng):
    for _ in range(3):
        z = rng.normal(scale=3.0, size=c)
        y = int(rng.integers(0, 4))
        forms = M.delta_forms(z, y, output=output)
        np.testing.assert_allclose(forms.jacobian, forms.closed, rtol=0, atol=1e-14)
        np.testing.assert_allclose(forms.numeric, forms.closed, rtol=0, atol=1e-8)


def test_delta_is_g_minus_e_y_by_hand():
    # z = (0, log 3): g = (1/4, 3/4); y = 1 -> delta = (1/4, -1/4).
    forms = M.delta_forms(np.array([0.0, np.log(3.0)]), 1)
    np.testing.assert_allclose(forms.closed, [0.25, -0.25], atol=1e-15)


def test_numeric_jacobian_has_the_lecture_layout(rng):
    z = rng.normal(size=3)
    # reduced model: (p_L, p_L + 1) = (3, 4), row i = dg/dz_i; not square, so the layout shows
    J = M.jacobian_numeric("reduced_softmax", z)
    assert J.shape == (3, 4)
    np.testing.assert_allclose(J, reduced_softmax_jacobian(z), atol=1e-9)
    np.testing.assert_allclose(M.jacobian_numeric("softmax", z), softmax_jacobian(z), atol=1e-9)


def test_softmax_both_naive_overflows_stable_does_not():
    naive, stable = M.softmax_both(np.array([1000.0, 999.0, 998.0]))
    assert np.isnan(naive).all()
    np.testing.assert_allclose(stable, M.softmax_both(np.array([2.0, 1.0, 0.0]))[1], rtol=1e-15)
    assert stable.sum() == pytest.approx(1.0)
    naive, _ = M.softmax_both(np.array([-1000.0, -999.0]))  # exp underflows: 0/0
    assert np.isnan(naive).all()
    naive, stable = M.softmax_both(np.array([1.0, -2.0, 0.5]))
    np.testing.assert_allclose(naive, stable, rtol=1e-15)


def test_reduced_network_gives_the_same_probabilities(rng):
    net = Network.init((3, 6, 4), hidden="tanh", output="softmax", seed=2)
    net.b[2][...] = rng.normal(size=4)
    red = M.reduced_network(net)
    assert red.p == (3, 6, 3) and red.S[-1] == "reduced_softmax" and red.n_classes == 4
    assert dim_theta(red.p) == dim_theta(net.p) - 7
    X = rng.normal(size=(20, 3))
    np.testing.assert_allclose(red.predict(X), net.predict(X), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(red.predict_class(X), net.predict_class(X))
    y = rng.integers(0, 4, 20)
    assert red.loss_value(X, y) == pytest.approx(net.loss_value(X, y), rel=1e-13)


def test_reduced_network_rejects_other_outputs():
    net = Network.init((2, 3, 2), output="identity")
    with pytest.raises(ValueError, match="net: expected a softmax output layer, got 'identity'"):
        M.reduced_network(net)


def test_softmax_bars_figure_marks_nan():
    fig = M.softmax_bars_figure(1.0, 1000.0)
    (ax,) = fig.axes
    assert "naive overflows" in ax.get_title()
    assert sum(t.get_text() == "nan" for t in ax.texts) == 4
    assert ax.get_ylabel() == "probability $g_k$" and ax.get_legend() is not None
    stable_heights = [p.get_height() for p in ax.containers[1]]
    np.testing.assert_allclose(stable_heights, M.softmax_both(M.BASE_LOGITS)[1], rtol=1e-12)
    # output units are numbered k = 1..p_L, class y = k - 1 (the slide's indices)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0].startswith("$k$ = 1 ($y$ = 0)") and "$z_{L,1}$" in ticks[0]
    assert [round(t) for t in ax.get_xticks()] == [1, 2, 3, 4]
    fig = M.softmax_bars_figure(2.0, 0.0)
    assert "both agree" in fig.axes[0].get_title() and not fig.axes[0].texts


def test_delta_forms_figure_shows_three_ways_with_three_shapes():
    forms = M.delta_forms(np.array([0.5, -1.0, 2.0]), 0)
    fig = M.delta_forms_figure(forms, 0)
    (ax,) = fig.axes
    (bars,) = ax.containers
    np.testing.assert_allclose([p.get_height() for p in bars], forms.closed)
    jac, num = [ln for ln in ax.lines if ln.get_marker() not in ("None", "", None)]
    np.testing.assert_allclose(jac.get_ydata(), forms.jacobian)
    np.testing.assert_allclose(num.get_ydata(), forms.numeric)
    assert jac.get_marker() != num.get_marker()  # told apart by shape, not only colour
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["$i$ = 1 (= $y + 1$)", "$i$ = 2", "$i$ = 3"]  # y = 0 is output unit 1
    assert "g - e_(y+1)" in style.description(fig)


def test_reduced_model_figure_shows_shifted_logits_and_equal_probabilities():
    full = Network.init((2, 5, 4), hidden="tanh", output="softmax", seed=3)
    full.b[2][...] = (0.4, -0.3, 0.2, 0.1)
    x = np.array([0.3, -0.7])
    fig = M.reduced_model_figure(full, x)
    left, right = fig.axes
    z = full.feed_forward(x)[0][2]
    full_bars, reduced_bars = left.containers
    np.testing.assert_allclose([b.get_height() for b in full_bars], z)
    # the reduced logits are the full ones from unit 2 on minus z_{L,1}, drawn at k = 2..4
    np.testing.assert_allclose([b.get_height() for b in reduced_bars], z[1:] - z[0],
                               atol=1e-12)
    assert [round(b.get_x() + b.get_width() / 2) for b in reduced_bars] == [2, 3, 4]
    g_full, g_red = ([b.get_height() for b in c] for c in right.containers)
    np.testing.assert_allclose(g_red, g_full, atol=1e-14)
    assert g_red[0] == pytest.approx(1 - sum(g_red[1:]))  # g_1 = 1 - sum_{k>=2} g_k
    assert "z_0" not in style.description(fig)  # z_0 is Algorithm 1's placeholder only
    assert "removed\nnode" in " ".join(t.get_text() for t in left.texts)


# Machado, Oliveira & Fernandes (2009), deuteranopia at severity 1, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _seen_by_deuteranope(colour) -> np.ndarray:
    """CIELAB (D65) of ``colour`` as a deuteranope sees it (Machado et al. 2009, severity 1)."""
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    sim = np.clip(DEUTERANOPIA @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ sim / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


#: Colour difference (CIE76 Delta E in CIELAB) two bar series keep under simulated
#: deuteranopia: blue against vermillion keeps 100; green against vermillion drops to 48.
MIN_DELTA_E = 60.0


@pytest.mark.parametrize("figure", [
    lambda: M.softmax_bars_figure(1.0, 0.0),
    lambda: M.reduced_model_figure(Network.init((2, 4, 3), output="softmax", seed=0),
                                   np.array([0.5, -1.0])),
])
def test_bar_series_stay_distinguishable_under_deuteranopia(figure):
    """Issue 16: bars that only colour told apart (green beside red) matched for a
    deuteranope. Each pair of bar series on an axis differs by a hatch, and their colours
    stay apart once deuteranopia is simulated."""
    fig = figure()
    for ax in fig.axes:
        series = [c for c in ax.containers if len(c)]
        for a, b in itertools.combinations(series, 2):
            pa, pb = a.patches[0], b.patches[0]
            assert (pa.get_hatch() or "") != (pb.get_hatch() or ""), ax.get_title()
            seen_a = _seen_by_deuteranope(pa.get_facecolor())
            seen_b = _seen_by_deuteranope(pb.get_facecolor())
            assert np.linalg.norm(seen_a - seen_b) > MIN_DELTA_E, (ax.get_title(), seen_a,
                                                                    seen_b)


def test_the_old_green_and_vermillion_pair_would_fail_the_deuteranopia_check():
    """The check above can fail: the palette's green and vermillion, side by side before,
    are much closer for a deuteranope than blue and vermillion."""
    close = np.linalg.norm(_seen_by_deuteranope(style.GREEN) - _seen_by_deuteranope(
        style.VERMILLION))
    apart = np.linalg.norm(_seen_by_deuteranope(style.BLUE) - _seen_by_deuteranope(
        style.VERMILLION))
    assert close < MIN_DELTA_E < apart
