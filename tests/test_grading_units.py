"""The grader's parts: generating exercises/ from solutions/, the solutions' own test cells,
the self-check (one source of cases with the grader, the same rules and diagnoses), the
static scan, reading notebooks, judging answers and saying what differs."""

from __future__ import annotations

import json
import linecache
import re
import shutil
import subprocess
import sys

import grading_submissions as subs
import nbformat
import numpy as np
import pytest

from bplib.grading import generate, selfcheck
from bplib.grading.cases import CLASSES, OVERFLOW, PUBLIC_SEED, make_cases, rerun_line
from bplib.grading.judge import changed_argument, fmt_num, fmt_pair, judge, structure_error
from bplib.grading.manifest import load_manifest
from bplib.grading.notebooks import discover, read_submission
from bplib.grading.static import scan
from bplib.grading.worker import count_steps

EX = load_manifest()
ROOT = subs.ROOT


def _cell(ex_id: str, source=subs.SOLUTIONS) -> str:
    nb = nbformat.read(source / EX[ex_id].notebook, as_version=4)
    return next(c.source for c in nb.cells if c.id == EX[ex_id].cell)


# --- one source ------------------------------------------------------------------------------
def test_exercises_are_up_to_date_with_solutions():
    assert generate.main(["--check"]) == 0


def test_check_fails_when_exercises_are_stale(tmp_path, capsys):
    sol = subs.build(tmp_path / "solutions", {"ex3": subs.replace("for C = ||g - y||^2.",
                                                                   "for C = ||g - y||^2 (!)")})
    assert generate.main(["--check", "--solutions", str(sol),
                          "--exercises", str(subs.EXERCISES)]) == 1
    assert "ex3_regression_delta.ipynb" in capsys.readouterr().err
    out = tmp_path / "exercises"
    assert generate.main(["--solutions", str(sol), "--exercises", str(out)]) == 0
    assert generate.main(["--check", "--solutions", str(sol), "--exercises", str(out)]) == 0


