"""Notebook 09 (multi-output regression): squared error and delta_L = S'_L(z_L) ⊙ 2(g - y).

Lecture: for an element-wise output activation S_L and the squared-error loss
C = ||g - y||^2 with g = S_L(z_L), the Jacobian dS_L/dz_L is diagonal,
diag(S'_L(z_L)), and dC/dg = 2(g - y), so

    delta_L = (dS_L/dz_L)(dC/dg) = S'_L(z_L) ⊙ 2(g - y)

(S'_L = 1 for the identity output usually used in regression).

The widget fits the 2-output function of :func:`bplib.data.make_regression` by steepest
descent. Training runs once per setting and keeps snapshots of theta, cached, so moving the
step slider only re-evaluates the network.

Loss spikes: steepest descent is stable along an eigenvector of the Hessian H of the training
loss only if its eigenvalue lambda < 2 / alpha (near a minimum a step multiplies that
component of theta - theta* by 1 - alpha lambda). :func:`sharpness` measures lambda_max by
power iteration on Hessian-vector products, each a central difference of two back-propagated
gradients; :func:`stability_figure` shows lambda_max rising to 2 / alpha and the loss spiking
where it passes it, and a smaller step that removes the spikes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..backprop import algorithm2_batched
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
    every_loss: tuple[float, ...] = ()  # training loss after k updates, k = 0, 1, ..., steps

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
    (after the update), plus step 0, and the training loss after every step (``every_loss``).

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
        if step % SNAPSHOT_EVERY == 0 or step == steps:
            logged.append(step)
            loss.append(net.loss_value(X_train, Y_train))
            test_loss.append(net.loss_value(X_test, Y_test))
            snapshots[step] = net.theta.copy()
        return False

    # log every step: hist.loss[k] is the loss after k updates (taken with the k+1-th gradient)
    hist = steepest_descent(net, X_train, Y_train, lr=lr, steps=steps, seed=seed,
                            log_every=1, callback=record)
    every = (*hist.loss, loss[-1])
    return RegressionRun(lr, hidden, tuple(logged), tuple(loss), tuple(test_loss), snapshots,
                         tuple(float(v) for v in every))


# --- step size against curvature: loss spikes ------------------------------------------------
def hessian_vector_product(net: Network, X: Array, Y: Array, v: Array, eps: float = 1e-4,
                           probe: Network | None = None) -> np.ndarray:
    """H v for the Hessian H of the training loss at the network's theta: the central
    difference (grad(theta + eps v) - grad(theta - eps v)) / (2 eps) of two gradients from
    Algorithm 2 (float64; error O(eps^2) plus rounding ~1e-16 ||grad|| / eps). ``probe``: a
    copy of the network to evaluate the gradients in (made when not given)."""
    theta = net.theta
    probe = net.copy() if probe is None else probe
    grads = []
    for sign in (1.0, -1.0):
        probe.set_theta(theta + sign * eps * v)
        grads.append(np.asarray(algorithm2_batched(probe, X, Y).theta()))
    return (grads[0] - grads[1]) / (2 * eps)


def sharpness(net: Network, X: Array, Y: Array, iters: int = 20, v0: Array | None = None,
              seed: int = 0) -> tuple[float, np.ndarray]:
    """lambda_max, the largest eigenvalue of the Hessian of the training loss at the network's
    theta (the curvature of its sharpest direction), by power iteration v <- H v / ||H v||
    from ``v0`` (default: a seeded random direction); returns (lambda_max, v). Power iteration
    finds the eigenvalue of largest magnitude: lambda_max as long as no negative eigenvalue is
    larger in magnitude (true near a minimum). Steepest descent with step alpha is stable along
    v only if lambda_max < 2 / alpha."""
    v = np.random.default_rng(seed).normal(size=net.theta.shape) if v0 is None else v0.copy()
    v /= np.linalg.norm(v)
    probe = net.copy()
    lam = 0.0
    for _ in range(iters):
        hv = hessian_vector_product(net, X, Y, v, probe=probe)
        lam = float(v @ hv)  # Rayleigh quotient
        v = hv / np.linalg.norm(hv)
    return lam, v


@lru_cache(maxsize=8)
def sharpness_curve(lr: float, hidden: str = "tanh", every: int = 100,
                    iters: int = 8) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """lambda_max along the run :func:`train_regression` (lr, hidden), at every ``every``-th
    step (a multiple of SNAPSHOT_EVERY), each power iteration started from the previous
    direction (the first from a random one, with 3 x ``iters`` iterations). Cached."""
    if every % SNAPSHOT_EVERY:
        raise ValueError(f"every: expected a multiple of {SNAPSHOT_EVERY} (the snapshots), "
                         f"got {every}")
    run = train_regression(lr, hidden)
    X_train, Y_train, _, _ = regression_data()
    steps = tuple(k for k in sorted(run.snapshots) if k % every == 0)
    values, v = [], None
    for k in steps:
        lam, v = sharpness(run.network(k), X_train, Y_train,
                           iters=3 * iters if v is None else iters, v0=v)
        values.append(lam)
    return steps, tuple(values)


def _times(n: int) -> str:
    return {0: "nowhere", 1: "once", 2: "twice"}.get(n, f"{n} times")


def loss_spikes(loss: Sequence[float], rise: float = 1.2) -> list[tuple[int, int]]:
    """The spikes of a loss curve ``loss[k]`` (k = step): runs of consecutive increases whose
    peak is more than ``rise`` times the loss where the run started; [(start, peak), ...]."""
    out, k, n = [], 0, len(loss)
    while k < n - 1:
        if loss[k + 1] > loss[k]:
            start = k
            while k < n - 1 and loss[k + 1] > loss[k]:
                k += 1
            if loss[k] > rise * loss[start]:
                out.append((start, k))
        else:
            k += 1
    return out


@style.plot(examples=lambda: [{"lrs": (0.1, 0.05)}, {"lrs": (0.1,), "every": 200}])
def stability_figure(lrs: Sequence[float] = (0.1, 0.05), every: int = 100) -> Figure:
    """Left: the training loss after every step for each step size alpha, spikes marked.
    Right: lambda_max of the Hessian along each run against the stability limit 2 / alpha."""
    fig = style.figure(9.25, 4.0)
    left, right = fig.subplots(1, 2)
    parts = []
    lines_l, lines_r = [], []
    for k, lr in enumerate(lrs):
        run = train_regression(lr)
        loss = np.asarray(run.every_loss)
        st = style.series(k, marker=False)
        (ln,) = left.semilogy(np.arange(len(loss)), loss, lw=1.6, **st)
        lines_l.append(ln)
        spikes = loss_spikes(loss)
        if spikes:
            peaks = [p for _, p in spikes]
            left.plot(peaks, loss[peaks], ls="none", marker="v", ms=8, color=st["color"],
                      mec=style.BLACK, mew=0.6)
        steps, lam = sharpness_curve(lr, every=every)
        (lr_line,) = right.plot(steps, lam, **style.series(k, markevery=3))
        lines_r.append(lr_line)
        right.axhline(2 / lr, color=st["color"], lw=1.2, ls=(0, (1, 1.5)))
        right.text(steps[-1], 2 / lr, f"2/α = {2 / lr:g}", color=st["color"], fontsize=10,
                   ha="right", va="bottom")
        parts.append(f"α = {lr:g}: {len(spikes)} spike{'s' if len(spikes) != 1 else ''}"
                     + (f" (at steps {', '.join(str(p) for _, p in spikes)})" if spikes else "")
                     + f", final training loss {style.fmt_number(loss[-1], 3)}; λ_max from "
                       f"{lam[0]:.3g} to a largest {max(lam):.3g} against 2/α = {2 / lr:g}")
    left.legend(lines_l, [f"α = {lr:g}" for lr in lrs], loc="upper right")
    left.set_xlabel("steepest-descent step")
    left.set_ylabel(r"training loss, mean $\|g(x) - y\|^2$")
    left.set_title("loss after every step (▼: spikes)", fontsize=12)
    top = max(max(2 / lr for lr in lrs), max(max(sharpness_curve(lr, every=every)[1])
                                              for lr in lrs))
    right.set_ylim(0, top * 1.12)
    right.set_xlabel("steepest-descent step")
    right.set_ylabel(r"$\lambda_{\max}$ of the Hessian")
    right.set_title(r"sharpest curvature $\lambda_{\max}$ against $2/\alpha$", fontsize=12)
    right.legend([*lines_r], [f"α = {lr:g}" for lr in lrs], loc="lower right")
    text = ("Left: training loss of the regression network after every steepest-descent step, "
            "log scale, one line per step size α, spikes (runs of rising loss) marked. Right: "
            "the largest eigenvalue λ_max of the Hessian of the training loss along each run, "
            "with the stability limit 2/α (a step is stable along the sharpest direction only "
            "if λ_max < 2/α). " + "; ".join(parts) + ".")
    return style.describe(fig, text)


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

    spikes = loss_spikes(run.every_loss)
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
    ax.semilogy(np.arange(len(run.every_loss)), run.every_loss, label="training loss",
                **style.series(0, False, lw=1.5))
    ax.semilogy(run.steps, run.test_loss, label="test loss", **style.series(1, False))
    ax.axvline(steps, color=style.BLACK, lw=1.2, ls=":", label=f"step {steps}")
    ax.set_xlabel("steepest-descent step")
    ax.set_ylabel(r"mean $\|g(x) - y\|^2$")
    ax.set_title(f"α = {lr:g}: test loss {test_mse:.3g} at step {steps}", fontsize=11)
    ax.legend()
    text = (f"Multi-output regression after {steps} steepest-descent steps with learning "
            f"rate {lr:g} ({hidden} hidden layers): predicted against true outputs on the "
            f"{len(Y_test)} test points, correlation {corr[0]:.2f} for y_1 and {corr[1]:.2f} "
            f"for y_2 (points on the diagonal are a perfect fit); test loss {test_mse:.3g}. "
            f"Loss curves: training loss from {run.loss[0]:.3g} at step 0 to {run.loss[-1]:.3g} "
            f"at step {run.steps[-1]}, test loss to {run.test_loss[-1]:.3g}; the training loss "
            f"spikes {_times(len(spikes))}" + (f" (peaks at steps "
                                               f"{', '.join(str(p) for _, p in spikes)})"
                                               if spikes else "") + ".")
    return style.describe(fig, text)
