"""Student self-check: the grader's tests on public inputs, run in the student's own kernel.

    from bplib.grading.selfcheck import check
    check("ex4", backprop_example)

It does what the grader does, in the same order and with the same functions, so that passing
it means no surprise in the grade:

1. reads the graded cell's source (from the kernel's record of the cell that defined the
   functions) and scans it with the grader's rules (:mod:`.static`): an import or a name
   that would score 0 is reported with its line before anything runs;
2. runs that cell **on its own** in a fresh namespace, as the grader's worker does (with the
   same restricted builtins), so a missing import shows here too;
3. calls the functions on the cases of :mod:`.cases` drawn with the public seed
   :data:`.cases.PUBLIC_SEED`: every class of input the grader draws (large |z|, z exactly 0
   under a ReLU, the first and the last label, one example, one hidden unit, no hidden
   layer, non-square layers, ...), judged by the same :func:`.judge.judge` with the same
   diagnoses and the statement's rules (no loop over the examples, arguments unchanged);
4. prints every result, a line to re-run each failed case, and the points these inputs
   would give.

This is immediate feedback, **not the official grade**: the grader draws new inputs of the
same kinds at grading time, and this check trusts the kernel it runs in. It imports only the
standard library, NumPy and bplib (no subprocess, no sandbox), so it also runs in the
browser's Python (Pyodide).
"""

from __future__ import annotations

import copy
import linecache
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .cases import CLASSES, PUBLIC_SEED, Case, FunctionSpec, case_inputs, make_cases
from .judge import (
    UNREADABLE,
    cell_error_note,
    check_rules,
    error_text,
    hint,
    judge,
    score_functions,
    to_data,
)
from .manifest import Exercise, load_manifest
from .static import CellSyntaxError, scan
from .worker import _restricted_builtins, count_steps, make_function

NOT_THE_GRADE = ("NOT the official grade: the grader runs your graded cell on its own, in a "
                 "fresh process, on new inputs of the same kinds.")
GRADED_MARK = "# GRADED CELL"

__all__ = ["PUBLIC_SEED", "check", "inputs", "nbgrader_tests", "run"]


def inputs(ex_id: str, index: int, seed: int = PUBLIC_SEED) -> list:
    """The arguments of test ``index`` of exercise ``ex_id`` drawn with ``seed`` (the public
    seed by default, or the seed printed in your feedback): ``fn(*inputs("ex4", 3))``."""
    args = case_inputs(ex_id, index, seed)
    return [make_function(a.kind, a.arrays) if isinstance(a, FunctionSpec) else a for a in args]


@dataclass
class Outcome:
    """One public case, judged as the grader judges it."""

    index: int
    name: str
    function: str
    passed: bool
    message: str = ""
    diagnosis: str = ""


@dataclass
class Report:
    ex_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)  # lines that would score 0
    notes: list[str] = field(default_factory=list)  # the cell run alone, where it was found
    rules: list[str] = field(default_factory=list)  # broken rules and their deductions
    functions: dict[str, list[float]] = field(default_factory=dict)
    score: float = 0.0
    max: float = 0.0

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes) and not self.forbidden and not self.rules


# --- the graded cell's source ------------------------------------------------------------------
def cell_source(functions: tuple[Callable, ...]) -> tuple[str | None, list[str]]:
    """The source of the cell that defined ``functions`` (the kernel keeps each cell's text
    for tracebacks, under the file name of its code objects), and notes on what was found."""
    files = []
    for f in functions:
        name = getattr(getattr(f, "__code__", None), "co_filename", None)
        if name and name not in files:
            files.append(name)
    texts = [(name, "".join(linecache.getlines(name))) for name in files]
    texts = [(n, t) for n, t in texts if t.strip()]
    if not texts:
        return None, ["could not read the source of your functions (run the self-check in the "
                      "notebook, after the graded cell): the import rules were not checked and "
                      "your functions ran as they are in this kernel"]
    notes = []
    graded = [t for _, t in texts if t.lstrip().startswith(GRADED_MARK)]
    if len(texts) > 1:
        notes.append("your functions come from different cells; the grader runs only the "
                     "graded cell, so keep them all there")
    if not graded:
        notes.append("your functions were defined in a cell that is not the graded cell (it "
                     f"does not start with `{GRADED_MARK}`); the grader grades only the graded "
                     "cell: move your code there")
        return texts[0][1], notes
    return graded[0], notes