def test_generated_exercises_hide_solutions_and_hidden_tests():
    for ex in EX.values():
        text = (subs.EXERCISES / ex.notebook).read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
            assert marker not in text, (ex.notebook, marker)
        nb = nbformat.read(subs.EXERCISES / ex.notebook, as_version=4)
        assert nb.metadata.kernelspec.name == "python3"
        cell = [c for c in nb.cells if c.id == ex.cell]
        assert len(cell) == 1 and cell[0].metadata.nbgrader.grade_id == ex.cell
        assert cell[0].source.startswith("# GRADED CELL")
        assert "raise NotImplementedError()" in cell[0].source
        assert all(f"def {name}(" in cell[0].source for name in ex.functions)
        assert any("selfcheck" in c.source and "NOT the official grade" in c.source
                   for c in nb.cells)
        if ex.written:
            answer = [c for c in nb.cells if c.id == ex.written.cell]
            assert len(answer) == 1 and answer[0].source == "YOUR ANSWER HERE"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_markup_errors_are_reported():
    with pytest.raises(generate.MarkupError, match="never closed"):
        generate.strip_code("x = 1\n### BEGIN SOLUTION\ny = 2\n", "cell")
    assert generate.strip_code("def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                               "    ### END SOLUTION\n", "c") == (
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")


def _run_cells(path, capsys) -> str:
    """Every code cell of a notebook, in order, in one namespace, as a kernel would run them
    (each cell's text registered for tracebacks, as IPython does)."""
    nb = nbformat.read(path, as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            name = f"<{path.name}:{cell.id}>"
            linecache.cache[name] = (len(cell.source), None, cell.source.splitlines(True), name)
            exec(compile(cell.source, name, "exec"), ns)
    return capsys.readouterr().out


@pytest.mark.parametrize("ex_id", list(EX))
def test_solution_notebooks_pass_their_own_tests_and_self_check(ex_id, capsys):
    """Every code cell of the solution notebook, in order, as nbgrader would run them: the
    self-check finds the graded cell, passes every case and reports the full score."""
    out = _run_cells(subs.SOLUTIONS / EX[ex_id].notebook, capsys)
    assert "FAILED" not in out and "NOT the official grade" in out, out
    assert "WOULD SCORE 0" not in out and "Note:" not in out, out
    assert f"would give {EX[ex_id].points:g} / {EX[ex_id].points:g}" in out, out


def test_nbgrader_points_match_the_manifest():
    for ex in EX.values():
        nb = nbformat.read(subs.SOLUTIONS / ex.notebook, as_version=4)
        pts = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade"))
        assert pts == ex.points + ex.written_points, ex.id
        graded = [c for c in nb.cells if c.id == ex.cell][0]
        assert f"exercise {ex.id[2:]} ({ex.points:g} points" in graded.source.splitlines()[0]


def test_exercise_readme_documents_every_function_and_points():
    text = (subs.EXERCISES / "README.md").read_text()
    auto = sum(e.points for e in EX.values())
    written = sum(e.written_points for e in EX.values())
    assert f"Total: {auto:g} points graded automatically, plus {written:g} graded by hand" in text
    for ex in EX.values():
        assert ex.notebook in text
        for name, spec in ex.functions.items():
            assert f"{name}({', '.join(spec['args'])})" in text, name
            row = next(line for line in text.splitlines()
                       if f"`{name}({', '.join(spec['args'])})`" in line)
            assert f"| {spec['points']:g} " in row, row
    assert "bplib-grade" not in text or "instructor" in text


def test_the_written_rubric_is_the_same_in_manifest_notebook_and_docs():
    docs = (ROOT / "docs" / "grading.md").read_text()
    for ex in EX.values():
        if not ex.written:
            continue
        nb = nbformat.read(subs.SOLUTIONS / ex.notebook, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert sum(p for p, _ in ex.written.rubric) == ex.written.points
        for points, criterion in ex.written.rubric:
            assert f"| {points:g} | {criterion} |" in text, criterion[:40]
            assert f"| {points:g} | {criterion} |" in docs, criterion[:40]


# --- the public cases are the grader's cases -------------------------------------------------
@pytest.mark.parametrize("ex_id", list(EX))
def test_public_cases_cover_every_class_of_case_the_grader_draws(ex_id):
    """The self-check's cases come from the grader's generator with the public seed. Over
    many grading seeds, every class of case the grader draws is among the public ones, and
    the classes are the ones documented for the exercise."""
    public = make_cases(ex_id, PUBLIC_SEED)
    public_classes = set().union(*(c.classes for c in public))
    for seed in range(12):
        drawn = make_cases(ex_id, 1000 + seed)
        assert [c.function for c in drawn] == [c.function for c in public]
        for c in drawn:
            assert c.classes, f"{c.name}: a case without a class"
            assert set(c.classes) <= public_classes, (c.name, set(c.classes) - public_classes)
    assert public_classes == CLASSES[ex_id]
    for fn in EX[ex_id].functions:  # every graded function is tested
        assert any(c.function == fn for c in public), fn


def _planted() -> dict[str, tuple[str, subs.Edit]]:
    out = {name: (bug.exercise, bug.edit) for name, bug in subs.BUGGY.items()}
    out.update({name: (ex, edit) for name, (ex, edit, _) in subs.FOUND.items()})
    return out


@pytest.mark.parametrize("name", sorted(_planted()))
def test_a_mistake_meets_the_same_verdicts_whatever_the_seed(name):
    """What makes the self-check predict the grade: every planted mistake passes and fails the
    same cases, with the same diagnoses, for the public seed and for grading seeds. (A case
    whose behaviour depended on the draw, say a random label that is sometimes 0, would let a
    label-0 mistake pass the self-check and fail the grader.)"""
    ex_id, edit = _planted()[name]
    source = edit(_cell(ex_id))
    with np.errstate(all="ignore"):
        patterns = {seed: [(o.passed, o.diagnosis) for o in
                           selfcheck.run(ex_id, source=source, seed=seed).outcomes]
                    for seed in (PUBLIC_SEED, 1, 2, 3, 20240917, 987654321)}
    public = patterns.pop(PUBLIC_SEED)
    for seed, pattern in patterns.items():
        assert pattern == public, (seed, [i for i, (a, b) in enumerate(zip(pattern, public,
                                                                            strict=True))
                                          if a != b])


def test_the_edge_cases_of_the_issue_are_public():
    classes = set().union(*CLASSES.values())
    for needed in ("large |z| ~ 1e3", "z exactly 0 under a ReLU", "label y = 0", "last label",
                   "one example (n = 1)", "one hidden unit", "no hidden layer",
                   "non-square layers"):
        assert needed in classes
    assert {"label y = 0", "last label"} <= CLASSES["ex2"]
    assert "z exactly 0 under a ReLU" in CLASSES["ex4"]
    assert "large |z| ~ 1e3" in CLASSES["ex2"]


def test_cases_are_drawn_from_the_seed():
    a, b, c = make_cases("ex5", 1), make_cases("ex5", 1), make_cases("ex5", 2)
    assert np.array_equal(a[0].args[3], b[0].args[3])
    assert not np.array_equal(a[0].args[3], c[0].args[3])
    assert {c.name.split(": ")[1] for c in a} >= {"one example n = 1, tanh",
                                                  "no hidden layer p = (4, 3), n = 5"}


def test_the_rerun_line_reproduces_the_inputs_exactly():
    for ex_id, index in (("ex4", 4), ("ex6", 0), ("ex12", 3)):
        case = make_cases(ex_id, 777)[index]
        line = rerun_line(ex_id, index, 777, case.function)
        captured = {}
        ns = {case.function: lambda *args, box=captured: box.setdefault("args", args)}
        exec(line, ns)
        for got, want in zip(captured["args"], case.args, strict=True):
            if isinstance(want, np.ndarray):
                assert np.array_equal(got, want)
            elif isinstance(want, list) and want and isinstance(want[-1], np.ndarray):
                assert all(np.array_equal(g, w) for g, w in zip(got[1:], want[1:], strict=True))
            elif callable(want):
                theta = np.linspace(-1, 1, len(case.args[1]))
                assert got(theta) == want(theta)
            else:
                assert got == want


# --- judging and what the student reads --------------------------------------------------------
def test_judge_is_strict_about_shape_type_and_finiteness():
    case = make_cases("ex3", 0)[0]
    good = case.expected
    assert judge(case, good).passed
    assert "shape" in judge(case, good[:, None]).message  # (p, 1) is not (p,)
    assert "expected a NumPy array" in judge(case, list(good)).message
    assert "nan" in judge(case, np.full_like(good, np.nan)).message
    assert not judge(case, good + 1e-3).passed
    big = [c for c in make_cases("ex2", 0) if c.large_z][0]
    assert judge(big, np.full_like(big.expected, np.nan)).diagnosis == OVERFLOW


def test_messages_use_the_statements_names_and_explain_a_missing_none():
    case = make_cases("ex4", 3)[0]
    dW, db = case.expected
    msg = judge(case, [dW[1:], db[1:]]).message  # forgot W[0] = None
    assert msg.startswith("dW: expected 3 items, got 2") and "dW[0] = None" in msg, msg
    bad = [[None, dW[1] + 1.0, dW[2]], db]
    msg = judge(case, bad).message
    assert msg.startswith("dW[1]: ") and "result[" not in msg, msg
    assert re.search(r"at dW\[1\]\[\d, \d\]: got ", msg), msg
    theta = make_cases("ex1", 3)[3]  # pack_theta
    assert judge(theta, theta.expected[:-1]).message.startswith("theta: expected shape")


def test_numbers_show_the_digits_that_differ_and_never_minus_zero():
    assert fmt_pair(-2.53341, -2.5334) == "got -2.533410, expected -2.533400, difference 1.0e-05"
    assert fmt_pair(1.0000000001, 1.0) == (
        "got 1.0000000001, expected 1.0000000000, difference 1.0e-10")
    assert fmt_num(-0.0) == "0" and fmt_num(-1e-20) == "-1e-20"
    assert fmt_pair(-0.0, 1e-3).startswith("got 0, expected 0.001000000,")
    assert structure_error([1.0], [None, 1.0], "db").endswith("db[l] belongs to layer l = 1..1")


def test_a_changed_argument_is_reported_with_where_and_by_how_much():
    a = np.array([1.0, 2.0, 3.0])
    assert changed_argument(a, a.copy(), "theta") is None
    b = a.copy()
    b[1] += 1e-16 * 4
    msg = changed_argument(a, b, "theta")
    assert "theta[1]" in msg and "1 of 3 entries" in msg
    assert changed_argument([None, a], [None, a * 2], "W").startswith("W[1] was changed")
    case = next(c for c in make_cases("ex6", 0) if c.function == "central_diff")
    v = judge(case, case.expected, [case.args[1] + 1.0])
    assert not v.passed and "changed theta for the caller" in v.diagnosis


def test_counting_python_steps_tells_a_loop_over_the_examples_from_a_batch():
    def batched(X):
        return np.tanh(X).sum(axis=0)

    def looped(X):
        return sum(np.tanh(x) for x in X)

    small, large = np.ones((2, 3)), np.ones((66, 3))
    assert count_steps(batched, [small])[1] == count_steps(batched, [large])[1]
    assert count_steps(looped, [large])[1] - count_steps(looped, [small])[1] >= 64
    before = sys.gettrace()
    count_steps(batched, [small])
    assert sys.gettrace() is before


# --- self-check --------------------------------------------------------------------------------
def _as_kernel_cell(source: str, name: str = "<ipython-cell-1>", ns: dict | None = None
                    ) -> dict:
    """Run ``source`` as a notebook cell in the kernel's namespace ``ns``: registered in
    linecache, as IPython does."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    ns = {} if ns is None else ns
    exec(compile(source, name, "exec"), ns)
    return ns


def test_selfcheck_passes_solutions_and_flags_mistakes(capsys):
    for ex_id in EX:
        report = selfcheck.run(ex_id, source=_cell(ex_id))
        assert report.passed and report.score == EX[ex_id].points, (ex_id, report)
    src = subs.BUGGY["ex4_missing_dS"].edit(_cell("ex4"))
    ns = _as_kernel_cell(src, "<ipython-ex4-missing-dS>")
    selfcheck.check("ex4", ns["backprop_example"])
    out = capsys.readouterr().out
    assert "FAILED" in out and "missing S'(z) factor" in out and "NOT the official grade" in out
    assert "re-run it: backprop_example(*inputs('ex4', 0))" in out
    with pytest.raises(TypeError, match="count_params, pack_theta, unpack_theta"):
        selfcheck.check("ex1", ns["backprop_example"])


def test_selfcheck_says_before_grading_that_an_import_would_score_zero(capsys):
    src = _cell("ex2").replace("    e = np.exp(z - np.max(z))\n    return e / e.sum()\n",
                               "    from bplib.activations import softmax\n"
                               "    return softmax(z)\n")
    ns = _as_kernel_cell(src, "<ipython-ex2-softmax>")
    selfcheck.check("ex2", ns["stable_softmax"], ns["delta_softmax_ce"], ns["delta_reduced_ce"])
    out = capsys.readouterr().out
    line = src.splitlines().index("    from bplib.activations import softmax") + 1
    assert "THIS CELL WOULD SCORE 0" in out and f"line {line}: imports from `bplib." in out, out
    assert "grader would give 0 / 8" in out


def test_selfcheck_runs_the_cell_alone_like_the_grader(capsys):
    src = _cell("ex3").replace("import numpy as np\nfrom bplib.activations import ACTIVATIONS\n",
                               "from bplib.activations import ACTIVATIONS\n")
    src = src.replace("return S.dS(z) * 2.0 * (g - y)", "return S.dS(z) * np.multiply(2.0, g - y)")
    assert "import numpy" not in src
    kernel = _as_kernel_cell(src, "<ipython-ex3-np-elsewhere>", {"np": np})  # another cell's np
    assert kernel["delta_squared_error"](np.zeros(2), np.ones(2), "identity").shape == (2,)
    selfcheck.check("ex3", kernel["delta_squared_error"])
    out = capsys.readouterr().out
    assert "when run on its own, the cell" not in out  # the cell itself is fine...
    assert "raised NameError: name 'np' is not defined" in out  # ...but needs np at call time
    assert "the graded cell runs on its own" in out and "would give 0 / 6" in out


def test_selfcheck_notes_code_outside_the_graded_cell(capsys):
    ns = _as_kernel_cell("def count_params(p):\n    return 0\n", "<ipython-scratch>")
    ns2 = _as_kernel_cell(_cell("ex1"), "<ipython-graded-ex1>")
    selfcheck.check("ex1", ns["count_params"], ns2["pack_theta"], ns2["unpack_theta"])
    out = capsys.readouterr().out
    assert "different cells" in out


def test_selfcheck_imports_nothing_the_browser_python_lacks():
    """The self-check runs in the student's kernel, also in the browser (Pyodide, which has no
    resource, fcntl or pwd module and cannot start processes): importing and running it must
    not need them, nor the sandbox, the runner or the grader's command line, and must not
    import subprocess beyond what bplib itself imports."""
    code = (
        "import sys\n"
        "import bplib\n"
        "before = set(sys.modules)\n"
        "for m in ['resource', 'fcntl', 'pwd', 'termios', 'bplib.grading.sandbox',\n"
        "          'bplib.grading.runner', 'bplib.grading.cli']:\n"
        "    sys.modules[m] = None\n"
        "from bplib.grading import selfcheck\n"
        f"src = {_cell('ex5')!r}\n"
        "r = selfcheck.run('ex5', source=src)\n"
        "assert r.passed, r\n"
        "new = set(sys.modules) - before\n"
        "assert not {'subprocess', 'selectors', 'threading'} & new, new\n"
        "print('ok', len(r.outcomes))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert res.returncode == 0 and res.stdout.startswith("ok"), res.stderr[-2000:]


def test_nbgrader_test_cells_show_one_line_and_still_fail():
    for exc, kind, needle in ((NotImplementedError(), selfcheck.NotAnsweredYet,
                               "not answered yet"),
                              (NameError("name 'f' is not defined"), selfcheck.NotAnsweredYet,
                               "Run the graded cell first"),
                              (AssertionError("shape"), selfcheck.TestFailed, "a test of this "
                                                                              "cell failed: shape"),
                              (ValueError("bad"), selfcheck.TestFailed, "raised ValueError")):
        with pytest.raises(kind) as info:
            with selfcheck.nbgrader_tests("ex4"):
                raise exc
        lines = info.value._render_traceback_()
        assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("ex4: ")
        assert info.value.__suppress_context__


def test_nbgrader_test_cells_in_a_real_kernel(tmp_path):
    """The blank exercise run top to bottom in a kernel: its nbgrader test cell ends in an
    error (so nbgrader's autograde, which fails a grade cell with an error output, fails it)
    whose traceback is the one-line message; the solution's test cell has no error."""
    from nbclient import NotebookClient

    for source, expect_error in ((subs.EXERCISES, True), (subs.SOLUTIONS, False)):
        nb = nbformat.read(source / EX["ex1"].notebook, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        cell = next(c for c in nb.cells if c.id == "ex1-tests")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if expect_error:
            assert len(errors) == 1, cell.outputs
            tb = "\n".join(errors[0].traceback)
            assert "not answered yet" in tb and "Traceback" not in tb and "File " not in tb, tb
        else:
            assert not errors, errors
            check = next(c for c in nb.cells if c.id == "ex1-selfcheck")
            out = "".join(o.get("text", "") for o in check.outputs)
            # in a real kernel the self-check finds the graded cell's text and checks it
            assert "would give 6 / 6" in out and "Note:" not in out, out


# --- static scan -----------------------------------------------------------------------------
@pytest.mark.parametrize("ex_id, code, needle", [
    ("ex4", "from bplib import algorithm1", "algorithm1"),
    ("ex4", "import bplib\nf = bplib.backprop.algorithm2_batched", "algorithm2_batched"),
    ("ex5", "import scipy", "imports `scipy`"),
    ("ex4", "get_ipython().input_transformers_post.append(None)", "get_ipython"),
    ("ex1", "x = ().__class__.__base__.__subclasses__()", "dunder"),
    ("ex2", "import os\nos._exit(0)", "imports `os`"),
    ("ex3", "from bplib.activations import softmax", "allows only ACTIVATIONS"),
    ("ex6", "exec('1')", "`exec`"),
    ("ex2", "from bplib.activations import softmax", "may import only"),
    ("ex7", "from bplib.plots import saturation", "may import only"),
    ("ex7", "import bplib\nnet = bplib.Network.init([2, 2])", "Network"),
    ("ex12", "from bplib.autodiff import Value", "may import only"),
    ("ex10", "import bplib.losses", "imports `bplib.losses`"),
])
def test_static_scan_flags_forbidden_code(ex_id, code, needle):
    found = scan(code, EX[ex_id])
    assert any(needle in v for v in found), found


def test_the_activation_helpers_are_allowed_where_activations_are():
    src = ("from bplib.activations import ACTIVATIONS, drelu, dtanh, dlogistic, relu\n"
           "def f(z):\n    return drelu(z) + dtanh(z) + dlogistic(z) + relu(z)\n")
    for ex_id in ("ex3", "ex4", "ex5", "ex7", "ex8", "ex9", "ex11"):
        assert scan(src, EX[ex_id]) == [], ex_id


def test_static_scan_allows_local_names_that_shadow_forbidden_ones():
    src = ("import numpy as np\nfrom bplib.activations import ACTIVATIONS\n"
           "def delta_squared_error(z, y, activation):\n    delta_L = z\n    return delta_L\n")
    assert scan(src, EX["ex3"]) == []
    assert scan("def unpack_theta(theta, p):\n    return theta, p\n", EX["ex1"]) == []
    for ex_id in EX:  # every solution is clean
        assert scan(_cell(ex_id), EX[ex_id]) == [], ex_id


# --- reading notebooks -----------------------------------------------------------------------
def _edit_cells(tmp_path, op, name="ex4_algorithm1.ipynb"):
    def ops(nbs):
        op(nbs[name])
    sub = subs.build(tmp_path / "s", notebook_ops=ops)
    return read_submission(discover([sub])[0], EX)


def _index(nb, cell_id):
    return next(i for i, c in enumerate(nb.cells) if c.id == cell_id)


def test_missing_cell_is_reported_for_that_exercise_only(tmp_path):
    res = _edit_cells(tmp_path, lambda nb: nb.cells.pop(_index(nb, "ex4-solution")))
    assert res.cells["ex4"].status == "missing cell"
    assert "ex4_algorithm1.ipynb" in res.cells["ex4"].message
    assert all(res.cells[e].status == "ok" for e in EX if e != "ex4")


def test_a_missing_written_answer_is_its_own_problem(tmp_path):
    res = _edit_cells(tmp_path, lambda nb: nb.cells.pop(_index(nb, "ex7-answer")),
                      "ex7_saturation.ipynb")
    assert res.cells["ex7"].status == "ok" and res.written["ex7"].status == "missing cell"


def test_duplicated_cell_with_different_code_is_not_graded(tmp_path):
    def dup(nb):
        copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[_index(nb, "ex4-solution")])))
        copy.id = "copied-cell"
        copy.source += "\n# changed"
        nb.cells.append(copy)
    res = _edit_cells(tmp_path, dup)
    assert res.cells["ex4"].status == "duplicate cell" and "2 times" in res.cells["ex4"].message


def test_identical_duplicate_and_lost_metadata_are_graded_with_a_note(tmp_path):
    def dup(nb):
        nb.cells.append(nbformat.from_dict(json.loads(json.dumps(
            nb.cells[_index(nb, "ex4-solution")]))))
    res = _edit_cells(tmp_path, dup)
    assert res.cells["ex4"].status == "ok" and "same code" in res.cells["ex4"].message

    def lose(nb):
        i = _index(nb, "ex4-solution")
        nb.cells[i].metadata = {}
        nb.cells[i].id = "abc123"
    res = _edit_cells(tmp_path / "b", lose)
    assert res.cells["ex4"].status == "ok" and "metadata is missing" in res.cells["ex4"].message


def test_mangled_cell_is_reported(tmp_path):
    def to_markdown(nb):
        cell = nb.cells[_index(nb, "ex4-solution")]
        cell.cell_type = "markdown"
        del cell["outputs"], cell["execution_count"]
    res = _edit_cells(tmp_path, to_markdown)
    assert res.cells["ex4"].status == "mangled cell" and "code cell" in res.cells["ex4"].message

    def syntax(nb):
        nb.cells[_index(nb, "ex4-solution")].source += "\ndef broken(:\n"
    res = _edit_cells(tmp_path / "b", syntax)
    assert res.cells["ex4"].status == "mangled cell" and "not valid Python" in \
        res.cells["ex4"].message


def test_single_notebook_file_is_a_submission(tmp_path):
    shutil.copy(subs.SOLUTIONS / "ex2_softmax_delta.ipynb", tmp_path / "alice.ipynb")
    res = read_submission(discover([tmp_path / "alice.ipynb"])[0], EX)
    assert res.cells["ex2"].status == "ok" and res.cells["ex4"].status == "missing cell"


def test_gradebook_creates_the_output_folder(tmp_path):
    """`-o grades/gradebook.csv` works when grades/ does not exist yet (the README's command)."""
    from bplib.grading.gradebook import Gradebook

    book = Gradebook(tmp_path / "grades" / "gradebook.csv", load_manifest(), seed=3)
    assert book.seed == 3 and (tmp_path / "grades" / "gradebook.csv").exists()
    header = (tmp_path / "grades" / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == ["submission", *EX, "ex7 written", "total", "status", "seed"]


# --- the exercises' statements ------------------------------------------------------------------
def test_exercise_texts_follow_the_course_conventions():
    """Labels are units y + 1, the reduced model removes a node (no 'z_0' for its logit), theta
    is W_l row by row (never called vec), the mean gradient is d ell_tau."""
    for ex in EX.values():
        nb = nbformat.read(subs.SOLUTIONS / ex.notebook, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for wrong in ("g - e_y$", "e_y)", "-\\ln g_y ", "-log g_y", "z_0 = 0", "fixed logit"):
            assert wrong not in text, (ex.id, wrong)
        assert "unit $y + 1$" in text or "y + 1" in text, ex.id
    ex1 = "\n".join(c.source for c in nbformat.read(subs.SOLUTIONS / "ex1_theta.ipynb",
                                                      as_version=4).cells)
    assert "row by row" in ex1 and "vec(W_1)" not in ex1
    ex5 = "\n".join(c.source for c in nbformat.read(subs.SOLUTIONS / "ex5_algorithm2.ipynb",
                                                      as_version=4).cells)
    assert "\\partial \\ell_\\tau / \\partial W_l" in ex5 and "dC/dW_l" not in ex5


def test_exercise_7_is_fully_specified_and_its_statement_network_has_8_hidden_layers():
    from bplib.grading.cases import EX7_P

    assert len(EX7_P) - 2 == 8 and EX7_P[0] == 16 and EX7_P[-1] == 10
    nb = nbformat.read(subs.SOLUTIONS / "ex7_saturation.ipynb", as_version=4)
    intro = nb.cells[0].source
    for needle in ("8 hidden layers of 32 units", "input width 16", "label $y = 3$", "seed 0",
                   "default_rng(seed)", "gain = 2", "b_l = 0", "shape $(L,)$",
                   "softmax output layer with cross-entropy"):
        assert needle in intro, needle
    assert "all of bplib" not in intro


def test_exercise_11_states_the_problem_the_grader_uses(capsys):
    from bplib.grading.cases import EX11_TARGET, training_problem

    nb = nbformat.read(subs.SOLUTIONS / "ex11_training_loop.ipynb", as_version=4)
    ns: dict = {}
    exec(next(c.source for c in nb.cells if c.id == "ex11-solution"), ns)
    exec(next(c.source for c in nb.cells if c.id == "ex11-problem"), ns)
    X, Y, W, b = training_problem()
    assert np.array_equal(ns["X"], X) and np.array_equal(ns["Y"], Y)
    assert all(np.array_equal(ns["W0"][l], W[l]) for l in (1, 2))
    assert ns["losses"][-1] < EX11_TARGET and f"below **{EX11_TARGET:g}**" in nb.cells[0].source
    capsys.readouterr()


def test_exercise_6_states_the_relative_error_a_correct_gradient_gets(capsys):
    out = _run_cells(subs.SOLUTIONS / "ex6_gradcheck.ipynb", capsys)
    err = float(re.search(r"relative error: (\S+)", out).group(1))
    assert 5e-11 < err < 1e-9  # the statement's measured range
    nb = nbformat.read(subs.SOLUTIONS / "ex6_gradcheck.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "1e-9..1e-7" not in text and "$10^{-10}$" in text
