"""The test cases of every exercise: inputs drawn from a seed, bplib's reference outputs, and the
outputs of the common mistakes (used to diagnose a wrong answer from its signature).

One source for the grade and the self-check. Each exercise has a generator
``cases_exN(rng) -> list[Case]``; the grader calls it with a seed drawn at grading time, the
self-check (:mod:`.selfcheck`) with the public seed :data:`PUBLIC_SEED`. Both draw the same
*classes* of case (large |z|, z exactly 0 under a ReLU, the first and the last label, one
example, one hidden unit, no hidden layer, non-square layers, ...), listed in :data:`CLASSES`,
so an answer that passes the self-check meets every kind of input the grader will use; only
the numbers differ.

Everything here runs in the grader's (or, for the self-check, the student's) own process; the
student's process only ever sees the inputs (:mod:`.runner` writes them as data).
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import ACTIVATIONS, softmax, softmax_naive
from ..autodiff import Value, topological_order
from ..backprop import algorithm1, algorithm1_steps, algorithm2_loop
from ..batched import algorithm2_batched
from ..gradcheck import relative_error
from ..losses import (
    one_hot,
    reduced_ce_delta,
    reduced_softmax,
    reduced_softmax_jacobian,
    softmax_ce_delta,
    softmax_ce_loss,
    softmax_jacobian,
)
from ..network import Network, dim_theta, pack, unpack
from .judge import array_text
from .judge import judge as judge  # re-exported: cases.judge is the one judge
from .judge import to_data as to_data
from .manifest import load_manifest
from .worker import make_function

#: The seed of the self-check's cases: public, fixed, the same for every student.
PUBLIC_SEED = 2024

# --- what the feedback says when a wrong answer matches a typical mistake --------------------
MISSING_DS = ("missing S'(z) factor: delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ (W_l^T delta_l) needs the "
              "element-wise product with S'")
TRANSPOSED_W = ("transposed W: the backward step multiplies by W_l^T (shape (p_{l-1}, p_l)), "
                "not by W_l")
DW_TRANSPOSED = ("dC/dW_l = delta_l a_{l-1}^T has the shape of W_l, (p_l, p_{l-1}); you "
                 "returned its transpose")
MISSING_MEAN = ("missing 1/n: Algorithm 2 averages over the n examples (the training loss is "
                "ell_tau = (1/n) sum_i C_i)")
SIGN = "sign error: the result is the negative of the expected one"
EXTRA_DS_SOFTMAX = ("extra S' factor: for softmax + cross-entropy, S_L' and dC/dg cancel and "
                    "delta_L = g - e_{y+1} exactly; do not multiply by g(1 - g)")
OVERFLOW = ("softmax overflow: exp(z) overflows for large |z|; subtract max(z) before "
            "exponentiating (the result is unchanged)")
RELU0 = ("ReLU'(0) convention: bplib uses ReLU'(0) = 0 (z > 0, not z >= 0), so a unit with "
         "z exactly 0 passes no gradient back")
DS_AT_A = "S' evaluated at a = S(z) instead of at z"
FORWARD_DIFF = ("forward difference (f(theta + h e_i) - f(theta)) / h: the central difference is "
                "(f(theta + h e_i) - f(theta - h e_i)) / (2h)")
HALF = "missing 1/2: the central difference divides by 2h, not by h"
LABEL_UNIT = ("label y and its output unit: the output unit of class y is unit y + 1 (g_{y+1}), "
              "which is g[y] in code; delta_L = g - e_{y+1} subtracts 1 at code index y")
LABEL_UNIT_LOSS = ("label y and its output unit: the output unit of class y is unit y + 1, so "
                   "C_i = -ln g_{y_i+1}, which is -log(g[y_i]) in code")
LABEL0_REDUCED = ("label y = 0 in the reduced model: class 0 belongs to the removed output node "
                  "(unit 1, g_1 = 1 - sum_{k>=2} g_k), which has no entry in delta_L, so nothing "
                  "is subtracted; delta[y - 1] with y = 0 is delta[-1], the last entry")
USUAL_LAYOUT = ("the usual Jacobian layout: the lecture's dv/du has (i, j) entry dv_j/du_i, "
                "shape (dim u, dim v), the transpose of the usual Jacobian")


# --- test functions passed to the student as data --------------------------------------------
_FORMULAS = {"quadratic": "f(theta) = 0.5 theta^T A theta + c^T theta",
             "cubic": "f(theta) = sum_i (c3_i theta_i^3 + c2_i theta_i^2)",
             "net": "f(theta) = mean cross-entropy of a tanh network with widths p on (X, y), "
                    "theta packed W_1 row by row, b_1, W_2, b_2",
             "layer-tanh": "v(u) = W tanh(u) + b",
             "layer-logistic": "v(u) = W logistic(u) + b",
             "layer-identity": "v(u) = W u + b"}


@dataclass(frozen=True)
class FunctionSpec:
    """A test function passed to the student as data (see worker.make_function)."""

    kind: str
    arrays: dict[str, np.ndarray]

    def __call__(self, theta: np.ndarray) -> Any:
        return make_function(self.kind, self.arrays)(theta)

    def describe(self) -> str:
        return _FORMULAS.get(self.kind, self.kind)


@dataclass
class Case:
    """One test: call ``function(*args)``; the answer must match ``expected``."""

    name: str
    function: str
    args: list
    expected: Any
    variants: dict[str, Any] = field(default_factory=dict)  # diagnosis -> mistaken output
    classes: tuple[str, ...] = ()  # the kinds of input this case is (see CLASSES)
    rtol: float = 1e-6
    atol: float = 1e-8
    large_z: bool = False  # a non-finite answer here means an overflow
    unchanged: tuple[int, ...] = ()  # arguments the statement says the call must not change
    probe_n: int = 0  # a probe of the rule "no loop over the examples": its batch size n
    show: bool = False  # the statement's own inputs: the result goes to the marker's file
    result: Any = "result"  # the statement's name(s) of the result (from the manifest)
    arg_names: tuple[str, ...] = ()  # the function's argument names (from the manifest)


# --- the classes of case each exercise draws -------------------------------------------------
LARGE_Z = "large |z| ~ 1e3"
RELU_ZERO = "z exactly 0 under a ReLU"
LABEL_FIRST = "label y = 0"
LABEL_LAST = "last label"
ONE_EXAMPLE = "one example (n = 1)"
ONE_HIDDEN_UNIT = "one hidden unit"
NO_HIDDEN = "no hidden layer"
NON_SQUARE = "non-square layers"
SQUARE = "square layers"
ONE_OUTPUT = "one output"

CLASSES: dict[str, set[str]] = {
    "ex1": {"several layers", NON_SQUARE, ONE_HIDDEN_UNIT, NO_HIDDEN, "p = (1, 1)"},
    "ex2": {"random z", LARGE_Z, "one class", "equal logits", LABEL_FIRST, LABEL_LAST,
            "two classes (p_L = 1)"},
    "ex3": {"logistic", "tanh", "ReLU", "identity", RELU_ZERO, LARGE_Z, ONE_OUTPUT},
    "ex4": {"ReLU", "tanh", "logistic", SQUARE, NON_SQUARE, ONE_HIDDEN_UNIT, RELU_ZERO,
            LARGE_Z, NO_HIDDEN},
    "ex5": {"ReLU", "tanh", "logistic", ONE_EXAMPLE, ONE_HIDDEN_UNIT, SQUARE, NON_SQUARE,
            RELU_ZERO, LARGE_Z, NO_HIDDEN, "loop probe"},
    "ex6": {"quadratic", "cubic", "dimension 1", "network loss", "theta watched",
            "random vectors", "equal vectors", "both zero", "one vector zero", "close vectors"},
    "ex7": {"the statement's network", "logistic", "ReLU", "tanh", NO_HIDDEN, ONE_HIDDEN_UNIT,
            LABEL_FIRST, LABEL_LAST},
    "ex8": {"tanh", "logistic", "ReLU", "identity", SQUARE, NON_SQUARE, RELU_ZERO, LARGE_Z,
            "one unit in layer l - 1", "one unit in layer l"},
    "ex9": {"crossing (0 < z < h)", "no crossing (z >= h)", "z near 0", RELU_ZERO,
            "dead unit (z < -h)", ONE_HIDDEN_UNIT, LARGE_Z, LABEL_FIRST, LABEL_LAST},
    "ex10": {"random z", "two classes (p_L = 1)", ONE_EXAMPLE, LARGE_Z, LABEL_FIRST,
             LABEL_LAST},
    "ex11": {"the statement's problem", "random", ONE_EXAMPLE, NO_HIDDEN, LARGE_Z,
             "zero steps", "two hidden layers", LABEL_FIRST, LABEL_LAST, "W and b watched"},
    "ex12": {"root is a leaf", "fan-out (a node used twice)", "two paths", "unused node",
             "deep chain (3001 nodes)", "two sweeps", "network loss", "random graph"},
}


# --- helpers ---------------------------------------------------------------------------------
def _layers(rng: np.random.Generator, p: list[int], scale: float = 1.0) -> tuple[list, list]:
    W = [None] + [rng.normal(0, scale / np.sqrt(p[l - 1]), (p[l], p[l - 1]))
                  for l in range(1, len(p))]
    b = [None] + [rng.normal(0, 0.5, p[l]) for l in range(1, len(p))]
    return W, b


def _dS(name: str, z: np.ndarray, relu0: float = 0.0) -> np.ndarray:
    d = ACTIVATIONS[name].dS(z)
    if name == "relu" and relu0:
        d = np.where(z == 0, relu0, d)
    return d


def _copy_layers(v: list) -> list:
    return [None] + [np.array(u, copy=True) for u in v[1:]]


def _middle_label(rng: np.random.Generator, last: int) -> int:
    """A label strictly between the first (0) and the ``last``: a case's class must not depend
    on the seed, and the first and last labels have cases of their own."""
    return int(rng.integers(1, last)) if last >= 2 else last


def _labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    """n labels in 0..c-1; with n >= 2 the first is 0 and the last c - 1, so every batch of
    every seed holds both extremes (a label-0 mistake shows for the public seed too)."""
    Y = rng.integers(c, size=n)
    if n >= 2:
        Y[0], Y[-1] = 0, c - 1
    else:
        Y[0] = _middle_label(rng, c - 1)
    return Y


# --- ex1: dim(theta), pack, unpack -----------------------------------------------------------
def cases_ex1(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, p, cls in (("three layers", [int(v) for v in rng.integers(2, 6, 4)],
                          ("several layers",)),
                         ("p = (1, 1)", [1, 1], ("p = (1, 1)", NO_HIDDEN)),
                         ("five layers, a width-1 layer", [7, 1, 3, 2, 5],
                          (ONE_HIDDEN_UNIT, NON_SQUARE))):
        weights_only = sum(p[l - 1] * p[l] for l in range(1, len(p)))
        out.append(Case(f"count_params: {name}, p = {tuple(p)}", "count_params", [list(p)],
                        dim_theta(p), {"counted only the weights; each layer also has p_l "
                                       "biases": weights_only}, cls))
    for name, p, cls in (("p = (3, 4, 2)", [3, 4, 2], ("several layers", NON_SQUARE)),
                         ("one hidden unit, p = (4, 1, 3)", [4, 1, 3],
                          (ONE_HIDDEN_UNIT, NON_SQUARE)),
                         ("no hidden layer, p = (2, 5)", [2, 5], (NO_HIDDEN,))):
        W, b = _layers(rng, p)
        col_major = np.concatenate([v for l in range(1, len(p)) for v in (W[l].T.ravel(), b[l])])
        w_first = np.concatenate([W[l].ravel() for l in range(1, len(p))]
                                 + [b[l] for l in range(1, len(p))])
        out.append(Case(f"pack_theta: {name}", "pack_theta", [W, b], pack(W, b),
                        {"packed W_l column by column (that is vec(W_l)); theta stacks W_l row "
                         "by row (row-major, W_l.reshape(-1))": col_major,
                         "put all W_l first, then all b_l; theta stacks W_1, b_1, W_2, b_2, ...":
                         w_first}, cls))
        theta = rng.normal(size=dim_theta(p))
        Wu, bu = unpack(theta, p)
        Wf = [None]
        i = 0
        for l in range(1, len(p)):
            Wf.append(theta[i:i + p[l] * p[l - 1]].reshape(p[l], p[l - 1], order="F"))
            i += p[l] * p[l - 1] + p[l]
        out.append(Case(f"unpack_theta: {name}", "unpack_theta", [theta, list(p)],
                        [_copy_layers(Wu), _copy_layers(bu)],
                        {"filled W_l column by column; theta holds W_l row by row (row-major)":
                         [Wf, _copy_layers(bu)]}, cls))
    return out


# --- ex2: softmax and delta_L for softmax + cross-entropy ------------------------------------
def _big_logits(rng: np.random.Generator, c: int) -> np.ndarray:
    z = rng.normal(size=c) * 1e3
    z[0] = abs(z[0]) + 800.0  # exp(z_0) overflows unless max(z) is subtracted
    return z


def cases_ex2(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, z, cls, big in (("random z", rng.normal(size=5), ("random z",), False),
                              ("one class", rng.normal(size=1), ("one class",), False),
                              ("large |z| ~ 1e3", np.array([1e3, -1e3, 1.0, 0.0])
                               + rng.normal(size=4), (LARGE_Z,), True),
                              ("equal logits", np.full(3, 2.5), ("equal logits",), False)):
        out.append(Case(f"stable_softmax: {name}", "stable_softmax", [z], softmax(z),
                        {}, cls, large_z=big))
    for name, c, y, cls, big in (("random z, 4 classes", 4, None, ("random z",), False),
                                 ("label y = 0", 3, 0, (LABEL_FIRST,), False),
                                 ("last label y = p_L - 1", 5, 4, (LABEL_LAST,), False),
                                 ("large |z| ~ 1e3", 5, None, (LARGE_Z,), True),
                                 ("one class", 1, 0, ("one class", LABEL_FIRST), False)):
        z = _big_logits(rng, c) if big else rng.normal(size=c)
        y = _middle_label(rng, c - 1) if y is None else y
        g = softmax(z)
        d = softmax_ce_delta(z, y)
        shifted = g.copy()
        shifted[(y - 1) % c] -= 1.0
        out.append(Case(f"delta_softmax_ce: {name}, y = {y}", "delta_softmax_ce", [z, y], d,
                        {EXTRA_DS_SOFTMAX: d * g * (1 - g), SIGN: -d, LABEL_UNIT: shifted},
                        cls, large_z=big))
    for name, p_L, y, cls, big in (("random z, p_L = 3", 3, None, ("random z",), False),
                                   ("label y = 0 (the removed node's class)", 3, 0,
                                    (LABEL_FIRST,), False),
                                   ("last label y = p_L", 4, 4, (LABEL_LAST,), False),
                                   ("two classes, p_L = 1", 1, 1,
                                    ("two classes (p_L = 1)", LABEL_LAST), False),
                                   ("large |z| ~ 1e3", 4, None, (LARGE_Z,), True)):
        z = _big_logits(rng, p_L) if big else rng.normal(size=p_L)
        y = _middle_label(rng, p_L) if y is None else y
        d = reduced_ce_delta(z, y)
        full = softmax_ce_delta(np.concatenate([[0.0], z]), y)
        g = reduced_softmax(z)[1:]
        variants = {"returned all p_L + 1 entries; the reduced model's delta_L has one entry per "
                    "remaining output node (units 2, ..., p_L + 1)": full,
                    "treated z as all the logits; one output node is removed, so "
                    "g = (g_1, ..., g_{p_L+1}) with g_1 = 1 - sum_{k>=2} g_k": softmax(z) - one_hot(
                        np.asarray(y), p_L + 1)[1:],
                    EXTRA_DS_SOFTMAX: d * g * (1 - g), SIGN: -d}
        if y == 0:
            wrapped = g.copy()
            wrapped[-1] -= 1.0
            variants[LABEL0_REDUCED] = wrapped
        elif y < p_L:
            early = g.copy()
            early[y] -= 1.0
            variants["label off by one: class y is unit y + 1, and in the reduced model that is "
                     "entry y of delta_L (1-based), delta[y - 1] in code"] = early
        out.append(Case(f"delta_reduced_ce: {name}, y = {y}", "delta_reduced_ce", [z, y], d,
                        variants, cls, large_z=big))
    return out


# --- ex3: element-wise S_L + squared error ---------------------------------------------------
def cases_ex3(rng: np.random.Generator) -> list[Case]:
    out = []
    specs = (("logistic, random", "logistic", 4, 1.0, ("logistic",), False),
             ("tanh, random", "tanh", 3, 1.0, ("tanh",), False),
             ("ReLU with some z exactly 0", "relu", 5, 1.0, ("ReLU", RELU_ZERO), True),
             ("identity", "identity", 3, 1.0, ("identity",), False),
             ("logistic, large |z| ~ 1e3 (saturated)", "logistic", 4, 1e3,
              ("logistic", LARGE_Z), False),
             ("tanh, one output", "tanh", 1, 1.0, ("tanh", ONE_OUTPUT), False))
    for name, act, p_L, scale, cls, zeros in specs:
        z = rng.normal(size=p_L) * scale
        if zeros:
            z[::2] = 0.0
        y = rng.normal(size=p_L)
        S, dS = ACTIVATIONS[act].S, ACTIVATIONS[act].dS
        g = S(z)
        d = dS(z) * 2 * (g - y)
        out.append(Case(f"delta_squared_error: {name}", "delta_squared_error", [z, y, act], d,
                        {MISSING_DS: 2 * (g - y),
                         "missing factor 2: d/dg ||g - y||^2 = 2(g - y)": dS(z) * (g - y),
                         SIGN: -d, DS_AT_A: dS(g) * 2 * (g - y),
                         RELU0: _dS(act, z, relu0=1.0) * 2 * (g - y)}, cls))
    return out


# --- ex4: Algorithm 1, backward pass from the feed-forward values ----------------------------
def _backward(W, z, a, delta_L, S, *, ds=True, transpose=False, sign=1.0, relu0=0.0,
              ds_at_a=False, dw_transposed=False):
    """Lines 7-10 of Algorithm 1, with switches that reproduce the common mistakes."""
    L = len(W) - 1
    delta = delta_L
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        db[l] = delta
        dW[l] = np.outer(a[l - 1], delta) if dw_transposed else np.outer(delta, a[l - 1])
        if l > 1:
            back = (W[l] if transpose else W[l].T) @ delta
            if ds:
                back = _dS(S[l - 1], a[l - 1] if ds_at_a else z[l - 1], relu0) * back
            delta = sign * back
    return [dW, db]


def _ex4_case(rng, name, p, hidden, cls, *, zero_rows=False, x_scale=1.0):
    L = len(p) - 1
    W, b = _layers(rng, p)
    for l in range(1, L):
        if hidden[l - 1] == "relu":
            b[l][-1] -= 4.0  # one unit surely off, so S' = 0 matters for it
            b[l][1] += 4.0  # and one surely on, so the layer passes something back
    if zero_rows:  # z_l[0] = 0 exactly for every hidden layer: ReLU'(0) decides the gradient
        for l in range(1, L):
            W[l][0] = 0.0
            b[l][0] = 0.0
    net = Network.from_weights(W[1:], b[1:], hidden=list(hidden), output="softmax")
    x = rng.normal(size=p[0]) * x_scale
    y = int(rng.integers(p[L]))
    *_, last = algorithm1_steps(net, x, y)
    z = [None] + [v.copy() for v in last.z[1:]]
    a = [v.copy() for v in last.a]
    delta_L = last.delta[L].copy()
    S = [None, *hidden, "softmax"]
    expected = [_copy_layers(last.dW), _copy_layers(last.db)]
    variants = {MISSING_DS: _backward(W, z, a, delta_L, S, ds=False),
                SIGN: _backward(W, z, a, delta_L, S, sign=-1.0),
                DW_TRANSPOSED: _backward(W, z, a, delta_L, S, dw_transposed=True),
                DS_AT_A: _backward(W, z, a, delta_L, S, ds_at_a=True)}
    if "relu" in hidden:
        variants[RELU0] = _backward(W, z, a, delta_L, S, relu0=1.0)
    if all(p[l] == p[l - 1] for l in range(2, L + 1)):
        variants[TRANSPOSED_W] = _backward(W, z, a, delta_L, S, transpose=True)
    return Case(f"backprop_example: {name}", "backprop_example", [W, z, a, delta_L, S],
                expected, variants, cls, large_z=x_scale > 10)


def cases_ex4(rng: np.random.Generator) -> list[Case]:
    return [
        _ex4_case(rng, "p = (3, 4, 2), ReLU", [3, 4, 2], ["relu"], ("ReLU", NON_SQUARE)),
        _ex4_case(rng, "square layers p = (3, 3, 3, 3), tanh", [3, 3, 3, 3], ["tanh"] * 2,
                  ("tanh", SQUARE)),
        _ex4_case(rng, "one hidden unit p = (4, 1, 3), logistic", [4, 1, 3], ["logistic"],
                  ("logistic", ONE_HIDDEN_UNIT)),
        _ex4_case(rng, "non-square layers p = (5, 3, 4, 2), ReLU then tanh", [5, 3, 4, 2],
                  ["relu", "tanh"], ("ReLU", "tanh", NON_SQUARE)),
        _ex4_case(rng, "ReLU units with z exactly 0", [3, 4, 4, 2], ["relu", "relu"],
                  ("ReLU", RELU_ZERO), zero_rows=True),
        _ex4_case(rng, "large |z| ~ 1e3, logistic (saturated)", [3, 4, 2], ["logistic"],
                  ("logistic", LARGE_Z), x_scale=1e3),
        _ex4_case(rng, "no hidden layer p = (4, 3)", [4, 3], [], (NO_HIDDEN,)),
    ]


# --- ex5: Algorithm 2, batched ---------------------------------------------------------------
def _batched(W, b, S, X, Y, *, mean=True, ds=True, transpose=False, sign=1.0, relu0=0.0,
             naive=False):
    """Batched Algorithm 2 for softmax + cross-entropy, with mistake switches."""
    L = len(W) - 1
    n = X.shape[0]
    Z, A = [None], [X]
    with np.errstate(all="ignore"):
        for l in range(1, L + 1):
            Z.append(A[-1] @ W[l].T + b[l])
            A.append(ACTIVATIONS[S[l]].S(Z[l]) if l < L else None)
        G = softmax_naive(Z[L]) if naive else softmax(Z[L])
        D = (G - one_hot(Y, G.shape[1])) / (n if mean else 1)
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 0, -1):
            dW[l] = D.T @ A[l - 1]
            db[l] = D.sum(axis=0)
            if l > 1:
                back = D @ (W[l].T if transpose else W[l])
                D = sign * (_dS(S[l - 1], Z[l - 1], relu0) * back if ds else back)
    return [dW, db]


def _ex5_case(rng, name, p, hidden, n, cls, *, zero_row=False, out_scale=1.0, net=None,
              probe_n=0):
    L = len(p) - 1
    W, b = net if net is not None else _layers(rng, p)
    X = rng.normal(size=(n, p[0]))
    if zero_row:  # first example all zeros and b_1 = 0: every z_1 of it is exactly 0
        X[0] = 0.0
        b[1][:] = 0.0
    W[L] = W[L] * out_scale
    b[L] = b[L] * out_scale
    Y = _labels(rng, n, p[L])
    model = Network.from_weights(W[1:], b[1:], hidden=list(hidden), output="softmax")
    grad = algorithm2_loop(model, X, Y)
    S = [None, *hidden, "softmax"]
    expected = [_copy_layers(grad.W), _copy_layers(grad.b)]
    variants = {MISSING_MEAN: _batched(W, b, S, X, Y, mean=False),
                MISSING_DS: _batched(W, b, S, X, Y, ds=False),
                SIGN: _batched(W, b, S, X, Y, sign=-1.0)}
    if "relu" in hidden:
        variants[RELU0] = _batched(W, b, S, X, Y, relu0=1.0)
    if all(p[l] == p[l - 1] for l in range(2, L + 1)):
        variants[TRANSPOSED_W] = _batched(W, b, S, X, Y, transpose=True)
    return Case(f"batched_gradient: {name}", "batched_gradient", [W, b, S, X, Y], expected,
                variants, cls, large_z=out_scale > 10, probe_n=probe_n)


def cases_ex5(rng: np.random.Generator) -> list[Case]:
    out = [
        _ex5_case(rng, "p = (3, 5, 4), ReLU, n = 8", [3, 5, 4], ["relu"], 8,
                  ("ReLU", NON_SQUARE)),
        _ex5_case(rng, "one example n = 1, tanh", [2, 3, 3], ["tanh"], 1,
                  ("tanh", ONE_EXAMPLE)),
        _ex5_case(rng, "one hidden unit p = (3, 1, 2), logistic", [3, 1, 2], ["logistic"], 5,
                  ("logistic", ONE_HIDDEN_UNIT)),
        _ex5_case(rng, "square layers p = (4, 4, 4, 4), tanh", [4, 4, 4, 4], ["tanh"] * 2, 6,
                  ("tanh", SQUARE)),
        _ex5_case(rng, "ReLU units with z exactly 0", [3, 4, 3], ["relu"], 5,
                  ("ReLU", RELU_ZERO), zero_row=True),
        _ex5_case(rng, "large output logits |z_L| ~ 1e3", [3, 4, 3], ["tanh"], 6,
                  ("tanh", LARGE_Z), out_scale=1e3),
        _ex5_case(rng, "no hidden layer p = (4, 3), n = 5", [4, 3], [], 5, (NO_HIDDEN,)),
    ]
    # the rule "no Python loop over the examples": one network, a small and a large batch
    p = [3, 4, 3]
    W, b = _layers(rng, p)
    for n in (2, 66):
        out.append(_ex5_case(rng, f"loop probe, p = (3, 4, 3), tanh, n = {n}", p, ["tanh"], n,
                             ("tanh", "loop probe"), net=(_copy_layers(W), _copy_layers(b)),
                             probe_n=n))
    return out


# --- ex6: central differences and the relative error -----------------------------------------
def _central(f: Callable, theta: np.ndarray, h: float, kind: str = "central") -> np.ndarray:
    """Central differences (or a mistaken variant), in the lecture's layout for vector f:
    row i is the derivative by u_i."""
    rows = []
    for i in range(theta.shape[0]):
        e = np.zeros_like(theta)
        e[i] = h
        fp, fm, f0 = (np.asarray(f(theta + e), dtype=np.float64),
                      np.asarray(f(theta - e), dtype=np.float64),
                      np.asarray(f(theta), dtype=np.float64))
        if kind == "central":
            rows.append((fp - fm) / (2 * h))
        elif kind == "forward":
            rows.append((fp - f0) / h)
        else:  # missing 1/2
            rows.append((fp - fm) / h)
    return np.array(rows)


def cases_ex6(rng: np.random.Generator) -> list[Case]:
    out = []
    A = rng.normal(size=(5, 5))
    specs = [
        ("quadratic, dim 5, h = 1e-5", FunctionSpec("quadratic", {"A": A + A.T,
                                                                  "c": rng.normal(size=5)}),
         5, 1e-5, ("quadratic",), 1e-6, 1e-8),
        ("cubic, dim 4, h = 1e-3", FunctionSpec("cubic", {"c3": rng.normal(size=4),
                                                          "c2": rng.normal(size=4)}),
         4, 1e-3, ("cubic",), 1e-6, 1e-8),
        ("cubic, dim 1, h = 1e-3", FunctionSpec("cubic", {"c3": rng.normal(size=1),
                                                          "c2": rng.normal(size=1)}),
         1, 1e-3, ("cubic", "dimension 1"), 1e-6, 1e-8),
    ]
    X = rng.normal(size=(6, 3))
    specs.append(("network loss, p = (3, 3, 2), h = 1e-6",
                  FunctionSpec("net", {"X": X, "y": rng.integers(2, size=6),
                                       "p": np.array([3, 3, 2])}),
                  dim_theta([3, 3, 2]), 1e-6, ("network loss",), 1e-5, 1e-7))
    for name, f, d, h, cls, rtol, atol in specs:
        theta = rng.normal(size=d)
        out.append(Case(f"central_diff: {name}", "central_diff", [f, theta, h],
                        _central(f, theta, h),
                        {FORWARD_DIFF: _central(f, theta, h, "forward"),
                         HALF: _central(f, theta, h, "half"),
                         SIGN: -_central(f, theta, h)},
                        (*cls, "theta watched"), rtol=rtol, atol=atol, unchanged=(1,)))
    g = rng.normal(size=6)
    for name, g1, g2, cls in (("random vectors", g, rng.normal(size=6), "random vectors"),
                              ("equal vectors", g, g.copy(), "equal vectors"),
                              ("both zero", np.zeros(4), np.zeros(4), "both zero"),
                              ("second vector zero", g, np.zeros(6), "one vector zero"),
                              ("g2 = 1.001 g1", g, 1.001 * g, "close vectors")):
        num = float(np.linalg.norm(g1 - g2))
        variants = {}
        if np.linalg.norm(g1):
            variants["divided by ||g1|| only; use ||g1|| + ||g2|| (and guard against 0)"] = (
                num / float(np.linalg.norm(g1)))
        out.append(Case(f"rel_error: {name}", "rel_error", [g1, g2], relative_error(g1, g2),
                        variants, (cls,), rtol=1e-9, atol=1e-12))
    return out


# --- ex7: saturation, ||delta_l|| per layer --------------------------------------------------
#: The network of exercise 7's statement: input width 16, 8 hidden layers of 32 units, 10
#: outputs; label y = 3; seed 0.
EX7_P = (16, 32, 32, 32, 32, 32, 32, 32, 32, 10)
EX7_Y, EX7_SEED = 3, 0


def delta_norms(p, hidden, y, seed, *, gain=None, x_first=False):
    """Exercise 7's measurement: W_l ~ N(0, gain / p_{l-1}) (gain 2 for ReLU, He; else 1,
    LeCun), b_l = 0, drawn for l = 1..L from default_rng(seed), then x ~ N(0, I); softmax +
    cross-entropy with label y; returns ||delta_l||, l = 1..L (Algorithm 1)."""
    rng = np.random.default_rng(seed)
    gain = (2.0 if hidden == "relu" else 1.0) if gain is None else gain
    L = len(p) - 1
    x = rng.normal(size=p[0]) if x_first else None
    W = [rng.normal(0.0, np.sqrt(gain / p[l - 1]), size=(p[l], p[l - 1]))
         for l in range(1, L + 1)]
    if not x_first:
        x = rng.normal(size=p[0])
    net = Network.from_weights(W, [np.zeros(p[l]) for l in range(1, L + 1)],
                               hidden=[hidden] * (L - 1), output="softmax")
    *_, last = algorithm1_steps(net, x, y)
    return np.array([float(np.linalg.norm(last.delta[l])) for l in range(1, L + 1)])


def cases_ex7(rng: np.random.Generator) -> list[Case]:
    out = []
    specs = [("the statement's network, logistic", EX7_P, "logistic", EX7_Y, EX7_SEED,
              ("the statement's network", "logistic"), True),
             ("the statement's network, ReLU", EX7_P, "relu", EX7_Y, EX7_SEED,
              ("the statement's network", "ReLU"), True),
             ("tanh, p = (5, 6, 6, 3), y = 0", (5, 6, 6, 3), "tanh", 0, None,
              ("tanh", LABEL_FIRST), False),
             ("no hidden layer, p = (4, 3)", (4, 3), "relu", 2, None, (NO_HIDDEN, LABEL_LAST),
              False),
             ("one hidden unit, p = (3, 1, 4), ReLU, last label y = 3", (3, 1, 4), "relu", 3,
              None, ("ReLU", ONE_HIDDEN_UNIT, LABEL_LAST), False)]
    for name, p, hidden, y, seed, cls, show in specs:
        seed = int(rng.integers(1 << 30)) if seed is None else seed
        expected = delta_norms(p, hidden, y, seed)
        variants = {"returned the norms from l = L down to l = 1; norms[l - 1] is ||delta_l||":
                    expected[::-1].copy(),
                    "returned ||delta_l||^2; the statement asks for the Euclidean norm":
                    expected ** 2,
                    "drew x before the weights: the statement draws W_1, ..., W_L first, then x":
                    delta_norms(p, hidden, y, seed, x_first=True)}
        if hidden == "relu":
            variants["initialised ReLU layers with variance 1/p_{l-1}; the statement uses He's "
                     "2/p_{l-1} for ReLU"] = delta_norms(p, hidden, y, seed, gain=1.0)
        out.append(Case(f"delta_norms: {name}, seed = {seed}", "delta_norms",
                        [list(p), hidden, y, seed], expected, variants, cls, show=show))
    return out


# --- ex8: the Jacobian dz_l/dz_{l-1} = D_{l-1} W_l^T, and finite differences -----------------
def cases_ex8(rng: np.random.Generator) -> list[Case]:
    out = []
    specs = (("tanh, non-square, p_{l-1} = 5, p_l = 3", "tanh", 5, 3, 1.0,
              ("tanh", NON_SQUARE), False),
             ("logistic, square 4 x 4", "logistic", 4, 4, 1.0, ("logistic", SQUARE), False),
             ("ReLU with some z exactly 0", "relu", 5, 4, 1.0, ("ReLU", RELU_ZERO), True),
             ("one unit in layer l - 1, tanh", "tanh", 1, 3, 1.0,
              ("tanh", "one unit in layer l - 1"), False),
             ("one unit in layer l, ReLU", "relu", 4, 1, 1.0, ("ReLU", "one unit in layer l"),
              False),
             ("logistic, large |z| ~ 1e3 (saturated)", "logistic", 3, 3, 1e3,
              ("logistic", LARGE_Z, SQUARE), False),
             ("identity, non-square", "identity", 2, 3, 1.0, ("identity", NON_SQUARE), False))
    for name, act, p_prev, p_l, scale, cls, zeros in specs:
        W = rng.normal(size=(p_l, p_prev)) / np.sqrt(p_prev)
        z = rng.normal(size=p_prev) * scale
        if zeros:
            z[::2] = 0.0
        d = ACTIVATIONS[act].dS(z)
        J = d[:, None] * W.T  # D_{l-1} W_l^T: row i of W_l^T scaled by S'(z_{l-1,i})
        variants = {USUAL_LAYOUT: J.T.copy(), MISSING_DS: W.T.copy(), SIGN: -J,
                    DS_AT_A: ACTIVATIONS[act].dS(ACTIVATIONS[act].S(z))[:, None] * W.T}
        if act == "relu":
            variants[RELU0] = _dS(act, z, relu0=1.0)[:, None] * W.T
        out.append(Case(f"jacobian_z: {name}", "jacobian_z", [W, z, act], J, variants, cls))
    fspecs = (("tanh layer, u in R^4, v in R^3, h = 1e-5", "tanh", 4, 3, 1e-5,
               ("tanh", NON_SQUARE)),
              ("logistic layer, square 3 x 3, h = 1e-4", "logistic", 3, 3, 1e-4,
               ("logistic", SQUARE)),
              ("one input, u in R^1, h = 1e-5", "tanh", 1, 3, 1e-5,
               ("tanh", "one unit in layer l - 1")),
              ("one output, v in R^1, h = 1e-5", "tanh", 4, 1, 1e-5,
               ("tanh", "one unit in layer l")),
              ("identity layer (exact for any h), h = 1e-3", "identity", 3, 2, 1e-3,
               ("identity", NON_SQUARE)))
    for name, act, m, k, h, cls in fspecs:
        f = FunctionSpec(f"layer-{act}", {"W": rng.normal(size=(k, m)) / np.sqrt(m),
                                          "b": rng.normal(size=k)})
        u = rng.normal(size=m)
        J = _central(f, u, h)
        out.append(Case(f"fd_jacobian: {name}", "fd_jacobian", [f, u, h], J,
                        {USUAL_LAYOUT: J.T.copy(), FORWARD_DIFF: _central(f, u, h, "forward"),
                         HALF: _central(f, u, h, "half"), SIGN: -J}, cls))
    return out


# --- ex9: the ReLU kink ------------------------------------------------------------------------
def predicted_ratio(z: float, h: float) -> float:
    """FD / BP for a step h on the bias of a ReLU unit with pre-activation z > 0, when C is
    linear in a = ReLU(z) near z: the central difference sees the slope over [z - h, z + h],
    of which only the part above 0 counts: (z + h) / (2h) for z < h, 1 for z >= h."""
    return (z + h) / (2 * h) if z < h else 1.0


def _ex9_loss(W, b, x, y) -> float:
    z1 = W[1] @ x + b[1]
    return float(softmax_ce_loss(W[2] @ ACTIVATIONS["relu"].S(z1) + b[2], y))


def _ex9_case(rng, name, p, i, z_target, cls, *, h=1e-4, y=None, big=False, dead=False,
              exact_zero=False):
    W, b = _layers(rng, p)
    x = rng.normal(size=p[0])
    z1 = W[1] @ x + b[1]
    for k in range(p[1]):  # every other unit far from its kink: only unit i crosses
        if k != i and abs(z1[k]) < 20 * h:
            b[1][k] += np.sign(z1[k] or 1.0) * 0.5
    if exact_zero:
        W[1][i] = 0.0
        b[1][i] = 0.0
    else:
        b[1][i] = z_target - W[1][i] @ x
    if big:
        W[2] = W[2] * 1e3
    y = _middle_label(rng, p[2] - 1) if y is None else y
    net = Network.from_weights(W[1:], b[1:], hidden=["relu"], output="softmax")
    bp = float(algorithm1(net, x, y).b[1][i])
    with np.errstate(all="ignore"):
        def C_of(bi, loss=_ex9_loss):
            b2 = _copy_layers(b)
            b2[1][i] = bi
            return loss(W, b2, x, y)

        bi = b[1][i]
        fd = (C_of(bi + h) - C_of(bi - h)) / (2 * h)
        fwd = (C_of(bi + h) - C_of(bi)) / h
    z_i = float((W[1] @ x + b[1])[i])
    relu1 = bp
    if z_i == 0.0:  # with ReLU'(0) = 1 the unit would pass (W_2^T delta_2)_i back
        g = softmax(W[2] @ ACTIVATIONS["relu"].S(W[1] @ x + b[1]) + b[2])
        relu1 = float((W[2].T @ (g - one_hot(np.asarray(y), p[2])))[i])
    variants = {FORWARD_DIFF: [fwd, bp], HALF: [2 * fd, bp], SIGN: [fd, -bp]}
    if z_i == 0.0:
        variants[RELU0] = [fd, relu1]
    return Case(f"fd_and_bp: {name}, p = {tuple(p)}, i = {i}, y = {y}, h = {h:g}", "fd_and_bp",
                [W, b, x, y, i, h], [fd, bp], variants, cls, large_z=big,
                rtol=1e-6, atol=1e-8 if not big else 1e-6)


def cases_ex9(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, frac, cls in (("crossing, z = 0.3 h", 0.3, ("crossing (0 < z < h)",)),
                            ("crossing, z = 0.9 h", 0.9, ("crossing (0 < z < h)",)),
                            ("z near 0, z = 0.001 h", 0.001, ("z near 0",)),
                            ("no crossing, z = 2 h", 2.0, ("no crossing (z >= h)",)),
                            ("no crossing, z = h exactly", 1.0, ("no crossing (z >= h)",))):
        h = float(10.0 ** rng.uniform(-5, -2))
        z = frac * h
        r = predicted_ratio(z, h)
        out.append(Case(f"predicted_ratio: {name}, h = {h:.3g}", "predicted_ratio", [z, h], r,
                        {"missing 1/2: the central difference divides by 2h":
                         min((z + h) / h, 2.0),
                         "only z / h: the slope is seen over [z - h, z + h], from 0 to z + h":
                         min(z / h, 1.0),
                         "sign: (h - z) / (2h); the part above the kink is z + h":
                         (h - z) / (2 * h) if z < h else 0.0,
                         "ignored the kink: the ratio is 1 only when [z - h, z + h] lies above "
                         "0": 1.0}, cls, rtol=1e-9, atol=1e-12))
    out += [
        _ex9_case(rng, "crossing, z = 0.4 h", [3, 4, 3], 1, 0.4e-4,
                  ("crossing (0 < z < h)", LABEL_FIRST), y=0),
        _ex9_case(rng, "z exactly 0 (ReLU'(0) = 0)", [3, 4, 3], 2, 0.0, (RELU_ZERO,),
                  exact_zero=True),
        _ex9_case(rng, "no crossing, z = 50 h", [2, 3, 3], 0, 5e-3, ("no crossing (z >= h)",)),
        _ex9_case(rng, "dead unit, z = -50 h", [2, 3, 3], 1, -5e-3, ("dead unit (z < -h)",)),
        _ex9_case(rng, "one hidden unit, crossing, last label", [3, 1, 4], 0, 0.6e-4,
                  (ONE_HIDDEN_UNIT, "crossing (0 < z < h)", LABEL_LAST), y=3),
        _ex9_case(rng, "large logits |z_2| ~ 1e3, crossing", [3, 4, 3], 3, 0.5e-4,
                  (LARGE_Z, "crossing (0 < z < h)"), big=True),
    ]
    return out


# --- ex10: the reduced multi-logit model -------------------------------------------------------
def _reduced_labels(rng, n, p_L, first=False, last=False):
    Y = rng.integers(1, p_L, size=n) if p_L >= 2 else np.full(n, p_L)  # the middle labels
    if first:
        Y[0] = 0
    if last:
        Y[-1] = p_L
    return Y


def cases_ex10(rng: np.random.Generator) -> list[Case]:
    out = []
    zspecs = (("n = 4, p_L = 3", 4, 3, 1.0, ("random z",)),
              ("two classes, p_L = 1", 5, 1, 1.0, ("two classes (p_L = 1)",)),
              ("one example, n = 1", 1, 4, 1.0, (ONE_EXAMPLE,)),
              ("large z ~ +1e3 (g_1 -> 0)", 3, 3, 1e3, (LARGE_Z,)),
              ("large negative z ~ -1e3 (g_1 -> 1)", 3, 3, -1e3, (LARGE_Z,)))
    for name, n, p_L, scale, cls in zspecs:
        Z = rng.normal(size=(n, p_L)) * abs(scale)
        if scale > 1:
            Z[:, 0] = np.abs(Z[:, 0]) + 800.0
        elif scale < -1:
            Z = -np.abs(Z) - 800.0
        G = reduced_softmax(Z)
        with np.errstate(all="ignore"):
            out.append(Case(f"reduced_softmax: {name}", "reduced_softmax", [Z], G,
                            {"returned p_L probabilities, softmax(z): one output node is "
                             "removed, so there are p_L + 1 classes and g_1 = 1 - sum_{k>=2} g_k "
                             "(the removed node's) comes first": softmax(Z),
                             "put the removed node's probability last; it is g_1, column 0":
                             np.roll(G, -1, axis=1)}, cls, large_z=abs(scale) > 1))
    for name, p_L, scale, cls in (("p_L = 3", 3, 1.0, ("random z",)),
                                  ("two classes, p_L = 1", 1, 1.0, ("two classes (p_L = 1)",)),
                                  ("large |z| ~ 1e3", 3, 1e3, (LARGE_Z,))):
        z = rng.normal(size=p_L) * scale
        if scale > 1:
            z[0] = abs(z[0]) + 800.0
        J = reduced_softmax_jacobian(z)
        zz = np.concatenate([[0.0], z])
        g = softmax(zz)
        out.append(Case(f"reduced_jacobian: {name}", "reduced_jacobian", [z], J,
                        {USUAL_LAYOUT: J.T.copy(),
                         "kept a row for the removed node: z_L has p_L entries, so dS_L/dz_L has "
                         "p_L rows (one per logit) and p_L + 1 columns (one per g_k)":
                         softmax_jacobian(zz),
                         "left out the -g_{i+1} g_j part: dg_j/dz_{L,i} = g_{i+1}(I{j = i+1} "
                         "- g_j)": np.diag(g)[1:, :]}, cls, large_z=scale > 1))
    for name, n, p_L, scale, cls, first, last in (
            ("every label, n = 8, p_L = 3", 8, 3, 1.0, ("random z", LABEL_FIRST, LABEL_LAST),
             True, True),
            ("one example, label y = 0", 1, 3, 1.0, (ONE_EXAMPLE, LABEL_FIRST), True, False),
            ("two classes, p_L = 1", 6, 1, 1.0, ("two classes (p_L = 1)", LABEL_FIRST,
                                                 LABEL_LAST), True, True),
            ("large |z| ~ 1e3", 4, 3, 1e3, (LARGE_Z, LABEL_LAST), False, True)):
        Z = rng.normal(size=(n, p_L)) * scale
        if scale > 1:
            Z[:, 0] = np.abs(Z[:, 0]) + 800.0
        Y = _reduced_labels(rng, n, p_L, first, last)
        if n >= p_L + 1 and first and last:
            Y[: p_L + 1] = np.arange(p_L + 1)  # every label at least once
        D = reduced_ce_delta(Z, Y)
        G = reduced_softmax(Z)[:, 1:]
        wrapped = G.copy()
        wrapped[np.arange(n), (Y - 1) % p_L] -= 1.0  # delta[y - 1] without the y = 0 case
        variants = {"returned all p_L + 1 columns; Delta_L has one column per remaining output "
                    "node (units 2, ..., p_L + 1)": softmax_ce_delta(
                        np.concatenate([np.zeros((n, 1)), Z], axis=1), Y),
                    SIGN: -D}
        if (Y == 0).any():
            variants[LABEL0_REDUCED] = wrapped
        out.append(Case(f"reduced_delta: {name}", "reduced_delta", [Z, Y], D, variants, cls,
                        large_z=scale > 1))
    return out


# --- ex11: a training loop -------------------------------------------------------------------
#: The fixed problem of exercise 11's statement (also written out in the notebook).
EX11_P, EX11_ALPHA, EX11_STEPS, EX11_TARGET = (2, 8, 3), 0.5, 200, 0.06


def training_problem() -> tuple[np.ndarray, np.ndarray, list, list]:
    """Exercise 11's problem: three Gaussian blobs of 40 points in the plane (labels 0, 1, 2),
    and the initial network p = (2, 8, 3): W_l ~ N(0, 1/p_{l-1}), b_l = 0, from
    default_rng(1); the data from default_rng(0)."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 2.0], [-1.8, -1.0], [1.8, -1.0]])
    X = np.concatenate([c + 0.8 * rng.normal(size=(40, 2)) for c in centres])
    Y = np.repeat(np.arange(3), 40)
    init = np.random.default_rng(1)
    p = EX11_P
    W = [None] + [init.normal(0.0, np.sqrt(1.0 / p[l - 1]), size=(p[l], p[l - 1]))
                  for l in range(1, len(p))]
    b = [None] + [np.zeros(p[l]) for l in range(1, len(p))]
    return X, Y, W, b


