"""The course as a student uses it: every notebook opened in JupyterLab in headless Chromium.

For each notebook in notebooks/: open it, Run > Run All Cells, wait until every cell has
run and the kernel is idle, then check that
- no cell raised (an ``error`` output) and every non-blank code cell ran;
- every widget output rendered as live controls, not as the "Loading widget..." /
  "Error displaying widget" text or the static PNG fallback;
- every InteractiveFigure shows a decoded PNG, and changing one of its controls (arrow keys
  on a slider, typing into a text box, picking a dropdown option) changes the image bytes.
A screenshot of each notebook goes to artifacts/browser/NAME.png, pass or fail.

Also: the index notebook's links open their targets in Lab, and an exercise's self-check
cell shows its feedback. See docs/browser-tests.md.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import PurePosixPath

import pytest
from lab_ui import FALLBACK_TEXTS, ROOT, file_digest

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))
INDEX = ROOT / "notebooks" / "00_index.ipynb"
EXERCISES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
FEEDBACK_MARK = "not the official grade"
FIGURE_TIMEOUT = 30.0  # s for a redraw to reach the page (a plot can take a few seconds here)


def rel(path) -> str:
    return path.relative_to(ROOT).as_posix()


def interactive_figure_repr(plain: str) -> bool:
    return plain.startswith("InteractiveFigure(")


def assert_ran_without_errors(cells: list[dict], name: str) -> None:
    errors = [f"cell {c['index']} ({c['source'].strip().splitlines()[0][:60]!r}): "
              f"{o['ename']}: {o['evalue']}"
              for c in cells if c["type"] == "code" for o in c["outputs"] if o["type"] == "error"]
    assert not errors, f"{name}: cells raised in JupyterLab: {errors}"
    not_run = [c["index"] for c in cells if c["type"] == "code" and c["source"].strip()
               and c.get("executionCount") is None]
    assert not not_run, f"{name}: code cells {not_run} did not run after Run All Cells"


def wait_rendered(ui, k: int, needs_figure: bool, timeout: float = FIGURE_TIMEOUT) -> dict:
    """Wait until widget ``k`` shows its controls (and figure), return its DOM state."""
    deadline = time.monotonic() + timeout
    while True:
        state = ui.widget_state(k)
        figure = state["figure"]
        ready = state["widgetNodes"] > 0 and state["inputs"] > 0 and (
            not needs_figure or (figure and figure["complete"] and figure["naturalWidth"] > 0))
        if ready or time.monotonic() > deadline:
            return state
        time.sleep(0.25)


def check_widget(ui, w: dict, name: str) -> dict:
    """Assert widget output ``w`` rendered as live controls; return its DOM state."""
    where = f"{name}, cell {w['cell']}"
    assert w["tagged"], f"{where}: the widget output has no node in the page"
    is_figure = interactive_figure_repr(w["plain"])
    state = wait_rendered(ui, w["k"], is_figure)
    text = state["text"]
    fallback = [t for t in FALLBACK_TEXTS if t in text]
    assert not fallback, f"{where}: widget shows {fallback} instead of its controls: {text!r}"
    assert not w["plain"] or w["plain"][:30] not in text, \
        f"{where}: widget shows its text repr instead of controls: {text[:200]!r}"
    assert state["widgetNodes"] > 0, (
        f"{where}: no .jupyter-widgets element: the widget manager did not render it "
        f"(static fallback shown); console:\n{ui.console_tail()}")
    assert state["inputs"] > 0, f"{where}: widget rendered without any control: {text[:200]!r}"
    if is_figure:
        fig = state["figure"]
        assert fig is not None, f"{where}: InteractiveFigure rendered without img.bplib-figure"
        assert fig["complete"] and fig["naturalWidth"] > 0, \
            f"{where}: the figure image did not load/decode: {fig}"
    return state


def check_figure_updates(ui, w: dict, state: dict, name: str) -> str:
    """Change the widget's controls in turn until the figure's bytes change; return what was
    done. Fails when no control changes the figure."""
    where = f"{name}, cell {w['cell']}"
    before = ui.figure_digest(w["k"])
    assert before and before["bytes"] > 0, f"{where}: cannot read the figure's bytes: {before}"
    tried = []
    for m in range(len(state["controls"])):
        action = ui.change_control(w["k"], m)
        if action is None:
            tried.append(f"{state['controls'][m]!r} (not a kind of control this test drives)")
            continue
        after = ui.wait_figure_change(w["k"], before, FIGURE_TIMEOUT)
        if after is not None:
            return f"{action}: figure {before['sha256'][:12]} -> {after['sha256'][:12]}"
        tried.append(action)
    pytest.fail(f"{where}: the figure did not change within {FIGURE_TIMEOUT:.0f} s after "
                f"any of: {tried}; console:\n{ui.console_tail()}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_lab(lab_page, artifacts, notebook):
    ui, name = lab_page, notebook.name
    digest = file_digest(notebook)
    t0 = time.monotonic()
    report = [f"{name}:"]
    try:
        ui.open_notebook(rel(notebook))
        run = ui.run_all_cells()
        report.append(f"  ran {run['expected']} cells in {time.monotonic() - t0:.1f} s")
        cells = ui.cells()
        assert_ran_without_errors(cells, name)
        widgets = ui.tag_widgets()
        figures = [w for w in widgets if interactive_figure_repr(w["plain"])]
        # The figures the source asks for must exist as widgets, not only as static PNGs.
        asked = [c["index"] for c in cells if c["type"] == "code"
                 and re.search(r"\b(interactive_figure|InteractiveFigure)\(", c["source"])]
        missing = sorted(set(asked) - {w["cell"] for w in figures})
        assert not missing, (f"{name}: cells {missing} call interactive_figure but output no "
                             f"InteractiveFigure widget (only a static fallback, or nothing)")
        if notebook != INDEX:
            assert figures, (f"{name}: no InteractiveFigure widget; every topic notebook "
                             f"has a control that changes a figure")
        for w in widgets:
            state = check_widget(ui, w, name)
            if w in figures:
                report.append(f"  cell {w['cell']}: {check_figure_updates(ui, w, state, name)}")
        if figures:
            ui.widget(figures[0]["k"]).scroll_into_view_if_needed()
        report.append(f"  {len(widgets)} widgets, {len(figures)} figures updated, "
                      f"{time.monotonic() - t0:.1f} s")
    finally:
        ui.page.screenshot(path=str(artifacts / f"{notebook.stem}.png"))
        with open(artifacts / "report.txt", "a") as f:
            f.write("\n".join(report) + "\n")
    assert file_digest(notebook) == digest, f"{name} was modified on disk by the test run"


_SHUTDOWN_CURRENT_KERNEL_JS = """async () => {
  const s = window.jupyterapp.shell.currentWidget?.sessionContext;
  if (s) { await s.ready; await s.shutdown(); }
}"""


def markdown_links(path) -> list[tuple[str, str]]:
    """(text, target) of every relative link in the notebook's Markdown cells."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    links = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for text, target in re.findall(r"(?<!!)\[([^\]]+)\]\(\s*<?([^)\s>]+)>?[^)]*\)",
                                       cell.source):
            if not re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.I):
                links.append((text, target))
    return links


