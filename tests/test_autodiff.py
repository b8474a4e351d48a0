"""The scalar autodiff (bplib.autodiff): each operation against central differences, the
reverse topological order, graph sizes by formula, and whole-network gradients equal to
Algorithm 1 for every activation and output/loss pair (reverse and forward mode).

Tolerances (float64): an operation's derivative against central differences with h = 1e-6
to 1e-7 relative (truncation h^2 plus rounding eps/h); autodiff against Algorithm 1 to 1e-12
relative, block by block (the two sum the same products in different orders, so they differ
by rounding only: measured ~1e-16).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib
from bplib import Network, algorithm1, dim_theta
from bplib.activations import ACTIVATIONS
from bplib.autodiff import (
    Dual,
    Value,
    autodiff_gradient,
    forward_gradient,
    graph_size,
    network_graph,
    topological_order,
)
from bplib.gradcheck import relative_error
from bplib.losses import OUTPUT_LOSSES

H = 1e-6

# (name, f on Values, f on floats, domain of the argument)
UNARY = [
    ("exp", lambda v: v.exp(), math.exp, (-3, 3)),
    ("log", lambda v: v.log(), math.log, (0.2, 4)),
    ("logistic", lambda v: v.logistic(), lambda t: 1 / (1 + math.exp(-t)), (-4, 4)),
    ("tanh", lambda v: v.tanh(), math.tanh, (-3, 3)),
    ("relu", lambda v: v.relu(), lambda t: max(t, 0.0), (-3, 3)),
    ("neg", lambda v: -v, lambda t: -t, (-3, 3)),
    ("square", lambda v: v**2, lambda t: t**2, (-3, 3)),
    ("cube", lambda v: v**3, lambda t: t**3, (-3, 3)),
    ("sqrt", lambda v: v**0.5, math.sqrt, (0.2, 4)),
    ("inverse", lambda v: v**-1, lambda t: 1 / t, (0.2, 4)),
    ("const_minus", lambda v: 2.5 - v, lambda t: 2.5 - t, (-3, 3)),
    ("const_over", lambda v: 2.5 / v, lambda t: 2.5 / t, (0.2, 4)),
    ("times_const", lambda v: 3.0 * v, lambda t: 3.0 * t, (-3, 3)),
    ("plus_const", lambda v: 1.5 + v, lambda t: 1.5 + t, (-3, 3)),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
]


def central(f, t):
    return (f(t + H) - f(t - H)) / (2 * H)


@pytest.mark.parametrize("name,f,ref,domain", UNARY, ids=[u[0] for u in UNARY])
@settings(max_examples=20, deadline=None)
@given(u=st.floats(0.0, 1.0))
def test_unary_operation_value_and_derivative(name, f, ref, domain, u):
    t = domain[0] + u * (domain[1] - domain[0])
    if name == "relu" and abs(t) < 10 * H:
        t = 0.5  # the kink has no derivative to compare with
    x = Value(t)
    out = f(x)
    assert out.data == pytest.approx(ref(t), rel=1e-14, abs=1e-300)
    out.backward()
    assert x.grad == pytest.approx(central(ref, t), rel=1e-7, abs=1e-9)
    d = f(Dual(t, 1.0))  # forward mode: the same local derivative
    assert d.data == out.data and d.dot == pytest.approx(x.grad, rel=1e-15)


@pytest.mark.parametrize("name,f", BINARY, ids=[b[0] for b in BINARY])
@settings(max_examples=20, deadline=None)
@given(s=st.floats(-3, 3), t=st.floats(0.3, 3))
def test_binary_operation_partial_derivatives(name, f, s, t):
    a, b = Value(s), Value(t)
    out = f(a, b)
    assert out.data == pytest.approx(f(s, t), rel=1e-15)
    out.backward()
    assert a.grad == pytest.approx(central(lambda u: f(u, t), s), rel=1e-7, abs=1e-9)
    assert b.grad == pytest.approx(central(lambda u: f(s, u), t), rel=1e-7, abs=1e-9)
    assert f(Dual(s, 1.0), Dual(t, 0.0)).dot == pytest.approx(a.grad, rel=1e-15)
    assert f(Dual(s, 0.0), Dual(t, 1.0)).dot == pytest.approx(b.grad, rel=1e-15)


def test_worked_expression_and_the_sum_over_paths():
    """f = a b + a^2 with a = 2, b = 3: f = 10, df/da = b + 2a = 7 (two paths), df/db = a = 2."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    f = a * b + a**2
    f.backward()
    assert (f.data, a.grad, b.grad) == (10.0, 7.0, 2.0)
    f.backward()  # a second sweep starts from zero instead of accumulating
    assert (a.grad, b.grad) == (7.0, 2.0)


def test_topological_order_visits_each_node_once_after_its_children():
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    c = a * b  # used three times below: a diamond-shaped graph
    d = c + a
    e = (c * d).tanh() + c.exp() - d
    order = topological_order(e)
    # a, b, c, d, c d, tanh(c d), exp(c), tanh + exp, (tanh + exp) - d
    assert len(order) == len({id(v) for v in order}) == 9
    position = {id(v): k for k, v in enumerate(order)}
    for v in order:
        for child, _ in v.children:
            assert position[id(child)] < position[id(v)]
    assert order[-1] is e and {id(a), id(b)} <= set(position)


def test_deep_chains_do_not_hit_the_recursion_limit():
    x = Value(0.1)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-12)


