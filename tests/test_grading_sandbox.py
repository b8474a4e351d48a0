"""The grader's security boundary, part by part: what a sandboxed worker can see (listed from
inside a real one), the helpers package it gets, the strict reading of answers (.npy headers,
frames), reading student files without following links or blocking, ids, the workspace and
its stale folders, per-job uids, and the seccomp filter."""

from __future__ import annotations

import ast
import gc
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import grading_submissions as subs
import numpy as np
import pytest

from bplib.grading import helpers, parsing, sandbox, static
from bplib.grading.cases import Case, make_cases
from bplib.grading.manifest import Exercise, load_manifest
from bplib.grading.notebooks import UnsafeFile, decode_notebook, discover, parse_code, read_file
from bplib.grading.runner import BadAnswer, FrameReader, Limits, Runner, read_npy

EX = load_manifest()
ROOT = subs.ROOT


def _probe_exercise(helpers_allowed: dict | None = None) -> Exercise:
    return Exercise(id="probe", title="probe", notebook="", cell="",
                    functions={"probe": {"points": 1, "args": [], "returns": ""}},
                    allowed_helpers=helpers_allowed or {}, forbidden_names=(),
                    allowed_modules=("numpy", "os", "sys", "json", "importlib"))


def _run_probe(code: str, runner: Runner, helpers_allowed: dict | None = None):
    run = runner.run(_probe_exercise(helpers_allowed), code, [Case("probe", "probe", [], None)])
    value, error = run.answers[0]
    assert error is None and run.status == "ok", (run.status, run.detail, error, run.stderr)
    return value, run


# --- what a sandboxed worker sees --------------------------------------------------------------
def test_a_sandboxed_worker_sees_only_python_numpy_and_its_helpers(tmp_path):
    """Lists and opens, from inside a real sandboxed worker, every place the grader's secrets
    live on the host; each must be absent. Then checks what must be there."""
    subs.require_sandbox()
    book = tmp_path / "grades" / "gradebook.csv"
    book.parent.mkdir()
    book.write_text("submission,total\n")
    other_student = subs.build(tmp_path / "collected" / "bob")
    venv_site = Path(np.__file__).resolve().parent.parent
    with Runner(Limits(timeout=30)) as runner:
        other_job = runner.workspace.new_job()  # another job's folder, alive meanwhile
        (other_job / "secret.txt").write_text("another student's code")
        host = [ROOT, ROOT / "solutions", ROOT / "solutions" / "ex4_algorithm1.ipynb",
                ROOT / "bplib", ROOT / "bplib" / "backprop.py", ROOT / "bplib" / "grading",
                ROOT / ".git", venv_site, venv_site / "bplib", venv_site / "matplotlib",
                Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable),
                Path("/root"), Path("/home"), Path("/etc/passwd"), Path("/etc/shadow"),
                Path("/tmp"), Path("/var"), Path("/bin/sh"), Path("/usr/bin/python3"),
                Path("/usr/lib/python3/dist-packages"), runner.workspace.base,
                runner.workspace.run, other_job, other_job / "secret.txt", book, book.parent,
                other_student, other_student / "ex1_theta.ipynb", tmp_path]
        host = [str(p) for p in host if str(p) not in ("/", "/usr", "/usr/lib")]
        code = (f"import os\nPATHS = {host!r}\n"
                "def probe():\n"
                "    return [int(os.path.lexists(p)) for p in PATHS]\n")
        seen, _ = _run_probe(code, runner)
        visible = [p for p, s in zip(host, seen, strict=True) if s]
        assert not visible, f"visible in the sandbox: {visible}"

        code = ("import os, sys\n"
                "def probe():\n"
                "    site = '/opt/python/lib/python3.%d/site-packages' % sys.version_info[1]\n"
                "    return [int(os.path.isfile('/opt/site/numpy/__init__.py')),\n"
                "            len(os.listdir(site)) if os.path.isdir(site) else 0,\n"
                "            len(os.listdir('/')),\n"
                "            int(os.path.isfile('/opt/helpers/bplib/activations.py')),\n"
                "            int(os.access('/job', os.R_OK)), int(os.access('/', os.W_OK)),\n"
                "            int(os.access('/scratch', os.W_OK))]\n")
        numpy_there, site_entries, top, helper_there, job_readable, root_writable, scratch_ok = \
            _run_probe(code, runner, {"bplib.activations": ["ACTIVATIONS"]})[0]
        assert numpy_there == 1 and helper_there == 1 and scratch_ok == 1
        assert site_entries == 0  # the stdlib's own site-packages (if any) is masked
        assert root_writable == 0
        if os.geteuid() == 0:  # root-owned 0700: inputs were read before the uid switch
            assert job_readable == 0
        assert top == len(_top_level_expected())  # nothing at / but what the mount list makes


