"""Array backends: NumPy always, CuPy when asked for and importable.

One code path serves both (the CuPy / array-API pattern): every engine function takes the
array module from its inputs with :func:`get_xp`, so ``W @ a`` runs on the device that holds
``W``. Data moves to the host only at the edges (plots, printing, metrics) via
:func:`to_numpy`.

The backend for *new* arrays is chosen, in order, by an explicit ``backend=`` argument,
the environment variable ``BPLIB_BACKEND`` (``numpy`` or ``cupy``), or NumPy.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

BACKENDS = ("numpy", "cupy")
ENV_VAR = "BPLIB_BACKEND"


class BackendUnavailable(RuntimeError):
    """Raised when a backend is asked for but cannot be used on this machine."""


def _import_cupy() -> ModuleType:
    """Import CuPy (any wheel: cupy-cuda12x, cupy-cuda13x, ...) and check for a device."""
    try:
        import cupy  # noqa: PLC0415  (optional dependency, imported only when asked for)
    except Exception as exc:  # ImportError, or a CUDA library error raised at import
        raise BackendUnavailable(
            "backend='cupy' was requested but CuPy cannot be imported "
            f"({type(exc).__name__}: {exc}). Install the extra with "
            "`pip install -e '.[gpu]'` (cupy-cuda12x) or the CuPy wheel matching your CUDA, "
            "or use backend='numpy'."
        ) from exc
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        raise BackendUnavailable(
            f"backend='cupy' was requested and CuPy imports, but no CUDA device is usable "
            f"({type(exc).__name__}: {exc}). Use backend='numpy' on this machine."
        ) from exc
    if n < 1:
        raise BackendUnavailable("backend='cupy' was requested but CUDA reports 0 devices.")
    return cupy


def cupy_available() -> tuple[bool, str]:
    """Return ``(True, '')`` when CuPy has a device, else ``(False, reason)``."""
    try:
        _import_cupy()
    except BackendUnavailable as exc:
        return False, str(exc)
    return True, ""


def available_backends() -> list[str]:
    """Names of the backends usable here, NumPy first."""
    return ["numpy"] + (["cupy"] if cupy_available()[0] else [])


def resolve_backend(backend: str | ModuleType | None = None) -> ModuleType:
    """Array module for ``backend`` (a name, a module, or None for $BPLIB_BACKEND / NumPy)."""
    if isinstance(backend, ModuleType):
        return backend
    name = backend if backend is not None else os.environ.get(ENV_VAR, "numpy")
    if not isinstance(name, str) or name.lower() not in BACKENDS:
        source = "backend" if backend is not None else f"${ENV_VAR}"
        raise ValueError(f"{source}: expected one of {BACKENDS}, got {name!r}")
    return np if name.lower() == "numpy" else _import_cupy()


def get_xp(*arrays: Any) -> ModuleType:
    """The array module (numpy or cupy) of the inputs; NumPy for lists and scalars."""
    for x in arrays:
        mod = type(x).__module__
        if mod.startswith("cupy"):
            import cupy  # noqa: PLC0415

            return cupy
    return np


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array to the host (for plots, printing and metrics); NumPy arrays pass through."""
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return np.asarray(x)


def backend_name(xp: ModuleType) -> str:
    """'numpy' or 'cupy'."""
    return "cupy" if xp.__name__.startswith("cupy") else "numpy"


def synchronize(xp: ModuleType) -> None:
    """Wait for queued device work (no-op on NumPy); call before reading a timer."""
    if backend_name(xp) == "cupy":
        xp.cuda.get_current_stream().synchronize()
