"""Attacks on the grader, as a determined student (and a careless instructor) would try them.

One bplib-grade run (the default sandbox, -j 2) grades four honest solutions next to one
submission per attack class. Each test asserts that the attack earned only what its honest work
earns, that no other row changed (the honest copies keep full marks, the exercises an attack does
not touch keep full marks) and that the run ended with the documented status.

Attack code reaches the real builtins through NumPy (``np.load.__globals__``) while staying
clean for the static scan, because the scan is not the defence; the cheats have teeth: the same
cells, run in this process where the reference and the solutions are reachable, score full
marks. "Canary" submissions are honest solutions that also probe the sandbox (signals, /proc,
network, scratch, file descriptors, environment, fork, threads) and raise ``LEAK: ...`` from a
graded function if a probe succeeded, so full marks mean nothing leaked.

Every promise of docs/grading.md's threat model is attacked here or in the tests it names.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import grading_submissions as subs
import nbformat
import pytest

from bplib.grading import cli
from bplib.grading.cases import judge, make_cases, to_data
from bplib.grading.manifest import load_manifest
from bplib.grading.static import scan

EX = load_manifest()
AUTO = list(EX)
FULL = sum(EX[e].points for e in AUTO)
SEED = 20250101
ROOT = subs.ROOT
HONEST = [f"honest_{i}" for i in range(4)]

#: The real builtins, reached through an allowed module without a name the scan knows.
PRELUDE = (
    "import numpy as np\n"
    "_b = getattr(np.load, '__glo' + 'bals__')['__builtins__']\n"
    "_imp, _open, _exec = _b['__import__'], _b['open'], _b['exec']\n"
    "_os, _sys = _imp('os'), _imp('sys')\n"
)


def _cell_of(notebook: Path, cell_id: str) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return next(c.source for c in nb.cells if c.get("id") == cell_id)


def _whole(code: str) -> subs.Edit:
    """Replace the exercise cell by ``code`` (no honest work at all)."""
    return lambda src: code


def canary(ex_id: str, probe: str) -> subs.Edit:
    """The honest solution plus ``probe`` (run once, at cell level, appending to ``_leaks``
    what it reached); the exercise's first function raises LEAK: ... if anything leaked."""
    fn = list(EX[ex_id].functions)[0]

    def edit(src: str) -> str:
        return (PRELUDE + "_leaks = []\n" + probe + "\n" + src + "\n"
                f"_honest = {fn}\n\n\n"
                f"def {fn}(*args):\n"
                "    if _leaks:\n"
                "        raise RuntimeError('LEAK: ' + '; '.join(_leaks))\n"
                "    return _honest(*args)\n")
    return edit


# --- cheats: a blank exercise plus a way to the answers that the sandbox must close ----------
CHEAT_REFERENCE = PRELUDE + """
_net = _imp('bplib.network', None, None, ['x'])   # bplib's reference, by the real import
_ref = {k: getattr(_net, k) for k in ('dim' + '_theta', 'pa' + 'ck', 'un' + 'pack')}


def count_params(p):
    return _ref['dim' + '_theta'](p)


def pack_theta(W, b):
    return _ref['pa' + 'ck'](W, b)


def unpack_theta(theta, p):
    W, b = _ref['un' + 'pack'](theta, p)
    return [None] + [w.copy() for w in W[1:]], [None] + [v.copy() for v in b[1:]]
"""


def cheat_from_notebook(path: Path, cell_id: str) -> str:
    """Read a notebook the grader can see (the solutions, another student's work) and run its
    exercise cell as one's own."""
    return PRELUDE + f"""
_json = _imp('json')
_nb = _json.loads(_open({str(path)!r}).read())
_src = ''.join(next(c['source'] for c in _nb['cells'] if c.get('id') == {cell_id!r}))
_exec(_src, _b['globals']())
"""


def forged_frames(case_count: int, body: str) -> str:
    """Cell code that writes answer frames of its own to the grader's pipe before the worker
    does (the first answer for a case is the one read); ``body`` builds (record, parts)."""
    return PRELUDE + f"""
_json = _imp('json')
_fd = int(_sys.argv[_sys.argv.index('--answers') + 1])


def _send(kind, rec, blobs):
    part0 = _json.dumps(rec).encode()
    head = _json.dumps({{'kind': kind, 'sizes': [len(part0)] + [len(x) for x in blobs]}})
    for chunk in [head.encode() + b'\\n', part0, *blobs]:
        while chunk:
            chunk = chunk[_os.write(_fd, chunk):]


for _i in range({case_count}):
{body}
"""


