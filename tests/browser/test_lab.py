"""The course as a student uses it: every notebook opened in JupyterLab in headless Chromium.

For each notebook in notebooks/: open it, Run > Run All Cells, wait until every cell has
run and the kernel is idle, then check that
- no cell raised (an ``error`` output) and every non-blank code cell ran;
- every widget output rendered as live controls, not as the "Loading widget..." /
  "Error displaying widget" text or the static PNG fallback;
- every InteractiveFigure shows a decoded PNG, and changing EACH of its controls in turn
  (arrow keys on a slider, the arrows or typing in its number field, typing into a text
  box, a toggle button, a dropdown option) changes the image bytes: a control that leaves
  the figure as it was (e.g. one that only changes a title nobody draws) fails the test;
- axe-core finds no violation of the course's accessibility rules in the notebook's outputs
  and Markdown (tests/browser/axe.py), with the widgets live.
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
from axe import COURSE_RULES, assert_notebook_accessible
from lab_ui import ACTION_DEADLINE, FALLBACK_TEXTS, ROOT, file_digest

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))
INDEX = ROOT / "notebooks" / "00_index.ipynb"
EXERCISES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
FEEDBACK_MARK = "not the official grade"
# A redraw has failed when the kernel has sat idle this long without new figure bytes (while
# it is busy drawing, the wait goes on: see LabPage.wait_figure_change).
FIGURE_IDLE = 30.0


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


def wait_rendered(ui, k: int, needs_figure: bool, timeout: float = ACTION_DEADLINE) -> dict:
    """Wait until widget ``k`` shows its controls (and figure), return its DOM state."""
    deadline = time.monotonic() + timeout
    while True:
        state = ui.widget_state(k)
        figure = state["figure"]
        ready = state["widgetNodes"] > 0 and (state["inputs"] > 0 or state["progress"] > 0) and (
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
    # A progress bar (tqdm.auto in a notebook) is a display, not a control: it has none.
    assert state["inputs"] > 0 or state["progress"] > 0, \
        f"{where}: widget rendered without any control or progress bar: {text[:200]!r}"
    if is_figure:
        fig = state["figure"]
        assert fig is not None, f"{where}: InteractiveFigure rendered without img.bplib-figure"
        assert fig["complete"] and fig["naturalWidth"] > 0, \
            f"{where}: the figure image did not load/decode: {fig}"
    return state


def check_figure_updates(ui, w: dict, state: dict, name: str) -> list[str]:
    """Change every control of the widget in turn (each slider, its number field, each text
    box and each group of buttons) and require the figure's bytes to change after each one,
    compared with the figure just before that change. Returns what was done; fails naming
    every control after which the figure stayed the same, and any control this test cannot
    drive (it would otherwise go untested)."""
    where = f"{name}, cell {w['cell']}"
    before = ui.figure_digest(w["k"])
    assert before and before["bytes"] > 0, f"{where}: cannot read the figure's bytes: {before}"
    done, dead, undriven = [], [], []
    for m, operable in enumerate(state["controlInputs"]):
        if operable == 0:
            continue  # an empty box that starts a new line of controls
        action = ui.change_control(w["k"], m)
        if action is None:
            undriven.append(state["controls"][m])
            continue
        after = ui.wait_figure_change(w["k"], before, idle_for=FIGURE_IDLE)
        if after is None:
            dead.append(action)
            continue
        done.append(f"{action}: figure {before['sha256'][:12]} -> {after['sha256'][:12]}")
        before = after
    assert not undriven, f"{where}: controls this test cannot drive: {undriven}"
    assert done or dead, f"{where}: the widget has no control: {state['controls']}"
    if dead:
        pytest.fail(f"{where}: the figure did not change (kernel idle for {FIGURE_IDLE:.0f} s "
                    f"without a redraw) after {dead}; every control must change what is "
                    f"drawn (changed: {done}); console:\n{ui.console_tail()}")
    return done


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
                report += [f"  cell {w['cell']}: {done}"
                           for done in check_figure_updates(ui, w, state, name)]
        # WCAG 2.1 AA (issue 16) on the same run, with the widgets live and just moved.
        axe = assert_notebook_accessible(ui.page, rel(notebook), bool(figures))
        report.append(f"  axe-core {', '.join(COURSE_RULES)}: {axe['checked']} elements "
                      f"in scope, no violation")
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
            # Click only once the index is the current, loaded tab with an idle kernel; then
            # wait for the target to be open and loaded (a notebook: its kernel idle) rather
            # than for a fixed time, however slow a loaded machine makes each step.
            ui.click(anchor.first, f"index link [{text}]({target})")
            ui.wait_document(resolved, f"clicking index link [{text}]({target})")
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
            ui.click(ui.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=INDEX.name),
                     "the index's tab")
            ui.wait_document(index_path, "returning to the index")
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
