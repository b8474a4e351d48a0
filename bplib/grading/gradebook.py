"""The gradebook: an fsynced JSON-lines journal, and the CSV rewritten atomically from it.

Each finished submission is one journal line, appended, flushed and fsynced before the CSV is
rewritten (write to a temporary file, fsync, rename). A run killed at any moment (even with
SIGKILL) leaves a journal whose complete lines are finished submissions and a CSV that is
either the previous or the next complete version; a truncated last line is ignored. The next
run with the same ``-o`` resumes: finished submissions (same content) are not graded again;
rows whose status is "grader error" are graded again. The journal also records the folder each
row came from.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from pathlib import Path

from .grade import GRADER_ERROR, NEEDS_MARKING, SubmissionResult
from .manifest import Exercise


class SeedMismatch(ValueError):
    pass


def journal_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".journal.jsonl")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Gradebook:
    """Rows by submission id; ``record`` journals one and rewrites the CSV."""

    def __init__(self, csv_path: Path, exercises: dict[str, Exercise], seed: int | None):
        self.csv_path = Path(csv_path)
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)  # -o grades/gradebook.csv
        self.journal = journal_path(self.csv_path)
        self.exercises = exercises
        self.rows: dict[str, dict] = {}
        self._lock = threading.Lock()
        header = None
        if self.journal.exists():
            for line in self.journal.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # the line being written when a run was killed
                if not isinstance(rec, dict):
                    continue
                if "run_seed" in rec and header is None:
                    header = rec
                elif isinstance(rec.get("row"), dict) and \
                        isinstance(rec["row"].get("submission"), str):
                    self.rows[rec["row"]["submission"]] = rec
        if header is not None:
            if seed is not None and seed != header["run_seed"]:
                raise SeedMismatch(
                    f"--seed {seed}: this gradebook's journal {self.journal} was started with "
                    f"seed {header['run_seed']}; resume with that seed, or use another -o")
            self.seed = int(header["run_seed"])
        else:
            self.seed = seed if seed is not None else int.from_bytes(os.urandom(6), "big")
            self._append({"run_seed": self.seed})
        self._write_csv()

    def done(self, sub_id: str, digest: str) -> bool:
        rec = self.rows.get(sub_id)
        return (rec is not None and rec.get("digest") == digest
                and not str(rec["row"].get("status", "")).startswith(GRADER_ERROR))

    def path_of(self, sub_id: str) -> str | None:
        """The folder the row of ``sub_id`` was graded from (None: no row, or not recorded)."""
        rec = self.rows.get(sub_id)
        return rec.get("path") if rec else None

    def record(self, result: SubmissionResult, path: str | None = None) -> None:
        row = {"submission": result.id}
        for ex in self.exercises.values():
            r = result.exercises.get(ex.id)
            row[ex.id] = _fmt(r.score if r else 0.0)
            if ex.written:  # marked by hand: "manual" when there is an answer to mark
                row[written_column(ex.id)] = ("manual" if r and r.written_status == NEEDS_MARKING
                                              else "0")
        row.update(total=_fmt(result.total), status=result.status, seed=str(result.seed))
        rec = {"row": row, "digest": result.digest, **({"path": path} if path else {})}
        with self._lock:
            self._append(rec)
            self.rows[result.id] = rec
            self._write_csv()

    def _append(self, rec: dict) -> None:
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _write_csv(self) -> None:
        cols = columns(self.exercises)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for sub_id in sorted(self.rows):
            row = dict(self.rows[sub_id]["row"])
            if row["submission"].startswith(("=", "+", "-", "@", "\t", "\r")):
                row["submission"] = "'" + row["submission"]  # never a spreadsheet formula
            w.writerow(row)
        atomic_write(self.csv_path, buf.getvalue())


def written_column(ex_id: str) -> str:
    """The gradebook column of an exercise's written part, marked by hand."""
    return f"{ex_id} written"


def columns(exercises: dict[str, Exercise]) -> list[str]:
    """submission, one column per exercise (points graded automatically), one per written
    part ("manual": to be marked by hand), total (automatic), status, seed."""
    return ["submission", *exercises,
            *(written_column(e) for e, ex in exercises.items() if ex.written),
            "total", "status", "seed"]


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x % 1 else str(int(x))
