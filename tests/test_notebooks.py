"""Notebook-level checks on the stored .ipynb files of notebooks/ (every notebook, by glob).

nbval (``--nbval-lax``, in pytest's addopts with notebooks/ in testpaths) re-executes every
notebook and compares the ``# NBVAL_CHECK_OUTPUT`` cells with their stored output, which
catches stale outputs. These tests check what nbval does not: that each notebook was saved
executed top to bottom, without errors, for the project's kernel, that it has checked cells
and a widget with a static fallback picture, that the stored run fit the time budget, and
that the index links to every notebook and exercise, and only to files that exist.

To fix a failure here, re-execute and save the notebook:
    .venv/bin/python tools/execute_notebooks.py notebooks/NN_name.ipynb
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXERCISE_DIR = ROOT / "exercises"
INDEX = NOTEBOOK_DIR / "00_index.ipynb"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

KERNEL = "bplib"
CHECK = "# NBVAL_CHECK_OUTPUT"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: The course's fixed file names (the index must link to each of them).
COURSE_NOTEBOOKS = [
    "01_gradient_computations.ipynb", "02_diagonal_matrix.ipynb",
    "03_theorem_and_proof.ipynb", "04_algorithm1_step_by_step.ipynb",
    "05_algorithm2_batching.ipynb", "06_relu_kink.ipynb", "07_saturation.ipynb",
    "08_multilogit.ipynb", "09_multioutput_regression.ipynb", "10_training.ipynb",
]
COURSE_EXERCISES = [
    "ex1_theta.ipynb", "ex2_softmax_delta.ipynb", "ex3_regression_delta.ipynb",
    "ex4_algorithm1.ipynb", "ex5_algorithm2.ipynb", "ex6_gradcheck.ipynb",
    "ex7_saturation.ipynb", "README.md",
]

#: Time budget (issue 3): each notebook under ~30 s, the whole set under 5 min. Checked on
#: the cell timings nbclient stores when a notebook is executed and saved, so the test reads
#: recorded data and cannot flake with the load of the machine running it.
NOTEBOOK_BUDGET_S = 30.0
TOTAL_BUDGET_S = 300.0


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb: nbformat.NotebookNode) -> list:
    """Code cells with some source (nbclient leaves blank cells unexecuted)."""
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _is_checked(cell) -> bool:
    lines = cell.source.strip().splitlines()
    return bool(lines) and lines[0].strip() == CHECK


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request) -> tuple[str, nbformat.NotebookNode]:
    return request.param.name, _read(request.param)


def test_there_are_notebooks():
    assert INDEX in NOTEBOOKS, f"expected the index {INDEX.relative_to(ROOT)}"
    assert len(NOTEBOOKS) >= 2


def test_saved_executed_top_to_bottom(notebook):
    """Every code cell ran, in order, in one kernel session: counts 1, 2, 3, ..."""
    name, nb = notebook
    cells = _code_cells(nb)
    assert cells, f"{name}: expected code cells, found none"
    counts = [c.execution_count for c in cells]
    missing = [c.get("id", i) for i, c in enumerate(cells) if c.execution_count is None]
    assert not missing, f"{name}: code cells never executed (ids {missing}); re-execute and save"
    assert counts[0] == 1, f"{name}: expected the first code cell to have count 1, got {counts[0]}"
    assert all(b > a for a, b in zip(counts, counts[1:], strict=False)), (
        f"{name}: expected strictly increasing execution counts from 1 (run top to bottom), "
        f"got {counts}")
    for c in cells:
        for out in c.outputs:
            if out.output_type == "execute_result":
                assert out.execution_count == c.execution_count, (
                    f"{name}: cell {c.get('id')} has count {c.execution_count} but its result "
                    f"has {out.execution_count}")


def test_no_error_is_stored(notebook):
    name, nb = notebook
    errors = [(c.get("id"), out.get("ename"), out.get("evalue"))
              for c in _code_cells(nb) for out in c.outputs if out.output_type == "error"]
    assert not errors, f"{name}: saved with errors (cell id, exception, message): {errors}"


def test_kernelspec_is_the_project_kernel(notebook):
    name, nb = notebook
    spec = nb.metadata.get("kernelspec", {})
    assert spec.get("name") == KERNEL, (
        f"{name}: expected kernelspec name {KERNEL!r}, got {spec.get('name')!r}")


def test_has_checked_cells_with_output(notebook):
    """At least one cell is compared by nbval, and every such cell has text to compare."""
    name, nb = notebook
    checked = [c for c in _code_cells(nb) if _is_checked(c)]
    assert checked, f"{name}: expected at least one cell starting with {CHECK!r}"
    for c in checked:
        texts = [out for out in c.outputs if out.output_type == "stream"
                 or "text/plain" in out.get("data", {})]
        assert texts, f"{name}: checked cell {c.get('id')} has no text output to compare"
        mimes = {m for out in c.outputs for m in out.get("data", {})}
        assert WIDGET_MIME not in mimes, (
            f"{name}: checked cell {c.get('id')} displays a widget; widgets are never checked")


def test_displays_a_widget_with_a_static_picture(notebook):
    """A widget output whose bundle also carries the figure as PNG (for static viewers)."""
    name, nb = notebook
    bundles = [out.data for c in _code_cells(nb) for out in c.outputs
               if out.output_type in ("display_data", "execute_result")
               and WIDGET_MIME in out.get("data", {})]
    assert bundles, f"{name}: expected an output with {WIDGET_MIME} (an interactive figure)"
    with_png = [b for b in bundles if "image/png" in b]
    assert with_png, f"{name}: widget outputs carry no image/png fallback"
    png = base64.b64decode(with_png[0]["image/png"])
    assert png.startswith(PNG_MAGIC) and len(png) > 1000, f"{name}: image/png is not a figure"


def _run_seconds(nb: nbformat.NotebookNode) -> float | None:
    """Seconds between the first cell's start and the last cell's reply, as recorded by
    nbclient in the cells' metadata.execution; None when the timings are missing."""
    stamps = []
    for c in _code_cells(nb):
        ex = c.metadata.get("execution", {})
        if "iopub.execute_input" not in ex or "shell.execute_reply" not in ex:
            return None
        stamps.append((ex["iopub.execute_input"], ex["shell.execute_reply"]))
    if not stamps:
        return None

    def t(s: str) -> datetime:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))

    return (t(stamps[-1][1]) - t(stamps[0][0])).total_seconds()


