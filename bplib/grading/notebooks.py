"""Reading returned notebooks: find each exercise's cell by its id/metadata, nothing else.

A submission is one student's folder of notebooks (or a single .ipynb file). Every exercise
cell is looked up by the manifest's cell id (nbformat cell ``id`` or nbgrader ``grade_id``), in
any notebook of the submission; the rest of the notebooks is ignored. A missing, duplicated or
mangled cell is reported for that exercise only, in plain words.
"""

from __future__ import annotations

import ast
import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .manifest import Exercise

MAX_NOTEBOOK_BYTES = 20 << 20
TEMPLATE_ANSWER = "YOUR ANSWER HERE"


@dataclass
class Submission:
    """One student's returned work: a folder of notebooks, or a single notebook."""

    id: str
    path: Path
    notebooks: list[Path]
    digest: str  # sha256 over the notebooks' bytes: a changed submission is graded again


@dataclass
class FoundCell:
    """The exercise cell of one exercise in one submission (or why there is none)."""

    status: str  # ok | missing cell | duplicate cell | mangled cell
    source: str | None = None
    message: str = ""  # what went wrong, or a note (e.g. found by function names)
    where: str = ""


@dataclass
class ReadResult:
    cells: dict[str, FoundCell] = field(default_factory=dict)
    problem: str | None = None  # submission-level: empty file, invalid notebook, wrong notebook
    status: str = "ok"


def discover(paths: list[str | Path]) -> list[Submission]:
    """One submission per argument: a directory (its .ipynb files, recursively) or a file."""
    subs: list[Submission] = []
    seen: dict[str, int] = {}
    for p in map(Path, paths):
        if p.is_dir():
            nbs = sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        else:
            nbs = [p]
        h = hashlib.sha256()
        for nb in nbs:
            h.update(nb.name.encode() + b"\0")
            try:
                h.update(nb.read_bytes())
            except OSError:
                h.update(b"<unreadable>")
        name = p.name or str(p)
        if name in seen:  # two students' folders with the same name: keep both apart
            seen[name] += 1
            name = f"{name}#{seen[name]}"
        else:
            seen[name] = 1
        subs.append(Submission(name, p, nbs, h.hexdigest()))
    return subs


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
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return bool(names) and set(names) <= defined


def read_submission(sub: Submission, exercises: dict[str, Exercise]) -> ReadResult:
    """Locate every exercise's cell in the submission's notebooks."""
    res = ReadResult()
    if not sub.notebooks:
        res.problem, res.status = f"no .ipynb file in {sub.path}", "no notebook"
        return res
    cells: list[tuple[str, int, dict]] = []  # (notebook name, index, cell)
    problems = []
    for nb_path in sub.notebooks:
        try:
            size = nb_path.stat().st_size
        except OSError as exc:
            problems.append(("unreadable", f"{nb_path.name}: cannot be read ({exc.strerror})"))
            continue
        if size == 0:
            problems.append(("empty file", f"{nb_path.name}: the file is empty"))
            continue
        if size > MAX_NOTEBOOK_BYTES:
            problems.append(("invalid notebook", f"{nb_path.name}: larger than "
                             f"{MAX_NOTEBOOK_BYTES >> 20} MiB; clear the outputs and resubmit"))
            continue
        try:
            with warnings.catch_warnings():  # e.g. duplicate cell ids: handled below
                warnings.simplefilter("ignore")
                nb = nbformat.reads(nb_path.read_bytes().decode("utf-8"), as_version=4)
            nb_cells = list(nb.get("cells", []))
        except Exception as exc:  # noqa: BLE001  (any broken file is the student's, not ours)
            problems.append(("invalid notebook", f"{nb_path.name}: not a readable Jupyter "
                             f"notebook ({type(exc).__name__}: {str(exc)[:200]})"))
            continue
        cells += [(nb_path.name, i, c) for i, c in enumerate(nb_cells) if isinstance(c, dict)]

    for ex in exercises.values():
        res.cells[ex.id] = _find(ex, cells)
    if all(fc.status == "missing cell" for fc in res.cells.values()):
        if problems:
            res.status, res.problem = problems[0][0], "; ".join(m for _, m in problems)
        else:
            res.status = "wrong notebook"
            res.problem = ("no bplib exercise cell found in " + ", ".join(
                p.name for p in sub.notebooks) + ": is this the right notebook?")
    elif problems:
        res.problem = "; ".join(m for _, m in problems)
    return res


def _find(ex: Exercise, cells: list[tuple[str, int, dict]]) -> FoundCell:
    hits = [(nb, i, c) for nb, i, c in cells if ex.cell in _cell_key(c)]
    want_type = "markdown" if ex.manual else "code"
    note = ""
    if not hits and not ex.manual:
        names = list(ex.functions)
        by_name = [(nb, i, c) for nb, i, c in cells if c.get("cell_type") == "code"
                   and _defines(_source(c) or "", names)]
        if len(by_name) == 1:
            hits = by_name
            note = ("the exercise cell's id/metadata is missing; graded the one cell that "
                    f"defines {', '.join(names)}")
    if not hits:
        return FoundCell("missing cell", message=(
            f"the cell of exercise {ex.id} (id '{ex.cell}', in {ex.notebook}) was not found: it "
            f"may have been deleted or its metadata lost. Copy your code into the marked cell of "
            f"a fresh {ex.notebook} and resubmit."))
    where = ", ".join(f"{nb} cell {i + 1}" for nb, i, _ in hits)
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
    if not ex.manual:
        try:
            ast.parse(src)
        except SyntaxError as exc:
            return FoundCell("mangled cell", source=src, where=where, message=(
                f"the cell of exercise {ex.id} is not valid Python: line {exc.lineno}: "
                f"{exc.msg}"))
    elif src.strip() in ("", TEMPLATE_ANSWER):
        return FoundCell("not attempted", source=src, where=where,
                         message="the written answer is still the template")
    return FoundCell("ok", source=src, where=where, message=note)