def _train(W, b, S, X, Y, alpha, steps, *, sign=1.0, mean=True):
    """Steepest descent theta <- theta - alpha * d ell_tau / d theta, with mistake switches;
    returns [W, b, losses] with losses[t] = ell_tau(theta_t), t = 0..steps."""
    net = Network.from_weights([w.copy() for w in W[1:]], [v.copy() for v in b[1:]],
                               hidden=list(S[1:-1]), output="softmax")
    n = X.shape[0]
    losses = []
    for _ in range(steps + 1):
        grad = algorithm2_batched(net, X, Y)
        losses.append(float(grad.C))
        if len(losses) == steps + 1:
            break
        k = 1.0 if mean else float(n)
        for l in range(1, net.L + 1):
            net.W[l] = net.W[l] - sign * alpha * k * grad.W[l]
            net.b[l] = net.b[l] - sign * alpha * k * grad.b[l]
    return [_copy_layers(net.W), _copy_layers(net.b), np.array(losses)]


def _mean_loss(W, b, S, X, Y, *, mean=True, shift=0):
    net = Network.from_weights(W[1:], b[1:], hidden=list(S[1:-1]), output="softmax")
    A = X
    for l in range(1, net.L + 1):
        Z = A @ net.W[l].T + net.b[l]
        A = ACTIVATIONS[S[l]].S(Z) if l < net.L else Z
    C = softmax_ce_loss(A, (Y - shift) % A.shape[1])
    return float(C.mean() if mean else C.sum())


