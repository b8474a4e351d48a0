"""Write exercises/ from solutions/ (the one source), as nbgrader would release them.

    python -m bplib.grading.generate            # write exercises/*.ipynb
    python -m bplib.grading.generate --check    # exit 1 if exercises/ is out of date

In code cells, each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the block's indentation, and each
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block is removed; a markdown cell with a
solution block becomes ``YOUR ANSWER HERE``. Outputs and execution counts are cleared; cell
ids and nbgrader metadata are kept, so the grader finds the cells and nbgrader can reuse them.
exercises/README.md is written by hand and left alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from .manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class MarkupError(ValueError):
    pass


def strip_code(source: str, where: str) -> str:
    """Replace solution blocks by the stub and drop hidden-test blocks."""
    out: list[str] = []
    mode = None
    for n, line in enumerate(source.split("\n"), start=1):
        tag = line.strip()
        if tag in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if mode:
                raise MarkupError(f"{where} line {n}: {tag} inside an open {mode} block")
            mode = tag
            if tag == BEGIN_SOLUTION:
                indent = line[: len(line) - len(line.lstrip())]
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif tag in (END_SOLUTION, END_HIDDEN):
            if mode != {END_SOLUTION: BEGIN_SOLUTION, END_HIDDEN: BEGIN_HIDDEN}[tag]:
                raise MarkupError(f"{where} line {n}: {tag} without its BEGIN")
            mode = None
        elif mode is None:
            out.append(line)
    if mode:
        raise MarkupError(f"{where}: {mode} is never closed")
    return "\n".join(out)


def release(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The student version of one solution notebook."""
    nb = nbformat.from_dict(nb)
    for i, cell in enumerate(nb.cells):
        where = f"{name} cell {i + 1} ({cell.get('id', '?')})"
        if cell.cell_type == "code":
            cell.source = strip_code(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown" and BEGIN_SOLUTION in cell.source:
            strip_code(cell.source, where)  # checks the markup
            cell.source = "YOUR ANSWER HERE"
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def expected_files(solutions: Path) -> dict[str, str]:
    """exercise notebook name -> its content, for every notebook named in the manifest."""
    out = {}
    for ex in load_manifest().values():
        src = solutions / ex.notebook
        if not src.exists():
            raise FileNotFoundError(f"solutions: {src} is listed in the manifest but missing")
        nb = nbformat.read(src, as_version=4)
        out[ex.notebook] = render(release(nb, ex.notebook))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bplib.grading.generate",
                                 description="Write exercises/ from solutions/.")
    ap.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    ap.add_argument("--exercises", type=Path, default=ROOT / "exercises")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if exercises/ differs from what would be written")
    args = ap.parse_args(argv)
    try:
        files = expected_files(args.solutions)
    except (MarkupError, FileNotFoundError) as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = [name for name, text in files.items()
                 if not (args.exercises / name).exists()
                 or (args.exercises / name).read_text(encoding="utf-8") != text]
        if stale:
            print("generate --check: exercises/ is out of date for " + ", ".join(stale)
                  + "; run `make exercises` (python -m bplib.grading.generate)", file=sys.stderr)
            return 1
        print(f"generate --check: exercises/ is up to date ({len(files)} notebooks)")
        return 0
    args.exercises.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.exercises / name).write_text(text, encoding="utf-8")
    print(f"generate: wrote {len(files)} notebooks to {args.exercises}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
