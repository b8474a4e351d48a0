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

from ..activations import drelu, relu
from ..gradcheck import GradcheckReport, gradcheck
from ..network import Network, feed_forward, theta_blocks
from ..train import steepest_descent
from . import style

Array = Any

#: The point of the tiny kink network that puts z_{1,1} (unit 1 of layer 1) where we ask:
#: x = (1, 1/16) and row 1 of W_1 = (1/2, -1/4) (``W[1][0]`` in code); every number is a
#: power of two, so that row times x is 0.484375 exactly and z_{1,1} = 0.484375 + b_{1,1}
#: has no rounding error.
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


def zero_probability_bound(seen: int, confidence: float = 0.95) -> float:
    """Upper confidence bound on the probability p that one entry is exactly 0, when none of
    ``seen`` independent entries was: the p with (1 - p)^seen = 1 - confidence (exact
    binomial; about 3/seen at 95 %, the "rule of three")."""
    if seen < 1:
        raise ValueError(f"seen: expected a positive number of entries, got {seen}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a number in (0, 1), got {confidence}")
    return float(-np.expm1(np.log1p(-confidence) / seen))


def zero_summary(name: str, c: ZeroCounter) -> str:
    """One line for a run: exact zeros counted, entries examined and, when none was seen,
    the 95 % upper bound on the probability of an exact zero per entry."""
    total, seen = sum(c.zeros), c.entries * len(c.steps)
    if total == 0:
        return (f"{name}: 0 exact zeros in {seen:,} entries, so P(z = 0) < "
                f"{style.fmt_number(zero_probability_bound(seen))} (95 %)")
    return (f"{name}: {total:,} exact zeros in {seen:,} entries (step {c.steps[0]}: "
            f"{c.zeros[0]:,} of {c.entries:,}, last step: {c.zeros[-1]:,})")


