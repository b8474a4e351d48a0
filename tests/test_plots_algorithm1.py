"""bplib.plots.algorithm1: snapshots of Algorithm 1 and the step figure."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bplib import Network, algorithm1
from bplib.plots import algorithm1 as A


@pytest.fixture
def net():
    return Network.init((2, 3, 3, 2), hidden="tanh", output="softmax", seed=0)


@pytest.fixture
def x():
    return np.array([1.0, -2.0])


def test_every_one_of_the_eleven_lines_is_run(net, x):
    assert len(A.ALGORITHM1_LINES) == 11
    assert sorted({s.line for s in A.snapshots(net, x, 1)}) == list(range(1, 12))


@pytest.mark.parametrize("p", [(2, 2), (2, 3, 2), (2, 3, 3, 2), (1, 2, 2, 2, 1)])
def test_number_of_steps_is_7L_plus_3(p):
    net = Network.init(p, hidden="tanh", output="identity", seed=1)
    steps = A.snapshots(net, np.ones(p[0]), np.zeros(p[-1]))
    L = len(p) - 1
    assert len(steps) == A.n_steps(L) == 7 * L + 3
    lines = [s.line for s in steps]
    assert lines[0] == 1 and lines[-1] == 11
    assert lines.count(10) == L - 1 and lines.count(9) == L and lines.count(3) == L


def test_snapshots_are_frozen_in_time(net, x):
    """Each snapshot shows the state after its own line, not the final state."""
    steps = A.snapshots(net, x, 1)
    first_backward = next(k for k, s in enumerate(steps) if s.line == 5)
    assert all(v is None for v in steps[first_backward - 1].delta)
    assert steps[first_backward].delta[3] is not None
    assert steps[first_backward].delta[2] is None
    assert steps[-1].delta[1] is not None
    assert steps[2].z[2] is None and steps[-1].z[2] is not None  # z_2 appears at line 3, l = 2


def test_final_snapshot_is_algorithm1(net, x):
    last = A.snapshots(net, x, 1)[-1]
    g = algorithm1(net, x, 1)
    for l in (1, 2, 3):
        np.testing.assert_array_equal(last.dW[l], g.W[l])
        np.testing.assert_array_equal(last.db[l], g.b[l])


def test_just_computed_names_what_each_line_assigns(net, x):
    steps = A.snapshots(net, x, 1)
    news = [(s.line, A.just_computed(s, net.L)) for s in steps]
    assert news[0] == (1, {("a", 0)})
    assert (3, {("z", 2)}) in news and (4, {("a", 3)}) in news
    assert (5, {("delta", 3)}) in news and (6, {("z", 0)}) in news
    assert (9, {("dW", 1)}) in news and (10, {("delta", 1)}) in news
    assert all(new == set() for line, new in news if line in (2, 7, 11))
    # what a step claims to have computed is new compared with the step before
    for before, after in zip(steps, steps[1:], strict=False):
        for q, l in A.just_computed(after, net.L):
            assert getattr(before, q)[l] is None and getattr(after, q)[l] is not None


NUMBER = re.compile(r"[+\u2212-]\d+\.\d{3}")


def _numbers(text: str) -> list[float]:
    return [float(m.replace("\u2212", "-")) for m in NUMBER.findall(text)]


def _value_texts(fig) -> list[str]:
    network = fig.axes[1]
    return [t.get_text() for t in network.texts if t.get_gid() == "value"]


def test_step_figure_highlights_the_current_line(net, x):
    steps = A.snapshots(net, x, 1)
    for k, step in enumerate(steps, start=1):
        fig = A.step_figure(steps, k, net.p)
        algorithm = fig.axes[0]
        bands = [p for p in algorithm.patches if p.get_gid() == "current-line"]
        assert len(bands) == 1, k
        bold = [t.get_text() for t in algorithm.texts if t.get_weight() == "bold"
                and t.get_text() not in ("feed-forward", "backward")]
        assert sorted(bold) == sorted([f"{step.line:>2}", A.ALGORITHM1_LINES[step.line - 1][1]])
        assert f"Step {k} of {len(steps)} · line {step.line}:" in fig._suptitle.get_text()


def test_the_widget_opens_on_a_figure_that_shows_line_1_with_x():
    """Step 1 (the widget's first state): line 1 highlighted, a_0 = x beside the inputs and
    nothing else on the network."""
    net = Network.init((2, 3, 3, 2), hidden="tanh", output="softmax", seed=0)
    steps = A.snapshots(net, np.array([1.0, -2.0]), 1)
    fig = A.step_figure(steps, 1, net.p)
    assert _value_texts(fig) == ["$a_{0,1}$ = +1.000", "$a_{0,2}$ = \u22122.000"]
    assert "line 1:" in fig._suptitle.get_text()


def test_network_shows_only_what_the_line_computed(net, x):
    """One label per node of the layer the line assigned (the whole matrix for line 9), with
    exactly its values; nothing for the loop heads (lines 2 and 7)."""
    steps = A.snapshots(net, x, 1)
    for k, step in enumerate(steps, start=1):
        texts = _value_texts(A.step_figure(steps, k, net.p))
        shown = [v for t in texts for v in _numbers(t)]
        new = A.just_computed(step, net.L)
        if step.line == 11:
            expected = list(step.a[net.L])
        else:
            expected = [float(v) for q, l in new for v in np.ravel(getattr(step, q)[l])]
        np.testing.assert_allclose(shown, expected, atol=5e-4, err_msg=f"step {k}")
        if step.line in (2, 7):
            assert texts == [], k
        elif step.line != 9:
            assert len(texts) == len(expected), k  # one label per node
    # line 9 with l = 2: the 3 x 3 matrix dC/dW_2 = delta_2 a_1^T, row by row
    k = next(k for k, s in enumerate(steps, start=1) if s.line == 9 and s.l == 2)
    (matrix,) = _value_texts(A.step_figure(steps, k, net.p))
    rows = [_numbers(r) for r in matrix.splitlines()]
    np.testing.assert_allclose(rows, np.outer(steps[k - 1].delta[2], steps[k - 1].a[1]),
                               atol=5e-4)


def test_the_weights_a_line_uses_are_drawn_thick(net, x):
    steps = A.snapshots(net, x, 1)
    for k, step in enumerate(steps, start=1):
        network = A.step_figure(steps, k, net.p).axes[1]
        used = [ln for ln in network.lines if (ln.get_gid() or "").endswith(" used")]
        if step.line in (3, 9, 10):
            l = step.l
            assert len(used) == net.p[l - 1] * net.p[l], k
            assert {ln.get_gid() for ln in used} == {f"W_{l} used"}
            colour = A.FORWARD if step.line == 3 else A.BACKWARD
            assert {ln.get_color() for ln in used} == {colour}
        else:
            assert used == [], k


def test_step_figure_rejects_a_step_out_of_range(net, x):
    steps = A.snapshots(net, x, 1)
    with pytest.raises(ValueError, match="k: expected a step 1..24, got 0"):
        A.step_figure(steps, 0, net.p)


def test_line_with_layer_writes_the_loop_index():
    assert A.line_with_layer(3, 2, 3) == r"$z_2 \leftarrow W_2\, a_{1} + b_2$"
    assert A.line_with_layer(10, 3, 3) == (r"$\delta_{2} \leftarrow S_{2}'(z_{2}) \odot "
                                           r"W_3^\top \delta_3$")
    assert A.line_with_layer(5, 3, 3).startswith(r"$\delta_3 \leftarrow")
    assert A.line_with_layer(7, 2, 3) == "loop: $l = 2$"