def _top_level_expected() -> list[str]:
    """Top-level names the mount list creates here: its folders and the /lib-style links."""
    args, _ = sandbox.mounts(sandbox.runtime())
    dests = [args[i + 2] for i, a in enumerate(args[:-2]) if a in ("--ro-bind", "--symlink")]
    return sorted({Path(d).parts[1] for d in dests} | {"dev", "proc", "job", "scratch", "opt"})


def test_the_reference_is_absent_not_just_forbidden():
    """'Calling the reference scores 0' holds because it is not there: importing bplib inside
    the sandbox gives the helpers copy, which has no backprop, network, losses or gradcheck."""
    subs.require_sandbox()
    code = ("import importlib\n"
            "def probe():\n"
            "    imp = importlib.import_module\n"
            "    found = []\n"
            "    for m in ['bplib.backprop', 'bplib.network', 'bplib.losses', 'bplib.gradcheck',\n"
            "              'bplib.grading', 'bplib.grading.cases', 'matplotlib', 'scipy']:\n"
            "        try:\n"
            "            imp(m)\n"
            "            found.append(1)\n"
            "        except ImportError:\n"
            "            found.append(0)\n"
            "    return found\n")
    ex = _probe_exercise({"bplib.activations": ["ACTIVATIONS", "softmax"]})
    with Runner(Limits(timeout=30)) as runner:
        run = runner.run(ex, code, [Case("probe", "probe", [], None)])
    assert run.answers[0] == ([0] * 8, None), (run.answers, run.stderr)


# --- the helpers package -----------------------------------------------------------------------
@pytest.mark.parametrize("ex_id", sorted(EX))
def test_helpers_package_holds_exactly_the_allowed_helpers(ex_id, tmp_path):
    ex = EX[ex_id]
    files = helpers.sources(ex.allowed_helpers, ex.forbidden_names)
    text = "\n".join(files.values())
    for name in ex.forbidden_names:  # no reference the exercise forbids, by definition or call
        assert f"def {name}(" not in text and f"{name} =" not in text, name
    for mod, names in ex.allowed_helpers.items():
        rel = "bplib/" + mod.split(".", 1)[1] + ".py"
        for name in names:
            assert name in files[rel]
    for never in ("algorithm1", "algorithm2_batched", "def pack(", "softmax_ce_delta",
                  "central_difference", "cupy_available", "def feed_forward", "autodiff",
                  "class Value", "def topological_order", "def init_std", "plots"):
        assert never not in text
    if ex_id in ("ex2", "ex10", "ex12"):  # the softmax or the graph sweep is the exercise
        assert set(files) == {"bplib/__init__.py"}, sorted(files)
    folder = helpers.build(ex.allowed_helpers, tmp_path, ex.forbidden_names)
    numpy_site = str(Path(np.__file__).resolve().parent.parent)
    code = ("import json, sys\n"
            f"sys.path[:0] = [{str(folder)!r}, {numpy_site!r}]\n"
            "import numpy as np, bplib, importlib\n"
            f"allowed = {ex.allowed_helpers!r}\n"
            "z = np.array([-2.0, 0.0, 0.5, 3.0])\n"
            "out = {}\n"
            "for mod, names in allowed.items():\n"
            "    m = importlib.import_module(mod)\n"
            "    for n in names:\n"
            "        v = getattr(m, n)\n"
            "        out[n] = ({k: [a.S(z).tolist(), a.dS(z).tolist()] for k, a in v.items()}\n"
            "                  if isinstance(v, dict) else v(z).tolist())\n"
            "print(json.dumps([sorted(vars(bplib)), out, bplib.__file__]))\n")
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                         text=True, cwd=tmp_path, check=True)
    names, out, where = json.loads(res.stdout)
    assert where.startswith(str(folder))
    from bplib import activations

    z = np.array([-2.0, 0.0, 0.5, 3.0])
    for n, v in out.items():  # the copy computes exactly what bplib does
        real = getattr(activations, n)
        if isinstance(real, dict):
            for k, a in real.items():
                np.testing.assert_array_equal(v[k], [a.S(z), a.dS(z)])
        else:
            np.testing.assert_array_equal(v, real(z))
    assert "backprop" not in names and "Network" not in names


