"""Accessibility of the course as a student meets it in JupyterLab (WCAG 2.1 AA, issue 16).

- axe-core (pinned, from npm; tests/browser/axe.py) on every notebook after Run All Cells,
  with its widgets live (in test_lab.py's test_notebook_in_lab, which runs each notebook
  once for all its browser checks), and on every exercise as stored: no image without alt text, no
  unnamed control, no heading that skips a level, no blank table header, no text below
  4.5:1 contrast, in the course's outputs and rendered Markdown (JupyterLab's own
  interface is out of scope);
- notebooks as first opened, before running (stored outputs, untrusted): each figure
  shows its image with alt text and caption, and the same axe rules pass;
- a keyboard-only run: reach a slider and a toggle button with Shift+Tab from the next cell,
  move them with the arrow keys and Space, and see the figure, its alt text and its caption
  change;
- a check that the checker finds each kind of violation it is meant to catch.
"""

from __future__ import annotations

import time

import pytest
from axe import (
    COURSE_RULES,
    FIGURES_READY_JS,
    assert_accessible,
    show_all_cells,
    violations,
    wait_for,
)
from lab_ui import ROOT

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
KEYBOARD_NOTEBOOK = "notebooks/07_saturation.ipynb"

_STORED_FIGURES_JS = """() => {
  const imgs = document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img');
  return [...imgs].map(i => ({
    alt: i.getAttribute('alt') || '', width: i.naturalWidth,
    caption: i.closest('figure')?.querySelector('figcaption')?.textContent || ''}));
}"""


#: Stored outputs are the same kinds in every notebook (static figures and widget fallbacks,
#: both from bplib.plots.style; tests/test_notebooks.py checks every stored one): these two
#: hold both kinds, a table and math, which is what the browser adds to that check.
STORED_VIEW = [ROOT / "notebooks" / "00_index.ipynb", ROOT / "notebooks" / "07_saturation.ipynb"]


def test_stored_notebooks_show_figures_with_alt_text_before_running(lab_page, lab):
    """As a student first opens them, before any cell runs: JupyterLab shows stored outputs
    untrusted (their HTML sanitized), and every figure must still show its image, with
    alt text and caption."""
    ui = lab_page
    seen = {}
    for notebook in STORED_VIEW:
        path = notebook.relative_to(ROOT).as_posix()
        ui.open_notebook(path)
        show_all_cells(ui.page)
        deadline = time.monotonic() + 30
        while True:
            figures = ui.page.evaluate(_STORED_FIGURES_JS)
            if figures and all(f["width"] > 0 for f in figures):
                break
            assert time.monotonic() < deadline, f"{path}: stored figures not shown: {figures}"
            time.sleep(0.25)
        bad = [f for f in figures if len(f["alt"]) < 20 or f["caption"].strip() != f["alt"]]
        assert not bad, f"{path}: stored figures without alt text and matching caption: {bad}"
        assert_accessible(ui.page, f"{path} (stored, not run)")
        seen[path] = len(figures)
        lab.shutdown_kernels()
    assert all(seen.values()), seen


