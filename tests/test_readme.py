"""The README's Python example runs as printed, and its stated numbers hold."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no ```python example"
    for code in blocks:
        exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("371 "), "dim(theta) of 2-16-16-3 printed by the README example"
    assert "PASS" in out


# -- the ways in, and the promises about them ---------------------------------------------
import shlex  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

ROOT = README.parent
TEXT = README.read_text()


def section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", TEXT, re.S | re.M)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def test_student_section_starts_with_the_site_then_lab_then_conda():
    students = section("For students: three ways in")
    heads = re.findall(r"^### (.+)$", students, re.M)
    assert [h.split(".")[0] for h in heads] == ["1", "2", "3"], heads
    assert "browser" in heads[0] and "JupyterLab" in heads[1] and "conda" in heads[2]
    assert TEXT.index("## For students") < TEXT.index("## Conventions")


def test_supported_pythons_are_the_ones_ci_tests():
    text = section("Supported Pythons")
    promised = re.search(r"^Python ([\d., and]+)\.", text, re.M).group(1)
    versions = re.findall(r"3\.\d+", promised)
    assert versions == ["3.10", "3.11", "3.12", "3.13"], versions
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={versions[0]}"
    ci = (ROOT / ".ci" / "run").read_text()
    light = re.search(r"^for v in ([\d. ]+); do$", ci, re.M).group(1).split()
    assert light == [versions[0], versions[-1]], "CI's light pass: the oldest and the newest"
    assert f"on {versions[0]} and on {versions[-1]}" in text
    assert "3.12" in text and "Pyodide" in text  # the site's Python, run by test_site.py
    assert "On a machine with Python 3.10 to 3.13" in TEXT


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("args, expected", [
    (["site"], ["site/build.py", "--out", "build/site"]),
    (["site", "PYODIDE_DIST=/srv/pyodide"], ["--pyodide-dist", "/srv/pyodide"]),
    (["site-serve"], ["site/serve.py", "build/site"]),
])
def test_site_commands_do_what_the_readme_says(args, expected):
    out = subprocess.run(["make", "-n", "-s", "-o", ".venv/.installed", *args], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    argv = shlex.split(out[-1])
    assert all(a in argv for a in expected), argv
    assert f"make {' '.join(args)}".split(" PYODIDE")[0] in TEXT


def test_site_serve_default_is_the_url_in_the_readme():
    assert "http://127.0.0.1:8000/" in TEXT
    assert 'default=8000' in (ROOT / "site" / "serve.py").read_text()


def test_hub_links_point_at_the_index():
    hub = section("For instructors")
    puller = re.search(r"https://<your-hub>/hub/user-redirect/git-pull\?(.+)$", hub, re.M).group(1)
    params = dict(p.split("=", 1) for p in puller.split("&"))
    assert set(params) == {"repo", "branch", "urlpath"}
    prefix = "lab/tree/<repository folder>/"
    assert params["urlpath"].startswith(prefix)
    assert (ROOT / params["urlpath"][len(prefix):]).is_file()
    binder = re.search(r"https://mybinder\.org/v2/gh/<owner>/<repo>/HEAD\?urlpath=lab/tree/(\S+)`",
                       hub).group(1)
    assert (ROOT / binder).is_file()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda activate " + env["name"] in TEXT


def test_notebook_table_lists_every_notebook_and_exercises_are_counted():
    """The README's notebook table has one row per notebook in notebooks/ (by number), and
    the number of exercises it names is the number handed out."""
    import re

    listed = set(re.findall(r"^\| (\d\d) \|", TEXT, flags=re.M))
    stored = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert listed == stored, f"README table {sorted(listed)} vs notebooks/ {sorted(stored)}"
    words = {10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen"}
    n = len(list((ROOT / "exercises").glob("ex*.ipynb")))
    assert f"({words.get(n, n)})" in TEXT, f"README should say there are {n} exercises"
