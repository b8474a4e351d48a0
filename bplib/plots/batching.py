"""Notebook 05 (Algorithm 2 and why batching matters): loop against batched matrix form.

Algorithm 2 (lecture) returns the gradient of the training loss (1/n) sum_i C_i(theta) as
the mean of the per-example gradients of Algorithm 1. Run literally, that is a Python loop
of n calls (:func:`bplib.backprop.algorithm2_loop`); with one example per row it is a few
matrix products per layer (:func:`bplib.backprop.algorithm2_batched`). Both give the same
numbers; this module times them against n, on the CPU and, when CuPy has a device, on the
GPU, synchronising the device before reading the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..backend import cupy_available, synchronize, to_numpy
from ..backprop import Gradient, algorithm2_batched, algorithm2_loop
from ..network import Network
from . import style

GradientFn = Callable[[Network, Any, Any], Gradient]
METHODS: dict[str, GradientFn] = {"loop": algorithm2_loop, "batched": algorithm2_batched}
#: series index in bplib.plots.style (colour, marker, line style) of each curve
SERIES = {"loop": 1, "batched": 0, "GPU": 2}
LOOP_MAX_N = 256  # the loop costs ~50 µs per example: keep the notebook fast
#: The figures' note on a machine without a usable GPU (no error text: see the notebook).
NO_GPU_NOTE = "CPU only: no GPU with CuPy on this machine"


def max_abs_difference(g1: Gradient, g2: Gradient) -> float:
    """max over l and entries of |dC/dW_l - dC/dW_l'| and |dC/db_l - dC/db_l'| (on the host)."""
    if len(g1.W) != len(g2.W):
        raise ValueError(f"g1, g2: expected gradients of the same network, got {len(g1.W) - 1} "
                         f"and {len(g2.W) - 1} layers")
    diffs = [np.abs(to_numpy(a) - to_numpy(b)).max()
             for a, b in zip(g1.W[1:] + g1.b[1:], g2.W[1:] + g2.b[1:], strict=True)]
    return float(max(diffs))


def time_gradient(fn: GradientFn, net: Network, X: Any, Y: Any, repeat: int = 3,
                  xp: ModuleType | None = None, min_total: float = 0.02,
                  max_runs: int = 200) -> float:
    """Best wall-clock time (seconds) of ``fn(net, X, Y)`` over at least ``repeat`` runs,
    and more (up to ``max_runs``) until ``min_total`` seconds have been timed, so that fast
    calls get enough samples for one free of interruptions by other processes.

    One untimed call first (buffers, CuPy kernel compilation), and
    :func:`bplib.backend.synchronize` before starting and before stopping the clock: GPU
    calls return as soon as the work is queued, so without it the device's time is missed.
    """
    if repeat < 1:
        raise ValueError(f"repeat: expected a positive integer, got {repeat}")
    xp = xp if xp is not None else net.xp
    fn(net, X, Y)
    synchronize(xp)
    best, total, runs = float("inf"), 0.0, 0
    while runs < repeat or (total < min_total and runs < max_runs):
        synchronize(xp)
        start = time.perf_counter()
        fn(net, X, Y)
        synchronize(xp)
        elapsed = time.perf_counter() - start
        best, total, runs = min(best, elapsed), total + elapsed, runs + 1
    return best


def time_against_n(fn: GradientFn, net: Network, X: np.ndarray, Y: np.ndarray,
                   ns: np.ndarray, repeat: int = 3) -> np.ndarray:
    """Seconds for ``fn`` on the first n rows of (X, Y), for each n in ``ns``: the best of
    ``repeat`` rounds, each round timing every n at least twice (see :func:`time_gradient`),
    so that a burst of load from other processes spoils one round of one n, not all its
    samples.
    The data are moved to the network's backend once, before timing."""
    if repeat < 1:
        raise ValueError(f"repeat: expected a positive integer, got {repeat}")
    if int(np.max(ns)) > X.shape[0]:
        raise ValueError(f"ns: expected n <= {X.shape[0]} (rows of X), got {int(np.max(ns))}")
    xp = net.xp
    Xd, Yd = xp.asarray(X, dtype=net.dtype), xp.asarray(Y)
    best = np.full(len(ns), np.inf)
    for _ in range(repeat):
        for i, n in enumerate(ns):
            # at least 2 runs per round: on a loaded machine a multi-threaded BLAS call can
            # take 10-100 times its time, and the best of more samples escapes it
            t = time_gradient(fn, net, Xd[:n], Yd[:n], 2, xp, min_total=0.005)
            best[i] = min(best[i], t)
    return best