def _fresh_functions(ex: Exercise, source: str) -> tuple[dict[str, Any], dict | None]:
    """Run the cell alone in a new namespace, with the worker's restricted builtins."""
    job = {"allowed_modules": list(ex.allowed_modules), "helpers": ex.allowed_helpers,
           "forbidden_builtins": list(ex.common_forbidden)}
    safe = _restricted_builtins(job)
    for name in ("display", "__IPYTHON__"):  # the kernel's additions, absent in the grader
        safe.pop(name, None)
    ns: dict[str, Any] = {"__name__": "__exercise__", "__builtins__": safe}
    try:
        exec(compile(source, "<exercise cell>", "exec"), ns)  # noqa: S102
    except BaseException as exc:  # noqa: BLE001  (reported as the grader reports it)
        from .worker import _error_text

        return ns, _error_text(exc)
    return ns, None


# --- running the cases -----------------------------------------------------------------------
def _call(case: Case, fn: Callable) -> tuple[Any, list | None, int | None, dict | None]:
    """(value as data, watched arguments after the call, Python steps, error record)."""
    args = [make_function(a.kind, a.arrays) if isinstance(a, FunctionSpec) else a
            for a in copy.deepcopy(case.args)]
    steps = None
    try:
        if case.probe_n:
            result, steps = count_steps(fn, args)
        else:
            result = fn(*args)
    except NotImplementedError:
        return None, None, None, {"type": "NotImplementedError", "message": "", "line": None}
    except Exception as exc:  # noqa: BLE001  (shown to the student)
        from .worker import _error_text

        return None, None, None, _error_text(exc)
    try:
        value = to_data(result)
    except TypeError as exc:
        return None, None, steps, {"type": "InvalidOutput", "message": str(exc), "line": None}
    after = None
    if case.unchanged:
        after = []
        for k in case.unchanged:
            try:
                after.append(to_data(args[k]))
            except TypeError:
                after.append(UNREADABLE)
    return value, after, steps, None


def run(ex_id: str, *functions: Callable, source: str | None = None,
        seed: int = PUBLIC_SEED) -> Report:
    """The public cases of ``ex_id``, judged as the grader judges them (see the module doc).

    ``functions``: the exercise's functions in the manifest's order (their cell is found from
    them); or ``source``: the graded cell's text itself. ``seed``: the public seed, or the
    seed of a grading run to see its cases in the kernel."""
    exercises = load_manifest()
    if ex_id not in exercises:
        raise ValueError(f"ex_id: expected one of {list(exercises)}, got {ex_id!r}")
    ex = exercises[ex_id]
    names = list(ex.functions)
    if source is None and (len(functions) != len(names)
                           or not all(callable(f) for f in functions)):
        raise TypeError(f"check({ex_id!r}, ...): expected the functions {', '.join(names)} in "
                        f"that order, got {len(functions)} argument(s)")
    report = Report(ex_id, max=ex.points)
    if source is None:
        source, report.notes = cell_source(functions)
    by_name: dict[str, Any] = dict(zip(names, functions, strict=False))
    if source is not None:
        try:
            report.forbidden = scan(source, ex)
        except CellSyntaxError as exc:
            report.forbidden = [f"the cell is not valid Python: {exc}"]
        ns, err = _fresh_functions(ex, source) if not report.forbidden else ({}, None)
        if err:
            report.notes.append(cell_error_note(err))
        if not report.forbidden:
            by_name = {n: ns.get(n) for n in names}
    cases = make_cases(ex_id, seed)
    steps: list[int | None] = []
    for i, case in enumerate(cases):
        fn = by_name.get(case.function)
        s = None
        if not callable(fn):
            out = Outcome(i, case.name, case.function, False,
                          f"the cell does not define {case.function}()")
        else:
            value, after, s, err = _call(case, fn)
            if err and err["type"] == "NotImplementedError":
                out = Outcome(i, case.name, case.function, False, "not implemented yet")
            elif err:
                out = Outcome(i, case.name, case.function, False, error_text(err), hint(err))
            else:
                v = judge(case, value, after)
                out = Outcome(i, case.name, case.function, v.passed, v.message, v.diagnosis)
        steps.append(s)
        report.outcomes.append(out)
    broken, report.rules = check_rules(ex, cases, steps)
    report.functions, report.score = score_functions(ex, report.outcomes, broken)
    if report.forbidden:  # the grader gives the exercise 0 without running it
        report.score = 0.0
        report.functions = {n: [0.0, m] for n, (_, m) in report.functions.items()}
    return report


