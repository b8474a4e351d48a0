"""Helpers for the generator scripts of the notebooks (tools/notebooks/nb*.py).

Each generator lists its cells with fixed ids (stable diffs), writes the unexecuted notebook
with nbformat, then executes and saves it with tools/execute_notebooks.py:

    .venv/bin/python tools/notebooks/nb01_gradient_computations.py  # or --no-run

The .ipynb files in notebooks/ are what ships; these scripts only make rebuilding them easy.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"

sys.path.insert(0, str(ROOT / "tools"))
from execute_notebooks import KERNEL, execute  # noqa: E402


def md(cell_id: str, text: str) -> nbformat.NotebookNode:
    """A Markdown cell with a fixed id."""
    return new_markdown_cell(textwrap.dedent(text).strip("\n"), id=cell_id)


def code(cell_id: str, source: str, checked: bool = False) -> nbformat.NotebookNode:
    """A code cell with a fixed id; ``checked=True`` puts the nbval marker on its first line."""
    source = textwrap.dedent(source).strip("\n")
    if checked:
        source = f"{CHECK}\n{source}"
    return new_code_cell(source, id=cell_id)


def build(name: str, cells: list[nbformat.NotebookNode]) -> Path:
    """Write notebooks/<name> from ``cells``; execute and save it unless --no-run is given."""
    ids = [c.id for c in cells]
    if len(set(ids)) != len(ids):
        raise ValueError(f"cells: duplicate ids in {name}: {sorted(ids)}")
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python (bplib)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = NOTEBOOKS / name
    path.parent.mkdir(exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    if "--no-run" not in sys.argv:
        print(f"{path.relative_to(ROOT)}: {execute(path):.1f} s", flush=True)
    return path