def sizes(max_n: int, min_n: int = 1) -> np.ndarray:
    """n = min_n, 2 min_n, 4 min_n, ..., up to max_n (powers of two)."""
    if not 1 <= min_n <= max_n:
        raise ValueError(f"max_n: expected an integer >= {min_n}, got {max_n}")
    return 2 ** np.arange(int(np.log2(min_n)), int(np.log2(max_n)) + 1)


def _slope(ns: np.ndarray, ts: np.ndarray) -> float:
    """Least-squares slope of log t against log n over the larger half of the sizes."""
    ns, ts = np.asarray(ns, dtype=float), np.asarray(ts, dtype=float)
    k = max(2, len(ns) // 2)
    return float(np.polyfit(np.log(ns[-k:]), np.log(ts[-k:]), 1)[0]) if len(ns) >= 2 else 0.0


def timing_description(curves: dict[str, tuple[np.ndarray, np.ndarray]], note: str = "") -> str:
    """Key numbers of :func:`timing_figure`: each curve's range and slope, and the speed-up
    of the batched form at the loop's largest n."""
    parts = []
    for label, (ns, ts) in curves.items():
        parts.append(f"{label}: {style.fmt_number(ts[0])} s at n = {int(ns[0])} to "
                     f"{style.fmt_number(ts[-1])} s at n = {int(ns[-1]):,} "
                     f"(log-log slope {_slope(ns, ts):.2f})")
    text = "Seconds per gradient of Algorithm 2 against the number of examples n, log-log. " \
        + "; ".join(parts) + "."
    loop = next((v for k, v in curves.items() if k.startswith("loop")), None)
    batched = next((v for k, v in curves.items() if k.startswith("batched (CPU")), None)
    if loop is not None and batched is not None:
        n = int(loop[0][-1])
        at = np.flatnonzero(np.asarray(batched[0]) == n)
        if at.size:
            ratio = loop[1][-1] / batched[1][at[0]]
            text += f" At n = {n:,} the batched form is {ratio:.0f} times faster than the loop."
    if note:
        text += f" ({note}.)"
    return text


def _example_curves() -> list[dict[str, Any]]:
    ns = np.array([1, 2, 4, 8, 16])
    return [{"curves": {"loop (CPU)": (ns, 5e-5 * ns), "batched (CPU)": (ns, 2e-5 + 1e-7 * ns)},
             "note": "no GPU curve: CuPy is not installed"},
            {"curves": {"loop (CPU)": (ns[:3], 4e-5 * ns[:3]),
                        "batched (CPU)": (ns, 3e-5 + 1e-7 * ns),
                        "batched (GPU)": (ns, 9e-5 + 1e-9 * ns)}}]


@style.plot(examples=_example_curves)
def timing_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], note: str = "") -> Figure:
    """Log-log plot of seconds per gradient against n, one curve per label, with a dashed
    grey reference line of slope 1 (cost proportional to n) through the loop's largest n."""
    fig = style.figure(8.5, 4.8)
    ax = fig.add_subplot()
    for label, (ns, ts) in curves.items():
        kind = "GPU" if "GPU" in label else ("loop" if label.startswith("loop") else "batched")
        ax.loglog(ns, ts, label=label, **style.series(SERIES[kind]))
    ref = next((v for k, v in curves.items() if k.startswith("loop")), None)
    if ref is not None:
        ns, ts = np.asarray(ref[0], dtype=float), np.asarray(ref[1])
        ax.loglog(ns, ts[-1] * ns / ns[-1], color=style.GREY, lw=1.2, ls=(0, (4, 3)),
                  label=r"reference $\propto n$")
    ax.set_xlabel("number of examples $n$")
    ax.set_ylabel("time per gradient (s)")
    ax.set_title("Algorithm 2: loop over examples vs batched matrix form", fontsize=13)
    ax.grid(True, which="major")
    ax.legend(loc="upper left")
    if note:  # below the axes, where it covers no data
        fig.supxlabel(note, fontsize=10, color=style.GREY)
    return style.describe(fig, timing_description(curves, note))


def make_problem(p: tuple[int, ...], n: int, seed: int = 0) -> tuple[Network, np.ndarray,
                                                                     np.ndarray]:
    """A float64 ReLU/softmax network with widths p and n random examples (one per row)."""
    rng = np.random.default_rng(seed)
    net = Network.init(p, hidden="relu", output="softmax", rng=rng)
    return net, rng.normal(size=(n, p[0])), rng.integers(0, p[-1], size=n)


