"""What the JupyterLite site imports (bplib, its widgets and plots, the exercises' self-check)
needs no module that Pyodide lacks or cannot use. Fast check here; the site's browser test
(tests/browser/test_site.py) runs them in Pyodide itself."""

from __future__ import annotations

import subprocess
import sys

# Not in Pyodide's standard library, or of no use there (no processes, no terminal), or GPU.
UNAVAILABLE = ("resource", "pty", "termios", "tty", "multiprocessing", "concurrent.futures.process",
               "tkinter", "curses", "readline", "cupy", "cupyx", "torch")

PROGRAM = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in {UNAVAILABLE!r} or name.split(".")[0] in {UNAVAILABLE!r}:
            raise ModuleNotFoundError(f"{{name}}: not available in Pyodide", name=name)
sys.meta_path.insert(0, Block())
import matplotlib
matplotlib.use("agg")
import bplib, bplib.widgets, bplib.plots, bplib.train
from bplib.grading.selfcheck import check
from bplib.plots import *  # noqa
import pkgutil
for m in pkgutil.iter_modules(bplib.plots.__path__, "bplib.plots."):
    __import__(m.name)
print("ok")
"""


def test_site_imports_need_nothing_pyodide_lacks():
    proc = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]


def test_the_block_really_blocks():
    proc = subprocess.run([sys.executable, "-c", PROGRAM.replace("import bplib,",
                                                                 "import resource, bplib,")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "not available in Pyodide" in proc.stderr