HUGE_HEADER = forged_frames(len(make_cases("ex4", 0)), """
    _h = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1048576), }"
    _npy = b'\\x93NUMPY\\x01\\x00' + len(_h).to_bytes(2, 'little') + _h.encode() + bytes(8)
    _send('answer', {'case': _i, 'value': {'t': 'array', 'blob': 1}}, [_npy])
""")

REPEATED_BLOB = forged_frames(len(make_cases("ex5", 0)), """
    _npy = _imp('io').BytesIO()
    np.save(_npy, np.zeros(1 << 17))
    _send('answer', {'case': _i, 'value': {'t': 'list', 'items': [{'t': 'array', 'blob': 1}]
                                           * 60}}, [_npy.getvalue()])
""")

GARBAGE = PRELUDE + """
_fd = int(_sys.argv[_sys.argv.index('--answers') + 1])
_os.write(_fd, b'{"kind": "answer", "sizes": [999999999999]}\\n' + bytes(5000))


def delta_squared_error(z, y, activation):
    raise NotImplementedError()
"""

ANSWER_FLOOD = """import numpy as np


def count_params(p):
    return [np.zeros(2_000_000)] * 8  # 8 x 16 MB, above the 64 MiB of answers


def pack_theta(W, b):
    raise NotImplementedError()


def unpack_theta(theta, p):
    raise NotImplementedError()
"""

# --- canaries: honest work, plus a probe that must reach nothing ------------------------------
KILLER = """
_time = _imp('time')   # built in; no import from disk (outside the sandbox the interpreter's
_end = _time.monotonic() + 2.0   # files may be closed to the job's uid)
while _time.monotonic() < _end:   # SIGKILL every process this uid can see, for two seconds
    try:
        _os.kill(-1, 9)
    except OSError:
        pass
    for _p in _os.listdir('/proc'):
        if _p.isdigit() and int(_p) != _os.getpid():
            try:
                _os.kill(int(_p), 9)
            except OSError:
                pass
"""

SNOOP = """
_glob = _imp('glob')
for _pat in ['/tmp/bplib-grade-*', '/tmp/*/bplib-grade-*/run-*/*', '/proc/*/root/tmp/*',
             '/proc/*/root/home/*', {subs!r} + '/*', {book!r} + '*', {root!r} + '/solutions/*',
             {root!r} + '/bplib/*.py', '/root/*', '/home/*']:
    try:
        if _glob.glob(_pat):
            _leaks.append('found ' + _pat)
    except OSError:
        pass
for _p in _os.listdir('/proc'):   # as root they are closed; without root they hold only the
    try:                            # worker's fixed environment, never the grader's
        if b'BPLIB_TEST_SECRET' in _open('/proc/%s/environ' % _p, 'rb').read():
            _leaks.append('the grader environment in /proc/%s/environ' % _p)
    except (OSError, ValueError):
        pass
_procs = [p for p in _os.listdir('/proc') if p.isdigit()]
if len(_procs) > 2:
    _leaks.append('sees processes %s' % _procs)
for _p in _procs:
    try:
        _cmd = _open('/proc/%s/cmdline' % _p, 'rb').read()
    except OSError:
        continue
    if b'bplib.grading' in _cmd or b'pytest' in _cmd or b'gradebook' in _cmd:
        _leaks.append('the grader is visible: %r' % _cmd[:80])
"""

ENVIRONMENT_AND_FDS = """
_allowed = {'PATH', 'HOME', 'TMPDIR', 'LANG', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
            'MKL_NUM_THREADS', 'LD_LIBRARY_PATH', 'PWD', 'LC_CTYPE'}
if set(_os.environ) - _allowed:
    _leaks.append('environment %s' % sorted(set(_os.environ) - _allowed))
_answer = int(_sys.argv[_sys.argv.index('--answers') + 1])
for _fd in [int(x) for x in _os.listdir('/proc/self/fd')]:
    if _fd in (0, 1, 2, _answer):
        continue
    try:
        _os.fstat(_fd)
        _leaks.append('inherited fd %d -> %s' % (_fd, _os.readlink('/proc/self/fd/%d' % _fd)))
    except OSError:
        pass
if _os.readlink('/proc/self/fd/0') != '/dev/null':
    _leaks.append('stdin is not /dev/null')
if _os.getuid() == 0 or _os.geteuid() == 0 or set(_os.getgroups()) - {_os.getgid()}:
    _leaks.append('runs as root or with supplementary groups')
"""

