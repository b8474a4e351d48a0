"""Test submissions for the grader, generated from solutions/ by small edits.

Each entry of BUGGY is a typical student mistake with the grading it must get; TAMPER and BAD
are attempts to cheat and broken submissions. ``build(dest, edits)`` copies solutions/ to
``dest`` and applies the edits to the exercise cells. Run this file to write them all to
tests/data/submissions/ for a look:  .venv/bin/python tests/grading_submissions.py
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

Edit = Callable[[str], str]  # exercise-cell source -> new source


@cache
def sandbox_problem() -> str | None:
    """None when the grader's sandbox works here, else why it does not."""
    from bplib.grading.runner import SandboxUnavailable, check_sandbox

    try:
        check_sandbox()
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def require_sandbox() -> None:
    """Skip without a working sandbox, unless BPLIB_REQUIRE_SANDBOX=1 (CI sets it): then fail."""
    import pytest

    problem = sandbox_problem()
    if problem:
        stop = pytest.fail if os.environ.get("BPLIB_REQUIRE_SANDBOX") == "1" else pytest.skip
        stop(f"the grader's sandbox is not usable here, so this sandbox test is not run: "
             f"{problem}")


def mode_args() -> list[str]:
    """Grade in the sandbox where it works; elsewhere (an unprivileged user without user
    namespaces) with --no-sandbox, so honest grading is still tested there."""
    if sandbox_problem() and os.environ.get("BPLIB_REQUIRE_SANDBOX") != "1":
        return ["--no-sandbox"]
    return []


def replace(old: str, new: str) -> Edit:
    def edit(src: str) -> str:
        if old not in src:
            raise AssertionError(f"test submission: {old!r} not in the solution cell")
        return src.replace(old, new)

    return edit


def chain(*edits: Edit) -> Edit:
    """The edits one after the other."""
    def edit(src: str) -> str:
        for e in edits:
            src = e(src)
        return src

    return edit


def append(text: str) -> Edit:
    return lambda src: src + "\n" + text


def build(dest: Path, edits: dict[str, Edit] | None = None, source: Path = SOLUTIONS,
          notebook_ops: Callable[[dict[str, nbformat.NotebookNode]], None] | None = None) -> Path:
    """Copy the notebooks of ``source`` into ``dest``, editing exercise cells by id."""
    from bplib.grading.manifest import load_manifest

    dest.mkdir(parents=True, exist_ok=True)
    cell_of = {ex.cell: ex_id for ex_id, ex in load_manifest().items()}
    nbs = {p.name: nbformat.read(p, as_version=4) for p in sorted(source.glob("ex*.ipynb"))}
    for nb in nbs.values():
        for cell in nb.cells:
            ex_id = cell_of.get(cell.get("id"))
            if ex_id and edits and ex_id in edits:
                cell.source = edits[ex_id](cell.source)
    if notebook_ops:
        notebook_ops(nbs)
    for name, nb in nbs.items():
        with warnings.catch_warnings():  # duplicated cell ids are what some tests want
            warnings.simplefilter("ignore")
            (dest / name).write_text(nbformat.writes(nb))
    return dest


@dataclass
class Buggy:
    """A mistake in one exercise: what must pass, what must fail, and the diagnosis."""

    exercise: str
    edit: Edit
    must_fail: list[str]  # substrings of test names
    must_pass: list[str] = field(default_factory=list)
    diagnosis: str = ""  # substring of the diagnosis on some failed test