def cases_ex11(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, p, hidden, n, scale, cls in (
            ("p = (3, 5, 4), tanh, n = 10", [3, 5, 4], ["tanh"], 10, 1.0,
             ("random", LABEL_FIRST, LABEL_LAST)),
            ("one example, n = 1", [2, 3, 3], ["relu"], 1, 1.0, (ONE_EXAMPLE,)),
            ("no hidden layer, p = (4, 3)", [4, 3], [], 6, 1.0, (NO_HIDDEN,)),
            ("large output logits |z_L| ~ 1e3", [3, 4, 3], ["tanh"], 5, 1e3, (LARGE_Z,))):
        W, b = _layers(rng, p)
        W[-1], b[-1] = W[-1] * scale, b[-1] * scale
        X = rng.normal(size=(n, p[0]))
        Y = _labels(rng, n, p[-1])
        S = [None, *hidden, "softmax"]
        variants = {"summed the C_i; the training loss is their mean, ell_tau = (1/n) sum_i C_i":
                    _mean_loss(W, b, S, X, Y, mean=False),
                    LABEL_UNIT_LOSS: _mean_loss(W, b, S, X, Y, shift=1)}
        with np.errstate(all="ignore"):
            out.append(Case(f"mean_loss: {name}", "mean_loss", [W, b, S, X, Y],
                            _mean_loss(W, b, S, X, Y), variants, cls, large_z=scale > 1))
    Xs, Ys, Ws, bs = training_problem()
    tspecs = [("the statement's problem: p = (2, 8, 3), tanh, alpha = 0.5, 200 steps",
               (Xs, Ys, Ws, bs), ["tanh"], EX11_ALPHA, EX11_STEPS, ("the statement's problem",),
               True)]
    for name, p, hidden, n, steps, cls in (
            ("p = (3, 4, 3), ReLU, n = 12, 5 steps", [3, 4, 3], ["relu"], 12, 5, ("random",)),
            ("zero steps", [2, 3, 2], ["tanh"], 4, 0, ("zero steps",)),
            ("one example, n = 1, 3 steps", [2, 3, 3], ["logistic"], 1, 3, (ONE_EXAMPLE,)),
            ("no hidden layer, p = (3, 4), 4 steps", [3, 4], [], 8, 4, (NO_HIDDEN,)),
            ("two hidden layers, p = (3, 4, 4, 2), 3 steps", [3, 4, 4, 2], ["tanh", "relu"], 7,
             3, ("two hidden layers",))):
        W, b = _layers(rng, p)
        X = rng.normal(size=(n, p[0]))
        Y = _labels(rng, n, p[-1])
        tspecs.append((name, (X, Y, W, b), hidden, float(rng.uniform(0.1, 0.5)), steps, cls,
                       False))
    for name, (X, Y, W, b), hidden, alpha, steps, cls, show in tspecs:
        S = [None, *hidden, "softmax"]
        expected = _train(W, b, S, X, Y, alpha, steps)
        variants = {"gradient ascent: steepest descent steps against the gradient, theta - "
                    "alpha * gradient": _train(W, b, S, X, Y, alpha, steps, sign=-1.0),
                    MISSING_MEAN: _train(W, b, S, X, Y, alpha, steps, mean=False)}
        out.append(Case(f"train: {name}", "train",
                        [_copy_layers(W), _copy_layers(b), S, X, Y, alpha, steps], expected,
                        variants, (*cls, "W and b watched"), unchanged=(0, 1), show=show))
    return out


# --- ex12: back-propagation through a scalar graph ---------------------------------------------
_UNARY = {"neg", "exp", "log", "tanh", "relu", "logistic"}
_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
           "div": operator.truediv}
