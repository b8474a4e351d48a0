"""Execute notebooks top to bottom with nbclient and save them with their outputs.

    python tools/execute_notebooks.py notebooks/*.ipynb

Run this after editing a notebook so its stored outputs (plots, checked numbers) are fresh;
tests/test_notebooks.py fails on stale or failing notebooks. Uses the project's kernel
``bplib`` (installed into .venv by `make venv`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "bplib"


def execute(path: Path, timeout: int = 120) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python (bplib)",
                                 "language": "python"}
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{arg}: {execute(Path(arg)):.1f} s", flush=True)
