"""Per-student feedback in Markdown: score per exercise, each test by name, and for a failed
test the counterexample drawn and the likely mistake. Never any test code.

Next to each ``<id>.md`` the same result is written as ``<id>.json`` (for scripts, e.g. an
LMS import); written answers of manual exercises also go to ``manual/<exercise>/<id>.md``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .grade import SubmissionResult
from .gradebook import atomic_write

MAX_DETAILS = 3  # failed tests shown in full per exercise


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
    return f"{x:g}"


def render(result: SubmissionResult) -> str:
    lines = [f"# Feedback: {result.id}", ""]
    manual = [r for r in result.exercises.values() if r.score is None]
    lines.append(f"Automatically graded: **{_num(result.total)} / {_num(result.max_total)}**"
                 + (f" (plus {', '.join(r.id for r in manual)}, graded by hand)" if manual else "")
                 + ".")
    lines.append(f"Status: {result.status}. Test inputs were drawn with seed {result.seed}.")
    if result.problem:
        lines += ["", f"**Problem with the submission:** {result.problem}"]
    for r in result.exercises.values():
        score = "graded by hand" if r.score is None else f"{_num(r.score)} / {_num(r.max)}"
        lines += ["", f"## {r.id}: {r.title} — {score}", "", f"Status: {r.status}."]
        if r.message:
            lines += ["", r.message]
        if r.answer:
            lines += ["", "Your written answer (for the grader):", "", *(
                "> " + s for s in r.answer.strip().splitlines())]
        if r.functions:
            lines += ["", "| function | points |", "|---|---|"]
            lines += [f"| `{n}` | {_num(s)} / {_num(m)} |" for n, (s, m) in r.functions.items()]
        if r.cases:
            lines += ["", "| test | result |", "|---|---|"]
            lines += [f"| {_cell(c.name)} | {'passed' if c.passed else 'FAILED'} |"
                      for c in r.cases]
        failed = [c for c in r.cases if not c.passed]
        for c in failed[:MAX_DETAILS]:
            lines += ["", f"**{c.name}**: {c.message}"]
            if c.diagnosis:
                lines += ["", f"Likely mistake: {c.diagnosis}."]
            if c.counterexample:
                lines += ["", "Counterexample (the inputs drawn for this test):", "", "```",
                          c.counterexample, "```"]
        if len(failed) > MAX_DETAILS:
            lines += ["", f"({len(failed) - MAX_DETAILS} more failed tests not shown in detail.)"]
    lines += ["", "---", "Wrong answers were compared with bplib's reference on inputs drawn at "
              "grading time; your own checks in the notebook are not part of the grade."]
    return "\n".join(lines) + "\n"


def write(result: SubmissionResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(result.id)}.md"
    atomic_write(path, render(result))
    atomic_write(path.with_suffix(".json"), json.dumps(result.to_dict(), indent=1) + "\n")
    for r in result.exercises.values():
        if r.answer:
            sub = folder / "manual" / r.id
            sub.mkdir(parents=True, exist_ok=True)
            atomic_write(sub / f"{safe_name(result.id)}.md",
                         f"# {r.id}: {result.id}\n\n{r.answer.strip()}\n")
    return path
