"""bplib.plots.initialisation: the claims notebook 14 makes, checked on the numbers it plots.

- each scheme draws W_l with the variance of its formula;
- through ReLU layers He keeps the spread of z_l and the size of delta_l; LeCun and Glorot
  (equal widths) halve Var z_l per layer, the unscaled normal multiplies it by p/2;
- no scheme keeps delta through logistic layers, and the unscaled normal saturates them;
- for the ReLU with b_l = 0 the scheme and the scale change no sign: the same units are dead,
  and their number grows with depth as the examples' a_l become alike.
"""

from __future__ import annotations

import numpy as np
import pytest

from bplib import health
from bplib.network import init_std
from bplib.plots import initialisation as I
from bplib.plots import style


def _per_layer(values: tuple[float, ...]) -> float:
    """Geometric mean of the ratio of consecutive values (the factor per layer)."""
    v = np.asarray(values)
    return float((v[-1] / v[0]) ** (1 / (len(v) - 1)))


def test_probe_is_standardised_digits():
    X, y = I.probe()
    assert X.shape == (256, 64) and y.shape == (256,) and set(np.unique(y)) <= set(range(10))
    live = X.std(axis=0) > 0
    np.testing.assert_allclose(X[:, live].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X[:, live].std(axis=0), 1, rtol=1e-12)
    assert np.all(X[:, ~live] == 0)


@pytest.mark.parametrize("init,formula", [
    ("lecun", lambda fi, fo: 1 / fi), ("glorot", lambda fi, fo: 2 / (fi + fo)),
    ("he", lambda fi, fo: 2 / fi), ("normal", lambda fi, fo: 1.0)])
def test_network_draws_the_variance_of_each_formula(init, formula):
    net = I.network("relu", init, depth=3, width=256, scale=2.0)
    assert net.p == (64, 256, 256, 256, 10)
    std = init_std(net.p, "relu", init=init, scale=2.0)
    for l in range(1, net.L + 1):
        fan_in, fan_out = net.p[l - 1], net.p[l]
        assert std[l] == pytest.approx(2.0 * np.sqrt(formula(fan_in, fan_out)), rel=1e-15)
        assert net.W[l].std() == pytest.approx(std[l], rel=0.1)  # >= 640 draws per layer
    with pytest.raises(ValueError, match="depth: expected at least 1 hidden layer"):
        I.network("relu", depth=0)


def test_relu_he_keeps_the_spread_lecun_and_glorot_halve_the_variance_normal_explodes():
    runs = {init: I.layer_health("relu", init, depth=10, width=64) for init in I.SCHEMES}
    he = runs["he"]
    assert 0.5 < he.z_std[-1] / he.z_std[0] < 2
    assert 0.3 < he.delta_norm[0] / he.delta_norm[-1] < 3
    for init in ("lecun", "glorot"):  # Var W = 1/p with equal widths: Var z halves per layer
        assert _per_layer(runs[init].z_std[1:]) == pytest.approx(np.sqrt(0.5), abs=0.1)
        assert runs[init].delta_norm[0] / runs[init].delta_norm[-1] < 0.1
    # Var W = 1: Var z multiplied by p/2 = 32 per layer, std by about 5.7
    assert 4 < _per_layer(runs["normal"].z_std[1:]) < 8
    assert runs["normal"].delta_norm[0] / runs["normal"].delta_norm[-1] > 1e3


def test_no_scheme_keeps_delta_through_logistic_layers():
    for init in ("lecun", "glorot", "he"):
        hh = I.layer_health("logistic", init, depth=10, width=64)
        assert max(hh.saturated) < 0.01  # not saturated ...
        assert hh.delta_norm[0] / hh.delta_norm[-1] < 1e-3  # ... and still vanishing (S' <= 1/4)
    normal = I.layer_health("logistic", "normal", depth=10, width=64)
    assert min(normal.saturated) > 0.2  # Var W = 1: z_1 spreads over |z| > 4.58


