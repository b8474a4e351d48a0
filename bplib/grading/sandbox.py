"""The grader's security boundary: what a student's process can see and do.

Every exercise cell runs in a fresh worker process (:mod:`.worker`). By default that process
runs in a bubblewrap sandbox built from nothing: a new mount namespace whose root is an empty
tmpfs into which only these are mounted, read-only except the scratch::

    /opt/python/bin/python3       the interpreter (its real binary, symlinks resolved)
    /opt/python/lib/python3.X     its standard library (site-packages masked by an empty tmpfs)
    /opt/python/lib/*.so*         non-system shared libraries the interpreter needs (libpython)
    /usr/lib/..., /lib64/...      the system shared libraries ``ldd`` lists, one file each
    /opt/site/numpy(.libs)        NumPy and its bundled libraries
    /opt/helpers/bplib/           copies of exactly the helpers the manifest allows (helpers.py)
    /opt/grader/worker.py         the worker script
    /job                          this job's inputs (job.json and .npy), read-only
    /scratch                      a private tmpfs with a size cap: cwd, HOME and TMPDIR
    /proc, /dev                   a procfs of the sandbox's own PID namespace; null, zero, urandom

and no network (own network namespace: loopback only), its own PID, IPC and UTS namespaces,
``--die-with-parent`` and ``--new-session``. The checkout, solutions/, bplib's own source,
site-packages, home folders, other jobs, the submissions, the gradebook and the feedback are
simply not in that file system. Python starts with ``-I -S -B`` and an explicit ``sys.path``.

Workers are isolated from each other in and out of the sandbox: when the grader runs as root,
each job gets its own unused uid/gid from :data:`WORKER_UIDS` (claimed with a lock file, not a
shared ``nobody``), which the worker switches to, for good, before any student code runs. Each
job's files live in a folder with an unguessable name inside a run folder of the grader's
:class:`Workspace`; a grader killed with ``kill -9`` leaves its run folder behind, and the next
grader to start removes it once the dead grader's lock is free (several graders may share the
workspace at once). Outside the sandbox (``--no-sandbox``, trusted code only) a worker still
gets its own uid as root, but sees the whole file system as that uid does.

Answers travel back over a pipe, never through a shared folder; see :mod:`.runner`.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
WORKER = Path(__file__).with_name("worker.py")

# Paths inside the sandbox.
PY_ROOT = "/opt/python"
SITE = "/opt/site"
HELPERS = "/opt/helpers"
WORKER_IN_SANDBOX = "/opt/grader/worker.py"
JOB = "/job"
SCRATCH = "/scratch"

#: uids/gids handed to workers when the grader runs as root: 2**24 ids from 0x7A000000, above
#: the ranges Linux distributions, systemd and container tools allocate. One per job, chosen at
#: random, checked unused (no passwd entry, no process) and claimed with a lock file.
WORKER_UIDS = range(0x7A000000, 0x7A000000 + (1 << 24))
SCRATCH_MB = 64


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or does not work here (the message says why and what to do)."""


class WorkspaceError(RuntimeError):
    """The grader's job folder cannot be made private."""


def drops_privileges() -> bool:
    """True when each worker switches to its own uid (the grader runs as root)."""
    return os.geteuid() == 0


# --- the runtime the student's process gets ---------------------------------------------------
@dataclass(frozen=True)
class Runtime:
    """Where the interpreter, its standard library, NumPy and their shared libraries live."""

    python: Path  # the real interpreter binary
    version: str  # "3.11"
    stdlib: Path
    dynload: Path | None
    numpy: Path
    numpy_libs: Path | None
    libs: tuple[Path, ...]  # shared libraries, as ldd names them

    def host_sys_path(self, site: Path) -> list[str]:
        """sys.path for a worker outside the sandbox (``site`` holds links to NumPy only)."""
        return [str(self.stdlib), *([str(self.dynload)] if self.dynload else []), str(site)]

    def sandbox_sys_path(self) -> list[str]:
        lib = f"{PY_ROOT}/lib/python{self.version}"
        return [lib, *([f"{lib}/lib-dynload"] if self.dynload else []), SITE]