def format_report(report: Report) -> str:
    ex = load_manifest()[report.ex_id]
    lines = [f"Self-check of {report.ex_id} on public inputs (seed {PUBLIC_SEED}). {NOT_THE_GRADE}"]
    if report.forbidden:
        lines += ["", f"THIS CELL WOULD SCORE 0 for {report.ex_id} (status 'forbidden'), before "
                  "any test runs:"] + [f"  {v}" for v in report.forbidden]
        lines.append("Fix these lines first; the tests below ran on your functions as they are "
                     "in this kernel.")
    lines += [f"Note: {note}." for note in report.notes]
    lines.append("")
    for o in report.outcomes:
        lines.append(f"[{'passed' if o.passed else 'FAILED'}] {o.name}")
        if not o.passed:
            lines.append(f"    {o.message}")
            if o.diagnosis:
                lines.append(f"    likely mistake: {o.diagnosis}")
            if o.message != "not implemented yet":
                lines.append(f"    re-run it: {o.function}(*inputs({report.ex_id!r}, "
                             f"{o.index}))")
    for rule in report.rules:
        lines += ["", f"RULE: {rule}"]
    n_ok = sum(o.passed for o in report.outcomes)
    points = ", ".join(f"{n} {s:g}/{m:g}" for n, (s, m) in report.functions.items())
    lines += ["", f"{n_ok}/{len(report.outcomes)} public cases passed. On these inputs the "
              f"grader would give {report.score:g} / {report.max:g} ({points})."
              + (" 0: forbidden." if report.forbidden else "")]
    kinds = sorted(CLASSES[report.ex_id])
    lines.append(f"The grader draws new inputs of the same kinds: {', '.join(kinds)}.")
    if ex.written:
        lines.append(f"The written part ({ex.written.points:g} points) is marked by hand.")
    return "\n".join(lines)


def check(ex_id: str, *functions: Callable, source: str | None = None) -> None:
    """Print the public cases of ``ex_id`` as passed/FAILED, with the likely mistake and a
    line that re-runs each failed case, and what these inputs would score."""
    print(format_report(run(ex_id, *functions, source=source)))


# --- the nbgrader test cells -------------------------------------------------------------------
class _Message(Exception):
    """An error shown as its message only: IPython prints ``_render_traceback_()`` instead of a
    traceback, and the cell still ends in an error (so nbgrader's autograde fails it)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


class NotAnsweredYet(_Message):
    """The exercise's functions are not written (or the graded cell was not run) yet."""


class TestFailed(_Message, AssertionError):
    """A test of the nbgrader test cell failed."""


@contextmanager
def nbgrader_tests(ex_id: str):
    """Wrap the asserts of an nbgrader test cell: a student who runs every cell before
    answering sees one line saying what to do instead of a traceback; a failing test still
    fails the cell (an error output, which is what nbgrader's autograde counts)."""
    try:
        yield
    except NotImplementedError:
        raise NotAnsweredYet(f"{ex_id}: not answered yet. Write your code in the graded cell "
                             f"(the one that starts with '{GRADED_MARK}'), run it, then run "
                             "this cell again.") from None
    except NameError as exc:
        raise NotAnsweredYet(f"{ex_id}: {exc}. Run the graded cell first (and the cells above "
                             "it), then this cell.") from None
    except AssertionError as exc:
        why = f": {exc}" if str(exc) else ""
        raise TestFailed(f"{ex_id}: a test of this cell failed{why}. Run the self-check above: "
                         "it shows the failing case and a likely mistake.") from None
    except Exception as exc:  # noqa: BLE001  (any error of the student's code, in one line)
        raise TestFailed(f"{ex_id}: your code raised {type(exc).__name__}: {exc}. Run the "
                         "self-check above for the case and a likely mistake.") from None