def test_helpers_refuse_to_copy_a_forbidden_name():
    with pytest.raises(helpers.HelperError, match="forbids"):
        helpers.sources({"bplib.activations": ["ACTIVATIONS"]}, ["dtanh"])
    with pytest.raises(helpers.HelperError, match="no 'nothing'"):
        helpers.sources({"bplib.activations": ["nothing"]})


# --- reading answers: never trust the bytes ------------------------------------------------------
def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _with_header(header: str, data: bytes = b"", version: int = 1) -> bytes:
    h = header.encode("latin1")
    size = len(h).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def test_read_npy_round_trips_plain_numeric_arrays():
    for arr in (np.arange(6.0).reshape(2, 3), np.arange(5, dtype=np.int32), np.zeros((0, 3)),
                np.float32(2.5) * np.ones(3), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
                np.array(7.0)):
        got = read_npy(_npy(arr))
        np.testing.assert_array_equal(got, arr)
        assert got.dtype == arr.dtype and got.flags.writeable


@pytest.mark.parametrize("raw, needle", [
    (_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1048576), }",
                  bytes(8)), "claims shape"),
    (_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", bytes(16)),
     "claims shape"),
    (_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", bytes(8)),
     "not a plain number type"),
    (_with_header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", bytes(16)),
     "not a plain number type"),
    (_with_header("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }", bytes(8)), "shape"),
    (_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }"), "shape"),
    (_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }", bytes(8)),
     "shape"),
    (_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", bytes(8)),
     "unexpected keys"),
    (_with_header("[" * 1500 + "]" * 1500), "not a valid dictionary"),
    (_with_header("__import__('os').system('true')"), "not a valid dictionary"),
    (_with_header("x" * 5000, version=2), "too long"),
    (b"\x93NUMPY\x01\x00\xff\xff{", "too long or cut short"),
    (b"PK\x03\x04 not an npy", "not a .npy"),
])
def test_read_npy_refuses_crafted_headers_before_allocating(raw, needle):
    with pytest.raises(BadAnswer, match=needle):
        read_npy(raw)


def test_read_npy_caps_the_size():
    raw = _npy(np.zeros(1000))
    with pytest.raises(BadAnswer, match="larger than"):
        read_npy(raw, cap=4000)


def _frame(kind: str, body: dict, blobs: list[bytes] = ()) -> bytes:
    part0 = json.dumps(body).encode()
    head = json.dumps({"kind": kind, "sizes": [len(part0), *map(len, blobs)]}).encode()
    return head + b"\n" + part0 + b"".join(blobs)


def test_frame_reader_reads_frames_in_any_chunking():
    data = (_frame("ready", {}) + _frame("answer", {"case": 0, "value": {"t": "array",
                                                                          "blob": 1}},
                                         [_npy(np.ones(3))]) + _frame("done", {}))
    for step in (1, 7, len(data)):
        r = FrameReader(1 << 20)
        for i in range(0, len(data), step):
            r.feed(data[i:i + step])
        assert [k for k, _, _ in r.frames] == ["ready", "answer", "done"] and not r.problem


