"""Headless Debian Chromium for the browser tests (JupyterLab suite and JupyterLite site).

Chromium comes from the system (``apt-get install chromium``; or $BPLIB_CHROMIUM), driven by
PyPI's playwright: no browser is downloaded. It cannot resolve any host name but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("BPLIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    # Nothing but the test server is reachable: every other host name fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@contextlib.contextmanager
def chromium(keep=lambda p: False):
    """Headless Debian Chromium through playwright; on exit, fail if any process it started
    (its driver, Chromium, Chromium's helpers) had to be killed. ``keep(p)`` exempts a
    process that is not Chromium's (the Jupyter server's family)."""
    import psutil
    from playwright.sync_api import sync_playwright

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    # Playwright gives Chromium a fresh profile; a private HOME keeps the rest (Debian's
    # crash-report database under ~/.config/chromium, caches) out of the user's home.
    home = Path(tempfile.mkdtemp(prefix="bplib-chromium-"))
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS, env=env)
        try:
            yield browser
        finally:
            browser.close()
    left = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.pid not in before and not keep(p):
                left.append(p)
        except psutil.NoSuchProcess:
            pass
    # Chromium's crash handlers are re-parented to init: find them by their private HOME.
    for p in psutil.process_iter(["cmdline"]):
        if p.pid not in before and str(home) in " ".join(p.info["cmdline"] or []) \
                and p not in left:
            left.append(p)
    from labserver import kill_survivors  # lazy, like psutil: the skip check runs first

    names = kill_survivors(left, timeout=10)
    shutil.rmtree(home, ignore_errors=True)
    assert not names, f"browser processes left after closing Chromium (killed): {names}"
