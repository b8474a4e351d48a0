"""environment.yml (conda, Binder/repo2docker) builds what pyproject.toml describes.

- both list the same dependencies with the same lower bounds;
- the `pip:` section is run exactly as conda runs it (`pip install -U -r <file>` from the
  folder of environment.yml), as a dry run that may use nothing but what is installed here:
  every line must be a valid requirements-file line, and with the conda-listed packages
  present pip must have nothing to add but bplib itself.

conda itself is not run here (no conda channel is reachable from CI); what conda does with the
`pip:` section is what these tests reproduce.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name where they differ (the GPU extra is documented, not listed).
CONDA_NAME = {"cupy-cuda12x": None}


def _split(req: str) -> tuple[str, str]:
    """(name, version bound) of a requirement; an environment marker is dropped (conda lists
    the package unconditionally: e.g. tomli, needed before Python 3.11, harms none after)."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*([^;]*)", req)
    assert m, f"cannot parse requirement {req!r}"
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for items in project["optional-dependencies"].values():
        reqs += [r for r in items if CONDA_NAME.get(_split(r)[0], "") is not None]
    out = {}
    for r in reqs:
        name, spec = _split(r)
        out[CONDA_NAME.get(name) or name] = spec
    return out


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _split(dep)
            if name not in ("python", "pip"):
                out[name] = spec
    return out


def test_same_packages_and_bounds():
    py, conda = pyproject_requirements(), conda_requirements()
    assert sorted(py) == sorted(conda), (
        f"only in pyproject: {sorted(set(py) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(py))}"
    )
    differing = {k: (py[k], conda[k]) for k in py if py[k] != conda[k]}
    assert not differing, f"version bounds differ (pyproject, environment.yml): {differing}"


def pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    (section,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return section


def test_conda_env_installs_the_package_and_python_bound_matches():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert pip_section() == ["-e ."], "the pip section installs bplib alone (deps from conda)"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"python{requires}" in env["dependencies"]


def run_pip_section_as_conda_does(lines: list[str], tmp_path: Path, root: Path = ROOT):
    """conda env create/update: the pip lines go to a requirements file and
    `python -m pip install -U -r <file>` runs from environment.yml's folder (``root``: a copy
    of the project, so pip's egg-info is not written into the checkout). Here as a dry run
    (--dry-run --report), with no index and no build isolation: offline and fast."""
    req = tmp_path / "condaenv.requirements.txt"
    req.write_text("\n".join(lines) + "\n")
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-U", "-r", str(req),
                           "--dry-run", "--report", str(report), "--no-index",
                           "--no-build-isolation", "--quiet", "--disable-pip-version-check"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    return proc, (json.loads(report.read_text()) if report.exists() else None)


def test_pip_section_runs_as_conda_runs_it(tmp_path, project_copy):
    proc, report = run_pip_section_as_conda_does(pip_section(), tmp_path, project_copy)
    assert proc.returncode == 0, f"pip install -U -r <pip section> failed:\n{proc.stderr}"
    installs = sorted(item["metadata"]["name"] for item in report["install"])
    # With every dependency already installed (as conda installs them), pip adds bplib only.
    assert installs == ["bplib"], installs
    (item,) = report["install"]
    requires = {_split(r)[0] for r in item["metadata"].get("requires_dist", [])
                if "extra ==" not in r}
    assert requires == {_split(r)[0] for r in tomllib.loads(
        (ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}


def test_pip_section_check_catches_an_option_conda_cannot_pass(tmp_path, project_copy):
    """The old `--no-deps` line fails the same way under this test as under conda."""
    proc, _ = run_pip_section_as_conda_does(["--no-deps", "-e ."], tmp_path, project_copy)
    assert proc.returncode != 0 and "no such option: --no-deps" in proc.stderr


def test_drift_is_detected(tmp_path, monkeypatch):
    """The comparison above really fails on a drifted file (guards against a vacuous test)."""
    text = (ROOT / "environment.yml").read_text().replace("  - tqdm>=4.65\n", "")
    fake = tmp_path / "environment.yml"
    fake.write_text(text)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert "tqdm" in set(pyproject_requirements()) - set(conda_requirements())