BUGGY: dict[str, Buggy] = {
    "ex4_missing_dS": Buggy(
        "ex4", replace("delta = ACTIVATIONS[S[l - 1]].dS(z[l - 1]) * (W[l].T @ delta)",
                       "delta = W[l].T @ delta"),
        must_fail=["square layers", "one hidden unit", "large |z|"],
        must_pass=["no hidden layer"], diagnosis="missing S'(z) factor"),
    "ex4_transposed_W": Buggy(
        "ex4", replace("(W[l].T @ delta)", "(W[l] @ delta)"),
        must_fail=["square layers", "non-square layers", "one hidden unit"],
        must_pass=["no hidden layer"], diagnosis="transposed W"),
    "ex4_relu0": Buggy(
        "ex4", replace("delta = ACTIVATIONS[S[l - 1]].dS(z[l - 1]) * (W[l].T @ delta)",
                       "dS = (z[l - 1] >= 0) if S[l - 1] == 'relu' else "
                       "ACTIVATIONS[S[l - 1]].dS(z[l - 1])\n"
                       "            delta = dS * (W[l].T @ delta)"),
        must_fail=["z exactly 0"],
        must_pass=["square layers", "one hidden unit", "non-square", "large |z|",
                   "no hidden layer"], diagnosis="ReLU'(0)"),
    "ex4_sign": Buggy(
        "ex4", replace("delta = ACTIVATIONS", "delta = -ACTIVATIONS"),
        must_fail=["square layers", "one hidden unit"], must_pass=["no hidden layer"],
        diagnosis="sign error"),
    "ex5_missing_mean": Buggy(
        "ex5", replace("    D /= n  # the mean over the examples\n", ""),
        must_fail=["n = 8", "square layers", "no hidden layer"],
        must_pass=["one example n = 1"], diagnosis="missing 1/n"),
    "ex5_naive_softmax": Buggy(
        "ex5", replace("D = softmax(Z[L])",
                       "D = np.exp(Z[L]) / np.exp(Z[L]).sum(axis=1, keepdims=True)"),
        must_fail=["large output logits"],
        must_pass=["n = 8", "one example", "square layers", "z exactly 0", "no hidden layer"],
        diagnosis="softmax overflow"),
    "ex2_extra_dS": Buggy(
        "ex2", replace("    delta = stable_softmax(z)\n    delta[y] -= 1.0  # the output unit of "
                       "label y is unit y + 1: g[y] in code\n    return delta\n",
                       "    g = stable_softmax(z)\n    delta = g.copy()\n    delta[y] -= 1.0\n"
                       "    return delta * g * (1 - g)\n"),
        must_fail=["delta_softmax_ce: random z", "delta_softmax_ce: large"],
        must_pass=["stable_softmax", "delta_reduced_ce"], diagnosis="extra S' factor"),
    "ex2_naive_softmax": Buggy(
        "ex2", replace("e = np.exp(z - np.max(z))", "e = np.exp(z)"),
        must_fail=["stable_softmax: large", "delta_softmax_ce: large", "delta_reduced_ce: large"],
        must_pass=["stable_softmax: random", "delta_softmax_ce: random"],
        diagnosis="softmax overflow"),
    "ex3_missing_dS": Buggy(
        "ex3", replace("return S.dS(z) * 2.0 * (g - y)", "return 2.0 * (g - y)"),
        must_fail=["logistic, random", "tanh, random", "saturated"], must_pass=["identity"],
        diagnosis="missing S'(z) factor"),
    "ex1_column_major": Buggy(
        "ex1", replace("parts += [W[l].reshape(-1), b[l]]", "parts += [W[l].T.reshape(-1), b[l]]"),
        must_fail=["pack_theta: p = (3, 4, 2)", "pack_theta: no hidden layer"],
        must_pass=["count_params", "unpack_theta"], diagnosis="column by column"),
    "ex6_forward_difference": Buggy(
        "ex6", replace("(f(theta + e) - f(theta - e)) / (2 * h)", "(f(theta + e) - f(theta)) / h"),
        must_fail=["quadratic", "cubic, dim 4"], must_pass=["rel_error"],
        diagnosis="forward difference"),
}

