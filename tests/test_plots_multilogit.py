"""bplib.plots.multilogit: delta_L three ways, naive vs stable softmax, the reduced model."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.activations import softmax_jacobian
from bplib.losses import reduced_softmax_jacobian
from bplib.network import Network, dim_theta
from bplib.plots import multilogit as M


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
    fig = M.softmax_bars_figure(2.0, 0.0)
    assert "both agree" in fig.axes[0].get_title() and not fig.axes[0].texts


def test_delta_forms_figure():
    forms = M.delta_forms(np.array([0.5, -1.0, 2.0]), 0)
    fig = M.delta_forms_figure(forms, 0)
    (ax,) = fig.axes
    assert len(ax.containers) == 3
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "$i$ = 0 (= y)"
    np.testing.assert_allclose([p.get_height() for p in ax.containers[0]], forms.closed)
