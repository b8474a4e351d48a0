"""Run one exercise cell in a fresh worker process and read its answers back as data.

The process: ``python -I -B worker.py`` (no Jupyter kernel, no user site, no PYTHON* variables),
cwd a fresh directory with an unguessable name, a scrubbed environment, its own session
(so the whole process group is killed on timeout), resource limits (address space, CPU
seconds, file size, processes; set by the worker before any student code runs), and, when the
grader runs as root, the uid/gid of ``nobody`` so the student's code cannot write the
gradebook or the instructor's files. ``sandbox=True`` wraps it in bubblewrap: read-only file
system, private /tmp, no network, own PID namespace, killed with the grader, and the folders
of the submissions, gradebook and feedback masked.

Answers come back as JSON and .npy files; each is opened without following links, size-capped,
loaded with ``allow_pickle=False`` and checked for type; the grader trusts nothing else.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cases import Case, FunctionSpec

WORKER = Path(__file__).with_name("worker.py")
BPLIB_DIR = Path(__file__).resolve().parent.parent
BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
NOBODY = 65534
JSON_CAP = 1 << 20
NPY_CAP = 16 << 20
TEXT_CAP = 8 << 10
_NPY_NAME = re.compile(r"out_\d+(_\d+)*\.npy")
_LAZY_NUMPY = re.compile(r"\b(testing|fft|polynomial|ma|emath|linalg|random|lib)\b")


@dataclass
class Limits:
    """Per exercise process. memory: address space (MiB); file: largest file (MiB)."""

    timeout: float = 60.0
    memory_mb: int = 2048
    file_mb: int = 64
    nproc: int = 256


@dataclass
class ExerciseRun:
    """What came back from one worker process."""

    status: str  # ok | timeout | crashed | killed | output-limit | cpu-limit | grader-error
    detail: str = ""
    cell_error: dict | None = None
    answers: list[tuple[Any, dict | None]] = field(default_factory=list)  # (value, error)
    stderr: str = ""


class SandboxUnavailable(RuntimeError):
    pass


def drops_privileges() -> bool:
    """True when student code runs as nobody (the grader runs as root)."""
    return os.geteuid() == 0


def hideable(paths: list[Path]) -> list[Path]:
    """Folders to mask in the sandbox (other submissions, the gradebook's and feedback's
    folders), leaving out any that hold the interpreter or bplib itself."""
    needed = [Path(sys.prefix).resolve(), Path(sys.executable).resolve(), BPLIB_DIR,
              Path(tempfile.gettempdir()).resolve()]
    out = []
    for p in {Path(p).resolve() for p in paths}:
        if (p.is_dir() and p != Path("/") and not any(n == p or p in n.parents for n in needed)
                and needed[-1] not in p.parents):  # under /tmp: hidden by --tmpfs /tmp already
            out.append(p)
    return sorted(out)


def _runtime_dirs_under_tmp() -> list[Path]:
    """The interpreter's prefixes and bplib's folder when they lie under /tmp (e.g. a fresh
    clone with its .venv there), which the sandbox's private /tmp would otherwise hide."""
    tmp = Path("/tmp").resolve()
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), BPLIB_DIR}
    return sorted(d for d in dirs if tmp in d.parents)