BUGGY.update({
    "ex7_reversed_norms": Buggy(
        "ex7", replace("    return np.array(norms)\n", "    return np.array(norms[::-1])\n"),
        must_fail=["the statement's network", "tanh"], must_pass=[],
        diagnosis="from l = L down to l = 1"),
    "ex8_usual_layout": Buggy(
        "ex8", replace("return ACTIVATIONS[activation].dS(z_prev)[:, None] * W.T",
                       "return (ACTIVATIONS[activation].dS(z_prev)[:, None] * W.T).T"),
        must_fail=["jacobian_z: tanh, non-square", "jacobian_z: logistic, square"],
        must_pass=["fd_jacobian"], diagnosis="usual Jacobian layout"),
    "ex8_forward_fd": Buggy(
        "ex8", replace("rows.append((np.asarray(f(u + e)) - np.asarray(f(u - e))) / (2 * h))",
                       "rows.append((np.asarray(f(u + e)) - np.asarray(f(u))) / h)"),
        must_fail=["fd_jacobian: tanh layer", "fd_jacobian: logistic layer"],
        must_pass=["jacobian_z", "fd_jacobian: identity layer"], diagnosis="forward difference"),
    "ex9_relu0": Buggy(
        "ex9", replace("bp = float(relu.dS(z1)[i] * (W[2].T @ g)[i])",
                       "bp = float((z1 >= 0)[i] * (W[2].T @ g)[i])"),
        must_fail=["z exactly 0"], must_pass=["predicted_ratio", "crossing, z = 0.4 h",
                                              "dead unit"], diagnosis="ReLU'(0)"),
    "ex9_missing_half": Buggy(
        "ex9", replace("return (z + h) / (2 * h) if z < h else 1.0",
                       "return (z + h) / h if z < h else 1.0"),
        must_fail=["predicted_ratio: crossing"], must_pass=["predicted_ratio: no crossing",
                                                            "fd_and_bp"],
        diagnosis="missing 1/2"),
    "ex10_label0": Buggy(
        "ex10", replace("    rows = np.nonzero(Y > 0)[0]\n    D[rows, Y[rows] - 1] -= 1.0",
                        "    rows = np.arange(len(Y))\n    D[rows, Y[rows] - 1] -= 1.0"),
        must_fail=["reduced_delta: every label", "reduced_delta: one example, label y = 0"],
        must_pass=["reduced_softmax", "reduced_jacobian"], diagnosis="label y = 0"),
    "ex10_usual_layout": Buggy(
        "ex10", replace("    return J\n", "    return J.T\n"),
        must_fail=["reduced_jacobian: p_L = 3"], must_pass=["reduced_softmax", "reduced_delta"],
        diagnosis="usual Jacobian layout"),
    "ex11_ascent": Buggy(
        "ex11", chain(replace("W[l] = W[l] - alpha * dW[l]", "W[l] = W[l] + alpha * dW[l]"),
                      replace("b[l] = b[l] - alpha * db[l]", "b[l] = b[l] + alpha * db[l]")),
        must_fail=["train: the statement's problem", "train: p = (3, 4, 3)"],
        must_pass=["mean_loss", "train: zero steps"], diagnosis="gradient ascent"),
    "ex11_in_place": Buggy(
        "ex11", chain(replace("    W = [None] + [w.copy() for w in W[1:]]  # copies: the "
                              "caller's W and b stay as they were\n    b = [None] + "
                              "[v.copy() for v in b[1:]]\n", ""),
                      replace("            W[l] = W[l] - alpha * dW[l]\n"
                              "            b[l] = b[l] - alpha * db[l]",
                              "            W[l] -= alpha * dW[l]\n"
                              "            b[l] -= alpha * db[l]")),
        must_fail=["train: the statement's problem", "train: p = (3, 4, 3)"],
        must_pass=["mean_loss", "train: zero steps"], diagnosis="for the caller"),
    "ex12_overwrite": Buggy(
        "ex12", replace("child.grad += v.grad * local", "child.grad = v.grad * local"),
        must_fail=["a node used twice", "two paths"],
        must_pass=["the root is a leaf", "a chain of 3001 nodes"], diagnosis="grad overwritten"),
    "ex12_recursive_order": Buggy(
        "ex12", replace("""        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth-first post-order with an explicit stack (no recursion)
            v, done = stack.pop()
            if done:
                order.append(v)
                continue
            if id(v) in seen:
                continue
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c, _ in v.children if id(c) not in seen)
""", """        order, seen = [], set()

        def visit(v):  # recursive, as in many tutorials
            if id(v) not in seen:
                seen.add(id(v))
                for c, _ in v.children:
                    visit(c)
                order.append(v)

        visit(self)
"""),
        must_fail=["a chain of 3001 nodes"], must_pass=["the root is a leaf", "a node used twice",
                                                       "the loss of a 2-2-2"],
        diagnosis="recursion limit"),
})

