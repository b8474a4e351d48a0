"""Run one exercise cell in a fresh worker process and read its answers back as data.

:class:`Runner` starts :mod:`.worker` for each exercise of each submission, in the bubblewrap
sandbox of :mod:`.sandbox` by default (``sandbox=False`` is for trusted code only), with
resource limits (:class:`Limits`), and reads three pipes until the process ends:

* the answer pipe: frames the worker writes (``ready``, the cell's error, one ``answer`` per
  case, ``done``), at most :attr:`Limits.answer_mb` in all, every frame checked as it comes;
* stdout and stderr together: at most :attr:`Limits.output_kb`; more stops the process and the
  exercise gets status ``output-limit`` (answers sent before keep their points).

The wall-clock timeout starts when the worker says ``ready`` (after its imports), so a busy
machine does not eat the student's time. A worker that never says ``ready`` is the grader's
problem, not the student's: :class:`GraderError`.

Nothing from the process is trusted: an answer is JSON plus .npy parts; each .npy header is
parsed strictly (dtype from a short list, shape x itemsize equal to the bytes actually sent and
under the cap) before anything is allocated; arrays come back as plain numeric ndarrays.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import helpers, sandbox
from .cases import Case, FunctionSpec
from .parsing import literal_eval
from .sandbox import BWRAP, SandboxUnavailable, Workspace, check_bwrap, drops_privileges, kill_uid

__all__ = ["BWRAP", "SandboxUnavailable", "Limits", "ExerciseRun", "GraderError", "Runner",
           "check_sandbox", "drops_privileges", "read_npy"]

HEADER_CAP = 4096  # one frame header line
JSON_CAP = 1 << 20  # the JSON part of a frame
NPY_CAP = 16 << 20  # one array
MAX_PARTS = 257  # JSON + 256 arrays per answer
TEXT_KEEP = 8 << 10  # stderr/stdout tail kept for the instructor
STARTUP_TIMEOUT = 120.0  # for the worker's own imports, before the student's time starts
EXIT_GRACE = 2.0  # after its pipes close, for the worker to exit by itself


@dataclass
class Limits:
    """Per exercise process. timeout: wall-clock seconds from ``ready``; memory: address space
    (MiB); file: largest file (MiB); nproc: tasks of the job's uid (1: no fork, no thread);
    scratch: size of the sandbox's /scratch (MiB); output: stdout + stderr (KiB); answers: all
    the answer frames of one exercise (MiB)."""

    timeout: float = 60.0
    memory_mb: int = 2048
    file_mb: int = 16
    nproc: int = 1
    nofile: int = 64
    scratch_mb: int = sandbox.SCRATCH_MB
    output_kb: int = 1024
    answer_mb: int = 64


@dataclass
class ExerciseRun:
    """What came back from one worker process."""

    status: str  # ok | timeout | crashed | killed | output-limit | cpu-limit | invalid output
    detail: str = ""
    cell_error: dict | None = None
    answers: list[tuple[Any, dict | None]] = field(default_factory=list)  # (value, error)
    stdout: str = ""
    stderr: str = ""
    #: per case: {"steps": Python steps of a loop-rule probe, "after": watched arguments after
    #: the call} as the worker reported them (data, checked like the answers)
    extras: list[dict] = field(default_factory=list)


class GraderError(RuntimeError):
    """The worker could not be started or set up: a problem of the grader or the machine."""


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


_LAZY_NUMPY = ("testing", "fft", "polynomial", "ma", "emath", "linalg", "random", "lib")


def write_job(job_in: Path, ex, source: str, cases: list[Case], limits: Limits) -> None:
    job = {
        "exercise": ex.id,
        "source": source,
        "allowed_modules": list(ex.allowed_modules),
        "helpers": ex.allowed_helpers,
        "forbidden_builtins": list(ex.common_forbidden),
        "preimport": [f"numpy.{m}" for m in _LAZY_NUMPY if m in source],
        "limits": {"memory_bytes": limits.memory_mb << 20,
                   "cpu_seconds": int(limits.timeout) + 2,
                   "file_bytes": limits.file_mb << 20, "nproc": limits.nproc,
                   "nofile": limits.nofile},
        "cases": [{"function": c.function,
                   "args": [_encode_arg(a, job_in, f"c{i}_a{j}") for j, a in enumerate(c.args)],
                   "count_steps": bool(c.probe_n), "unchanged": list(c.unchanged)}
                  for i, c in enumerate(cases)],
    }
    (job_in / "job.json").write_text(json.dumps(job))


# --- reading answers back: data only, never trusted --------------------------------------------
class BadAnswer(Exception):
    pass


_NPY_MAGIC = b"\x93NUMPY"
_NPY_DTYPES = {f"{o}{k}{n}" for o in "<|" for k in "iu" for n in (1, 2, 4, 8)} | {
    "<f2", "<f4", "<f8"}


def read_npy(raw: bytes, cap: int = NPY_CAP) -> np.ndarray:
    """A plain numeric array from .npy bytes, checking the header before allocating anything:
    dtype from a fixed list, a shape of non-negative ints, and shape x itemsize exactly the
    bytes that follow the header (and at most ``cap``)."""
    if len(raw) < 10 or raw[:6] != _NPY_MAGIC or raw[7] != 0 or raw[6] not in (1, 2, 3):
        raise BadAnswer("not a .npy array")
    if raw[6] == 1:
        hlen, start = int.from_bytes(raw[8:10], "little"), 10
    else:
        hlen, start = int.from_bytes(raw[8:12], "little"), 12
    if hlen > HEADER_CAP or start + hlen > len(raw):
        raise BadAnswer(".npy header too long or cut short")
    try:
        text = raw[start:start + hlen].decode("latin1" if raw[6] < 3 else "utf-8")
        header = literal_eval(text)
    except Exception:  # noqa: BLE001  (any malformed header: SyntaxError, MemoryError, ...)
        raise BadAnswer(".npy header is not a valid dictionary") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise BadAnswer(".npy header has unexpected keys")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or descr not in _NPY_DTYPES:
        raise BadAnswer(f".npy dtype {str(descr)[:20]!r} is not a plain number type")
    if type(fortran) is not bool or not isinstance(shape, tuple) or len(shape) > 32 or \
            not all(type(n) is int and n >= 0 for n in shape):
        raise BadAnswer(".npy shape is not a tuple of non-negative integers")
    dtype = np.dtype(descr)
    count = 1
    for n in shape:
        count *= n
    data = start + hlen
    if count * dtype.itemsize != len(raw) - data:
        raise BadAnswer(f".npy header claims shape {shape[:8]} but {len(raw) - data} bytes "
                        "follow")
    if count * dtype.itemsize > cap:
        raise BadAnswer(f"array larger than {cap >> 20} MiB")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=data) if count else \
        np.empty(0, dtype)
    return flat.reshape(shape, order="F" if fortran else "C").astype(dtype.newbyteorder("="))


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=lambda c: float(
            c.lower().replace("infinity", "inf")))
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        raise BadAnswer("not valid JSON") from None


class FrameReader:
    """Splits the answer pipe into frames as bytes arrive; stops at the first bad one."""

    def __init__(self, cap: int, max_frames: int = 1 << 16):
        self.cap, self.total, self.max_frames = cap, 0, max_frames
        self.buf = bytearray()
        self.frames: list[tuple[str, Any, list[bytes]]] = []
        self.problem = ""  # why reading stopped early
        self.overflow = False  # a cap was passed: the process is to be stopped
        self._header: dict | None = None

    def feed(self, data: bytes) -> None:
        if self.problem:
            return
        self.total += len(data)
        if self.total > self.cap:
            self.problem, self.overflow = f"the answers exceed {self.cap >> 20} MiB in all", True
            return
        self.buf += data
        while not self.problem and self._step():
            if len(self.frames) > self.max_frames:
                self.problem = f"more than {self.max_frames} answer frames"
                self.overflow = True

    def _step(self) -> bool:
        if self._header is None:
            end = self.buf.find(b"\n", 0, HEADER_CAP + 1)
            if end < 0:
                if len(self.buf) > HEADER_CAP:
                    self.problem = "the answer stream is corrupted (a frame header is too long)"
                return False
            try:
                head = _parse_json(bytes(self.buf[:end]))
                kind, sizes = head["kind"], head["sizes"]
                if kind not in ("ready", "cell", "answer", "done") or not isinstance(sizes, list) \
                        or not 1 <= len(sizes) <= MAX_PARTS or \
                        not all(type(n) is int and n >= 0 for n in sizes) or \
                        sizes[0] > JSON_CAP or any(n > NPY_CAP + HEADER_CAP for n in sizes[1:]):
                    raise BadAnswer("bad frame header")
            except (BadAnswer, TypeError, KeyError):
                self.problem = "the answer stream is corrupted (a bad frame header)"
                return False
            del self.buf[:end + 1]
            self._header = {"kind": kind, "sizes": sizes}
        sizes = self._header["sizes"]
        if len(self.buf) < sum(sizes):
            return False
        parts, pos = [], 0
        for n in sizes:
            parts.append(bytes(self.buf[pos:pos + n]))
            pos += n
        del self.buf[:pos]
        try:
            body = _parse_json(parts[0])
        except BadAnswer:
            self.problem = "the answer stream is corrupted (a frame is not valid JSON)"
            return False
        self.frames.append((self._header["kind"], body, parts))
        self._header = None
        return True

    def has(self, kind: str) -> bool:
        return any(k == kind for k, _, _ in self.frames)


def _decode_value(enc: Any, parts: list[bytes], used: set[int], depth: int = 0) -> Any:
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
    if t == "array" and type(enc.get("blob")) is int and 1 <= enc["blob"] < len(parts):
        if enc["blob"] in used:
            raise BadAnswer("the same array part is referenced twice")
        used.add(enc["blob"])
        return read_npy(parts[enc["blob"]])
    if t == "list" and isinstance(enc.get("items"), list) and len(enc["items"]) <= 64:
        return [_decode_value(e, parts, used, depth + 1) for e in enc["items"]]
    raise BadAnswer("malformed answer record")


def _clean_error(err: Any) -> dict:
    if not isinstance(err, dict):
        return {"type": "InvalidOutput", "message": "malformed error record", "line": None}
    line = err.get("line")
    return {"type": str(err.get("type", "Error"))[:80],
            "message": str(err.get("message", ""))[:600],
            "line": line if type(line) is int else None}


def _invalid(message: str) -> dict:
    return {"type": "InvalidOutput", "message": message, "line": None}


def decode_answers(reader: FrameReader, n_cases: int
                   ) -> tuple[dict | None, list[tuple[Any, dict | None]], list[dict]]:
    """The cell's error, one (value, error) per case ((None, None): never answered), and one
    dict of extras per case (``steps``: an int; ``after``: a list of values)."""
    cell_error = None
    answers: list[tuple[Any, dict | None]] = [(None, None)] * n_cases
    extras: list[dict] = [{} for _ in range(n_cases)]
    seen: set[int] = set()
    for kind, body, parts in reader.frames:
        if kind == "cell" and isinstance(body, dict) and body.get("error"):
            cell_error = _clean_error(body["error"])
        if kind != "answer":
            continue
        i = body.get("case") if isinstance(body, dict) else None
        if type(i) is not int or not 0 <= i < n_cases or i in seen:
            continue  # not an answer to a case we asked for: ignored
        seen.add(i)
        if "error" in body:
            answers[i] = (None, _clean_error(body["error"]))
            continue
        used: set[int] = set()
        try:
            answers[i] = (_decode_value(body.get("value"), parts, used), None)
        except BadAnswer as exc:
            answers[i] = (None, _invalid(str(exc)))
            continue
        steps = body.get("steps")
        if type(steps) is int and steps >= 0:
            extras[i]["steps"] = steps
        after = body.get("after", "absent")
        if after != "absent":
            try:  # None or malformed: the arguments could not be sent back (replaced by junk)
                extras[i]["after"] = [_decode_value(e, parts, used) for e in after] \
                    if isinstance(after, list) and len(after) <= 8 else None
            except BadAnswer:
                extras[i]["after"] = None
    if reader.problem:
        answers = [(v, e) if (v, e) != (None, None) else (None, _invalid(reader.problem))
                   for v, e in answers]
    return cell_error, answers, extras


# --- the process -------------------------------------------------------------------------------
class _Tail:
    """stdout/stderr: count every byte, keep the last TEXT_KEEP."""

    def __init__(self):
        self.total, self.data = 0, bytearray()

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * TEXT_KEEP:
            del self.data[:-TEXT_KEEP]

    def text(self) -> str:
        return bytes(self.data[-TEXT_KEEP:]).decode("utf-8", "replace")


class Runner:
    """Runs exercise cells in workers, sandboxed unless ``sandbox=False`` (trusted code only)."""

    def __init__(self, limits: Limits | None = None, sandbox: bool = True,
                 workspace: Workspace | None = None):
        self.limits = limits or Limits()
        self.sandbox = sandbox
        if sandbox:
            check_bwrap()
        self.workspace = workspace or Workspace()
        self._own_workspace = workspace is None
        self._helpers: dict[str, Path] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._own_workspace:
            self.workspace.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def helpers_for(self, ex) -> Path:
        key = json.dumps([ex.allowed_helpers, sorted(ex.forbidden_names)], sort_keys=True)
        with self._lock:
            if key not in self._helpers:
                self._helpers[key] = helpers.build(ex.allowed_helpers, self.workspace.helpers,
                                                   ex.forbidden_names)
            return self._helpers[key]

    def run(self, ex, source: str, cases: list[Case]) -> ExerciseRun:
        """Run ``source`` and call its functions on ``cases`` in a fresh worker."""
        limits = self.limits
        job = self.workspace.new_job()
        uid = self.workspace.claim_uid()[0] if drops_privileges() else None
        fds: list[int] = []  # every pipe end opened here, closed in the end
        proc = None
        try:
            job_in = job / "in"
            job_in.mkdir(mode=0o700)
            write_job(job_in, ex, source, cases, limits)
            helpers_dir = self.helpers_for(ex)

            def pipe() -> tuple[int, int]:
                r, w = os.pipe()
                fds.extend((r, w))
                return r, w

            (ans_r, ans_w), (out_r, out_w), (err_r, err_w) = pipe(), pipe(), pipe()
            extra = ["--uid", str(uid)] if uid is not None else []
            passed = [ans_w]
            if self.sandbox:
                program = sandbox.seccomp_program()
                sec_fd = None
                if program:  # bwrap reads the filter from a pipe (a few hundred bytes)
                    sec_fd, sec_w = pipe()
                    os.write(sec_w, program)
                    passed.append(sec_fd)
                cmd = sandbox.sandbox_command(job_in, helpers_dir, ans_w, limits.scratch_mb,
                                              extra, sec_fd)
            else:
                work = job / "work"
                work.mkdir(mode=0o700)
                cmd = sandbox.host_command(job_in, work, helpers_dir, self.workspace.site,
                                           ans_w, extra)
            try:
                proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=cmd.env,
                                        stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                                        pass_fds=tuple(passed), start_new_session=True,
                                        close_fds=True)
            finally:  # only the worker writes to its pipes: EOF comes when it is gone
                for fd in [f for f in fds if f not in (ans_r, out_r, err_r)]:
                    os.close(fd)
                    fds.remove(fd)
            # ready, the cell, one answer per case, done: a few more than that is an attack
            reader, out, err, stopped, ready = self._pump(proc, ans_r, out_r, err_r,
                                                          2 * len(cases) + 8)
            if not stopped:  # every pipe closed: the worker is done, or pretends to be
                try:
                    proc.wait(timeout=EXIT_GRACE)
                except subprocess.TimeoutExpired:
                    stopped = "lingered"
            self._stop(proc, uid)
            rc = proc.wait()
        finally:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if proc is not None and proc.returncode is None:
                self._stop(proc, uid)
                proc.wait()
            if uid is not None:
                self.workspace.release_uid(uid)
            shutil.rmtree(job, ignore_errors=True)
        if not ready:
            raise GraderError(
                f"the worker for {ex.id} did not start (exit code {rc}"
                + (", no answer within the start-up time" if stopped == "startup" else "")
                + f"): {err.text()[-1500:].strip() or out.text()[-500:].strip()}")
        cell_error, answers, extras = decode_answers(reader, len(cases))
        status, detail = self._status(rc, stopped, reader, out, err)
        return ExerciseRun(status, detail, cell_error, answers, out.text(), err.text(), extras)

    def _pump(self, proc, ans_r: int, out_r: int, err_r: int, max_frames: int):
        """Read the three pipes until they close, a cap is passed or time is up."""
        limits = self.limits
        reader = FrameReader(limits.answer_mb << 20, max_frames)
        out, err = _Tail(), _Tail()
        sel = selectors.DefaultSelector()
        for fd in (ans_r, out_r, err_r):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        start = time.monotonic()
        deadline = start + STARTUP_TIMEOUT
        ready = False
        stopped = ""
        try:
            while sel.get_map():
                now = time.monotonic()
                if now >= deadline:
                    stopped = "timeout" if ready else "startup"
                    break
                for key, _ in sel.select(timeout=deadline - now):
                    try:
                        chunk = os.read(key.fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(key.fd)
                        continue
                    if key.fd == ans_r:
                        reader.feed(chunk)
                        if not ready and reader.has("ready"):
                            ready = True
                            deadline = time.monotonic() + limits.timeout
                    else:
                        (out if key.fd == out_r else err).add(chunk)
                if out.total + err.total > limits.output_kb << 10:
                    stopped = "output"
                    break
                if reader.overflow:
                    stopped = "answers"
                    break
        finally:
            sel.close()
        return reader, out, err, stopped, ready

    def _stop(self, proc, uid: int | None) -> None:
        """Kill the worker and anything it started: in the sandbox, killing bubblewrap ends the
        PID namespace; outside, every process of the job's uid (or the process group)."""
        for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        if uid is not None:
            kill_uid(uid)

    def _status(self, rc: int, stopped: str, reader: FrameReader, out: _Tail, err: _Tail
                ) -> tuple[str, str]:
        limits = self.limits
        if stopped == "output":
            return "output-limit", (f"stopped for writing more than {limits.output_kb} KiB to "
                                    "stdout/stderr (print less)")
        if stopped == "answers":
            return "invalid output", f"stopped: {reader.problem}"
        if stopped == "timeout":
            return "timeout", (f"stopped after {limits.timeout:g} s of wall-clock time "
                               "(an infinite loop, or far too slow)")
        if stopped == "lingered":
            return "killed", "the process closed its output and kept running; it was stopped"
        if reader.problem:
            return "invalid output", (f"{reader.problem}: something in the cell wrote to the "
                                      "grader's answer pipe")
        sig = -rc if rc < 0 else (rc - 128 if self.sandbox and rc > 128 else 0)
        if sig == signal.SIGXCPU:
            return "cpu-limit", "stopped by the CPU-time limit (an infinite loop?)"
        if sig == signal.SIGXFSZ:
            return "output-limit", f"stopped for writing a file larger than {limits.file_mb} MiB"
        if sig:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
            return "killed", f"the process was killed by signal {name} (crash or memory exhausted)"
        if rc != 0 or not reader.has("done"):
            return "crashed", (f"the process exited with code {rc} before finishing "
                               "(sys.exit/os._exit or a crash)")
        return "ok", ""

    def self_test(self) -> str:
        """Grade a tiny exercise through the whole path (workspace, helpers package, worker,
        sandbox, answer pipe); raise SandboxUnavailable/GraderError saying what fails."""
        from .manifest import Exercise

        ex = Exercise(id="self-test", title="self-test", notebook="", cell="",
                      functions={"probe": {"points": 1, "args": ["z"], "returns": ""}},
                      allowed_helpers={"bplib.activations": ["ACTIVATIONS"]},
                      forbidden_names=(), allowed_modules=("numpy", "math", "socket", "os"))
        source = ("import os, socket\nimport numpy as np\n"
                  "from bplib.activations import ACTIVATIONS\n"
                  "def probe(z):\n"
                  "    names = sorted(n for _, n in socket.if_nameindex())\n"
                  "    return [ACTIVATIONS['tanh'].dS(z), int(names == ['lo']), os.getuid(),\n"
                  "            int(os.path.exists('/root') or os.path.exists('/home'))]\n")
        z = np.array([0.0, 1.0, -2.0])
        case = Case("self-test", "probe", [z], None)
        try:
            run = self.run(ex, source, [case])
        except GraderError as exc:
            raise SandboxUnavailable(f"the {'sandbox' if self.sandbox else 'worker'} self-test "
                                     f"failed: {exc}") from None
        value, error = run.answers[0]
        if run.status != "ok" or error is not None or not isinstance(value, list):
            raise SandboxUnavailable(
                f"the self-test exercise did not run cleanly in the worker (status "
                f"{run.status}: {run.detail or error or run.cell_error}; stderr: "
                f"{run.stderr[-800:].strip()})")
        if not np.allclose(value[0], 1 - np.tanh(z) ** 2):
            raise SandboxUnavailable("the self-test got a wrong value from the helpers package")
        if self.sandbox and (value[1] != 1 or value[3] != 0):
            raise SandboxUnavailable("the sandbox self-test saw a network interface or a home "
                                     "folder: the sandbox is not isolated")
        if drops_privileges() and value[2] < sandbox.WORKER_UIDS.start:
            raise SandboxUnavailable("the worker did not switch to its own uid")
        if self.sandbox:
            return ("sandbox works: the student's process sees only Python, NumPy and the allowed "
                    "helpers, with no network" + (", each job under its own uid"
                                                  if drops_privileges() else ""))
        return ("NO SANDBOX: student code sees the whole file system and the network; for "
                "trusted code only" + (" (each job still runs under its own uid)"
                                       if drops_privileges() else ""))


def check_sandbox(limits: Limits | None = None) -> str:
    """Self-test of the sandbox as the grader uses it; raises SandboxUnavailable."""
    with Runner(limits, sandbox=True) as runner:
        return runner.self_test()
