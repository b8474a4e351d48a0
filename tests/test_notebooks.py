"""Notebook-level checks on the stored files of notebooks/, exercises/ and solutions/.

nbval (``--nbval-lax``, in pytest's addopts with notebooks/ in testpaths) re-executes every
notebook and compares the ``# NBVAL_CHECK_OUTPUT`` cells with their stored output. These
tests check what nbval does not:

- sources: every notebook is paired with its MyST source (notebooks/sources/NAME.md,
  jupytext.toml), the two hold the same cells, and the stored outputs were produced by the
  current code cells (tools/execute_notebooks.py records their hash), top to bottom, without
  errors, in the standard ``python3`` kernel, within the time budget;
- accessibility: every figure carries a text alternative (alt text and caption), every
  control is named in words and none is a dropdown, headings go down one level at a time
  and hold no TeX, and no table has a blank header cell (notebooks, exercises, solutions);
- the index links to every notebook and exercise, and only to files that exist.

To fix a stale or failing notebook, re-execute and save it:
    .venv/bin/python tools/execute_notebooks.py notebooks/NN_name.ipynb
"""

from __future__ import annotations

import base64
import html
import importlib.util
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "sources"
EXERCISE_DIR = ROOT / "exercises"
SOLUTION_DIR = ROOT / "solutions"
INDEX = NOTEBOOK_DIR / "00_index.ipynb"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
ALL_NOTEBOOKS = NOTEBOOKS + sorted(EXERCISE_DIR.glob("*.ipynb")) + sorted(
    SOLUTION_DIR.glob("*.ipynb"))

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CHECK = "# NBVAL_CHECK_OUTPUT"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: The course's fixed file names (the index must link to each of them).
COURSE_NOTEBOOKS = [
    "01_gradient_computations.ipynb", "02_diagonal_matrix.ipynb",
    "03_theorem_and_proof.ipynb", "04_algorithm1_step_by_step.ipynb",
    "05_algorithm2_batching.ipynb", "06_relu_kink.ipynb", "07_saturation.ipynb",
    "08_multilogit.ipynb", "09_multioutput_regression.ipynb", "10_training.ipynb",
    "11_tiny_network_by_hand.ipynb", "12_reverse_mode_autodiff.ipynb",
    "13_cost_of_the_gradient.ipynb", "14_initialisation.ipynb",
    "15_training_on_digits.ipynb",
]
COURSE_EXERCISES = [
    "ex1_theta.ipynb", "ex2_softmax_delta.ipynb", "ex3_regression_delta.ipynb",
    "ex4_algorithm1.ipynb", "ex5_algorithm2.ipynb", "ex6_gradcheck.ipynb",
    "ex7_saturation.ipynb", "ex8_jacobian.ipynb", "ex9_relu_kink.ipynb",
    "ex10_reduced_multilogit.ipynb", "ex11_training_loop.ipynb", "ex12_scalar_backward.ipynb",
    "README.md",
]

#: Time budget (issue 3): each notebook under ~30 s, the whole set under 5 min. Checked on
#: the cell timings nbclient stores when a notebook is executed and saved, so the test reads
#: recorded data and cannot flake with the load of the machine running it.
NOTEBOOK_BUDGET_S = 30.0
TOTAL_BUDGET_S = 300.0


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("execute_notebooks", module)
    spec.loader.exec_module(module)
    return module


TOOL = _load_tool()


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb: nbformat.NotebookNode) -> list:
    """Code cells with some source (nbclient leaves blank cells unexecuted)."""
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def _is_checked(cell) -> bool:
    lines = cell.source.strip().splitlines()
    return bool(lines) and lines[0].strip() == CHECK


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request) -> tuple[str, nbformat.NotebookNode]:
    return request.param.name, _read(request.param)


def test_there_are_notebooks():
    assert INDEX in NOTEBOOKS, f"expected the index {_rel(INDEX)}"
    assert len(NOTEBOOKS) >= 2


# --- sources and outputs ---------------------------------------------------------------------


