"""bplib.plots.diagonal: D_l = diag(S'(z_l)), diag(a) b = a ⊙ b, the timing helpers.

Timings themselves are never asserted (they depend on the machine); the tests check the
products, the slope fit on synthetic data, and the shape of what the timing code returns.
"""

from __future__ import annotations

import numpy as np
import pytest

from bplib.activations import ACTIVATIONS
from bplib.plots import diagonal as Dg


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_D_matrix_is_the_jacobian_of_the_activation(name, rng):
    """D = diag(S'(z)) equals the central-difference Jacobian of a = S(z) (float64)."""
    act = ACTIVATIONS[name]
    z = rng.normal(size=6)
    z[np.abs(z) < 1e-3] = 0.5  # keep clear of the ReLU kink
    D = Dg.D_matrix(act.dS, z)
    h = 1e-6
    J = np.column_stack([(act.S(z + h * e) - act.S(z - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(D, J, rtol=0, atol=1e-8)
    assert np.count_nonzero(D - np.diag(np.diag(D))) == 0


def test_D_matrix_rejects_a_batch():
    with pytest.raises(ValueError, match=r"z: expected .* shape \(p,\), got shape \(2, 3\)"):
        Dg.D_matrix(ACTIVATIONS["tanh"].dS, np.zeros((2, 3)))


@pytest.mark.parametrize("p", [1, 5, 64])
def test_diag_times_equals_hadamard(p, rng):
    a, b = rng.normal(size=p), rng.normal(size=p)
    np.testing.assert_allclose(Dg.diag_times(a, b), Dg.hadamard(a, b), rtol=1e-15, atol=0)


def test_loglog_slope_recovers_the_power():
    p = 2.0 ** np.arange(4, 12)
    assert Dg.loglog_slope(p, 3e-9 * p**2) == pytest.approx(2.0, abs=1e-9)
    # overhead at small p does not spoil the fit on the largest sizes
    assert Dg.loglog_slope(p, 1e-8 + 1e-9 * p, tail=2) == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="p, t"):
        Dg.loglog_slope(p, p[:-1])


def test_widths_are_powers_of_two_and_bounded():
    np.testing.assert_array_equal(Dg.widths(128), [16, 32, 64, 128])
    with pytest.raises(ValueError, match="max_p: expected 16 <= max_p <= 4096, got 8192"):
        Dg.widths(8192)


def test_time_product_returns_positive_times_per_p():
    ps = Dg.widths(64)
    t = Dg.time_product("hadamard", ps, repeat=1)
    assert t.shape == ps.shape and (t > 0).all() and np.isfinite(t).all()
    with pytest.raises(ValueError, match="name: expected one of"):
        Dg.time_product("kron", ps)
    with pytest.raises(ValueError, match="repeat: expected a positive integer, got 0"):
        Dg.time_product("diag", ps, repeat=0)


def test_timing_figure_draws_curves_and_reference_slopes():
    p = 2.0 ** np.arange(4, 9)
    q = 2.0 ** np.arange(4, 12)
    fig = Dg.timing_figure(p, 1e-9 * p**2, q, 1e-9 * q)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.lines) == 4
    ref2, ref1 = ax.lines[2], ax.lines[3]
    slope2 = np.polyfit(np.log(ref2.get_xdata()), np.log(ref2.get_ydata()), 1)[0]
    slope1 = np.polyfit(np.log(ref1.get_xdata()), np.log(ref1.get_ydata()), 1)[0]
    assert slope2 == pytest.approx(2.0) and slope1 == pytest.approx(1.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "fitted slope 2.0" in labels[0] and "fitted slope 1.0" in labels[1]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_D_figure_shows_the_diagonal():
    fig = Dg.D_figure("logistic", p=5)
    D = fig.axes[0].images[0].get_array()
    assert D.shape == (5, 5)
    assert np.count_nonzero(D - np.diag(np.diag(D))) == 0
    assert (np.diag(D) > 0).all() and (np.diag(D) <= 0.25).all()  # logistic' in (0, 1/4]
    with pytest.raises(ValueError, match="activation: unknown activation 'sigmoid'"):
        Dg.D_figure("sigmoid")