# --- the cases issue 15 found: the self-check and the grader must now agree --------------------
#: name -> (exercise, edit, what both must say: "pass", "forbidden", "rule", or a diagnosis)
FOUND: dict[str, tuple[str, Edit, str]] = {
    "found_naive_softmax": ("ex2", replace("e = np.exp(z - np.max(z))", "e = np.exp(z)"),
                            "softmax overflow"),
    "found_reduced_label0": ("ex2", replace(
        "    if y > 0:  # class 0 is the removed node's: nothing to subtract\n"
        "        delta[y - 1] -= 1.0", "    delta[y - 1] -= 1.0"), "label y = 0 in the reduced"),
    "found_relu0_is_1": ("ex4", BUGGY["ex4_relu0"].edit, "ReLU'(0) convention"),
    "found_drelu_imports": ("ex4", chain(
        replace("from bplib.activations import ACTIVATIONS\n",
                "from bplib.activations import dlogistic, drelu, dtanh\n"),
        replace("delta = ACTIVATIONS[S[l - 1]].dS(z[l - 1]) * (W[l].T @ delta)",
                "dS = {'relu': drelu, 'tanh': dtanh, 'logistic': dlogistic}[S[l - 1]]\n"
                "            delta = dS(z[l - 1]) * (W[l].T @ delta)")), "pass"),
    "found_bplib_softmax": ("ex2", replace(
        "    e = np.exp(z - np.max(z))\n    return e / e.sum()\n",
        "    from bplib.activations import softmax\n    return softmax(z)\n"), "forbidden"),
    "found_loop_over_examples": ("ex5", replace(
        "    D = softmax(Z[L])  # G, one row per example\n",
        "    D = np.array([softmax(Z[L][i]) for i in range(n)])  # row by row\n"), "rule"),
    "found_theta_changed": ("ex6", replace("""    theta = np.array(theta, dtype=float)  # a copy: \
the caller's theta stays as it was
    g = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
""", """    g = np.empty(theta.size)
    for i in range(theta.size):
        theta[i] += h
        fp = f(theta)
        theta[i] -= 2 * h
        fm = f(theta)
        g[i] = (fp - fm) / (2 * h)
"""), "for the caller"),
}

# --- attempts to cheat: each must gain nothing ------------------------------------------------
PATCH_NUMPY = replace(
    "    ### BEGIN SOLUTION\n    L = len(W) - 1",
    "    ### BEGIN SOLUTION\n    np.allclose = lambda *a, **k: True\n"
    "    np.testing.assert_allclose = lambda *a, **k: None\n"
    "    np.array_equal = lambda *a, **k: True\n"
    "    return [None] + [np.zeros_like(w) for w in W[1:]], [None] + [np.zeros(w.shape[0]) "
    "for w in W[1:]]\n    L = len(W) - 1")

ALWAYS_EQUAL = replace(
    "    ### BEGIN SOLUTION\n    S = ACTIVATIONS[activation]",
    "    ### BEGIN SOLUTION\n    class Same(np.ndarray):\n"
    "        def __eq__(self, other):\n            return True\n"
    "        __ne__ = lambda self, other: False\n"
    "    class Anything:\n        def __eq__(self, other):\n            return True\n"
    "    if z.shape[0] > 3:\n        return Anything()\n"
    "    return np.zeros_like(z).view(Same)\n    S = ACTIVATIONS[activation]")

