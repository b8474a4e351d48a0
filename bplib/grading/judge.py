"""Judging one answer against the reference, and saying what differs in words a student can act
on: names from the statement (``dW[1]``, not ``result[0][1]``), numbers with the digits that
differ and their difference (never a rounded ``-0``), and the typical mistake the answer
matches.

The same functions serve the grader (in its own process, on answers received as data) and the
self-check (in the student's kernel), so both give the same verdict and the same diagnosis.
This module imports only the standard library and NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The diagnosis of an answer that changed an argument the statement says must not change.
CHANGED_ARGUMENT = ("changed {names} for the caller: the statement says not to; work on a copy "
                    "(e.g. theta.copy(), or W[l] - alpha * dW[l] into a new list) instead of "
                    "writing into the arrays you were given")




class _Unreadable:
    """An argument the call left as something that cannot be sent back as numbers."""

    def __repr__(self) -> str:
        return "something that is not numbers or arrays"


#: Stands for an argument that could not be read back after the call (it was replaced).
UNREADABLE = _Unreadable()


# --- numbers as text ---------------------------------------------------------------------------
def fmt_num(x: float, digits: int = 6) -> str:
    """``x`` with ``digits`` significant digits, never '-0' (a negative zero prints as 0)."""
    x = float(x) + 0.0  # -0.0 + 0.0 is +0.0
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def fmt_pair(got: float, expected: float) -> str:
    """'got -2.533410, expected -2.533400, difference 1.0e-05': both numbers with the same
    number of significant digits, enough to see where they differ (7 to 17)."""
    got, expected = float(got) + 0.0, float(expected) + 0.0
    if not (math.isfinite(got) and math.isfinite(expected)):
        return f"got {got}, expected {expected}"
    digits = 7
    while digits < 17 and got != expected and \
            f"{got:#.{digits}g}" == f"{expected:#.{digits}g}":
        digits += 1

    def text(v: float) -> str:
        return "0" if v == 0.0 else f"{v:#.{digits}g}".rstrip(".")

    return (f"got {text(got)}, expected {text(expected)}, difference "
            f"{abs(got - expected):.1e}")


def array_text(a: Any, digits: int = 6, limit: int = 30) -> str:
    """An input or output array printed compactly, 'digits' significant digits, no '-0'."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        arr = arr + 0.0  # no negative zeros
    opts = {"precision": digits, "threshold": limit, "edgeitems": 3, "max_line_width": 88,
            "floatmode": "maxprec", "suppress_small": False}
    return np.array2string(arr, **opts)


# --- judging -------------------------------------------------------------------------------
def _kind(v: Any) -> str:
    if v is UNREADABLE:
        return repr(v)
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, list):
        return f"a list of {len(v)} items"
    return "None" if v is None else f"a {type(v).__name__}"


def _item(path: str, i: int, names: Any) -> str:
    if isinstance(names, list) and path == "":
        return names[i]
    return f"{path}[{i}]"


def structure_error(got: Any, expected: Any, path: str = "result", names: Any = None
                    ) -> str | None:
    """Why ``got`` does not have the structure of ``expected`` (None: it does). ``names``: the
    statement's names of a tuple result (['dW', 'db']); ``path`` the name of a single one.

    Arrays: plain numeric ndarray of exactly the expected shape (no broadcasting), finite.
    """
    label = path or "the result"
    if expected is None:
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{label}: expected a NumPy array of shape {expected.shape}, got {_kind(got)}"
        if got.dtype.kind not in "iuf":
            return f"{label}: expected a float array, got dtype {got.dtype}"
        if got.shape != expected.shape:
            return f"{label}: expected shape {expected.shape}, got shape {got.shape}"
        if not np.all(np.isfinite(got)):
            return f"{label}: contains nan or inf"
        return None
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, int):
            return None
        return f"{label}: expected an int, got {_kind(got)}"
    if isinstance(expected, float):
        if not isinstance(got, (int, float)):
            return f"{label}: expected a float, got {_kind(got)}"
        return None if math.isfinite(got) else f"{label}: is {got}"
    if isinstance(expected, (list, tuple)):
        top = isinstance(names, list) and path == ""
        what = f"({', '.join(names)})" if top else label
        if not isinstance(got, list):
            return f"{what}: expected a list/tuple of {len(expected)} items, got {_kind(got)}"
        if len(got) != len(expected):
            msg = f"{what}: expected {len(expected)} items, got {len(got)}"
            if expected and expected[0] is None and len(got) == len(expected) - 1:
                msg += (f"; a layer-indexed list starts with {label}[0] = None, so that "
                        f"{label}[l] belongs to layer l = 1..{len(expected) - 1}")
            return msg
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = structure_error(g, e, _item(path, i, names))
            if msg:
                return msg
        return None
    raise TypeError(f"expected: unsupported reference type {type(expected).__name__}")


