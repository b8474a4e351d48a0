"""Shared fixtures: every engine test that takes ``xp`` runs once per backend.

CuPy cases are skipped, with the reason shown in the summary (pytest -ra), on machines
without CuPy or without a CUDA device, so the one test command stays green there.
"""

from __future__ import annotations

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
