"""bplib.plots.proof: finite-difference Jacobians in the lecture's layout and the proof steps.

All in float64. Tolerances: central differences with h = 1e-6 are accurate to ~1e-10 on
these O(1) quantities; the checks use max |error| < 1e-7 (the notebook's tolerance), and
the failure tests show a wrong formula gives errors of order 1e-2 or more.
"""

from __future__ import annotations

import numpy as np
import pytest

from bplib import Network, algorithm1
from bplib.plots import proof as P
from bplib.plots import style

TOL = 1e-7


@pytest.fixture
def smooth_net():
    """Three layers, smooth activations (no ReLU kink), softmax + cross-entropy."""
    return Network.init((3, 5, 4, 3), hidden=["tanh", "logistic"], output="softmax", seed=3)


def test_fd_jacobian_uses_the_lecture_layout(rng):
    """For v = A u the lecture's dv/du has (i, j) entry dv_j/du_i, i.e. it is A^T."""
    A = rng.normal(size=(2, 4))
    J = P.fd_jacobian(lambda u: A @ u, rng.normal(size=4))
    assert J.shape == (4, 2)
    np.testing.assert_allclose(J, A.T, rtol=0, atol=1e-9)


def test_fd_jacobian_of_a_scalar_has_the_shape_of_its_argument(rng):
    M = rng.normal(size=(3, 2))
    G = P.fd_jacobian(lambda U: float(np.sum(U**3)), M)
    assert G.shape == (3, 2)
    np.testing.assert_allclose(G, 3 * M**2, rtol=0, atol=1e-8)


def test_fd_jacobian_refuses_float32():
    with pytest.raises(TypeError, match="u: finite differences need float64, got float32"):
        P.fd_jacobian(lambda u: u, np.zeros(2, dtype=np.float32))


def test_every_proof_step_matches_finite_differences(smooth_net, rng):
    x = rng.normal(size=3)
    checks = P.proof_checks(smooth_net, x, 1)
    names = [(c.l, c.quantity) for c in checks]
    # every layer has delta, dW, db; dz_l/dz_{l-1} exists for l = 2, 3 only
    assert len(names) == 3 * 3 + 2
    assert (1, "dz_l/dz_{l-1}") not in names and (3, "dz_l/dz_{l-1}") in names
    for c in checks:
        assert c.analytic.shape == c.numeric.shape
        assert c.max_abs_error < TOL, (c.l, c.quantity, c.max_abs_error)
        assert np.abs(c.numeric).max() > 1e-4  # not vacuous: the derivatives are not ~0


def test_dz_dz_has_shape_p_prev_by_p_l(smooth_net, rng):
    checks = P.proof_checks(smooth_net, rng.normal(size=3), 0)
    assert P.find_check(checks, 2, "dz_l/dz_{l-1}").analytic.shape == (5, 4)
    assert P.find_check(checks, 3, "dz_l/dz_{l-1}").analytic.shape == (4, 3)
    assert P.find_check(checks, 1, "dz_l/dz_{l-1}") is None