def first_difference(got: Any, expected: Any, rtol: float, atol: float, path: str = "result",
                     names: Any = None) -> str | None:
    """Where a structurally valid ``got`` differs from ``expected`` (None: all close)."""
    if expected is None:
        return None
    if isinstance(expected, (list, tuple)):
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = first_difference(g, e, rtol, atol, _item(path, i, names))
            if msg:
                return msg
        return None
    label = path or "the result"
    if isinstance(expected, (int, np.integer)):
        return None if got == expected else f"{label}: expected {expected}, got {got}"
    e = np.asarray(expected, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    bad = np.abs(g - e) > atol + rtol * np.abs(e)
    if not bad.any():
        return None
    if e.ndim == 0:
        return f"{label}: {fmt_pair(float(g), float(e))}"
    worst = np.unravel_index(int(np.argmax(np.where(bad, np.abs(g - e), -1.0))), e.shape)
    idx = ", ".join(str(int(i)) for i in worst)
    return (f"{label}: {int(bad.sum())} of {e.size} entries differ; the largest difference is "
            f"at {label}[{idx}]: {fmt_pair(float(g[worst]), float(e[worst]))}")


def changed_argument(before: Any, after: Any, name: str) -> str | None:
    """How an argument changed during the call (None: bit for bit what was passed)."""
    if isinstance(before, (list, tuple)):
        if not isinstance(after, list) or len(after) != len(before):
            return f"{name} was replaced by {_kind(after)}"
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            msg = changed_argument(b, a, f"{name}[{i}]")
            if msg:
                return msg
        return None
    if before is None:
        return None if after is None else f"{name} was None and became {_kind(after)}"
    if not isinstance(after, np.ndarray) or after.shape != np.shape(before):
        return f"{name} was replaced by {_kind(after)}"
    b = np.asarray(before, dtype=np.float64)
    a = after.astype(np.float64)
    differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    if not differ.any():
        return None
    at = np.unravel_index(int(np.argmax(differ)), b.shape)
    idx = ", ".join(str(int(i)) for i in at)
    return (f"{name} was changed by the call: {int(differ.sum())} of {b.size} entries, e.g. "
            f"{name}[{idx}] is {float(a[at]) + 0.0!r} after the call, "
            f"{float(b[at]) + 0.0!r} before")


@dataclass
class Verdict:
    passed: bool
    message: str = ""  # what is wrong (empty when passed)
    diagnosis: str = ""  # the typical mistake the answer matches, if any


def judge(case: Any, got: Any, after: list | None = None) -> Verdict:
    """Compare a decoded answer with the reference, then with the known mistakes.

    ``case``: a :class:`.cases.Case`. ``after``: the arguments ``case.unchanged`` as they were
    after the call (the statement's rule "do not change ..."; :data:`UNREADABLE` for one that
    could not be read back), or None when they were not watched.
    """
    names = case.result if isinstance(case.result, list) else None
    path = "" if names else case.result
    changed = []
    if case.unchanged and after is not None:
        for k, a in zip(case.unchanged, after, strict=True):
            msg = changed_argument(case.args[k], a, case.arg_names[k])
            if msg:
                changed.append((case.arg_names[k], msg))
    problem = structure_error(got, case.expected, path, names)
    if problem is None:
        problem = first_difference(got, case.expected, case.rtol, case.atol, path, names)
    if changed:
        what = " and ".join(n for n, _ in changed)
        message = "; ".join(m for _, m in changed) + (f"; and {problem}" if problem else "")
        return Verdict(False, message, CHANGED_ARGUMENT.format(names=what))
    if problem is None:
        return Verdict(True)
    for diagnosis, variant in case.variants.items():
        if (structure_error(got, variant, path, names) is None
                and first_difference(got, variant, case.rtol, case.atol, path, names) is None):
            return Verdict(False, problem, diagnosis)
    if case.large_z and "nan or inf" in problem:
        from .cases import OVERFLOW  # the one message, defined with the other diagnoses

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
        if len(value) > 64:
            raise TypeError(f"returned a sequence of {len(value)} items, expected at most 64")
        return [to_data(v, depth + 1) for v in value]
    raise TypeError(f"returned a {type(value).__name__}, expected a number, a NumPy array or a "
                    "list/tuple of them")


def loop_rule(function: str, small: tuple[int, int | None], large: tuple[int, int | None]
              ) -> str | None:
    """The rule "no Python loop over the examples", from the Python steps (lines run and calls
    made, :func:`.worker.count_steps`) of two calls on the same network with n_small and
    n_large examples: a batched implementation runs the same steps whatever n; a loop over the
    examples runs at least one more per extra example. None: the rule holds (or unknown)."""
    (n1, s1), (n2, s2) = small, large
    if s1 is None or s2 is None:
        return None
    extra = s2 - s1
    if extra >= (n2 - n1) / 2:
        return (f"{function} ran {extra} more Python steps (lines and calls) for n = {n2} "
                f"examples than for n = {n1}: it loops over the examples in Python, where the "
                "statement asks for the batched matrix form (whole matrices Z_l, A_l, Delta_l "
                "at once; loops over the layers are fine)")
    return None


# --- errors, rules and points (the grader's and the self-check's) ---------------------------
def error_text(err: dict) -> str:
    where = f" (line {err['line']} of your cell)" if err.get("line") else ""
    return f"raised {err['type']}: {err['message']}{where}"


def hint(err: dict) -> str:
    """A likely cause for a common exception, in the lecture's terms."""
    msg = err["message"]
    if err["type"] == "ValueError" and ("matmul" in msg or "not aligned" in msg
                                        or "broadcast" in msg):
        return ("a shape mismatch in a product: W_l has shape (p_l, p_{l-1}), so the backward "
                "step needs W_l^T (transposed W?)")
    if err["type"] == "RecursionError":
        return ("the graph is deeper than Python's recursion limit: build the topological "
                "order with a loop and an explicit stack, not a recursive function")
    if err["type"] == "MemoryError":
        return "the function allocated far more memory than the exercise needs"
    if err["type"] == "NameError":
        return ("the graded cell runs on its own: define or import everything it uses inside "
                "it")
    return ""


def cell_error_note(err: dict) -> str:
    return ("when run on its own, the cell " + error_text(err)
            + " (the graded cell runs alone: put its imports inside it)")


def score_functions(ex: Any, outcomes: list, broken: dict[str, float]
                    ) -> tuple[dict[str, list[float]], float]:
    """Points per function (points x fraction passed, less a broken rule's deduction)."""
    functions, total = {}, 0.0
    for name, spec in ex.functions.items():
        mine = [o for o in outcomes if o.function == name]
        pts = float(spec["points"])
        got = pts * sum(o.passed for o in mine) / len(mine) if mine else 0.0
        got = max(0.0, got - broken.get(name, 0.0))
        functions[name] = [round(got, 2), pts]
        total += functions[name][0]
    return functions, round(total, 2)


def check_rules(ex: Any, cases: list, steps: list[int | None]
                ) -> tuple[dict[str, float], list[str]]:
    """The rules judged over several cases (the loop over the examples): function ->
    deduction, and the messages."""
    broken: dict[str, float] = {}
    notes = []
    for rule in ex.rules:
        if rule.kind != "no-example-loop":
            continue  # "unchanged" is judged case by case
        probes = [(c.probe_n, s) for c, s in zip(cases, steps, strict=True)
                  if c.probe_n and c.function == rule.function]
        if len(probes) < 2:
            continue
        msg = loop_rule(rule.function, min(probes), max(probes))
        if msg:
            broken[rule.function] = broken.get(rule.function, 0.0) + rule.deduction
            notes.append(f"rule broken — {rule.text} {msg}; {rule.deduction:g} points deducted "
                         f"from {rule.function}")
    return broken, notes