def _ldd(files: list[Path]) -> set[Path]:
    """Shared libraries (absolute paths as the loader names them) needed by ``files``."""
    out: set[Path] = set()
    ldd = shutil.which("ldd")
    if ldd is None:
        raise SandboxUnavailable("the sandbox needs `ldd` (Debian/Ubuntu: libc-bin) to find the "
                                 "interpreter's shared libraries")
    for i in range(0, len(files), 64):
        res = subprocess.run([ldd, *map(str, files[i:i + 64])], capture_output=True, text=True,
                             check=False, timeout=60)
        for line in res.stdout.splitlines():
            m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if m:
                out.add(Path(m.group(1)))
    return out


@cache
def runtime() -> Runtime:
    """The interpreter running the grader, its standard library, and NumPy (found once)."""
    python = Path(sys.executable).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    dyn = [Path(p).resolve() for p in sys.path if Path(p).name == "lib-dynload"]
    dynload = dyn[0] if dyn and dyn[0].is_dir() else None
    numpy = Path(np.__file__).resolve().parent
    numpy_libs = numpy.with_name("numpy.libs")
    numpy_libs = numpy_libs if numpy_libs.is_dir() else None
    binaries = [python]
    for d in filter(None, (dynload, numpy, numpy_libs)):
        binaries += sorted(p for p in d.rglob("*.so*") if p.is_file())
    libs = tuple(sorted(_ldd(binaries)))
    return Runtime(python, f"{sys.version_info[0]}.{sys.version_info[1]}", stdlib, dynload,
                   numpy, numpy_libs, libs)


def _under(path: Path, root: Path | None) -> bool:
    return root is not None and (path == root or root in path.parents)


def _resolve(path: Path, ops: dict[str, list[str]], depth: int = 0) -> Path:
    """``path`` with every symlink along the way resolved, recording each link in ``ops`` so
    the sandbox has the same links (e.g. /lib64 -> usr/lib64 on merged-/usr systems)."""
    if depth > 16:
        raise SandboxUnavailable(f"too many levels of symbolic links in {path}")
    cur = Path("/")
    for part in path.parts[1:]:
        nxt = cur / part
        if nxt.is_symlink():
            target = os.readlink(nxt)
            ops.setdefault(str(nxt), ["--symlink", target, str(nxt)])
            cur = _resolve(Path(os.path.normpath(cur / target)), ops, depth + 1)
        else:
            cur = nxt
    return cur


def _mirror(path: Path, ops: dict[str, list[str]]) -> None:
    """Make ``path`` resolve inside the sandbox as on the host: its links, and the real file
    bound read-only."""
    real = _resolve(path, ops)
    ops.setdefault(str(real), ["--ro-bind", str(real), str(real)])


def mounts(rt: Runtime) -> tuple[list[str], str]:
    """bwrap arguments that mount the runtime, and the LD_LIBRARY_PATH it needs."""
    lib = f"{PY_ROOT}/lib/python{rt.version}"
    args = ["--ro-bind", str(rt.python), f"{PY_ROOT}/bin/python3", "--ro-bind", str(rt.stdlib), lib]
    for name in ("site-packages", "dist-packages"):  # the stdlib folder may hold them
        if (rt.stdlib / name).is_dir():
            args += ["--perms", "0555", "--size", "4096", "--tmpfs", f"{lib}/{name}",
                     "--remount-ro", f"{lib}/{name}"]
    if rt.dynload and not _under(rt.dynload, rt.stdlib):
        args += ["--ro-bind", str(rt.dynload), f"{lib}/lib-dynload"]
    args += ["--ro-bind", str(rt.numpy), f"{SITE}/numpy"]
    if rt.numpy_libs:
        args += ["--ro-bind", str(rt.numpy_libs), f"{SITE}/numpy.libs"]
    system: dict[str, list[str]] = {}
    private: dict[str, str] = {}
    for so in rt.libs:
        real = so.resolve()
        if _under(real, rt.numpy) or _under(real, rt.numpy_libs) or _under(real, rt.stdlib):
            continue  # mounted with its package
        if real.parts[1] in ("usr", "lib", "lib32", "lib64", "libx32"):
            _mirror(so, system)
        else:  # e.g. libpython under the interpreter's prefix: never mount the prefix's path
            private.setdefault(so.name, str(real))
    for name, real in sorted(private.items()):
        args += ["--ro-bind", real, f"{PY_ROOT}/lib/{name}"]
    # binds first (they create their folders), then the links that lead to them
    ordered = sorted(system.values(), key=lambda op: op[0] == "--symlink")
    for op in ordered:
        args += op
    return args, f"{PY_ROOT}/lib"