def batching_curves(hidden: int, max_n: int, repeat: int = 3, gpu: bool | None = None,
                    seed: int = 0) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Time Algorithm 2 against n for the network (2, hidden, hidden, 3):

    * loop on the CPU for n = 1..min(max_n, LOOP_MAX_N),
    * batched on the CPU for n = 1..max_n,
    * batched on the GPU for n = 1..max_n when ``gpu`` (default: when CuPy has a device).

    Returns the curves {label: (ns, seconds)} and a note saying why a GPU curve is absent.
    """
    p = (2, hidden, hidden, 3)
    net, X, Y = make_problem(p, max_n, seed)
    ok, reason = cupy_available()
    curves = {}
    ns_loop = sizes(min(max_n, LOOP_MAX_N))
    curves["loop (CPU)"] = (ns_loop, time_against_n(algorithm2_loop, net, X, Y, ns_loop, repeat))
    ns = sizes(max_n)
    curves["batched (CPU)"] = (ns, time_against_n(algorithm2_batched, net, X, Y, ns, repeat))
    note = ""
    if gpu is False:
        note = "no GPU curve: not requested"
    elif ok:
        gnet = net.to("cupy")
        curves["batched (GPU)"] = (ns, time_against_n(algorithm2_batched, gnet, X, Y, ns,
                                                      repeat))
    else:  # said in words; cupy_available()'s reason (an import error) is for a console
        note = NO_GPU_NOTE
    return curves, note


def per_example_description(curves: dict[str, tuple[np.ndarray, np.ndarray]],
                            note: str = "") -> str:
    """Key numbers of :func:`per_example_figure`: each curve's microseconds per example at
    its smallest and largest n, and how much the batched cost per example falls."""
    parts = []
    for label, (ns, ts) in curves.items():
        per = np.asarray(ts) / np.asarray(ns) * 1e6
        parts.append(f"{label}: {style.fmt_number(per[0])} µs per example at n = "
                     f"{int(ns[0])}, {style.fmt_number(per[-1])} µs at n = {int(ns[-1]):,}")
    text = ("Microseconds per example (time per gradient divided by n) against the number of "
            "examples n, log-log. " + "; ".join(parts) + ".")
    batched = next((v for k, v in curves.items() if k.startswith("batched (CPU")), None)
    if batched is not None:
        per = np.asarray(batched[1]) / np.asarray(batched[0])
        text += (f" From n = {int(batched[0][0])} to n = {int(batched[0][-1]):,} the batched "
                 f"form's cost per example changes by a factor {per[-1] / per[0]:.2g} (a "
                 f"fixed cost per call shared by n examples would give "
                 f"{batched[0][0] / batched[0][-1]:.2g}).")
    if note:
        text += f" ({note}.)"
    return text


@style.plot(examples=_example_curves)
def per_example_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], note: str = "",
                       hidden: int | None = None) -> Figure:
    """Log-log plot of the cost per example (seconds per gradient / n, in µs) against n, one
    curve per label: the loop pays the same Python overhead for every example (a flat line);
    the batched form's fixed cost per call is shared by n examples (slope -1) until the
    arithmetic, which grows with n, dominates (the curve levels off)."""
    fig = style.figure(8.5, 4.8)
    ax = fig.add_subplot()
    for label, (ns, ts) in curves.items():
        kind = "GPU" if "GPU" in label else ("loop" if label.startswith("loop") else "batched")
        ax.loglog(ns, np.asarray(ts) / np.asarray(ns) * 1e6, label=label,
                  **style.series(SERIES[kind]))
    ref = next((v for k, v in curves.items() if k.startswith("batched (CPU")), None)
    if ref is not None:
        ns, ts = np.asarray(ref[0], dtype=float), np.asarray(ref[1])
        ax.loglog(ns, ts[0] / ns * 1e6, color=style.GREY, lw=1.2, ls=(0, (4, 3)),
                  label=r"reference $\propto 1/n$ (a fixed cost per call)")
    ax.set_xlabel("number of examples $n$")
    ax.set_ylabel("time per example (µs)")
    width = f" (hidden width {hidden})" if hidden else ""
    ax.set_title(f"Cost per example{width}: the loop's is flat, the batched one's falls",
                 fontsize=13)
    ax.grid(True, which="major")
    ax.legend(loc="lower left")
    if note:
        fig.supxlabel(note, fontsize=10, color=style.GREY)
    return style.describe(fig, per_example_description(curves, note))


@style.plot(examples=lambda: [{"hidden": 8, "max_n": 8}, {"hidden": 8, "max_n": 32}])
def per_example_plot(hidden: int, max_n: int, repeat: int = 3) -> Figure:
    """Measure :func:`batching_curves` for the network (2, hidden, hidden, 3) and draw
    :func:`per_example_figure` (the notebook's widget)."""
    curves, note = batching_curves(hidden, max_n, repeat)
    return per_example_figure(curves, note, hidden=hidden)
