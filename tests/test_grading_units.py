"""The grader's parts: generating exercises/ from solutions/, the solutions' own test cells,
the self-check, the static scan, reading notebooks, judging answers."""

from __future__ import annotations

import json
import shutil

import grading_submissions as subs
import nbformat
import numpy as np
import pytest

from bplib.grading import generate, selfcheck
from bplib.grading.cases import OVERFLOW, judge, make_cases
from bplib.grading.manifest import load_manifest
from bplib.grading.notebooks import discover, read_submission
from bplib.grading.static import scan

EX = load_manifest()


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
        if ex.manual:
            assert cell[0].source == "YOUR ANSWER HERE"
        else:
            assert "raise NotImplementedError()" in cell[0].source
            assert all(f"def {name}(" in cell[0].source for name in ex.functions)
            assert any("selfcheck" in c.source and "NOT the official grade" in c.source
                       for c in nb.cells)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_markup_errors_are_reported():
    with pytest.raises(generate.MarkupError, match="never closed"):
        generate.strip_code("x = 1\n### BEGIN SOLUTION\ny = 2\n", "cell")
    assert generate.strip_code("def f():\n    ### BEGIN SOLUTION\n    return 1\n"
                               "    ### END SOLUTION\n", "c") == (
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")


def test_solution_notebooks_pass_their_own_tests(capsys):
    """Every code cell of every solution notebook, in order, as nbgrader would run them."""
    for ex in EX.values():
        nb = nbformat.read(subs.SOLUTIONS / ex.notebook, as_version=4)
        ns: dict = {}
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"{ex.notebook}:{cell.id}", "exec"), ns)
        out = capsys.readouterr().out
        if not ex.manual:
            assert "FAILED" not in out and "NOT the official grade" in out, out


def test_nbgrader_points_match_the_manifest():
    for ex in EX.values():
        nb = nbformat.read(subs.SOLUTIONS / ex.notebook, as_version=4)
        pts = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade"))
        assert pts == ex.points, ex.id


def test_exercise_readme_documents_every_function_and_points():
    text = (subs.EXERCISES / "README.md").read_text()
    for ex in EX.values():
        assert ex.notebook in text
        for name, spec in ex.functions.items():
            assert f"{name}({', '.join(spec['args'])})" in text, name
    assert "bplib-grade" not in text or "instructor" in text


# --- self-check ------------------------------------------------------------------------------
def _solution_functions(ex_id: str) -> list:
    nb = nbformat.read(subs.SOLUTIONS / EX[ex_id].notebook, as_version=4)
    ns: dict = {}
    exec([c.source for c in nb.cells if c.id == EX[ex_id].cell][0], ns)
    return [ns[name] for name in EX[ex_id].functions]


def test_selfcheck_passes_solutions_and_flags_mistakes(capsys):
    for ex_id in (e for e in EX if not EX[e].manual):
        results = selfcheck.run(ex_id, *_solution_functions(ex_id))
        assert results and all(ok for _, ok, _ in results), results

    def no_dS(W, z, a, delta_L, S):
        L = len(W) - 1
        dW, db, d = [None] * (L + 1), [None] * (L + 1), delta_L
        for l in range(L, 0, -1):
            db[l], dW[l] = d, np.outer(d, a[l - 1])
            d = W[l].T @ d
        return dW, db

    selfcheck.check("ex4", no_dS)
    out = capsys.readouterr().out
    assert "FAILED" in out and "missing S'(z) factor" in out and "NOT the official grade" in out
    with pytest.raises(TypeError, match="count_params, pack_theta, unpack_theta"):
        selfcheck.check("ex1", no_dS)


# --- judging ---------------------------------------------------------------------------------
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


def test_cases_are_drawn_from_the_seed():
    a, b, c = make_cases("ex5", 1), make_cases("ex5", 1), make_cases("ex5", 2)
    assert np.array_equal(a[0].args[3], b[0].args[3])
    assert not np.array_equal(a[0].args[3], c[0].args[3])
    assert {c.name.split(": ")[1] for c in a} >= {"one example n = 1, tanh",
                                                  "no hidden layer p = (4, 3), n = 5"}


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
])
def test_static_scan_flags_forbidden_code(ex_id, code, needle):
    found = scan(code, EX[ex_id])
    assert any(needle in v for v in found), found


def test_static_scan_allows_local_names_that_shadow_forbidden_ones():
    src = ("import numpy as np\nfrom bplib.activations import ACTIVATIONS\n"
           "def delta_squared_error(z, y, activation):\n    delta_L = z\n    return delta_L\n")
    assert scan(src, EX["ex3"]) == []
    assert scan("def unpack_theta(theta, p):\n    return theta, p\n", EX["ex1"]) == []


# --- reading notebooks -----------------------------------------------------------------------
def _edit_cells(tmp_path, op):
    def ops(nbs):
        op(nbs["ex4_algorithm1.ipynb"])
    sub = subs.build(tmp_path / "s", notebook_ops=ops)
    return read_submission(discover([sub])[0], EX)


def test_missing_cell_is_reported_for_that_exercise_only(tmp_path):
    res = _edit_cells(tmp_path, lambda nb: nb.cells.pop(1))
    assert res.cells["ex4"].status == "missing cell"
    assert "ex4_algorithm1.ipynb" in res.cells["ex4"].message
    assert all(res.cells[e].status == "ok" for e in EX if e != "ex4")


def test_duplicated_cell_with_different_code_is_not_graded(tmp_path):
    def dup(nb):
        copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[1])))
        copy.id = "copied-cell"
        copy.source += "\n# changed"
        nb.cells.append(copy)
    res = _edit_cells(tmp_path, dup)
    assert res.cells["ex4"].status == "duplicate cell" and "2 times" in res.cells["ex4"].message


def test_identical_duplicate_and_lost_metadata_are_graded_with_a_note(tmp_path):
    def dup(nb):
        nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[1]))))
    res = _edit_cells(tmp_path, dup)
    assert res.cells["ex4"].status == "ok" and "same code" in res.cells["ex4"].message

    def lose(nb):
        nb.cells[1].metadata = {}
        nb.cells[1].id = "abc123"
    res = _edit_cells(tmp_path / "b", lose)
    assert res.cells["ex4"].status == "ok" and "metadata is missing" in res.cells["ex4"].message


def test_mangled_cell_is_reported(tmp_path):
    def to_markdown(nb):
        nb.cells[1].cell_type = "markdown"
        del nb.cells[1]["outputs"], nb.cells[1]["execution_count"]
    res = _edit_cells(tmp_path, to_markdown)
    assert res.cells["ex4"].status == "mangled cell" and "code cell" in res.cells["ex4"].message

    def syntax(nb):
        nb.cells[1].source += "\ndef broken(:\n"
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
    from bplib.grading.manifest import load_manifest

    book = Gradebook(tmp_path / "grades" / "gradebook.csv", load_manifest(), seed=3)
    assert book.seed == 3 and (tmp_path / "grades" / "gradebook.csv").exists()
