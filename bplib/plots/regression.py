"""Notebook 09 (multi-output regression): squared error and delta_L = S'_L(z_L) ⊙ 2(g - y).

Lecture: for an element-wise output activation S_L and the squared-error loss
C = ||g - y||^2 with g = S_L(z_L), the Jacobian dS_L/dz_L is diagonal,
diag(S'_L(z_L)), and dC/dg = 2(g - y), so

    delta_L = (dS_L/dz_L)(dC/dg) = S'_L(z_L) ⊙ 2(g - y)

(S'_L = 1 for the identity output usually used in regression).

The widget fits the 2-output function of :func:`bplib.data.make_regression` by steepest
descent. Training runs once per setting and keeps snapshots of theta, cached, so moving the
step slider only re-evaluates the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..data import make_regression, train_test_split
from ..gradcheck import DeltaForms, delta_L_three_ways
from ..losses import get_output_loss
from ..network import Network
from ..train import steepest_descent
from . import style

Array = Any

WIDTHS = (2, 32, 32, 2)  # p = (p_0, p_1, p_2, p_L) of the regression network
MAX_STEPS = 3000
SNAPSHOT_EVERY = 25


def delta_forms(output: str, z: Array, y: Array, h: float = 1e-6) -> DeltaForms:
    """delta_L for one example three ways (float64): the closed form S'_L(z) ⊙ 2(g - y), the
    lecture's (dS_L/dz_L)(dC/dg), and central differences of C(z_L) = ||S_L(z_L) - y||^2."""
    return delta_L_three_ways(get_output_loss(output, "squared_error"), z, y, h)


@lru_cache(maxsize=1)
def regression_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """make_regression(200) split 150/50: (X_train, Y_train, X_test, Y_test)."""
    X, Y = make_regression(200, noise=0.05, seed=seed)
    return train_test_split(X, Y, test_fraction=0.25, seed=seed)


@dataclass(frozen=True)
class RegressionRun:
    """One training run: loss curves at every logged step and theta snapshots."""

    lr: float
    hidden: str
    steps: tuple[int, ...]  # logged steps
    loss: tuple[float, ...]  # training loss (mean of ||g - y||^2) at those steps
    test_loss: tuple[float, ...]
    snapshots: dict  # step -> theta (host float64), every SNAPSHOT_EVERY steps and step 0

    def network(self, step: int) -> Network:
        """The network as it was after ``step`` updates (rounded down to a snapshot)."""
        keys = sorted(self.snapshots)
        if not 0 <= step <= keys[-1]:
            raise ValueError(f"step: expected 0..{keys[-1]}, got {step}")
        at = max(k for k in keys if k <= step)
        net = Network.init(WIDTHS, hidden=self.hidden, output="identity", seed=0)
        net.set_theta(self.snapshots[at].copy())
        return net


@lru_cache(maxsize=16)
def train_regression(lr: float, hidden: str = "tanh", steps: int = MAX_STEPS,
                     seed: int = 0) -> RegressionRun:
    """Steepest descent theta <- theta - lr * grad on the regression data, p = WIDTHS,
    identity output, squared error; losses and theta recorded every SNAPSHOT_EVERY steps
    (after the update), plus step 0.

    Cached: the same arguments return the same (frozen) run without training again.
    """
    X_train, Y_train, X_test, Y_test = regression_data(seed)
    net = Network.init(WIDTHS, hidden=hidden, output="identity", loss="squared_error",
                       seed=seed)
    logged = [0]
    loss = [net.loss_value(X_train, Y_train)]
    test_loss = [net.loss_value(X_test, Y_test)]
    snapshots = {0: net.theta.copy()}

    def record(step: int, net: Network, hist: Any) -> bool:
        logged.append(step)
        loss.append(net.loss_value(X_train, Y_train))
        test_loss.append(net.loss_value(X_test, Y_test))
        snapshots[step] = net.theta.copy()
        return False

    steepest_descent(net, X_train, Y_train, lr=lr, steps=steps, seed=seed,
                     log_every=SNAPSHOT_EVERY, callback=record)
    return RegressionRun(lr, hidden, tuple(logged), tuple(loss), tuple(test_loss), snapshots)


@style.plot(examples=lambda: [{"steps": 0, "lr": 0.1}, {"steps": 250, "lr": 0.1},
                               {"steps": 3000, "lr": 0.1}])
def regression_fit_figure(steps: int, lr: float, hidden: str = "tanh") -> Figure:
    """Predicted against true outputs on the test set after ``steps`` updates with learning
    rate ``lr`` (one panel per output), and the loss curves with the current step marked."""
    run = train_regression(lr, hidden)
    net = run.network(steps)
    _, _, X_test, Y_test = regression_data()
    G = net.predict(X_test)
    test_mse = float(np.mean(np.sum((G - Y_test) ** 2, axis=1)))

    fig = style.figure(9.25, 3.9)
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.25])
    names = (r"$y_1 = \sin(\pi x_1)\cos(\pi x_2)$", r"$y_2 = x_1^2 - x_2/2$")
    corr = []
    for k, ax in enumerate(axes[:2]):
        lo, hi = float(Y_test[:, k].min()) - 0.2, float(Y_test[:, k].max()) + 0.2
        ax.plot([lo, hi], [lo, hi], color=style.GREY, lw=1.2, ls=(0, (4, 3)),
                label="perfect fit $g = y$")
        ax.scatter(Y_test[:, k], G[:, k], s=18, label="test points", **style.point(2 * k))
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(f"true $y_{k + 1}$")
        ax.set_ylabel(f"predicted $g_{k + 1}(x)$")
        ax.set_title(f"output {k + 1}: {names[k]}", fontsize=11)
        ax.legend(loc="upper left")
        corr.append(float(np.corrcoef(Y_test[:, k], G[:, k])[0, 1]) if G[:, k].std() > 0
                    else 0.0)
    ax = axes[2]
    ax.semilogy(run.steps, run.loss, label="training loss", **style.series(0, False))
    ax.semilogy(run.steps, run.test_loss, label="test loss", **style.series(1, False))
    ax.axvline(steps, color=style.BLACK, lw=1.2, ls=":", label=f"step {steps}")
    ax.set_xlabel("steepest-descent step")
    ax.set_ylabel(r"mean $\|g(x) - y\|^2$")
    ax.set_title(f"lr = {lr:g}: test loss {test_mse:.3g} at step {steps}", fontsize=11)
    ax.legend()
    text = (f"Multi-output regression after {steps} steepest-descent steps with learning "
            f"rate {lr:g} ({hidden} hidden layers): predicted against true outputs on the "
            f"{len(Y_test)} test points, correlation {corr[0]:.2f} for y_1 and {corr[1]:.2f} "
            f"for y_2 (points on the diagonal are a perfect fit); test loss {test_mse:.3g}. "
            f"Loss curves: training loss from {run.loss[0]:.3g} at step 0 to {run.loss[-1]:.3g} "
            f"at step {run.steps[-1]}, test loss to {run.test_loss[-1]:.3g}.")
    return style.describe(fig, text)