NETWORK = """
_socket = _imp('socket')
for _addr in [('127.0.0.1', {port}), ('8.8.8.8', 53), ('1.1.1.1', 443)]:
    try:
        _socket.create_connection(_addr, timeout=1).close()
        _leaks.append('connected to %s:%d' % _addr)
    except OSError:
        pass
"""

SCRATCH_AND_WRITES = """
_written = 0
for _k in range(64):   # a 1 GiB attempt: 16 MiB files until the scratch is full
    try:
        with _open('/scratch/fill%d' % _k, 'wb') as _f:
            for _j in range(16):
                _f.write(bytes(1 << 20))
                _written += 1 << 20
    except OSError:
        break
if _written > 64 << 20:
    _leaks.append('wrote %d MiB to the scratch' % (_written >> 20))
for _k in range(64):
    try:
        _os.remove('/scratch/fill%d' % _k)
    except OSError:
        pass
for _p in ['/opt/helpers/bplib/x.py', '/opt/site/numpy/x.py', '/job/x', '/x', '/tmp/x',
           '/dev/shm/x', '/opt/python/lib/python3.11/site-packages/x', '/proc/sys/kernel/x']:
    try:
        _open(_p, 'w').write('x')
        _leaks.append('wrote ' + _p)
    except OSError:
        pass
"""

FORK_AND_THREADS = """
_forked = 0
for _i in range(200):   # a fork bomb
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        while True:
            pass
    _forked += 1
if _forked:
    _leaks.append('forked %d processes' % _forked)
_threading = _imp('threading')
try:   # a thread that would outlive the answers and write to the pipe after them
    _threading.Thread(target=_imp('time').sleep, args=(60,), daemon=True).start()
    _leaks.append('started a thread')
except RuntimeError:
    pass
_ctypes = _imp('ctypes')
_libc = _ctypes.CDLL(None, use_errno=True)
for _name, _call in [('unshare(CLONE_NEWUSER)', lambda: _libc.unshare(0x10000000)),
                     ('mount', lambda: _libc.mount(b'none', b'/scratch', b'tmpfs', 0, None)),
                     ('ptrace(PTRACE_ATTACH, 1)', lambda: _libc.ptrace(16, 1, 0, 0))]:
    if _call() == 0:
        _leaks.append(_name + ' succeeded')
"""

FLOOD_STDOUT = """
_honest_d = delta_squared_error


def delta_squared_error(z, y, activation):
    for _k in range(8):   # 8 MiB straight to fd 1, past any in-process cap
        _os.write(1, b'x' * (1 << 20))
    return _honest_d(z, y, activation)
"""

FLOOD_STDERR = """
_honest_b = batched_gradient


def batched_gradient(W, b, S, X, Y):
    _sys.stderr.write('y' * (4 << 20))
    return _honest_b(W, b, S, X, Y)
"""

SLEEP_IN_REL_ERROR = """
_honest_r = rel_error


def rel_error(g1, g2):
    _imp('time').sleep(3600)   # past any timeout; central_diff's answers came before
    return _honest_r(g1, g2)
"""

CLOSE_AND_SLEEP = PRELUDE + """
_fd = int(_sys.argv[_sys.argv.index('--answers') + 1])
for _x in (0, 1, 2, _fd):   # EOF on every pipe, then sleep: the grader must not wait for it
    _os.close(_x)
_imp('time').sleep(3600)
"""


def _after(extra: str) -> subs.Edit:
    return lambda src: PRELUDE + src + "\n" + extra


def _write_deep(path: Path, depth: int) -> None:
    """A notebook whose metadata is nested ``depth`` levels deep (beside its real cells)."""
    nb = json.loads(path.read_text())
    text = json.dumps(nb)
    path.write_text(text[:-1] + ', "deep": ' + '{"a":' * depth + "1" + "}" * depth + "}")


