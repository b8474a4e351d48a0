"""Grade one submission: find its cells, scan them, run them, judge the answers.

Partial credit: each graded function's points times the fraction of its cases passed. Every
judgement happens here, in the grader's process, against bplib's reference (see cases.py).

Everything a submission can do wrong ends here as a status of that exercise or submission;
an exception escaping :func:`grade_submission` is a bug of the grader (or a machine problem
such as a worker that cannot start), never the student's doing: see cli.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .cases import Case, describe_args, judge, make_cases
from .manifest import Exercise
from .notebooks import Submission, read_submission
from .runner import Runner
from .static import CellSyntaxError, scan

#: Exercise statuses that mean "graded normally" (wrong answers are normal grading).
CLEAN = {"ok", "needs manual grading"}


@dataclass
class CaseOutcome:
    name: str
    function: str
    passed: bool
    message: str = ""  # why it failed
    diagnosis: str = ""  # the typical mistake the answer matches
    counterexample: str = ""  # the inputs, printed (no test code)


@dataclass
class ExerciseResult:
    id: str
    title: str
    status: str
    score: float | None  # None: graded by hand
    max: float
    message: str = ""
    functions: dict[str, list[float]] = field(default_factory=dict)  # name -> [score, max]
    cases: list[CaseOutcome] = field(default_factory=list)
    answer: str = ""  # written answer (manual exercises)


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


def _error_text(err: dict) -> str:
    where = f" (line {err['line']} of your cell)" if err.get("line") else ""
    return f"raised {err['type']}: {err['message']}{where}"


def _hint(err: dict) -> str:
    """A likely cause for a common exception, in the lecture's terms."""
    msg = err["message"]
    if err["type"] == "ValueError" and ("matmul" in msg or "not aligned" in msg
                                        or "broadcast" in msg):
        return ("a shape mismatch in a product: W_l has shape (p_l, p_{l-1}), so the backward "
                "step needs W_l^T (transposed W?)")
    if err["type"] == "MemoryError":
        return "the function allocated far more memory than the exercise needs"
    return ""


def grade_exercise(ex: Exercise, found, seed: int, runner: Runner) -> ExerciseResult:
    res = ExerciseResult(ex.id, ex.title, found.status, None if ex.manual else 0.0, ex.points,
                         found.message)
    if ex.manual:
        if found.status == "ok":
            res.status, res.answer = "needs manual grading", found.source or ""
        return res
    res.functions = {name: [0.0, float(f["points"])] for name, f in ex.functions.items()}
    if found.status != "ok":
        return res
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
        notes.append("when run on its own, the cell " + _error_text(run.cell_error)
                     + " (the graded cell runs alone: put its imports inside it)")
    passed: dict[str, list[int]] = {name: [0, 0] for name in ex.functions}
    kinds = set()
    for case, (value, err) in zip(cases, run.answers, strict=True):
        arg_names = ex.functions[case.function]["args"]
        passed[case.function][1] += 1
        if err is None and value is None and run.status != "ok":
            out = CaseOutcome(case.name, case.function, False,
                              f"not run: {run.detail}")
            kinds.add("stopped")
        elif err is not None and err["type"] == "NotImplementedError":
            kinds.add(err["type"])
            out = CaseOutcome(case.name, case.function, False, "not implemented yet")
        elif err is not None:
            kinds.add(err["type"])
            out = CaseOutcome(case.name, case.function, False, _error_text(err),
                              _hint(err), describe_args(case, arg_names))
        else:
            v = judge(case, value)
            out = CaseOutcome(case.name, case.function, v.passed, v.message, v.diagnosis,
                              "" if v.passed else describe_args(case, arg_names))
            passed[case.function][0] += v.passed
        res.cases.append(out)
    score = 0.0
    for name, (ok, n) in passed.items():
        pts = float(ex.functions[name]["points"])
        res.functions[name] = [round(pts * ok / n, 2) if n else 0.0, pts]
        score += res.functions[name][0]
    res.score = round(score, 2)
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
    else:
        res.status = "ok"
    res.message = "; ".join(n for n in notes if n)
    return res


def grade_submission(sub: Submission, exercises: dict[str, Exercise], seed: int,
                     runner: Runner) -> SubmissionResult:
    read = read_submission(sub, exercises)
    out = SubmissionResult(sub.id, read.digest or sub.digest, seed, "ok", 0.0,
                           sum(e.points for e in exercises.values() if not e.manual),
                           read.problem or "")
    if read.status != "ok":
        out.status = read.status
        for ex in exercises.values():
            out.exercises[ex.id] = ExerciseResult(ex.id, ex.title, read.status,
                                                  None if ex.manual else 0.0, ex.points,
                                                  read.problem or "")
        return out
    for ex in exercises.values():
        out.exercises[ex.id] = grade_exercise(ex, read.cells[ex.id], seed, runner)
    out.total = round(sum(r.score or 0.0 for r in out.exercises.values()), 2)
    bad = [f"{r.id}: {r.status}" for r in out.exercises.values() if r.status not in CLEAN]
    if read.problem:  # e.g. a link or a broken notebook beside the good ones: say so
        bad.insert(0, read.problem_status)
    out.status = "; ".join(bad) if bad else "ok"
    return out


def grader_error(sub: Submission, exercises: dict[str, Exercise], seed: int,
                 exc: BaseException) -> SubmissionResult:
    """The row of a submission the grader failed on: no points, retried by the next run."""
    out = SubmissionResult(sub.id, sub.digest, seed, f"{GRADER_ERROR}: {type(exc).__name__}",
                           0.0, sum(e.points for e in exercises.values() if not e.manual),
                           "the grader failed on this submission (not the student's doing); "
                           "it is graded again on the next run")
    return out


#: Status prefix of a row the grader failed on (exit code 3; the next run grades it again).
GRADER_ERROR = "grader error"