@pytest.mark.parametrize("exercise", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercise_as_handed_out_passes_axe(lab_page, exercise):
    ui, path = lab_page, exercise.relative_to(ROOT).as_posix()
    ui.open_notebook(path)
    show_all_cells(ui.page)
    assert_accessible(ui.page, path)


def test_checker_finds_each_kind_of_violation(browser):
    """The same check on a page built to fail every rule: it must report each of them."""
    page = browser.new_context().new_page()
    try:
        page.set_content("""<div class="jp-Notebook">
          <div class="jp-MarkdownOutput"><h1>Title</h1><h3>Skipped a level</h3>
            <table><tr><th></th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table></div>
          <div class="jp-OutputArea-output">
            <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">
            <div role="slider" tabindex="0" aria-valuenow="1" aria-valuemin="0"
                 aria-valuemax="2"></div>
            <input type="number" value="3"><button></button>
            <p style="color: #aaaaaa; background: #ffffff">light grey text</p></div>
          <div class="jp-Toolbar"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></div>
        </div>""")
        found = violations(page)
        ids = {v["id"] for v in found["violations"]}
        assert ids == set(COURSE_RULES) - {"role-img-alt"}, ids
        # the toolbar's image is JupyterLab's, out of scope: only one image-alt node
        (image,) = [v for v in found["violations"] if v["id"] == "image-alt"]
        assert len(image["nodes"]) == 1
    finally:
        page.context.close()


_ACTIVE_JS = """() => {
  const e = document.activeElement;
  const root = e && e.closest('.bplib-interactive');
  return {inFigure: !!root, cls: e ? e.className : '', tag: e ? e.tagName : '',
          role: e ? e.getAttribute('role') : null, text: e ? e.textContent.trim() : '',
          pressed: e ? e.getAttribute('aria-pressed') : null,
          name: e && e.getAttribute('aria-labelledby')
            ? document.getElementById(e.getAttribute('aria-labelledby')).textContent : null};
}"""

_FIGURE_JS = """() => {
  const r = document.querySelector('.jp-Notebook .bplib-interactive');
  const img = r.querySelector('img.bplib-figure');
  return {src: img.getAttribute('src').length + ':' + img.getAttribute('src').slice(-64),
          alt: img.alt, caption: r.querySelector('.bplib-caption').innerText.trim()};
}"""


def _tab_to(page, want, what: str, limit: int = 25) -> dict:
    """Press Shift+Tab until the focused element satisfies ``want``; returns it."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab")
        active = page.evaluate(_ACTIVE_JS)
        if want(active):
            return active
    raise AssertionError(f"{limit} presses of Shift+Tab never reached {what}; "
                         f"last focus: {active}")


def _wait_new_figure(page, before: dict, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = page.evaluate(_FIGURE_JS)
        if now["src"] != before["src"] and now["alt"] != before["alt"] \
                and now["caption"] == now["alt"]:
            return now
        time.sleep(0.25)
    raise AssertionError(f"figure, alt text and caption did not all change: {before['alt']!r}")


def test_keyboard_alone_moves_a_slider_and_a_choice(lab_page, artifacts):
    ui = lab_page
    page = ui.page
    ui.open_notebook(KEYBOARD_NOTEBOOK)
    ui.run_all_cells()
    wait_for(page, FIGURES_READY_JS, "the figure drawn and labelled")
    cell = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .findIndex(c => c.node.querySelector('.bplib-interactive'))""")
    # From here on only the keyboard: command mode, the cell after the figure, Shift+Tab.
    page.keyboard.press("Escape")
    for _ in range(60):
        active = page.evaluate("() => window.jupyterapp.shell.currentWidget.content"
                               ".activeCellIndex")
        if active == cell + 1:
            break
        page.keyboard.press("ArrowUp" if active > cell + 1 else "ArrowDown")
    else:
        raise AssertionError(f"could not select cell {cell + 1} with the arrow keys")
    report = []
    slider = _tab_to(page, lambda a: a["inFigure"] and a["role"] == "slider", "a slider")
    assert slider["name"], f"the focused slider has no accessible name: {slider}"
    before = page.evaluate(_FIGURE_JS)
    page.keyboard.press("ArrowRight")
    after = _wait_new_figure(page, before)
    report.append(f"slider {slider['name']!r}: ArrowRight -> {after['alt'][:70]!r}")

    button = _tab_to(page, lambda a: a["inFigure"] and a["tag"] == "BUTTON"
                     and a["pressed"] == "false", "a toggle button not yet pressed")
    page.keyboard.press("Space")
    chosen = _wait_new_figure(page, after)
    pressed = page.evaluate("() => document.activeElement.getAttribute('aria-pressed')")
    assert pressed == "true", f"the chosen button {button['text']!r} is not marked pressed"
    report.append(f"toggle {button['text']!r}: Space -> {chosen['alt'][:70]!r}")
    page.screenshot(path=str(artifacts / "keyboard_only.png"))
    with open(artifacts / "report.txt", "a") as f:
        f.write(f"keyboard only ({KEYBOARD_NOTEBOOK}):\n" + "".join(f"  {r}\n" for r in report))