def _recode(folder: Path, encoding: str, bom: bytes = b"") -> None:
    for p in folder.glob("*.ipynb"):
        p.write_bytes(bom + p.read_text(encoding="utf-8").encode(encoding))


class Server:
    """A TCP server on the host's loopback: a sandboxed connection must never arrive."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    subs.require_sandbox()
    root = tmp_path_factory.mktemp("attacks")
    sub = root / "subs"
    book = root / "out" / "gradebook.csv"
    fb = root / "out" / "feedback"
    secret_dir = root / "secret"
    secret_dir.mkdir(mode=0o700)
    secret = secret_dir / "token.txt"
    marker = "TOPSECRET-" + os.urandom(8).hex()
    secret.write_text(marker + "\n")
    os.chmod(secret, 0o600)
    server = Server()
    os.environ["BPLIB_TEST_SECRET"] = marker  # in the grader's environment, never the worker's

    for name in HONEST:
        subs.build(sub / name)
    exercises = {e: Path(subs.EXERCISES / EX[e].notebook) for e in EX}
    blank = {e: _cell_of(exercises[e], EX[e].cell) for e in AUTO}
    subs.build(sub / "cheat_reference", {"ex1": _whole(CHEAT_REFERENCE)})
    subs.build(sub / "cheat_solutions", {"ex2": _whole(cheat_from_notebook(
        subs.SOLUTIONS / EX["ex2"].notebook, EX["ex2"].cell))})
    subs.build(sub / "cheat_other_student", {"ex6": _whole(cheat_from_notebook(
        sub / "honest_0" / EX["ex6"].notebook, EX["ex6"].cell))})

    links = sub / "symlink_solutions"
    links.mkdir()
    for e in EX:
        (links / EX[e].notebook).symlink_to(subs.SOLUTIONS / EX[e].notebook)
    (sub / "symlink_folder").mkdir()
    (sub / "symlink_folder" / "work").symlink_to(subs.SOLUTIONS, target_is_directory=True)
    subs.build(sub / "symlink_secret")
    (sub / "symlink_secret" / "notes.ipynb").symlink_to(secret)
    special = subs.build(sub / "special_files")
    for e in ("ex1", "ex2"):
        (special / EX[e].notebook).unlink()
    os.mkfifo(special / EX["ex1"].notebook)
    (special / EX["ex2"].notebook).symlink_to("/dev/zero")
    if os.geteuid() == 0:
        os.mknod(special / "device.ipynb", stat.S_IFCHR | 0o644, os.makedev(1, 5))

    subs.build(sub / "forged_huge_header", {"ex4": _whole(HUGE_HEADER + blank["ex4"])})
    subs.build(sub / "forged_repeated_blob", {"ex5": _whole(REPEATED_BLOB + blank["ex5"])})
    subs.build(sub / "forged_garbage", {"ex3": _whole(GARBAGE)})
    subs.build(sub / "answer_flood", {"ex1": _whole(ANSWER_FLOOD)})

    subs.build(sub / "deep_expression", {
        "ex2": subs.append("_x = " + "-" * 100_000 + "1\n"),
        "ex3": subs.append("_y = " + "1 + " * 100_000 + "1\n"),
        "ex4": subs.append("_z = " + "(" * 150 + "1" + ")" * 150 + "\n" * 10 + "_w = " +
                           "[" * 5000 + "]" * 5000 + "\n")})
    deep = subs.build(sub / "deep_json")
    _write_deep(deep / EX["ex1"].notebook, 100)
    _write_deep(deep / EX["ex6"].notebook, 100_000)

    subs.build(sub / "flood", {"ex3": _after(FLOOD_STDOUT), "ex5": _after(FLOOD_STDERR)})
    subs.build(sub / "sleepers", {"ex6": _after(SLEEP_IN_REL_ERROR),
                                  "ex2": _whole(CLOSE_AND_SLEEP)})

    subs.build(sub / "canary_killer", {"ex1": canary("ex1", KILLER),
                                       "ex4": canary("ex4", KILLER)})
    subs.build(sub / "canary_snoop", {"ex2": canary("ex2", SNOOP.format(
        subs=str(sub), book=str(book), root=str(ROOT)))})
    subs.build(sub / "canary_env_fds", {"ex3": canary("ex3", ENVIRONMENT_AND_FDS)})
    subs.build(sub / "canary_network", {"ex4": canary("ex4", NETWORK.format(port=server.port))})
    subs.build(sub / "canary_scratch", {"ex5": canary("ex5", SCRATCH_AND_WRITES)})
    subs.build(sub / "canary_fork", {"ex6": canary("ex6", FORK_AND_THREADS)})

    _recode(subs.build(sub / "encoding_utf8_bom"), "utf-8", b"\xef\xbb\xbf")
    _recode(subs.build(sub / "encoding_utf16"), "utf-16")
    _recode(subs.build(sub / "encoding_utf16le"), "utf-16-le")
    _recode(subs.build(sub / "encoding_utf32"), "utf-32")

    # names a student (or an LMS export) may produce: undecodable bytes, terminal escapes, a
    # bidi override, a leading '=' (a spreadsheet formula), a newline in a notebook's name
    hostile = Path(os.fsdecode(os.fsencode(sub) + b"/=\xff\x1b[31mevil\xe2\x80\xae"))
    subs.build(hostile)
    (hostile / EX["ex1"].notebook).rename(
        hostile / os.fsdecode(b"\xfe\nex1 \x1b]0;title\x07.ipynb"))
    subs.build(sub / ("x" * 250))

    folders = sorted(str(p) for p in sub.iterdir())
    try:
        rc = cli.main([*folders, "-o", str(book), "--feedback", str(fb), "-j", "2",
                       "--seed", str(SEED), "--timeout", "4", "--no-progress"])
    finally:
        del os.environ["BPLIB_TEST_SECRET"]
        server.close()
    with open(book, newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    results = {p.stem: json.loads(p.read_text()) for p in fb.glob("*.json")}
    return {"rc": rc, "rows": rows, "results": results, "fb": fb, "book": book, "n":
            len(folders), "marker": marker, "server": server, "subs": sub}


def _message(attacked, name: str, ex: str) -> str:
    res = attacked["results"][name]["exercises"][ex]
    return res["message"] + " " + " ".join(c["message"] for c in res["cases"])


def _untouched_elsewhere(row: dict, attacked_exercises: set[str]) -> None:
    for e in AUTO:
        if e not in attacked_exercises:
            assert float(row[e]) == EX[e].points, (e, row)


def test_run_finishes_with_a_row_for_every_submission_and_honest_rows_intact(attacked):
    assert attacked["rc"] == 1  # problems recorded in statuses; never 3 (a grader error)
    assert len(attacked["rows"]) == attacked["n"]
    for name in HONEST:
        row = attacked["rows"][name]
        assert row["status"] == "ok" and float(row["total"]) == FULL, row


# --- reaching the reference or the solutions --------------------------------------------------
@pytest.mark.parametrize("name, ex", [("cheat_reference", "ex1"), ("cheat_solutions", "ex2"),
                                      ("cheat_other_student", "ex6")])
def test_cheats_through_the_real_builtins_earn_nothing(attacked, name, ex):
    """Scan-clean code that would score full marks where bplib's reference, the solutions or
    another student's notebook is readable gets 0 in the sandbox: they are not there."""
    source = _cell_of(attacked["subs"] / name / EX[ex].notebook, EX[ex].cell)
    assert scan(source, EX[ex]) == [], "the cheat must get past the static scan"
    ns: dict = {}
    exec(compile(source, "cheat", "exec"), ns)  # here everything is readable: it works
    for case in make_cases(ex, SEED):
        assert judge(case, to_data(ns[case.function](*case.args))).passed, case.name
    row = attacked["rows"][name]
    assert float(row[ex]) == 0 and f"{ex}: error" in row["status"], row
    assert "ModuleNotFoundError" in _message(attacked, name, ex) or \
        "FileNotFoundError" in _message(attacked, name, ex)
    _untouched_elsewhere(row, {ex})