@style.plot(examples=_example_runs)
def zero_count_figure(runs: dict[str, ZeroCounter]) -> Figure:
    """The fraction of hidden z_l exactly 0 against the training step, one panel per run
    (so runs with the same counts do not hide each other), each with its count."""
    n = len(runs)
    fig = style.figure(9, 1.2 * n + 1.0)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    for i, (ax, (name, c)) in enumerate(zip(axes, runs.items(), strict=True)):
        ax.plot(c.steps, np.asarray(c.zeros) / c.entries, ms=5, label=name,
                markevery=max(len(c.steps) // 20, 1), **style.series(i))
        ax.set_ylim(-0.15, 1.15)
        ax.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.grid(True, axis="y")
        ax.text(0.99, 0.5, zero_summary(name, c), transform=ax.transAxes, ha="right",
                va="center", fontsize=10, color=style.PALETTE[i % len(style.PALETTE)],
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    axes[-1].set_xlabel("training step")
    fig.supylabel("fraction of hidden $z_l$\nexactly 0", fontsize=11)
    fig.suptitle("Exact zeros of the hidden pre-activations: one panel per run", fontsize=13)
    text = ("Fraction of the hidden pre-activations z_l exactly equal to 0 at each training "
            "step, one panel per run. " + "; ".join(zero_summary(k, c) for k, c in runs.items())
            + ".")
    return style.describe(fig, text)


# --- what a central difference sees at the kink ----------------------------------------------
def fd_relu_slope(z: Array, h: Array) -> np.ndarray:
    """Central difference (S(z + h) - S(z - h)) / (2h) of the ReLU at z.

    1 for z >= h, 0 for z <= -h, and (z + h)/(2h) across the kink: exactly 0.5 at z = 0,
    where back-propagation uses S'(0) = RELU_PRIME_AT_ZERO.
    """
    h_in, h = h, np.asarray(h, dtype=np.float64)
    if not np.all(h > 0):
        raise ValueError(f"h: expected a positive step (or array of steps), got {h_in!r}")
    z = np.asarray(z, dtype=np.float64)
    return (relu(z + h) - relu(z - h)) / (2.0 * h)


#: The unit of the secant figure's z axis (the widget's slider moves z in these units).
MICRO = 1e-6


@style.plot(examples=lambda: [{"z": 1e-7, "h": 1e-6}, {"z": 1e-7, "h": 1e-8},
                               {"z": 0.0, "h": 1e-4}, {"z": -1.5e-6, "h": 1e-6}])
def kink_secant_figure(z: float, h: float = 1e-6) -> Figure:
    """Left: the ReLU around its kink and the secant through z - h and z + h that a central
    difference with step h measures. Right: that secant's slope against h (log axis) for this
    z, next to the S'(z) back-propagation uses: it equals S'(z) once h <= |z| and tends to
    1/2 when h is much larger than |z|. Both controls (z and h) move what is drawn."""
    if not h > 0:
        raise ValueError(f"h: expected a positive step, got {h!r}")
    slope = float(fd_relu_slope(z, h))
    bp = float(drelu(np.array([z]))[0])
    straddles = abs(z) < h

    fig = style.figure(9.25, 4.3)
    left, right = fig.subplots(1, 2)
    lo, hi = min(0.0, z - h), max(0.0, z + h)
    pad = 0.35 * (hi - lo)
    zs = np.linspace(lo - pad, hi + pad, 801)
    left.plot(zs / MICRO, relu(zs) / MICRO, color=style.BLACK, lw=2,
              label=r"ReLU $S(z) = \max(z, 0)$")
    ends = np.array([z - h, z + h])
    left.plot(ends / MICRO, relu(ends) / MICRO, ms=8, label=f"secant, slope {slope:.2f}",
              **style.series(1))
    left.axvline(z / MICRO, color=style.BLUE, lw=1.5, ls=":", label=f"$z$ = {z / MICRO:+.2f}")
    left.set_xlim((lo - pad) / MICRO, (hi + pad) / MICRO)
    left.set_xlabel(r"pre-activation $z$ (units of $10^{-6}$)")
    left.set_ylabel(r"$S(z)$ (units of $10^{-6}$)")
    left.set_title(f"h = {style.fmt_number(h)}: secant slope {slope:.2f}, $S'(z)$ = {bp:g}")
    left.legend(loc="upper left")

    hs = np.logspace(-9, -2, 400)
    if z != 0:
        right.axvspan(abs(z), hs[-1], facecolor=BAND, edgecolor=style.AMBER, lw=1,
                      label=r"$h > |z|$: the secant straddles the kink")
    else:
        right.axvspan(hs[0], hs[-1], facecolor=BAND, edgecolor=style.AMBER, lw=1,
                      label=r"$z = 0$: every secant straddles the kink")
    right.axhline(bp, lw=4, label=f"back-propagation $S'(z)$ = {bp:g}",
                  **style.series(0, False))  # under the dashes: visible where both agree
    right.semilogx(hs, fd_relu_slope(z, hs), label="central difference",
                   **style.series(1, False))
    right.plot([h], [slope], ms=9, ls="none", **style.point(1))
    right.set_xlim(hs[0], hs[-1])
    right.set_ylim(-0.1, 1.6)
    right.set_xlabel("finite-difference step $h$ (log scale)")
    right.set_ylabel("slope reported for $S'(z)$")
    right.set_title(f"at $z$ = {style.fmt_number(z)}: slope against the step")
    right.legend(loc="upper left")
    where = (f"straddles the kink (|z| < h): the central difference reports {slope:.2f} "
             f"where back-propagation uses S'(z) = {bp:g}" if straddles else
             f"does not straddle the kink (|z| >= h): both report {bp:g}")
    text = (f"Left: the ReLU near its kink and the secant through z - h and z + h for "
            f"z = {z:.1e}, h = {h:.0e}. Right: the central difference's slope against h for "
            f"this z, next to back-propagation's S'(z) = {bp:g}; it equals S'(z) for h <= |z| "
            f"and tends to 0.5 for h much larger than |z|. At h = {h:.0e} the secant {where}.")
    return style.describe(fig, text)


# --- a network with a pre-activation at distance z from the kink -----------------------------
def kink_network(z11: float) -> tuple[Network, np.ndarray, int]:
    """A 2-2-2 ReLU/softmax network and one example (x, y) with z_{1,1} = z11 (float64).

    z_1 = W_1 x + b_1 (lecture) with x = KINK_X, the first row of W_1 = KINK_W1_ROW and
    b_{1,1} = z11 - KINK_SUM, so unit 1 of layer 1 sits z11 from the kink (exactly 0 for
    z11 = 0; otherwise up to the rounding of b_{1,1}). In a gradient check with step h, the
    theta entries that move that unit by more than |z11| straddle the kink: b_{1,1} (moves
    z_{1,1} by h) and (W_1)_{1,1} (by h x_1 = h) for |z11| < h, (W_1)_{1,2} (by h x_2 = h/16)
    only for |z11| < h/16. (In code b_{1,1} is ``net.b[1][0]`` and (W_1)_{1,2} is
    ``net.W[1][0, 1]``.)
    """
    W1 = np.array([KINK_W1_ROW, [0.8, 0.6]])
    b1 = np.array([z11 - KINK_SUM, 0.1])
    W2 = np.array([[1.0, -0.5], [-0.7, 0.4]])
    b2 = np.array([0.0, 0.1])
    net = Network.from_weights([W1, W2], [b1, b2], hidden="relu", output="softmax")
    return net, np.array(KINK_X), 0


def _example_reports() -> list[dict[str, Any]]:
    out = []
    for z11 in (1e-7, 1e-5):
        net, x, y = kink_network(z11)
        out.append({"report": gradcheck(net, x[None, :], np.array([y]), h=1e-6),
                    "names": theta_entry_names(net.p, tex=True)})
    return out


@style.plot(examples=_example_reports)
def kink_entries_figure(report: GradcheckReport, names: list[str]) -> Figure:
    """Back-propagation vs central difference for each theta entry of a gradient check,
    with the kink-flagged entries marked (``report`` from :func:`bplib.gradcheck.gradcheck`;
    ``names`` label the entries, e.g. ``theta_entry_names(p, tex=True)``)."""
    analytic, numeric, flagged = report.analytic, report.numeric, report.flagged
    idx = np.arange(analytic.shape[0])
    fig = style.figure(9.25, 4.4)
    ax = fig.add_subplot()
    for i in np.flatnonzero(flagged):
        ax.axvspan(i - 0.45, i + 0.45, facecolor=BAND, edgecolor=style.AMBER, lw=1, zorder=0)
    ax.bar(idx - 0.2, analytic, width=0.4, color=style.BLUE, label="back-propagation")
    ax.bar(idx + 0.2, numeric, width=0.4, color=style.VERMILLION, hatch="//",
           edgecolor="white", label="central difference (hatched)")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(idx, names, fontsize=11)
    ax.set_xlabel(r"entry of $\theta$ (the slide's 1-based indices)")
    ax.set_ylabel(r"$\partial C / \partial \theta_i$")
    ax.set_title(f"gradient check at the kink: {int(flagged.sum())} flagged, "
                 f"max rel. error of the rest {report.max_rel_error:.0e}", fontsize=12)
    handles, _ = ax.get_legend_handles_labels()
    band = Patch(facecolor=BAND, edgecolor=style.AMBER, label="flagged: straddles the kink")
    ax.legend(handles=[band, *handles], loc="best")
    plain = [n.replace("$", "") for n in names]
    flagged_idx = np.flatnonzero(flagged)
    if flagged_idx.size:
        ratios = ", ".join(f"{plain[i]} (central difference {numeric[i]:.3g}, back-propagation "
                           f"{analytic[i]:.3g})" for i in flagged_idx)
        what = f"{flagged_idx.size} entries are flagged as straddling the kink: {ratios}"
    else:
        what = "no entry is flagged: nothing straddles the kink"
    text = (f"Bars of back-propagation against central differences for each of the "
            f"{idx.size} entries of theta. {what}. The other entries agree: largest relative "
            f"error {report.max_rel_error:.1e}.")
    return style.describe(fig, text)


def theta_entry_names(p: tuple[int, ...], tex: bool = False) -> list[str]:
    """Names of every theta entry in packing order, with the slide's 1-based indices:
    (W_1)_{1,1}, (W_1)_{1,2}, ..., b_{1,1}, ..., b_{L,p_L} (entry (i, j) of W_l is
    ``W[l][i-1, j-1]`` in code, b_{l,i} is ``b[l][i-1]``); ``tex=True`` wraps each in $...$
    for Matplotlib labels."""
    names = []
    for name, _sl, shape in theta_blocks(p):
        l = name.split("_")[1]
        if len(shape) == 2:
            names += [f"(W_{l})_{{{i},{j}}}" for i in range(1, shape[0] + 1)
                      for j in range(1, shape[1] + 1)]
        else:
            names += [f"b_{{{l},{i}}}" for i in range(1, shape[0] + 1)]
    return [f"${n}$" for n in names] if tex else names


@style.plot(examples=lambda: [{"z_over_h": 0.1}, {"z_over_h": 0.01}, {"z_over_h": 1.2}])
def kink_gradcheck_figure(z_over_h: float, h: float = 1e-6) -> Figure:
    """Gradient check of :func:`kink_network` with z_{1,1} = z_over_h * h: the widget's
    view."""
    net, x, y = kink_network(z_over_h * h)
    report = gradcheck(net, x[None, :], np.array([y]), h=h)
    return kink_entries_figure(report, theta_entry_names(net.p, tex=True))


__all__ = [
    "ZeroCounter", "count_exact_zeros", "fd_relu_slope", "kink_entries_figure",
    "kink_gradcheck_figure", "kink_network", "kink_secant_figure", "theta_entry_names",
    "zero_count_figure", "zero_probability_bound", "zero_summary", "zeros_during_training",
]
