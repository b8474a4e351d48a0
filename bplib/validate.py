"""Input checks shared by the engine: each error names the argument, what was expected and
what came, and says what to do. Nothing is silently broadcast."""

from __future__ import annotations

from typing import Any

from .backend import get_xp

Array = Any


def check_float_array(name: str, x: Any, ndim: tuple[int, ...], width: int | None = None) -> Array:
    """Return ``x`` as an array after checking dtype (float), ndim, width and finiteness."""
    xp = get_xp(x)
    if isinstance(x, (list, tuple)):
        x = xp.asarray(x)
        if x.dtype.kind in "iub":
            x = x.astype("float64")
    if not hasattr(x, "dtype") or not hasattr(x, "ndim"):
        raise TypeError(f"{name}: expected a NumPy/CuPy array, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected a floating-point array (float32 or float64), got dtype {x.dtype}; "
            f"convert with {name}.astype(float)"
        )
    if x.ndim not in ndim:
        shapes = " or ".join({1: "(p,) for one example", 2: "(n, p) for a batch"}.get(d, f"{d}-D")
                             for d in ndim)
        raise ValueError(f"{name}: expected shape {shapes}, got shape {tuple(x.shape)}")
    if width is not None and x.shape[-1] != width:
        raise ValueError(
            f"{name}: expected {width} features per example (p_0 = {width}), "
            f"got shape {tuple(x.shape)} with {x.shape[-1]}"
        )
    if x.size and not bool(xp.isfinite(x).all()):
        bad = int((~xp.isfinite(x)).sum())
        raise ValueError(f"{name}: expected finite values, got {bad} nan/inf entries")
    return x


def check_labels(name: str, y: Any, n: int | None, c: int) -> Array:
    """Integer class labels in 0..c-1, one per example."""
    xp = get_xp(y)
    y = xp.asarray(y)
    if y.dtype.kind == "f":
        if y.size and not bool((y == xp.round(y)).all()):
            raise TypeError(f"{name}: expected integer class labels 0..{c - 1}, got non-integers")
        y = y.astype(xp.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class labels, got dtype {y.dtype}")
    expect_ndim = 0 if n is None else 1
    if y.ndim != expect_ndim or (n is not None and y.shape[0] != n):
        want = "a scalar label" if n is None else f"shape ({n},), one label per example"
        raise ValueError(f"{name}: expected {want}, got shape {tuple(y.shape)}")
    if y.size and (int(y.min()) < 0 or int(y.max()) >= c):
        raise ValueError(
            f"{name}: expected labels in 0..{c - 1} (p_L gives {c} classes), "
            f"got values in {int(y.min())}..{int(y.max())}"
        )
    return y


def check_targets(name: str, y: Any, shape: tuple[int, ...], dtype: Any) -> Array:
    """Real-valued regression targets of exactly ``shape`` (no broadcasting)."""
    y = check_float_array(name, y, ndim=(0, 1, 2, 3))
    if tuple(y.shape) != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got shape {tuple(y.shape)}")
    return y.astype(dtype, copy=False)


def check_positive_int(name: str, v: Any) -> int:
    """A positive integer (bool excluded)."""
    if isinstance(v, bool) or not isinstance(v, (int,)) and not hasattr(v, "__index__"):
        raise TypeError(f"{name}: expected a positive integer, got {v!r}")
    v = int(v)
    if v < 1:
        raise ValueError(f"{name}: expected a positive integer, got {v}")
    return v
