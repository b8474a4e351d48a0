"""The JupyterLite site (``make site``) as a student uses it, with nothing but the site reachable.

The site is built from this checkout when build/site is missing or was built from other
inputs (or taken from $BPLIB_SITE_DIR), served by site/serve.py on 127.0.0.1, and opened in
headless Chromium where every request to any other host is aborted and counted (and every
other host name fails to resolve). Then, in Pyodide's Python:

- the start page opens notebooks/00_index.ipynb, and the site's file browser holds
  notebooks/ and exercises/ as in JupyterLab;
- notebooks 00, 04, 07 and 08 run to the end with no error output, every widget renders as
  live controls, and changing a control changes each figure's image bytes;
- axe-core finds no violation of the course's accessibility rules in those notebooks' outputs
  and Markdown, nor in the exercise (tests/browser/axe.py, as in JupyterLab);
- an exercise's self-check cell (bplib.grading.selfcheck) prints its feedback;
- no request failed (a 404 from the static contents API to the kernel's file system asking
  whether a path exists is its "no", listed in the report, not a failure) and none went to
  another host.

Only for the test, the site's jupyter-lite.json is answered with ``exposeAppInBrowser``
added, so the test can read the notebook model (as the JupyterLab suite does).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from axe import COURSE_RULES, assert_accessible, assert_notebook_accessible, show_all_cells
from lab_ui import ROOT, LabPage
from test_lab import assert_ran_without_errors, check_figure_updates, check_widget

pytestmark = pytest.mark.browser

SITE_DIR = Path(os.environ.get("BPLIB_SITE_DIR", ROOT / "build" / "site"))
NOTEBOOKS = ["00_index", "04_algorithm1_step_by_step", "07_saturation", "08_multilogit"]
EXERCISE = "ex1_theta"
FEEDBACK_MARK = "not the official grade"
FIGURE_TIMEOUT = 60.0  # s for a redraw in Pyodide (slower than CPython) to reach the page
KERNEL_START = 180.0  # s: a fresh Pyodide kernel loads numpy, matplotlib and bplib first


def _load_site_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bplib_site_{name}",
                                                  ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def site_is_current(build, path: Path) -> bool:
    try:
        stamp = json.loads((path / build.STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("inputs") == build.inputs_digest()


@pytest.fixture(scope="session")
def built_site(browser_prerequisites) -> Path:
    """The site built from this checkout: reused when its stamp matches the inputs."""
    build = _load_site_module("build")
    if "BPLIB_SITE_DIR" in os.environ:
        assert (SITE_DIR / "index.html").is_file(), f"BPLIB_SITE_DIR={SITE_DIR} holds no site"
        return SITE_DIR
    if not site_is_current(build, SITE_DIR):
        missing = [t for t in ("npm",) if shutil.which(t) is None]
        if missing:
            message = (f"building the site needs {', '.join(missing)} (apt-get install npm); "
                       f"or build it elsewhere and set BPLIB_SITE_DIR")
            if os.environ.get("BPLIB_REQUIRE_BROWSER") == "1":
                pytest.fail(f"BPLIB_REQUIRE_BROWSER=1 but {message}", pytrace=False)
            pytest.skip(message)
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, str(ROOT / "site" / "build.py"),
                               "--out", str(SITE_DIR)], capture_output=True, text=True,
                              timeout=1200)
        assert proc.returncode == 0, f"make site failed:\n{proc.stdout[-3000:]}\n{proc.stderr}"
        print(f"built the site in {time.monotonic() - t0:.0f} s")
        assert site_is_current(build, SITE_DIR)
    return SITE_DIR


@pytest.fixture(scope="session")
def site_server(built_site):
    serve = _load_site_module("serve")
    server, thread = serve.serve_in_thread(built_site)
    try:
        yield SiteServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class SiteServer:
    """What LabPage needs of a server: the URL that opens a file in the site's Lab."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def lab_url(self, path: str, workspace: str) -> str:
        if path == "notebooks/00_index.ipynb":
            return self.base_url + "/"  # the start page must open the index by itself
        return f"{self.base_url}/lab/index.html?path={urllib.parse.quote(path)}"