_CONST = {"addc": operator.add, "mulc": operator.mul, "powc": operator.pow}


def build_graph(program: list[str], x: np.ndarray, node=Value) -> list:
    """Exercise 12's programs: node k is program[k]: "x" (the next input), "<unary> i",
    "<binary> i j" or "<op>c i c" (a constant c); the last node is the root. Returns the
    nodes, built with ``node`` (bplib's Value for the reference)."""
    nodes: list = []
    inputs = iter(float(v) for v in x)
    for line in program:
        op, *rest = line.split()
        if op == "x":
            nodes.append(node(next(inputs)))
        elif op in _UNARY:
            v = nodes[int(rest[0])]
            nodes.append(-v if op == "neg" else getattr(v, op)())
        elif op in _BINARY:
            u, v = nodes[int(rest[0])], nodes[int(rest[1])]
            nodes.append(_BINARY[op](u, v))
        elif op in _CONST:
            nodes.append(_CONST[op](nodes[int(rest[0])], float(rest[1])))
        else:
            raise ValueError(f"program: unknown operation {line!r}")
    return nodes


def _sweep(nodes: list, order: list, *, mode: str = "right", sweeps: int = 1) -> np.ndarray:
    """Reverse-mode sweeps over bplib Values (``order``: the root's topological order), right
    or as a typical mistake."""
    root = nodes[-1]
    for v in nodes:
        v.grad = 0.0
    for _ in range(sweeps):
        if mode != "no-reset":
            for v in order:
                v.grad = 0.0
        root.grad = 1.0
        sweep = order if mode == "forward-order" else list(reversed(order))
        for v in sweep:
            for child, local in v.children:
                if mode == "overwrite":
                    child.grad = v.grad * local
                elif mode == "no-upstream":
                    child.grad += local
                else:
                    child.grad += v.grad * local
    return np.array([v.grad for v in nodes])


