"""Activations and output/loss pairs: derivatives by central differences (float64), the
closed-form delta_L of each pair against the general Jacobian form, and stability."""

from __future__ import annotations

import numpy as np
import pytest

from bplib.activations import (
    ACTIVATIONS,
    RELU_PRIME_AT_ZERO,
    drelu,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_naive,
)
from bplib.backend import to_numpy
from bplib.losses import (
    OUTPUT_LOSSES,
    general_delta_L,
    get_output_loss,
    one_hot,
    reduce_multilogit,
    reduced_softmax,
)

H = 1e-6
TOL = 1e-7  # central differences in float64 with h = 1e-6: error ~ 1e-10 relative


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_central_difference(name, rng, xp):
    S, dS = ACTIVATIONS[name].S, ACTIVATIONS[name].dS
    z = xp.asarray(rng.uniform(-4, 4, 200))
    z = z[xp.abs(z) > 1e-3]  # stay away from the ReLU kink
    numeric = (S(z + H) - S(z - H)) / (2 * H)
    np.testing.assert_allclose(to_numpy(dS(z)), to_numpy(numeric), rtol=TOL, atol=TOL)


def test_relu_prime_at_zero_convention():
    assert RELU_PRIME_AT_ZERO == 0.0
    np.testing.assert_array_equal(drelu(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])


def test_logistic_saturates_and_never_overflows():
    z = np.array([-1e4, -40.0, 0.0, 40.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = ACTIVATIONS["logistic"].S(z)
        d = ACTIVATIONS["logistic"].dS(z)
    np.testing.assert_allclose(s, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-15)
    assert d[2] == 0.25 and d[0] == 0.0 and d[-1] == 0.0


def test_softmax_stable_for_huge_logits():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [5.0, 5.0, 5.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        g = softmax(z)
        lse = logsumexp(z)
        ls = log_softmax(z)
    np.testing.assert_allclose(g[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(g[1], [1 / 3] * 3)
    np.testing.assert_allclose(lse, [1e4, -1e4 + np.log(3), 5 + np.log(3)])
    assert np.isfinite(ls).all()
    with np.errstate(all="ignore"):
        assert np.isnan(softmax_naive(np.array([1000.0, 0.0]))).any()  # what the fix avoids


def test_softmax_jacobian_matches_central_difference(rng):
    z = rng.normal(size=5)
    J = softmax_jacobian(z)
    # lecture layout: [i, j] = dg_j / dz_i
    num = np.stack([(softmax(z + H * e) - softmax(z - H * e)) / (2 * H) for e in np.eye(5)])
    np.testing.assert_allclose(J, num, atol=TOL)


def _random_y(pair, p_L, rng):
    if pair.classification:
        return int(rng.integers(0, pair.n_classes(p_L)))
    return rng.normal(size=p_L)


@pytest.mark.parametrize("key", sorted(OUTPUT_LOSSES), ids="+".join)
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_closed_form_delta_equals_jacobian_form(key, scale, rng):
    pair = OUTPUT_LOSSES[key]
    for p_L in (1, 2, 5):
        if pair.output == "softmax" and p_L == 1:
            continue
        z = rng.normal(size=p_L) * scale
        y = _random_y(pair, p_L, rng)
        np.testing.assert_allclose(pair.delta_L(z, y), general_delta_L(pair, z, y),
                                   rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("key", sorted(OUTPUT_LOSSES), ids="+".join)
def test_delta_is_derivative_of_loss(key, rng):
    """delta_L = dC/dz_L, checked by central differences of the (stable) loss C(z_L, y)."""
    pair = OUTPUT_LOSSES[key]
    z = rng.normal(size=4)
    y = _random_y(pair, 4, rng)
    num = np.array([(pair.C(z + H * e, y) - pair.C(z - H * e, y)) / (2 * H) for e in np.eye(4)])
    np.testing.assert_allclose(pair.delta_L(z, y), num, rtol=1e-7, atol=1e-9)


def test_softmax_ce_delta_is_g_minus_ey_and_finite_for_huge_logits():
    pair = get_output_loss("softmax")
    z = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]])
    y = np.array([1, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        C = pair.C(z, y)
        d = pair.delta_L(z, y)
    np.testing.assert_allclose(C, [2e4, np.log(3)])
    np.testing.assert_allclose(d, softmax(z) - one_hot(y, 3))
    np.testing.assert_allclose(d[0], [1.0, -1.0, 0.0])


def test_reduced_multilogit_equals_full_model(rng):
    W, b, h = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(6, 3))
    Wr, br = reduce_multilogit(W, b)
    assert Wr.shape == (3, 3) and br.shape == (3,)
    full = softmax(h @ W.T + b)
    reduced = reduced_softmax(h @ Wr.T + br)
    np.testing.assert_allclose(full, reduced, rtol=1e-12)
    np.testing.assert_array_equal(full.argmax(1), reduced.argmax(1))
    # its delta: the full model's g - e_y with class 0's entry removed
    pair = get_output_loss("reduced_softmax")
    y = rng.integers(0, 4, 6)
    np.testing.assert_allclose(pair.delta_L(h @ Wr.T + br, y),
                               (full - one_hot(y, 4))[:, 1:], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pair.C(h @ Wr.T + br, y),
                               get_output_loss("softmax").C(h @ W.T + b, y), rtol=1e-12)


def test_unknown_pair_and_activation_are_named():
    with pytest.raises(ValueError, match=r"output/loss.*softmax.*squared_error"):
        get_output_loss("softmax", "squared_error")
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        from bplib.activations import get_activation

        get_activation("sigmoid")