def test_bad_operands_give_clear_errors():
    with pytest.raises(TypeError, match=r"expected a real number or a Value, got str '2'"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match=r"\*\*: the exponent must be a constant number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match=r"log: expected a positive argument, got -1.0"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match=r"\*\*: a\^k with a = -2.0, k = 0.5 is not a real"):
        Value(-2.0) ** 0.5
    with pytest.raises(OverflowError, match=r"exp: e\^1000.0 overflows float64"):
        Value(1000.0).exp()
    with pytest.raises(TypeError, match=r"expected a real number or a Value, got NoneType"):
        Value(None)


# --- networks -------------------------------------------------------------------------------
def random_problem(p, hidden, output, loss, seed):
    rng = np.random.default_rng(seed)
    net = Network.init(p, hidden=hidden, output=output, loss=loss, rng=rng)
    for l in range(1, net.L + 1):
        net.b[l][:] = rng.normal(0.0, 0.5, net.b[l].shape)
    x = rng.normal(size=p[0])
    y = rng.integers(0, net.n_classes) if net.pair.classification else rng.normal(size=p[-1])
    return net, x, y


def assert_same_gradient(got, want, tol=1e-12):
    for l in range(1, len(want.W)):
        for g, w in ((got.W[l], want.W[l]), (got.b[l], want.b[l])):
            assert g.shape == w.shape
            assert relative_error(g.ravel(), w.ravel()) <= tol
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max() + 1e-300)
    assert got.C == pytest.approx(want.C, rel=tol)


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
@pytest.mark.parametrize("pair", sorted(OUTPUT_LOSSES), ids="+".join)
@settings(max_examples=5, deadline=None)
@given(p=st.lists(st.integers(1, 4), min_size=2, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_reverse_and_forward_mode_equal_algorithm1(hidden, pair, p, seed):
    if pair[0] == "softmax" and p[-1] == 1:
        p = [*p[:-1], 2]
    net, x, y = random_problem(p, hidden, *pair, seed)
    want = algorithm1(net, x, y)
    assert_same_gradient(autodiff_gradient(net, x, y), want)
    assert_same_gradient(forward_gradient(net, x, y), want)


@pytest.mark.parametrize("pair", sorted(OUTPUT_LOSSES), ids="+".join)
def test_grad_of_z_is_delta_l(pair):
    """After C.backward(), z[l][i].grad is delta_l[i] of Algorithm 1 (the theorem's delta)."""
    net, x, y = random_problem([3, 4, 3, 3], "tanh", *pair, 7)
    graph = network_graph(net, x, y)
    graph.C.backward()
    last = list(bplib.algorithm1_steps(net, x, y))[-1]
    for l in range(1, net.L + 1):
        got = np.array([v.grad for v in graph.z[l]])
        np.testing.assert_allclose(got, last.delta[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([v.data for v in graph.a[l]], last.a[l], rtol=1e-13)


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
def test_graph_size_by_formula(hidden):
    """Identity output + squared error, p = (p_0, ..., p_L). Leaves: the p_0 inputs and the
    dim(theta) parameters. Operations: p_{l-1} products and p_{l-1} sums per unit z_l,i;
    one per hidden unit for S_l (none for the identity); per output (g_k - y_k) and ^2,
    then p_L - 1 sums. Edges: 2 per product and sum, 1 per unary operation."""
    p = [3, 5, 4, 2]
    net, x, y = random_problem(p, hidden, "identity", "squared_error", 0)
    size = graph_size(network_graph(net, x, y).C)
    L = len(p) - 1
    products = sum(p[l - 1] * p[l] for l in range(1, L + 1))
    units = sum(p[1:L]) if hidden != "identity" else 0
    ops = 2 * products + units + 2 * p[-1] + (p[-1] - 1)
    assert size.leaves == p[0] + dim_theta(p)
    assert size.operations == ops
    assert size.nodes == size.leaves + size.operations
    assert size.edges == 4 * products + units + 2 * p[-1] + 2 * (p[-1] - 1)


def test_graph_size_softmax_cross_entropy():
    """Softmax + cross-entropy in log-sum-exp form: (z_k - m) and exp per class, p_L - 1 sums,
    then log, + m and - z_y: 3 p_L + 2 operations after the last layer's z_L."""
    p = [2, 3, 4]
    net, x, y = random_problem(p, "relu", "softmax", "cross_entropy", 1)
    size = graph_size(network_graph(net, x, y).C)
    products = 2 * 3 + 3 * 4
    assert size.operations == 2 * products + 3 + (3 * 4 + 2)


def test_network_graph_rejects_bad_input():
    net, x, y = random_problem([3, 4, 2], "relu", "softmax", "cross_entropy", 0)
    with pytest.raises(ValueError, match=r"x: a scalar graph takes one example of shape \(3,\)"):
        network_graph(net, np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"x: expected 3 features per example"):
        network_graph(net, np.ones(4), 0)
    with pytest.raises(ValueError, match=r"y: expected labels in 0\.\.1"):
        network_graph(net, x, 2)
    with pytest.raises(TypeError, match=r"net: expected a bplib Network \(Network.init.*got list"):
        network_graph([net], x, y)
    big = Network.init([300, 200, 10])
    with pytest.raises(ValueError, match=r"net: a scalar graph is for small networks, "
                                         r"dim\(theta\) <= 50000; got dim\(theta\) = 62210"):
        autodiff_gradient(big, np.zeros(300), 0)
    x[1] = np.nan
    with pytest.raises(ValueError, match=r"x: expected finite values.*index 1"):
        forward_gradient(net, x, y)