def test_every_notebook_has_its_source_and_every_source_its_notebook():
    sources = {p.stem for p in SOURCE_DIR.glob("*.md")}
    notebooks = {p.stem for p in NOTEBOOKS}
    assert not notebooks - sources, (
        f"notebooks without a source in {_rel(SOURCE_DIR)}: {sorted(notebooks - sources)}; "
        f"create it with `jupytext --sync notebooks/NAME.ipynb`")
    assert not sources - notebooks, (
        f"sources without a notebook: {sorted(sources - notebooks)}; create it with "
        f"`.venv/bin/python tools/execute_notebooks.py notebooks/sources/NAME.md`")


def test_jupytext_pairs_each_notebook_with_its_source():
    for path in NOTEBOOKS:
        assert TOOL.pair(path) == (path, SOURCE_DIR / f"{path.stem}.md")
    with pytest.raises(ValueError, match="not a paired notebook"):
        TOOL.pair(SOLUTION_DIR / "ex1_theta.ipynb")  # only notebooks/ is paired


def test_notebook_and_source_hold_the_same_cells(notebook):
    name, nb = notebook
    text = jupytext.read(SOURCE_DIR / f"{Path(name).stem}.md")
    ours = [(c.cell_type, c.source) for c in nb.cells]
    theirs = [(c.cell_type, c.source) for c in text.cells]
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b]
    assert ours == theirs, (
        f"{name} and sources/{Path(name).stem}.md are out of sync ({len(ours)} and "
        f"{len(theirs)} cells; first difference at cell {differ[:1] or len(ours)}): run "
        f"`jupytext --sync notebooks/{name}`, then re-execute it")
    assert text.metadata.get("kernelspec", {}).get("name") == KERNELSPEC["name"]


def test_stored_outputs_come_from_the_current_code(notebook):
    """The hash the execution tool recorded equals the hash of the code cells now: the
    outputs were produced by exactly this code (and, with the next test, top to bottom)."""
    name, nb = notebook
    recorded = TOOL.recorded_sha256(nb)
    assert recorded is not None, (
        f"{name}: no record of an execution by tools/execute_notebooks.py; run it")
    assert recorded == TOOL.sources_sha256(nb), (
        f"{name}: its code changed since its outputs were stored; re-execute it with "
        f"`.venv/bin/python tools/execute_notebooks.py notebooks/{name}`")


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


def test_execution_tool_runs_a_source_and_records_what_it_ran(tmp_path):
    """End to end on a scratch copy of the layout: a new source becomes an executed
    notebook with the hash of its code; editing the source makes --check report it."""
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    (tmp_path / "notebooks" / "sources").mkdir(parents=True)
    source = tmp_path / "notebooks" / "sources" / "99_scratch.md"
    source.write_text("---\nkernelspec:\n  display_name: Python 3 (ipykernel)\n"
                      "  language: python\n  name: python3\n---\n\n# Scratch\n\n"
                      "```{code-cell} ipython3\nimport sys\nprint(sys.executable)\n```\n")
    TOOL.execute(source)
    ipynb = tmp_path / "notebooks" / "99_scratch.ipynb"
    nb = _read(ipynb)
    assert nb.metadata.kernelspec.name == "python3"
    (cell,) = _code_cells(nb)
    assert cell.execution_count == 1
    # the kernel the tool starts is the interpreter running it (here: the test's Python)
    assert cell.outputs[0].text.strip() == sys.executable
    assert TOOL.recorded_sha256(nb) == TOOL.sources_sha256(nb)
    assert TOOL.stale([ipynb]) == []
    text = jupytext.read(source)
    assert [c.source for c in text.cells] == [c.source for c in nb.cells]
    # an edit of the code in the source makes the stored outputs stale
    source.write_text(source.read_text().replace("print(sys.executable)", "print(1)"))
    TOOL.sync(source)
    edited = _read(ipynb)
    assert edited.cells[1].source == "import sys\nprint(1)"
    assert TOOL.recorded_sha256(edited) != TOOL.sources_sha256(edited)
    assert TOOL.stale([ipynb]) == [f"{ipynb}: outputs not from the current code cells"]


def test_sources_hash_covers_code_only_and_its_order():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# a"),
                                         nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("y = 2")])
    h = TOOL.sources_sha256(nb)
    nb.cells[0].source = "# b"  # prose edits leave the outputs valid
    assert TOOL.sources_sha256(nb) == h
    nb.cells[1].source, nb.cells[2].source = "y = 2", "x = 1"
    assert TOOL.sources_sha256(nb) != h