class _Program:
    def __init__(self):
        self.lines: list[str] = []

    def add(self, line: str) -> int:
        self.lines.append(line)
        return len(self.lines) - 1


def _operands(line: str) -> list[int]:
    """The nodes a program line uses."""
    op, *rest = line.split()
    if op == "x":
        return []
    return [int(rest[0]), int(rest[1])] if op in _BINARY else [int(rest[0])]


def _random_program(rng, n_inputs: int, n_ops: int) -> list[str]:
    """Random operations on the last few nodes, after a fixed fan-out (node 0 used twice);
    then the nodes nothing uses are added up into the root, so every node reaches it."""
    prog = _Program()
    for _ in range(n_inputs):
        prog.add("x")
    prog.add(f"add {prog.add('mul 0 1')} 0")
    for _ in range(n_ops):
        k = len(prog.lines)
        op = str(rng.choice(["add", "sub", "mul", "tanh", "logistic", "mulc", "addc"]))
        i, j = (int(v) for v in rng.integers(max(0, k - 4), k, size=2))
        if op in _BINARY:
            prog.add(f"{op} {i} {j}")
        elif op in _CONST:
            prog.add(f"{op} {i} {rng.uniform(-1.5, 1.5):.3f}")
        else:
            prog.add(f"{op} {i}")
    used = {i for line in prog.lines for i in _operands(line)}
    root = None
    for k in range(len(prog.lines)):
        if k not in used:
            root = k if root is None else prog.add(f"add {root} {k}")
    return prog.lines


