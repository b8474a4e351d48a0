"""A throw-away JupyterLab server for the browser tests.

The server listens on 127.0.0.1 on a port the OS picks, requires a random token, and
runs with its own config, data, runtime, settings and workspace directories, so neither
the user's Jupyter settings nor the tests' state leak in or out. Lab settings written
here turn off everything that would reach the network (news, update checks) and
autosave (the tests run the course's notebooks in place and must never write them).

:meth:`LabServer.stop` asks the server to shut down (which shuts its kernels down), then
kills whatever is left of its process group and of its children: kernels run in their
own sessions, so killing the server's group alone would leave them behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

# Lab user settings: {plugin id: {setting: value}}, written as
# <settings dir>/<package>/<plugin>.jupyterlab-settings.
LAB_SETTINGS = {
    # No news feed, no update check: both would fetch from the internet.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    # Running a notebook makes it dirty; autosave would write outputs into the course files.
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}

# jupyter_lab_config.json in the private config dir.
SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: lets the tests read the notebook model and kernel status.
        # Every action on the page is still a click or a key press.
        "expose_app_in_browser": True,
        # The default "pypi" extension manager queries pypi.org.
        "extension_manager": "readonly",
    },
    "ServerApp": {
        "open_browser": False,
        "ip": "127.0.0.1",
        "port": 0,  # the OS picks a free port; read back from the server info file
        "port_retries": 0,
        "allow_remote_access": False,
        "terminals_enabled": False,
    },
    "KernelSpecManager": {"ensure_native_kernel": False},
}


# What `make lab` runs (Makefile, target lab), with the venv's jupyter; the tests add only
# their private config (above) and a token. tests/test_make.py checks the two agree.
MAKE_LAB_ARGS = ["lab", "--ServerApp.root_dir=.", "notebooks/00_index.ipynb"]
MAKE_LAB_ENV = {"JUPYTER_PREFER_ENV_PATH": "1"}


def lab_command(python: str = sys.executable) -> list[str]:
    """``make lab``'s command line for the environment of ``python`` (run from the repo root)."""
    return [str(Path(python).parent / "jupyter"), *MAKE_LAB_ARGS]


class LabServerError(RuntimeError):
    pass


