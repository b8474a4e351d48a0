"""bplib.plots.reverse_mode (notebook 12): the backward sweep replayed node by node is
Value.backward, the z nodes' grads are Algorithm 1's delta_l, the local rules add up to the
matrix form of the theorem, the chain rule is a sum over paths, and the cost claims of the
figure (forward mode ~ (dim theta)^2, reverse mode ~ dim theta) hold on counted work.

Tolerances (float64): the replayed sweep adds the same products in the same order as
Value.backward, so it is compared exactly; the graph against Algorithm 1 (NumPy sums in
another order) to 1e-12 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from bplib import Network, algorithm1, algorithm1_steps, dim_theta
from bplib import autodiff as AD
from bplib.activations import ACTIVATIONS
from bplib.plots import by_hand as H
from bplib.plots import reverse_mode as R
from bplib.plots import style

NETWORKS = [((2, 2, 2), "relu"), ((3, 4, 2), "tanh"), ((2, 3, 3, 2), "logistic"),
            ((1, 2, 3, 2, 1), "relu")]


def _net(p, hidden, seed=0):
    net = Network.init(p, hidden=hidden, output="identity", seed=seed)
    rng = np.random.default_rng(seed + 1)
    return net, rng.normal(size=p[0]), rng.normal(size=p[-1])


@pytest.mark.parametrize("p,hidden", NETWORKS)
def test_replayed_sweep_is_value_backward(p, hidden):
    net, x, y = _net(p, hidden)
    graph = AD.network_graph(net, x, y)
    sweep = R.backward_sweep(graph.C)
    graph.C.backward()
    order = AD.topological_order(graph.C)
    assert len(sweep) == AD.graph_size(graph.C).operations  # one step per operation node
    assert {id(v): v.grad for v in order} == sweep[-1].grads  # same sums, same order: exact
    assert R.finished(graph.C, len(sweep)) == {id(v) for v in order}
    assert R.finished(graph.C, 0) == {id(graph.C)}


def test_a_node_is_finished_only_when_all_its_users_have_passed_their_grad():
    graph = R.tiny_graph()
    sweep = R.backward_sweep(graph.C)
    up = R.parents(graph.C)
    for k in range(len(sweep) + 1):
        done = R.finished(graph.C, k)
        passed = {id(s.node) for s in sweep[:k]}
        for v in AD.topological_order(graph.C):
            if id(v) in done and v is not graph.C:
                assert all(id(p) in passed for p in up[id(v)])
        # a finished grad never changes afterwards
        for s in sweep[k:]:
            assert all(id(c) not in done for c, _, _ in s.passed)


@pytest.mark.parametrize("p,hidden", NETWORKS)
def test_grads_of_z_nodes_are_delta_and_local_rules_add_up_to_the_theorem(p, hidden):
    net, x, y = _net(p, hidden, seed=3)
    graph = AD.network_graph(net, x, y)
    graph.C.backward()
    *_, last = algorithm1_steps(net, x, y)
    g = algorithm1(net, x, y)
    L = net.L
    delta = [None] + [np.array([v.grad for v in graph.z[l]]) for l in range(1, L + 1)]
    z = [None] + [np.array([v.data for v in graph.z[l]]) for l in range(1, L + 1)]
    a = [np.array([v.data for v in layer]) for layer in graph.a]
    W = [None] + [np.array([[v.data for v in row] for row in graph.W[l]]) for l in range(1, L + 1)]
    for l in range(1, L + 1):
        np.testing.assert_allclose(delta[l], last.delta[l], rtol=1e-12, atol=1e-15)
        dW = np.array([[v.grad for v in row] for row in graph.W[l]])
        # dC/dW_l = delta_l a_{l-1}^T and dC/db_l = delta_l, read off the graph itself
        np.testing.assert_allclose(dW, np.outer(delta[l], a[l - 1]), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(dW, g.W[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([v.grad for v in graph.b[l]], delta[l], rtol=1e-12,
                                   atol=1e-15)
        if l > 1:  # delta_{l-1} = S'(z_{l-1}) ⊙ W_l^T delta_l
            dS = ACTIVATIONS[net.S[l - 1]].dS(z[l - 1])
            np.testing.assert_allclose(delta[l - 1], dS * (W[l].T @ delta[l]), rtol=1e-12,
                                       atol=1e-15)


def test_sum_over_paths_is_the_grad():
    graph = R.tiny_graph()
    graph.C.backward()
    names = R.node_names(graph)
    named = [v for v in AD.topological_order(graph.C) if id(v) in names]
    assert len(named) == 2 + 8 + 4 + 4 + 2 + 1  # x, W, b, z, a (relu), C
    for v in named:
        found = R.paths(graph.C, v)
        assert len(found) == R.count_paths(graph.C, v)
        assert sum(path.product for path in found) == pytest.approx(v.grad, abs=1e-15)
        for path in found:
            assert path.nodes[0] is graph.C and path.nodes[-1] is v
            assert path.product == np.prod(path.locals)
    # delta_{1,1}: one path through each output unit, W_{2,k1} delta_{2,k} ReLU'(z_{1,1})
    z11 = graph.z[1][0]
    products = sorted(path.product for path in R.paths(graph.C, z11))
    assert products == [1.0, 1.0]  # 1·1·1 and (−0.5)·(−2)·1: sum 2 = δ_{1,1}


def test_path_text_names_nodes_and_local_derivatives():
    graph = R.tiny_graph()
    names = R.node_names(graph)
    texts = sorted(R.path_text(path, names) for path in R.paths(graph.C, graph.z[1][0]))
    # through output 1: 2(g_1 - y_1) = 1 and W_{2,11} = 1; through output 2: -2 and -0.5
    assert texts == [
        "C ·1 (square) ·(−2) (difference) ·1 z_2,2 ·1 (sum) ·1 (product) ·(−0.5) a_1,1 ·1 z_1,1",
        "C ·1 (square) ·1 (difference) ·1 z_2,1 ·1 (sum) ·1 (product) ·1 a_1,1 ·1 z_1,1"]
    a = AD.Value(3.0)
    square = a * a  # one node with two edges to a: two paths, d(a a)/da = 3 + 3
    found = R.paths(square, a)
    assert [R.path_text(path, {id(a): "a"}) for path in found] == ["(product) ·3 a"] * 2
    square.backward()
    assert sum(path.product for path in found) == a.grad == 6.0


@pytest.mark.parametrize("p", [(2, 2, 2), (2, 3, 4, 2), (1, 3, 3, 3, 2)])
def test_paths_multiply_with_depth_while_edges_add(p):
    """Paths from C to z_{1,1}: one per choice of a unit in each later layer, prod p_l."""
    net, x, y = _net(p, "relu")
    graph = AD.network_graph(net, x, y)
    expected = int(np.prod(p[2:]))
    assert R.count_paths(graph.C, graph.z[1][0]) == expected
    if expected <= 50:
        assert len(R.paths(graph.C, graph.z[1][0])) == expected


def test_node_names_use_one_based_indices_of_the_slide():
    graph = R.tiny_graph()
    names = R.node_names(graph)
    assert names[id(graph.W[1][0][1])] == "W_{1,12}"
    assert names[id(graph.b[2][1])] == "b_{2,2}"
    assert names[id(graph.a[0][1])] == "x_2"
    assert names[id(graph.z[2][0])] == "z_{2,1}"  # identity output: g_1 is the z_{2,1} node
    assert names[id(graph.a[1][0])] == "a_{1,1}"
    assert names[id(graph.C)] == "C"


@pytest.mark.parametrize("p,hidden", NETWORKS)
def test_layout_puts_every_node_right_of_its_children_and_nowhere_twice(p, hidden):
    net, x, y = _net(p, hidden)
    root = AD.network_graph(net, x, y).C
    pos = R.layout(root)
    order = AD.topological_order(root)
    assert len(set(pos.values())) == len(order)
    for v in order:
        for c, _ in v.children:
            assert pos[id(c)][0] < pos[id(v)][0]
    assert pos[id(root)][0] == max(c for c, _ in pos.values())


# --- costs -----------------------------------------------------------------------------------


def test_tiny_network_costs_are_the_lessons_numbers():
    cost = R.mode_cost((2, 2, 2))
    assert (cost.dim_theta, cost.nodes, cost.operations, cost.edges) == (12, 37, 23, 40)
    assert (cost.reverse_multiply_adds, cost.forward_multiply_adds) == (40, 480)
    assert (cost.reverse_visits, cost.forward_visits) == (46, 276)


@pytest.mark.parametrize("p", [(2, 1, 2), (2, 2, 2), (2, 5, 2), (3, 4, 3, 2)])
def test_operation_counts_follow_the_graphs_structure(p):
    """Counted on the graph = counted by hand: line 3 is p_{l-1} products and p_{l-1} sums
    per unit, ReLU one node per hidden unit, the loss 2 p_L nodes and p_L - 1 sums."""
    cost = R.mode_cost(p)
    L = len(p) - 1
    hidden = sum(p[1:L])
    ops = sum(2 * p[l] * p[l - 1] for l in range(1, L + 1)) + hidden + 3 * p[L] - 1
    edges = sum(4 * p[l] * p[l - 1] for l in range(1, L + 1)) + hidden + 2 * p[L] \
        + 2 * (p[L] - 1)
    assert (cost.operations, cost.edges, cost.dim_theta) == (ops, edges, dim_theta(p))


def test_forward_mode_really_evaluates_every_operation_once_per_parameter(monkeypatch):
    """Count the Dual operations forward_gradient performs: dim(theta) passes (plus the one
    it makes to read C) of every operation of the graph."""
    calls = {"n": 0}
    original = AD.Dual._op

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AD.Dual, "_op", counting)
    for p in [(2, 2, 2), (2, 4, 2)]:
        calls["n"] = 0
        net, x, y = _net(p, "relu")
        AD.forward_gradient(net, x, y)
        cost = R.mode_cost(p)
        assert calls["n"] == (cost.dim_theta + 1) * cost.operations


def test_reverse_sweep_visits_each_edge_once():
    graph = R.tiny_graph()
    sweep = R.backward_sweep(graph.C)
    assert sum(len(s.passed) for s in sweep) == R.mode_cost((2, 2, 2)).reverse_multiply_adds


def test_cost_figure_claims_quadratic_against_linear_growth():
    """The figure's title: forward mode ~ (dim theta)^2, reverse ~ dim theta (fitted slopes
    of the log-log lines over the drawn widths within 0.1 of 2 and 1)."""
    costs = R.mode_costs(R.WIDTHS)
    d = np.log([c.dim_theta for c in costs])
    fwd = np.polyfit(d, np.log([c.forward_multiply_adds for c in costs]), 1)[0]
    rev = np.polyfit(d, np.log([c.reverse_multiply_adds for c in costs]), 1)[0]
    assert 1.9 <= fwd <= 2.1 and 0.9 <= rev <= 1.1
    assert all(c.forward_multiply_adds == c.dim_theta * c.reverse_multiply_adds for c in costs)


def test_figures_describe_their_numbers():
    net, x, y = H.tiny_network()
    text = style.description(R.sweep_figure(net, x, y, 23))
    assert "37 nodes (23 operations)" in text and "z_1,1 = 2; z_1,2 = 0" in text
    text = style.description(R.cost_figure(2))
    assert "dim θ = 12" in text and "40 multiply-adds, forward mode 480" in text
    with pytest.raises(ValueError, match="k: expected a backward step 0..23, got 24"):
        R.sweep_figure(net, x, y, 24)
    with pytest.raises(ValueError, match="p1: expected a hidden width"):
        R.cost_figure(0)