def _network_program(rng) -> tuple[list[str], np.ndarray]:
    """The loss C of a 2-2-2 tanh network with softmax + cross-entropy (label 1) as a program
    over x, W_1, b_1, W_2, b_2 (inputs in that order)."""
    prog = _Program()
    x = [prog.add("x") for _ in range(2)]
    W1 = [[prog.add("x") for _ in range(2)] for _ in range(2)]
    b1 = [prog.add("x") for _ in range(2)]
    W2 = [[prog.add("x") for _ in range(2)] for _ in range(2)]
    b2 = [prog.add("x") for _ in range(2)]
    def affine(Wl, bl, a):  # z_i = b_i + sum_j W_ij a_j, one scalar operation per node
        out = []
        for i in range(2):
            s = prog.add(f"add {prog.add(f'mul {Wl[i][0]} {a[0]}')} "
                         f"{prog.add(f'mul {Wl[i][1]} {a[1]}')}")
            out.append(prog.add(f"add {s} {bl[i]}"))
        return out

    a1 = [prog.add(f"tanh {z}") for z in affine(W1, b1, x)]
    z2 = affine(W2, b2, a1)
    e0, e1 = prog.add(f"exp {z2[0]}"), prog.add(f"exp {z2[1]}")
    lse = prog.add(f"log {prog.add(f'add {e0} {e1}')}")
    prog.add(f"sub {lse} {z2[1]}")  # C = ln(sum_k exp z_2,k) - z_{2,y+1} with label y = 1
    return prog.lines, rng.normal(size=14) * 0.8


