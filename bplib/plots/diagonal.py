"""Notebook 02 (the diagonal matrix D_l): D_l = diag(S'_l(z_l)) and the shortcut diag(a) b = a ⊙ b.

Lecture: an element-wise activation a_l = S_l(z_l) has the Jacobian da_l/dz_l = D_l =
diag(S'_l(z_l)), so the backward step reads delta_{l-1} = D_{l-1} W_l^T delta_l. Multiplying
by a diagonal matrix is a component-wise product, diag(a) b = a ⊙ b: p multiplications
instead of forming a p x p matrix and doing p^2 multiply-adds. The engine never builds D_l.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import get_activation

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


def _best_time(fn: Callable[[], Any], repeat: int) -> float:
    """Best of ``repeat`` timings of fn(), each averaged over enough calls to last >= 0.5 ms."""
    number, elapsed = 1, 0.0
    while True:  # calibrate: double the calls until one batch is long enough to time
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= 5e-4 or number >= 1 << 16:
            break
        number *= 2
    best = elapsed / number
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def widths(max_p: int, min_p: int = 16, limit: int = MAX_P) -> np.ndarray:
    """p = min_p, 2 min_p, 4 min_p, ..., max_p (powers of two, max_p <= limit)."""
    if not (1 <= min_p <= max_p <= limit):
        raise ValueError(f"max_p: expected {min_p} <= max_p <= {limit}, got {max_p}")
    return 2 ** np.arange(int(np.log2(min_p)), int(np.log2(max_p)) + 1)


PRODUCTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "diag": diag_times,
    "hadamard": hadamard,
}


def time_product(name: str, ps: np.ndarray, repeat: int = 3, seed: int = 0) -> np.ndarray:
    """Seconds per product ``PRODUCTS[name](a, b)`` at each length p (best of ``repeat``).

    Timings vary between runs and machines; compare slopes, not numbers.
    """
    if name not in PRODUCTS:
        raise ValueError(f"name: expected one of {sorted(PRODUCTS)}, got {name!r}")
    if repeat < 1:
        raise ValueError(f"repeat: expected a positive integer, got {repeat}")
    fn = PRODUCTS[name]
    rng = np.random.default_rng(seed)
    times = []
    for p in ps:
        a, b = rng.normal(size=int(p)), rng.normal(size=int(p))
        times.append(_best_time(lambda a=a, b=b: fn(a, b), repeat))
    return np.array(times)


def loglog_slope(p: np.ndarray, t: np.ndarray, tail: int = 3) -> float:
    """Least-squares slope of log t against log p over the ``tail`` largest p: cost ~ p^slope.

    Small p is dominated by fixed call overhead, so only the largest sizes show the order.
    """
    p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if p.shape != t.shape or p.ndim != 1 or p.shape[0] < 2:
        raise ValueError(f"p, t: expected two 1-D arrays of equal length >= 2, "
                         f"got shapes {p.shape} and {t.shape}")
    k = min(max(tail, 2), p.shape[0])
    return float(np.polyfit(np.log(p[-k:]), np.log(t[-k:]), 1)[0])


def timing_figure(p_diag: np.ndarray, t_diag: np.ndarray,
                  p_had: np.ndarray, t_had: np.ndarray) -> Figure:
    """Log-log plot of the time of diag(a) b and a ⊙ b against p, with reference slopes
    p^2 (quadratic) and p^1 (linear) drawn through the largest measurement of each."""
    p_diag = np.asarray(p_diag, dtype=np.float64)
    p_had = np.asarray(p_had, dtype=np.float64)
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.add_subplot()
    s_diag, s_had = loglog_slope(p_diag, t_diag), loglog_slope(p_had, t_had)
    ax.loglog(p_diag, t_diag, "o-", color="tab:red",
              label=f"diag(a) b (fitted slope {s_diag:.1f})")
    ax.loglog(p_had, t_had, "s-", color="tab:blue", label=f"a ⊙ b (fitted slope {s_had:.1f})")
    ax.loglog(p_diag, t_diag[-1] * (p_diag / p_diag[-1]) ** 2, "--", color="tab:red",
              alpha=0.5, label=r"reference slope 2: $\propto p^2$")
    ax.loglog(p_had, t_had[-1] * (p_had / p_had[-1]) ** 1, "--", color="tab:blue",
              alpha=0.5, label=r"reference slope 1: $\propto p$")
    ax.set_xlabel("length $p$ of $a$ and $b$", fontsize=11)
    ax.set_ylabel("time per product (s)", fontsize=11)
    ax.set_title("diag(a) b costs $O(p^2)$, a ⊙ b costs $O(p)$", fontsize=13)
    ax.legend(fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    return fig


HADAMARD_MAX_P = 1 << 20  # a ⊙ b stays cheap far beyond the sizes diag(a) b can reach


def timing_plot(max_p: int, repeat: int) -> Figure:
    """Measure diag(a) b for p = 16..max_p and a ⊙ b for p = 16..2^20 (see
    :func:`time_product`), then draw :func:`timing_figure`."""
    p_diag = widths(max_p)
    p_had = widths(HADAMARD_MAX_P, limit=HADAMARD_MAX_P)
    return timing_figure(p_diag, time_product("diag", p_diag, repeat),
                         p_had, time_product("hadamard", p_had, repeat))


def D_figure(activation: str, p: int = 8, seed: int = 0) -> Figure:
    """D_l = diag(S'(z_l)) as a heat map next to the vector S'(z_l), for a random z_l."""
    act = get_activation(activation, argument="activation")
    z = np.random.default_rng(seed).normal(0.0, 2.0, size=p)
    D = D_matrix(act.dS, z)
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[p, 1.6])
    vmax = max(float(np.abs(D).max()), 1e-12)
    im = left.imshow(D, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    left.set_title(rf"$D_l = \mathrm{{diag}}(S'(z_l))$, S = {activation}", fontsize=12)
    left.set_xlabel("column $j$", fontsize=11)
    left.set_ylabel("row $i$", fontsize=11)
    right.imshow(act.dS(z)[:, None], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    right.set_title(r"$S'(z_l)$", fontsize=12)
    right.set_xticks([])
    for i, v in enumerate(act.dS(z)):
        colour = "white" if abs(v) > 0.6 * vmax else "black"  # readable on dark cells
        right.text(0, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(im, ax=[left, right], label="entry value", shrink=0.8)
    return fig
