"""bplib-grade killed with SIGKILL mid-run resumes without regrading or losing rows, and the
next run removes the job folders the killed grader left; the sandbox (the default) keeps
student code away from the instructor's files and other submissions; a missing bubblewrap is a
clear error (exit 2) that names --no-sandbox."""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grading_submissions as subs
import pytest

from bplib.grading import cli
from bplib.grading.manifest import load_manifest


def _rows(book: Path) -> dict[str, dict]:
    with open(book, newline="") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


def _journal_ids(book: Path) -> list[str]:
    ids = []
    for line in Path(str(book) + ".journal.jsonl").read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if "row" in rec:
            ids.append(rec["row"]["submission"])
    return ids


def test_sigkill_mid_run_resumes_without_regrading_or_losing_rows(tmp_path, monkeypatch):
    sub = tmp_path / "subs"
    for i in range(8):
        # every other one is slow (an infinite loop stopped by the timeout) to widen the window
        subs.build(sub / f"s{i}", {"ex2": subs.INFINITE_LOOP} if i % 2 else None)
    book = tmp_path / "gb.csv"
    tmp = tmp_path / "tmp"  # this test's own grader workspace, to see what a kill leaves
    tmp.mkdir()
    folders = sorted(str(p) for p in sub.iterdir())
    only = ["--only", "ex1,ex2,ex3,ex4"]  # enough work per submission to kill mid-run
    cmd = [sys.executable, "-m", "bplib.grading.cli", *folders, "-o", str(book), "-j", "1",
           "--seed", "5", "--timeout", "2", "--no-progress", *only, *subs.mode_args()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if book.exists() and len(_journal_ids(book)) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and everything it started
    proc.wait()
    done = _journal_ids(book)
    assert 3 <= len(done) < 8, done
    # The journal is written (fsynced) first and the CSV rebuilt from it right after, so a
    # SIGKILL between the two can leave the CSV one row behind, never ahead and never partial;
    # the resumed run below rebuilds it with every row.
    in_csv = set(_rows(book))
    assert in_csv <= set(done) and set(done) - in_csv <= {done[-1]}, (in_csv, done)
    base = tmp / f"bplib-grade-{os.geteuid()}"
    left = sorted(p.name for p in base.iterdir() if p.name.startswith("run-"))
    assert left, "the killed grader's run folder (and lock) should still be there"

    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    rc = cli.main([*folders, "-o", str(book), "-j", "2", "--timeout", "2", "--no-progress",
                   *only, *subs.mode_args()])
    assert rc == 1  # the looping submissions are recorded with status "ex2: timeout"
    ids = _journal_ids(book)
    assert sorted(ids) == sorted(f"s{i}" for i in range(8))  # each graded exactly once
    assert ids[: len(done)] == done
    rows = _rows(book)
    assert len(rows) == 8 and {r["seed"] for r in rows.values()} == {"5"}
    assert rows["s0"]["status"] == "ok" and rows["s1"]["status"] == "ex2: timeout"
    assert not [p for p in base.iterdir() if p.name.startswith(("run-", "uid-"))], \
        "stale job folders of the killed grader were not removed"


def test_sandbox_grades_and_confines_writes(tmp_path):
    subs.require_sandbox()
    host_tmp = Path("/tmp") / f"bplib-sandbox-probe-{secrets.token_hex(6)}"
    instructor = tmp_path / "instructor"
    instructor.mkdir()
    os.chmod(instructor, 0o777)  # even a world-writable folder is read-only in the sandbox
    sub = tmp_path / "subs"
    subs.build(sub / "solution")
    subs.build(sub / "writer", {"ex1": subs.write_file_attempt(str(host_tmp)),
                                "ex2": subs.write_file_attempt(str(instructor / "x.txt"))})
    subs.build(sub / "looping", {"ex2": subs.INFINITE_LOOP})
    book = tmp_path / "gb.csv"
    try:
        rc = cli.main([str(p) for p in sorted(sub.iterdir())]
                      + ["-o", str(book), "-j", "2", "--timeout", "3", "--no-progress"])
        assert not host_tmp.exists()
    finally:
        if host_tmp.exists():
            host_tmp.unlink()
    assert not (instructor / "x.txt").exists()
    rows = _rows(book)
    assert rc == 1
    assert rows["solution"]["status"] == "ok" and rows["writer"]["status"] == "ok"
    full = sum(e.points for e in load_manifest().values())
    assert float(rows["solution"]["total"]) == float(rows["writer"]["total"]) == full
    assert rows["looping"]["status"] == "ex2: timeout" and float(rows["looping"]["ex2"]) == 5


def test_sandbox_hides_other_submissions(tmp_path):
    subs.require_sandbox()
    base = Path(tempfile.mkdtemp(prefix="bplib-sbx-test-", dir="/var/tmp"))
    os.chmod(base, 0o755)  # readable by every user: only the sandbox keeps it out
    try:
        other = subs.build(base / "other")
        (other / "secret.txt").write_text("1 2 3\n")
        snoop = subs.append(
            "try:\n"
            f"    np.loadtxt({str(other / 'secret.txt')!r})\n"
            "    def count_params(p):  # only if the other student's file was readable\n"
            "        return -1\n"
            "except Exception:\n"
            "    pass\n")
        subs.build(base / "snoop", {"ex1": snoop})
        book = tmp_path / "gb.csv"
        cli.main([str(base / "other"), str(base / "snoop"), "-o", str(book),
                  "--only", "ex1", "--no-progress"])
        assert float(_rows(book)["snoop"]["ex1"]) == 6
        # without the sandbox a world-readable file is readable (docs: chmod -R go-rwx)
    finally:
        shutil.rmtree(base)


def test_sandbox_unavailable_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from bplib.grading import sandbox

    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "no-bwrap"))
    rc = cli.main([str(tmp_path), "-o", str(tmp_path / "gb.csv"), "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "bubblewrap" in err and "--no-sandbox" in err and "trusted code" in err
    assert not (tmp_path / "gb.csv").exists()


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main([str(tmp_path), "-o", str(tmp_path / "g.csv"), "--only", "ex99"]) == 2
    assert "ex99" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main([str(tmp_path), "-o", str(tmp_path / "g.csv"), "-j", "0"])
    assert exc.value.code == 2
    assert shutil.which("bplib-grade") or Path(sys.executable).with_name("bplib-grade").exists()
