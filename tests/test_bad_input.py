"""The bad-input catalogue (issue 13): every public entry point of the engine, given wrong
shapes, dtypes, NaN/inf, empty arrays, wrong label ranges and types, raises a TypeError or
ValueError whose message starts with the argument's name and says what was expected; none
returns a number for an input it cannot handle.

The table lists one case per line: (entry point and what is wrong, call, exception, message).
Property tests (hypothesis) then throw random bad batches at every batch entry point.
"""
# ruff: noqa: E501  (the tables read best with one case per line)

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bplib
from bplib import (
    Network,
    algorithm1,
    algorithm1_steps,
    algorithm2_batched,
    algorithm2_loop,
    dim_theta,
    unpack,
)
from bplib.autodiff import Value, autodiff_gradient, forward_gradient, network_graph
from bplib.data import load_digits, make_blobs, make_regression, make_spirals, train_test_split
from bplib.gradcheck import gradcheck
from bplib.network import init_std
from bplib.train import sgd, steepest_descent

rng = np.random.default_rng(0)
NET = Network.init([3, 4, 3], hidden="tanh", output="softmax", seed=0)  # classes 0..2
REG = Network.init([3, 4, 2], hidden="relu", output="identity", seed=0)
X = rng.normal(size=(5, 3))
Y = np.array([0, 1, 2, 1, 0])
T = rng.normal(size=(5, 2))  # regression targets of REG


def with_nan(A, where, value=np.nan):
    A = np.array(A, dtype=float)
    A[where] = value
    return A


# entry points that take (net, X, Y): a training set
def _gradcheck(net, X, Y):
    return gradcheck(net, X, Y)


def _sd(net, X, Y):
    return steepest_descent(net.copy(), X, Y, steps=2)


def _sgd(net, X, Y):
    return sgd(net.copy(), X, Y, steps=2, batch_size=2)


def _loss(net, X, Y):
    return net.loss_value(X, Y)


BATCH = {"algorithm2_loop": algorithm2_loop, "algorithm2_batched": algorithm2_batched,
         "gradcheck": _gradcheck, "steepest_descent": _sd, "sgd": _sgd, "loss_value": _loss,
         "bplib.gradcheck": lambda net, X, Y: bplib.gradcheck(net, X, Y)}


# entry points that take (net, x, y): one example
def _steps(net, x, y):
    return algorithm1_steps(net, x, y)  # checked at the call, not at the first step


ONE = {"algorithm1": algorithm1, "algorithm1_steps": _steps, "network_graph": network_graph,
       "autodiff_gradient": autodiff_gradient, "forward_gradient": forward_gradient}

