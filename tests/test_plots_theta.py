"""bplib.plots.theta: parsing typed layer sizes, the dim(theta) sum, theta's layout, C_i."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from bplib.backprop import algorithm1_steps
from bplib.gradcheck import central_difference
from bplib.network import Network, dim_theta, pack, unpack
from bplib.plots import style
from bplib.plots import theta as T


@pytest.mark.parametrize("text, expected", [
    ("2, 3, 1", (2, 3, 1)),
    ("2 3 1", (2, 3, 1)),
    (" 784,100 , 10 ", (784, 100, 10)),
    ("4;4", (4, 4)),
    ("[2, 3, 1]", (2, 3, 1)),
    ("(2, 3, 1)", (2, 3, 1)),
])
def test_parse_widths_accepts_commas_and_spaces(text, expected):
    assert T.parse_widths(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("", "at least two widths"),
    ("5", "at least two widths"),
    ("2, x, 1", "p_1 must be a positive whole number, got 'x'"),
    ("2, 0, 1", "p_1 must be at least 1, got 0"),
    ("2, -3", "p_1 must be a positive whole number"),
    ("2, 1.5", "p_1 must be a positive whole number"),
    ("2, 1000000", "p_1 must be at most"),
])
def test_parse_widths_names_the_problem(text, fragment):
    with pytest.raises(ValueError, match="layer sizes") as info:
        T.parse_widths(text)
    assert fragment in str(info.value)


def test_layer_counts_sum_to_dim_theta():
    p = (5, 7, 3, 2)
    counts = T.layer_counts(p)
    assert [(c.weights, c.biases) for c in counts] == [(35, 7), (21, 3), (6, 2)]
    assert sum(c.total for c in counts) == dim_theta(p) == 74


def test_formula_text_matches_the_count():
    text = T.dim_theta_formula((2, 3, 1))
    assert text == "(2·3 + 3) + (3·1 + 1) = 13"


def test_dim_theta_figure_shows_formula_and_split():
    fig = T.dim_theta_figure("2, 3, 1")
    assert isinstance(fig, Figure)
    left, right = fig.axes
    texts = " ".join(t.get_text() for t in left.texts)
    assert "dim(θ) = 13" in texts and "weights: 9" in texts and "biases: 4" in texts
    heights = [patch.get_height() for patch in right.patches]
    assert heights == [6, 3, 3, 1]  # W_1, W_2 weights then b_1, b_2 biases
    assert right.get_xlabel() and right.get_ylabel() and right.get_legend() is not None


def test_dim_theta_figure_bad_input_is_a_message_not_an_exception():
    fig = T.dim_theta_figure("2, three")
    (ax,) = fig.axes
    assert "cannot read" in ax.get_title()
    assert "got 'three'" in ax.texts[0].get_text()
    # the message is the figure's text alternative too
    assert "p_1 must be a positive whole number, got 'three'" in style.description(fig)


def test_theta_layout_is_contiguous_and_matches_pack():
    p = (3, 4, 2)
    layout = T.theta_layout(p)
    assert [n for n, *_ in layout] == ["W_1", "b_1", "W_2", "b_2"]
    assert layout[0][1] == 0 and layout[-1][2] == dim_theta(p)
    assert all(a[2] == b[1] for a, b in zip(layout, layout[1:], strict=False))
    net = Network.init(p, seed=1)
    theta = pack(net.W, net.b)
    start, stop = layout[2][1], layout[2][2]
    np.testing.assert_array_equal(theta[start:stop], net.W[2].reshape(-1))
    W, b = unpack(theta, p)
    np.testing.assert_array_equal(W[2], net.W[2])
    fig = T.theta_layout_figure(p)
    assert "dim(θ) = 26" in fig.axes[0].get_title()


def test_theta_entries_are_row_major_as_pack_stores_them_not_vec():
    """The figure's claim: theta holds W_l row by row (row-major), which is not vec(W_l)."""
    p = (2, 3, 2)
    net = Network.init(p, seed=0)
    theta = pack(net.W, net.b)
    entries = T.theta_entries(p)
    assert len(entries) == dim_theta(p) == 17
    for k, (name, idx) in enumerate(entries):  # theta_k (1-based k = index + 1)
        block = (net.W if name[0] == "W" else net.b)[int(name[2:])]
        assert theta[k] == block[tuple(i - 1 for i in idx)], (k, name, idx)
    assert entries[:3] == [("W_1", (1, 1)), ("W_1", (1, 2)), ("W_1", (2, 1))]
    vec_W1 = net.W[1].reshape(-1, order="F")  # vec stacks columns: a different order
    assert not np.array_equal(theta[:6], vec_W1)
    np.testing.assert_array_equal(np.sort(theta[:6]), np.sort(vec_W1))