@pytest.mark.skipif(not INDEX.exists(), reason="notebooks/00_index.ipynb not written yet")
def test_index_links_open_their_targets(lab_page, lab, artifacts):
    ui = lab_page
    links = markdown_links(INDEX)
    assert links, "the index notebook has no relative links to the course's notebooks"
    index_path = rel(INDEX)
    t0 = time.monotonic()
    ui.open_notebook(index_path)
    opened = []
    try:
        for text, target in links:
            file_part = urllib.parse.unquote(target.split("#")[0])
            resolved = (PurePosixPath("notebooks") / file_part).as_posix()
            parts: list[str] = []
            for part in resolved.split("/"):  # normalise a/../b without touching the disk
                if part == "..":
                    assert parts, f"link {target!r} points outside the repository"
                    parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
            resolved = "/".join(parts)
            model = lab.contents(resolved)
            assert model is not None, f"index link [{text}]({target}): {resolved} does not exist"
            if model["type"] == "directory":
                opened.append(f"{target} (directory, exists)")
                continue
            anchor = ui.page.locator(
                f'.jp-MarkdownOutput a[href*="/files/{urllib.parse.quote(resolved)}"]')
            assert anchor.count() >= 1, \
                f"index link [{text}]({target}) is not rendered as a link to {resolved}"
            anchor.first.scroll_into_view_if_needed()
            anchor.first.click()
            try:
                ui.page.wait_for_function(
                    "(p) => window.jupyterapp.shell.currentWidget?.context?.path === p",
                    arg=resolved, timeout=30_000)
            except Exception:
                raise AssertionError(f"clicking index link [{text}]({target}) did not open "
                                     f"{resolved} in a Lab tab; dialog: {ui.dialog_text()}"
                                     ) from None
            tab = ui.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
            assert PurePosixPath(resolved).name in tab.inner_text(), \
                f"the tab opened for {resolved} is labelled {tab.inner_text()!r}"
            opened.append(f"{target} -> tab {resolved}")
            # Each opened notebook starts a kernel: once it is up, shut it down from the page
            # (keeps the CPU free). Deleting sessions behind the page's back instead races a
            # kernel still starting ("Error Starting Kernel: Session not found").
            ui.page.evaluate(_SHUTDOWN_CURRENT_KERNEL_JS)
            # Back to the index (as a student would: click its tab); close nothing, so no
            # "save changes?" dialog can appear.
            ui.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab",
                            has_text=INDEX.name).click()
            ui.page.wait_for_function(
                "(p) => window.jupyterapp.shell.currentWidget?.context?.path === p",
                arg=index_path)
    finally:
        ui.page.screenshot(path=str(artifacts / "index_links.png"))
        with open(artifacts / "report.txt", "a") as f:
            f.write(f"index links ({time.monotonic() - t0:.1f} s):\n"
                    + "".join(f"  {o}\n" for o in opened))


