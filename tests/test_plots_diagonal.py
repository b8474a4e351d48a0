"""bplib.plots.diagonal: D_l = diag(S'(z_l)), diag(a) b = a ⊙ b, the timing helpers.

Timings themselves are never asserted (they depend on the machine); the tests check the
products, the operation counts and their fitted slopes (deterministic, within a stated band),
the slope fit on synthetic times, and what the timed code computes.
"""

from __future__ import annotations

import numpy as np
import pytest

from bplib.activations import ACTIVATIONS
from bplib.plots import diagonal as Dg
from bplib.plots import style


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


@pytest.mark.parametrize("p", [1, 2, 3, 7, 16, 100])
def test_counted_operations_are_p_squared_against_p(p):
    """Counted by running np.diag(a) @ b and a * b on counting numbers: p^2 multiplications
    (p^2 - p of them by a zero of diag(a)) and p(p - 1) additions, against p multiplications."""
    d, h = Dg.count_operations("diag", p), Dg.count_operations("hadamard", p)
    assert (d.multiplications, d.by_zero, d.additions) == (p * p, p * p - p, p * (p - 1))
    assert (h.multiplications, h.by_zero, h.additions) == (p, 0, 0)
    assert d.total == Dg.operations("diag", np.array([p]))[0]
    assert h.total == Dg.operations("hadamard", np.array([p]))[0]


def test_counting_numbers_compute_the_same_product(rng):
    """The counting run computes the real product (the count is of the real computation)."""
    tally = Dg._Tally()
    a, b = rng.normal(size=5), rng.normal(size=5)
    wrap = np.vectorize(lambda v: Dg._Counting(float(v), tally), otypes=[object])
    got = Dg.diag_times(wrap(a), wrap(b))
    np.testing.assert_allclose([v.v for v in got], a * b, rtol=1e-15, atol=0)


#: The band the figure's claim is tested in: over the counted sizes p = 4..256 the fitted
#: log-log slope of the operation counts is 2 +- 0.05 for diag(a) b (the lower-order -p of
#: 2p^2 - p lifts it to 2.03) and 1 +- 0.05 for a ⊙ b.
SLOPE_BAND = 0.05


def test_fitted_slopes_of_the_counted_operations_are_2_and_1():
    p = Dg.COUNT_SIZES
    assert p[0] == 4 and p[-1] == 256
    diag, had = Dg.loglog_slope(p, Dg.counted("diag")), Dg.loglog_slope(p, Dg.counted("hadamard"))
    assert abs(diag - 2) < SLOPE_BAND, diag
    assert abs(had - 1) < SLOPE_BAND, had
    # over the largest sizes the lower-order term fades: the slope tends to exactly 2
    assert abs(Dg.loglog_slope(p[-3:], Dg.counted("diag", p[-3:])) - 2) < 0.01


def test_cost_figure_draws_the_counts_and_states_their_slopes():
    example = Dg._example_timings()[0]
    fig = Dg.cost_figure(**example)
    left, right = fig.axes
    assert left.get_xscale() == left.get_yscale() == "log"
    diag, had = left.lines
    np.testing.assert_array_equal(diag.get_ydata(), Dg.counted("diag"))
    np.testing.assert_array_equal(had.get_ydata(), Dg.counted("hadamard"))
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    slope = Dg.loglog_slope(Dg.COUNT_SIZES, Dg.counted("diag"))
    assert labels[0] == f"diag(a) b: slope {slope:.2f}" and labels[1] == "a ⊙ b: slope 1.00"
    assert left.get_xlabel() and left.get_ylabel() and right.get_xlabel() and right.get_ylabel()