# --- the grader's folders -----------------------------------------------------------------
def _lock_new(path: Path) -> int:
    """Create ``path`` already locked (flock): nobody ever sees it unlocked while we live."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"pid {os.getpid()} started {time.time():.0f}\n".encode())
        os.link(tmp, path)  # fails if it exists: never takes over someone else's lock
    except BaseException:
        os.close(fd)
        raise
    finally:
        os.unlink(tmp)
    return fd


def _is_dead_lock(path: Path) -> bool:
    """True (and the lock is then ours until closed) when nobody holds ``path``'s flock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    os.close(fd)  # closing drops the lock; the caller removes the file right away
    return True


class Workspace:
    """``<TMPDIR>/bplib-grade-<euid>/`` (0711, owned by the grader): one ``run-<random>/``
    folder per grader process, guarded by ``run-<random>.lock`` (flock held while it runs),
    holding one folder per job with an unguessable name, and ``uid-<n>.lock`` claims."""

    def __init__(self, tmp: str | Path | None = None):
        self._uid_locks: dict[int, int] = {}
        self.base = Path(tmp or tempfile.gettempdir()) / f"bplib-grade-{os.geteuid()}"
        self._make_base()
        self.removed_stale = self._remove_stale()
        token = secrets.token_hex(16)
        self._lock = _lock_new(self.base / f"run-{token}.lock")
        self.run = self.base / f"run-{token}"
        self.run.mkdir(mode=0o711)
        os.chmod(self.run, 0o711)
        self.helpers = self.run / "helpers"
        self.helpers.mkdir(mode=0o755)
        os.chmod(self.helpers, 0o755)
        self.site = self.run / "site"  # links to NumPy only, for workers outside the sandbox
        self.site.mkdir(mode=0o755)
        os.chmod(self.site, 0o755)
        rt = runtime()
        os.symlink(rt.numpy, self.site / "numpy")
        if rt.numpy_libs:
            os.symlink(rt.numpy_libs, self.site / "numpy.libs")

    def _make_base(self) -> None:
        try:
            os.mkdir(self.base, 0o711)
        except FileExistsError:
            pass
        except OSError as exc:
            raise WorkspaceError(f"cannot create the grader's folder {self.base}: {exc.strerror}; "
                                 "set TMPDIR to a writable folder") from None
        st = os.lstat(self.base)
        if not (st.st_mode & 0o170000 == 0o040000) or st.st_uid != os.geteuid() or \
                st.st_mode & 0o022:
            raise WorkspaceError(
                f"{self.base} is not a private folder of yours (a link, someone else's, or "
                "writable by others); remove it or set TMPDIR to another folder")
        os.chmod(self.base, 0o711)

    def _remove_stale(self) -> list[str]:
        """Remove what graders that died (e.g. kill -9) left: their run folders and claims."""
        removed = []
        for entry in os.scandir(self.base):
            name = entry.name
            if name.startswith(("run-", "uid-")) and name.endswith(".lock"):
                path = Path(entry.path)
                if _is_dead_lock(path):
                    if name.startswith("run-"):
                        shutil.rmtree(path.with_suffix(""), ignore_errors=True)
                        removed.append(name[:-5])
                    path.unlink(missing_ok=True)
            elif name.startswith("run-") and entry.is_dir(follow_symlinks=False):
                if not Path(entry.path + ".lock").exists():  # its grader died mid-cleanup
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(name)
        return removed

    def claim_uid(self) -> tuple[int, int]:
        """An unused uid (and the gid of the same number) for one job; see WORKER_UIDS."""
        rng = secrets.SystemRandom()
        for _ in range(1000):
            uid = rng.choice(WORKER_UIDS)
            try:
                pwd.getpwuid(uid)
                continue
            except KeyError:
                pass
            if _processes_of(uid):
                continue
            try:
                fd = _lock_new(self.base / f"uid-{uid}.lock")
            except FileExistsError:
                continue
            self._uid_locks[uid] = fd
            return uid, uid
        raise WorkspaceError("no free worker uid found")  # pragma: no cover

    def release_uid(self, uid: int) -> None:
        fd = self._uid_locks.pop(uid, None)
        if fd is not None:
            (self.base / f"uid-{uid}.lock").unlink(missing_ok=True)
            os.close(fd)

    def new_job(self) -> Path:
        job = self.run / secrets.token_hex(16)
        job.mkdir(mode=0o700)
        return job

    def close(self) -> None:
        for uid in list(self._uid_locks):
            self.release_uid(uid)
        shutil.rmtree(self.run, ignore_errors=True)
        (self.base / f"{self.run.name}.lock").unlink(missing_ok=True)
        os.close(self._lock)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _processes_of(uid: int) -> list[int]:
    """Pids of the live (not zombie) processes of ``uid`` (from /proc)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    with open(f"/proc/{entry.name}/stat", "rb") as f:
                        state = f.read().rsplit(b")", 1)[1].split()[0]
                    if state not in (b"Z", b"X"):
                        pids.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return pids


def kill_uid(uid: int, rounds: int = 50) -> bool:
    """SIGKILL every process of ``uid`` (a job's own uid, so nothing else has it), wherever it
    moved (another session or process group). Each process is pinned with a pidfd before its
    owner is checked, so a recycled pid is never signalled. True when none is left."""
    for _ in range(rounds):
        pids = _processes_of(uid)
        if not pids:
            return True
        for pid in pids:
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                continue  # already gone
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(fd)
        time.sleep(0.01)
    return not _processes_of(uid)


# --- a seccomp filter: system calls a graded cell never needs ---------------------------------
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# name: (x86_64, aarch64). Namespaces and mounts (an escape needs them), tracing other
# processes, kernel keyrings, BPF, perf, userfaultfd and io_uring (frequent kernel bugs),
# modules, kexec, reboot, swap, accounting, and file handles that bypass the mount tree.
_DENY = {
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "unshare": (272, 97), "setns": (308, 268), "ptrace": (101, 117),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "keyctl": (250, 219),
    "add_key": (248, 217), "request_key": (249, 218), "bpf": (321, 280),
    "perf_event_open": (298, 241), "userfaultfd": (323, 282), "kexec_load": (246, 104),
    "kexec_file_load": (320, 294), "init_module": (175, 105), "finit_module": (313, 273),
    "delete_module": (176, 106), "reboot": (169, 142), "swapon": (167, 224),
    "swapoff": (168, 225), "acct": (163, 89), "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265), "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426), "io_uring_register": (427, 427), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
}
_CLONE, _CLONE3 = (56, 220), (435, 435)
_CLONE_NEW = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
_RET_KILL, _RET_ALLOW, _RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38


def seccomp_program(machine: str | None = None) -> bytes | None:
    """A classic-BPF seccomp filter (for ``bwrap --seccomp``) that makes the calls in _DENY and
    clone() with namespace flags fail with EPERM (clone3 with ENOSYS, so libc falls back to
    clone), kills a process that uses another syscall ABI (i386/x32 on x86_64), and allows the
    rest. None on an architecture without a table here (the sandbox then runs without it)."""
    machine = machine or os.uname().machine
    if machine not in _AUDIT_ARCH:
        return None
    col = 0 if machine == "x86_64" else 1
    ld_w_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    prog: list[tuple[int, str | int, str | int, int]] = [
        (ld_w_abs, 0, 0, 4),  # seccomp_data.arch
        (jeq, 0, "kill", _AUDIT_ARCH[machine]),
        (ld_w_abs, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":
        prog.append((jge, "kill", 0, 0x40000000))  # the x32 ABI
    prog += [(jeq, "eperm", 0, nrs[col]) for nrs in _DENY.values()]
    prog += [(jeq, "enosys", 0, _CLONE3[col]), (jeq, 0, "allow", _CLONE[col]),
             (ld_w_abs, 0, 0, 16),  # low half of args[0]: clone's flags
             (jset, "eperm", "allow", _CLONE_NEW)]
    labels = {"allow": (ret, 0, 0, _RET_ALLOW), "eperm": (ret, 0, 0, _RET_ERRNO | _EPERM),
              "enosys": (ret, 0, 0, _RET_ERRNO | _ENOSYS), "kill": (ret, 0, 0, _RET_KILL)}
    where = {name: len(prog) + i for i, name in enumerate(labels)}
    prog += list(labels.values())
    out = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = where[jt] - i - 1 if isinstance(jt, str) else jt
        jf = where[jf] - i - 1 if isinstance(jf, str) else jf
        out += struct.pack("=HBBI", code, jt, jf, k)
    return out


# --- the command that starts a worker -----------------------------------------------------
def worker_env(home: str, ld_library_path: str | None = None) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if ld_library_path:
        env["LD_LIBRARY_PATH"] = ld_library_path
    return env


@dataclass
class Command:
    argv: list[str]
    env: dict[str, str]
    cwd: str


def namespace_flags() -> list[str]:
    """bubblewrap's namespaces. As root no user namespace: a uid mapped inside one would be
    root outside; the worker switches to its job's own uid itself, before any student code
    runs. Otherwise a user namespace (the grader's own uid) in which no further one may be
    made."""
    if drops_privileges():
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try"]
    return ["--unshare-all", "--unshare-user", "--disable-userns"]


def _folders(args: list[str]) -> list[str]:
    """``--dir`` (mode 0755) for every folder above a mount point or link, parents first:
    bubblewrap would create them mode 0700, closed to the job's uid."""
    dests = [args[i + 2] for i, a in enumerate(args[:-2]) if a in ("--ro-bind", "--symlink")]
    dests += [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--tmpfs", "--proc", "--dev")]
    parents = {str(p) for d in dests for p in Path(d).parents if str(p) != "/"}
    return [a for p in sorted(parents, key=lambda p: (p.count("/"), p))
            for a in ("--perms", "0755", "--dir", p)]


def sandbox_command(job_in: Path, helpers_dir: Path, answers_fd: int, scratch_mb: int,
                    worker_args: list[str], seccomp_fd: int | None = None) -> Command:
    """bwrap + worker: see the module docstring for what the process sees."""
    rt = runtime()
    binds, ld_path = mounts(rt)
    cmd = [BWRAP, *binds, *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
           "--ro-bind", str(helpers_dir), HELPERS,
           "--ro-bind", str(WORKER), WORKER_IN_SANDBOX,
           "--ro-bind", str(job_in), JOB,
           "--perms", "0700", "--size", str(scratch_mb << 20), "--tmpfs", SCRATCH,
           "--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH,
           # without root the tmpfs root and /dev belong to the worker's own uid: read-only,
           # so the only writable place is the size-capped /scratch
           "--remount-ro", "/dev", "--remount-ro", "/",
           "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    cmd += namespace_flags()
    cmd[1:1] = _folders(cmd)
    argv = [f"{PY_ROOT}/bin/python3", "-I", "-S", "-B", "-X", "utf8", WORKER_IN_SANDBOX,
            "--job", JOB, "--answers", str(answers_fd), "--scratch", SCRATCH,
            *[a for p in [*rt.sandbox_sys_path(), HELPERS] for a in ("--path", p)],
            *worker_args]
    return Command([*cmd, "--", *argv], worker_env(SCRATCH, ld_path), "/")


def host_command(job_in: Path, work: Path, helpers_dir: Path, site: Path, answers_fd: int,
                 worker_args: list[str]) -> Command:
    """The worker without a sandbox (--no-sandbox): the same process, the whole file system."""
    rt = runtime()
    argv = [str(rt.python), "-I", "-S", "-B", "-X", "utf8", str(WORKER),
            "--job", str(job_in), "--answers", str(answers_fd), "--scratch", str(work),
            *[a for p in [*rt.host_sys_path(site), str(helpers_dir)] for a in ("--path", p)],
            *worker_args]
    return Command(argv, worker_env(str(work)), str(work))


def check_bwrap() -> None:
    """Raise SandboxUnavailable unless bubblewrap exists and can create our namespaces."""
    if not Path(BWRAP).exists():
        raise SandboxUnavailable(
            f"the sandbox needs bubblewrap, but {BWRAP} does not exist. Install it (Debian/Ubuntu:"
            " apt-get install bubblewrap), or grade trusted code only with --no-sandbox.")
    flags = namespace_flags()
    try:
        res = subprocess.run([BWRAP, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                              *flags, "--", "/bin/true"] if Path("/bin/true").exists() else
                             [BWRAP, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap failed to start ({exc})") from None
    if res.returncode != 0:
        hint = "" if drops_privileges() else (
            " Unprivileged user namespaces may be disabled here (sysctl "
            "kernel.unprivileged_userns_clone or user.max_user_namespaces), or an AppArmor "
            "profile may forbid them.")
        raise SandboxUnavailable(
            f"bubblewrap cannot create its namespaces here (exit code {res.returncode}: "
            f"{(res.stderr or res.stdout).strip()[:300]}).{hint} Fix bubblewrap, or grade "
            "trusted code only with --no-sandbox.")