BATCH_CASES = [
    # what is wrong,             X,                              Y,                    exception, message
    ("X 3-D",                    X[None],                        Y,                    ValueError, r"^X: expected shape \(p,\) for one example or \(n, p\) for a batch, got shape \(1, 5, 3\)"),
    ("X wrong width",            X[:, :2],                       Y,                    ValueError, r"^X: expected 3 features per example \(p_0 = 3\), got shape \(5, 2\)"),
    ("X empty",                  X[:0],                          Y[:0],                ValueError, r"^X: expected at least one example, got an empty training set of shape \(0, 3\)"),
    ("X int",                    X.astype(int),                  Y,                    TypeError,  r"^X: expected a floating-point array .*got dtype int64"),
    ("X bool",                   X > 0,                          Y,                    TypeError,  r"^X: expected a floating-point array .*got dtype bool"),
    ("X complex",                X + 0j,                         Y,                    TypeError,  r"^X: expected a floating-point array .*complex128"),
    ("X str",                    "X",                            Y,                    TypeError,  r"^X: expected a (NumPy/CuPy array|floating-point array)"),
    ("X None",                   None,                           Y,                    TypeError,  r"^X: expected a NumPy/CuPy array, got NoneType"),
    ("X nan",                    with_nan(X, (3, 1)),            Y,                    ValueError, r"^X: expected finite values, got 1 nan/inf entries \(the first at row 3, column 1\)"),
    ("X inf",                    with_nan(X, (0, 2), np.inf),    Y,                    ValueError, r"^X: expected finite values.*row 0, column 2"),
    ("X -inf",                   with_nan(X, (4, 0), -np.inf),   Y,                    ValueError, r"^X: expected finite values.*row 4, column 0"),
    ("Y too short",              X,                              Y[:4],                ValueError, r"^Y: expected shape \(5,\), one label per example, got shape \(4,\)"),
    ("Y column",                 X,                              Y[:, None],           ValueError, r"^Y: expected shape \(5,\).*got shape \(5, 1\); flatten it with Y.ravel\(\)"),
    ("Y one-hot",                X,                              np.eye(3)[Y],         ValueError, r"^Y: expected class indices 0\.\.2 .*one-hot rows of shape \(5, 3\); pass class indices"),
    ("Y label too big",          X,                              [0, 1, 3, 1, 0],      ValueError, r"^Y: expected labels in 0\.\.2 \(p_L gives 3 classes\), got values in 0\.\.3"),
    ("Y negative",               X,                              [0, -1, 2, 1, 0],     ValueError, r"^Y: expected labels in 0\.\.2 .*got values in -1\.\.2"),
    ("Y uint label too big",     X,                              np.array([0, 1, 255, 1, 0], dtype=np.uint8), ValueError, r"^Y: expected labels in 0\.\.2 .*0\.\.255"),
    ("Y fractional",             X,                              [0, 1.5, 2, 1, 0],    TypeError,  r"^Y: expected integer class labels 0\.\.2, got non-integers"),
    ("Y nan",                    X,                              [0, np.nan, 2, 1, 0], TypeError,  r"^Y: expected integer class labels 0\.\.2, got non-integers"),
    ("Y bool",                   X,                              Y > 0,                TypeError,  r"^Y: expected integer class labels, got dtype bool"),
    ("Y str",                    X,                              list("01210"),        TypeError,  r"^Y: expected integer class labels, got dtype <U1"),
    ("Y None",                   X,                              None,                 TypeError,  r"^Y: expected integer class labels, got dtype object"),
]

REG_CASES = [
    ("targets 1-D",              X,                              T[:, 0],              ValueError, r"^Y: expected shape \(5, 2\), got shape \(5,\)"),
    ("targets broadcast",        X,                              T[:1],                ValueError, r"^Y: expected shape \(5, 2\), got shape \(1, 2\)"),
    ("targets nan",              X,                              with_nan(T, (2, 1)),  ValueError, r"^Y: expected finite values.*row 2, column 1"),
    ("targets int",              X,                              T.astype(int),        TypeError,  r"^Y: expected a floating-point array"),
]


@pytest.mark.parametrize("entry", sorted(BATCH))
@pytest.mark.parametrize("case", BATCH_CASES, ids=[c[0] for c in BATCH_CASES])
def test_batch_entry_points_reject(entry, case):
    _, Xb, Yb, exc, msg = case
    with pytest.raises(exc, match=msg):
        BATCH[entry](NET, Xb, Yb)


@pytest.mark.parametrize("entry", ["algorithm2_loop", "algorithm2_batched", "steepest_descent",
                                   "sgd"])
def test_training_set_entry_points_reject_one_example(entry):
    """gradcheck and loss_value take one example as well; Algorithm 2 and training do not."""
    with pytest.raises(ValueError, match=r"^X: expected a training set of shape \(n, 3\), one "
                                         r"example per row, got shape \(3,\)"):
        BATCH[entry](NET, X[0], 0)


@pytest.mark.parametrize("entry", sorted(BATCH))
@pytest.mark.parametrize("case", REG_CASES, ids=[c[0] for c in REG_CASES])
def test_batch_entry_points_reject_bad_regression_targets(entry, case):
    _, Xb, Yb, exc, msg = case
    with pytest.raises(exc, match=msg):
        BATCH[entry](REG, Xb, Yb)