def test_proof_recursion_agrees_with_the_engine(smooth_net, rng):
    """The proof's D_{l-1} W_l^T delta_l and the engine's Algorithm 1 give the same gradient."""
    x = rng.normal(size=3)
    checks = P.proof_checks(smooth_net, x, 2)
    g = algorithm1(smooth_net, x, 2)
    for l in (1, 2, 3):
        np.testing.assert_allclose(P.find_check(checks, l, "dC/dW_l").analytic, g.W[l],
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(P.find_check(checks, l, "dC/db_l").analytic, g.b[l],
                                   rtol=1e-12, atol=1e-15)


def test_a_wrong_formula_is_caught(smooth_net, rng):
    """Dropping D_{l-1} (as if S' = 1) gives an error far above the tolerance."""
    x = rng.normal(size=3)
    z, _ = smooth_net.feed_forward(x)
    wrong = smooth_net.W[3].T  # should be D_2 W_3^T
    numeric = P.fd_jacobian(P.z_map(smooth_net, 3), z[2])
    assert np.abs(wrong - numeric).max() > 1e-2


def test_loss_from_z_gives_the_loss_at_the_forward_pass(smooth_net, rng):
    x = rng.normal(size=3)
    z, _ = smooth_net.feed_forward(x)
    C = smooth_net.loss_value(x[None, :], np.array([1]))
    for l in (1, 2, 3):
        assert P.loss_from_z(smooth_net, l, 1)(z[l]) == pytest.approx(C, rel=1e-14)
    with pytest.raises(ValueError, match="l: expected a layer 1..3, got 4"):
        P.loss_from_z(smooth_net, 4, 1)
    with pytest.raises(ValueError, match="which: expected 'W' or 'b', got 'S'"):
        P.loss_from_params(smooth_net, x, 1, 1, "S")


def test_layer_verdicts_report_each_step(smooth_net, rng):
    checks = P.proof_checks(smooth_net, rng.normal(size=3), 0)
    lines = P.layer_verdicts(checks)
    assert lines[0] == ("layer 3 (max |error| < 1e-07): dz_3/dz_2 True, delta_3 True, "
                        "dC/dW_3 True, dC/db_3 True")
    assert lines[2].startswith("layer 1") and "dz_1" not in lines[2]
    checks[0].numeric = checks[0].numeric + 1e-3  # a corrupted comparison shows as False
    assert "False" in P.layer_verdicts(checks)[0]


def test_proof_requires_float64(smooth_net):
    with pytest.raises(TypeError, match="net: the proof checks need a float64"):
        P.proof_checks(smooth_net.astype(np.float32), np.zeros(3, dtype=np.float32), 0)


def test_proof_figure_shows_both_matrices_and_the_error(smooth_net, rng):
    checks = P.proof_checks(smooth_net, rng.normal(size=3), 0)
    fig = P.proof_figure(checks, 2, "dC/dW_l")
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(images) == 3
    c = P.find_check(checks, 2, "dC/dW_l")
    np.testing.assert_array_equal(images[0], c.analytic)
    np.testing.assert_array_equal(images[1], c.numeric)
    np.testing.assert_array_equal(images[2], np.abs(c.analytic - c.numeric))
    assert f"agree to {c.max_abs_error:.1e}" in fig._suptitle.get_text()
    vec = P.proof_figure(checks, 1, "delta_l")
    assert vec.axes[0].images[0].get_array().shape == (5, 1)  # vectors drawn as columns
    none = P.proof_figure(checks, 1, "dz_l/dz_{l-1}")
    assert "no z_0" in none.axes[0].texts[0].get_text()
    with pytest.raises(ValueError, match="quantity: expected one of"):
        P.proof_figure(checks, 1, "dC/dz")
    checks[0].numeric = checks[0].numeric + 1e-3  # a wrong formula is called out, not hidden
    bad = P.proof_figure(checks, checks[0].l, checks[0].quantity)
    assert "max |error| = 1.0e-03" in bad._suptitle.get_text()
    assert "DISAGREE" in style.description(bad)


def test_proof_figure_axes_use_one_based_indices_named_by_what_they_index(smooth_net, rng):
    checks = P.proof_checks(smooth_net, rng.normal(size=3), 0)
    fig = P.proof_figure(checks, 3, "dz_l/dz_{l-1}")  # (i, j) = dz_{3,j}/dz_{2,i}, shape (4, 3)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "$i$: entry of $z_{2}$ (1..4)"
    assert ax.get_xlabel() == "$j$: entry of $z_{3}$ (1..3)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3", "4"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    W = P.proof_figure(checks, 2, "dC/dW_l").axes[0]  # the shape of W_2: (p_2, p_1) = (4, 5)
    assert W.get_ylabel() == "$i$: unit of layer 2 (1..4)"
    assert W.get_xlabel() == "$j$: unit of layer 1 (1..5)"


def test_delta_L_is_g_minus_e_of_unit_y_plus_1(smooth_net, rng):
    """Label y belongs to output unit y + 1: delta_L = g - e_{y+1} (code: g - eye[y])."""
    x = rng.normal(size=3)
    for y in range(3):
        checks = P.proof_checks(smooth_net, x, y)
        delta_L = P.find_check(checks, 3, "delta_l")
        g = smooth_net.predict(x)
        np.testing.assert_allclose(delta_L.analytic, g - np.eye(3)[y], rtol=0, atol=1e-15)
        assert delta_L.analytic[y] < 0 and np.all(np.delete(delta_L.analytic, y) > 0)
        assert delta_L.formula == r"closed form $g - e_{y+1}$"
    fig = P.proof_figure(checks, 3, "delta_l")
    assert fig.axes[0].get_title() == r"formula: closed form $g - e_{y+1}$"
    cells = [float(t.get_text()) for t in fig.axes[0].texts]  # the entries, written out
    np.testing.assert_allclose(cells, delta_L.analytic, rtol=5e-3)
    assert ", ".join(f"{v:.3g}" for v in delta_L.analytic) in style.description(fig)