def cases_ex12(rng: np.random.Generator) -> list[Case]:
    x2 = rng.uniform(0.5, 1.5, size=2)
    chain = ["x"] + [f"{'mulc' if k % 2 else 'addc'} {k} {1.0 if k % 2 else 0.001}"
                     for k in range(3000)]
    net_prog, net_x = _network_program(rng)
    specs = [("the root is a leaf", ["x"], rng.normal(size=1), 1, ("root is a leaf",)),
             ("a node used twice: (x0 * x1) * x0", ["x", "x", "mul 0 1", "mul 2 0",
                                                    "tanh 3"], x2, 1,
              ("fan-out (a node used twice)",)),
             ("two paths: exp(x) * tanh(x) + exp(x)", ["x", "exp 0", "tanh 0", "mul 1 2",
                                                      "add 3 1"], x2[:1], 1, ("two paths",)),
             ("nodes the root does not use", ["x", "x", "exp 1", "mul 0 0", "logistic 3"], x2,
              1, ("unused node",)),
             ("a chain of 3001 nodes", chain, rng.normal(size=1), 1,
              ("deep chain (3001 nodes)",)),
             ("backward called twice", ["x", "x", "mul 0 1", "add 2 0", "tanh 3"], x2, 2,
              ("two sweeps", "fan-out (a node used twice)")),
             ("the loss of a 2-2-2 tanh network", net_prog, net_x, 1, ("network loss",)),
             ("a random graph", _random_program(rng, 3, 25), rng.normal(size=3), 1,
              ("random graph", "fan-out (a node used twice)"))]
    out = []
    for name, program, x, sweeps, cls in specs:
        nodes = build_graph(program, x)
        order = topological_order(nodes[-1])
        expected = _sweep(nodes, order, sweeps=sweeps)
        variants = {}
        for mode, why in (
                ("overwrite", "grad overwritten: a node used by several nodes gets the sum of "
                              "what each passes back (child.grad += ...), not the last one"),
                ("forward-order", "wrong order: a node passes its grad on only after every node "
                                  "that uses it has passed theirs, so sweep the topological "
                                  "order in reverse (root first)"),
                ("no-upstream", "missing upstream factor: a child gets grad(node) * "
                                "d(node)/d(child), not the local derivative alone"),
                ("no-reset", "grads accumulate across calls: backward sets every grad of the "
                             "graph to 0 before the sweep")):
            got = _sweep(nodes, order, mode=mode, sweeps=sweeps)
            if not np.allclose(got, expected, rtol=1e-9, atol=1e-12):
                variants[why] = got
        out.append(Case(f"graph_gradients: {name}", "graph_gradients",
                        [list(program), np.asarray(x, dtype=np.float64), sweeps], expected,
                        variants, cls, rtol=1e-9, atol=1e-12))
    return out


