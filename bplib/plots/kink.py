"""Notebook 06 (differentiability and the ReLU kink).

The ReLU S(z) = max(z, 0) has no derivative at z = 0: the slope is 0 on the left and 1 on
the right. Back-propagation needs *a* value for S'(0) in the recursion
delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l (lecture); bplib uses
S'(0) = RELU_PRIME_AT_ZERO = 0. This module measures how often z_l == 0 exactly happens,
what a central difference sees near the kink, and builds a network with a pre-activation
as close to the kink as one wants, for the gradient check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..activations import RELU_PRIME_AT_ZERO, drelu, relu
from ..gradcheck import GradcheckReport, gradcheck
from ..network import Network, feed_forward, theta_blocks
from ..train import steepest_descent
from . import style

Array = Any

#: The point of the tiny kink network that puts z_{1,1} (first unit of layer 1) at z0:
#: x = (1, 1/16), W_1[0] = (1/2, -1/4); every number is a power of two, so
#: W_1[0] x = 0.484375 exactly and z_{1,1} = 0.484375 + b_1[0] has no rounding error.
KINK_X = (1.0, 0.0625)
KINK_W1_ROW = (0.5, -0.25)
KINK_SUM = 0.484375

BAND = to_rgba(style.FILLS["orange"], 0.25)  # kink bands: a light fill with an amber edge


# --- exact zeros of the hidden pre-activations -----------------------------------------------
def count_exact_zeros(net: Network, X: Array) -> list:
    """Number of entries with z_l == 0 exactly, for each hidden layer l = 1..L-1.

    z_l = W_l a_{l-1} + b_l (lecture), over all rows of X. Returned layer-indexed like the
    engine's lists: ``[None, n_1, ..., n_{L-1}]``. Only ReLU layers care (their S'(0) is a
    convention), but every hidden layer is counted.
    """
    X = net.check_x(X, "X")
    if X.ndim == 1:
        X = X[None, :]
    z, _ = feed_forward(net, X)
    return [None] + [int((z[l] == 0).sum()) for l in range(1, net.L)]


@dataclass
class ZeroCounter:
    """Training callback: counts exact zeros of the hidden z_l on X after each logged step.

    ``steepest_descent(..., callback=ZeroCounter(X))``; ``counter.steps`` and
    ``counter.zeros`` (total over hidden layers) start with step 0, counted on creation
    with :meth:`start`.
    """

    X: Array
    steps: list[int] = field(default_factory=list)
    zeros: list[int] = field(default_factory=list)
    entries: int = 0  # hidden pre-activations examined per count (n * sum of hidden widths)

    def start(self, net: Network) -> ZeroCounter:
        """Count at step 0, before the first update."""
        self.steps, self.zeros = [], []
        self.entries = int(self.X.shape[0]) * sum(net.p[1:-1])
        self._record(0, net)
        return self

    def _record(self, step: int, net: Network) -> None:
        self.steps.append(step)
        self.zeros.append(sum(count_exact_zeros(net, self.X)[1:]))

    def __call__(self, step: int, net: Network, hist: Any) -> bool:
        self._record(step, net)
        return False


def zeros_during_training(net: Network, X: Array, Y: Array, lr: float, steps: int,
                          seed: int = 0) -> ZeroCounter:
    """Train ``net`` in place by steepest descent and count exact hidden zeros at every step
    (step 0 included). Returns the filled :class:`ZeroCounter`."""
    X = net.check_x(X, "X")
    counter = ZeroCounter(X).start(net)
    steepest_descent(net, X, Y, lr=lr, steps=steps, seed=seed, callback=counter)
    return counter


def _example_runs() -> list[dict[str, Any]]:
    def counter(zeros: list[int], entries: int) -> ZeroCounter:
        c = ZeroCounter(np.zeros((1, 2)))
        c.steps, c.zeros, c.entries = list(range(len(zeros))), zeros, entries
        return c

    return [{"runs": {"float32": counter([0, 0, 0, 0], 640), "float64": counter([0] * 4, 640)}},
            {"runs": {"float64": counter([0, 0, 0], 640),
                      "float64, W_1 = 0": counter([640, 640, 640], 640)}}]


@style.plot(examples=_example_runs)
def zero_count_figure(runs: dict[str, ZeroCounter]) -> Figure:
    """Exact zeros of the hidden z_l against the training step, one line per run."""
    fig = style.figure(8, 3.8)
    ax = fig.add_subplot()
    for i, (name, c) in enumerate(runs.items()):
        ax.plot(c.steps, c.zeros, ms=5, markevery=max(len(c.steps) // 20, 1),
                label=f"{name} ({c.entries:,} entries per count)", **style.series(i))
    ax.set_yscale("symlog", linthresh=1.0)  # shows 0 and tens of thousands on one axis
    ax.set_ylim(-0.5, None)
    ax.set_xlabel("training step")
    ax.set_ylabel(r"# entries with $z_l = 0$ exactly (symlog)")
    ax.set_title("How often a hidden pre-activation sits exactly on the kink", fontsize=13)
    ax.legend(loc="center right")
    parts = []
    for name, c in runs.items():
        total = sum(c.zeros)
        part = (f"{name}: {total:,} exact zeros in {len(c.steps)} counts of {c.entries:,} "
                f"entries")
        if total:
            part += f" (step {c.steps[0]}: {c.zeros[0]:,}, last step: {c.zeros[-1]:,})"
        parts.append(part)
    text = ("Number of hidden pre-activations z_l exactly equal to 0 at each training step, "
            "one line per run (symmetric log scale). " + "; ".join(parts) + ".")
    return style.describe(fig, text)


# --- what a central difference sees at the kink ----------------------------------------------
def fd_relu_slope(z0: Array, h: float) -> np.ndarray:
    """Central difference (S(z0 + h) - S(z0 - h)) / (2h) of the ReLU at z0.

    1 for z0 >= h, 0 for z0 <= -h, and (z0 + h)/(2h) across the kink: exactly 0.5 at z0 = 0,
    where back-propagation uses S'(0) = RELU_PRIME_AT_ZERO.
    """
    if not h > 0:
        raise ValueError(f"h: expected a positive step, got {h!r}")
    z0 = np.asarray(z0, dtype=np.float64)
    return (relu(z0 + h) - relu(z0 - h)) / (2.0 * h)


@style.plot(examples=lambda: [{"z0_over_h": 0.1}, {"z0_over_h": -1.5, "h": 1e-4},
                               {"z0_over_h": 0.0}])
def kink_secant_figure(z0_over_h: float, h: float = 1e-6) -> Figure:
    """Left: the ReLU near 0 with the secant through z0 - h and z0 + h. Right: the secant's
    slope (the finite difference) against z0/h, next to the S'(z0) back-propagation uses."""
    z0 = z0_over_h * h
    slope = float(fd_relu_slope(z0, h))
    bp = float(drelu(np.array([z0]))[0])

    fig = style.figure(9.25, 4.2)
    left, right = fig.subplots(1, 2)
    z = np.linspace(-3 * h, 3 * h, 601)
    left.plot(z / h, relu(z) / h, color=style.BLACK, lw=2, label="ReLU $S(z)=\\max(z,0)$")
    zs = np.array([z0 - h, z0 + h])
    left.plot(zs / h, relu(zs) / h, label=f"secant, slope = {slope:.2f}", **style.series(1))
    left.axvline(z0 / h, color=style.BLUE, lw=1.5, ls=":", label=f"$z_0$ = {z0_over_h:+.2f} h")
    left.set_xlabel("$z / h$")
    left.set_ylabel("$S(z) / h$")
    left.set_title(f"central difference with h = {h:.0e}")
    left.legend(loc="upper left")

    r = np.linspace(-2, 2, 401)
    right.axvspan(-1, 1, facecolor=BAND, edgecolor=style.AMBER, lw=1,
                  label=r"$|z_0| < h$: straddles the kink")  # the band itself
    right.plot(r, fd_relu_slope(r * h, h), label="finite difference", **style.series(1, False))
    right.step(r, drelu(r), where="post", lw=2,
               label=f"back-prop $S'(z_0)$, $S'(0)$ = {RELU_PRIME_AT_ZERO:g}",
               **style.series(0, False))
    right.plot([z0_over_h], [slope], ms=9, ls="none", **style.point(1))
    right.plot([z0_over_h], [bp], ms=8, ls="none", **style.point(0))
    for level in (0.0, 0.5, 1.0):
        right.axhline(level, color="0.85", lw=0.8, zorder=0, gid="decoration")
    right.set_xlabel("$z_0 / h$ (offset from the kink, in units of $h$)")
    right.set_ylabel("slope")
    right.set_title("what each method reports as $S'(z_0)$")
    right.set_ylim(-0.1, 1.45)
    right.legend(loc="upper left")
    where = "straddles the kink" if abs(z0_over_h) < 1 else "does not straddle the kink"
    text = (f"Left: the ReLU near 0 and the secant through z_0 - h and z_0 + h for "
            f"z_0 = {z0_over_h:+.2f} h, h = {h:.0e}. Right: the secant's slope against z_0/h "
            f"(0 below -h, 1 above h, a straight line in between) next to back-propagation's "
            f"step S'(z_0). At z_0 = {z0_over_h:+.2f} h the secant {where}: the central "
            f"difference reports slope {slope:.2f} while back-propagation uses "
            f"S'(z_0) = {bp:g}.")
    return style.describe(fig, text)


