"""Runs one exercise cell of one submission in a fresh, plain Python process.

The grader starts this file **by path**, never with ``-m`` (that would import bplib and with it
the reference implementations), in the sandbox by default (see :mod:`.sandbox`)::

    python3 -I -S -B -X utf8 worker.py --job DIR --answers FD --scratch DIR --path P... [--uid N]

``--path`` entries become ``sys.path`` exactly (the standard library, a folder holding only
NumPy, and the helpers package of this exercise), before NumPy is imported. At module level this
file imports only the standard library and NumPy, so the grader (and the self-check) can also
import it for :func:`make_function` and :func:`decode_value`.

In order, while nothing of the student has run yet: import NumPy and the allowed helpers, read
``job.json`` and every case's inputs, set the resource limits, make the scratch folder the
job's, switch to the job's own uid for good (``--uid``, when the grader runs as root), close
every inherited file descriptor but the answer pipe, and say ``ready``. Then compile and run
the cell, call its functions on each case, and send each answer as soon as it is computed.

Answers go to the pipe ``--answers`` as frames: a header line (JSON: ``kind`` and the byte
``sizes`` of the parts that follow), a JSON part, then .npy parts for the arrays. None of it is
trusted: the grader reads at most a capped number of bytes, validates every frame and every
.npy header before allocating anything, and compares the values in its own process.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # the worker process: sys.path is exactly what the grader says
    sys.path[:] = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--path"]

import numpy as np  # noqa: E402

#: Largest array a worker sends back (the grader enforces its own caps as well).
ARRAY_CAP = 16 << 20
FRAME_KINDS = ("ready", "cell", "answer", "done")


# --- test functions of exercises 6 and 8 (shared with the grader) -----------------------------
def make_function(kind: str, arrays: dict[str, np.ndarray]):
    """f: theta -> float for the gradient-checker exercise, built from data only.

    quadratic: 0.5 theta^T A theta + c^T theta;  cubic: sum(c3 theta^3 + c2 theta^2);
    net: mean cross-entropy of a tanh network with widths ``p`` on (X, y) at theta;
    layer-<activation> (a vector function, ex8): W S(u) + b.
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
    if kind.startswith("layer-"):  # a vector function for ex8: v(u) = W S(u) + b
        W, b, S = arrays["W"], arrays["b"], _ELEMENTWISE[kind[len("layer-"):]]
        return lambda u: W @ S(np.asarray(u, dtype=np.float64)) + b
    raise ValueError(f"kind: unknown test function {kind!r}")


#: Element-wise activations of the test functions (the same formulas as bplib.activations).
_ELEMENTWISE = {"identity": lambda u: u, "tanh": np.tanh,
                "logistic": lambda u: 0.5 * (1.0 + np.tanh(0.5 * u))}


def count_steps(fn, args: list) -> tuple[Any, int]:
    """``fn(*args)`` and the number of Python steps it ran: every line executed and every call
    of a Python function, in any module (``sys.settrace``). A batched computation runs the same
    steps for 2 or 200 examples; a Python loop over the examples runs more for more examples.
    The tracer in place before (a debugger's) is restored afterwards."""
    steps = 0

    def local(frame, event, arg):
        nonlocal steps
        if event == "line":
            steps += 1
        return local

    def calls(frame, event, arg):
        nonlocal steps
        steps += 1
        return local

    before = sys.gettrace()
    sys.settrace(calls)
    try:
        result = fn(*args)
    finally:
        sys.settrace(before)
    return result, steps


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


def encode(value: Any, blobs: list[bytes], depth: int = 0) -> dict:
    """A student's return value as JSON, its arrays appended to ``blobs`` as .npy bytes (and
    referred to by position); anything but numbers, arrays and lists/tuples of them is refused
    (so no object, and no object's __eq__, leaves)."""
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
        if arr.nbytes > ARRAY_CAP:
            raise OutputError(f"returned an array of {arr.nbytes >> 20} MiB; at most "
                              f"{ARRAY_CAP >> 20} MiB per array")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
        blobs.append(buf.getvalue())
        return {"t": "array", "blob": len(blobs)}  # part 0 is the JSON itself
    if isinstance(value, (list, tuple)):
        if len(value) > 64:
            raise OutputError(f"returned a sequence of {len(value)} items, expected at most 64")
        return {"t": "list", "items": [encode(v, blobs, depth + 1) for v in value]}
    raise OutputError(f"returned a {type(value).__name__}, expected a number, a NumPy array "
                      "or a list/tuple of them")