def test_stored_run_fits_the_time_budget():
    """Each notebook's recorded run < 30 s and all together < 5 min (kernel start excluded)."""
    times, missing = {}, []
    for path in NOTEBOOKS:
        seconds = _run_seconds(_read(path))
        if seconds is None:
            missing.append(path.name)
        else:
            times[path.name] = seconds
    assert not missing, (f"no recorded cell timings in {missing}: save them with "
                         "tools/execute_notebooks.py (nbclient records them)")
    slow = {k: round(v, 1) for k, v in times.items() if v > NOTEBOOK_BUDGET_S}
    assert not slow, f"notebooks over {NOTEBOOK_BUDGET_S:.0f} s in their stored run: {slow}"
    total = sum(times.values())
    assert total < TOTAL_BUDGET_S, (
        f"all notebooks took {total:.0f} s in their stored runs, over {TOTAL_BUDGET_S:.0f} s")


# --- the index -------------------------------------------------------------------------------
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _index_links() -> list[str]:
    """Relative link targets in the index's Markdown (web links and anchors left out)."""
    nb = _read(INDEX)
    targets = [m.group(1) for c in nb.cells if c.cell_type == "markdown"
               for m in LINK.finditer(c.source)]
    return [t.split("#")[0] for t in targets
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def _exercise_links() -> list[str]:
    return [t for t in _index_links() if t.startswith("../exercises/")]


def _notebook_links() -> list[str]:
    return [t for t in _index_links() if not t.startswith("../exercises/")]


def test_index_notebook_links_point_to_existing_files():
    links = _notebook_links()
    assert links, "00_index.ipynb: expected links to the notebooks"
    missing = [t for t in links if not (NOTEBOOK_DIR / t).is_file()]
    assert not missing, f"00_index.ipynb links to notebooks that do not exist: {missing}"


def test_index_links_every_notebook():
    linked = {Path(t).name for t in _notebook_links()}
    expected = set(COURSE_NOTEBOOKS) | {p.name for p in NOTEBOOKS if p != INDEX}
    assert not expected - linked, (
        f"00_index.ipynb does not link to {sorted(expected - linked)}")


def test_index_exercise_links_point_to_existing_files():
    """Fails until every linked exercise exists: the index promises them to students."""
    links = _exercise_links()
    assert links, "00_index.ipynb: expected links to the exercises"
    missing = [t for t in links if not (NOTEBOOK_DIR / t).resolve().is_file()]
    assert not missing, f"00_index.ipynb links to exercises that do not exist: {missing}"


def test_index_links_every_exercise():
    linked = {Path(t).name for t in _exercise_links()}
    expected = set(COURSE_EXERCISES) | {p.name for p in EXERCISE_DIR.glob("*.ipynb")}
    assert not expected - linked, f"00_index.ipynb does not link to {sorted(expected - linked)}"


def test_index_links_are_relative_paths():
    """Links like [Gradient computations](01_gradient_computations.ipynb): no absolute paths."""
    absolute = [t for t in _index_links() if t.startswith("/")]
    assert not absolute, f"00_index.ipynb has absolute links: {absolute}"
