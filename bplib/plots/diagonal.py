"""Notebook 02 (the diagonal matrix D_l): D_l = diag(S'_l(z_l)) and the shortcut diag(a) b = a ⊙ b.

Lecture: an element-wise activation a_l = S_l(z_l) has the Jacobian da_l/dz_l = D_l =
diag(S'_l(z_l)), so the backward step reads delta_{l-1} = D_{l-1} W_l^T delta_l. Multiplying
by a diagonal matrix is a component-wise product, diag(a) b = a ⊙ b: p multiplications
instead of forming a p x p matrix and doing p^2 multiply-adds. The engine never builds D_l.

The cost claim is shown two ways (:func:`cost_figure`):

* **counted** (:func:`count_operations`): the very expressions ``np.diag(a) @ b`` and
  ``a * b`` are run on arrays of numbers that count every multiplication and addition done
  with them. Deterministic: 2p^2 - p operations against p, the orders the slide claims.
* **timed** (:func:`time_products`): seconds per product on this machine, the best of k
  interleaved runs, on preallocated memory. Below some p the time is a fixed cost per call
  (Python and NumPy dispatch), not the arithmetic; the slope is fitted only where the time
  is at least :data:`OVERHEAD_FACTOR` times that fixed cost (:func:`asymptotic_range`).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import get_activation
from . import style

MAX_P = 4096  # diag(a) for p = 4096 already holds 128 MiB of float64


def D_matrix(dS: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> np.ndarray:
    """D_l = diag(S'_l(z_l)) (lecture): the Jacobian of an element-wise activation."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"z: expected one pre-activation vector z_l of shape (p,), "
                         f"got shape {z.shape}")
    return np.diag(dS(z))


def diag_times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """diag(a) b the literal way: form the p x p matrix, then a matrix-vector product."""
    return np.diag(a) @ b


def hadamard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ⊙ b: the component-wise product that equals diag(a) b (lecture's shortcut)."""
    return a * b


PRODUCTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "diag": diag_times,
    "hadamard": hadamard,
}
NAMES = {"diag": "diag(a) b", "hadamard": "a ⊙ b"}


# --- counted ---------------------------------------------------------------------------------
class _Tally:
    """How many multiplications (and how many of them by zero) and additions were done."""

    def __init__(self) -> None:
        self.mul = self.mul_by_zero = self.add = 0


class _Counting:
    """A number that counts the multiplications and additions done with it in a tally.

    NumPy runs ``@`` and ``*`` on arrays of Python objects by calling these methods, one call
    per scalar operation, so the tally is the operation count of the expression itself.
    """

    __slots__ = ("v", "tally")

    def __init__(self, v: float, tally: _Tally) -> None:
        self.v, self.tally = v, tally

    def __mul__(self, other: Any) -> _Counting:
        w = other.v if isinstance(other, _Counting) else other
        self.tally.mul += 1
        self.tally.mul_by_zero += self.v == 0 or w == 0
        return _Counting(self.v * w, self.tally)

    __rmul__ = __mul__

    def __add__(self, other: Any) -> _Counting:
        self.tally.add += 1
        return _Counting(self.v + (other.v if isinstance(other, _Counting) else other),
                         self.tally)

    __radd__ = __add__


@dataclass(frozen=True)
class OperationCount:
    """The scalar operations one product did: multiplications (some by zero), additions."""

    name: str
    p: int
    multiplications: int
    by_zero: int
    additions: int

    @property
    def total(self) -> int:
        return self.multiplications + self.additions


