"""`make lab` and the browser suite start the same JupyterLab, whose `python3` kernel is this
environment's Python."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from labserver import MAKE_LAB_ARGS, MAKE_LAB_ENV, lab_command  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


_INHERITED_MAKE_VARIABLES = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "VENV",
                             "PYTEST_ARGS", "LAB_ARGS"}


def make_dry_run(*targets: str) -> list[str]:
    """The recipe lines `make` would run for ``targets`` (the venv taken as up to date)."""
    # Run as a user would from a shell: not with the variables of a `make` this suite may be
    # running under (.ci/run's light passes run `make test VENV=.venv-3.10 ...`, and make
    # hands command-line variables down through MAKEFLAGS and the environment).
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_MAKE_VARIABLES}
    out = subprocess.run(["make", "-n", "-s", "-o", ".venv/.installed", *targets], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_make_lab_is_what_the_browser_suite_starts():
    (line,) = make_dry_run("lab")
    argv = shlex.split(line)
    env = {}
    while "=" in argv[0] and not argv[0].startswith("-"):
        key, value = argv.pop(0).split("=", 1)
        env[key] = value
    assert env == MAKE_LAB_ENV
    assert argv[0] == ".venv/bin/jupyter", "make lab must run the venv's own Jupyter"
    assert argv[1:] == MAKE_LAB_ARGS
    assert lab_command("/x/bin/python") == ["/x/bin/jupyter", *MAKE_LAB_ARGS]
    # Rooted at the repository, opening the index: both course folders are reachable.
    assert "--ServerApp.root_dir=." in argv and argv[-1] == "notebooks/00_index.ipynb"
    assert (ROOT / argv[-1]).is_file() and (ROOT / "exercises").is_dir()


def test_make_installs_no_kernel_of_its_own():
    makefile = (ROOT / "Makefile").read_text()
    assert "ipykernel install" not in makefile


def test_python3_kernel_is_this_environments_python(tmp_path):
    """The venv's Jupyter (as `make lab` runs it) finds the standard `python3` kernel in the
    venv and starts it with the venv's Python, even when the user has a `python3` kernelspec
    of their own pointing elsewhere."""
    jupyter = Path(sys.executable).parent / "jupyter"
    if not jupyter.exists():
        pytest.skip(f"no jupyter next to {sys.executable}")
    user = tmp_path / "data" / "kernels" / "python3"
    user.mkdir(parents=True)
    (user / "kernel.json").write_text(json.dumps(
        {"argv": ["/usr/bin/false", "-f", "{connection_file}"], "display_name": "other",
         "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(MAKE_LAB_ENV, JUPYTER_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([str(jupyter), "kernelspec", "list", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    spec = json.loads(out)["kernelspecs"]["python3"]
    assert Path(spec["resource_dir"]).resolve().is_relative_to(Path(sys.prefix).resolve()), spec
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.kernel_spec_manager.kernel_dirs.insert(0, str(Path(spec["resource_dir"]).parent))
    assert km.format_kernel_cmd()[0] == sys.executable


def test_make_html_runs_the_offline_export():
    """README/docs/accessibility.md promise `make html`: it runs tools/export_html.py (which
    tests/browser/test_export_offline.py opens offline) with the venv's Python."""
    (line,) = make_dry_run("html")
    assert shlex.split(line) == [".venv/bin/python", "tools/export_html.py"]
    assert (ROOT / "tools" / "export_html.py").is_file()
