"""axe-core (pinned, from npm, no CDN) run on the course's own content in a page.

    from axe import assert_accessible
    assert_accessible(page, "07_saturation.ipynb")       # JupyterLab or JupyterLite alike

:func:`violations` injects axe-core into the page (from the cache of tools/npm_assets.py,
fetched once with ``npm pack``), runs :data:`COURSE_RULES` on the notebook's output areas
and rendered Markdown only (:data:`COURSE_CONTENT`), so that JupyterLab's own interface is
out of scope, and returns what failed. JupyterLite renders notebooks with the same classes,
so the same call checks the in-browser site.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The rules the course's content must pass: figures have text alternatives, controls have
#: names, headings go down one level at a time, table headers are filled, text is readable.
COURSE_RULES = (
    "image-alt",              # every <img> has alt text
    "role-img-alt",           # and anything else shown as an image
    "aria-input-field-name",  # sliders and other ARIA inputs have accessible names
    "label",                  # number fields and text boxes have labels
    "button-name",            # toggle buttons have names
    "heading-order",          # no H1 -> H3 jumps
    "empty-table-header",     # no blank header cells
    "color-contrast",         # text against its background (WCAG 1.4.3)
)

#: Where the course's own content is, in JupyterLab and JupyterLite: cell outputs (figures,
#: widgets, printed text) and rendered Markdown cells.
COURSE_CONTENT = (".jp-Notebook .jp-OutputArea-output", ".jp-Notebook .jp-MarkdownOutput")


def npm_asset(name: str) -> Path:
    """tools/npm_assets.fetch(name); without npm and without a cached copy the test is
    skipped, or fails under BPLIB_REQUIRE_BROWSER=1 (CI), saying what to install."""
    module = _tools_module("npm_assets")
    try:
        return module.fetch(name)
    except module.AssetError as exc:
        message = f"needs {name} from npm: {exc}"
        if os.environ.get("BPLIB_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _tools_module(name: str):
    path = ROOT / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bplib_tools_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def axe_source() -> str:
    """axe.min.js of the pinned axe-core (see tools/npm_assets.py)."""
    return (npm_asset("axe-core") / "axe.min.js").read_text(encoding="utf-8")


_RUN_JS = """async ({include, rules}) => {
  const present = include.filter(s => document.querySelector(s));
  if (!present.length) return {checked: 0, violations: [], incomplete: []};
  const result = await axe.run({include: present.map(s => [s])},
                               {runOnly: {type: 'rule', values: rules},
                                resultTypes: ['violations']});
  const brief = r => ({id: r.id, impact: r.impact, help: r.help, nodes: r.nodes.map(n => ({
      target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary}))});
  return {checked: present.map(s => document.querySelectorAll(s).length).reduce((a, b) => a + b, 0),
          violations: result.violations.map(brief), incomplete: result.incomplete.map(brief)};
}"""


def violations(page: Any, include: tuple[str, ...] = COURSE_CONTENT,
               rules: tuple[str, ...] = COURSE_RULES) -> dict:
    """Run axe-core in ``page`` on the elements matching ``include``; returns
    ``{"checked": number of elements in scope, "violations": [...], "incomplete": [...]}``,
    each rule result with its id, help text and failing nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    return page.evaluate(_RUN_JS, {"include": list(include), "rules": list(rules)})


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}: {n['html']}")
            if n.get("summary"):
                lines.append("      " + n["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Any, where: str, include: tuple[str, ...] = COURSE_CONTENT,
                      rules: tuple[str, ...] = COURSE_RULES, min_checked: int = 1) -> dict:
    """Fail with a readable list when axe finds a violation of ``rules`` in the course's
    content of ``page``; returns axe's result (see :func:`violations`)."""
    result = violations(page, include, rules)
    assert result["checked"] >= min_checked, (
        f"{where}: only {result['checked']} elements matched {include}: nothing to check")
    assert not result["violations"], (
        f"{where}: axe-core found accessibility violations in the course's content:\n"
        + describe(result["violations"]))
    return result


#: Every InteractiveFigure drawn and its accessibility script applied (sliders named).
FIGURES_READY_JS = """() => {
  const roots = [...document.querySelectorAll('.jp-Notebook .bplib-interactive')];
  return roots.length > 0 && roots.every(r => {
    const img = r.querySelector('img.bplib-figure');
    const handles = [...r.querySelectorAll('.noUi-handle')];
    return img && img.complete && img.naturalWidth > 0 && img.alt.length > 0
      && handles.every(h => h.hasAttribute('aria-labelledby'));
  });
}"""


def wait_for(page: Any, js: str, what: str, timeout: float = 60.0) -> None:
    """Poll ``js`` in the page until it is true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def show_all_cells(page: Any) -> None:
    """Scroll through the notebook so every cell is laid out (JupyterLab renders cells
    lazily), then back to the top."""
    page.evaluate("""async () => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      for (let i = 0; i < nb.widgets.length; i++) {
        nb.widgets[i].node.scrollIntoView({block: 'center'});
        await new Promise(r => requestAnimationFrame(() => r()));
      }
      nb.widgets[0].node.scrollIntoView();
    }""")


def assert_notebook_accessible(page: Any, where: str, has_figures: bool) -> dict:
    """After Run All Cells: wait until every interactive figure is drawn and labelled, lay
    out every cell, then :func:`assert_accessible` on the notebook's content."""
    if has_figures:
        wait_for(page, FIGURES_READY_JS, f"{where}: its figures drawn and labelled")
    show_all_cells(page)
    return assert_accessible(page, where)
