"""Shared fixtures: every engine test that takes ``xp`` runs once per backend.

CuPy cases are skipped, with the reason shown in the summary (pytest -ra), on machines
without CuPy or without a CUDA device, so the one test command stays green there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bplib.backend import cupy_available


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request):
    """The array module under test: numpy, or cupy when a CUDA device is usable."""
    if request.param == "numpy":
        return np
    ok, reason = cupy_available()
    if not ok:
        pytest.skip(f"CuPy backend not tested here: {reason}")
    import cupy

    return cupy


@pytest.fixture
def backend(xp):
    """The backend name matching ``xp`` ('numpy' or 'cupy')."""
    return "cupy" if xp.__name__.startswith("cupy") else "numpy"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def project_copy(tmp_path):
    """A copy of what building bplib reads (pyproject, README, LICENSE, CHANGELOG, bplib/), so
    a test that builds or installs it leaves no build/ or egg-info in the checkout, and
    several runs of the suite at once (CI's light passes) never share those folders."""
    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "src"
    shutil.copytree(root / "bplib", src / "bplib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for f in root.iterdir():
        if f.is_file() and (f.name in ("pyproject.toml", "README.md", "environment.yml")
                            or f.name.startswith(("LICENSE", "CHANGELOG"))):
            shutil.copy2(f, src / f.name)
    return src