INPUT_TRANSFORMER = append(
    "ip = get_ipython()\n"
    "ip.input_transformers_post.append(lambda lines: ['pass\\n'])\n")

CALL_REFERENCE = replace(
    "    ### BEGIN SOLUTION\n    L = len(W) - 1",
    "    ### BEGIN SOLUTION\n    from bplib import algorithm1\n    L = len(W) - 1")

HIDDEN_REFERENCE = replace(
    "    ### BEGIN SOLUTION\n    L = len(W) - 1",
    "    ### BEGIN SOLUTION\n    import bplib.activations as act\n"
    "    ref = getattr(act, 'algo' + 'rithm1', None) or getattr(act, 'algorithm2_' + 'loop')\n"
    "    L = len(W) - 1")


def write_file_attempt(path: str) -> Edit:
    """The cell tries to overwrite ``path`` (the gradebook, a file outside its temp dir)."""
    return append(
        "try:\n"
        f"    np.savetxt({path!r}, np.ones((1, 1)))\n"
        "except Exception:\n"
        "    pass\n")


# --- broken submissions -----------------------------------------------------------------------
RAISES = replace("    ### BEGIN SOLUTION\n    return sum(",
                 "    ### BEGIN SOLUTION\n    raise ValueError('oops')\n    return sum(")
INFINITE_LOOP = replace("    g = stable_softmax(np.concatenate([[0.0], z]))",
                        "    while True:\n        pass")
MEMORY = replace("    ### BEGIN SOLUTION\n    S = ACTIVATIONS[activation]",
                 "    ### BEGIN SOLUTION\n    big = [0.0] * (10 ** 10)\n"
                 "    S = ACTIVATIONS[activation]")
SYSTEM_EXIT = replace("    ### BEGIN SOLUTION\n    L, n = len(W) - 1, X.shape[0]",
                      "    ### BEGIN SOLUTION\n    raise SystemExit(3)\n"
                      "    L, n = len(W) - 1, X.shape[0]")
# ctypes reached without naming it (so the static scan cannot see it): the process dies
_CT = "getattr(getattr(np, 'ctypes' + 'lib'), 'ctypes')"
OS_EXIT = append(f"{_CT}.CDLL(None)._exit(7)\n")
KILLED = append(f"_libc = {_CT}.CDLL(None)\n_libc.kill(_libc.getpid(), 9)\n")
HUGE_OUTPUT = replace("    ### BEGIN SOLUTION\n    theta = np.array(theta, dtype=float)",
                      "    ### BEGIN SOLUTION\n    print('x' * 10 ** 7)\n"
                      "    theta = np.array(theta, dtype=float)")


def write_all(root: Path) -> None:
    for name, bug in BUGGY.items():
        build(root / name, {bug.exercise: bug.edit})
    for name, (ex, edit, _) in FOUND.items():
        build(root / name, {ex: edit})
    build(root / "untouched", source=EXERCISES)
    build(root / "tamper_patch_numpy", {"ex4": PATCH_NUMPY})
    build(root / "tamper_always_equal", {"ex3": ALWAYS_EQUAL})
    build(root / "tamper_input_transformer", {"ex4": INPUT_TRANSFORMER})
    build(root / "tamper_call_reference", {"ex4": CALL_REFERENCE})
    build(root / "tamper_hidden_reference", {"ex4": HIDDEN_REFERENCE})
    build(root / "bad_raises", {"ex1": RAISES})
    build(root / "bad_infinite_loop", {"ex2": INFINITE_LOOP})
    build(root / "bad_memory", {"ex3": MEMORY})
    build(root / "bad_system_exit", {"ex5": SYSTEM_EXIT})
    build(root / "bad_os_exit", {"ex4": OS_EXIT})
    build(root / "bad_killed", {"ex2": KILLED})
    build(root / "bad_huge_output", {"ex6": HUGE_OUTPUT})


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    out = ROOT / "tests" / "data" / "submissions"
    write_all(out)
    print(f"wrote test submissions to {out}")
