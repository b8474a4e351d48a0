"""``bplib-grade``: grade returned exercise notebooks.

    bplib-grade SUBMISSIONS... -o gradebook.csv [--feedback DIR] [-j N] [--no-sandbox]
                [--seed S] [--timeout T] [--memory MB] [--only ex1,ex2]

Each SUBMISSION is one student's folder of notebooks (or a single .ipynb). Student code runs in
the bubblewrap sandbox (:mod:`.sandbox`); ``--no-sandbox`` is for trusted code only. Exit codes:

    0  every submission graded cleanly (status "ok")
    1  at least one submission has a problem recorded in its status (student code raised,
       timed out, crashed, flooded its output; a cell missing, duplicated, mangled or
       forbidden; an empty, invalid or wrong notebook; a link or device in the folder); its
       row and feedback are written all the same
    2  nothing graded: bad arguments, two submissions with the same id, no working sandbox
       (its self-test failed), or a --seed that differs from the gradebook's
    3  the grader failed on at least one submission: a bug in the grader, or a machine
       problem (a worker that could not start). Such a row reads "grader error: ..." with no
       points and no feedback, and the next run grades it again. Nothing a submission
       contains leads here: whatever it holds ends as a status of that submission.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import feedback
from .grade import GRADER_ERROR, grade_submission, grader_error
from .gradebook import Gradebook, SeedMismatch
from .manifest import load_manifest
from .notebooks import SubmissionIdError, discover, shown
from .parsing import format_exc
from .runner import Limits, Runner, drops_privileges
from .sandbox import SandboxUnavailable, WorkspaceError

TRUSTED_ONLY = ("--no-sandbox: student code runs WITHOUT the sandbox and can read every file "
                "its user can read (the solutions, other submissions) and use the network. For "
                "trusted code only.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="bplib-grade", description="Grade returned bplib exercise notebooks.",
        epilog="Exit codes: 0 all ok, 1 some submission has a problem (see its status), "
               "2 nothing graded (usage, ids, sandbox, seed), 3 grader error on some "
               "submission (retried by the next run).")
    ap.add_argument("submissions", nargs="+", help="one folder (or .ipynb) per student")
    ap.add_argument("-o", "--output", required=True, type=Path, help="gradebook CSV to write")
    ap.add_argument("--feedback", type=Path, help="folder for per-student Markdown feedback")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel")
    sb = ap.add_mutually_exclusive_group()
    sb.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                    help="run student code without bubblewrap: FOR TRUSTED CODE ONLY")
    sb.add_argument("--sandbox", dest="sandbox", action="store_true",
                    help="run student code in the bubblewrap sandbox (the default)")
    ap.set_defaults(sandbox=True)
    ap.add_argument("--seed", type=int, help="seed for the test inputs (default: fresh, or the "
                    "one recorded in the gradebook when resuming)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="wall-clock seconds per exercise (default 60)")
    ap.add_argument("--memory", type=int, default=2048,
                    help="address-space limit per exercise process in MiB (default 2048)")
    ap.add_argument("--only", help="comma-separated exercise ids to grade (default: all)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"-j/--jobs: expected a positive integer, got {args.jobs}")
    if args.timeout <= 0:
        ap.error(f"--timeout: expected a positive number of seconds, got {args.timeout}")
    if args.memory < 64:
        ap.error(f"--memory: expected at least 64 MiB, got {args.memory}")
    return args


def _say(msg: str) -> None:
    print(f"bplib-grade: {msg}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exercises = load_manifest()
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [w for w in wanted if w not in exercises]
        if unknown:
            _say(f"--only: unknown exercise(s) {unknown}; expected some of {list(exercises)}")
            return 2
        exercises = {k: v for k, v in exercises.items() if k in wanted}
    try:
        subs = discover(args.submissions)
    except SubmissionIdError as exc:
        _say(str(exc))
        return 2
    if not args.sandbox:
        _say(TRUSTED_ONLY)
        if not drops_privileges():
            _say("warning: not running as root, so student code also runs as your own user "
                 "and could change your files")
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    try:
        runner = Runner(limits, sandbox=args.sandbox)
    except (SandboxUnavailable, WorkspaceError) as exc:
        _say(str(exc))
        return 2
    try:
        if runner.workspace.removed_stale:
            _say(f"removed {len(runner.workspace.removed_stale)} job folder(s) left by a grader "
                 "that was killed")
        try:
            _say(runner.self_test())
        except SandboxUnavailable as exc:
            _say(f"{exc}\nNothing graded.")
            return 2
        try:
            book = Gradebook(args.output, exercises, args.seed)
        except SeedMismatch as exc:
            _say(str(exc))
            return 2
        return _grade_all(args, subs, exercises, book, runner)
    finally:
        runner.close()


def _grade_all(args, subs, exercises, book: Gradebook, runner: Runner) -> int:
    moved = set()
    for s in subs:
        before = book.path_of(s.id)
        if before and before != _where(s):
            moved.add(s.id)
            _say(f"warning: {s.id}: its row in {args.output} came from {before}; now grading "
                 f"{_where(s)}, whose result replaces that row")
    todo = [s for s in subs if s.id in moved or not book.done(s.id, s.digest)]
    if len(todo) < len(subs):
        _say(f"resuming: {len(subs) - len(todo)} submission(s) already graded in {args.output}")
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
    failed = 0

    def work(sub):
        """One submission, start to finish. An exception here is the grader's fault: the row
        says "grader error", the traceback goes to stderr, and the next run retries it."""
        try:
            result = grade_submission(sub, exercises, book.seed, runner)
        except Exception as exc:  # noqa: BLE001  (reported; the other submissions go on)
            _say(f"internal error grading {sub.id} ({_where(sub)}):\n{format_exc()}")
            book.record(grader_error(sub, exercises, book.seed, exc), _where(sub))
            return False
        if args.feedback:
            feedback.write(result, args.feedback)
        book.record(result, _where(sub))  # last: a journaled row means its feedback exists
        return True

    bar = _progress(len(todo), args.no_progress)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(work, s): s for s in todo}
        for fut in as_completed(futures):
            sub = futures[fut]
            try:
                ok = fut.result()
            except Exception:  # noqa: BLE001  (e.g. the gradebook's disk is full)
                ok = False
                _say(f"internal error recording {sub.id}:\n{format_exc()}")
            failed += not ok
            bar.update(1)
    bar.close()
    ids = {s.id for s in subs}
    rows = [rec["row"] for rec in book.rows.values() if rec["row"]["submission"] in ids]
    problems = sum(1 for r in rows if r["status"] != "ok")
    errors = sum(1 for r in rows if r["status"].startswith(GRADER_ERROR))
    _say(f"{len(subs)} submission(s), {problems} with problems, gradebook {args.output}, "
         f"seed {book.seed}")
    if failed or errors:
        _say(f"{max(failed, errors)} submission(s) hit a grader error; run the same command "
             "again to retry them")
        return 3
    return 1 if problems else 0


def _where(sub) -> str:
    return shown(os.path.abspath(sub.path), 1000)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, disabled: bool):
    if disabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="submission", desc="grading", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