def test_theta_layout_figure_labels_every_entry_in_packing_order():
    p = (2, 3, 2)
    fig = T.theta_layout_figure(p)
    ax = fig.axes[0]
    cells = [t.get_text() for t in ax.texts if re.fullmatch(r"\d+(,\d+)?", t.get_text())]
    assert cells == [",".join(map(str, idx)) for _, idx in T.theta_entries(p)]
    rows = [t.get_text() for t in ax.texts if t.get_text().startswith("row ")]
    assert rows == ["row 1", "row 2", "row 3", "row 1", "row 2"]  # 3 rows of W_1, 2 of W_2
    assert [int(t) for t in ax.get_xticks()] == list(range(1, 18))  # theta_1..theta_17
    text = style.description(fig)
    assert "θ_1..θ_6" in text and "not vec(W_l)" in text
    big = T.theta_layout_figure((4, 8, 8, 3))  # too many entries: blocks only
    assert not any(t.get_text().startswith("row ") for t in big.axes[0].texts)


def test_per_example_losses_mean_is_the_training_loss(rng):
    net = Network.init((2, 5, 3), seed=0)
    X = rng.normal(size=(11, 2))
    Y = rng.integers(0, 3, size=11)
    C = T.per_example_losses(net, X, Y)
    assert C.shape == (11,) and (C > 0).all()
    assert C.mean() == pytest.approx(net.loss_value(X, Y), rel=1e-12)
    fig = T.training_loss_figure(C, 7)
    ax = fig.axes[0]
    assert len(ax.patches) == 7
    running, mean = ax.lines
    assert mean.get_ydata()[0] == pytest.approx(C[:7].mean())
    np.testing.assert_allclose(running.get_ydata(), [C[:m].mean() for m in range(1, 8)],
                               rtol=1e-12)
    with pytest.raises(ValueError, match="n: expected 1 <= n <= 11, got 12"):
        T.training_loss_figure(C, 12)


def test_running_mean_steps_shrink_like_one_over_m():
    """What the figure's description claims: adding example m moves the running mean by
    (C_m - mean_{m-1}) / m, so for bounded losses the steps shrink like 1/m."""
    C = np.random.default_rng(0).gamma(2.0, 0.5, size=200)
    run = T.running_mean(C)
    steps = np.abs(np.diff(run))
    m = np.arange(2, 201)
    np.testing.assert_allclose(steps, np.abs(C[1:] - run[:-1]) / m, rtol=1e-12)
    assert steps[100:].max() < steps[:20].max() / 5


def test_gradient_cost_counts_the_lines_of_algorithm1():
    """Back-propagation's count is the sum over the lines Algorithm 1 executes (3: W_l a_{l-1},
    9: delta_l a_{l-1}^T, 10: W_l^T delta_l, each p_l p_{l-1}); central differences call the
    feed-forward 2 dim(theta) times (counted by running them)."""
    p = (3, 5, 4, 2)
    net = Network.init(p, hidden="tanh", output="softmax", seed=0)
    x = np.array([0.1, -0.2, 0.3])
    counted = sum(net.W[s.l].size for s in algorithm1_steps(net, x, 1) if s.line in (3, 9, 10))
    cost = T.gradient_cost(p)
    assert cost.backprop == counted == 3 * (15 + 20 + 8) - 15
    assert cost.forward == 15 + 20 + 8 and cost.dim_theta == dim_theta(p)
    calls = []

    def C(theta):
        calls.append(1)
        return float(theta @ theta)

    central_difference(C, np.zeros(dim_theta(p)))
    assert cost.finite_differences == len(calls) * cost.forward == 2 * dim_theta(p) * 43
    assert cost.ratio == pytest.approx(2 * dim_theta(p) * 43 / (3 * 43 - 15))


def test_gradient_cost_figure_shows_the_gap_at_the_chosen_depth():
    fig = T.gradient_cost_figure(16, 3)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    fd, bp = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
    assert len(fd) == len(bp) == 10
    cost = T.gradient_cost((16,) * 4)
    assert (fd[2], bp[2]) == (cost.finite_differences, cost.backprop)
    assert np.all(np.diff(fd / bp) > 0)  # the ratio grows with depth (with dim(theta))
    assert f"{cost.ratio:,.0f} times more" in style.description(fig)
    wider = T.gradient_cost_figure(64, 3)  # width moves the curves apart
    assert wider.axes[0].lines[0].get_ydata()[2] / wider.axes[0].lines[1].get_ydata()[2] > \
        4 * fd[2] / bp[2]
