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
    assert curves.get_title().startswith("α = 0.3: test loss")
    run = R.train_regression(0.3)
    np.testing.assert_array_equal(curves.lines[0].get_ydata(), run.every_loss)  # every step
    assert [t.get_text() for t in curves.get_legend().get_texts()][-1] == "step 200"
    _, _, X_test, Y_test = R.regression_data()
    G = R.train_regression(0.3).network(200).predict(X_test)
    np.testing.assert_allclose(a1.collections[0].get_offsets()[:, 1], G[:, 0])
    np.testing.assert_allclose(a2.collections[0].get_offsets()[:, 0], Y_test[:, 1])


def test_every_loss_is_the_loss_after_each_update():
    run = R.train_regression(0.1, steps=100)
    assert len(run.every_loss) == 101
    for k, step in enumerate(run.steps):  # the snapshots' losses, measured separately
        assert run.every_loss[step] == pytest.approx(run.loss[k], rel=1e-12)


def test_hessian_vector_product_and_sharpness_of_a_linear_model(rng):
    # p = (2, 2), identity output, squared error: C = mean_i ||W x_i + b - y_i||^2 is quadratic
    # in theta = (W_11, W_12, W_21, W_22, b_1, b_2); each output k sees the block
    # 2 mean_i (x_i, 1)(x_i, 1)^T in (W_k1, W_k2, b_k), so lambda_max = 2 lambda_max(M).
    X, Y = rng.normal(size=(40, 2)) * [1.0, 3.0], rng.normal(size=(40, 2))
    net = Network.from_weights([rng.normal(size=(2, 2))], [rng.normal(size=2)], hidden=[],
                               output="identity", loss="squared_error")
    Xt = np.hstack([X, np.ones((40, 1))])
    M = 2 * Xt.T @ Xt / 40
    H = np.zeros((6, 6))
    for k in range(2):
        idx = [2 * k, 2 * k + 1, 4 + k]
        H[np.ix_(idx, idx)] = M
    v = rng.normal(size=6)
    np.testing.assert_allclose(R.hessian_vector_product(net, X, Y, v), H @ v, rtol=1e-7,
                               atol=1e-8)
    lam, u = R.sharpness(net, X, Y, iters=200)
    assert lam == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-6)
    np.testing.assert_allclose(np.abs(u @ H @ u), lam, rtol=1e-6)


def test_loss_spikes_by_hand():
    loss = [1.0, 0.9, 0.95, 1.3, 0.8, 0.7, 0.75, 0.8, 0.5]
    assert R.loss_spikes(loss) == [(1, 3)]  # 0.9 -> 1.3 (x1.44); 0.7 -> 0.8 is only x1.14
    assert R.loss_spikes(loss, rise=1.1) == [(1, 3), (5, 7)]
    assert R.loss_spikes([3.0, 2.0, 1.0]) == []


def test_spikes_come_from_a_step_past_the_stability_limit_and_a_smaller_step_removes_them():
    # alpha = 0.1: lambda_max of the Hessian rises to the limit 2 / alpha = 20 and hovers
    # there (the edge of stability), and the loss spikes where it overshoots
    fast = R.train_regression(0.1)
    steps, lam = R.sharpness_curve(0.1)
    assert len(R.loss_spikes(fast.every_loss)) >= 3
    assert lam[0] < 15 and 0.95 * 20 < max(lam) < 1.15 * 20
    assert all(abs(v - 20) < 1.5 for k, v in zip(steps, lam, strict=True) if k >= 1000)
    # alpha = 0.05: 2 / alpha = 40 stays above lambda_max, and the loss falls at every step
    slow = R.train_regression(0.05)
    _, lam_slow = R.sharpness_curve(0.05)
    assert max(lam_slow) < 40 and R.loss_spikes(slow.every_loss) == []
    assert np.all(np.diff(slow.every_loss) < 0)
    assert slow.every_loss[-1] < 1.05 * fast.every_loss[-1]  # and ends no worse
    with pytest.raises(ValueError, match="every: expected a multiple of 25"):
        R.sharpness_curve(0.1, every=30)
