"""bplib.plots.algorithm1: snapshots of Algorithm 1 and the step figure."""

from __future__ import annotations

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


def test_step_figure_highlights_the_current_line(net, x):
    steps = A.snapshots(net, x, 1)
    k = next(k for k, s in enumerate(steps, start=1) if s.line == 9)
    fig = A.step_figure(steps, k, net.p)
    left, right = fig.axes
    bold = [t.get_text() for t in left.texts if t.get_weight() == "bold"]
    assert A.ALGORITHM1_LINES[8][1] in bold  # line 9 is the highlighted one
    assert f"step {k}/{len(steps)} · line 9" in fig._suptitle.get_text()
    texts = " ".join(t.get_text() for t in right.texts)
    assert "∂C/∂W_3 =" in texts and "∂C/∂W_2" not in texts  # only W_3's gradient so far
    dW3 = steps[k - 1].dW[3]
    assert f"{dW3[0, 0] + 0.0:+.3f}" in texts


def test_step_figure_shows_new_values_in_bold(net, x):
    steps = A.snapshots(net, x, 1)
    fig = A.step_figure(steps, 3, net.p)  # line 3 with l = 1: z_1 computed
    right = fig.axes[1]
    bold = [t.get_text() for t in right.texts if t.get_weight() == "bold"]
    z1 = steps[2].z[1]
    assert sorted(bold) == sorted(f"z {v + 0.0:+.3f}" for v in z1)
    with pytest.raises(ValueError, match="k: expected a step 1..24, got 0"):
        A.step_figure(steps, 0, net.p)