@functools.lru_cache(maxsize=64)
def count_operations(name: str, p: int) -> OperationCount:
    """Run ``PRODUCTS[name](a, b)`` (``np.diag(a) @ b`` or ``a * b``) for vectors of length p
    whose entries count every multiplication and addition NumPy does with them.

    diag(a) b: p^2 multiplications (p^2 - p of them by the zeros of diag(a)) and p(p - 1)
    additions; a ⊙ b: p multiplications. (On float64 the same ``@`` calls BLAS, which does
    the same p^2 multiply-adds: it does not look for zeros.)
    """
    if name not in PRODUCTS:
        raise ValueError(f"name: expected one of {sorted(PRODUCTS)}, got {name!r}")
    if not isinstance(p, (int, np.integer)) or not 1 <= p <= 1024:
        raise ValueError(f"p: expected a whole number 1 <= p <= 1024 (every operation is a "
                         f"Python call), got {p!r}")
    tally = _Tally()
    a = np.array([_Counting(1.0 + k, tally) for k in range(p)], dtype=object)
    b = np.array([_Counting(0.5 + k, tally) for k in range(p)], dtype=object)  # no zeros
    PRODUCTS[name](a, b)
    return OperationCount(name, int(p), tally.mul, tally.mul_by_zero, tally.add)


COUNT_SIZES = 2 ** np.arange(2, 9)  # p = 4..256, counted (65,536 multiplications at 256)


def counted(name: str, ps: np.ndarray = COUNT_SIZES) -> np.ndarray:
    """Total operations (multiplications + additions) of ``name`` at each p, counted."""
    return np.array([count_operations(name, int(p)).total for p in ps], dtype=np.float64)


# --- timed -----------------------------------------------------------------------------------
#: The slope of the times is fitted where they are at least this many times the fixed cost
#: per call (the time at the smallest p), so that the overhead is under a tenth of the time.
OVERHEAD_FACTOR = 10.0
MIN_BATCH_S = 2e-3  # each timed batch repeats the product until it lasts this long


def _timed_callable(name: str, a: np.ndarray, b: np.ndarray
                    ) -> tuple[Callable[[], None], np.ndarray]:
    """The product on preallocated memory, on one core: (run, out), run() writes the product
    into out.

    diag(a) b: write the p^2 entries of diag(a) (zeros, then the diagonal), then the p^2
    multiply-adds of the matrix-vector product, by ``np.einsum`` (the same sums as ``@``, but
    NumPy's own single-threaded loop: BLAS would split large products over threads, which on a
    shared machine changes the time per operation, not the count). a ⊙ b: p multiplications.
    No allocation, so the memory allocator's cost (which jumps at sizes that have nothing to
    do with the arithmetic) is not timed either.
    """
    out = np.empty_like(a)
    if name == "diag":
        D = np.empty((a.shape[0], a.shape[0]))

        def run() -> None:
            D.fill(0.0)
            np.fill_diagonal(D, a)                    # D = diag(a): p^2 entries written
            np.einsum("ij,j->i", D, b, out=out)       # p^2 multiply-adds, nearly all by 0
    else:

        def run() -> None:
            np.multiply(a, b, out=out)                # p multiplications
    return run, out


#: The clock of the timings: this process's CPU time where that clock is fine-grained
#: (Linux, macOS), so that time spent waiting for a core on a shared machine is not counted;
#: the wall clock otherwise (Windows, where CPU time ticks in 15.6 ms steps, and the browser's
#: Python, Pyodide, which has one thread and no CPU-time clock of its own).
CLOCK: Callable[[], float] = (time.process_time
                              if time.get_clock_info("process_time").resolution <= 1e-6
                              and sys.platform != "emscripten" else time.perf_counter)


def _batch_seconds(fn: Callable[[], None], number: int) -> float:
    start = CLOCK()
    for _ in range(number):
        fn()
    return (CLOCK() - start) / number


def _calibrate(fn: Callable[[], None], min_batch: float) -> int:
    """Calls per batch: doubled until one batch lasts at least ``min_batch`` seconds."""
    number = 1
    while _batch_seconds(fn, number) * number < min_batch and number < 1 << 16:
        number *= 2
    return number


def widths(max_p: int, min_p: int = 16, limit: int = MAX_P) -> np.ndarray:
    """p = min_p, 2 min_p, 4 min_p, ..., max_p (powers of two, max_p <= limit)."""
    if not (1 <= min_p <= max_p <= limit):
        raise ValueError(f"max_p: expected {min_p} <= max_p <= {limit}, got {max_p}")
    return 2 ** np.arange(int(np.log2(min_p)), int(np.log2(max_p)) + 1)