def test_the_slope_of_times_is_fitted_where_the_work_exceeds_the_fixed_cost():
    """Synthetic times t = t_0 + c * operations (deterministic, no clock): fitting over the
    asymptotic range recovers the counted order; a fit over every size would not."""
    p = Dg.widths(2048)
    t0, c = 3e-6, 3e-10
    t = t0 + c * Dg.operations("diag", p)
    fit = Dg.fit_times("diag", p, t)
    assert fit.t0 == t[0] and fit.clear
    assert np.all(t[fit.fit] >= Dg.OVERHEAD_FACTOR * t[0])
    assert np.all(t[: fit.fit.start] < Dg.OVERHEAD_FACTOR * t[0])
    assert abs(fit.slope - 2) < 0.1
    assert fit.per_operation == pytest.approx(c, rel=0.01)
    assert Dg.loglog_slope(p, t) < 1.6  # the overhead flattens a fit over all sizes
    # too small sizes: the last two are used, and the fit says the overhead still matters
    short = Dg.fit_times("hadamard", p[:4], 1e-6 + 1e-10 * p[:4])
    assert short.fit == slice(2, 4) and not short.clear


def test_cost_figure_description_reports_the_fitted_slopes_and_fixed_costs():
    p, q = Dg.widths(1024), Dg.widths(1 << 18, limit=1 << 18)
    fig = Dg.cost_figure(p, 2e-6 + 4e-10 * Dg.operations("diag", p), q, 5e-7 + 3e-10 * q, 7)
    text = style.description(fig)
    for name, x, t in (("diag", p, 2e-6 + 4e-10 * Dg.operations("diag", p)),
                       ("hadamard", q, 5e-7 + 3e-10 * q)):
        fit = Dg.fit_times(name, x, t)
        assert (f"{Dg.NAMES[name]} has a fixed cost of {style.fmt_number(fit.t0 * 1e6, 2)} µs "
                f"per call; over p = {int(x[fit.fit][0]):,}..{int(x[-1]):,}, where the time is "
                f"at least 10 times that, its fitted slope is {fit.slope:.2f}") in text
    assert "best of 7" in text
    right = fig.axes[1]
    np.testing.assert_array_equal(right.lines[0].get_xdata(), p)


@pytest.mark.parametrize("name", ["diag", "hadamard"])
def test_the_timed_code_computes_the_product(name, rng):
    a, b = rng.normal(size=33), rng.normal(size=33)
    run, out = Dg._timed_callable(name, a, b)
    run()
    run()  # the preallocated diag(a) is rebuilt each call
    np.testing.assert_allclose(out, a * b, rtol=1e-15, atol=0)


def test_widths_are_powers_of_two_and_bounded():
    np.testing.assert_array_equal(Dg.widths(128), [16, 32, 64, 128])
    with pytest.raises(ValueError, match="max_p: expected 16 <= max_p <= 4096, got 8192"):
        Dg.widths(8192)


def test_time_products_returns_positive_times_per_p():
    """Shapes and sanity only: measured times are shown in the notebook, never asserted."""
    ps = Dg.widths(64)
    t = Dg.time_products("hadamard", ps, repeat=1, min_batch=1e-4)
    assert t.shape == ps.shape and (t > 0).all() and np.isfinite(t).all()
    with pytest.raises(ValueError, match="name: expected one of"):
        Dg.time_products("kron", ps)
    with pytest.raises(ValueError, match="repeat: expected a positive integer, got 0"):
        Dg.time_products("diag", ps, repeat=0)
    with pytest.raises(ValueError, match="p: expected a whole number 1 <= p <= 1024"):
        Dg.count_operations("diag", 4096)


def test_D_figure_shows_the_diagonal():
    fig = Dg.D_figure("logistic", p=5)
    D = fig.axes[0].images[0].get_array()
    assert D.shape == (5, 5)
    assert np.count_nonzero(D - np.diag(np.diag(D))) == 0
    assert (np.diag(D) > 0).all() and (np.diag(D) <= 0.25).all()  # logistic' in (0, 1/4]
    with pytest.raises(ValueError, match="activation: unknown activation 'sigmoid'"):
        Dg.D_figure("sigmoid")
