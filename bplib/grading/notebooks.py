"""Reading returned notebooks: find each exercise's cell by its id/metadata, nothing else.

A submission is one student's folder of notebooks (or a single .ipynb file). Every exercise
cell is looked up by the manifest's cell id (nbformat cell ``id`` or nbgrader ``grade_id``), in
any notebook of the submission; the rest of the notebooks is ignored. A missing, duplicated or
mangled cell is reported for that exercise only, in plain words.

Everything in a submission is the student's, so nothing in it is trusted: no symbolic link is
followed (neither a linked folder nor a linked notebook), a notebook is opened with
``O_NOFOLLOW | O_NONBLOCK`` and read only if ``fstat`` says it is a regular file of at most
:data:`MAX_NOTEBOOK_BYTES`; a folder is walked at most :data:`MAX_DIR_DEPTH` deep and
:data:`MAX_ENTRIES` entries wide; JSON nested deeper than :data:`MAX_JSON_DEPTH` is refused;
UTF-8 with or without BOM, UTF-16 and UTF-32 notebooks are read. Student code is parsed here
only through :func:`parse_code`, which turns every parser failure (SyntaxError, too deep,
too large) into a message.

Submission ids come from the folder path (its name; for nbgrader's
``submitted/<student>/<assignment>/`` the student's name) and must be unique in a run:
:func:`discover` refuses ids (or feedback file names) that two submissions would share.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .manifest import Exercise
from .parsing import parse

MAX_NOTEBOOK_BYTES = 20 << 20
MAX_SUBMISSION_BYTES = 100 << 20
MAX_NOTEBOOKS = 100
MAX_DIR_DEPTH = 8
MAX_ENTRIES = 5000
MAX_JSON_DEPTH = 64
MAX_CELLS = 20000  # in all the notebooks of a submission
MAX_CELL_CHARS = 256 << 10
TEMPLATE_ANSWER = "YOUR ANSWER HERE"


class SubmissionIdError(ValueError):
    """Two submissions would share an id (a gradebook row) or a feedback file."""


class UnsafeFile(Exception):
    """A notebook that is not read: the message says why (link, device, FIFO, too large...)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Submission:
    """One student's returned work: a folder of notebooks, or a single notebook."""

    id: str
    path: Path
    notebooks: list[Path]
    digest: str  # sha256 over the notebooks' bytes: a changed submission is graded again
    student: str = ""  # from nbgrader's submitted/<student>/<assignment>/ layout
    skipped: list[str] = field(default_factory=list)  # entries not read, and why


@dataclass
class FoundCell:
    """The exercise cell of one exercise in one submission (or why there is none)."""

    status: str  # ok | missing cell | duplicate cell | mangled cell
    source: str | None = None
    message: str = ""  # what went wrong, or a note (e.g. found by function names)
    where: str = ""


@dataclass
class ReadResult:
    cells: dict[str, FoundCell] = field(default_factory=dict)  # the graded code cells
    written: dict[str, FoundCell] = field(default_factory=dict)  # written answers (Markdown)
    problem: str | None = None  # submission-level: empty file, invalid notebook, wrong notebook
    status: str = "ok"
    problem_status: str = ""  # the status word of the first problem (when status is "ok")
    digest: str = ""  # of the bytes actually read


# --- reading files the student controls --------------------------------------------------------
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(name: str, limit: int = 200) -> str:
    """A name from a student's folder as safe text for messages, feedback and the gradebook:
    undecodable bytes become U+FFFD, control and bidi-override characters '?', at most
    ``limit`` characters."""
    text = _HIDDEN.sub("?", os.fsencode(name).decode("utf-8", "replace"))
    return text if len(text) <= limit else text[: limit - 1] + "…"