def sandbox_command(job_in: Path, work: Path, argv: list[str],
                    hide: list[Path] | None = None) -> list[str]:
    cmd = [BWRAP, "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    for p in _runtime_dirs_under_tmp():  # a Python or checkout under /tmp stays visible
        cmd += ["--ro-bind", str(p), str(p)]
    for p in hide or []:
        cmd += ["--tmpfs", str(p)]  # an empty folder where other students' work lies
    for d in reversed(work.parents):  # traversable by nobody, as outside (mkdtemp is 0711)
        if str(d) not in ("/", "/tmp") and d.is_relative_to("/tmp"):
            cmd += ["--perms", "0711", "--dir", str(d)]
    cmd += ["--ro-bind", str(job_in), str(job_in), "--bind", str(work), str(work),
            "--chdir", str(work), "--die-with-parent", "--new-session"]
    if drops_privileges():
        # No user namespace: a uid mapped inside one would be root outside and could read
        # root's files. The worker drops to the real nobody itself, as without --sandbox.
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
    else:
        cmd += ["--unshare-all"]
    return [*cmd, "--", *argv]


def check_sandbox() -> str:
    """Run a trivial command under bubblewrap; raise SandboxUnavailable with the reason."""
    if not Path(BWRAP).exists():
        raise SandboxUnavailable(
            f"--sandbox needs bubblewrap, but {BWRAP} does not exist. Install it (Debian/Ubuntu: "
            "apt install bubblewrap) or grade without --sandbox.")
    with tempfile.TemporaryDirectory(prefix="bplib-sbx-") as tmp:
        job_in, work = Path(tmp) / "in", Path(tmp) / "work"
        job_in.mkdir()
        work.mkdir()
        os.chmod(tmp, 0o755)
        # no traffic is sent: in a private network namespace the only interface is loopback
        argv = [sys.executable, "-I", "-c", "import numpy, socket\n"
                "names = sorted(n for _, n in socket.if_nameindex())\n"
                "print('isolated' if names == ['lo'] else 'network')"]
        try:
            res = subprocess.run(sandbox_command(job_in, work, argv), capture_output=True,
                                 text=True, timeout=60, env=_env(work))
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxUnavailable(f"--sandbox: bubblewrap failed to start ({exc})") from None
        if res.returncode != 0 or res.stdout.strip() != "isolated":
            raise SandboxUnavailable(
                "--sandbox: bubblewrap's self-test failed (exit code "
                f"{res.returncode}): {(res.stderr or res.stdout).strip()[:500]}. User namespaces "
                "may be disabled here; grade without --sandbox or fix bubblewrap.")
    return "bubblewrap works: read-only file system, private /tmp, no network"


def _env(work: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "TMPDIR": str(work),
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# --- writing the job ---------------------------------------------------------------------------
def _encode_arg(value: Any, folder: Path, stem: str) -> dict:
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("bool arguments are not used")
    if isinstance(value, (int, np.integer)):
        return {"t": "int", "v": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"t": "float", "v": float(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    if isinstance(value, np.ndarray):
        name = f"{stem}.npy"
        np.save(folder / name, value, allow_pickle=False)
        return {"t": "array", "file": name}
    if isinstance(value, (list, tuple)):
        return {"t": "list" if isinstance(value, list) else "tuple",
                "items": [_encode_arg(v, folder, f"{stem}_{i}") for i, v in enumerate(value)]}
    if isinstance(value, FunctionSpec):
        arrays = {}
        for k, arr in value.arrays.items():
            arrays[k] = f"{stem}_{k}.npy"
            np.save(folder / arrays[k], arr, allow_pickle=False)
        return {"t": "function", "kind": value.kind, "arrays": arrays}
    raise TypeError(f"cannot pass a {type(value).__name__} to the worker")


def _write_job(job_in: Path, ex, source: str, cases: list[Case], limits: Limits,
               uid: int | None) -> None:
    job = {
        "uid": uid,
        "exercise": ex.id,
        "source": source,
        "allowed_modules": list(ex.allowed_modules),
        "helpers": ex.allowed_helpers,
        "forbidden_builtins": list(ex.common_forbidden),
        "bplib_dir": str(BPLIB_DIR),
        # numpy loads these lazily; after the worker drops to nobody the interpreter's own
        # files may be unreadable, so import the ones the cell mentions beforehand
        "preimport": sorted({f"numpy.{m}" for m in _LAZY_NUMPY.findall(source)}),
        "limits": {"memory_bytes": limits.memory_mb << 20,
                   "cpu_seconds": int(limits.timeout) + 2,
                   "file_bytes": limits.file_mb << 20, "nproc": limits.nproc},
        "cases": [{"function": c.function,
                   "args": [_encode_arg(a, job_in, f"c{i}_a{j}") for j, a in enumerate(c.args)]}
                  for i, c in enumerate(cases)],
    }
    (job_in / "job.json").write_text(json.dumps(job))


# --- reading answers back: data only, never trusted --------------------------------------------
def _read_capped(path: Path, cap: int) -> bytes | None:
    """A regular file's bytes (no symlinks, at most ``cap``), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not (st.st_mode & 0o170000 == 0o100000) or st.st_size > cap:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(cap + 1)[:cap]
    finally:
        os.close(fd)


def _parse_json(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=lambda c: float(c.lower()
                                                                              .replace("infinity",
                                                                                       "inf")))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


class BadAnswer(Exception):
    pass


def _decode_answer(enc: Any, work: Path, depth: int = 0) -> Any:
    """Rebuild a returned value from the worker's JSON, refusing anything unexpected."""
    if depth > 5 or not isinstance(enc, dict):
        raise BadAnswer("malformed answer record")
    t = enc.get("t")
    if t == "none":
        return None
    if t == "int" and type(enc.get("v")) is int:
        return enc["v"]
    if t == "float" and type(enc.get("v")) in (int, float):
        return float(enc["v"])
    if t == "array" and isinstance(enc.get("file"), str) and _NPY_NAME.fullmatch(enc["file"]):
        raw = _read_capped(work / enc["file"], NPY_CAP)
        if raw is None:
            raise BadAnswer(f"array file {enc['file']} missing, not a regular file or too large")
        try:
            arr = np.load(io.BytesIO(raw), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise BadAnswer(f"array file {enc['file']} is not a valid .npy ({exc})") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iuf":
            raise BadAnswer("array of a non-numeric dtype")
        return arr
    if t == "list" and isinstance(enc.get("items"), list) and len(enc["items"]) <= 64:
        return [_decode_answer(e, work, depth + 1) for e in enc["items"]]
    raise BadAnswer("malformed answer record")


def _clean_error(err: Any) -> dict:
    if not isinstance(err, dict):
        return {"type": "InvalidOutput", "message": "malformed error record", "line": None}
    line = err.get("line")
    return {"type": str(err.get("type", "Error"))[:80],
            "message": str(err.get("message", ""))[:600],
            "line": line if type(line) is int else None}


def _collect(work: Path, n_cases: int) -> tuple[dict | None, list[tuple[Any, dict | None]]]:
    cell = _parse_json(_read_capped(work / "cell.json", JSON_CAP))
    cell_error = _clean_error(cell["error"]) if isinstance(cell, dict) and cell.get("error") \
        else None
    answers: list[tuple[Any, dict | None]] = []
    for i in range(n_cases):
        rec = _parse_json(_read_capped(work / f"out_{i}.json", JSON_CAP))
        if rec is None:
            answers.append((None, None))  # never written: the process stopped before
        elif not isinstance(rec, dict):
            answers.append((None, {"type": "InvalidOutput", "line": None,
                                   "message": "the answer record is not valid JSON"}))
        elif "error" in rec:
            answers.append((None, _clean_error(rec["error"])))
        else:
            try:
                answers.append((_decode_answer(rec.get("value"), work), None))
            except BadAnswer as exc:
                answers.append((None, {"type": "InvalidOutput", "message": str(exc),
                                       "line": None}))
    return cell_error, answers


# --- the process -------------------------------------------------------------------------------
def run_exercise(ex, source: str, cases: list[Case], limits: Limits,
                 sandbox: bool = False, hide: list[Path] | None = None) -> ExerciseRun:
    """Run ``source`` and call its functions on ``cases`` in a fresh restricted process."""
    root = Path(tempfile.mkdtemp(prefix="bplib-grade-"))
    try:
        os.chmod(root, 0o711)  # nobody may enter, not list: the work dir name stays secret
        job_in = root / "in"
        job_in.mkdir(mode=0o755)
        work = root / secrets.token_hex(16)
        work.mkdir(mode=0o700)
        _write_job(job_in, ex, source, cases, limits, NOBODY if drops_privileges() else None)
        for f in job_in.iterdir():
            os.chmod(f, 0o644)
        argv = [sys.executable, "-I", "-B", str(WORKER)]
        if drops_privileges():
            os.chown(work, NOBODY, NOBODY)  # the worker becomes nobody before the cell runs
        if sandbox:
            argv = sandbox_command(job_in, work, argv, hide)
        with open(root / "stdout", "wb") as out, open(root / "stderr", "wb") as err:
            proc = subprocess.Popen(argv, cwd=work, env=_env(work), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, start_new_session=True,
                                    close_fds=True)
            timed_out = False
            try:
                rc = proc.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)
                rc = proc.wait()
            _kill_group(proc.pid)  # leftovers of a finished process, if any
        cell_error, answers = _collect(work, len(cases))
        stderr = (_read_capped(root / "stderr", 1 << 30) or b"")[-TEXT_CAP:].decode(
            "utf-8", "replace")
        done = _parse_json(_read_capped(work / "done.json", JSON_CAP)) is not None
        status, detail = _status(rc, timed_out, done, limits, sandbox)
        return ExerciseRun(status, detail, cell_error, answers, stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _status(rc: int, timed_out: bool, done: bool, limits: Limits, sandbox: bool
            ) -> tuple[str, str]:
    if timed_out:
        return "timeout", (f"stopped after {limits.timeout:g} s of wall-clock time "
                           "(an infinite loop, or far too slow)")
    sig = -rc if rc < 0 else (rc - 128 if sandbox and rc > 128 else 0)
    if sig == signal.SIGXCPU:
        return "cpu-limit", "stopped by the CPU-time limit (an infinite loop?)"
    if sig == signal.SIGXFSZ:
        return "output-limit", f"stopped for writing a file larger than {limits.file_mb} MiB"
    if sig:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        return "killed", f"the process was killed by signal {name} (crash or memory exhausted)"
    if rc != 0 or not done:
        return "crashed", (f"the process exited with code {rc} before finishing "
                           "(sys.exit/os._exit or a crash)")
    return "ok", ""