def test_rule_extras_are_data_checked_like_answers():
    """What the worker sends for the statements' rules (the steps of a call, the arguments as
    the call left them) is read like an answer: malformed or reused parts become "not
    readable" (judged as changed), never an exception or an allocation."""
    from bplib.grading.judge import UNREADABLE, judge
    from bplib.grading.runner import decode_answers

    value = {"t": "array", "blob": 1}
    bodies = [
        ({"case": 0, "value": value, "steps": 12, "after": [{"t": "array", "blob": 2}]}, 3),
        ({"case": 1, "value": value, "steps": -3, "after": "junk"}, 2),
        ({"case": 2, "value": value, "steps": "many", "after": [value]}, 2),  # blob 1 again
        ({"case": 3, "value": value, "steps": 10 ** 40, "after": [{"t": "list", "items": [
            {"t": "list", "items": []}] * 70}]}, 2),
        ({"case": 4, "value": value, "after": [{"t": "array", "blob": 9}] * 9}, 2),
    ]
    r = FrameReader(1 << 20)
    for body, parts in bodies:
        r.feed(_frame("answer", body, [_npy(np.ones(3))] * (parts - 1)))
    _, answers, extras = decode_answers(r, len(bodies))
    assert all(err is None and v.shape == (3,) for v, err in answers), answers
    assert extras[0]["steps"] == 12 and np.array_equal(extras[0]["after"][0], np.ones(3))
    assert "steps" not in extras[1] and extras[1]["after"] is None
    assert "steps" not in extras[2] and extras[2]["after"] is None  # a part used twice
    assert extras[3]["steps"] == 10 ** 40 and extras[3]["after"] is None
    assert extras[4]["after"] is None
    case = next(c for c in make_cases("ex6", 0) if c.unchanged)
    v = judge(case, case.expected, [UNREADABLE])
    assert not v.passed and "not numbers" in v.message


@pytest.mark.parametrize("data, needle", [
    (b"x" * 5000, "too long"),
    (b'{"kind": "answer", "sizes": [99999999999]}\n', "bad frame header"),
    (b'{"kind": "exec", "sizes": [2]}\n{}', "bad frame header"),
    (b'{"kind": "answer", "sizes": [' + b"1," * 400 + b"1]}\n", "bad frame header"),
    (b'{"kind": "answer", "sizes": [3]}\n{{{', "not valid JSON"),
    (_frame("answer", {}) * 20000, "exceed"),
])
def test_frame_reader_stops_at_the_first_bad_frame_or_the_cap(data, needle):
    r = FrameReader(64 << 10)
    r.feed(data)
    assert needle in r.problem, r.problem


# --- reading student files ----------------------------------------------------------------------
def test_read_file_never_follows_links_nor_blocks(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret")
    (tmp_path / "link.ipynb").symlink_to(secret)
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "dir.ipynb").mkdir()
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    for name, kind in [("link.ipynb", "a symbolic link"), ("fifo.ipynb", "a FIFO"),
                       ("dir.ipynb", "a folder"), ("zero.ipynb", "a symbolic link")]:
        t = threading.Thread(target=lambda n=name: pytest.raises(UnsafeFile, read_file,
                                                                 tmp_path / n))
        t.start()
        t.join(10)
        assert not t.is_alive(), f"reading {name} blocked"
        with pytest.raises(UnsafeFile, match=kind):
            read_file(tmp_path / name)
    if os.geteuid() == 0:
        os.mknod(tmp_path / "dev.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        with pytest.raises(UnsafeFile, match="a device"):
            read_file(tmp_path / "dev.ipynb")
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2000)
    with pytest.raises(UnsafeFile, match="larger than"):
        read_file(big, cap=1000)


def test_discover_does_not_follow_linked_folders(tmp_path):
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "borrowed").symlink_to(subs.SOLUTIONS, target_is_directory=True)
    (sub / "deep").mkdir()
    d = sub / "deep"
    for i in range(12):
        d = d / f"d{i}"
    d.mkdir(parents=True)
    (d / "x.ipynb").write_text("{}")
    [s] = discover([sub])
    assert s.notebooks == []
    assert any("borrowed: a symbolic link, not followed" in n for n in s.skipped)
    assert any("nested more than" in n for n in s.skipped)


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                           ("utf-16", b""), ("utf-16-le", b""),
                                           ("utf-16-be", b""), ("utf-32", b"")])
