"""The exported HTML course (tools/export_html.py) read offline: every request that is not for
a local file is blocked and counted, and the pages still show their figures with alt text,
their stored widgets and typeset math, and pass the same axe-core rules as in JupyterLab.

Only the notebooks needed to cover each kind of content are exported here (the index: links,
a table, a widget; notebook 07: static and interactive figures, sliders, toggle buttons,
display math), to keep the suite fast; `tools/export_html.py` exports the whole course.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import pytest
from axe import assert_accessible, npm_asset
from lab_ui import ROOT

pytestmark = pytest.mark.browser

EXPORTED = ["notebooks/00_index.ipynb", "notebooks/07_saturation.ipynb"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, browser_prerequisites):
    spec = importlib.util.spec_from_file_location("bplib_export_html",
                                                  ROOT / "tools" / "export_html.py")
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool
    spec.loader.exec_module(tool)
    for name in ("requirejs", "@jupyter-widgets/html-manager", "mathjax"):
        npm_asset(name)  # skip (or fail in CI) here, with the reason, when npm is missing
    out = tmp_path_factory.mktemp("html")
    return out, tool.export([ROOT / p for p in EXPORTED], out)


_READY_JS = """() => {
  const hub = window.MathJax && window.MathJax.Hub;
  const mathDone = hub && hub.queue && hub.queue.pending === 0 && !hub.queue.running;
  const wanted = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length;
  const figures = [...document.querySelectorAll('.bplib-interactive img.bplib-figure')];
  return !!mathDone && figures.length >= (wanted ? 1 : 0)
      && figures.every(i => i.complete && i.naturalWidth > 0);
}"""

_CONTENT_JS = """() => {
  const out = [...document.querySelectorAll('.jp-OutputArea-output img')];
  return {
    images: out.map(i => ({alt: i.getAttribute('alt') || '', width: i.naturalWidth,
                           live: !!i.closest('.bplib-interactive')})),
    captions: [...document.querySelectorAll('figcaption.bplib-caption, .bplib-caption p')]
        .map(c => c.textContent.trim()),
    controls: [...document.querySelectorAll('.bplib-interactive .noUi-handle')]
        .map(h => h.getAttribute('aria-labelledby')),
    math: document.querySelectorAll('.MathJax_CHTML, .MJXc-display').length,
    mathErrors: document.querySelectorAll('.MathJax_Error, .mjx-merror').length,
    rawTex: [...document.querySelectorAll('.jp-MarkdownOutput')]
        .filter(e => /\\$[^$]*\\\\[a-zA-Z]+/.test(e.innerText)).length,
    links: [...document.querySelectorAll('.jp-MarkdownOutput a[href]')]
        .map(a => a.getAttribute('href')).filter(h => !/^[a-z]+:|^#/.test(h)),
  };
}"""


@pytest.mark.parametrize("notebook", EXPORTED, ids=[p.split("/")[-1] for p in EXPORTED])
def test_exported_page_works_offline(browser, exported, artifacts, notebook):
    out, _ = exported
    page_path = out / notebook.replace(".ipynb", ".html")
    context = browser.new_context()
    page = context.new_page()
    outside, failed = [], []

    def only_files(route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_files)
    page.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith("file:")
            else None)
    try:
        page.goto(page_path.as_uri())
        deadline = time.monotonic() + 60
        while not page.evaluate(_READY_JS):
            assert time.monotonic() < deadline, (
                f"{notebook}: math or widgets not rendered offline within 60 s")
            time.sleep(0.25)
        content = page.evaluate(_CONTENT_JS)
        page.screenshot(path=str(artifacts / f"offline_{page_path.stem}.png"))
        assert not outside, f"{notebook}: the page asked the network for {outside}"
        assert not failed, f"{notebook}: local files missing from the export: {failed}"
        assert content["math"] > 0 and not content["mathErrors"], content
        assert not content["rawTex"], f"{notebook}: Markdown shows untypeset TeX"
        images = content["images"]
        assert any(i["live"] for i in images), f"{notebook}: no widget figure drawn: {images}"
        assert all(i["width"] > 0 and len(i["alt"]) > 20 for i in images), images
        alts = {i["alt"] for i in images}
        assert alts <= set(content["captions"]), "every figure's alt text is also its caption"
        assert content["controls"] and all(content["controls"]), "sliders without a name"
        unconverted = [h for h in content["links"] if h.split("#")[0].endswith(".ipynb")]
        assert not unconverted, f"{notebook}: links still point at notebooks: {unconverted}"
        assert_accessible(page, f"{notebook} (exported)")
        with open(artifacts / "report.txt", "a") as f:
            f.write(f"{notebook} exported offline: {len(images)} figures with alt text, "
                    f"{content['math']} formulas typeset, 0 outside requests\n")
    finally:
        context.close()


def test_export_links_between_pages_and_names_its_sources(exported):
    out, pages = exported
    assert {p.relative_to(out).as_posix() for p in pages} == {
        p.replace(".ipynb", ".html") for p in EXPORTED}
    index = (out / "notebooks" / "00_index.html").read_text()
    assert 'href="07_saturation.html"' in index and '.ipynb"' not in index
    assert (out / "notebooks" / "07_saturation.html").is_file()
    assert (out / "index.html").is_file()
    versions = (out / "_static" / "VERSIONS.txt").read_text()
    assert "@jupyter-widgets/html-manager@" in versions and "mathjax@2." in versions