# --- links, devices and FIFOs in a submission --------------------------------------------------
def test_symlinked_notebooks_and_folders_are_not_followed(attacked):
    for name in ("symlink_solutions", "symlink_folder"):
        row = attacked["rows"][name]
        assert float(row["total"]) == 0 and row["status"] == "invalid submission", row
        problem = attacked["results"][name]["problem"]
        assert "symbolic link" in problem, problem
        md = (attacked["fb"] / f"{name}.md").read_text()
        assert "BEGIN SOLUTION" not in md and "np.outer(delta, a[l - 1])" not in md


def test_a_link_to_a_secret_file_shows_nothing_of_it(attacked):
    row = attacked["rows"]["symlink_secret"]
    assert float(row["total"]) == FULL  # the honest notebooks beside it are graded
    assert row["status"] == "invalid submission", row  # and the link is reported
    assert "notes.ipynb" in attacked["results"]["symlink_secret"]["problem"]
    out = attacked["book"].parent
    for p in out.rglob("*"):
        if p.is_file():
            assert attacked["marker"] not in p.read_text(errors="replace"), p


def test_fifo_device_and_dev_zero_named_ipynb_neither_hang_nor_crash(attacked):
    row = attacked["rows"]["special_files"]
    assert float(row["ex1"]) == 0 and float(row["ex2"]) == 0
    assert row["status"].startswith("invalid submission"), row
    _untouched_elsewhere(row, {"ex1", "ex2"})
    problem = attacked["results"]["special_files"]["problem"]
    assert "a FIFO" in problem and "a symbolic link" in problem
    if os.geteuid() == 0:
        assert "device.ipynb: is a device" in problem


