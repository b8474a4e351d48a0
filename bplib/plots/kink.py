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
from matplotlib.figure import Figure

from ..activations import RELU_PRIME_AT_ZERO, drelu, relu
from ..gradcheck import GradcheckReport, gradcheck
from ..network import Network, feed_forward, theta_blocks
from ..train import steepest_descent

Array = Any

#: The point of the tiny kink network that puts z_{1,1} (first unit of layer 1) at z0:
#: x = (1, 1/16), W_1[0] = (1/2, -1/4); every number is a power of two, so
#: W_1[0] x = 0.484375 exactly and z_{1,1} = 0.484375 + b_1[0] has no rounding error.
KINK_X = (1.0, 0.0625)
KINK_W1_ROW = (0.5, -0.25)
KINK_SUM = 0.484375


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


def zero_count_figure(runs: dict[str, ZeroCounter]) -> Figure:
    """Exact zeros of the hidden z_l against the training step, one line per run."""
    fig = Figure(figsize=(8, 3.4), layout="constrained")
    ax = fig.add_subplot()
    for (name, c), marker in zip(runs.items(), "osd^v", strict=False):
        ax.plot(c.steps, c.zeros, marker=marker, ms=4, lw=1.5, markevery=max(len(c.steps) // 20, 1),
                label=f"{name} ({c.entries:,} entries per count)")
    ax.set_yscale("symlog", linthresh=1.0)  # shows 0 and tens of thousands on one axis
    ax.set_ylim(-0.5, None)
    ax.set_xlabel("training step", fontsize=11)
    ax.set_ylabel(r"# entries with $z_l = 0$ exactly (symlog)", fontsize=11)
    ax.set_title("How often a hidden pre-activation sits exactly on the kink", fontsize=13)
    ax.legend(fontsize=9, loc="center right")
    return fig


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


def kink_secant_figure(z0_over_h: float, h: float = 1e-6) -> Figure:
    """Left: the ReLU near 0 with the secant through z0 - h and z0 + h. Right: the secant's
    slope (the finite difference) against z0/h, next to the S'(z0) back-propagation uses."""
    z0 = z0_over_h * h
    slope = float(fd_relu_slope(z0, h))
    bp = float(drelu(np.array([z0]))[0])

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    z = np.linspace(-3 * h, 3 * h, 601)
    left.plot(z / h, relu(z) / h, color="k", lw=2, label="ReLU $S(z)=\\max(z,0)$")
    zs = np.array([z0 - h, z0 + h])
    left.plot(zs / h, relu(zs) / h, "o--", color="tab:red", lw=2,
              label=f"secant, slope = {slope:.2f}")
    left.axvline(z0 / h, color="tab:blue", lw=1, ls=":", label=f"$z_0$ = {z0_over_h:+.2f} h")
    left.set_xlabel("$z / h$", fontsize=11)
    left.set_ylabel("$S(z) / h$", fontsize=11)
    left.set_title(f"central difference with h = {h:.0e}", fontsize=13)
    left.legend(fontsize=9, loc="upper left")

    r = np.linspace(-2, 2, 401)
    right.plot(r, fd_relu_slope(r * h, h), color="tab:red", lw=2,
               label=r"finite difference $\frac{S(z_0+h)-S(z_0-h)}{2h}$")
    right.step(r, drelu(r), where="post", color="tab:blue", lw=1.5, ls="--",
               label=f"back-prop $S'(z_0)$, $S'(0)$ = {RELU_PRIME_AT_ZERO:g}")
    right.plot([z0_over_h], [slope], "o", ms=9, color="tab:red")
    right.plot([z0_over_h], [bp], "s", ms=8, color="tab:blue")
    for level in (0.0, 0.5, 1.0):
        right.axhline(level, color="0.85", lw=0.8, zorder=0)
    right.axvspan(-1, 1, color="tab:orange", alpha=0.12, label=r"$|z_0| < h$: straddles the kink")
    right.set_xlabel("$z_0 / h$ (offset of $z$ from the kink, in units of $h$)", fontsize=11)
    right.set_ylabel("slope", fontsize=11)
    right.set_title("what each method reports as $S'(z_0)$", fontsize=13)
    right.set_ylim(-0.1, 1.25)
    right.legend(fontsize=9, loc="upper left")
    return fig


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


def kink_entries_figure(report: GradcheckReport, names: list[str]) -> Figure:
    """Back-propagation vs central difference for each theta entry of a gradient check,
    with the kink-flagged entries marked (``report`` from :func:`bplib.gradcheck.gradcheck`)."""
    analytic, numeric, flagged = report.analytic, report.numeric, report.flagged
    idx = np.arange(analytic.shape[0])
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(idx - 0.2, analytic, width=0.4, color="tab:blue", label="back-propagation")
    ax.bar(idx + 0.2, numeric, width=0.4, color="tab:red", label="central difference")
    for i in np.flatnonzero(flagged):
        ax.axvspan(i - 0.45, i + 0.45, color="tab:orange", alpha=0.25, zorder=0)
    ax.axvspan(0, 0, color="tab:orange", alpha=0.25, zorder=0,
               label="flagged: straddles the kink")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(idx, names, fontsize=9, rotation=45)
    ax.set_xlabel(r"entry of $\theta$", fontsize=11)
    ax.set_ylabel(r"$\partial C / \partial \theta_i$", fontsize=11)
    ax.set_title(f"gradient check at the kink: {int(flagged.sum())} flagged, "
                 f"max rel. error of the rest {report.max_rel_error:.0e}", fontsize=13)
    ax.legend(fontsize=9)
    return fig


def theta_entry_names(p: tuple[int, ...]) -> list[str]:
    """Readable names of every theta entry in packing order: W_1[0,0], ..., b_L[p_L - 1]."""
    names = []
    for name, _sl, shape in theta_blocks(p):
        if len(shape) == 2:
            names += [f"{name}[{i},{j}]" for i in range(shape[0]) for j in range(shape[1])]
        else:
            names += [f"{name}[{i}]" for i in range(shape[0])]
    return names


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
