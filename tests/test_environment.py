"""pyproject.toml and environment.yml list the same dependencies with the same lower bounds."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name where they differ (the GPU extra is documented, not listed).
CONDA_NAME = {"cupy-cuda12x": None}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
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


def test_conda_env_installs_the_package_and_python_bound_matches():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"python{requires}" in env["dependencies"]


def test_drift_is_detected(tmp_path, monkeypatch):
    """The comparison above really fails on a drifted file (guards against a vacuous test)."""
    text = (ROOT / "environment.yml").read_text().replace("  - tqdm>=4.65\n", "")
    fake = tmp_path / "environment.yml"
    fake.write_text(text)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert "tqdm" in set(pyproject_requirements()) - set(conda_requirements())