GENERATORS: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "ex1": cases_ex1, "ex2": cases_ex2, "ex3": cases_ex3, "ex4": cases_ex4,
    "ex5": cases_ex5, "ex6": cases_ex6, "ex7": cases_ex7, "ex8": cases_ex8,
    "ex9": cases_ex9, "ex10": cases_ex10, "ex11": cases_ex11, "ex12": cases_ex12,
}


def make_cases(ex_id: str, seed: int) -> list[Case]:
    """The cases of one exercise for ``seed`` (each exercise gets its own stream), with the
    statement's names of each function's result and arguments from the manifest.

    Drawn once per (exercise, seed) and shared: a grading run uses one seed for every
    submission. Treat the cases as read-only (the self-check passes copies of the inputs)."""
    return list(_draw(ex_id, int(seed)))


@functools.lru_cache(maxsize=64)
def _draw(ex_id: str, seed: int) -> tuple[Case, ...]:
    if ex_id not in GENERATORS:
        raise ValueError(f"ex_id: expected one of {sorted(GENERATORS)}, got {ex_id!r}")
    rng = np.random.default_rng([seed, int(ex_id[2:])])
    ex = load_manifest()[ex_id]
    cases = GENERATORS[ex_id](rng)
    for case in cases:
        case.result = ex.result_name(case.function)
        case.arg_names = tuple(ex.functions[case.function]["args"])
    return tuple(cases)


def case_inputs(ex_id: str, index: int, seed: int = PUBLIC_SEED) -> list:
    """The arguments of case ``index`` of ``ex_id`` drawn with ``seed`` (a fresh copy): what
    the feedback's "re-run it" line calls."""
    cases = make_cases(ex_id, seed)
    if not 0 <= index < len(cases):
        raise IndexError(f"index: exercise {ex_id} has cases 0..{len(cases) - 1}, got {index}")
    return copy.deepcopy(cases[index].args)


def rerun_line(ex_id: str, index: int, seed: int, function: str) -> str:
    """One line to paste in the notebook that calls the function on exactly these inputs."""
    return (f"from bplib.grading.selfcheck import inputs; "
            f"{function}(*inputs({ex_id!r}, {index}, seed={seed}))")


def describe_args(case: Case, limit: int = 1500) -> str:
    """The case's inputs, printed compactly with 6 significant digits (never any test code)."""
    parts = []
    for name, v in zip(case.arg_names, case.args, strict=False):
        if isinstance(v, np.ndarray):
            parts.append(f"{name} = {array_text(v)}")
        elif isinstance(v, list) and any(isinstance(u, np.ndarray) for u in v):
            for i, u in enumerate(v):
                if u is not None:
                    parts.append(f"{name}[{i}] = {array_text(u)}")
        elif isinstance(v, list) and v and all(isinstance(u, str) for u in v) and len(v) > 12:
            parts.append(f"{name} = [{', '.join(map(repr, v[:6]))}, ... ({len(v)} lines)]")
        elif isinstance(v, FunctionSpec):
            data = "; ".join(f"{k} = {array_text(a)}" for k, a in v.arrays.items())
            parts.append(f"{name}: {v.describe()}, with {data}")
        elif isinstance(v, float):
            parts.append(f"{name} = {float(v) + 0.0!r}")  # the shortest exact decimal
        else:
            parts.append(f"{name} = {v!r}")
    text = "\n".join(parts)
    return text if len(text) <= limit else text[:limit] + "\n... (the line above re-runs it " \
                                                          "with every value)"