def time_products(name: str, ps: np.ndarray, repeat: int = 5, seed: int = 0,
                  min_batch: float = MIN_BATCH_S) -> np.ndarray:
    """Seconds per product ``name`` at each length p (:data:`CLOCK`): the minimum over
    ``repeat`` rounds,
    each round timing one batch per p in turn (interleaved, so a burst of load on a shared
    machine spoils one round of every size rather than every round of one size).

    The minimum is the run least disturbed by other work; timings still vary between machines
    and runs: compare orders, not numbers.
    """
    if name not in PRODUCTS:
        raise ValueError(f"name: expected one of {sorted(PRODUCTS)}, got {name!r}")
    if not isinstance(repeat, (int, np.integer)) or repeat < 1:
        raise ValueError(f"repeat: expected a positive integer, got {repeat}")
    rng = np.random.default_rng(seed)
    fns = [_timed_callable(name, rng.normal(size=int(p)), rng.normal(size=int(p)))[0]
           for p in ps]
    numbers = [_calibrate(fn, min_batch) for fn in fns]
    best = np.full(len(fns), np.inf)
    for _ in range(repeat):
        for k, (fn, number) in enumerate(zip(fns, numbers, strict=True)):
            best[k] = min(best[k], _batch_seconds(fn, number))
    return best


def loglog_slope(p: np.ndarray, t: np.ndarray) -> float:
    """Least-squares slope of log t against log p: a cost ~ p^k has slope k."""
    p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if p.shape != t.shape or p.ndim != 1 or p.shape[0] < 2:
        raise ValueError(f"p, t: expected two 1-D arrays of equal length >= 2, "
                         f"got shapes {p.shape} and {t.shape}")
    return float(np.polyfit(np.log(p), np.log(t), 1)[0])


def asymptotic_range(t: np.ndarray, factor: float = OVERHEAD_FACTOR) -> slice:
    """The largest sizes, from the first one after which every time is at least ``factor``
    times the fixed cost per call t_0 (estimated by the time at the smallest p): where the
    work, not the overhead, makes the time. At least the last two sizes."""
    t = np.asarray(t, dtype=np.float64)
    above = t >= factor * t[0]
    start = len(t)
    while start > 0 and above[start - 1]:
        start -= 1
    return slice(min(start, len(t) - 2), len(t))


@dataclass(frozen=True)
class TimingFit:
    """What the timed curve says: fixed cost t_0, slope over the asymptotic range, and the
    cost per counted operation c there (time ~ t_0 + c * operations)."""

    t0: float
    fit: slice
    slope: float
    per_operation: float
    clear: bool  # every time in the fitted range is >= OVERHEAD_FACTOR t_0


def fit_times(name: str, p: np.ndarray, t: np.ndarray,
              factor: float = OVERHEAD_FACTOR) -> TimingFit:
    """Fixed cost t_0 = time at the smallest p; slope of log t over :func:`asymptotic_range`;
    seconds per operation c = median of (t - t_0) / operations over that range."""
    p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
    fit = asymptotic_range(t, factor)
    ops = operations(name, p[fit])
    c = float(np.median(np.maximum(t[fit] - t[0], 0.0) / ops))
    clear = bool(np.all(t[fit] >= factor * t[0]))
    return TimingFit(float(t[0]), fit, loglog_slope(p[fit], t[fit]), c, clear)


def operations(name: str, p: np.ndarray) -> np.ndarray:
    """The counted totals as formulas (tests check them against :func:`count_operations`):
    diag(a) b does p^2 multiplications and p(p - 1) additions, a ⊙ b p multiplications."""
    p = np.asarray(p, dtype=np.float64)
    if name not in PRODUCTS:
        raise ValueError(f"name: expected one of {sorted(PRODUCTS)}, got {name!r}")
    return 2 * p**2 - p if name == "diag" else p


def _example_timings() -> list[dict[str, Any]]:
    p, q = widths(1024), widths(1 << 20, limit=1 << 20)
    return [{"p_diag": p, "t_diag": 2e-6 + 4e-10 * operations("diag", p),
             "p_had": q, "t_had": 7e-7 + 3e-10 * q, "repeat": 5},
            {"p_diag": p[:5], "t_diag": 3e-6 + 1e-9 * operations("diag", p[:5]) ** 1.1,
             "p_had": q[:12], "t_had": 1e-6 + 1e-9 * q[:12], "repeat": 1}]


