"""``bplib-grade``: grade returned exercise notebooks.

    bplib-grade SUBMISSIONS... -o gradebook.csv [--feedback DIR] [-j N] [--sandbox]
                [--seed S] [--timeout T] [--memory MB]

Each SUBMISSION is one student's folder of notebooks (or a single .ipynb). Exit codes:

    0  every submission graded cleanly (status "ok")
    1  at least one submission has a problem recorded in its status (student code raised,
       timed out, crashed or was killed; a cell missing, duplicated, mangled or forbidden;
       an empty, invalid or wrong notebook); its row and feedback are written all the same
    2  nothing graded: bad arguments, --sandbox without a working bubblewrap, or a --seed
       that differs from the one the gradebook's journal was started with
    3  the grader itself failed on at least one submission (a bug: its row is not written,
       so the next run retries it)
"""

from __future__ import annotations

import argparse
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import feedback
from .grade import grade_submission
from .gradebook import Gradebook, SeedMismatch
from .manifest import load_manifest
from .notebooks import discover
from .runner import Limits, SandboxUnavailable, check_sandbox, drops_privileges, hideable


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="bplib-grade", description="Grade returned bplib exercise notebooks.",
        epilog="Exit codes: 0 all ok, 1 some submission has a problem (see its status), "
               "2 nothing graded (usage, sandbox, seed), 3 grader error on some submission.")
    ap.add_argument("submissions", nargs="+", help="one folder (or .ipynb) per student")
    ap.add_argument("-o", "--output", required=True, type=Path, help="gradebook CSV to write")
    ap.add_argument("--feedback", type=Path, help="folder for per-student Markdown feedback")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel")
    ap.add_argument("--sandbox", action="store_true",
                    help="run student code under bubblewrap (read-only FS, no network)")
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
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exercises = load_manifest()
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [w for w in wanted if w not in exercises]
        if unknown:
            print(f"bplib-grade: --only: unknown exercise(s) {unknown}; expected some of "
                  f"{list(exercises)}", file=sys.stderr)
            return 2
        exercises = {k: v for k, v in exercises.items() if k in wanted}
    if args.sandbox:
        try:
            print(f"bplib-grade: {check_sandbox()}", file=sys.stderr)
        except SandboxUnavailable as exc:
            print(f"bplib-grade: {exc}", file=sys.stderr)
            return 2
    elif not drops_privileges():
        print("bplib-grade: warning: not running as root, so student code runs as your own user "
              "and could write your files; use --sandbox for isolation", file=sys.stderr)
    try:
        book = Gradebook(args.output, exercises, args.seed)
    except SeedMismatch as exc:
        print(f"bplib-grade: {exc}", file=sys.stderr)
        return 2
    subs = discover(args.submissions)
    todo = [s for s in subs if not book.done(s.id, s.digest)]
    if len(todo) < len(subs):
        print(f"bplib-grade: resuming: {len(subs) - len(todo)} submission(s) already graded in "
              f"{args.output}", file=sys.stderr)
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
    limits = Limits(timeout=args.timeout, memory_mb=args.memory)
    # in the sandbox, the folders holding submissions, gradebook and feedback look empty
    hide = hideable([*(s.path.parent if s.path.is_file() else s.path for s in subs),
                     *(s.path.parent for s in subs), args.output.parent,
                     *([args.feedback] if args.feedback else [])]) if args.sandbox else []
    internal_errors = 0

    def work(sub):
        result = grade_submission(sub, exercises, book.seed, limits, sandbox=args.sandbox,
                                  hide=hide)
        if args.feedback:
            feedback.write(result, args.feedback)
        book.record(result)  # last: a journaled row means its feedback exists
        return result

    bar = _progress(len(todo), args.no_progress)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(work, s): s for s in todo}
        for fut in as_completed(futures):
            sub = futures[fut]
            try:
                fut.result()
            except Exception:  # noqa: BLE001  (report, keep grading the others)
                internal_errors += 1
                print(f"bplib-grade: internal error grading {sub.id}:\n"
                      f"{traceback.format_exc()}", file=sys.stderr)
            bar.update(1)
    bar.close()
    problems = sum(1 for rec in book.rows.values()
                   if rec["row"]["status"] != "ok" and rec["row"]["submission"]
                   in {s.id for s in subs})
    print(f"bplib-grade: {len(subs)} submission(s), {problems} with problems, gradebook "
          f"{args.output}, seed {book.seed}", file=sys.stderr)
    if internal_errors:
        return 3
    return 1 if problems else 0


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