@pytest.fixture
def site_page(chromium_session, site_server, artifacts):
    """A fresh context (empty browser storage) whose requests may reach the site only."""
    context = chromium_session.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []
    failed: list[str] = []
    probes: list[str] = []
    local = site_server.base_url + "/"

    def block(r) -> None:
        outside.append(r.request.url)
        r.abort("blockedbyclient")

    def expose_app(r) -> None:
        resp = r.fetch()
        config = resp.json()
        config["jupyter-config-data"]["exposeAppInBrowser"] = True
        r.fulfill(response=resp, json=config)

    def on_request(req) -> None:  # also sees what a service worker fetches
        if not req.url.startswith((local, "data:", "blob:")) and req.url not in outside:
            outside.append(req.url)

    def on_response(resp) -> None:
        path = urllib.parse.urlparse(resp.url).path
        if resp.status == 404 and path.startswith("/api/contents/") \
                and path.endswith("/all.json"):
            # The kernel's file system (JupyterLite's DriveFS) asks the static contents API
            # whether a path exists; 404 is its "no", not a resource that failed to load.
            probes.append(path)
        elif resp.status >= 400:
            failed.append(f"{resp.status} {resp.url}")

    # Patterns, not Python callables: the browser side matches them, so only the requests
    # that need handling make the round trip to this process.
    context.route(re.compile(rf"^(?!{re.escape(local)})[a-z]+://"), block)
    context.route(re.compile(rf"^{re.escape(local)}(.*/)?jupyter-lite\.json(\?.*)?$"),
                  expose_app)
    context.on("request", on_request)
    context.on("requestfailed", lambda req: failed.append(f"{req.failure} {req.url}"))
    context.on("response", on_response)
    page = context.new_page()
    try:
        yield LabPage(page, site_server)
    finally:
        context.close()
        if probes:
            _report(artifacts, [f"  contents-API existence probes answered 404: {probes}"])
    assert not outside, f"the site tried to reach other hosts: {outside}"
    assert not failed, f"requests to the site failed: {failed}"


def move_control(ui, w: dict, state: dict, name: str) -> str:
    """Click on the figure's first slider track, away from its handle, as a student would,
    and return what changed; widgets without a slider go through the JupyterLab suite's
    keyboard/mouse helper (check_figure_updates)."""
    track = ui.widget(w["k"]).locator(".noUi-target").first
    if track.count() == 0:
        return check_figure_updates(ui, w, state, f"site {name}")
    before = ui.figure_digest(w["k"])
    assert before and before["bytes"] > 0, f"site {name}, cell {w['cell']}: no figure bytes"
    handle = track.locator(".noUi-handle").first
    value = handle.get_attribute("aria-valuetext")
    # Lab does not lay out cells off screen (notebook windowing): bring this one into view.
    ui.page.evaluate("async (i) => { await window.jupyterapp.shell.currentWidget.content"
                     ".scrollToItem(i, 'center'); }", w["cell"])
    deadline = time.monotonic() + 10
    while not (box := track.bounding_box()) or box["width"] == 0:
        assert time.monotonic() < deadline, f"site {name}, cell {w['cell']}: slider not shown"
        time.sleep(0.2)
    handle_box = handle.bounding_box()
    # The far side from the handle, so the value surely changes.
    frac = 0.15 if handle_box["x"] - box["x"] > box["width"] / 2 else 0.85
    ui.page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
    new_value = handle.get_attribute("aria-valuetext")
    assert new_value != value, \
        f"site {name}, cell {w['cell']}: the click left the slider at {value}"
    after = ui.wait_figure_change(w["k"], before, FIGURE_TIMEOUT)
    assert after is not None, (f"site {name}, cell {w['cell']}: slider {value} -> {new_value} "
                               f"but the figure did not change within {FIGURE_TIMEOUT:.0f} s; "
                               f"console:\n{ui.console_tail()}")
    return (f"slider {value} -> {new_value} (mouse click on the track): figure "
            f"{before['sha256'][:12]} -> {after['sha256'][:12]}")


def _report(artifacts: Path, lines: list[str]) -> None:
    with open(artifacts / "report.txt", "a") as f:
        f.write("\n".join(lines) + "\n")