@style.plot(examples=_example_timings)
def cost_figure(p_diag: np.ndarray, t_diag: np.ndarray, p_had: np.ndarray,
                t_had: np.ndarray, repeat: int) -> Figure:
    """Left: operations counted by running np.diag(a) @ b and a * b (:func:`counted`), slopes
    2 and 1. Right: measured seconds per product (best of ``repeat``), the fixed cost per call
    t_0 and the slope fitted over the asymptotic range only (:func:`fit_times`)."""
    fig = style.figure(9.25, 5.0)
    left, right = fig.subplots(1, 2)
    slopes = {}
    for i, name in ((1, "diag"), (0, "hadamard")):
        ops = counted(name)
        slopes[name] = loglog_slope(COUNT_SIZES, ops)
        left.loglog(COUNT_SIZES, ops, label=f"{NAMES[name]}: slope {slopes[name]:.2f}",
                    **style.series(i))
    left.set_xlabel("length $p$ of $a$ and $b$")
    left.set_ylabel("operations (× and +), counted")
    left.set_title("Counted: $p^2$ against $p$", fontsize=12)
    left.legend(loc="upper left")
    left.grid(True, which="major")

    fits = {}
    for i, name, p, t in ((1, "diag", p_diag, t_diag), (0, "hadamard", p_had, t_had)):
        p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
        fits[name] = fit = fit_times(name, p, t)
        right.loglog(p, t, label=f"{NAMES[name]}, measured", **style.series(i, ms=5))
        fp = p[fit.fit]
        right.loglog(fp, t[fit.fit][-1] * (fp / fp[-1]) ** fit.slope, color=style.PALETTE[i],
                     lw=7, alpha=0.3, ls="-", solid_capstyle="round", gid="decoration",
                     label=f"fit for p ≥ {int(fp[0]):,}: slope {fit.slope:.2f}")
        right.axhline(fit.t0, color=style.PALETTE[i], lw=1.5, ls=(0, (1, 2)), gid="decoration",
                      label=f"fixed cost per call: {style.fmt_number(fit.t0 * 1e6, 2)} µs")
    right.set_xlabel("length $p$ of $a$ and $b$")
    right.set_ylabel("seconds per product")
    right.set_title(f"Timed here (best of {repeat})", fontsize=12)
    right.grid(True, which="major")
    handles, labels = right.get_legend_handles_labels()
    order = [0, 3, 1, 4, 2, 5]  # one column per product
    fig.legend([handles[k] for k in order], [labels[k] for k in order],
               loc="outside lower right", ncols=3, fontsize=10)
    fig.suptitle("diag(a) b does $p^2$ operations, a ⊙ b does $p$; the times follow once the "
                 "work exceeds the fixed cost per call", fontsize=12)

    def timed(name: str, p: np.ndarray, fit: TimingFit) -> str:
        p = np.asarray(p)
        lo, hi = int(p[fit.fit][0]), int(p[-1])
        where = (f"where the time is at least {OVERHEAD_FACTOR:g} times that" if fit.clear else
                 f"the largest sizes, though the time stays under {OVERHEAD_FACTOR:g} times "
                 f"that (overhead still matters: take larger p)")
        return (f"{NAMES[name]} has a fixed cost of {style.fmt_number(fit.t0 * 1e6, 2)} µs "
                f"per call; over p = {lo:,}..{hi:,}, {where}, its fitted slope is "
                f"{fit.slope:.2f} "
                f"(counted: {slopes[name]:.2f}), about "
                f"{style.fmt_number(fit.per_operation * 1e9, 2)} ns per counted operation")

    text = (f"Two log-log panels against the length p. Left, counted by running the products "
            f"on counting numbers for p = {COUNT_SIZES[0]}..{COUNT_SIZES[-1]}: diag(a) b does "
            f"2p² - p operations (at p = {COUNT_SIZES[-1]}: "
            f"{count_operations('diag', int(COUNT_SIZES[-1])).total:,}), slope "
            f"{slopes['diag']:.2f}; a ⊙ b does p, slope {slopes['hadamard']:.2f}. Right, "
            f"measured seconds per product, best of {repeat}: "
            f"{timed('diag', p_diag, fits['diag'])}; "
            f"{timed('hadamard', p_had, fits['hadamard'])}.")
    return style.describe(fig, text)