# --- one kernel name -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[_rel(p) for p in ALL_NOTEBOOKS])
def test_kernelspec_is_the_standard_python3(path):
    spec = dict(_read(path).metadata.get("kernelspec", {}))
    assert spec == KERNELSPEC, f"{_rel(path)}: expected kernelspec {KERNELSPEC}, got {spec}"


def test_python3_kernel_is_the_interpreter_running_the_tools():
    """tools/execute_notebooks.py (and nbval) ask for ``python3``: run from .venv/bin/python,
    that kernel is the venv's own Python, so no project kernel needs installing."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    assert "python3" in KernelSpecManager().find_kernel_specs()
    km = KernelManager(kernel_name="python3")
    assert km.format_kernel_cmd()[0] == sys.executable


# --- accessibility of the stored notebooks ---------------------------------------------------
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
#: nbgrader's markup in a solution's Markdown cell, removed from the exercise: not a heading
_NBGRADER = re.compile(r"^###\s+(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)\s*$")


def markdown_structure(nb: nbformat.NotebookNode) -> tuple[list[tuple[int, str]], list[list[str]]]:
    """(headings as (level, text), tables as lists of header cells) of the Markdown cells,
    in order, outside code fences."""
    headings, tables = [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines, fenced = cell.source.splitlines(), False
        for i, line in enumerate(lines):
            if _FENCE.match(line):
                fenced = not fenced
                continue
            if fenced or _NBGRADER.match(line.strip()):
                continue
            m = _HEADING.match(line)
            if m:
                headings.append((len(m.group(1)), m.group(2)))
            elif "|" in line and i + 1 < len(lines) and _DELIMITER.match(lines[i + 1]):
                cells = line.strip().strip("|").split("|")
                tables.append([c.strip() for c in cells])
    return headings, tables


def structure_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Headings that skip a level or hold TeX, and tables with a blank header cell."""
    headings, tables = markdown_structure(nb)
    problems = []
    if headings and headings[0][0] != 1:
        problems.append(f"the first heading is H{headings[0][0]}, not H1: {headings[0][1]!r}")
    for (a, _), (b, text) in zip(headings, headings[1:], strict=False):
        if b > a + 1:
            problems.append(f"H{a} followed by H{b} (skips a level): {text!r}")
    for level, text in headings:
        if "$" in text or "\\(" in text or "\\[" in text:
            problems.append(f"TeX in the H{level} heading {text!r}: a screen reader reads it "
                            f"as symbols; put the formula in the text below")
    for header in tables:
        if any(not c for c in header):
            problems.append(f"table header with a blank cell: {header}")
    return problems


def test_structure_checker_finds_each_problem():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# T\n### jump\n## $\\delta_l$ norms\n\n| | a |\n|---|---|\n| 1 | 2 |\n"
        "```\n# not a heading\n```")])
    problems = "\n".join(structure_problems(nb))
    assert "H1 followed by H3" in problems
    assert "TeX in the H2 heading" in problems
    assert "blank cell: ['', 'a']" in problems
    assert "not a heading" not in problems
    fine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# T\n## a\n### b\n## c\n\n| n | a |\n|:--|--:|\n")])
    assert structure_problems(fine) == []


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[_rel(p) for p in ALL_NOTEBOOKS])
def test_headings_in_order_without_tex_and_tables_with_headers(path):
    problems = structure_problems(_read(path))
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


_IMG_ALT = re.compile(r'<img\b[^>]*\balt="([^"]+)"')
_FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.+?)</figcaption>", re.S)


def test_every_figure_has_alt_text_and_a_caption(notebook):
    """Every output that shows a PNG also carries HTML with ``<img alt>`` and a caption
    saying the same, and its PNG metadata carries the alt text (static viewers)."""
    name, nb = notebook
    figures = 0
    for c in _code_cells(nb):
        for out in c.outputs:
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            figures += 1
            where = f"{name}, cell {c.get('id')}"
            page = data.get("text/html", "")
            alt, caption = _IMG_ALT.search(page), _FIGCAPTION.search(page)
            assert alt and caption, f"{where}: PNG output without <img alt> and <figcaption>"
            assert html.unescape(alt.group(1)) == html.unescape(caption.group(1)), where
            assert re.search(r"\d", alt.group(1)), f"{where}: alt text without any number"
            assert out.metadata["image/png"]["alt"] == html.unescape(alt.group(1)), where
    assert figures, f"{name}: no figure found"


