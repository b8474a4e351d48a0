"""bplib.plots.by_hand (notebook 11): the computation written out by hand is Algorithm 1.

Every HandStep carries its arithmetic twice, as a student writes it ("1·1 + 0.5·2 + 0.5") and
as Python; the tests evaluate both and compare them with the engine (feed_forward,
algorithm1_steps, algorithm1) and with central differences. Tolerances: on the lesson's
network every number is a sum of halves, exact in float64, so the comparisons there are
exact; on random networks the hand order of the sums differs from NumPy's, so 1e-12
relative; the written arithmetic has 6 significant digits, so it is compared to 1e-5.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bplib import Network, algorithm1, algorithm1_steps
from bplib.activations import relu_prime_at_zero
from bplib.gradcheck import central_difference, gradcheck
from bplib.plots import by_hand as H
from bplib.plots import style


def _engine(net, x, y) -> dict:
    """{key: value} of everything hand_steps computes, from the engine, 1-based keys."""
    *_, last = algorithm1_steps(net, x, y)
    g = algorithm1(net, x, y)
    out = {("C",): float(g.C)}
    for l in range(1, net.L + 1):
        for i in range(net.p[l]):
            out[("z", l, i + 1)] = float(last.z[l][i])
            out[("a", l, i + 1)] = float(last.a[l][i])
            out[("delta", l, i + 1)] = float(last.delta[l][i])
            out[("db", l, i + 1)] = float(g.b[l][i])
            for j in range(net.p[l - 1]):
                out[("dW", l, i + 1, j + 1)] = float(g.W[l][i, j])
    return out


def _written_to_python(text: str) -> str:
    """The arithmetic as written ("0.5·(−1) + max(2.5, 0)") as a Python expression."""
    text = text.replace("·", "*").replace("−", "-").replace("²", "**2")
    return re.sub(r"\b(exp|tanh)\(", r"math.\1(", text)


def _random_net(p, hidden, output, seed):
    return Network.init(p, hidden=hidden, output=output, loss="squared_error", seed=seed)


# --- the lesson's network --------------------------------------------------------------------


def test_the_lesson_network_has_the_numbers_of_its_docstring():
    """The worked example of the notebook, written out (every number a sum of halves)."""
    net, x, y = H.tiny_network()
    v = H.values(H.hand_steps(net, x, y))
    assert [v["z", 1, 1], v["z", 1, 2], v["a", 1, 1], v["a", 1, 2]] == [2.5, -1.0, 2.5, 0.0]
    assert [v["a", 2, 1], v["a", 2, 2], v["C",]] == [1.5, -1.0, 1.25]
    assert [v["delta", 2, 1], v["delta", 2, 2], v["delta", 1, 1], v["delta", 1, 2]] == \
        [1.0, -2.0, 2.0, 0.0]
    dW2 = [[v["dW", 2, i, j] for j in (1, 2)] for i in (1, 2)]
    dW1 = [[v["dW", 1, i, j] for j in (1, 2)] for i in (1, 2)]
    assert dW2 == [[2.5, 0.0], [-5.0, 0.0]] and dW1 == [[2.0, 4.0], [0.0, 0.0]]


def test_on_the_lesson_network_hand_engine_and_finite_differences_agree_exactly():
    net, x, y = H.tiny_network()
    steps = H.hand_steps(net, x, y)
    engine = _engine(net, x, y)
    assert {s.key for s in steps} == set(engine)
    for s in steps:
        assert s.value == engine[s.key], s.text()  # sums of halves: exact
        assert H.evaluate(s) == s.value, s.expression
        assert eval(_written_to_python(s.arithmetic), {"math": math}) == s.value, s.arithmetic

    # central differences of C over theta (W_l row by row, then b_l): C is quadratic in
    # each single parameter here, so the difference quotient is exact up to rounding
    def C(theta):
        probe = net.copy()
        probe.set_theta(theta)
        return float(probe.loss_value(x[None, :], y[None, :]))

    fd = central_difference(C, net.theta.copy(), h=1e-6)
    hand = H.values(steps)
    order = [("dW", l, i, j) for l in (1, 2) for i in (1, 2) for j in (1, 2)]
    order = order[:4] + [("db", 1, 1), ("db", 1, 2)] + order[4:] + [("db", 2, 1), ("db", 2, 2)]
    np.testing.assert_allclose(fd, [hand[k] for k in order], rtol=0, atol=1e-9)
    assert [H.fmt(v) for v in fd] == [H.fmt(hand[k]) for k in order]


def test_the_hidden_unit_that_is_off_passes_no_gradient():
    net, x, y = H.tiny_network()
    steps = {s.key: s for s in H.hand_steps(net, x, y)}
    assert steps["z", 1, 2].value < 0
    assert steps["delta", 1, 2].value == 0.0
    assert "ReLU'(−1) = 0 as −1 < 0" in steps["delta", 1, 2].note
    assert steps["dW", 1, 2, 1].value == steps["dW", 1, 2, 2].value == 0.0


def test_steps_follow_algorithm1s_order():
    net, x, y = H.tiny_network()
    lines = [s.line for s in H.hand_steps(net, x, y)]
    # per layer: line 3 for each unit, then line 4; the loss; line 5; then 8, 9 (, 10)
    assert lines == [3, 3, 4, 4, 3, 3, 4, 4, 0, 5, 5, 8, 8, 9, 9, 9, 9, 10, 10, 8, 8, 9, 9, 9, 9]
    phases = [s.phase for s in H.hand_steps(net, x, y)]
    assert phases == ["forward"] * 9 + ["backward"] * 16


def test_printed_text_reads_like_pencil_and_paper():
    net, x, y = H.tiny_network()
    text = [s.text() for s in H.hand_steps(net, x, y)]
    assert text[0] == "z_{1,1} = W_{1,11}·x_1 + W_{1,12}·x_2 + b_{1,1} = 1·1 + 0.5·2 + 0.5 = 2.5"
    assert text[1].endswith("= 0.5·1 + (−1)·2 + 0.5 = −1")
    assert "δ_{1,1} = ReLU'(z_{1,1})·(W_{2,11}·δ_{2,1} + W_{2,21}·δ_{2,2})" in text[17]
    assert "= 1·(1·1 + (−0.5)·(−2)) = 2" in text[17]


# --- any small network -----------------------------------------------------------------------


@pytest.mark.parametrize("hidden", H.HAND_ACTIVATIONS)
@pytest.mark.parametrize("output", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("p", [(2, 2, 2), (3, 2, 1), (1, 3, 2, 2)])
def test_hand_steps_equal_the_engine_for_every_activation(hidden, output, p):
    net = _random_net(p, hidden, output, seed=sum(p))
    rng = np.random.default_rng(len(p))
    x, y = rng.normal(size=p[0]), rng.normal(size=p[-1])
    engine = _engine(net, x, y)
    steps = H.hand_steps(net, x, y)
    assert {s.key for s in steps} == set(engine)
    for s in steps:
        assert s.value == pytest.approx(engine[s.key], rel=1e-12, abs=1e-14), s.text()
        assert H.evaluate(s) == pytest.approx(s.value, rel=1e-15, abs=1e-300), s.expression
        written = eval(_written_to_python(s.arithmetic), {"math": math})
        assert written == pytest.approx(s.value, rel=1e-4, abs=1e-5), s.text()


def test_relu_kink_follows_the_engines_convention():
    """At z = 0 the hand computation uses bplib's ReLU'(0), whatever it is set to."""
    W = [np.array([[1.0, -0.5]]), np.array([[2.0]])]
    b = [np.array([0.0]), np.array([0.0])]
    net = Network.from_weights(W, b, hidden="relu", output="identity")
    x, y = np.array([1.0, 2.0]), np.array([1.0])  # z_{1,1} = 1 - 1 + 0 = 0
    for at_zero in (0.0, 1.0, 0.5):
        with relu_prime_at_zero(at_zero):
            steps = {s.key: s for s in H.hand_steps(net, x, y)}
            assert steps["z", 1, 1].value == 0.0
            assert steps["delta", 1, 1].value == at_zero * 2.0 * steps["delta", 2, 1].value
            assert steps["delta", 1, 1].value == pytest.approx(
                float(algorithm1_steps_last_delta(net, x, y)[1][0]))
            assert "as 0 = 0" in steps["delta", 1, 1].note


def algorithm1_steps_last_delta(net, x, y):
    *_, last = algorithm1_steps(net, x, y)
    return last.delta


def test_gradcheck_agrees_with_the_hand_gradient_on_a_logistic_network():
    net = _random_net((2, 3, 2), "logistic", "identity", seed=4)
    x, y = np.array([0.3, -1.2]), np.array([0.5, -0.5])
    steps = H.values(H.hand_steps(net, x, y))
    report = gradcheck(net, x[None, :], y[None, :],
                       gradient=lambda n, X, Y: algorithm1(n, X[0], Y[0]))
    assert report.passed
    hand = np.array([steps["dW", 1, i, j] for i in (1, 2, 3) for j in (1, 2)])
    np.testing.assert_allclose(report.numeric[:6], hand, rtol=1e-7)


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"),
                                         ("reduced_softmax", "cross_entropy")])
def test_softmax_outputs_are_refused_by_name(output, loss):
    net = Network.init((2, 2, 3), hidden="relu", output=output, loss=loss, seed=0)
    with pytest.raises(ValueError, match="net: hand_steps writes out element-wise outputs"):
        H.hand_steps(net, np.ones(2), 1)


def test_a_batch_is_refused():
    net, x, y = H.tiny_network()
    with pytest.raises(ValueError, match="x: expected one example"):
        H.hand_steps(net, np.ones((3, 2)), np.ones((3, 2)))


# --- figures ---------------------------------------------------------------------------------


def test_step_figure_describes_the_step_and_counts_what_is_known():
    net, x, y = H.tiny_network()
    steps = H.hand_steps(net, x, y)
    for k in (1, 9, 18, len(steps)):
        text = style.description(H.step_figure(net, x, y, k))
        assert H.plain(" ".join(steps[k - 1].text().split())) in text
        assert "{" not in text  # read aloud: z_1,1, not z brace 1,1 brace
        forward = sum(s.phase == "forward" for s in steps[:k])
        assert f"{forward} forward and {k - forward} backward numbers of {len(steps)}" in text
    with pytest.raises(ValueError, match="k: expected a step 1..25, got 26"):
        H.step_figure(net, x, y, 26)


def test_step_figure_shows_known_numbers_and_question_marks():
    net, x, y = H.tiny_network()
    texts = lambda k: [t.get_text() for t in H.step_figure(net, x, y, k).findobj(  # noqa: E731
        lambda o: hasattr(o, "get_text"))]
    first, last = texts(1), texts(25)
    assert any("= 2.5" in t for t in first) and any("= ?" in t for t in first)
    assert not any("= ?" in t for t in last) and "?" not in last
    assert "4" in last and "−5" in last  # dC/dW_{1,12} and dC/dW_{2,21} on their edges


def test_network_figure_lists_the_given_numbers():
    net, x, y = H.tiny_network()
    text = style.description(H.network_figure(net, x, y))
    assert "W_1 = [[1.0, 0.5], [0.5, -1.0]]" in text and "y = [1.0, 0.0]" in text


def test_numbers_are_written_as_by_hand():
    assert [H.num(v) for v in (1.0, -1.0, 0.25, -0.0, 2 / 3)] == \
        ["1", "(−1)", "0.25", "0", "0.666667"]
    assert H.num(-2.5, paren=False) == "−2.5"
    assert H.fmt(2.4999999999) == "2.5" and H.fmt(-1e-12) == "0"