def test_notebooks_in_any_unicode_encoding_are_read(encoding, bom):
    text = (subs.SOLUTIONS / "ex4_algorithm1.ipynb").read_text(encoding="utf-8")
    cells = decode_notebook(bom + text.encode(encoding), "ex4.ipynb")
    assert any(c.get("id") == "ex4-solution" for c in cells)


def test_decode_notebook_refuses_deep_and_broken_json():
    for raw, needle in [(b'{"a":' * 100 + b"1" + b"}" * 100, "nested"),
                        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
                        (b"\xff\xfe\x00\xd8", "not a text file"),
                        (b'{"cells": 3}', "no cells"), (b"[1, 2]", "no cells")]:
        with pytest.raises(UnsafeFile, match=needle):
            decode_notebook(raw, "x.ipynb")


@pytest.mark.parametrize("source, needle", [
    ("x = " + "-" * 100000 + "1", "nested too deeply"),
    ("x = " + "1+" * 100000 + "1", "nested too deeply"),
    ("x = " + "(" * 300 + ")" * 300, "too many nested parentheses"),
    ("x = 1\0", "null"),
    ("def f(:\n", "line 1"),
    ("x = 1\n" * 100000, "KiB of code"),
])
def test_parse_code_turns_every_failure_into_a_message(source, needle):
    tree, why = parse_code(source)
    if tree is not None and sys.version_info < (3, 11) and source.startswith("x = 1+1+"):
        # Python 3.10's parser builds this flat chain without recursing; what the grader does
        # with the tree (the scan walks it iteratively) must then cope with its depth.
        assert why == "" and static.scan(source, load_manifest()["ex1"]) == []
        return
    assert tree is None and needle in why, why


class _YieldingGarbage:
    """Cyclic garbage whose finalizer gives up the GIL and leaves new garbage behind: with
    the collector run at every allocation, a thread switch happens in the middle of building
    an AST, as load made it happen in a grading run on Python 3.11."""

    def __init__(self):
        self.me = self

    def __del__(self):
        time.sleep(0)
        _YieldingGarbage()