ONE_CASES = [
    ("x batch",        X,                         Y,        ValueError, r"^x: (Algorithm 1|a scalar graph) takes one example of shape \(3,\), got shape \(5, 3\)"),
    ("x wrong width",  X[0, :2],                  0,        ValueError, r"^x: expected 3 features per example \(p_0 = 3\), got shape \(2,\)"),
    ("x empty",        np.zeros(0),               0,        ValueError, r"^x: expected 3 features per example .*got shape \(0,\)"),
    ("x int",          np.array([1, 2, 3]),       0,        TypeError,  r"^x: expected a floating-point array"),
    ("x nan",          with_nan(X[0], 1),         0,        ValueError, r"^x: expected finite values.*\(the first at index 1\)"),
    ("x scalar",       1.0,                       0,        TypeError,  r"^x: expected a NumPy/CuPy array, got float"),
    ("y too big",      X[0],                      3,        ValueError, r"^y: expected labels in 0\.\.2"),
    ("y negative",     X[0],                      -1,       ValueError, r"^y: expected labels in 0\.\.2 .*-1\.\.-1"),
    ("y fractional",   X[0],                      0.5,      TypeError,  r"^y: expected integer class labels 0\.\.2, got non-integers"),
    ("y one-hot",      X[0],                      [0, 1, 0], ValueError, r"^y: expected class indices 0\.\.2 .*one-hot"),
    ("y vector",       X[0],                      [0, 1],   ValueError, r"^y: expected a scalar label, got shape \(2,\)"),
    ("y str",          X[0],                      "1",      TypeError,  r"^y: expected integer class labels, got dtype <U1"),
]


@pytest.mark.parametrize("entry", sorted(ONE))
@pytest.mark.parametrize("case", ONE_CASES, ids=[c[0] for c in ONE_CASES])
def test_one_example_entry_points_reject(entry, case):
    _, x, y, exc, msg = case
    with pytest.raises(exc, match=msg):
        ONE[entry](NET, x, y)


@pytest.mark.parametrize("entry", sorted(set(BATCH) - {"loss_value"}) + sorted(ONE))
@pytest.mark.parametrize("net", [None, "net", [NET]], ids=["None", "str", "list"])
def test_every_entry_point_rejects_a_non_network(entry, net):
    fn = BATCH.get(entry) or ONE[entry]
    args = (X, Y) if entry in BATCH else (X[0], 0)
    with pytest.raises(TypeError, match=r"^net: expected a bplib Network \(Network.init"):
        fn(net, *args) if entry not in ("steepest_descent", "sgd") else (
            steepest_descent(net, *args) if entry == "steepest_descent" else sgd(net, *args))


# --- configuration arguments -----------------------------------------------------------------
def init(**kw):
    return lambda: Network.init(kw.pop("p", [3, 4, 3]), **kw)