#: a ⊙ b is timed up to p = 2^18: three arrays of 2 MiB, which stay in the processor's cache
#: on most machines (beyond it each number comes from main memory, several times slower)
HADAMARD_MAX_P = 1 << 18


@style.plot(examples=lambda: [{"max_p": 64, "repeat": 1, "max_p_hadamard": 1024},
                               {"max_p": 128, "repeat": 1, "max_p_hadamard": 4096}])
def timing_plot(max_p: int, repeat: int, max_p_hadamard: int = HADAMARD_MAX_P) -> Figure:
    """Time diag(a) b for p = 16..max_p and a ⊙ b for p = 16..max_p_hadamard
    (:func:`time_products`, best of ``repeat``), then draw :func:`cost_figure`."""
    p_diag = widths(max_p)
    p_had = widths(max_p_hadamard, limit=max(max_p_hadamard, MAX_P))
    return cost_figure(p_diag, time_products("diag", p_diag, repeat),
                       p_had, time_products("hadamard", p_had, repeat), repeat)


@style.plot(examples=lambda: [{"activation": "logistic"}, {"activation": "relu", "p": 6},
                               {"activation": "tanh", "seed": 3}])
def D_figure(activation: str, p: int = 8, seed: int = 0) -> Figure:
    """D_l = diag(S'(z_l)) as a heat map next to the vector S'(z_l), for a random z_l."""
    act = get_activation(activation, argument="activation")
    z = np.random.default_rng(seed).normal(0.0, 2.0, size=p)
    D = D_matrix(act.dS, z)
    dS = act.dS(z)
    fig = style.figure(8, 4.2)
    left, right = fig.subplots(1, 2, width_ratios=[p, 1.8])
    vmax = max(float(np.abs(D).max()), 1e-12)
    im = left.imshow(D, cmap=style.DIVERGING, vmin=-vmax, vmax=vmax)
    left.set_title(rf"$D_l = \mathrm{{diag}}(S'(z_l))$, $S$ = {activation}", fontsize=12)
    left.set_xlabel("column $j$")
    left.set_ylabel("row $i$")
    ticks = np.arange(p)
    left.set_xticks(ticks, [str(j + 1) for j in ticks])
    left.set_yticks(ticks, [str(i + 1) for i in ticks])
    right.imshow(dS[:, None], cmap=style.DIVERGING, vmin=-vmax, vmax=vmax)
    right.set_title(r"$S'(z_{l,i})$", fontsize=12)
    right.set_xticks([])
    right.set_yticks(ticks, [str(i + 1) for i in ticks])
    right.set_ylabel("unit $i$")
    for i, v in enumerate(dS):
        colour = "white" if abs(v) > 0.6 * vmax else "black"  # readable on dark cells
        right.text(0, i, f"{v:.2f}", ha="center", va="center", fontsize=10, color=colour)
    fig.colorbar(im, ax=[left, right], label="entry value", shrink=0.8)
    fig.suptitle(f"Zero off the diagonal; on it, $S'(z_{{l,i}})$ ({activation})", fontsize=13)
    zeros = int(np.sum(dS == 0))
    text = (f"Heat map of the {p} by {p} matrix D_l = diag(S'(z_l)) for S = {activation} at a "
            f"random z_l: the diagonal holds S'(z_l), from {style.fmt_number(dS.min(), 2)} to "
            f"{style.fmt_number(dS.max(), 2)} (listed on the right)"
            + (f", {zeros} of them exactly 0" if zeros else "")
            + f"; all {p * p - p} off-diagonal entries are 0, so D_l b is the component-wise "
              f"product S'(z_l) ⊙ b.")
    return style.describe(fig, text)
