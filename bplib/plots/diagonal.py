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


def _example_timings() -> list[dict[str, Any]]:
    p = widths(256)
    return [{"p_diag": p, "t_diag": 1e-9 * p ** 2, "p_had": p, "t_had": 1e-8 * p},
            {"p_diag": p, "t_diag": 2e-6 + 1e-9 * p ** 1.7, "p_had": widths(1024),
             "t_had": 1e-6 + 1e-9 * widths(1024) ** 1.1}]


@style.plot(examples=_example_timings)
def timing_figure(p_diag: np.ndarray, t_diag: np.ndarray,
                  p_had: np.ndarray, t_had: np.ndarray) -> Figure:
    """Log-log plot of the time of diag(a) b and a ⊙ b against p, with grey reference slopes
    p^2 (quadratic) and p^1 (linear) drawn through the largest measurement of each."""
    p_diag = np.asarray(p_diag, dtype=np.float64)
    p_had = np.asarray(p_had, dtype=np.float64)
    fig = style.figure(8, 4.6)
    ax = fig.add_subplot()
    s_diag, s_had = loglog_slope(p_diag, t_diag), loglog_slope(p_had, t_had)
    ax.loglog(p_diag, t_diag, label=f"diag(a) b (fitted slope {s_diag:.1f})", **style.series(1))
    ax.loglog(p_had, t_had, label=f"a ⊙ b (fitted slope {s_had:.1f})", **style.series(0))
    for p, t, k, name, ls in ((p_diag, t_diag, 2, r"$\propto p^2$", (0, (5, 3))),
                              (p_had, t_had, 1, r"$\propto p$", (0, (1, 2)))):
        ax.loglog(p, t[-1] * (p / p[-1]) ** k, color=style.GREY, lw=1.5, ls=ls,
                  label=f"reference slope {k}: {name}")
    ax.set_xlabel("length $p$ of $a$ and $b$")
    ax.set_ylabel("time per product (s)")
    ax.set_title("diag(a) b costs $O(p^2)$, a ⊙ b costs $O(p)$", fontsize=13)
    ax.legend()
    ax.grid(True, which="major")
    text = (f"Time per product against the length p, log-log. diag(a) b: "
            f"{style.fmt_number(t_diag[0])} s at p = {int(p_diag[0]):,} to "
            f"{style.fmt_number(t_diag[-1])} s at p = {int(p_diag[-1]):,}, fitted slope "
            f"{s_diag:.1f} (theory 2). a ⊙ b: {style.fmt_number(t_had[0])} s at "
            f"p = {int(p_had[0]):,} to {style.fmt_number(t_had[-1])} s at "
            f"p = {int(p_had[-1]):,}, fitted slope {s_had:.1f} (theory 1).")
    common = np.intersect1d(p_diag, p_had)
    if common.size:
        p = common[-1]
        ratio = t_diag[np.flatnonzero(p_diag == p)[0]] / t_had[np.flatnonzero(p_had == p)[0]]
        text += f" At p = {int(p):,} the component-wise product is {ratio:.0f} times faster."
    return style.describe(fig, text)


HADAMARD_MAX_P = 1 << 20  # a ⊙ b stays cheap far beyond the sizes diag(a) b can reach


@style.plot(examples=lambda: [{"max_p": 64, "repeat": 1, "max_p_hadamard": 1024},
                               {"max_p": 128, "repeat": 1, "max_p_hadamard": 4096}])
def timing_plot(max_p: int, repeat: int, max_p_hadamard: int = HADAMARD_MAX_P) -> Figure:
    """Measure diag(a) b for p = 16..max_p and a ⊙ b for p = 16..max_p_hadamard (see
    :func:`time_product`), then draw :func:`timing_figure`."""
    p_diag = widths(max_p)
    p_had = widths(max_p_hadamard, limit=max(max_p_hadamard, MAX_P))
    return timing_figure(p_diag, time_product("diag", p_diag, repeat),
                         p_had, time_product("hadamard", p_had, repeat))


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
    left.set_title(rf"$D_l = \mathrm{{diag}}(S'(z_l))$, S = {activation}", fontsize=12)
    left.set_xlabel("column $j$")
    left.set_ylabel("row $i$")
    ticks = np.arange(p)
    left.set_xticks(ticks, [str(j + 1) for j in ticks])
    left.set_yticks(ticks, [str(i + 1) for i in ticks])
    right.imshow(dS[:, None], cmap=style.DIVERGING, vmin=-vmax, vmax=vmax)
    right.set_title(r"$S'(z_l)$", fontsize=12)
    right.set_xticks([])
    right.set_yticks(ticks, [str(i + 1) for i in ticks])
    for i, v in enumerate(dS):
        colour = "white" if abs(v) > 0.6 * vmax else "black"  # readable on dark cells
        right.text(0, i, f"{v:.2f}", ha="center", va="center", fontsize=10, color=colour)
    fig.colorbar(im, ax=[left, right], label="entry value", shrink=0.8)
    zeros = int(np.sum(dS == 0))
    text = (f"Heat map of the {p} by {p} matrix D_l = diag(S'(z_l)) for S = {activation} at a "
            f"random z_l: the diagonal holds S'(z_l), from {style.fmt_number(dS.min(), 2)} to "
            f"{style.fmt_number(dS.max(), 2)} (listed on the right)"
            + (f", {zeros} of them exactly 0" if zeros else "")
            + f"; all {p * p - p} off-diagonal entries are 0, so D_l b is the component-wise "
              f"product S'(z_l) ⊙ b.")
    return style.describe(fig, text)