CONFIG_CASES = [
    ("init p str",          init(p="3,4"),                   TypeError,  r"^p: expected a sequence of layer widths"),
    ("init p short",        init(p=[3]),                     ValueError, r"^p: expected at least 2 widths"),
    ("init p zero",         init(p=[3, 0, 2]),               ValueError, r"^p\[1\]: expected a positive integer, got 0"),
    ("init p float",        init(p=[3, 2.5, 2]),             TypeError,  r"^p\[1\]: expected a positive integer, got 2.5"),
    ("init p negative",     init(p=[-3, 2]),                 ValueError, r"^p\[0\]: expected a positive integer, got -3"),
    ("init hidden unknown", init(hidden="sigmoid"),          ValueError, r"^hidden: unknown activation 'sigmoid'.*did you mean 'logistic'"),
    ("init hidden count",   init(p=[3, 4, 4, 3], hidden=["relu"]), ValueError, r"^hidden: expected one activation name or 2"),
    ("init output unknown", init(output="Softmax"),          ValueError, r"^output: unknown output layer 'Softmax'.*did you mean 'softmax'"),
    ("init loss unknown",   init(loss="mse"),                ValueError, r"^loss: unknown loss 'mse'"),
    ("init bad pair",       init(loss="squared_error"),      ValueError, r"^output/loss: output='softmax' does not pair with"),
    ("init softmax p_L=1",  init(p=[3, 1]),                  ValueError, r"^p_L: a softmax output needs at least 2 output nodes"),
    ("init dtype int",      init(dtype=np.int32),            TypeError,  r"^dtype: expected float32 or float64, got int32"),
    ("init dtype junk",     init(dtype="float1234"),         TypeError,  r"data type 'float1234' not understood|^dtype"),
    ("init backend",        init(backend="torch"),           ValueError, r"^backend: expected one of \('numpy', 'cupy'\), got 'torch'"),
    ("init scheme",         init(init="xavier"),             ValueError, r"^init: unknown initialisation scheme 'xavier'.*'glorot'"),
    ("init scale str",      init(scale="1"),                 TypeError,  r"^scale: expected a finite scale >= 0 \(a real number\)"),
    ("init scale nan",      init(scale=np.nan),              ValueError, r"^scale: expected a finite scale >= 0, got nan"),
    ("init seed str",       init(seed="1"),                  TypeError,  r"^seed: expected a non-negative integer or None, got str"),
    ("init seed negative",  init(seed=-1),                   ValueError, r"^seed: expected a non-negative integer or None, got -1"),
    ("init rng",            init(rng=1),                     TypeError,  r"^rng: expected a numpy.random.Generator"),
    ("init_std scheme",     lambda: init_std([3, 4], init="he2"), ValueError, r"^init: unknown initialisation scheme 'he2'"),
    ("from_weights W type", lambda: Network.from_weights(np.ones((4, 3)), [np.ones(4)]), TypeError, r"^W: expected a non-empty list \[W_1, \.\.\., W_L\]"),
    ("from_weights b count", lambda: Network.from_weights([np.ones((4, 3)), np.ones((3, 4))], [np.ones(4)]), ValueError, r"^b: expected 2 bias vectors"),
    ("from_weights shapes", lambda: Network.from_weights([np.ones((4, 3)), np.ones((3, 5))], [np.ones(4), np.ones(3)]), ValueError, r"^W\[2\]: expected shape \(p_2, p_1\) = \(\*, 4\)"),
    ("from_weights b shape", lambda: Network.from_weights([np.ones((4, 3)), np.ones((3, 4))], [np.ones(3), np.ones(3)]), ValueError, r"^b\[1\]: expected shape \(4,\)"),
    ("from_weights W 1-D",  lambda: Network.from_weights([np.ones(3), np.ones((3, 4))], [np.ones(4), np.ones(3)]), ValueError, r"^W\[1\]: expected shape \(n, p\) for a batch, got shape \(3,\)"),
    ("from_weights W empty", lambda: Network.from_weights([np.ones((0, 3)), np.ones((3, 0))], [np.ones(0), np.ones(3)]), ValueError, r"^W\[1\]: expected a matrix of shape \(p_1, p_0\) with p_1, p_0 >= 1"),
    ("from_weights W nan",  lambda: Network.from_weights([with_nan(np.ones((4, 3)), (2, 1)), np.ones((3, 4))], [np.ones(4), np.ones(3)]), ValueError, r"^W\[1\]: expected finite values.*row 2, column 1"),
    ("from_weights W int",  lambda: Network.from_weights([np.ones((4, 3), dtype=int), np.ones((3, 4))], [np.ones(4), np.ones(3)]), TypeError, r"^W\[1\]: expected a floating-point array"),
    ("from_weights dtypes", lambda: Network.from_weights([np.ones((4, 3)), np.ones((3, 4), dtype=np.float32)], [np.ones(4), np.ones(3)]), TypeError, r"^W\[2\]: expected dtype float64 like W\[1\], got float32"),
    ("from_weights hidden", lambda: Network.from_weights([np.ones((4, 3)), np.ones((3, 4))], [np.ones(4), np.ones(3)], hidden="softmax"), ValueError, r"^hidden: unknown activation 'softmax'"),
    ("unpack theta",        lambda: unpack(np.ones(dim_theta([3, 4, 3]) - 1), [3, 4, 3]), ValueError, r"^theta: expected a 1-D vector of length dim\(theta\) = 31"),
    ("set_theta",           lambda: NET.copy().set_theta(np.ones(5)), ValueError, r"^theta: expected a 1-D vector of length dim\(theta\) = 31"),
    ("gradcheck float32",   lambda: gradcheck(NET.astype(np.float32), X.astype(np.float32), Y), TypeError, r"^net: gradient checks need float64 parameters"),
    ("gradcheck h",         lambda: gradcheck(NET, X, Y, h=0.0), ValueError, r"^h: expected a positive finite step, got 0.0"),
    ("gradcheck h str",     lambda: gradcheck(NET, X, Y, h="1e-6"), TypeError, r"^h: expected a positive finite step \(a real number\)"),
    ("gradcheck tol",       lambda: gradcheck(NET, X, Y, tol=-1), ValueError, r"^tol: expected a finite tolerance >= 0, got -1.0"),
    ("gradcheck gradient",  lambda: gradcheck(NET, X, Y, gradient=3), TypeError, r"^gradient: expected a function gradient\(net, X, Y\)"),
    ("gradcheck returns",   lambda: gradcheck(NET, X, Y, gradient=lambda n, a, b: 1.0), TypeError, r"^gradient: expected it to return a bplib Gradient"),
    ("sd lr str",           lambda: steepest_descent(NET.copy(), X, Y, lr="0.1"), TypeError, r"^lr: expected a positive finite learning rate \(a real number\), got str '0.1'"),
    ("sd lr 0",             lambda: steepest_descent(NET.copy(), X, Y, lr=0), ValueError, r"^lr: expected a positive finite learning rate, got 0.0"),
    ("sd steps",            lambda: steepest_descent(NET.copy(), X, Y, steps=0), ValueError, r"^steps: expected a positive integer, got 0"),
    ("sd steps float",      lambda: steepest_descent(NET.copy(), X, Y, steps=2.5), TypeError, r"^steps: expected a positive integer, got 2.5"),
    ("sd log_every",        lambda: steepest_descent(NET.copy(), X, Y, log_every=-1), ValueError, r"^log_every: expected a positive integer, got -1"),
    ("sd seed",             lambda: steepest_descent(NET.copy(), X, Y, seed="a"), TypeError, r"^seed: expected a non-negative integer or None"),
    ("sd X_test alone",     lambda: steepest_descent(NET.copy(), X, Y, X_test=X), ValueError, r"^X_test, Y_test: pass both"),
    ("sd X_test width",     lambda: steepest_descent(NET.copy(), X, Y, X_test=X[:, :2], Y_test=Y), ValueError, r"^X_test: expected 3 features per example"),
    ("sd Y_test range",     lambda: steepest_descent(NET.copy(), X, Y, X_test=X, Y_test=Y + 1), ValueError, r"^Y_test: expected labels in 0\.\.2"),
    ("sd callback",         lambda: steepest_descent(NET.copy(), X, Y, callback="plot"), TypeError, r"^callback: expected a function callback\(step, net, history\)"),
    ("sgd batch_size",      lambda: sgd(NET.copy(), X, Y, batch_size=0), ValueError, r"^batch_size: expected a positive integer, got 0"),
    ("sgd batch_size None", lambda: sgd(NET.copy(), X, Y, batch_size="8"), TypeError, r"^batch_size: expected a positive integer, got '8'"),
    ("spirals n",           lambda: make_spirals(0), ValueError, r"^n: expected a positive integer, got 0"),
    ("spirals classes",     lambda: make_spirals(10, classes=0), ValueError, r"^classes: expected a positive integer, got 0"),
    ("spirals noise",       lambda: make_spirals(10, noise=-1), ValueError, r"^noise: expected a noise level >= 0, got -1.0"),
    ("spirals seed",        lambda: make_spirals(10, seed=1.5), TypeError, r"^seed: expected a non-negative integer or None, got float"),
    ("blobs spread",        lambda: make_blobs(10, spread="wide"), TypeError, r"^spread: expected a spread >= 0 \(a real number\)"),
    ("regression n",        lambda: make_regression(-5), ValueError, r"^n: expected a positive integer, got -5"),
    ("split fraction",      lambda: train_test_split(X, Y, test_fraction=0), ValueError, r"^test_fraction: expected a number in \(0, 1\), got 0.0"),
    ("split lengths",       lambda: train_test_split(X, Y[:3]), ValueError, r"^X, Y: expected one row of Y per row of X"),
    ("split stratify",      lambda: train_test_split(X, T, stratify=True), TypeError, r"^Y: stratify=True needs one integer class label per row"),
    ("load_digits args",    lambda: load_digits(64), TypeError, r"load_digits\(\) takes 0 positional arguments"),
    ("Value str",           lambda: Value("1.0"), TypeError, r"expected a real number or a Value, got str"),
    ("Value log",           lambda: Value(0.0).log(), ValueError, r"^log: expected a positive argument, got 0.0"),
    ("graph too big",       lambda: network_graph(Network.init([300, 200, 10]), np.zeros(300), 0), ValueError, r"^net: a scalar graph is for small networks"),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_configuration_arguments_are_checked(case):
    _, call, exc, msg = case
    with pytest.raises(exc, match=msg):
        call()


def test_a_failed_training_call_leaves_the_network_unchanged():
    net = NET.copy()
    theta = net.theta
    for bad in (dict(lr="0.1"), dict(X_test=X[:, :2], Y_test=Y), dict(Y_test=Y, X_test=X + np.nan)):
        with pytest.raises((TypeError, ValueError)):
            steepest_descent(net, X, Y, steps=3, **bad)
    np.testing.assert_array_equal(net.theta, theta)


# --- random bad batches ----------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=st.sampled_from(sorted(BATCH)), n=st.integers(1, 6),
       width=st.integers(0, 6).filter(lambda w: w != 3), data=st.data())