def test_tanh_needs_more_than_lecun_gain_because_tanh_compresses():
    lecun = I.layer_health("tanh", "lecun", depth=10, width=64)
    he = I.layer_health("tanh", "he", depth=10, width=64)
    assert lecun.z_std[-1] < 0.5 * lecun.z_std[0]  # Var z drifts down with gain 1
    assert abs(np.log(he.delta_norm[0] / he.delta_norm[-1])) < abs(
        np.log(lecun.delta_norm[0] / lecun.delta_norm[-1]))


def test_dead_relu_units_do_not_depend_on_the_scheme_and_grow_with_depth():
    runs = [I.layer_health("relu", init, depth=20, width=64, scale=scale)
            for init in I.SCHEMES for scale in (0.5, 1.0)]
    assert all(hh.dead == runs[0].dead for hh in runs)
    dead = np.asarray(runs[0].dead)
    assert dead[:3].max() < 0.05 and dead[-5:].mean() > 0.15
    sim = runs[0].similarity  # a_0 = x, ..., a_{L-1}: the examples become alike
    assert sim[1] < 0.5 < 0.9 < sim[-1]


def test_mean_similarity_by_hand():
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # pairs: (1,2) cos 0, (1,3) and (2,3) cos 1/sqrt(2)
    assert I.mean_similarity(a) == pytest.approx(2 / np.sqrt(2) / 3, rel=1e-15)


def test_shown_layers():
    assert I.shown_layers(5) == [1, 2, 3, 4, 5]
    rows = I.shown_layers(20)
    assert len(rows) == I.MAX_ROWS and rows[0] == 1 and rows[-1] == 20


def test_layer_histograms_figure_numbers_are_the_measured_ones():
    fig = I.layer_histograms_figure("logistic", "normal", depth=4, width=32)
    hh = I.layer_health("logistic", "normal", depth=4, width=32)
    *panels, table = fig.axes
    assert [ax.get_title() for ax in panels] == ["$z_l$", "$a_l = S(z_l)$", "$S'(z_l)$",
                                                 r"$|\delta_l|$"]
    rows = [t.get_text().split() for t in table.texts[1:]]
    assert [r[0] for r in rows] == [f"{100 * f:.0f}%" for f in hh.saturated]
    assert [r[1] for r in rows] == [style.fmt_number(v, 2) for v in hh.delta_norm[:4]]
    assert "S' < 0.01 per shown layer" in style.description(fig)


def test_scheme_comparison_figure_lines():
    tanh = I.scheme_comparison_figure("tanh", depth=5, width=16)
    ax_z, ax_p, ax_d = tanh.axes
    assert len(ax_z.lines) == len(ax_p.lines) == len(ax_d.lines) == 4
    assert ax_d.get_xlim()[0] > ax_d.get_xlim()[1]  # backward pass: from L down to 1
    assert {t.get_text() for t in ax_z.texts} == set(I.SCHEMES)
    relu = I.scheme_comparison_figure("relu", depth=5, width=16)
    assert len(relu.axes[1].lines) == 1  # one dead-unit curve: the same for every scheme
    assert "the same for all four" in relu.axes[1].texts[0].get_text()
    hh = I.layer_health("relu", "he", depth=5, width=16)
    np.testing.assert_array_equal(relu.axes[1].lines[0].get_ydata(), hh.dead)


def test_layer_health_matches_bplib_health():
    X, y = I.probe()
    sig = health.signals(I.network("tanh", "glorot", depth=3, width=16), X, y)
    hh = I.layer_health("tanh", "glorot", depth=3, width=16)
    assert hh.z_std == tuple(float(sig.z[l].std()) for l in (1, 2, 3))
    assert hh.delta_norm == pytest.approx(health.delta_norms(
        I.network("tanh", "glorot", depth=3, width=16), X, y)[1:], rel=1e-12)