# --- crafted answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, ex, needle", [
    ("forged_huge_header", "ex4", "header claims shape"),  # 2**60 elements: never allocated
    ("forged_repeated_blob", "ex5", "referenced twice"),  # one array 60 times
    ("forged_garbage", "ex3", "corrupted"),  # a frame claiming 1 TB
    ("answer_flood", "ex1", "exceed 64 MiB"),  # 128 MB of answers
])
def test_crafted_answers_are_refused_before_allocation(attacked, name, ex, needle):
    row = attacked["rows"][name]
    assert float(row[ex]) == 0 and f"{ex}: invalid output" in row["status"], row
    assert needle in _message(attacked, name, ex), _message(attacked, name, ex)
    _untouched_elsewhere(row, {ex})


# --- parsing and the notebook file -------------------------------------------------------------
def test_deep_expressions_are_mangled_cells_not_grader_errors(attacked):
    row = attacked["rows"]["deep_expression"]
    for ex in ("ex2", "ex3", "ex4"):
        assert float(row[ex]) == 0 and f"{ex}: mangled cell" in row["status"], row
    _untouched_elsewhere(row, {"ex2", "ex3", "ex4"})


def test_deeply_nested_notebook_json_is_an_invalid_notebook(attacked):
    row = attacked["rows"]["deep_json"]
    assert float(row["ex1"]) == 0 and float(row["ex6"]) == 0
    assert row["status"].startswith("invalid notebook"), row
    assert "nested" in attacked["results"]["deep_json"]["problem"]
    _untouched_elsewhere(row, {"ex1", "ex6"})


@pytest.mark.parametrize("name", ["encoding_utf8_bom", "encoding_utf16", "encoding_utf16le",
                                  "encoding_utf32"])
def test_bom_and_utf16_notebooks_are_read(attacked, name):
    row = attacked["rows"][name]
    assert row["status"] == "ok" and float(row["total"]) == FULL, row


# --- the process: output, time, signals, what it can see and do -------------------------------
def test_output_flood_is_output_limit(attacked):
    row = attacked["rows"]["flood"]
    for ex in ("ex3", "ex5"):
        assert float(row[ex]) == 0 and f"{ex}: output-limit" in row["status"], row
    _untouched_elsewhere(row, {"ex3", "ex5"})


def test_sleeping_past_the_timeout_and_closing_the_pipes(attacked):
    """The timeout stops a sleeper (answers sent before keep their points), also one that
    closed its pipes: the grader waits for the process, not for its pipes."""
    row = attacked["rows"]["sleepers"]
    assert "ex6: timeout" in row["status"] and float(row["ex6"]) == 6  # central_diff's points
    assert float(row["ex2"]) == 0 and "ex2: timeout" in row["status"], row
    _untouched_elsewhere(row, {"ex2", "ex6"})


@pytest.mark.parametrize("name", ["canary_killer", "canary_snoop", "canary_env_fds",
                                  "canary_network", "canary_scratch", "canary_fork"])
def test_canaries_reach_nothing(attacked, name):
    """Honest work plus a probe: full marks mean the probe reached nothing (else a graded
    function raised LEAK: ..., shown here)."""
    row = attacked["rows"][name]
    leaks = [c["message"] for r in attacked["results"][name]["exercises"].values()
             for c in r["cases"] if "LEAK" in c["message"]]
    assert not leaks, leaks
    assert row["status"] == "ok" and float(row["total"]) == FULL, row
    if name == "canary_network":
        assert attacked["server"].connections == 0


