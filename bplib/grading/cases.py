"""Grader-side test cases: inputs drawn from a seed, bplib's reference outputs, and the outputs
of the common mistakes (used to diagnose a wrong answer from its signature).

Everything here runs in the grader's (or, for the self-check, the student's) own process; the
student's process only ever sees the inputs. Each exercise has a generator
``cases_exN(rng) -> list[Case]``; cases marked ``public`` are the ones the self-check shows.
Edge cases (one example, one hidden unit, large |z|, non-square layers, z exactly 0 under a
ReLU, a network without hidden layer) are drawn for the official grade only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import ACTIVATIONS, softmax, softmax_naive
from ..backprop import algorithm1_steps, algorithm2_loop
from ..gradcheck import relative_error
from ..losses import one_hot, reduced_ce_delta, softmax_ce_delta
from ..network import Network, dim_theta, pack, unpack
from .worker import make_function

# --- what the feedback says when a wrong answer matches a typical mistake --------------------
MISSING_DS = ("missing S'(z) factor: delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ (W_l^T delta_l) needs the "
              "element-wise product with S'")
TRANSPOSED_W = ("transposed W: the backward step multiplies by W_l^T (shape (p_{l-1}, p_l)), "
                "not by W_l")
DW_TRANSPOSED = ("dC/dW_l = delta_l a_{l-1}^T has the shape of W_l, (p_l, p_{l-1}); you "
                 "returned its transpose")
MISSING_MEAN = ("missing 1/n: Algorithm 2 averages over the n examples (the training loss is "
                "(1/n) sum_i C_i)")
SIGN = "sign error: the result is the negative of the expected one"
EXTRA_DS_SOFTMAX = ("extra S' factor: for softmax + cross-entropy, S_L' and dC/dg cancel and "
                    "delta_L = g - e_y exactly; do not multiply by g(1 - g)")
OVERFLOW = ("softmax overflow: exp(z) overflows for large |z|; subtract max(z) before "
            "exponentiating (the result is unchanged)")
RELU0 = ("ReLU'(0) convention: bplib uses ReLU'(0) = 0 (z > 0, not z >= 0), so a unit with "
         "z exactly 0 passes no gradient back")
DS_AT_A = "S' evaluated at a = S(z) instead of at z"
FORWARD_DIFF = ("forward difference (f(theta + h e_i) - f(theta)) / h: the central difference is "
                "(f(theta + h e_i) - f(theta - h e_i)) / (2h)")
HALF = "missing 1/2: the central difference divides by 2h, not by h"


@dataclass(frozen=True)
class FunctionSpec:
    """A test function f(theta) passed to the student as data (see worker.make_function)."""

    kind: str
    arrays: dict[str, np.ndarray]

    def __call__(self, theta: np.ndarray) -> float:
        return make_function(self.kind, self.arrays)(theta)


@dataclass
class Case:
    """One test: call ``function(*args)``; the answer must match ``expected``."""

    name: str
    function: str
    args: list
    expected: Any
    variants: dict[str, Any] = field(default_factory=dict)  # diagnosis -> mistaken output
    public: bool = False
    rtol: float = 1e-6
    atol: float = 1e-8
    large_z: bool = False  # a non-finite answer here means an overflow


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


# --- ex1: dim(theta), pack, unpack -----------------------------------------------------------
def cases_ex1(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, p, public in (("three layers", [int(v) for v in rng.integers(1, 6, 4)], True),
                            ("one input, one output", [1, 1], False),
                            ("five layers, a width-1 layer", [7, 1, 3, 2, 5], False)):
        weights_only = sum(p[l - 1] * p[l] for l in range(1, len(p)))
        out.append(Case(f"count_params: {name}, p = {p}", "count_params", [list(p)], dim_theta(p),
                        {"counted only the weights; each layer also has p_l biases":
                         weights_only}, public=public))
    for name, p, public in (("p = (3, 4, 2)", [3, 4, 2], True),
                            ("non-square layers, one hidden unit", [4, 1, 3], False),
                            ("one layer", [2, 5], False)):
        W, b = _layers(rng, p)
        col_major = np.concatenate([v for l in range(1, len(p)) for v in (W[l].T.ravel(), b[l])])
        w_first = np.concatenate([W[l].ravel() for l in range(1, len(p))]
                                 + [b[l] for l in range(1, len(p))])
        out.append(Case(f"pack_theta: {name}", "pack_theta", [W, b], pack(W, b),
                        {"packed W_l column by column; theta stacks the rows of W_l "
                         "(W_l.reshape(-1))": col_major,
                         "put all W_l first, then all b_l; theta stacks W_1, b_1, W_2, b_2, ...":
                         w_first}, public=public))
        theta = rng.normal(size=dim_theta(p))
        Wu, bu = unpack(theta, p)
        Wf = [None]
        i = 0
        for l in range(1, len(p)):
            Wf.append(theta[i:i + p[l] * p[l - 1]].reshape(p[l], p[l - 1], order="F"))
            i += p[l] * p[l - 1] + p[l]
        out.append(Case(f"unpack_theta: {name}", "unpack_theta", [theta, list(p)],
                        [[None] + [w.copy() for w in Wu[1:]], [None] + [v.copy() for v in bu[1:]]],
                        {"filled W_l column by column; theta holds the rows of W_l":
                         [Wf, [None] + [v.copy() for v in bu[1:]]]}, public=public))
    return out


# --- ex2: softmax and delta_L for softmax + cross-entropy ------------------------------------
def cases_ex2(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, z, public, big in (("random z", rng.normal(size=5), True, False),
                                 ("one class", rng.normal(size=1), False, False),
                                 ("large |z| ~ 1e3", np.array([1e3, -1e3, 1.0, 0.0])
                                  + rng.normal(size=4), False, True),
                                 ("equal logits", np.full(3, 2.5), False, False)):
        out.append(Case(f"stable_softmax: {name}", "stable_softmax", [z], softmax(z),
                        {}, public=public, large_z=big))
    for name, c, public, big in (("random z, 4 classes", 4, True, False),
                                 ("large |z| ~ 1e3", 5, False, True),
                                 ("one class", 1, False, False)):
        z = rng.normal(size=c) * (1e3 if big else 1.0)
        if big:
            z[0] = abs(z[0]) + 800.0  # exp(z_0) overflows unless max(z) is subtracted
        y = int(rng.integers(c))
        g = softmax(z)
        d = softmax_ce_delta(z, y)
        out.append(Case(f"delta_softmax_ce: {name}, y = {y}", "delta_softmax_ce", [z, y], d,
                        {EXTRA_DS_SOFTMAX: d * g * (1 - g), SIGN: -d},
                        public=public, large_z=big))
    for name, p_L, y, public, big in (("random z, p_L = 3", 3, None, True, False),
                                      ("label y = 0 (class 0)", 3, 0, False, False),
                                      ("p_L = 1 (two classes)", 1, None, False, False),
                                      ("large |z| ~ 1e3", 4, None, False, True)):
        z = rng.normal(size=p_L) * (1e3 if big else 1.0)
        if big:
            z[0] = abs(z[0]) + 800.0
        y = int(rng.integers(1, p_L + 1)) if y is None else y
        d = reduced_ce_delta(z, y)
        full = softmax_ce_delta(np.concatenate([[0.0], z]), y)
        g = softmax(np.concatenate([[0.0], z]))[1:]
        out.append(Case(f"delta_reduced_ce: {name}, y = {y}", "delta_reduced_ce", [z, y], d,
                        {"returned all p_L + 1 entries; the reduced model's delta_L drops "
                         "class 0's entry": full,
                         "treated z as all the logits; class 0 has the fixed logit z_0 = 0, "
                         "so g = softmax([0, z])": softmax(z) - one_hot(np.asarray(y), p_L + 1)[1:],
                         EXTRA_DS_SOFTMAX: d * g * (1 - g), SIGN: -d},
                        public=public, large_z=big))
    return out


# --- ex3: element-wise S_L + squared error ---------------------------------------------------
def cases_ex3(rng: np.random.Generator) -> list[Case]:
    out = []
    specs = (("logistic, random", "logistic", 4, 1.0, True, False),
             ("tanh, random", "tanh", 3, 1.0, True, False),
             ("ReLU with some z exactly 0", "relu", 5, 1.0, False, True),
             ("identity", "identity", 3, 1.0, False, False),
             ("logistic, large |z| ~ 1e3 (saturated)", "logistic", 4, 1e3, False, False),
             ("tanh, one output", "tanh", 1, 1.0, False, False))
    for name, act, p_L, scale, public, zeros in specs:
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
                         RELU0: _dS(act, z, relu0=1.0) * 2 * (g - y)},
                        public=public))
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


def _ex4_case(rng, name, p, hidden, *, public=False, zero_rows=False, x_scale=1.0):
    L = len(p) - 1
    W, b = _layers(rng, p)
    for l in range(1, L):
        if hidden[l - 1] == "relu":
            b[l][-1] -= 4.0  # one unit surely off, so S' = 0 matters for it
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
    expected = [[None] + [v.copy() for v in last.dW[1:]], [None] + [v.copy() for v in last.db[1:]]]
    variants = {MISSING_DS: _backward(W, z, a, delta_L, S, ds=False),
                SIGN: _backward(W, z, a, delta_L, S, sign=-1.0),
                DW_TRANSPOSED: _backward(W, z, a, delta_L, S, dw_transposed=True),
                DS_AT_A: _backward(W, z, a, delta_L, S, ds_at_a=True)}
    if "relu" in hidden:
        variants[RELU0] = _backward(W, z, a, delta_L, S, relu0=1.0)
    if all(p[l] == p[l - 1] for l in range(2, L + 1)):
        variants[TRANSPOSED_W] = _backward(W, z, a, delta_L, S, transpose=True)
    return Case(f"backprop_example: {name}", "backprop_example", [W, z, a, delta_L, S],
                expected, variants, public=public, large_z=x_scale > 10)


def cases_ex4(rng: np.random.Generator) -> list[Case]:
    return [
        _ex4_case(rng, "p = (3, 4, 2), ReLU", [3, 4, 2], ["relu"], public=True),
        _ex4_case(rng, "square layers p = (3, 3, 3, 3), tanh", [3, 3, 3, 3], ["tanh"] * 2,
                  public=True),
        _ex4_case(rng, "one hidden unit p = (4, 1, 3), logistic", [4, 1, 3], ["logistic"]),
        _ex4_case(rng, "non-square layers p = (5, 3, 4, 2), ReLU then tanh", [5, 3, 4, 2],
                  ["relu", "tanh"]),
        _ex4_case(rng, "ReLU units with z exactly 0", [3, 4, 4, 2], ["relu", "relu"],
                  zero_rows=True),
        _ex4_case(rng, "large |z| ~ 1e3, logistic (saturated)", [3, 4, 2], ["logistic"],
                  x_scale=1e3),
        _ex4_case(rng, "no hidden layer p = (4, 3)", [4, 3], []),
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


def _ex5_case(rng, name, p, hidden, n, *, public=False, zero_row=False, out_scale=1.0):
    L = len(p) - 1
    W, b = _layers(rng, p)
    X = rng.normal(size=(n, p[0]))
    if zero_row:  # first example all zeros and b_1 = 0: every z_1 of it is exactly 0
        X[0] = 0.0
        b[1][:] = 0.0
    W[L] *= out_scale
    b[L] *= out_scale
    Y = rng.integers(p[L], size=n)
    net = Network.from_weights(W[1:], b[1:], hidden=list(hidden), output="softmax")
    grad = algorithm2_loop(net, X, Y)
    S = [None, *hidden, "softmax"]
    expected = [[None] + [v.copy() for v in grad.W[1:]], [None] + [v.copy() for v in grad.b[1:]]]
    variants = {MISSING_MEAN: _batched(W, b, S, X, Y, mean=False),
                MISSING_DS: _batched(W, b, S, X, Y, ds=False),
                SIGN: _batched(W, b, S, X, Y, sign=-1.0)}
    if "relu" in hidden:
        variants[RELU0] = _batched(W, b, S, X, Y, relu0=1.0)
    if all(p[l] == p[l - 1] for l in range(2, L + 1)):
        variants[TRANSPOSED_W] = _batched(W, b, S, X, Y, transpose=True)
    return Case(f"batched_gradient: {name}", "batched_gradient", [W, b, S, X, Y], expected,
                variants, public=public, large_z=out_scale > 10)


def cases_ex5(rng: np.random.Generator) -> list[Case]:
    return [
        _ex5_case(rng, "p = (3, 5, 4), ReLU, n = 8", [3, 5, 4], ["relu"], 8, public=True),
        _ex5_case(rng, "one example n = 1, tanh", [2, 3, 2], ["tanh"], 1, public=True),
        _ex5_case(rng, "one hidden unit p = (3, 1, 2), logistic", [3, 1, 2], ["logistic"], 5),
        _ex5_case(rng, "square layers p = (4, 4, 4, 4), tanh", [4, 4, 4, 4], ["tanh"] * 2, 6),
        _ex5_case(rng, "ReLU units with z exactly 0", [3, 4, 3], ["relu"], 5, zero_row=True),
        _ex5_case(rng, "large output logits |z_L| ~ 1e3", [3, 4, 3], ["tanh"], 6,
                  out_scale=1e3),
        _ex5_case(rng, "no hidden layer p = (4, 3), n = 5", [4, 3], [], 5),
    ]


# --- ex6: central differences and the relative error -----------------------------------------
def _central(f: Callable, theta: np.ndarray, h: float, kind: str = "central") -> np.ndarray:
    g = np.empty(theta.shape[0])
    for i in range(theta.shape[0]):
        e = np.zeros_like(theta)
        e[i] = h
        if kind == "central":
            g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
        elif kind == "forward":
            g[i] = (f(theta + e) - f(theta)) / h
        else:  # missing 1/2
            g[i] = (f(theta + e) - f(theta - e)) / h
    return g


def cases_ex6(rng: np.random.Generator) -> list[Case]:
    out = []
    A = rng.normal(size=(5, 5))
    specs = [
        ("quadratic, dim 5, h = 1e-5", FunctionSpec("quadratic", {"A": A + A.T,
                                                                  "c": rng.normal(size=5)}),
         5, 1e-5, True, 1e-6, 1e-8),
        ("cubic, dim 4, h = 1e-3", FunctionSpec("cubic", {"c3": rng.normal(size=4),
                                                          "c2": rng.normal(size=4)}),
         4, 1e-3, False, 1e-6, 1e-8),
        ("cubic, dim 1, h = 1e-3", FunctionSpec("cubic", {"c3": rng.normal(size=1),
                                                          "c2": rng.normal(size=1)}),
         1, 1e-3, False, 1e-6, 1e-8),
    ]
    X = rng.normal(size=(6, 3))
    specs.append(("network loss, p = (3, 3, 2), h = 1e-6",
                  FunctionSpec("net", {"X": X, "y": rng.integers(2, size=6),
                                       "p": np.array([3, 3, 2])}),
                  dim_theta([3, 3, 2]), 1e-6, False, 1e-5, 1e-7))
    for name, f, d, h, public, rtol, atol in specs:
        theta = rng.normal(size=d)
        out.append(Case(f"central_diff: {name}", "central_diff", [f, theta, h],
                        _central(f, theta, h),
                        {FORWARD_DIFF: _central(f, theta, h, "forward"),
                         HALF: _central(f, theta, h, "half"),
                         SIGN: -_central(f, theta, h)},
                        public=public, rtol=rtol, atol=atol))
    g = rng.normal(size=6)
    for name, g1, g2, public in (("random vectors", g, rng.normal(size=6), True),
                                 ("equal vectors", g, g.copy(), False),
                                 ("both zero", np.zeros(4), np.zeros(4), False),
                                 ("second vector zero", g, np.zeros(6), False),
                                 ("g2 = 1.001 g1", g, 1.001 * g, False)):
        num = float(np.linalg.norm(g1 - g2))
        variants = {}
        if np.linalg.norm(g1):
            variants["divided by ||g1|| only; use ||g1|| + ||g2|| (and guard against 0)"] = (
                num / float(np.linalg.norm(g1)))
        out.append(Case(f"rel_error: {name}", "rel_error", [g1, g2], relative_error(g1, g2),
                        variants, public=public, rtol=1e-9, atol=1e-12))
    return out


GENERATORS: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "ex1": cases_ex1, "ex2": cases_ex2, "ex3": cases_ex3, "ex4": cases_ex4,
    "ex5": cases_ex5, "ex6": cases_ex6,
}


def make_cases(ex_id: str, seed: int, public_only: bool = False) -> list[Case]:
    """The cases of one exercise for ``seed`` (each exercise gets its own stream)."""
    rng = np.random.default_rng([seed, int(ex_id[2:])])
    cases = GENERATORS[ex_id](rng)
    return [c for c in cases if c.public] if public_only else cases


# --- judging an answer -----------------------------------------------------------------------
def structure_error(got: Any, expected: Any, path: str = "result") -> str | None:
    """Why ``got`` does not have the structure of ``expected`` (None: it does).

    Arrays: plain numeric ndarray of exactly the expected shape (no broadcasting), finite.
    """
    if expected is None:
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{path}: expected a NumPy array of shape {expected.shape}, got {_kind(got)}"
        if got.dtype.kind not in "iuf":
            return f"{path}: expected a float array, got dtype {got.dtype}"
        if got.shape != expected.shape:
            return f"{path}: expected shape {expected.shape}, got shape {got.shape}"
        if not np.all(np.isfinite(got)):
            return f"{path}: contains nan or inf"
        return None
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, int):
            return None
        return f"{path}: expected an int, got {_kind(got)}"
    if isinstance(expected, float):
        if not isinstance(got, (int, float)):
            return f"{path}: expected a float, got {_kind(got)}"
        return None if np.isfinite(got) else f"{path}: is {got}"
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, list):
            return f"{path}: expected a list/tuple of {len(expected)} items, got {_kind(got)}"
        if len(got) != len(expected):
            return f"{path}: expected {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = structure_error(g, e, f"{path}[{i}]")
            if msg:
                return msg
        return None
    raise TypeError(f"expected: unsupported reference type {type(expected).__name__}")


def _kind(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, list):
        return f"a list of {len(v)} items"
    return "None" if v is None else f"a {type(v).__name__}"


def first_difference(got: Any, expected: Any, rtol: float, atol: float,
                     path: str = "result") -> str | None:
    """Where a structurally valid ``got`` differs from ``expected`` (None: all close)."""
    if expected is None:
        return None
    if isinstance(expected, (list, tuple)):
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = first_difference(g, e, rtol, atol, f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (int, np.integer)):
        return None if got == expected else f"{path}: expected {expected}, got {got}"
    e = np.asarray(expected, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    bad = np.abs(g - e) > atol + rtol * np.abs(e)
    if not bad.any():
        return None
    if e.ndim == 0:
        return f"{path}: expected {float(e):.6g}, got {float(g):.6g}"
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{path}: {int(bad.sum())} of {e.size} entries differ; e.g. at index {idx} expected "
            f"{e[idx]:.6g}, got {g[idx]:.6g}")


@dataclass
class Verdict:
    passed: bool
    message: str = ""  # what is wrong (empty when passed)
    diagnosis: str = ""  # the typical mistake the answer matches, if any


def judge(case: Case, got: Any) -> Verdict:
    """Compare a decoded answer with the reference, then with the known mistakes."""
    problem = structure_error(got, case.expected)
    if problem is None:
        problem = first_difference(got, case.expected, case.rtol, case.atol)
        if problem is None:
            return Verdict(True)
    for diagnosis, variant in case.variants.items():
        if (structure_error(got, variant) is None
                and first_difference(got, variant, case.rtol, case.atol) is None):
            return Verdict(False, problem, diagnosis)
    if case.large_z and "nan or inf" in problem:
        return Verdict(False, problem, OVERFLOW)
    return Verdict(False, problem)


def to_data(value: Any, depth: int = 0) -> Any:
    """A return value as the grader would receive it (numbers, arrays, lists; else raise).

    Used by the self-check, which runs in the student's kernel; mirrors worker.encode.
    """
    if depth > 4:
        raise TypeError("nested more than 4 levels deep")
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("returned a bool, expected numbers or arrays")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        arr = np.array(value, subok=False, copy=True)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"returned an array of dtype {arr.dtype}, expected numbers")
        return arr
    if isinstance(value, (list, tuple)):
        return [to_data(v, depth + 1) for v in value]
    raise TypeError(f"returned a {type(value).__name__}, expected a number, a NumPy array or a "
                    "list/tuple of them")


def describe_args(case: Case, names: list[str], limit: int = 1500) -> str:
    """The counterexample's inputs, printed compactly (never any test code)."""
    opts = {"precision": 4, "threshold": 30, "edgeitems": 3, "max_line_width": 90}
    parts = []
    for name, v in zip(names, case.args, strict=False):
        if isinstance(v, np.ndarray):
            parts.append(f"{name} = {np.array2string(v, **opts)}")
        elif isinstance(v, list) and any(isinstance(u, np.ndarray) for u in v):
            for i, u in enumerate(v):
                if u is not None:
                    parts.append(f"{name}[{i}] = {np.array2string(np.asarray(u), **opts)}")
        elif isinstance(v, FunctionSpec):
            shapes = ", ".join(f"{k} {a.shape}" for k, a in v.arrays.items())
            parts.append(f"{name} = a {v.kind} test function (data: {shapes})")
        else:
            parts.append(f"{name} = {v!r}")
    text = "\n".join(parts)
    return text if len(text) <= limit else text[:limit] + "\n..."