def _is_progress_bar(nb: nbformat.NotebookNode, bundle: dict) -> bool:
    """A tqdm.auto progress bar (bplib.train's ``progress=True``): a box whose stored model
    holds a FloatProgress. It is a display, not a figure, so it has no picture to carry."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    model = state.get(bundle[WIDGET_MIME].get("model_id"), {})
    children = model.get("state", {}).get("children", [])
    return model.get("model_name") == "HBoxModel" and any(
        state.get(c.removeprefix("IPY_MODEL_"), {}).get("model_name") == "FloatProgressModel"
        for c in children)


def test_progress_bar_is_told_apart_from_a_figure_widget():
    state = {"bar": {"model_name": "HBoxModel", "state": {"children": [
                 "IPY_MODEL_html", "IPY_MODEL_progress"]}},
             "html": {"model_name": "HTMLModel", "state": {}},
             "progress": {"model_name": "FloatProgressModel", "state": {}},
             "figure": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_html"]}}}
    nb = nbformat.v4.new_notebook(metadata={"widgets": {WIDGET_STATE_MIME: {"state": state}}})
    assert _is_progress_bar(nb, {WIDGET_MIME: {"model_id": "bar"}})
    assert not _is_progress_bar(nb, {WIDGET_MIME: {"model_id": "figure"}})
    assert not _is_progress_bar(nb, {WIDGET_MIME: {"model_id": "missing"}})


def test_displays_a_widget_with_a_static_picture(notebook):
    """A widget output whose bundle also carries the figure (PNG, and HTML with alt text and
    caption) and its description as text, for viewers without the widget manager. (Progress
    bars are left out: they are not figures.)"""
    name, nb = notebook
    bundles = [out.data for c in _code_cells(nb) for out in c.outputs
               if out.output_type in ("display_data", "execute_result")
               and WIDGET_MIME in out.get("data", {})
               and not _is_progress_bar(nb, out.data)]
    assert bundles, f"{name}: expected an output with {WIDGET_MIME} (an interactive figure)"
    for b in bundles:
        assert "image/png" in b and "text/html" in b, f"{name}: widget without static fallback"
        png = base64.b64decode(b["image/png"])
        assert png.startswith(PNG_MAGIC) and len(png) > 1000, f"{name}: image/png is not a figure"
        assert b["text/plain"].startswith("InteractiveFigure("), b["text/plain"][:80]


def _widget_models(nb: nbformat.NotebookNode) -> list[dict]:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    return list(state.values())


def test_controls_are_named_in_words_and_keyboard_operable(notebook):
    """In the stored widget state: no dropdown (JupyterLab takes its arrow keys), every
    control's label has a word in it, and every slider has its number field linked."""
    name, nb = notebook
    models = _widget_models(nb)
    assert models, f"{name}: no widget state stored (tools/execute_notebooks.py stores it)"
    kinds = [m["model_name"] for m in models]
    assert not {"DropdownModel", "SelectModel"} & set(kinds), f"{name}: a dropdown is used"
    controls = [m for m in models if m["model_name"] in (
        "IntSliderModel", "FloatSliderModel", "FloatLogSliderModel", "ToggleButtonsModel",
        "TextModel", "BoundedIntTextModel", "BoundedFloatTextModel", "SelectionSliderModel")]
    unnamed = [(m["model_name"], m["state"].get("description")) for m in controls
               if not re.search(r"[A-Za-z]{3,}", m["state"].get("description", ""))]
    assert not unnamed, f"{name}: controls without a name in words: {unnamed}"
    sliders = [m for m in models if m["model_name"].endswith("SliderModel")
               and m["model_name"] != "SelectionSliderModel"]
    links = [m for m in models if m["model_name"] == "LinkModel"]
    assert len(links) >= len(sliders), f"{name}: {len(sliders)} sliders, {len(links)} links"


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


def test_jupytext_config_pairs_only_the_notebooks_folder():
    text = (ROOT / "jupytext.toml").read_text()
    assert 'formats = "notebooks///ipynb,notebooks/sources///md:myst"' in text