class LabServer:
    """``jupyter lab`` on 127.0.0.1 for one test session; use :meth:`start` and :meth:`stop`."""

    def __init__(self, root_dir: Path, work_dir: Path, log_path: Path,
                 python: str = sys.executable) -> None:
        self.root_dir = Path(root_dir).resolve()
        self.work_dir = Path(work_dir)
        self.log_path = Path(log_path)
        self.python = python
        self.token = secrets.token_hex(24)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- start -------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        dirs = {name: self.work_dir / name for name in
                ("config", "data", "runtime", "settings", "workspaces", "ipython", "mpl")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        config = json.loads(json.dumps(SERVER_CONFIG))
        # CI containers run as root; jupyter refuses that unless told.
        config["ServerApp"]["allow_root"] = hasattr(os, "geteuid") and os.geteuid() == 0
        (dirs["config"] / "jupyter_lab_config.json").write_text(json.dumps(config))
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.split(":")
            path = dirs["settings"] / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "JPY_", "IPYTHON"))}
        env.update({
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "IPYTHONDIR": str(dirs["ipython"]),
            "MPLCONFIGDIR": str(dirs["mpl"]),
            **MAKE_LAB_ENV,
            "PYTHONUNBUFFERED": "1",
            # Kernels import bplib from the checkout under test, even when the editable
            # install in the environment points at another checkout.
            "PYTHONPATH": os.pathsep.join(
                [str(self.root_dir)] + [p for p in os.environ.get("PYTHONPATH", "").split(
                    os.pathsep) if p]),
        })
        self.runtime_dir = dirs["runtime"]
        return env

    def start(self, timeout: float = 90.0) -> None:
        env = self._environment()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        cmd = lab_command(self.python) + [f"--IdentityProvider.token={self.token}"]
        # A new session = a new process group, so stop() can signal the server and
        # anything it forked in one call.
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        info = self.runtime_dir / f"jpserver-{self.proc.pid}.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabServerError(f"jupyter lab exited with code {self.proc.returncode} "
                                     f"before answering; log:\n{self.log_tail()}")
            if self.port is None and info.exists():
                try:
                    self.port = int(json.loads(info.read_text())["port"])
                except (ValueError, KeyError):
                    pass  # file half written; read it again
            if self.port is not None:
                try:
                    status = self.api("GET", "status", timeout=2)
                    if isinstance(status, dict) and "started" in status:
                        return
                except (OSError, urllib.error.URLError):
                    pass
            time.sleep(0.25)
        raise LabServerError(f"jupyter lab did not answer /api/status within {timeout:.0f} s; "
                             f"log:\n{self.log_tail()}")

    # -- use ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str, workspace: str) -> str:
        """URL that opens ``path`` (relative to root_dir) in a fresh, empty workspace."""
        quoted = urllib.parse.quote(path)
        return (f"{self.base_url}/lab/workspaces/{urllib.parse.quote(workspace)}/tree/"
                f"{quoted}?reset&token={self.token}")

    def api(self, method: str, endpoint: str, body: dict | None = None, timeout: float = 10):
        """Call the REST API (``/api/<endpoint>``) with the token; returns the decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}/api/{endpoint}", data=data,
                                     method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        # jupyter_server answers GET /api/kernels with 500 while a kernel is still starting
        # (its last_activity is not set yet): a GET is retried a few times, then raises.
        for attempt in range(5 if method == "GET" else 1):
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    raw = resp.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                if e.code < 500 or attempt == 4 or method != "GET":
                    raise
                time.sleep(0.5)

    def contents(self, path: str) -> dict | None:
        """Contents-API model of ``path`` without its content, or None when it does not exist."""
        try:
            return self.api("GET", f"contents/{urllib.parse.quote(path)}?content=0")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def sessions(self) -> list[dict]:
        return self.api("GET", "sessions")

    def kernels(self) -> list[dict]:
        return self.api("GET", "kernels")

    def shutdown_kernels(self, timeout: float = 30.0) -> None:
        """Delete every session and kernel, then wait until the server lists none."""
        for kind in ("sessions", "kernels"):  # listed in turn: a session takes its kernel
            for item in self.api("GET", kind):
                try:
                    self.api("DELETE", f"{kind}/{item['id']}", timeout=timeout)
                except urllib.error.HTTPError as e:
                    if e.code != 404:  # already gone
                        raise
        deadline = time.monotonic() + timeout
        while (self.kernels() or self.child_processes()) and time.monotonic() < deadline:
            time.sleep(0.2)

    def child_processes(self) -> list[str]:
        """The server's live child processes (its kernels), as "pid command" strings."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for c in children:
            try:
                if c.status() != psutil.STATUS_ZOMBIE:
                    found.append(f"pid {c.pid} {' '.join(c.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                pass
        return found

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    # -- stop --------------------------------------------------------------------------
    def stop(self, timeout: float = 20.0) -> list[str]:
        """Shut the server and its kernels down; return descriptions of processes that had
        to be killed after the graceful shutdown (empty when everything exited cleanly)."""
        if self.proc is None:
            return []
        stray: list[str] = []
        try:
            try:
                family = [psutil.Process(self.proc.pid)]
                family += family[0].children(recursive=True)
            except psutil.NoSuchProcess:
                family = []
            if self.proc.poll() is None and self.port is not None:
                try:  # graceful: the server shuts its kernels down first
                    self.api("POST", "shutdown", timeout=5)
                except (OSError, urllib.error.URLError):
                    pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stray.append(f"jupyter lab pid {self.proc.pid} ignored /api/shutdown")
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            stray += kill_survivors(family, timeout=5)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
        finally:
            if self._log is not None:
                self._log.close()
        return stray


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def kill_survivors(procs: list[psutil.Process], timeout: float) -> list[str]:
    """Wait up to ``timeout`` for ``procs`` to exit, kill the ones still alive and describe
    them ("pid N command line"), so a caller can report strays."""
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    names = []
    for p in alive:
        try:
            names.append(f"pid {p.pid} {' '.join(p.cmdline())[:120]}")
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    return names


def _die_with_parent() -> None:
    """In the server's child process: get SIGTERM when the test process dies, even by
    SIGKILL, so a killed test run does not leave a server behind (Linux only)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
