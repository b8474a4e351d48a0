"""theta and dim(theta), the feed-forward transitions, and every bad input the engine
promises to reject with a named, explicit error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import Network, dim_theta, pack, theta_blocks, unpack
from bplib.activations import ACTIVATIONS
from bplib.network import INIT_SCHEMES, init_std

widths = st.lists(st.integers(1, 6), min_size=2, max_size=5)


@given(widths)
def test_dim_theta_formula(p):
    """dim(theta) = sum_l (p_{l-1} p_l + p_l), and the blocks tile theta exactly."""
    assert dim_theta(p) == sum(p[l - 1] * p[l] + p[l] for l in range(1, len(p)))
    blocks = theta_blocks(p)
    assert blocks[0][1].start == 0 and blocks[-1][1].stop == dim_theta(p)
    assert all(a[1].stop == b[1].start for a, b in zip(blocks, blocks[1:], strict=False))


def test_dim_theta_worked_example():
    # 784-256-256-10: 784*256+256 + 256*256+256 + 256*10+10
    assert dim_theta([784, 256, 256, 10]) == 200960 + 65792 + 2570 == 269322
    assert dim_theta([2, 2, 1]) == 9


@settings(max_examples=25, deadline=None)
@given(widths, st.integers(0, 2**32 - 1))
def test_pack_unpack_round_trip(p, seed):
    net = Network.init(p, output="identity", seed=seed)
    theta = net.theta
    assert theta.shape == (dim_theta(p),)
    W, b = unpack(theta, p)
    for l in range(1, len(p)):
        np.testing.assert_array_equal(W[l], net.W[l])
        np.testing.assert_array_equal(b[l], net.b[l])
    np.testing.assert_array_equal(pack(W, b), theta)
    other = Network.init(p, output="identity", seed=seed + 1)
    other.set_theta(theta)
    np.testing.assert_array_equal(other.theta, theta)


def test_theta_order_is_W1_b1_W2_b2():
    W1, b1 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0])
    W2, b2 = np.array([[7.0, 8.0]]), np.array([9.0])
    net = Network.from_weights([W1, W2], [b1, b2], hidden="relu", output="identity")
    np.testing.assert_array_equal(net.theta, np.arange(1.0, 10.0))


@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
def test_feed_forward_one_example_and_batch_agree(hidden, rng, backend):
    net = Network.init([3, 4, 2], hidden=hidden, output="softmax", seed=1, backend=backend)
    X = net.xp.asarray(rng.normal(size=(5, 3)))
    z, a = net.feed_forward(X)
    for i in range(5):
        zi, ai = net.feed_forward(X[i])
        for l in range(1, net.L + 1):
            np.testing.assert_allclose(zi[l], z[l][i], rtol=1e-13, atol=1e-14)
            np.testing.assert_allclose(ai[l], a[l][i], rtol=1e-13, atol=1e-14)
    # the transitions themselves: z_l = W_l a_{l-1} + b_l, a_l = S_l(z_l)
    np.testing.assert_allclose(z[1], X @ net.W[1].T + net.b[1])
    np.testing.assert_allclose(a[1], ACTIVATIONS[hidden].S(z[1]))
    np.testing.assert_allclose(a[2].sum(axis=1), 1.0)


def test_init_is_seeded_and_dtype_respected():
    a = Network.init([3, 5, 2], seed=7)
    b = Network.init([3, 5, 2], seed=7)
    c = Network.init([3, 5, 2], seed=8)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.array_equal(a.theta, c.theta)
    f32 = Network.init([3, 5, 2], seed=7, dtype=np.float32)
    assert f32.dtype == np.float32 and f32.theta.dtype == np.float32
    np.testing.assert_allclose(f32.theta, a.theta, rtol=1e-6)


# --- bad input: each error names the argument, the expectation and what came ----------------
@pytest.fixture
def net():
    return Network.init([3, 4, 2], hidden="relu", output="softmax", seed=0)


def test_mismatched_layer_sizes():
    W1, W2 = np.ones((4, 3)), np.ones((2, 5))  # W2 should be (p_2, 4)
    msg = r"W\[2\]: expected shape \(p_2, p_1\) = \(\*, 4\).*\(2, 5\)"
    with pytest.raises(ValueError, match=msg):
        Network.from_weights([W1, W2], [np.ones(4), np.ones(2)])
    with pytest.raises(ValueError, match=r"b\[1\]: expected shape \(4,\).*got \(3,\)"):
        Network.from_weights([W1, np.ones((2, 4))], [np.ones(3), np.ones(2)])


def test_x_of_wrong_width(net):
    with pytest.raises(ValueError, match=r"x: expected 3 features per example.*\(5,\) with 5"):
        net.feed_forward(np.ones(5))
    with pytest.raises(ValueError, match=r"X: expected 3 features.*\(2, 4\)"):
        net.loss_value(np.ones((2, 4)), [0, 1])
    with pytest.raises(ValueError, match=r"x: expected shape .*got shape \(1, 1, 3\)"):
        net.feed_forward(np.ones((1, 1, 3)))


def test_labels_outside_range(net):
    with pytest.raises(ValueError, match=r"Y: expected labels in 0\.\.1 .*got values in 0\.\.2"):
        net.loss_value(np.ones((3, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"Y: expected labels in 0\.\.1 .*-1\.\.1"):
        net.loss_value(np.ones((2, 3)), [-1, 1])
    with pytest.raises(ValueError, match=r"Y: expected shape \(3,\), one label per example"):
        net.loss_value(np.ones((3, 3)), [0, 1])
    with pytest.raises(TypeError, match="Y: expected integer class labels"):
        net.loss_value(np.ones((2, 3)), [0.5, 1.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs(net, bad):
    X = np.ones((2, 3))
    X[1, 2] = bad
    with pytest.raises(ValueError, match=r"X: expected finite values, got 1 nan/inf entries "
                                         r"\(the first at row 1, column 2\)"):
        net.loss_value(X, [0, 1])
    with pytest.raises(ValueError, match=r"x: expected finite values.*\(the first at index 2\)"):
        net.feed_forward(X[1])
    W = [np.ones((4, 3)), np.ones((2, 4))]
    W[0][0, 0] = bad
    with pytest.raises(ValueError, match=r"W\[1\]: expected finite values.*row 0, column 0"):
        Network.from_weights(W, [np.zeros(4), np.zeros(2)])


def test_unknown_activation_name():
    with pytest.raises(ValueError, match=r"hidden: unknown activation 'sigmoid'; expected one of "
                                         r"\['identity', 'logistic', 'relu', 'tanh'\]; "
                                         r"did you mean 'logistic'\?"):
        Network.init([2, 3, 1], hidden="sigmoid")
    with pytest.raises(ValueError, match=r"hidden\[1\]: unknown activation 'ReLU'.*'relu'\?"):
        Network.init([2, 3, 3, 1], hidden=["tanh", "ReLU"])
    with pytest.raises(ValueError, match=r"hidden: unknown activation 'softmax'"):
        Network.from_weights([np.ones((3, 2)), np.ones((1, 3))], [np.ones(3), np.ones(1)],
                             hidden="softmax", output="identity")
    with pytest.raises(ValueError, match=r"S\[1\] \(hidden activation\): unknown activation"):
        Network([None, np.ones((3, 2)), np.ones((1, 3))], [None, np.ones(3), np.ones(1)],
                (None, "softmax", "identity"), "squared_error")
    with pytest.raises(TypeError, match=r"hidden: expected an activation name or a sequence"):
        Network.init([2, 3, 1], hidden=None)


def test_unknown_output_or_loss_names_the_argument_and_suggests():
    """Issue 13: output='Softmax' used to be reported as an unsupported pair with a loss the
    user never passed."""
    with pytest.raises(ValueError, match=r"^output: unknown output layer 'Softmax'; expected one "
                                         r"of \[.*'reduced_softmax'.*\]; did you mean 'softmax'"):
        Network.init([2, 3, 2], output="Softmax")
    with pytest.raises(ValueError, match=r"^output: unknown output layer 'softplus'; expected"):
        Network.init([2, 3, 1], output="softplus")
    with pytest.raises(ValueError, match=r"^loss: unknown loss 'mse'.*'squared_error'\?"):
        Network.init([2, 3, 1], output="identity", loss="mse")
    with pytest.raises(ValueError, match=r"^loss: unknown loss 'crossentropy'.*'cross_entropy'"):
        Network.init([2, 3, 2], loss="crossentropy")
    with pytest.raises(ValueError, match=r"^output/loss: output='softmax' does not pair with "
                                         r"loss='squared_error'; softmax pairs with "
                                         r"loss='cross_entropy'"):
        Network.init([2, 3, 2], output="softmax", loss="squared_error")
    with pytest.raises(TypeError, match=r"^output: expected the name of output layer \(a str\)"):
        Network.init([2, 3, 2], output=None)


def test_softmax_over_one_output_node_is_refused():
    """softmax over p_L = 1 node is the constant 1: loss and gradient identically 0."""
    msg = r"p_L: a softmax output needs at least 2 output nodes.*got p_L = 1.*identically 0"
    with pytest.raises(ValueError, match=msg):
        Network.init([3, 4, 1], output="softmax")
    with pytest.raises(ValueError, match=msg):
        Network.from_weights([np.ones((4, 3)), np.ones((1, 4))], [np.ones(4), np.ones(1)])
    # the two-class models that are allowed
    assert Network.init([3, 4, 1], output="reduced_softmax").n_classes == 2
    assert Network.init([3, 4, 2], output="softmax").n_classes == 2


# --- initialisation: Var W_l = scale^2 * gain / fan ------------------------------------------
def expected_var(init, p, l, after_relu):
    fan_in, fan_out = p[l - 1], p[l]
    return {"he": 2 / fan_in, "lecun": 1 / fan_in, "glorot": 2 / (fan_in + fan_out),
            "normal": 1.0, "auto": (2 if after_relu else 1) / fan_in}[init]


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("init", INIT_SCHEMES)
@pytest.mark.parametrize("scale", [1.0, 0.3])
def test_init_variance_of_drawn_weights(init, hidden, scale):
    """The sample variance of the m entries of each W_l is within 5% of
    scale^2 * gain / fan. For normal draws the sample variance has relative standard error
    sqrt(2/m) <= 0.82% here (m >= 30000), so 5% is more than 6 standard errors; the sample
    mean must be within 6 standard errors sigma/sqrt(m) of 0. Seeded, so deterministic."""
    p = [300, 400, 200, 150]
    net = Network.init(p, hidden=hidden, output="identity", init=init, scale=scale, seed=11)
    std = init_std(p, hidden, init=init, scale=scale)
    for l in range(1, net.L + 1):
        want = scale**2 * expected_var(init, p, l, after_relu=l > 1 and hidden == "relu")
        assert std[l] == pytest.approx(np.sqrt(want), rel=1e-15)
        w = net.W[l].ravel()
        assert w.size >= 30000
        assert w.var() == pytest.approx(want, rel=0.05), (init, l)
        assert abs(w.mean()) < 6 * np.sqrt(want / w.size)
        np.testing.assert_array_equal(net.b[l], 0.0)


def test_init_default_is_auto_and_schemes_differ_as_the_formulas_say():
    p = [50, 20, 20, 5]
    auto = Network.init(p, hidden="relu", seed=4)
    np.testing.assert_array_equal(auto.theta, Network.init(p, hidden="relu", seed=4,
                                                           init="auto").theta)
    # the same draws, rescaled: every scheme is the standard normal times its sd
    he = Network.init(p, hidden="relu", seed=4, init="he")
    glorot = Network.init(p, hidden="relu", seed=4, init="glorot")
    normal = Network.init(p, hidden="relu", seed=4, init="normal", scale=0.1)
    for l in range(1, 4):
        fan_in, fan_out = p[l - 1], p[l]
        np.testing.assert_allclose(he.W[l] * np.sqrt(fan_in / 2), normal.W[l] * 10, rtol=1e-13)
        np.testing.assert_allclose(glorot.W[l] * np.sqrt((fan_in + fan_out) / 2),
                                   normal.W[l] * 10, rtol=1e-13)
    np.testing.assert_array_equal(auto.W[1], Network.init(p, hidden="relu", seed=4,
                                                          init="lecun").W[1])
    np.testing.assert_array_equal(auto.W[2], he.W[2])
    assert not np.any(Network.init(p, seed=4, scale=0).theta)  # the symmetric start


def test_init_rejects_bad_schemes_and_scales():
    with pytest.raises(ValueError, match=r"^init: unknown initialisation scheme 'xavier'; "
                                         r"expected one of \['auto', 'glorot', 'he', 'lecun', "
                                         r"'normal'\]; did you mean 'glorot'\?"):
        Network.init([2, 3, 2], init="xavier")
    with pytest.raises(ValueError, match=r"^init: unknown initialisation scheme 'kaiming'.*'he'"):
        Network.init([2, 3, 2], init="kaiming")
    with pytest.raises(TypeError, match=r"^init: expected the name of initialisation scheme"):
        Network.init([2, 3, 2], init=2.0)
    with pytest.raises(TypeError, match=r"^scale: expected a finite scale >= 0 \(a real number\),"
                                        r" got str '1'"):
        Network.init([2, 3, 2], scale="1")
    for bad in (-0.5, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"^scale: expected a finite scale >= 0, got"):
            Network.init([2, 3, 2], scale=bad)
    with pytest.raises(TypeError, match=r"^rng: expected a numpy.random.Generator"):
        Network.init([2, 3, 2], rng=np.random.RandomState(0))


def test_empty_training_set(net):
    from bplib.backprop import algorithm2_batched, algorithm2_loop

    for fn in (algorithm2_batched, algorithm2_loop):
        with pytest.raises(ValueError, match=r"X: expected at least one example.*\(0, 3\)"):
            fn(net, np.ones((0, 3)), np.zeros(0, dtype=int))


def test_integer_dtype_where_float_needed(net):
    with pytest.raises(TypeError, match=r"X: expected a floating-point array.*int64.*astype"):
        net.loss_value(np.ones((2, 3), dtype=np.int64), [0, 1])
    with pytest.raises(TypeError, match=r"W\[1\]: expected a floating-point array"):
        Network.from_weights([np.ones((3, 2), dtype=int), np.ones((1, 3))],
                             [np.ones(3), np.ones(1)], output="identity")
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got int32"):
        Network.init([2, 2], dtype=np.int32)


def test_no_silent_broadcasting_of_regression_targets():
    reg = Network.init([3, 4, 1], output="identity", seed=0)
    X = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"Y: expected shape \(5, 1\), got shape \(5,\)"):
        reg.loss_value(X, np.ones(5))
    with pytest.raises(ValueError, match=r"Y: expected shape \(5, 1\), got shape \(1, 1\)"):
        reg.loss_value(X, np.ones((1, 1)))


def test_bad_widths():
    with pytest.raises(ValueError, match=r"p: expected at least 2 widths"):
        dim_theta([3])
    with pytest.raises(ValueError, match=r"p\[1\]: expected a positive integer, got 0"):
        Network.init([3, 0, 2])
    msg = r"theta: expected a 1-D vector of length dim\(theta\) = 9"
    with pytest.raises(ValueError, match=msg):
        unpack(np.ones(8), [2, 2, 1])
