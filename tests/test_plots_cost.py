"""bplib.plots.cost (notebook 13): the three gradients agree, the operation counts are right
(worked by hand, and counted on the products that run), their fitted slopes are those the
notebook claims, and the memory counts equal the floats in the engine's arrays."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from bplib.activations import ACTIVATIONS
from bplib.autodiff import forward_gradient
from bplib.batched import algorithm2_batched
from bplib.network import dim_theta, unpack
from bplib.plots import cost as C
from bplib.plots import style

SHAPES = [((2, 3, 2), 1), ((4, 8, 8, 3), 16), ((5, 7, 6, 4, 3), 10), ((3, 1, 2), 5)]


def test_counts_of_the_worked_example():
    """Notebook 13, section 2: p = (2, 3, 2), n = 1, worked by hand."""
    p = (2, 3, 2)
    assert dim_theta(p) == 17 and C.n_weights(p) == 12
    assert C.macs(C.FORWARD, p) == 6 + 6
    assert C.macs("back-propagation", p) == 12 + 6 + 12  # forward, line 10, line 9
    assert C.macs("forward mode", p) == 17 * 30
    assert C.macs("finite differences", p) == 2 * 17 * 12
    with pytest.raises(ValueError, match="method: expected one of"):
        C.macs("reverse", p)


def _counted_backprop(net, X, Y, counter):
    """Algorithm 2 in batched form with every matrix product counted (an independent
    implementation: the test checks its gradient against the engine's)."""
    n, L = X.shape[0], net.L
    A, Z = [X], [None]
    for l in range(1, L + 1):
        Z.append(counter.mm(A[l - 1], net.W[l].T) + net.b[l])
        A.append(ACTIVATIONS[net.S[l]].S(Z[l]) if l < L else None)
    D = net.pair.delta_L(Z[L], Y) / n
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l], db[l] = counter.mm(D.T, A[l - 1]), D.sum(axis=0)
        if l > 1:
            D = counter.mm(D, net.W[l]) * ACTIVATIONS[net.S[l - 1]].dS(Z[l - 1])
    return dW, db