@pytest.mark.skipif(not EXERCISES, reason="no exercises/ex*.ipynb written yet")
def test_exercise_self_check_shows_feedback(lab_page, artifacts):
    ui = lab_page
    exercise = next((p for p in EXERCISES if p.name == "ex1_theta.ipynb"), EXERCISES[0])
    digest = file_digest(exercise)
    try:
        ui.open_notebook(rel(exercise))
        ui.run_all_cells()

        def feedback_cells() -> list[dict]:
            return [c for c in ui.cells() if any(FEEDBACK_MARK in o["text"].lower()
                                                 for o in c["outputs"])]

        found = feedback_cells()
        if not found:
            # Run All stops at the first error (an unfinished exercise may raise); a student
            # then runs the check cell by itself.
            cells = ui.cells()
            checks = [c["index"] for c in cells if c["type"] == "code"
                      and re.search(r"\bcheck", c["source"]) and c["executionCount"] is None]
            for index in checks:
                ui.run_cell(index)
            found = feedback_cells()
        outputs = [(c["index"], [o["text"][:80] for o in c["outputs"]]) for c in ui.cells()]
        assert found, (f"{exercise.name}: no cell output contains {FEEDBACK_MARK!r} after "
                       f"running the notebook; outputs: {outputs}")
        check_cell = found[0]
        assert re.search(r"\bcheck", check_cell["source"]), \
            f"{exercise.name}: the feedback came from cell {check_cell['index']}, not a check cell"
        raised = [f"{o['ename']}: {o['evalue']}" for o in check_cell["outputs"]
                  if o["type"] == "error"]
        assert not raised, \
            f"{exercise.name}: the check cell raised instead of giving feedback: {raised}"
        # ...and the page shows it, not only the model.
        cell = ui.page.locator(".jp-Notebook .jp-Cell").nth(check_cell["index"])
        cell.scroll_into_view_if_needed()
        shown = cell.locator(".jp-OutputArea").inner_text()
        assert FEEDBACK_MARK in shown.lower(), \
            f"{exercise.name}: the check cell's feedback is not shown on the page: {shown!r}"
        with open(artifacts / "report.txt", "a") as f:
            f.write(f"{exercise.name}: cell {check_cell['index']} shows the self-check "
                    f"feedback: {shown.strip().splitlines()[-1][:100]!r}\n")
    finally:
        ui.page.screenshot(path=str(artifacts / f"{exercise.stem}_check.png"))
    assert file_digest(exercise) == digest, f"{exercise.name} was modified on disk"