class Channel:
    """The answer pipe: frames of a JSON header line, a JSON part and binary parts."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, kind: str, body: dict, blobs: list[bytes] = ()) -> None:
        part0 = json.dumps(body).encode()
        parts = [part0, *blobs]
        header = json.dumps({"kind": kind, "sizes": [len(p) for p in parts]}).encode() + b"\n"
        for chunk in (header, *parts):
            view = memoryview(chunk)
            while view:
                view = view[os.write(self.fd, view):]


# --- the restricted view of the world the student's cell gets --------------------------------
def _restricted_builtins(job: dict) -> dict:
    """The cell's builtins without exec/eval/open/...: a convenience that turns honest mistakes
    into clear errors. It is not the security boundary (that is the sandbox around this
    process): Python cannot be confined from inside itself."""
    allowed_top = set(job["allowed_modules"]) | ({"bplib"} if job["helpers"] else set())
    real_import = builtins.__import__
    what = ", ".join(sorted(job["allowed_modules"]) + sorted(job["helpers"]))

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if level:
            raise ImportError(f"relative import {name!r} is not allowed in an exercise cell")
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
    """Resource limits of this process (and its uid: RLIMIT_NPROC counts the uid's tasks)."""
    import resource

    for name, value in (("RLIMIT_AS", limits.get("memory_bytes")),
                        ("RLIMIT_CPU", limits.get("cpu_seconds")),
                        ("RLIMIT_FSIZE", limits.get("file_bytes")),
                        ("RLIMIT_NPROC", limits.get("nproc")),
                        ("RLIMIT_NOFILE", limits.get("nofile")),
                        ("RLIMIT_CORE", 0)):
        if value is not None:
            try:
                resource.setrlimit(getattr(resource, name), (int(value), int(value)))
            except (ValueError, OSError):
                soft, hard = resource.getrlimit(getattr(resource, name))
                if hard == resource.RLIM_INFINITY or hard > int(value):
                    raise
                # already lower than ours: keep it


def _become(uid: int | None, scratch: Path) -> None:
    """Switch to the job's own uid/gid for good (real, effective and saved), owning the
    scratch folder; then ask to die with the grader."""
    if uid is not None:
        os.chown(scratch, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid or os.getegid() != uid or os.getgroups():
            raise SystemExit("could not switch to the job's uid")
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL (cleared by setuid: set after)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except (OSError, AttributeError, ImportError):
        pass


def _preimport(job: dict) -> None:
    """Import what a cell may use while every file is still readable (outside the sandbox the
    interpreter may live where the job's uid cannot reach it)."""
    import importlib

    names = [*job["allowed_modules"], *job.get("preimport", []), "numpy.lib.format",
             *job["helpers"]]  # numpy.<submodule> the cell names are in "preimport"
    for name in names:
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


def _arg(name: str) -> str | None:
    argv = sys.argv
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def main() -> None:
    job_dir, scratch = Path(_arg("--job")), Path(_arg("--scratch"))
    uid = int(_arg("--uid")) if _arg("--uid") else None
    out = Channel(int(_arg("--answers")))
    job = json.loads((job_dir / "job.json").read_text())
    _preimport(job)
    inputs = [[decode_value(s, job_dir) for s in case["args"]] for case in job["cases"]]
    _limit_self(job["limits"])
    _become(uid, scratch)
    os.closerange(3, out.fd)
    os.closerange(out.fd + 1, 1 << 16)
    ns: dict[str, Any] = {"__name__": "__exercise__", "__builtins__": _restricted_builtins(job)}
    real_exit = os._exit
    out.send("ready", {})
    # --- from here on the student's code runs in this process: nothing below is trusted ---
    cell_error = None
    try:
        code = compile(job["source"], "<exercise cell>", "exec")
        exec(code, ns)  # noqa: S102  (this process exists to run it)
    except SystemExit as exc:
        cell_error = {"type": "SystemExit", "message": f"the cell called exit ({exc.code!r})",
                      "line": None}
    except BaseException as exc:  # noqa: BLE001
        cell_error = _error_text(exc)
    out.send("cell", {"error": cell_error})
    for i, case in enumerate(job["cases"]):
        record: dict[str, Any] = {"case": i}
        blobs: list[bytes] = []
        fn = ns.get(case["function"])
        if not callable(fn):
            record["error"] = {"type": "NameError", "line": None,
                               "message": f"the cell does not define {case['function']}()"}
        else:
            try:
                if case.get("count_steps"):
                    result, record["steps"] = count_steps(fn, inputs[i])
                else:
                    result = fn(*inputs[i])
                record["value"] = encode(result, blobs)
                if case.get("unchanged"):  # the arguments as the call left them
                    try:
                        record["after"] = [encode(inputs[i][k], blobs)
                                           for k in case["unchanged"]]
                    except OutputError:
                        record["after"] = None
            except SystemExit as exc:
                record["error"] = {"type": "SystemExit", "line": None,
                                   "message": f"the function called exit ({exc.code!r})"}
            except OutputError as exc:
                record["error"] = {"type": "InvalidOutput", "message": str(exc), "line": None}
            except BaseException as exc:  # noqa: BLE001
                record["error"] = _error_text(exc)
        if "error" in record:
            blobs = []
        out.send("answer", record, blobs)
    out.send("done", {"cases": len(job["cases"])})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        real_exit(0)


if __name__ == "__main__":
    main()