def _parse_from_two_threads(parse, seconds: float = 1.0, rounds: int = 2) -> list[str]:
    """SystemErrors met while two threads parse at different stack depths (the grader's
    workers parse cells and .npy headers from different frames)."""
    source = "x = " + "+".join(["(a[1]*b.c-d)"] * 50)
    errors: list[str] = []

    def at_depth(k, f):
        return f() if k == 0 else at_depth(k - 1, f)

    def work(k, stop):
        _YieldingGarbage()
        while time.monotonic() < stop and not errors:
            try:
                at_depth(k, lambda: parse(source))
            except SystemError as exc:
                errors.append(str(exc))

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    try:
        for _ in range(rounds):
            stop = time.monotonic() + seconds
            threads = [threading.Thread(target=work, args=(k, stop)) for k in (0, 5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                break
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    return errors


def test_parsing_from_many_threads_at_once():
    """CPython 3.11 shares the AST builder's depth counter between threads: two -j workers
    parsing at once gave honest submissions "grader error: SystemError: AST constructor
    recursion depth mismatch" (Debian 12's Python 3.11.2). Every parse in the grader holds
    one lock (bplib/grading/parsing.py); 3.10, 3.12 and 3.13 do not have the bug."""
    if sys.version_info[:2] == (3, 11):  # the provocation works: bare ast.parse fails
        assert _parse_from_two_threads(ast.parse), "the race was not provoked"
    assert _parse_from_two_threads(parsing.parse) == []
    assert _parse_from_two_threads(lambda s: parse_code(s)[0]) == []


def test_every_parse_in_the_grader_holds_the_lock():
    """No module of the grader calls ast.parse / ast.literal_eval / compile(..., ONLY_AST) or
    3.11's traceback formatting (which parses) itself (the worker and the self-check run in a
    process of their own, one thread)."""
    root = Path(parsing.__file__).parent
    for path in sorted(root.glob("*.py")):
        if path.name == "parsing.py":
            continue
        text = path.read_text()
        for call in ("ast.parse(", "ast.literal_eval(", "PyCF_ONLY_AST", "traceback.format_exc("):
            assert call not in text, f"{path.name} calls {call} without parsing.AST_LOCK"


def test_ids_come_from_the_path(tmp_path):
    subs_dir = tmp_path / "submitted"
    a = subs.build(subs_dir / "alice" / "ps1")
    b = subs.build(tmp_path / "bob\nsmith")
    c = tmp_path / "carol.ipynb"
    c.write_bytes((subs.SOLUTIONS / "ex2_softmax_delta.ipynb").read_bytes())
    found = {s.id: s for s in discover([a, b, c, a])}  # the same folder twice: once
    assert set(found) == {"alice", "bob?smith", "carol.ipynb"}
    assert found["alice"].student == "alice"


# --- the workspace, uids and cleanup ------------------------------------------------------------
def test_workspace_is_private_and_refuses_a_foreign_base(tmp_path):
    with sandbox.Workspace(tmp_path) as w:
        st = os.lstat(w.base)
        assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o711
        job = w.new_job()
        assert stat.S_IMODE(os.lstat(job).st_mode) == 0o700 and len(job.name) == 32
    assert not w.run.exists()
    other = tmp_path / "other"
    other.mkdir()
    base = other / f"bplib-grade-{os.geteuid()}"
    base.mkdir(mode=0o777)
    os.chmod(base, 0o777)
    with pytest.raises(sandbox.WorkspaceError, match="not a private folder"):
        sandbox.Workspace(other)
    base.rmdir()
    base.symlink_to(tmp_path)
    with pytest.raises(sandbox.WorkspaceError, match="not a private folder"):
        sandbox.Workspace(other)


@pytest.mark.skipif(os.geteuid() != 0, reason="per-job uids are used when grading as root")
def test_each_job_gets_its_own_unused_uid_and_kill_uid_reaches_every_process(tmp_path):
    with sandbox.Workspace(tmp_path) as w:
        uids = [w.claim_uid()[0] for _ in range(20)]
        assert len(set(uids)) == 20 and all(u in sandbox.WORKER_UIDS for u in uids)
        assert len(list(w.base.glob("uid-*.lock"))) == 20
        uid = uids[0]
        # a process of that uid that left its session and process group
        p = subprocess.Popen(["/bin/sleep", "600"], user=uid, group=uid, extra_groups=[],
                             start_new_session=True, cwd="/")
        try:
            time.sleep(0.1)
            assert p.pid in sandbox._processes_of(uid)
            assert sandbox.kill_uid(uid)
            assert p.wait(timeout=10) == -9
        finally:
            p.kill()
        for u in uids:
            w.release_uid(u)
        assert not list(w.base.glob("uid-*.lock"))


def test_seccomp_program_is_valid_bpf_for_known_architectures():
    for machine in ("x86_64", "aarch64"):
        prog = sandbox.seccomp_program(machine)
        assert prog and len(prog) % 8 == 0 and len(prog) // 8 < 256
    assert sandbox.seccomp_program("mips") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a root grader")
def test_no_sandbox_grading_works_when_the_interpreter_is_closed_to_the_job_uid(tmp_path):
    """Outside the sandbox the worker imports what a cell may use before it switches uid, so
    honest work is graded even when the interpreter lives in a folder only root can enter
    (e.g. /root/.pyenv, or a clone under a mode-0700 folder)."""
    from bplib.grading import cli

    sub = subs.build(tmp_path / "honest")
    book = tmp_path / "gb.csv"
    assert cli.main([str(sub), "-o", str(book), "--no-sandbox", "--no-progress"]) == 0
    full = sum(e.points for e in EX.values())
    assert book.read_text().splitlines()[1].split(",")[-3] == f"{full:g}"
