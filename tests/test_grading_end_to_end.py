"""bplib-grade end to end: one run over 50+ submissions with -j 2 (solutions, untouched
exercises, typical mistakes in every exercise, the cases of issue 15, tamper attempts, broken
submissions), then checks on its gradebook and feedback, and that the self-check says what the
grader says for every one of them. The submissions are generated from solutions/ by
tests/grading_submissions.py.

The run uses the sandbox (the default) wherever it works; where it does not (a user without
user namespaces) it runs with --no-sandbox, and the tests about confinement are skipped.
Attacks on the sandbox itself are in test_grading_attacks.py."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import grading_submissions as subs
import nbformat
import numpy as np
import pytest

from bplib.grading import cli, selfcheck
from bplib.grading.gradebook import columns
from bplib.grading.manifest import load_manifest

EX = load_manifest()
AUTO = list(EX)
FULL = sum(e.points for e in EX.values())
SEED = 20240917
TIMEOUT = 4.0
N_SOLUTION_COPIES = 3


def _run(args: list[str]) -> int:
    return cli.main([*args, "--no-progress"])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build every test submission, grade them all in one run, return (rc, rows, feedback)."""
    root = tmp_path_factory.mktemp("grading")
    sub = root / "submissions"
    book = root / "out" / "gradebook.csv"
    book.parent.mkdir()
    instructor = root / "instructor"
    instructor.mkdir()
    (instructor / "notes.txt").write_text("do not touch")
    subs.write_all(sub)
    for i in range(N_SOLUTION_COPIES):
        subs.build(sub / f"solution_{i}")
    subs.build(sub / "tamper_write_gradebook", {"ex1": subs.write_file_attempt(str(book))})
    subs.build(sub / "tamper_write_outside", {
        "ex1": subs.write_file_attempt(str(instructor / "notes.txt")),
        "ex2": subs.write_file_attempt(str(instructor / "new.txt"))})
    # a notebook that is not JSON, an empty one, and one that is not an exercise at all
    (sub / "bad_invalid_json").mkdir()
    (sub / "bad_invalid_json" / "ex1_theta.ipynb").write_text('{"cells": [ {oops')
    (sub / "bad_empty_file").mkdir()
    (sub / "bad_empty_file" / "ex1_theta.ipynb").write_bytes(b"")
    (sub / "bad_wrong_notebook").mkdir()
    from nbformat.v4 import new_code_cell, new_notebook

    wrong = new_notebook(cells=[new_code_cell("print('my lecture notes')")])
    (sub / "bad_wrong_notebook" / "ex4_algorithm1.ipynb").write_text(nbformat.writes(wrong))
    folders = sorted(str(p) for p in sub.iterdir())
    assert len(folders) >= 50
    fb = root / "out" / "feedback"
    mode = subs.mode_args()
    rc = _run([*folders, "-o", str(book), "--feedback", str(fb), "-j", "2", "--seed", str(SEED),
               "--timeout", str(TIMEOUT), *mode])
    with open(book, newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    results = {p.stem: json.loads(p.read_text()) for p in fb.glob("*.json")}
    return {"rc": rc, "rows": rows, "results": results, "fb": fb, "book": book,
            "instructor": instructor, "n": len(folders), "folders": folders, "mode": mode}


def _match(pattern: str, name: str) -> bool:
    """'fn: ...' patterns match test names from the start; others anywhere."""
    return name.startswith(pattern) if ":" in pattern else pattern in name


def _cases(result: dict, ex: str) -> dict[str, dict]:
    return {c["name"]: c for c in result["exercises"][ex]["cases"]}


def test_run_of_50_with_two_jobs_completes_with_one_row_each(graded):
    assert len(graded["rows"]) == graded["n"]
    assert len(graded["results"]) == graded["n"]
    assert graded["rc"] == 1  # some submissions have problems, recorded in their status
    assert {r["seed"] for r in graded["rows"].values()} == {str(SEED)}
    header = list(next(iter(graded["rows"].values())))
    assert header == columns(EX) == ["submission", *EX, "ex7 written", "total", "status",
                                     "seed"]


def test_solutions_score_full_marks(graded):
    for i in range(N_SOLUTION_COPIES):
        row = graded["rows"][f"solution_{i}"]
        assert row["status"] == "ok", row
        assert float(row["total"]) == FULL == 90
        for e in AUTO:
            assert float(row[e]) == EX[e].points
        assert row["ex7 written"] == "manual"
    md = (graded["fb"] / "solution_0.md").read_text()
    assert "graded by hand" in md and "With logistic hidden units" in md


def test_the_markers_file_holds_the_answer_the_code_and_its_output(graded):
    """Exercise 7's written part: the marker gets the rubric, the answer, the graded cell and
    what it returned on the statement's network when the grader ran it."""
    text = (graded["fb"] / "manual" / "ex7" / "solution_0.md").read_text()
    for needle in ("## Rubric", "With logistic hidden units", "def delta_norms(p, hidden, y, "
                   "seed):", "the statement's network, logistic", "the statement's network, "
                   "ReLU", "returned: [", "expected: [", "4 / 4 automatically"):
        assert needle in text, needle
    for _, criterion in EX["ex7"].written.rubric:
        assert criterion.replace("|", "\\|") in text


def test_untouched_exercises_score_zero(graded):
    row = graded["rows"]["untouched"]
    assert float(row["total"]) == 0
    for e in AUTO:
        assert f"{e}: not attempted" in row["status"]
        assert float(row[e]) == 0
    assert "ex7 written: not attempted" in row["status"] and row["ex7 written"] == "0"


@pytest.mark.parametrize("name", sorted(subs.BUGGY))
def test_buggy_submission_gets_partial_score_and_diagnosis(graded, name):
    bug = subs.BUGGY[name]
    result = graded["results"][name]
    row = graded["rows"][name]
    ex = result["exercises"][bug.exercise]
    cases = _cases(result, bug.exercise)
    for pattern in bug.must_fail:
        hits = [c for n, c in cases.items() if _match(pattern, n)]
        assert hits and not any(c["passed"] for c in hits), (pattern, hits)
    for pattern in bug.must_pass:
        hits = [c for n, c in cases.items() if _match(pattern, n)]
        assert hits and all(c["passed"] for c in hits), (pattern, hits)
    assert any(bug.diagnosis in c["diagnosis"] for c in cases.values()), cases
    # partial credit = points of each function x the fraction of its cases passed
    expected = 0.0
    for fn, spec in EX[bug.exercise].functions.items():
        mine = [c for c in cases.values() if c["function"] == fn]
        expected += round(spec["points"] * sum(c["passed"] for c in mine) / len(mine), 2)
    assert ex["score"] == pytest.approx(expected)
    assert 0 < ex["score"] < EX[bug.exercise].points
    assert float(row[bug.exercise]) == pytest.approx(expected, abs=0.01)
    for other in AUTO:  # the rest of the submission is untouched: full marks
        if other != bug.exercise:
            assert float(row[other]) == EX[other].points
    md = (graded["fb"] / f"{name}.md").read_text()
    assert "Counterexample" in md and "Likely mistake" in md
    assert "Re-run exactly this test" in md and "inputs(" in md


@pytest.mark.parametrize("name", sorted(subs.BUGGY) + sorted(subs.FOUND))
def test_the_self_check_says_what_the_grader_says(graded, name):
    """The self-check on the same cell, with its public inputs, and the grader, with its own:
    the same cases pass and fail, with the same diagnosis, the same broken rules, and the same
    verdict on forbidden code (issue 15: no surprise in the grade)."""
    if name in subs.BUGGY:
        ex_id, edit = subs.BUGGY[name].exercise, subs.BUGGY[name].edit
    else:
        ex_id, edit, _ = subs.FOUND[name]
    nb = nbformat.read(subs.SOLUTIONS / EX[ex_id].notebook, as_version=4)
    source = edit(next(c.source for c in nb.cells if c.id == EX[ex_id].cell))
    with np.errstate(all="ignore"):
        mine = selfcheck.run(ex_id, source=source)
    theirs = graded["results"][name]["exercises"][ex_id]
    assert (theirs["status"] == "forbidden") == bool(mine.forbidden), (theirs, mine.forbidden)
    if mine.forbidden:
        return
    assert len(theirs["cases"]) == len(mine.outcomes)
    for g, m in zip(theirs["cases"], mine.outcomes, strict=True):
        assert g["function"] == m.function
        assert (g["passed"], g["diagnosis"]) == (m.passed, m.diagnosis), (g["name"], m.name)
    assert bool(theirs["rules"]) == bool(mine.rules)
    assert theirs["functions"] == mine.functions  # the same points on their inputs


@pytest.mark.parametrize("name", sorted(subs.FOUND))
def test_the_cases_issue_15_found_now_agree(graded, name):
    ex_id, _, want = subs.FOUND[name]
    row = graded["rows"][name]
    result = graded["results"][name]["exercises"][ex_id]
    for other in AUTO:
        if other != ex_id:
            assert float(row[other]) == EX[other].points, (other, row)
    if want == "pass":
        assert row["status"] == "ok" and float(row[ex_id]) == EX[ex_id].points, row
    elif want == "forbidden":
        assert float(row[ex_id]) == 0 and f"{ex_id}: forbidden" in row["status"]
        assert "bplib.activations" in result["message"]
    elif want == "rule":
        assert f"{ex_id}: rule broken" in row["status"] and float(row[ex_id]) == 5.0, row
        assert "loops over the examples" in result["rules"][0]
        md = (graded["fb"] / f"{name}.md").read_text()
        assert "rule broken" in md and "5 points deducted" in md
    else:
        failed = [c for c in result["cases"] if not c["passed"]]
        assert failed and all(want in c["diagnosis"] for c in failed), failed
        assert 0 < float(row[ex_id]) < EX[ex_id].points


def test_feedback_lists_every_failure_folding_the_long_list(graded):
    md = (graded["fb"] / "ex4_missing_dS.md").read_text()
    failed = [c for c in graded["results"]["ex4_missing_dS"]["exercises"]["ex4"]["cases"]
              if not c["passed"]]
    assert len(failed) > 3
    assert "<details><summary>" in md and "more failed tests, in detail</summary>" in md
    for c in failed:
        assert f"**{c['name']}**" in md
    assert "more failed tests not shown" not in md
    assert re.search(r"dW\[\d\]: \d+ of \d+ entries differ; the largest difference is at "
                     r"dW\[\d\]\[\d, \d\]: got -?[\d.e+-]+, expected -?[\d.e+-]+, difference "
                     r"[\d.]+e[+-]\d+", md), md[:3000]
    assert "result[" not in md and " -0 " not in md and " -0," not in md


def test_feedback_never_contains_test_code(graded):
    for name in ["ex4_missing_dS", "ex5_naive_softmax", "untouched", "tamper_patch_numpy"]:
        md = (graded["fb"] / f"{name}.md").read_text()
        for secret in ("HIDDEN TESTS", "assert ", "algorithm1(", "def cases_", "make_cases",
                       "softmax_ce_delta"):
            assert secret not in md, (name, secret)


@pytest.mark.parametrize("name, ex, status", [
    ("tamper_patch_numpy", "ex4", None),  # patched np.allclose in the student's process
    ("tamper_always_equal", "ex3", "invalid output"),
    ("tamper_input_transformer", "ex4", "forbidden"),
    ("tamper_call_reference", "ex4", "forbidden"),
    ("tamper_hidden_reference", "ex4", "error"),  # bplib stub has no algorithm1 at run time
])
def test_tamper_attempts_gain_nothing(graded, name, ex, status):
    row = graded["rows"][name]
    assert float(row[ex]) == 0, row
    if status:
        assert f"{ex}: {status}" in row["status"]
    for other in AUTO:
        if other != ex:
            assert float(row[other]) == EX[other].points


def test_forbidden_use_is_explained(graded):
    msg = graded["results"]["tamper_call_reference"]["exercises"]["ex4"]["message"]
    assert "algorithm1" in msg and "reference" in msg
    msg = graded["results"]["tamper_input_transformer"]["exercises"]["ex4"]["message"]
    assert "get_ipython" in msg


def test_student_code_cannot_write_gradebook_or_instructor_files(graded):
    if graded["mode"] and os.geteuid() != 0:
        pytest.skip("graded with --no-sandbox as a normal user: student code runs as that user")
    assert (graded["instructor"] / "notes.txt").read_text() == "do not touch"
    assert not (graded["instructor"] / "new.txt").exists()
    rows = graded["rows"]
    assert rows["tamper_write_gradebook"]["status"] == "ok"  # graded normally, nothing gained
    assert len(rows) == graded["n"]
    text = graded["book"].read_text()
    assert text.startswith("submission,ex1,")
    assert "1.000000000000000000e+00" not in text


@pytest.mark.parametrize("name, ex, status, score", [
    ("bad_raises", "ex1", "error", 4.0),  # count_params raises; pack/unpack still count
    ("bad_infinite_loop", "ex2", "timeout", 5.0),  # cases before the loop keep their points
    ("bad_memory", "ex3", "memory", 0.0),
    ("bad_system_exit", "ex5", "error", 0.0),
    ("bad_os_exit", "ex4", "crashed", 0.0),
    ("bad_killed", "ex2", "killed", 0.0),
])
def test_bad_submissions_get_clear_status_and_only_points_earned(graded, name, ex, status,
                                                                  score):
    row = graded["rows"][name]
    assert f"{ex}: {status}" in row["status"], row
    assert float(row[ex]) == score
    for other in AUTO:
        if other != ex:
            assert float(row[other]) == EX[other].points, (other, row)


def test_huge_output_stops_the_exercise_with_output_limit(graded):
    """print('x' * 10**7) in every call: stopped at the first one, the other exercises and
    submissions untouched."""
    row = graded["rows"]["bad_huge_output"]
    assert row["status"] == "ex6: output-limit" and float(row["ex6"]) == 0
    assert "stdout/stderr" in graded["results"]["bad_huge_output"]["exercises"]["ex6"]["message"]
    for other in AUTO:
        if other != "ex6":
            assert float(row[other]) == EX[other].points


@pytest.mark.parametrize("name, status", [("bad_invalid_json", "invalid notebook"),
                                          ("bad_empty_file", "empty file"),
                                          ("bad_wrong_notebook", "wrong notebook")])
def test_unreadable_submissions_are_reported(graded, name, status):
    row = graded["rows"][name]
    assert row["status"] == status and float(row["total"]) == 0
    assert graded["results"][name]["problem"]


def test_rerun_grades_nothing_again(graded, tmp_path):
    book = tmp_path / "gb.csv"
    shutil.copy(graded["book"], book)
    shutil.copy(str(graded["book"]) + ".journal.jsonl", str(book) + ".journal.jsonl")
    lines_before = Path(str(book) + ".journal.jsonl").read_text().count("\n")
    rc = _run([*graded["folders"], "-o", str(book), "-j", "2", *graded["mode"]])
    assert rc == 1
    assert Path(str(book) + ".journal.jsonl").read_text().count("\n") == lines_before
    assert book.read_text() == graded["book"].read_text()
    assert _run([graded["folders"][0], "-o", str(book), "--seed", "1"]) == 2  # seed mismatch


def test_readme_grading_command_runs_as_printed(tmp_path):
    """The README's `bplib-grade collected/* ...` line, run from a folder holding collected/,
    grades in the sandbox (its default) and writes the gradebook and the feedback."""
    import re
    import shlex
    import subprocess
    import sys

    readme = (subs.ROOT / "README.md").read_text()
    line = next(x for x in re.findall(r"^\.venv/bin/bplib-grade .*$", readme, flags=re.M))
    argv = shlex.split(line.split("#")[0])
    assert "--no-sandbox" not in argv and "collected/*" in argv
    subs.build(tmp_path / "collected" / "alice")
    subs.build(tmp_path / "collected" / "bob", {"ex4": subs.BUGGY["ex4_sign"].edit})
    exe = Path(sys.executable).with_name("bplib-grade")
    argv = [str(exe)] + [a for a in argv[1:] if a != "collected/*"] + [
        "collected/alice", "collected/bob", "--no-progress", *subs.mode_args()]
    res = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    with open(tmp_path / "grades" / "gradebook.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert float(rows["alice"]["total"]) == FULL and float(rows["bob"]["total"]) < FULL
    assert (tmp_path / "grades" / "feedback" / "bob.md").exists()
    if not subs.mode_args():
        assert "sandbox works" in res.stderr
