"""Grade one submission: find its cells, scan them, run them, judge the answers.

Partial credit: each graded function's points times the fraction of its cases passed, less the
deduction of a broken rule of the statement (e.g. a Python loop over the examples where the
statement asks for the batched form). Every judgement happens here, in the grader's process,
against bplib's reference (see cases.py and judge.py), with the same functions the self-check
uses in the student's kernel. A written part is collected for the marker with the code and
what it returned on the statement's own inputs.

Everything a submission can do wrong ends here as a status of that exercise or submission;
an exception escaping :func:`grade_submission` is a bug of the grader (or a machine problem
such as a worker that cannot start), never the student's doing: see cli.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .cases import Case, describe_args, make_cases, rerun_line
from .judge import (
    UNREADABLE,
    array_text,
    cell_error_note,
    check_rules,
    error_text,
    hint,
    judge,
    score_functions,
)
from .manifest import Exercise
from .notebooks import Submission, read_submission
from .runner import Runner
from .static import CellSyntaxError, scan

#: Exercise statuses that mean "graded normally" (wrong answers are normal grading).
CLEAN = {"ok"}
#: The status of a written part that is there to be graded by hand.
NEEDS_MARKING = "needs manual grading"


@dataclass
class CaseOutcome:
    name: str
    function: str
    passed: bool
    message: str = ""  # why it failed
    diagnosis: str = ""  # the typical mistake the answer matches
    counterexample: str = ""  # the inputs, printed (no test code)
    index: int = 0  # position in the exercise's cases (the same in the self-check)
    rerun: str = ""  # one line that re-runs this case in the student's notebook
    returned: str = ""  # what the function returned (cases on the statement's own inputs)
    expected: str = ""  # the reference's value for those cases (for the marker only)


@dataclass
class ExerciseResult:
    id: str
    title: str
    status: str
    score: float
    max: float
    message: str = ""
    functions: dict[str, list[float]] = field(default_factory=dict)  # name -> [score, max]
    cases: list[CaseOutcome] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # broken rules, with their deductions
    code: str = ""  # the graded cell (for the marker of a written part)
    written_status: str = ""  # "" (no written part), needs manual grading, not attempted, ...
    written_max: float = 0.0
    answer: str = ""  # the written answer (graded by hand)


@dataclass
class SubmissionResult:
    id: str
    digest: str
    seed: int
    status: str
    total: float
    max_total: float
    problem: str = ""
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _shown(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return array_text(value, digits=4) if value is not None else "None"


def grade_code(ex: Exercise, found, seed: int, runner: Runner) -> ExerciseResult:
    """The graded cell of one exercise: scanned, run in a worker, judged."""
    res = ExerciseResult(ex.id, ex.title, found.status, 0.0, ex.points, found.message)
    res.functions = {name: [0.0, float(f["points"])] for name, f in ex.functions.items()}
    if found.status != "ok":
        return res
    res.code = found.source or ""
    try:
        violations = scan(found.source or "", ex)
    except CellSyntaxError as exc:  # already caught when reading; kept for safety
        res.status, res.message = "mangled cell", str(exc)
        return res
    if violations:
        res.status = "forbidden"
        res.message = ("not graded: the cell uses what this exercise does not allow — "
                       + "; ".join(violations[:5]))
        return res
    cases: list[Case] = make_cases(ex.id, seed)
    run = runner.run(ex, found.source or "", cases)
    notes = [found.message] if found.message else []
    if run.cell_error:
        notes.append(cell_error_note(run.cell_error))
    kinds = set()
    steps: list[int | None] = []
    extras = run.extras or [{} for _ in cases]
    for i, (case, (value, err), extra) in enumerate(zip(cases, run.answers, extras,
                                                        strict=True)):
        steps.append(extra.get("steps"))
        if err is None and value is None and run.status != "ok":
            out = CaseOutcome(case.name, case.function, False, f"not run: {run.detail}",
                              index=i)
            kinds.add("stopped")
        elif err is not None and err["type"] == "NotImplementedError":
            kinds.add(err["type"])
            out = CaseOutcome(case.name, case.function, False, "not implemented yet", index=i)
        elif err is not None:
            kinds.add(err["type"])
            out = CaseOutcome(case.name, case.function, False, error_text(err), hint(err),
                              describe_args(case), index=i)
        else:
            after = None
            if case.unchanged:  # the arguments as the call left them, as the worker sent them
                after = extra.get("after")
                if not isinstance(after, list) or len(after) != len(case.unchanged):
                    after = [UNREADABLE] * len(case.unchanged)
            v = judge(case, value, after)
            out = CaseOutcome(case.name, case.function, v.passed, v.message, v.diagnosis,
                              "" if v.passed else describe_args(case), index=i)
            if case.show:
                out.returned, out.expected = _shown(value), _shown(case.expected)
        if not out.passed and out.message != "not implemented yet":
            out.rerun = rerun_line(ex.id, i, seed, case.function)
        res.cases.append(out)
    broken, rule_notes = check_rules(ex, cases, steps)
    res.rules = rule_notes
    res.functions, res.score = score_functions(ex, res.cases, broken)
    if run.status != "ok":
        res.status = run.status
        notes.append(run.detail)
    elif kinds and kinds <= {"NotImplementedError"}:
        res.status = "not attempted"
    elif "MemoryError" in kinds:
        res.status = "memory"
        notes.append("a call ran out of memory (limit "
                     f"{runner.limits.memory_mb} MiB)")
    elif kinds - {"InvalidOutput"}:
        res.status = "error"
    elif kinds:
        res.status = "invalid output"
    elif run.cell_error:
        res.status = "cell error"
    elif broken:
        res.status = "rule broken"
    else:
        res.status = "ok"
    res.message = "; ".join(n for n in notes if n)
    return res


def grade_exercise(ex: Exercise, read, seed: int, runner: Runner) -> ExerciseResult:
    """The graded cell, and the written part collected for the marker."""
    res = grade_code(ex, read.cells[ex.id], seed, runner)
    if ex.written:
        res.written_max = ex.written.points
        w = read.written.get(ex.id)
        if w is None or w.status != "ok":
            res.written_status = w.status if w is not None else "missing cell"
            if w is not None and w.message:
                res.message = "; ".join(m for m in (res.message, "written answer: " + w.message)
                                        if m)
        else:
            res.written_status, res.answer = NEEDS_MARKING, w.source or ""
    return res


def grade_submission(sub: Submission, exercises: dict[str, Exercise], seed: int,
                     runner: Runner) -> SubmissionResult:
    read = read_submission(sub, exercises)
    out = SubmissionResult(sub.id, read.digest or sub.digest, seed, "ok", 0.0,
                           sum(e.points for e in exercises.values()), read.problem or "")
    if read.status != "ok":
        out.status = read.status
        for ex in exercises.values():
            out.exercises[ex.id] = ExerciseResult(
                ex.id, ex.title, read.status, 0.0, ex.points, read.problem or "",
                written_status=read.status if ex.written else "", written_max=ex.written_points)
        return out
    for ex in exercises.values():
        out.exercises[ex.id] = grade_exercise(ex, read, seed, runner)
    out.total = round(sum(r.score for r in out.exercises.values()), 2)
    bad = [f"{r.id}: {r.status}" for r in out.exercises.values() if r.status not in CLEAN]
    bad += [f"{r.id} written: {r.written_status}" for r in out.exercises.values()
            if r.written_status and r.written_status != NEEDS_MARKING]
    if read.problem:  # e.g. a link or a broken notebook beside the good ones: say so
        bad.insert(0, read.problem_status)
    out.status = "; ".join(bad) if bad else "ok"
    return out


def grader_error(sub: Submission, exercises: dict[str, Exercise], seed: int,
                 exc: BaseException) -> SubmissionResult:
    """The row of a submission the grader failed on: no points, retried by the next run."""
    out = SubmissionResult(sub.id, sub.digest, seed, f"{GRADER_ERROR}: {type(exc).__name__}",
                           0.0, sum(e.points for e in exercises.values()),
                           "the grader failed on this submission (not the student's doing); "
                           "it is graded again on the next run")
    return out


#: Status prefix of a row the grader failed on (exit code 3; the next run grades it again).
GRADER_ERROR = "grader error"