def test_the_grader_environment_never_reaches_feedback(attacked):
    for p in attacked["fb"].glob("*"):
        if p.is_file():
            assert attacked["marker"] not in p.read_text(errors="replace")


def test_hostile_file_and_folder_names_are_graded_and_shown_safely(attacked):
    """Undecodable bytes, escapes and a formula in names: graded normally, never a grader
    error, and the names reach the gradebook and feedback only as safe text."""
    [evil] = [r for r in attacked["rows"].values() if "evil" in r["submission"]]
    assert evil["submission"].startswith("'=") and "\x1b" not in evil["submission"]
    assert "\ufffd" in evil["submission"] and "\u202e" not in evil["submission"]
    assert evil["status"] == "ok" and float(evil["total"]) == FULL, evil
    [long] = [r for r in attacked["rows"].values() if r["submission"].startswith("xxxx")]
    assert long["status"] == "ok" and len(long["submission"]) <= 120
    names = [p.name for p in attacked["fb"].glob("*.md")]
    assert all(len(n) <= 104 and n.isascii() for n in names), names


# --- the workers are isolated from each other outside the sandbox too --------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="per-job uids need a root grader; without root, "
                    "--no-sandbox runs every worker as the grader's own user (documented)")
def test_no_sandbox_workers_cannot_signal_each_other(tmp_path):
    sub = tmp_path / "subs"
    subs.build(sub / "a_killer", {e: canary(e, KILLER) for e in ("ex1", "ex2", "ex3")})
    for i in range(3):
        subs.build(sub / f"honest_{i}")
    book = tmp_path / "gb.csv"
    rc = cli.main([*sorted(str(p) for p in sub.iterdir()), "-o", str(book), "-j", "2",
                   "--no-sandbox", "--only", "ex1,ex2,ex3", "--no-progress"])
    with open(book, newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert rc == 0, rows
    for name, row in rows.items():
        assert row["status"] == "ok" and float(row["total"]) == 20, (name, row)


# --- ids ---------------------------------------------------------------------------------------
def test_colliding_ids_are_refused_before_anything_is_graded(tmp_path, capsys):
    a, b = subs.build(tmp_path / "a" / "alice"), subs.build(tmp_path / "b" / "alice")
    rc = cli.main([str(a), str(b), "-o", str(tmp_path / "gb.csv"), "--no-progress"])
    assert rc == 2 and not (tmp_path / "gb.csv").exists()
    err = capsys.readouterr().err
    assert "'alice'" in err and str(a) in err and str(b) in err
    c, d = subs.build(tmp_path / "al ice"), subs.build(tmp_path / "al_ice")  # one feedback file
    assert cli.main([str(c), str(d), "-o", str(tmp_path / "gb.csv"), "--no-progress"]) == 2
    assert "feedback file" in capsys.readouterr().err


def test_a_row_is_never_replaced_silently_by_another_folder(tmp_path, capsys):
    """Resuming with the same id from another folder (even with the same notebooks) grades it
    again and says so, instead of keeping or overwriting the row unnoticed."""
    import shutil

    first = subs.build(tmp_path / "week1" / "alice")
    later = tmp_path / "week2" / "alice"
    shutil.copytree(first, later)
    book = tmp_path / "gb.csv"
    args = ["-o", str(book), "--only", "ex1", "--no-progress", *subs.mode_args()]
    assert cli.main([str(first), *args]) == 0
    capsys.readouterr()
    assert cli.main([str(later), *args]) == 0
    assert "came from" in capsys.readouterr().err
    journal = Path(str(book) + ".journal.jsonl").read_text().splitlines()
    assert [json.loads(x)["path"] for x in journal if '"row"' in x] == [str(first), str(later)]
    with open(book, newline="") as f:
        assert len(list(csv.DictReader(f))) == 1


def test_nbgrader_layout_rows_carry_the_student_names(tmp_path):
    subs_dir = tmp_path / "submitted"
    for student in ("alice", "bob"):
        subs.build(subs_dir / student / "ps1")
    book = tmp_path / "gb.csv"
    rc = cli.main([str(p) for p in sorted(subs_dir.glob("*/ps1"))]
                  + ["-o", str(book), "--only", "ex1", "--no-progress", *subs.mode_args()])
    with open(book, newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert rc == 0 and set(rows) == {"alice", "bob"}, rows


# --- where the grader keeps its files -----------------------------------------------------------
def test_tmpdir_inside_the_checkout_grades_normally(tmp_path, monkeypatch):
    """The sandbox does not depend on where TMPDIR is (inside the checkout here, or under a
    folder only root can enter): the job folders are mounted, not reached by path."""
    import tempfile

    odd = ROOT / ".pytest-tmp-grader" / os.urandom(4).hex()
    odd.mkdir(parents=True)
    try:
        monkeypatch.setenv("TMPDIR", str(odd))
        monkeypatch.setattr(tempfile, "tempdir", None)
        sub = subs.build(tmp_path / "honest")
        book = tmp_path / "gb.csv"
        rc = cli.main([str(sub), "-o", str(book), "--only", "ex4,ex5", "--no-progress",
                       *subs.mode_args()])
        with open(book, newline="") as f:
            row = next(csv.DictReader(f))
        assert rc == 0 and float(row["total"]) == 20, row
    finally:
        import shutil

        shutil.rmtree(odd, ignore_errors=True)
        try:  # another run of the suite (CI's light passes run beside it) may still use it
            odd.parent.rmdir()
        except OSError:
            pass


def test_unusable_tmpdir_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import tempfile

    bad = tmp_path / "not-a-folder"
    bad.write_text("")
    monkeypatch.setenv("TMPDIR", str(bad))
    monkeypatch.setattr(tempfile, "tempdir", str(bad))
    rc = cli.main([str(tmp_path), "-o", str(tmp_path / "gb.csv"), "--no-progress",
                   *subs.mode_args()])
    assert rc == 2 and "TMPDIR" in capsys.readouterr().err


def test_a_killed_graders_folders_are_removed_only_when_it_is_dead(tmp_path):
    """Two graders share a workspace: a live one's run folder stays, a dead one's goes."""
    from bplib.grading.sandbox import Workspace

    code = ("import sys, time\nfrom bplib.grading.sandbox import Workspace\n"
            "w = Workspace(sys.argv[1])\nprint(w.run, flush=True)\n"
            "(w.run / 'student-code.txt').write_text('x')\ntime.sleep(600)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    runs = [Path(p.stdout.readline().strip()) for p in procs]
    procs[0].kill()  # like kill -9: no clean-up ran
    procs[0].wait()
    assert runs[0].exists() and runs[1].exists()
    with Workspace(tmp_path) as w:
        assert runs[0].name in w.removed_stale
        assert not runs[0].exists() and runs[1].exists()
    procs[1].kill()
    procs[1].wait()


# --- exit 3 is for the grader's own failures ---------------------------------------------------
def test_a_grader_bug_on_one_submission_is_its_row_only_and_retried(tmp_path, monkeypatch):
    """A bug that raises while grading one submission: that row reads 'grader error', the
    others are graded, exit 3; the next run grades exactly that one again."""
    for name in ("a", "b", "c"):
        subs.build(tmp_path / name)
    real = cli.grade_submission

    def buggy(sub, *args, **kwargs):
        if sub.id == "b":
            raise RuntimeError("a bug in the grader")
        return real(sub, *args, **kwargs)

    monkeypatch.setattr(cli, "grade_submission", buggy)
    book = tmp_path / "out" / "gb.csv"
    args = [str(tmp_path / n) for n in "abc"] + [
        "-o", str(book), "--feedback", str(tmp_path / "fb"), "-j", "2", "--only", "ex1",
        "--no-progress", *subs.mode_args()]
    assert cli.main(args) == 3
    with open(book, newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert rows["b"]["status"] == "grader error: RuntimeError" and rows["b"]["total"] == "0"
    assert rows["a"]["status"] == rows["c"]["status"] == "ok"
    assert not (tmp_path / "fb" / "b.md").exists()
    monkeypatch.setattr(cli, "grade_submission", real)
    assert cli.main(args) == 0
    journal = Path(str(book) + ".journal.jsonl").read_text()
    assert journal.count('"submission": "b"') == 2 and journal.count('"submission": "a"') == 1
