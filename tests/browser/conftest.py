"""Fixtures for the browser suite: one JupyterLab server and one headless Chromium per session.

The suite needs Debian's Chromium at /usr/bin/chromium (or $BPLIB_CHROMIUM) and PyPI's
playwright (no browser download: playwright only drives the system Chromium). Without them
every test is skipped with a message saying how to get them, unless BPLIB_REQUIRE_BROWSER=1
(set by .ci/run), which turns the skip into a failure so CI cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from chromium import CHROMIUM, chromium
from lab_ui import ROOT, LabPage

ARTIFACTS = ROOT / "artifacts" / "browser"
_LAB_SERVERS: list = []  # started by the `lab` fixture; their processes are not Chromium's
HOW_TO_ENABLE = ("to run it: `apt-get install chromium` (Debian/Ubuntu; or set BPLIB_CHROMIUM "
                 "to a Chromium binary) and `pip install -e '.[dev]'` (playwright); "
                 "no `playwright install` is needed")


def missing_prerequisites() -> list[str]:
    missing = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"no Chromium at {CHROMIUM}")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the Python package playwright is not installed")
    if importlib.util.find_spec("psutil") is None:
        missing.append("the Python package psutil is not installed")
    return missing


@pytest.fixture(scope="session")
def browser_prerequisites() -> None:
    """Skip (or, with BPLIB_REQUIRE_BROWSER=1, fail) when Chromium or playwright is missing."""
    missing = missing_prerequisites()
    if not missing:
        return
    message = f"browser tests need Chromium and playwright: {'; '.join(missing)}; {HOW_TO_ENABLE}"
    if os.environ.get("BPLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPLIB_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """artifacts/browser/: screenshots, report.txt (what each test did) and the server log."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.txt").write_text("")
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab(browser_prerequisites, artifacts):
    """A JupyterLab server serving the repository root; always shut down, kernels included."""
    from labserver import LabServer

    work = Path(tempfile.mkdtemp(prefix="bplib-lab-"))
    server = LabServer(ROOT, work, artifacts / "jupyter-server.log")
    try:
        server.start()
        _LAB_SERVERS.append(server)
        yield server
    finally:
        stray = server.stop()
        shutil.rmtree(work, ignore_errors=True)
    assert not stray, f"processes left after the Jupyter server shut down (killed): {stray}"


@pytest.fixture(scope="session")
def chromium_session(browser_prerequisites):
    """One headless Chromium for the whole session, shared by the JupyterLab suite and the
    site test (playwright's sync API runs one instance at a time)."""

    def server_family(p) -> bool:
        # A Jupyter server still running here is checked by its own fixture.
        for server in _LAB_SERVERS:
            if server.proc is not None and (p.pid == server.proc.pid or server.proc.pid in
                                            {a.pid for a in p.parents()}):
                return True
        return False

    with chromium(keep=server_family) as b:
        yield b


@pytest.fixture(scope="session")
def browser(lab, chromium_session):
    """The session's Chromium, for tests that use the JupyterLab server."""
    return chromium_session


@pytest.fixture
def lab_page(browser, lab):
    """A fresh browser context and page for one test; afterwards every kernel is shut down
    and the page's requests to anywhere but the test server are reported."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    foreign: list[str] = []

    def on_request(req) -> None:
        if not req.url.startswith((lab.base_url + "/", "data:", "blob:")):
            foreign.append(req.url)

    page.on("request", on_request)
    try:
        yield LabPage(page, lab)
    finally:
        try:
            context.close()
        finally:
            lab.shutdown_kernels()
    assert not foreign, f"the page tried to reach hosts other than the test server: {foreign}"
    assert not lab.kernels(), f"kernels still running after shutdown: {lab.kernels()}"
    assert not lab.child_processes(), \
        f"kernel processes still alive after shutdown: {lab.child_processes()}"