def test_site_holds_the_course_layout(built_site):
    """The site's contents index: notebooks/ and exercises/ as in the repository."""
    def listing(sub: str) -> set[str]:
        model = json.loads((built_site / "api" / "contents" / sub / "all.json").read_text())
        return {c["name"] for c in model["content"]}

    assert {"notebooks", "exercises"} <= listing("")
    assert listing("notebooks") == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert listing("exercises") == {p.name for p in (ROOT / "exercises").glob("*.ipynb")} \
        | {"README.md"}
    lock = json.loads((built_site / "static" / "pyodide" / "pyodide-lock.json").read_text())
    assert {"bplib", "numpy", "matplotlib", "ipywidgets", "tqdm"} <= set(lock["packages"])
    config = json.loads((built_site / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    files = json.loads((built_site / "provenance.json").read_text())["files"]
    for entry in files:
        data = (built_site / "static" / "pyodide" / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
    assert {e["file"] for e in files} == {p.name for p in (built_site / "static" / "pyodide")
                                          .iterdir()}, "a file of the site has no provenance"
    # bplib's own wheel, built with the setuptools floor pyproject names, carries the licence.
    (wheel,) = (built_site / "static" / "pyodide").glob("bplib-*.whl")
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA")))
        assert b"License-Expression: MIT" in meta
        assert any(n.endswith("licenses/LICENSE") for n in z.namelist())


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_in_site(site_page, artifacts, stem):
    ui, name = site_page, f"{stem}.ipynb"
    t0 = time.monotonic()
    report = [f"site {name}:"]
    try:
        ui.open_notebook(f"notebooks/{name}", timeout=KERNEL_START)
        report.append(f"  opened with an idle kernel in {time.monotonic() - t0:.1f} s")
        run = ui.run_all_cells()
        report.append(f"  ran {run['expected']} cells, {time.monotonic() - t0:.1f} s")
        cells = ui.cells()
        assert_ran_without_errors(cells, f"site {name}")
        widgets = ui.tag_widgets()
        figures = [w for w in widgets if w["plain"].startswith("InteractiveFigure(")]
        if stem != "00_index":
            assert figures, f"site {name}: no InteractiveFigure widget rendered"
        for w in widgets:
            state = check_widget(ui, w, f"site {name}")
            if w in figures:
                report.append(f"  cell {w['cell']}: {move_control(ui, w, state, name)}")
        # WCAG 2.1 AA (issue 16): the same axe-core rules as in JupyterLab, on the site.
        axe = assert_notebook_accessible(ui.page, f"site {name}", bool(figures))
        report.append(f"  axe-core {', '.join(COURSE_RULES)}: {axe['checked']} elements "
                      f"in scope, no violation")
        report.append(f"  {len(widgets)} widgets, {len(figures)} figures updated, "
                      f"{time.monotonic() - t0:.1f} s")
    finally:
        ui.page.screenshot(path=str(artifacts / f"site_{stem}.png"))
        _report(artifacts, report)


def test_exercise_self_check_in_site(site_page, artifacts):
    ui = site_page
    path = f"exercises/{EXERCISE}.ipynb"
    try:
        ui.open_notebook(path, timeout=KERNEL_START)
        ui.run_all_cells()
        cells = ui.cells()
        checks = [c for c in cells if c["type"] == "code"
                  and re.search(r"\bcheck\(", c["source"])]
        assert checks, f"{path}: no self-check cell"
        # Run All stops at the first error (an unfinished exercise raises NotImplementedError
        # in its own cell, not in the check); a student then runs the check cell by itself.
        for c in checks:
            if c["executionCount"] is None:
                ui.run_cell(c["index"])
        cells = ui.cells()
        check = cells[checks[0]["index"]]
        raised = [f"{o['ename']}: {o['evalue']}" for o in check["outputs"]
                  if o["type"] == "error"]
        assert not raised, f"{path}: the self-check cell raised in Pyodide: {raised}"
        text = "\n".join(o["text"] for o in check["outputs"])
        assert FEEDBACK_MARK in text.lower(), \
            f"{path}: the self-check printed no feedback: {text[:300]!r}"
        assert re.search(r"\d+/\d+ public cases passed", text), text[:300]
        assert_accessible(ui.page, f"site {path}")
        _report(artifacts, [f"site {path}: self-check says "
                            f"{text.strip().splitlines()[-2][:100]!r}"])
    finally:
        ui.page.screenshot(path=str(artifacts / f"site_{EXERCISE}_check.png"))


def test_index_link_opens_an_exercise_in_site(site_page, artifacts):
    """The index's relative links to ../exercises/ work in the site as in JupyterLab."""
    ui = site_page
    target = f"exercises/{EXERCISE}.ipynb"
    ui.open_notebook("notebooks/00_index.ipynb", timeout=KERNEL_START)
    try:
        show_all_cells(ui.page)  # the exercise table is far down: lay out every cell
        anchor = ui.page.locator(f'.jp-MarkdownOutput a[href*="/files/{target}"]')
        assert anchor.count() >= 1, f"the index has no rendered link to {target}"
        # A DOM click runs the link handler JupyterLite attached to the rendered anchor. (A
        # pointer click is hit-tested against the windowed notebook, whose first cell can
        # cover a far-down cell's anchor in headless Chromium: not what this test is about.)
        anchor.first.dispatch_event("click")
        ui.page.wait_for_function(
            "(p) => window.jupyterapp.shell.currentWidget?.context?.path === p",
            arg=target, timeout=60_000)
        _report(artifacts, [f"site index link -> {target} opened in a Lab tab"])
    finally:
        ui.page.screenshot(path=str(artifacts / "site_index_link.png"))
