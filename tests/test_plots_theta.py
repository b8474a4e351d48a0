"""bplib.plots.theta: parsing typed layer sizes, the dim(theta) sum, theta's layout, C_i."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

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
    assert ax.lines[0].get_ydata()[0] == pytest.approx(C[:7].mean())
    with pytest.raises(ValueError, match="n: expected 1 <= n <= 11, got 12"):
        T.training_loss_figure(C, 12)


def test_dim_theta_growth_is_linear_in_depth():
    depths, dims = T.dim_theta_growth(4, 5)
    np.testing.assert_array_equal(dims, depths * (4 * 4 + 4))
    fig = T.dim_theta_growth_figure(4, 3)
    assert "= 60" in fig.axes[0].get_legend().get_texts()[1].get_text()
