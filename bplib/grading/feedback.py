"""Per-student feedback in Markdown: score per exercise, each test by name, and for every failed
test what differed, the likely mistake, the inputs drawn and one line that re-runs the test in
the student's notebook. Never any test code.

Next to each ``<id>.md`` the same result is written as ``<id>.json`` (for scripts, e.g. an
LMS import). A written part goes to the marker as ``manual/<exercise>/<id>.md``: the rubric,
the written answer, the graded cell's code and what it returned on the statement's inputs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .grade import NEEDS_MARKING, ExerciseResult, SubmissionResult
from .gradebook import atomic_write
from .manifest import load_manifest

MAX_DETAILS = 3  # failed tests shown open per exercise; the others are listed folded


def safe_name(sub_id: str) -> str:
    """A file name for the submission's feedback: letters, digits, '.', '_', '-', at most 100
    characters (a long id keeps a hash of itself, so names stay distinct)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", sub_id).strip("._") or "submission"
    if len(name) > 100:
        name = name[:80] + "-" + hashlib.sha256(sub_id.encode()).hexdigest()[:16]
    return name


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _num(x: float) -> str:
    return f"{x + 0.0:g}"


def _failure(c, seed: int) -> list[str]:
    lines = [f"**{c.name}**: {c.message}"]
    if c.diagnosis:
        lines += ["", f"Likely mistake: {c.diagnosis}."]
    if c.counterexample:
        lines += ["", "Counterexample (the inputs drawn for this test):", "", "```",
                  c.counterexample, "```"]
    if c.rerun:
        lines += ["", "Re-run exactly this test in your notebook (after running the graded "
                  "cell):", "", "```python", c.rerun, "```"]
    return lines


def _exercise(r: ExerciseResult, seed: int) -> list[str]:
    how = "graded by hand" if r.written_status == NEEDS_MARKING else r.written_status
    written = f" + written part {how} (/ {_num(r.written_max)})" if r.written_status else ""
    lines = ["", f"## {r.id}: {r.title} — {_num(r.score)} / {_num(r.max)}{written}", "",
             f"Status: {r.status}."]
    if r.message:
        lines += ["", r.message]
    for rule in r.rules:
        lines += ["", f"**{rule}**"]
    if r.answer:
        lines += ["", "Your written answer (for the marker):", "", *(
            "> " + s for s in r.answer.strip().splitlines())]
    if r.functions:
        lines += ["", "| function | points |", "|---|---|"]
        lines += [f"| `{n}` | {_num(s)} / {_num(m)} |" for n, (s, m) in r.functions.items()]
    if r.cases:
        lines += ["", "| test | result |", "|---|---|"]
        lines += [f"| {_cell(c.name)} | {'passed' if c.passed else 'FAILED'} |"
                  for c in r.cases]
    failed = [c for c in r.cases if not c.passed and c.message != "not implemented yet"]
    for c in failed[:MAX_DETAILS]:
        lines += ["", *_failure(c, seed)]
    rest = failed[MAX_DETAILS:]
    if rest:
        lines += ["", f"<details><summary>{len(rest)} more failed test"
                  f"{'s' if len(rest) > 1 else ''}, in detail</summary>"]
        for c in rest:
            lines += ["", *_failure(c, seed)]
        lines += ["", "</details>"]
    return lines


def render(result: SubmissionResult) -> str:
    lines = [f"# Feedback: {result.id}", ""]
    written = [r for r in result.exercises.values() if r.written_status]
    lines.append(f"Automatically graded: **{_num(result.total)} / {_num(result.max_total)}**"
                 + (f" (plus the written parts of {', '.join(r.id for r in written)}, graded "
                    "by hand)" if written else "") + ".")
    lines.append(f"Status: {result.status}. Test inputs were drawn with seed {result.seed}; "
                 "each failed test below has a line that re-runs it in your notebook.")
    if result.problem:
        lines += ["", f"**Problem with the submission:** {result.problem}"]
    for r in result.exercises.values():
        lines += _exercise(r, result.seed)
    lines += ["", "---", "Wrong answers were compared with bplib's reference on inputs drawn at "
              "grading time; your own checks in the notebook are not part of the grade."]
    return "\n".join(lines) + "\n"


def render_for_marker(result: SubmissionResult, r: ExerciseResult) -> str:
    """The marker's file of a written part: the rubric, the answer, the graded cell's code and
    what it returned on the statement's inputs (run by the grader), and its automatic score."""
    ex = load_manifest().get(r.id)
    lines = [f"# {r.id} written part: {result.id}", "",
             f"{r.title}. Written part: **___ / {_num(r.written_max)}** (graded by hand). "
             f"The code part scored {_num(r.score)} / {_num(r.max)} automatically "
             f"(status {r.status}; seed {result.seed}).", ""]
    if ex and ex.written:
        lines += ["## Rubric", "", "| points | criterion |", "|---|---|"]
        lines += [f"| {_num(p)} | {_cell(c)} |" for p, c in ex.written.rubric]
        lines.append("")
    lines += ["## The written answer", "", *("> " + s for s in r.answer.strip().splitlines()),
              "", "## The graded cell's code", "", "```python", r.code.rstrip(), "```", "",
              "## What the code returned on the statement's inputs (run by the grader)", ""]
    shown = [c for c in r.cases if c.returned or "statement" in c.name]
    if not shown:
        lines.append("(nothing: the code did not run on them; see the status above)")
    for c in shown:
        lines += [f"**{c.name}**: {'passed' if c.passed else 'FAILED'}", "", "```",
                  f"returned: {c.returned or c.message}", f"expected: {c.expected or '-'}",
                  "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write(result: SubmissionResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(result.id)}.md"
    atomic_write(path, render(result))
    atomic_write(path.with_suffix(".json"), json.dumps(result.to_dict(), indent=1) + "\n")
    for r in result.exercises.values():
        if r.written_status == NEEDS_MARKING:
            sub = folder / "manual" / r.id
            sub.mkdir(parents=True, exist_ok=True)
            atomic_write(sub / f"{safe_name(result.id)}.md", render_for_marker(result, r))
    return path
