"""Runs one exercise cell of one submission in a fresh, plain Python process.

The grader starts this file **by path** (``python -I -B .../worker.py``) with the work directory
as cwd, never with ``-m``: ``-m bplib.grading.worker`` would import ``bplib/__init__.py`` and
with it every reference implementation into the student's process. At module level this file
imports only the standard library and NumPy, so the grader (and the self-check) can also import
it for :func:`make_function`, :func:`encode` and :func:`decode_value`.

Layout of a job (written by :mod:`bplib.grading.runner`)::

    job/in/job.json       what to run: cell source, function names, cases, limits, helpers
    job/in/*.npy          the case inputs (read-only for the student)
    job/<random>/         cwd: outputs out_<i>.json (+ .npy) per case, then done.json

Nothing here is trusted by the grader: it reads the outputs as data (JSON, and .npy with
``allow_pickle=False``), validates them strictly and compares them in its own process.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

#: Student stdout/stderr kept per process (the rest is dropped, not buffered).
OUTPUT_CAP = 64 * 1024


# --- test functions f(theta) for exercise 6 (shared with the grader) -------------------------
def make_function(kind: str, arrays: dict[str, np.ndarray]):
    """f: theta -> float for the gradient-checker exercise, built from data only.

    quadratic: 0.5 theta^T A theta + c^T theta;  cubic: sum(c3 theta^3 + c2 theta^2);
    net: mean cross-entropy of a tanh network with widths ``p`` on (X, y) at theta.
    """
    if kind == "quadratic":
        A, c = arrays["A"], arrays["c"]
        return lambda theta: float(0.5 * theta @ A @ theta + c @ theta)
    if kind == "cubic":
        c3, c2 = arrays["c3"], arrays["c2"]
        return lambda theta: float(np.sum(c3 * theta**3 + c2 * theta**2))
    if kind == "net":
        X, y, p = arrays["X"], arrays["y"].astype(np.int64), [int(v) for v in arrays["p"]]

        def f(theta):
            a, i = X, 0
            for l in range(1, len(p)):
                W = theta[i:i + p[l] * p[l - 1]].reshape(p[l], p[l - 1])
                i += p[l] * p[l - 1]
                b = theta[i:i + p[l]]
                i += p[l]
                z = a @ W.T + b
                a = np.tanh(z) if l < len(p) - 1 else z
            m = a.max(axis=1, keepdims=True)
            lse = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
            return float(np.mean(lse - a[np.arange(len(y)), y]))

        return f
    raise ValueError(f"kind: unknown test function {kind!r}")


# --- arguments in, results out: data only ----------------------------------------------------
def decode_value(spec: Any, folder: Path) -> Any:
    """Rebuild an argument from its JSON description (arrays come from .npy files)."""
    t = spec["t"]
    if t == "none":
        return None
    if t in ("int", "float", "str"):
        return spec["v"]
    if t == "array":
        return np.load(folder / spec["file"], allow_pickle=False)
    if t in ("list", "tuple"):
        items = [decode_value(s, folder) for s in spec["items"]]
        return items if t == "list" else tuple(items)
    if t == "function":
        arrays = {k: np.load(folder / v, allow_pickle=False) for k, v in spec["arrays"].items()}
        return make_function(spec["kind"], arrays)
    raise ValueError(f"unknown argument type {t!r}")


class OutputError(Exception):
    """A result that cannot be returned as data (an object, a nested array of objects...)."""


def encode(value: Any, folder: Path, stem: str, depth: int = 0) -> dict:
    """A student's return value as JSON + .npy files; anything but numbers, arrays and
    lists/tuples of them is refused (so no object, and no object's __eq__, leaves)."""
    if depth > 4:
        raise OutputError("nested more than 4 levels deep")
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        raise OutputError("returned a bool, expected numbers or arrays")
    if isinstance(value, (int, np.integer)):
        return {"t": "int", "v": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": float(value)}
    if isinstance(value, np.ndarray):
        arr = np.array(value, subok=False, copy=True)  # a plain ndarray, never a subclass
        if arr.dtype.kind not in "iuf":
            raise OutputError(f"returned an array of dtype {arr.dtype}, expected numbers")
        name = f"{stem}.npy"
        np.save(folder / name, arr, allow_pickle=False)
        return {"t": "array", "file": name}
    if isinstance(value, (list, tuple)):
        if len(value) > 64:
            raise OutputError(f"returned a sequence of {len(value)} items, expected at most 64")
        return {"t": "list", "items": [encode(v, folder, f"{stem}_{i}", depth + 1)
                                       for i, v in enumerate(value)]}
    raise OutputError(f"returned a {type(value).__name__}, expected a number, a NumPy array "
                      "or a list/tuple of them")


# --- the restricted view of the world the student's cell gets --------------------------------
class _CappedText:
    """A write-only text stream that keeps the first OUTPUT_CAP characters."""

    def __init__(self, stream):
        self._stream, self._left = stream, OUTPUT_CAP

    def write(self, s):
        s = str(s)
        if self._left > 0:
            self._stream.write(s[: self._left])
            self._left -= len(s)
            if self._left <= 0:
                self._stream.write("\n[output truncated]\n")
        return len(s)

    def flush(self):
        self._stream.flush()


def _load_helpers(bplib_dir: str, helpers: dict[str, list[str]]) -> dict[str, types.ModuleType]:
    """Stub modules exposing only the allowed names, e.g. {'bplib.activations': stub}.

    The real modules are loaded under a private package whose __init__ never runs, so only the
    files that hold allowed helpers (and their own imports) are in this process.
    """
    import importlib

    stubs: dict[str, types.ModuleType] = {}
    if not helpers:
        return stubs
    private = types.ModuleType("_bplib_helpers")
    private.__path__ = [bplib_dir]
    sys.modules["_bplib_helpers"] = private
    root = types.ModuleType("bplib")
    root.__path__ = []
    stubs["bplib"] = root
    for modname, names in helpers.items():
        real = importlib.import_module("_bplib_helpers." + modname.split(".", 1)[1])
        stub = types.ModuleType(modname)
        for n in names:
            setattr(stub, n, getattr(real, n))
            setattr(root, n, getattr(real, n))
        setattr(root, modname.split(".", 1)[1], stub)
        stubs[modname] = stub
    for name in [m for m in sys.modules if m.startswith("_bplib_helpers")]:
        del sys.modules[name]  # not reachable by name from the cell
    return stubs


def _restricted_builtins(job: dict, stubs: dict[str, types.ModuleType]) -> dict:
    allowed_top = set(job["allowed_modules"])
    real_import = builtins.__import__
    what = ", ".join(sorted(allowed_top) + sorted(job["helpers"]))

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if level:
            raise ImportError(f"relative import {name!r} is not allowed in an exercise cell")
        if name in stubs:
            mod = stubs[name]
            return mod if fromlist else stubs["bplib"]
        if name.split(".")[0] in allowed_top:
            return real_import(name, globals, locals, fromlist, level)
        raise ImportError(f"this exercise may import only {what}; the cell imports {name!r}")

    safe = dict(builtins.__dict__)
    for name in job["forbidden_builtins"]:
        safe.pop(name, None)
    for name in ("exit", "quit", "help", "copyright", "credits", "license"):
        safe.pop(name, None)
    safe["__import__"] = guarded_import
    return safe


# --- the process --------------------------------------------------------------------------
def _limit_self(limits: dict) -> None:
    """Resource limits (a second line of defence: the grader also sets a wall-clock timeout)."""
    import resource

    for name, value in (("RLIMIT_AS", limits.get("memory_bytes")),
                        ("RLIMIT_CPU", limits.get("cpu_seconds")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")),
                        ("RLIMIT_NPROC", limits.get("nproc")),
                        ("RLIMIT_CORE", 0)):
        if value is not None:
            try:
                resource.setrlimit(getattr(resource, name), (int(value), int(value)))
            except (ValueError, OSError):
                pass  # e.g. a hard limit already lower than ours


def _drop_privileges(uid: int | None) -> None:
    """Become ``uid`` (nobody) for good, then ask to die with the grader and not be peeked at.

    Done here rather than by the grader because the interpreter may live where nobody cannot
    reach it (e.g. under /root); everything the cell may import is imported before this.
    """
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # real, effective and saved: no way back
        if os.geteuid() == 0 or os.getuid() == 0:
            raise SystemExit("could not drop privileges")
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL: die with the grader
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: other students' cells cannot peek
    except (OSError, AttributeError):
        pass


def _preimport(modules: list[str]) -> None:
    """Import what a cell may use while the interpreter's files are still readable."""
    import importlib

    for name in [*modules, "numpy.linalg", "numpy.random", "numpy.lib.format"]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _error_text(exc: BaseException, limit: int = 600) -> dict:
    """Exception type, message and the line of the student's cell where it happened."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<exercise cell>":
            line = tb.tb_lineno
        tb = tb.tb_next
    try:
        msg = str(exc)
    except Exception:  # noqa: BLE001  (a student exception whose __str__ fails)
        msg = "<unprintable>"
    return {"type": type(exc).__name__[:80], "message": msg[:limit], "line": line}


def _write_json(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def main() -> None:
    work = Path.cwd().resolve()
    job_dir = work.parent / "in"
    job = json.loads((job_dir / "job.json").read_text())
    _limit_self(job["limits"])
    stubs = _load_helpers(job["bplib_dir"], job["helpers"])
    _preimport(job["allowed_modules"] + job.get("preimport", []))
    _drop_privileges(job.get("uid"))
    ns: dict[str, Any] = {"__name__": "__exercise__",
                          "__builtins__": _restricted_builtins(job, stubs)}
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CappedText(out), _CappedText(err)
    real_exit = os._exit
    done = work / "done.json"
    cell_error = None
    try:
        code = compile(job["source"], "<exercise cell>", "exec")
        exec(code, ns)  # noqa: S102  (this process exists to run it)
    except SystemExit as exc:
        cell_error = {"type": "SystemExit", "message": f"the cell called exit ({exc.code!r})",
                      "line": None}
    except BaseException as exc:  # noqa: BLE001
        cell_error = _error_text(exc)
    _write_json(work / "cell.json", {"error": cell_error})
    for i, case in enumerate(job["cases"]):
        record: dict[str, Any] = {"case": i}
        fn = ns.get(case["function"])
        if not callable(fn):
            record["error"] = {"type": "NameError", "line": None,
                               "message": f"the cell does not define {case['function']}()"}
        else:
            try:
                args = [decode_value(s, job_dir) for s in case["args"]]
                result = fn(*args)
                record["value"] = encode(result, work, f"out_{i}")
            except SystemExit as exc:
                record["error"] = {"type": "SystemExit", "line": None,
                                   "message": f"the function called exit ({exc.code!r})"}
            except OutputError as exc:
                record["error"] = {"type": "InvalidOutput", "message": str(exc), "line": None}
            except BaseException as exc:  # noqa: BLE001
                record["error"] = _error_text(exc)
        _write_json(work / f"out_{i}.json", record)
    _write_json(done, {"cases": len(job["cases"])})
    sys.stdout.flush()
    sys.stderr.flush()
    real_exit(0)


if __name__ == "__main__":
    main()