# --- a network with a pre-activation at distance z0 from the kink ----------------------------
def kink_network(z0: float) -> tuple[Network, np.ndarray, int]:
    """A 2-2-2 ReLU/softmax network and one example (x, y) with z_{1,1} = z0 (float64).

    z_1 = W_1 x + b_1 (lecture) with x = KINK_X, W_1[0] = KINK_W1_ROW and b_1[0] = z0 - KINK_SUM,
    so the first hidden unit sits z0 from the kink (exactly 0 for z0 = 0; otherwise up to
    the rounding of b_1[0]). In a gradient check with step h, theta entries that move that
    unit by more than |z0| straddle the kink: b_1[0] (moves z by h) and W_1[0, 0] (by h x_1 = h)
    for |z0| < h, W_1[0, 1] (by h x_2 = h/16) only for |z0| < h/16.
    """
    W1 = np.array([KINK_W1_ROW, [0.8, 0.6]])
    b1 = np.array([z0 - KINK_SUM, 0.1])
    W2 = np.array([[1.0, -0.5], [-0.7, 0.4]])
    b2 = np.array([0.0, 0.1])
    net = Network.from_weights([W1, W2], [b1, b2], hidden="relu", output="softmax")
    return net, np.array(KINK_X), 0


def _example_reports() -> list[dict[str, Any]]:
    out = []
    for z0 in (1e-7, 1e-5):
        net, x, y = kink_network(z0)
        out.append({"report": gradcheck(net, x[None, :], np.array([y]), h=1e-6),
                    "names": theta_entry_names(net.p)})
    return out