def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def read_file(path: Path, cap: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file, never following a link, never blocking on a FIFO or a
    device, and never reading more than ``cap``; else UnsafeFile."""
    name = shown(path.name)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            mode = 0
        if mode and not stat.S_ISREG(mode):
            raise UnsafeFile("invalid submission", f"{name}: is {_kind(mode)}, not a "
                             "notebook file; not read") from None
        raise UnsafeFile("invalid submission", f"{name}: cannot be read "
                         f"({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile("invalid submission",
                             f"{name}: is {_kind(st.st_mode)}, not a notebook file; not read")
        if st.st_size > cap:
            raise UnsafeFile("invalid notebook", f"{name}: larger than {cap >> 20} MiB; "
                             "clear the outputs and resubmit")
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > cap:  # it grew while we read
            raise UnsafeFile("invalid notebook", f"{name}: larger than {cap >> 20} MiB")
        return data
    finally:
        os.close(fd)


def _json_depth_ok(obj, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return False
        if isinstance(o, dict):
            stack += [(v, d + 1) for v in o.values()]
        elif isinstance(o, list):
            stack += [(v, d + 1) for v in o]
    return True


def decode_notebook(raw: bytes, name: str) -> list[dict]:
    """The cells of a notebook file (any nbformat version; UTF-8 with or without BOM, UTF-16,
    UTF-32), or UnsafeFile("invalid notebook") saying what is wrong."""
    try:
        text = raw.decode(json.detect_encoding(raw)).lstrip("\ufeff")
        nb = json.loads(text)
    except (UnicodeDecodeError, LookupError):
        raise UnsafeFile("invalid notebook", f"{name}: not a text file in UTF-8, UTF-16 or "
                         "UTF-32") from None
    except RecursionError:
        raise UnsafeFile("invalid notebook", f"{name}: JSON nested too deeply") from None
    except ValueError as exc:
        raise UnsafeFile("invalid notebook", f"{name}: not a readable Jupyter notebook "
                         f"(invalid JSON: {str(exc)[:200]})") from None
    if not _json_depth_ok(nb):
        raise UnsafeFile("invalid notebook", f"{name}: JSON nested more than {MAX_JSON_DEPTH} "
                         "levels deep; not a notebook")
    if not isinstance(nb, dict):
        raise UnsafeFile("invalid notebook", f"{name}: not a Jupyter notebook (no cells)")
    major = nb.get("nbformat")
    if type(major) is int and major < 4:
        try:
            import nbformat

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = nbformat.convert(nbformat.from_dict(nb), 4)
        except Exception as exc:  # noqa: BLE001  (any broken file is the student's, not ours)
            raise UnsafeFile("invalid notebook", f"{name}: an old-format notebook that cannot "
                             f"be converted ({type(exc).__name__})") from None
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise UnsafeFile("invalid notebook", f"{name}: not a Jupyter notebook (no cells)")
    return [c for c in cells if isinstance(c, dict)]


def parse_code(source: str) -> tuple[ast.Module | None, str]:
    """(tree, "") or (None, why the code cannot be parsed), whatever the source holds."""
    if len(source) > MAX_CELL_CHARS:
        return None, f"the cell holds more than {MAX_CELL_CHARS >> 10} KiB of code"
    try:
        return parse(source, filename="<exercise cell>"), ""
    except SyntaxError as exc:
        return None, f"line {exc.lineno}: {exc.msg}"
    except (RecursionError, MemoryError):
        return None, "the code is nested too deeply for Python to parse"
    except ValueError as exc:  # e.g. null bytes
        return None, str(exc)[:200]


# --- finding submissions -----------------------------------------------------------------------
def _walk(root: Path) -> tuple[list[Path], list[str]]:
    """.ipynb entries under ``root`` (not following links), and notes on what was skipped."""
    found: list[Path] = []
    notes: list[str] = []
    seen = 0
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            notes.append(f"{shown(str(folder.relative_to(root)))}: cannot be listed "
                         f"({exc.strerror})")
            continue
        for e in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append(f"more than {MAX_ENTRIES} files: the rest was not looked at")
                return found, notes
            rel = shown(str(Path(e.path).relative_to(root)))
            if e.is_symlink():
                notes.append(f"{rel}: a symbolic link, not followed")
            elif e.is_dir(follow_symlinks=False):
                if e.name == ".ipynb_checkpoints":
                    continue
                if depth + 1 >= MAX_DIR_DEPTH:
                    notes.append(f"{rel}: folders nested more than {MAX_DIR_DEPTH} deep, not "
                                 "looked at")
                else:
                    stack.append((Path(e.path), depth + 1))
            elif e.name.endswith(".ipynb"):
                if len(found) >= MAX_NOTEBOOKS:
                    notes.append(f"more than {MAX_NOTEBOOKS} notebooks: {rel} not read")
                else:
                    found.append(Path(e.path))  # devices and FIFOs are refused when read
    return sorted(found), notes


def _clean_name(name: str) -> str:
    return shown(name, 120).strip() or "submission"


def submission_id(path: Path) -> tuple[str, str]:
    """(id, student) from a submission's path: its name, or for nbgrader's
    ``submitted/<student>/<assignment>/`` layout the student's name."""
    path = Path(os.path.abspath(path))
    if path.parent.parent.name == "submitted":
        student = _clean_name(path.parent.name)
        return student, student
    if path.parent.name == "submitted":
        return _clean_name(path.name), _clean_name(path.name)
    return _clean_name(path.name), ""


def digest_of(contents: list[tuple[str, bytes | None]]) -> str:
    h = hashlib.sha256()
    for name, data in contents:
        h.update(os.fsencode(name) + b"\0")
        h.update(b"<unread>" if data is None else hashlib.sha256(data).digest())
    return h.hexdigest()


def discover(paths: list[str | Path]) -> list[Submission]:
    """One submission per argument: a folder (its .ipynb files, recursively) or a .ipynb file.

    Raises SubmissionIdError when two arguments would get the same id or feedback file."""
    from .feedback import safe_name

    subs: list[Submission] = []
    by_real: dict[str, Path] = {}
    for p in map(Path, paths):
        real = os.path.realpath(p)
        if real in by_real:  # the same folder named twice: graded once
            continue
        by_real[real] = p
        sub_id, student = submission_id(p)
        notes: list[str] = []
        try:
            mode = os.lstat(p).st_mode
        except OSError as exc:
            mode, notes = 0, [f"{shown(str(p))}: cannot be read ({exc.strerror})"]
        if stat.S_ISLNK(mode):
            nbs, notes = [], [f"{shown(str(p))}: is a symbolic link; pass the folder or file it "
                              "points to"]
        elif stat.S_ISDIR(mode):
            nbs, notes = _walk(p)
        elif mode:
            nbs = [p]
        else:
            nbs = []
        contents = []
        for nb in nbs:
            try:
                contents.append((nb.name, read_file(nb)))
            except UnsafeFile:
                contents.append((nb.name, None))
        subs.append(Submission(sub_id, p, nbs, digest_of(contents), student, notes))
    clashes: dict[str, list[Submission]] = {}
    for s in subs:
        clashes.setdefault(s.id, []).append(s)
        clashes.setdefault(f"feedback file {safe_name(s.id).lower()}.md", []).append(s)
    bad = {k: v for k, v in clashes.items() if len(v) > 1}
    if any(k in bad for k in {s.id for s in subs}):  # the same id: say that, not the file too
        bad = {k: v for k, v in bad.items() if not k.startswith("feedback file ")}
    if bad:
        lines = [f"  {k!r}: " + ", ".join(shown(str(s.path)) for s in v)
                 for k, v in bad.items()]
        raise SubmissionIdError(
            "two submissions would share an id (a gradebook row) or a feedback file:\n"
            + "\n".join(lines) + "\nA submission's id is its folder's name (the student's name "
            "for nbgrader's submitted/<student>/<assignment>/). Rename one folder, or grade "
            "them in separate runs with different -o.")
    return subs


# --- reading one submission --------------------------------------------------------------------
def _cell_key(cell: dict) -> set[str]:
    keys = set()
    meta = cell.get("metadata") or {}
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    if isinstance(nbg, dict) and isinstance(nbg.get("grade_id"), str):
        keys.add(nbg["grade_id"])
    if isinstance(cell.get("id"), str):
        keys.add(cell["id"])
    return keys


def _source(cell: dict) -> str | None:
    src = cell.get("source")
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    return src if isinstance(src, str) else None


def _defines(source: str, names: list[str]) -> bool:
    if not names or not all(f"def {n}" in source for n in names):
        return False  # cheap first: most cells define none of them
    tree, _ = parse_code(source)
    if tree is None:
        return False
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return bool(names) and set(names) <= defined


def read_submission(sub: Submission, exercises: dict[str, Exercise]) -> ReadResult:
    """Locate every exercise's cell in the submission's notebooks."""
    res = ReadResult()
    problems: list[tuple[str, str]] = [("invalid submission", n) for n in sub.skipped]
    cells: list[tuple[str, int, dict]] = []  # (notebook name, index, cell)
    contents: list[tuple[str, bytes | None]] = []
    total = 0
    for nb_path in sub.notebooks:
        raw, name = None, shown(nb_path.name)
        try:
            raw = read_file(nb_path)
            total += len(raw)
            if total > MAX_SUBMISSION_BYTES:
                raise UnsafeFile("invalid submission", f"{name}: the notebooks exceed "
                                 f"{MAX_SUBMISSION_BYTES >> 20} MiB in all; not read")
            if not raw:
                raise UnsafeFile("empty file", f"{name}: the file is empty")
            nb_cells = decode_notebook(raw, name)
            if len(cells) + len(nb_cells) > MAX_CELLS:
                raise UnsafeFile("invalid submission", f"{name}: more than {MAX_CELLS} "
                                 "cells in the submission; not read")
            cells += [(name, i, c) for i, c in enumerate(nb_cells)]
        except UnsafeFile as exc:
            problems.append((exc.status, str(exc)))
        contents.append((nb_path.name, raw))
    res.digest = digest_of(contents)
    if not sub.notebooks:
        res.status = "no notebook" if not problems else problems[0][0]
        res.problem = "; ".join([f"no .ipynb file in {shown(str(sub.path))}"] * (not problems)
                                + [m for _, m in problems])
        return res
    for ex in exercises.values():
        res.cells[ex.id] = _find(ex, cells)
        if ex.written:
            res.written[ex.id] = _find(ex, cells, written=True)
    if all(fc.status == "missing cell" for fc in [*res.cells.values(), *res.written.values()]):
        if problems:
            res.status, res.problem = problems[0][0], "; ".join(m for _, m in problems)
        else:
            res.status = "wrong notebook"
            res.problem = ("no bplib exercise cell found in " + ", ".join(
                shown(p.name) for p in sub.notebooks[:10]) + ": is this the right notebook?")
    elif problems:
        res.problem = "; ".join(m for _, m in problems)
        res.problem_status = problems[0][0]
    return res


def _find(ex: Exercise, cells: list[tuple[str, int, dict]], written: bool = False
          ) -> FoundCell:
    """The exercise's graded code cell, or (``written``) its written answer's Markdown cell."""
    cell_id = ex.written.cell if written else ex.cell
    hits = [(nb, i, c) for nb, i, c in cells if cell_id in _cell_key(c)]
    want_type = "markdown" if written else "code"
    note = ""
    if not hits and not written:
        names = list(ex.functions)
        by_name = [(nb, i, c) for nb, i, c in cells if c.get("cell_type") == "code"
                   and _defines(_source(c) or "", names)]
        if len(by_name) == 1:
            hits = by_name
            note = ("the exercise cell's id/metadata is missing; graded the one cell that "
                    f"defines {', '.join(names)}")
    if not hits:
        return FoundCell("missing cell", message=(
            f"the cell of exercise {ex.id} (id '{cell_id}', in {ex.notebook}) was not found: it "
            f"may have been deleted or its metadata lost. Copy your code into the marked cell of "
            f"a fresh {ex.notebook} and resubmit."))
    where = ", ".join(f"{nb} cell {i + 1}" for nb, i, _ in hits[:5])
    sources = [_source(c) for _, _, c in hits]
    if len(hits) > 1:
        if len({s.strip() if s else s for s in sources}) > 1:
            return FoundCell("duplicate cell", where=where, message=(
                f"the cell of exercise {ex.id} appears {len(hits)} times with different code "
                f"({where}); keep exactly one copy and resubmit. Not graded."))
        note = f"the cell appears {len(hits)} times ({where}) with the same code; graded once"
    nb, i, cell = hits[0]
    src = sources[0]
    if cell.get("cell_type") != want_type or src is None:
        return FoundCell("mangled cell", where=where, message=(
            f"the cell of exercise {ex.id} ({where}) is not a {want_type} cell any more (or has "
            f"no text); change it back to {want_type} and resubmit."))
    if not written:
        tree, why = parse_code(src)
        if tree is None:
            return FoundCell("mangled cell", source=src, where=where, message=(
                f"the cell of exercise {ex.id} is not valid Python: {why}"))
    elif src.strip() in ("", TEMPLATE_ANSWER):
        return FoundCell("not attempted", source=src, where=where,
                         message="the written answer is still the template")
    elif len(src) > MAX_CELL_CHARS:
        return FoundCell("mangled cell", where=where, message=(
            f"the written answer of exercise {ex.id} is longer than {MAX_CELL_CHARS >> 10} KiB"))
    return FoundCell("ok", source=src, where=where, message=note)
