"""Re-execute notebooks from their sources and store their outputs (jupytext + nbclient).

    .venv/bin/python tools/execute_notebooks.py                  # every notebook in notebooks/
    .venv/bin/python tools/execute_notebooks.py notebooks/06_relu_kink.ipynb
    .venv/bin/python tools/execute_notebooks.py notebooks/sources/06_relu_kink.md   # same
    .venv/bin/python tools/execute_notebooks.py --check          # list stale ones, run nothing

For each notebook, in order:

1. sync the pair notebooks/NAME.ipynb <-> notebooks/sources/NAME.md (jupytext.toml): the
   side edited last gives the cells, the .ipynb keeps its outputs and cell ids;
2. run every code cell top to bottom in a fresh kernel ``python3`` with nbclient. Run with
   the project's Python (.venv/bin/python), that kernel is this very interpreter:
   jupyter_client starts a kernelspec whose command is ``python`` with ``sys.executable``;
3. record in the notebook's metadata (``bplib.executed``) the SHA-256 of the code cells'
   sources that ran (:func:`sources_sha256`), next to nbclient's per-cell timings;
4. write the .ipynb, then the .md from it (same cells, so the pair stays in sync).

tests/test_notebooks.py fails when a notebook's recorded hash differs from the hash of its
current sources, i.e. when its stored outputs were not produced by the code it shows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config
from jupytext.formats import long_form_multiple_formats
from jupytext.paired_paths import paired_paths
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"
KERNELSPEC = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}


def sources_sha256(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of the sources of the notebook's code cells, in order (what an execution runs;
    Markdown edits do not make outputs stale)."""
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode()).hexdigest()


def recorded_sha256(nb: nbformat.NotebookNode) -> str | None:
    """The hash :func:`execute` recorded when it last ran the notebook, or None."""
    return nb.metadata.get("bplib", {}).get("executed", {}).get("sources_sha256")


def pair(path: Path) -> tuple[Path, Path]:
    """(notebook.ipynb, its text source) for either file of a pair, from jupytext.toml."""
    path = Path(path).resolve()
    config = load_jupytext_config(str(path.parent))
    formats = config.default_formats(str(path)) if config else None
    if not formats:
        raise ValueError(f"{path}: not a paired notebook (jupytext.toml pairs notebooks/*.ipynb "
                         f"with notebooks/sources/*.md)")
    formats = long_form_multiple_formats(formats)
    fmt = next(f for f in formats if f["extension"] == path.suffix)
    paths = dict((f["extension"], Path(p)) for p, f in paired_paths(str(path), fmt, formats))
    return paths[".ipynb"], next(p for ext, p in paths.items() if ext != ".ipynb")


def sync(path: Path) -> None:
    """``jupytext --sync``: bring both files of the pair to the cells of the newer one."""
    from jupytext.cli import jupytext as jupytext_cli

    jupytext_cli(["--sync", "--quiet", str(path)])


def execute(path: Path, timeout: int = 300) -> float:
    """Sync, run and store one notebook (see the module docstring); returns seconds taken."""
    ipynb, source = pair(path)
    sync(source if source.exists() else ipynb)
    nb = nbformat.read(ipynb, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(ipynb.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.setdefault("bplib", {})["executed"] = {
        "sources_sha256": sources_sha256(nb),
        "kernel": KERNEL,
        "tool": "tools/execute_notebooks.py",
    }
    nbformat.write(nb, ipynb)
    sync(ipynb)  # the .ipynb is now the newer side: the source gets its cells and kernel
    # Leave the source the newer file, as after an edit in JupyterLab: jupytext's contents
    # manager reads the cells from it and checks the .ipynb is not more recent.
    os.utime(source)
    return elapsed


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def stale(paths: list[Path]) -> list[str]:
    """Notebooks whose stored outputs do not come from their current sources."""
    out = []
    for path in paths:
        ipynb, source = pair(path)
        nb = nbformat.read(ipynb, as_version=4)
        if recorded_sha256(nb) != sources_sha256(nb):
            out.append(f"{_shown(ipynb)}: outputs not from the current code cells")
        elif source.exists():
            text = jupytext.read(source)
            if [(c.cell_type, c.source) for c in text.cells] != \
                    [(c.cell_type, c.source) for c in nb.cells]:
                out.append(f"{_shown(ipynb)}: differs from {_shown(source)}")
        else:
            out.append(f"{_shown(ipynb)}: no source {_shown(source)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tools/execute_notebooks.py", description=__doc__.split(
        "\n")[0])
    ap.add_argument("paths", nargs="*", type=Path,
                    help="notebooks (.ipynb) or their sources (.md); default: all of notebooks/")
    ap.add_argument("--check", action="store_true",
                    help="run nothing; exit 1 and list the notebooks whose outputs are stale")
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    args = ap.parse_args(argv)
    paths = args.paths or sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.check:
        problems = stale(paths)
        print("\n".join(problems) or f"all {len(paths)} notebooks are up to date")
        return 1 if problems else 0
    for path in paths:
        seconds = execute(path, args.timeout)
        print(f"{_shown(pair(path)[0])}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