@style.plot(examples=_example_reports)
def kink_entries_figure(report: GradcheckReport, names: list[str]) -> Figure:
    """Back-propagation vs central difference for each theta entry of a gradient check,
    with the kink-flagged entries marked (``report`` from :func:`bplib.gradcheck.gradcheck`)."""
    analytic, numeric, flagged = report.analytic, report.numeric, report.flagged
    idx = np.arange(analytic.shape[0])
    fig = style.figure(9.25, 4.2)
    ax = fig.add_subplot()
    for i in np.flatnonzero(flagged):
        ax.axvspan(i - 0.45, i + 0.45, facecolor=BAND, edgecolor=style.AMBER, lw=1, zorder=0)
    ax.bar(idx - 0.2, analytic, width=0.4, color=style.BLUE, label="back-propagation")
    ax.bar(idx + 0.2, numeric, width=0.4, color=style.VERMILLION, hatch="//",
           edgecolor="white", label="central difference")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(idx, names, fontsize=10, rotation=45)
    ax.set_xlabel(r"entry of $\theta$")
    ax.set_ylabel(r"$\partial C / \partial \theta_i$")
    ax.set_title(f"gradient check at the kink: {int(flagged.sum())} flagged, "
                 f"max rel. error of the rest {report.max_rel_error:.0e}", fontsize=12)
    handles, _ = ax.get_legend_handles_labels()
    band = Patch(facecolor=BAND, edgecolor=style.AMBER, label="flagged: straddles the kink")
    ax.legend(handles=[band, *handles], loc="best")
    flagged_idx = np.flatnonzero(flagged)
    if flagged_idx.size:
        ratios = ", ".join(f"{names[i]} (central difference {numeric[i]:.3g}, back-propagation "
                           f"{analytic[i]:.3g})" for i in flagged_idx)
        what = f"{flagged_idx.size} entries are flagged as straddling the kink: {ratios}"
    else:
        what = "no entry is flagged: nothing straddles the kink"
    text = (f"Bars of back-propagation against central differences for each of the "
            f"{idx.size} entries of theta. {what}. The other entries agree: largest relative "
            f"error {report.max_rel_error:.1e}.")
    return style.describe(fig, text)


def theta_entry_names(p: tuple[int, ...]) -> list[str]:
    """Readable names of every theta entry in packing order: W_1[0,0], ..., b_L[p_L - 1]."""
    names = []
    for name, _sl, shape in theta_blocks(p):
        if len(shape) == 2:
            names += [f"{name}[{i},{j}]" for i in range(shape[0]) for j in range(shape[1])]
        else:
            names += [f"{name}[{i}]" for i in range(shape[0])]
    return names


@style.plot(examples=lambda: [{"z0_over_h": 0.1}, {"z0_over_h": 0.01}, {"z0_over_h": 1.2}])
def kink_gradcheck_figure(z0_over_h: float, h: float = 1e-6) -> Figure:
    """Gradient check of :func:`kink_network` with z0 = z0_over_h * h: the widget's view."""
    net, x, y = kink_network(z0_over_h * h)
    report = gradcheck(net, x[None, :], np.array([y]), h=h)
    return kink_entries_figure(report, theta_entry_names(net.p))


__all__ = [
    "ZeroCounter", "count_exact_zeros", "fd_relu_slope", "kink_entries_figure",
    "kink_gradcheck_figure", "kink_network", "kink_secant_figure", "theta_entry_names",
    "zero_count_figure", "zeros_during_training",
]