@pytest.mark.parametrize(("p", "n"), SHAPES)
def test_back_propagation_count_is_the_products_it_runs(p, n):
    net, X, Y = C.problem(p, n)
    counter = C.MacCounter()
    dW, db = _counted_backprop(net, X, Y, counter)
    engine = algorithm2_batched(net, X, Y)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(dW[l], engine.W[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db[l], engine.b[l], rtol=1e-12, atol=1e-15)
    assert counter.count == C.macs("back-propagation", p, n)
    counter = C.MacCounter()
    counter.mm(X, net.W[1].T)
    assert counter.count == n * p[0] * p[1]


@pytest.mark.parametrize(("p", "n"), SHAPES)
def test_forward_mode_count_is_the_products_it_runs(p, n):
    net, X, Y = C.problem(p, n)
    counter = C.MacCounter()
    C.forward_mode_gradient(net, X, Y, counter)
    assert counter.count == C.macs("forward mode", p, n)


@pytest.mark.parametrize(("p", "n"), SHAPES)
def test_finite_differences_make_two_passes_per_parameter(p, n):
    net, X, Y = C.problem(p, n)
    g, passes = C.finite_difference_gradient(net, X, Y)
    assert passes == 2 * dim_theta(p)
    assert C.macs("finite differences", p, n) == passes * C.macs(C.FORWARD, p, n)


@pytest.mark.parametrize(("p", "n"), SHAPES)
def test_the_three_gradients_agree(p, n):
    """float64; forward mode equals back-propagation to rounding (1e-13 relative), central
    differences with h = 1e-6 to 1e-7 relative (truncation ~h^2, rounding ~eps/h)."""
    net, X, Y = C.problem(p, n)
    g = C.backprop_gradient(net, X, Y)
    scale = np.max(np.abs(g))
    assert np.max(np.abs(C.forward_mode_gradient(net, X, Y) - g)) / scale < 1e-13
    assert np.max(np.abs(C.finite_difference_gradient(net, X, Y)[0] - g)) / scale < 1e-7


def test_numpy_forward_mode_equals_the_engines_dual_numbers():
    net, X, Y = C.problem((2, 3, 2), n=1)
    dual = forward_gradient(net, X[0], Y[0]).theta()
    np.testing.assert_allclose(C.forward_mode_gradient(net, X, Y), dual, rtol=1e-12,
                               atol=1e-15)


def test_jvp_is_the_directional_derivative():
    """For any direction, ldot = grad l . theta-dot (not only for unit vectors)."""
    net, X, Y = C.problem((4, 5, 3), n=7, seed=2)
    rng = np.random.default_rng(1)
    direction = rng.normal(size=dim_theta(net.p))
    W_dot, b_dot = unpack(direction, net.p)
    loss, ldot = C.jvp(net, X, Y, W_dot, b_dot)
    assert loss == pytest.approx(net.loss_value(X, Y), rel=1e-14)
    assert ldot == pytest.approx(C.backprop_gradient(net, X, Y) @ direction, rel=1e-12)


def test_fitted_slopes_of_the_counts():
    """The claims of section 3 on the notebook's sizes: in multiply-adds, back-propagation
    ~ dim(theta)^1 and the other two ~ dim(theta)^2; in forward passes, 0 and 1."""
    ps = [C.widths(h) for h in C.HIDDEN]
    dims = [dim_theta(p) for p in ps]
    count = {name: [C.macs(name, p, C.N) for p in ps] for name in (C.FORWARD, *C.METHODS)}
    slope = {name: C.fitted_slope(dims, count[name]) for name in count}
    assert 0.95 <= slope["back-propagation"] <= 1.1
    assert 1.95 <= slope["forward mode"] <= 2.1
    assert 1.95 <= slope["finite differences"] <= 2.1
    passes = {name: np.array(count[name]) / np.array(count[C.FORWARD]) for name in C.METHODS}
    assert abs(C.fitted_slope(dims, passes["back-propagation"])) < 0.1
    assert 0.95 <= C.fitted_slope(dims, passes["forward mode"]) <= 1.1
    assert 0.95 <= C.fitted_slope(dims, passes["finite differences"]) <= 1.1
    # "about 3 forward passes" (2.9 at the largest size), tending to 3 for wide layers
    assert passes["back-propagation"][-1] == pytest.approx(2.9, abs=0.05)
    wide = C.widths(4096)
    assert 2.99 < C.macs("back-propagation", wide) / C.macs(C.FORWARD, wide) < 3
    # "about a thousand times as much as back-propagation" at dim(theta) = 1,315
    assert dims[-1] == 1315
    assert 800 < count["finite differences"][-1] / count["back-propagation"][-1] < 1200


def test_fitted_slope_recovers_a_power_law():
    x = np.array([10.0, 30, 100, 300, 1000])
    assert C.fitted_slope(x, 5 * x**1.5) == pytest.approx(1.5)
    assert C.fitted_slope(x, np.where(x < 50, 1.0, x**2), top=3) == pytest.approx(2.0)


@pytest.mark.parametrize(("p", "n"), SHAPES)
def test_memory_of_back_propagation_is_the_floats_the_engine_keeps(p, n):
    net, X, _ = C.problem(p, n)
    assert C.stored_floats(net, X) == C.memory_floats("back-propagation", p, n)
    assert C.memory_floats("parameters", p, n) == dim_theta(p)
    assert C.memory_floats("forward mode", p, n) == 2 * C.memory_floats("finite differences", p, n)


def test_memory_claims_of_section_4():
    depths = range(1, 11)
    bp = [C.memory_floats("back-propagation", C.widths(64, L), 100) for L in depths]
    fd = [C.memory_floats("finite differences", C.widths(64, L), 100) for L in depths]
    assert set(np.diff(bp)) == {2 * 100 * 64}  # grows by 2 n p_l per layer
    assert len(set(fd[1:])) == 1  # one layer at a time: constant from 2 hidden layers on
    p10 = C.widths(64, 10)
    # n x 10: back-propagation x 10, theta unchanged; "about 34 times" the parameters
    assert C.memory_floats("back-propagation", p10, 1000) == 10 * bp[-1]
    ratio = C.memory_floats("back-propagation", p10, 1000) / C.memory_floats("parameters", p10)
    assert ratio == pytest.approx(34, abs=0.5)
    assert C.memory_floats("back-propagation", p10, 1) < C.memory_floats("parameters", p10) / 10
    with pytest.raises(ValueError, match="method: expected one of"):
        C.memory_floats("everything", p10)


def test_seconds_per_call_takes_the_fastest_round():
    calls = []
    assert C.seconds_per_call(lambda: calls.append(1), min_time=1e-4, repeat=2) > 0
    assert len(calls) >= 3  # the first call, then two rounds


def test_the_module_runs_in_a_browser_kernel():
    """Pyodide (JupyterLite): no threads, processes or subprocesses, and perf_counter as
    the only clock."""
    tree = ast.parse(inspect.getsource(C))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in (node.names if isinstance(node, ast.Import)
                              else [ast.alias(node.module or "")])}
    assert not imported & {"threading", "multiprocessing", "subprocess", "concurrent",
                           "tracemalloc", "resource"}
    clocks = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id == "time"}
    assert clocks == {"perf_counter"}


def test_measure_counts_times_and_checks_a_small_case():
    m = C.measure((2, 4), n=8, min_time=1e-4)
    assert m.dims.tolist() == [dim_theta(C.widths(2)), dim_theta(C.widths(4))]
    for name in (C.FORWARD, *C.METHODS):
        assert (m.seconds[name] > 0).all()
        assert m.macs[name].tolist() == [C.macs(name, C.widths(h), 8) for h in (2, 4)]
    assert (m.disagreement["forward mode"] < 1e-13).all()
    assert (m.disagreement["finite differences"] < 1e-7).all()
    text = style.description(C.cost_figure(m))
    assert f"back-propagation {C.fitted_slope(m.dims, m.macs['back-propagation']):.2f}" in text


def test_every_widget_control_changes_the_memory_figure():
    texts = {style.description(C.memory_figure(**kw)) for kw in (
        {"hidden": 64, "n": 100}, {"hidden": 16, "n": 100}, {"hidden": 64, "n": 1000})}
    assert len(texts) == 3
    fig = C.memory_figure(64, 100)
    assert "128,600 with 10" in style.description(fig)
    assert style.audit(fig) == []


def test_widths_refuses_nonsense():
    with pytest.raises(ValueError, match="hidden, depth: expected positive integers"):
        C.widths(0)
