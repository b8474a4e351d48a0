"""Input checks shared by the engine: each error names the argument, what was expected and
what came, and says what to do. Nothing is silently broadcast."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any

from .backend import get_xp

Array = Any


#: Other names people use for bplib's choices: suggested in errors, never silently accepted.
SYNONYMS = {
    "sigmoid": "logistic", "linear": "identity", "none": "identity",
    "mse": "squared_error", "l2": "squared_error", "crossentropy": "cross_entropy",
    "xent": "cross_entropy", "nll": "cross_entropy", "log_loss": "cross_entropy",
    "xavier": "glorot", "kaiming": "he",
}


def check_name(name: str, value: Any, valid: Iterable[str], what: str) -> str:
    """``value`` if it is one of the ``valid`` names, else an error that names the argument,
    lists the valid names and suggests the closest one (e.g. 'Softmax' -> 'softmax')."""
    valid = sorted(valid)
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected the name of {what} (a str), one of {valid}, "
                        f"got {type(value).__name__} {value!r}")
    if value in valid:
        return value
    key = value.lower().replace("-", "_").replace(" ", "_")
    close = [v for v in valid if v == key or v == SYNONYMS.get(key)]  # 'ReLU', 'sigmoid'
    close = close or difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"{name}: unknown {what} {value!r}; expected one of {valid}{hint}")


def _first_nonfinite(xp: Any, x: Array) -> str:
    """Where the first nan/inf of ``x`` sits, in words ('row 3, column 0' for a batch)."""
    where = tuple(int(i) for i in xp.argwhere(~xp.isfinite(x))[0])
    if len(where) == 2:
        return f"row {where[0]}, column {where[1]}"
    if len(where) == 1:
        return f"index {where[0]}"
    return f"index {where}" if where else "the scalar"


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
        raise ValueError(f"{name}: expected finite values, got {bad} nan/inf entries "
                         f"(the first at {_first_nonfinite(xp, x)})")
    return x


def check_labels(name: str, y: Any, n: int | None, c: int) -> Array:
    """Integer class labels in 0..c-1, one per example."""
    xp = get_xp(y)
    y = xp.asarray(y)
    expect_ndim = 0 if n is None else 1
    if y.ndim == expect_ndim + 1 and y.shape[-1] == c > 1 and y.size and y.dtype.kind in "biuf":
        if bool(((y == 0) | (y == 1)).all()) and bool((y.sum(axis=-1) == 1).all()):
            raise ValueError(
                f"{name}: expected class indices 0..{c - 1} (one integer per example), got "
                f"one-hot rows of shape {tuple(y.shape)}; pass class indices instead, e.g. "
                f"{name}.argmax(axis=-1)"
            )
    if y.dtype.kind == "f":
        if y.size and not bool((y == xp.round(y)).all()):
            raise TypeError(f"{name}: expected integer class labels 0..{c - 1}, got non-integers")
        y = y.astype(xp.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class labels, got dtype {y.dtype}")
    if y.ndim != expect_ndim or (n is not None and y.shape[0] != n):
        want = "a scalar label" if n is None else f"shape ({n},), one label per example"
        hint = f"; flatten it with {name}.ravel()" if y.shape == (n, 1) else ""
        raise ValueError(f"{name}: expected {want}, got shape {tuple(y.shape)}{hint}")
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


def check_seed(seed: Any, name: str = "seed") -> int | None:
    """A seed for numpy.random.default_rng: a non-negative integer, or None (fresh entropy)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"{name}: expected a non-negative integer or None, got "
                        f"{type(seed).__name__} {seed!r}")
    if int(seed) < 0:
        raise ValueError(f"{name}: expected a non-negative integer or None, got {int(seed)}")
    return int(seed)


def check_real(name: str, v: Any, expected: str, *, low: float = -math.inf,
               low_inclusive: bool = True) -> float:
    """A finite real number (bool excluded) that is at least ``low`` (or above it), as a float.

    A str or other non-number is a TypeError (``lr="0.1"``); a number out of range or not
    finite is a ValueError. ``expected`` says what the argument is, for the message."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected {expected} (a real number), got "
                        f"{type(v).__name__} {v!r}")
    v = float(v)
    if not math.isfinite(v) or v < low or (v == low and not low_inclusive):
        raise ValueError(f"{name}: expected {expected}, got {v!r}")
    return v
