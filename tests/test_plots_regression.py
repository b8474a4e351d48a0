"""bplib.plots.regression: delta_L for squared error three ways, cached training with
snapshots, and the fit figure."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.network import Network
from bplib.plots import regression as R


@pytest.mark.parametrize("output", ["identity", "tanh", "logistic"])
def test_delta_forms_agree(output, rng):
    for _ in range(3):
        z, y = rng.normal(scale=2.0, size=3), rng.normal(size=3)
        forms = R.delta_forms(output, z, y)
        np.testing.assert_allclose(forms.jacobian, forms.closed, rtol=0, atol=1e-14)
        np.testing.assert_allclose(forms.numeric, forms.closed, rtol=0, atol=1e-8)


def test_delta_by_hand():
    # tanh output at z = (0, 0): g = 0, S' = 1; y = (1, -2): delta = 2 (g - y) = (-2, 4).
    forms = R.delta_forms("tanh", np.zeros(2), np.array([1.0, -2.0]))
    np.testing.assert_allclose(forms.closed, [-2.0, 4.0], atol=1e-15)
    # logistic output at z = (0, 0): g = 1/2, S' = 1/4; y = (1, 0): delta = (1/4)(-1, 1).
    forms = R.delta_forms("logistic", np.zeros(2), np.array([1.0, 0.0]))
    np.testing.assert_allclose(forms.closed, [-0.25, 0.25], atol=1e-15)


def test_regression_data_split():
    X_train, Y_train, X_test, Y_test = R.regression_data()
    assert X_train.shape == (150, 2) and Y_train.shape == (150, 2)
    assert X_test.shape == (50, 2) and Y_test.shape == (50, 2)


def test_train_regression_is_cached_and_snapshots_replay():
    run = R.train_regression(0.1, steps=100)
    assert R.train_regression(0.1, steps=100) is run  # cached: no second training
    assert run.steps == (0, 25, 50, 75, 100)
    assert sorted(run.snapshots) == list(run.steps)
    assert run.loss[-1] < run.loss[0] and run.test_loss[-1] < run.test_loss[0]
    X_train, Y_train, X_test, Y_test = R.regression_data()
    net = run.network(60)  # rounds down to the snapshot at step 50
    assert net.loss_value(X_train, Y_train) == pytest.approx(run.loss[2], rel=1e-12)
    assert run.network(0).loss_value(X_test, Y_test) == pytest.approx(run.test_loss[0])
    fresh = Network.init(R.WIDTHS, hidden="tanh", output="identity", seed=0)
    np.testing.assert_array_equal(run.network(0).theta, fresh.theta)
    with pytest.raises(ValueError, match="step: expected 0..100, got 101"):
        run.network(101)


def test_regression_fit_figure_panels():
    fig = R.regression_fit_figure(steps=200, lr=0.3)
    a1, a2, curves = fig.axes
    assert a1.get_xlabel() == "true $y_1$" and a2.get_ylabel() == "predicted $g_2(x)$"
    assert curves.get_yscale() == "log"
    assert curves.get_title().startswith("lr = 0.3: test loss")
    assert [t.get_text() for t in curves.get_legend().get_texts()][-1] == "step 200"
    _, _, X_test, Y_test = R.regression_data()
    G = R.train_regression(0.3).network(200).predict(X_test)
    np.testing.assert_allclose(a1.collections[0].get_offsets()[:, 1], G[:, 0])
    np.testing.assert_allclose(a2.collections[0].get_offsets()[:, 0], Y_test[:, 1])