def test_random_wrong_widths_name_X(entry, n, width, data):
    Xb = np.zeros((n, width))
    Yb = np.zeros(n, dtype=int)
    with pytest.raises(ValueError, match=rf"^X: expected 3 features per example \(p_0 = 3\), "
                                         rf"got shape \({n}, {width}\) with {width}"):
        BATCH[entry](NET, Xb, Yb)


@settings(max_examples=40, deadline=None)
@given(entry=st.sampled_from(sorted(BATCH)), n=st.integers(1, 8), data=st.data())
def test_random_non_finite_entries_name_the_first_row(entry, n, data):
    Xb = np.random.default_rng(n).normal(size=(n, 3))
    cells = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 2)),
                               min_size=1, max_size=4, unique=True))
    for k, (i, j) in enumerate(cells):
        Xb[i, j] = (np.nan, np.inf, -np.inf)[k % 3]
    first = min(cells)
    with pytest.raises(ValueError, match=rf"^X: expected finite values, got {len(cells)} nan/inf "
                                         rf"entries \(the first at row {first[0]}, column "
                                         rf"{first[1]}\)"):
        BATCH[entry](NET, Xb, np.zeros(n, dtype=int))


@settings(max_examples=40, deadline=None)
@given(entry=st.sampled_from(sorted(BATCH)),
       dtype=st.sampled_from(["int8", "uint8", "int16", "int32", "int64", "uint32", "uint64"]),
       labels=st.lists(st.integers(-128, 255), min_size=5, max_size=5))
def test_random_labels_outside_the_classes_are_refused_in_every_dtype(entry, dtype, labels):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    labels = [min(max(v, lo), hi) for v in labels]
    Yb = np.array(labels).astype(dtype)
    got = [int(v) for v in Yb]
    if min(got) >= 0 and max(got) <= 2:
        BATCH[entry](NET, X, Yb)  # a valid batch: accepted
        return
    with pytest.raises(ValueError, match=rf"^Y: expected labels in 0\.\.2 \(p_L gives 3 "
                                         rf"classes\), got values in {min(got)}\.\.{max(got)}"):
        BATCH[entry](NET, X, Yb)


@settings(max_examples=30, deadline=None)
@given(entry=st.sampled_from(sorted(BATCH)),
       dtype=st.sampled_from(["int32", "int64", "uint8", "bool", "complex128", "object", "<U3"]))
def test_random_non_float_inputs_are_type_errors_naming_X(entry, dtype):
    Xb = np.ones((5, 3)).astype(dtype)
    with pytest.raises(TypeError, match=r"^X: expected a floating-point array \(float32 or "
                                        r"float64\), got dtype"):
        BATCH[entry](NET, Xb, Y)
