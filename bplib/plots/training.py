"""Notebook 10 (training by steepest descent, end to end).

Steepest descent (lecture): theta <- theta - alpha * grad l(theta), where l(theta) =
(1/n) sum_i C_i(theta) is the training loss and its gradient comes from Algorithm 2.
Here on 2-D spirals (bplib.data.make_spirals, 3 classes), with a train/test split, a
decision-boundary plot, and loss/accuracy curves that can be redrawn live from a training
callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..backend import to_numpy
from ..data import make_spirals, train_test_split
from ..network import Network
from ..train import History, steepest_descent

Array = Any

CLASS_COLOURS = ("tab:blue", "tab:orange", "tab:green")
STEPS = 300
LOG_EVERY = 5


@lru_cache(maxsize=1)
def spiral_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """300 spiral points in 3 classes, split 225 / 75: (X_train, y_train, X_test, y_test)."""
    X, y = make_spirals(300, classes=3, seed=seed)
    return train_test_split(X, y, test_fraction=0.25, seed=seed)


def spiral_network(width: int, depth: int, seed: int = 0) -> Network:
    """p = (2, width x depth, 3): ReLU hidden layers, softmax output, cross-entropy."""
    if depth < 1 or width < 1:
        raise ValueError(f"width, depth: expected positive integers, got {width}, {depth}")
    return Network.init((2, *[width] * depth, 3), hidden="relu", output="softmax", seed=seed)


def train_spirals(lr: float, width: int, depth: int, steps: int = STEPS, seed: int = 0,
                  callback: Callable[[int, Network, History], Any] | None = None,
                  progress: bool = False) -> tuple[Network, History]:
    """Full-batch steepest descent on the spiral training set, test set evaluated every
    LOG_EVERY steps; returns the trained network and its History."""
    X_train, y_train, X_test, y_test = spiral_data(seed)
    net = spiral_network(width, depth, seed)
    hist = steepest_descent(net, X_train, y_train, lr=lr, steps=steps, seed=seed,
                            X_test=X_test, Y_test=y_test, log_every=LOG_EVERY,
                            callback=callback, progress=progress)
    return net, hist


@dataclass(frozen=True)
class Run:
    """A finished training run, kept for the widget (theta and the curves)."""

    width: int
    depth: int
    theta: np.ndarray
    hist: History

    def network(self) -> Network:
        net = spiral_network(self.width, self.depth)
        net.set_theta(self.theta.copy())
        return net


@lru_cache(maxsize=64)
def cached_run(lr: float, width: int, depth: int, steps: int = STEPS) -> Run:
    """:func:`train_spirals` once per setting (deterministic, so caching changes nothing but
    the time a widget redraw takes)."""
    net, hist = train_spirals(lr, width, depth, steps)
    return Run(width, depth, to_numpy(net.theta).copy(), hist)


def decision_regions(net: Network, lim: float = 1.2, resolution: int = 200
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted class argmax_k g_k(x) on a resolution x resolution grid of [-lim, lim]^2:
    (x1 grid, x2 grid, classes), each of shape (resolution, resolution)."""
    t = np.linspace(-lim, lim, resolution)
    x1, x2 = np.meshgrid(t, t)
    grid = np.column_stack([x1.ravel(), x2.ravel()]).astype(net.dtype)
    classes = to_numpy(net.predict_class(net.xp.asarray(grid))).reshape(x1.shape)
    return x1, x2, classes


def _curves(loss_ax: Any, acc_ax: Any, hist: History) -> None:
    loss_ax.semilogy(hist.step, hist.loss, color="tab:blue", lw=2, label="training")
    acc_ax.plot(hist.step, hist.accuracy, color="tab:blue", lw=2, label="training")
    if hist.test_loss:
        loss_ax.semilogy(hist.step, hist.test_loss, color="tab:red", lw=2, label="test")
        acc_ax.plot(hist.step, hist.test_accuracy, color="tab:red", lw=2, label="test")
    loss_ax.set_ylabel("cross-entropy loss", fontsize=11)
    loss_ax.set_title("loss", fontsize=13)
    acc_ax.set_ylabel("accuracy", fontsize=11)
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_title("accuracy", fontsize=13)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("steepest-descent step", fontsize=11)
        ax.legend(fontsize=10, loc="center right")


def curves_figure(hist: History, title: str = "training curves") -> Figure:
    """Loss (log scale) and accuracy against the step, training and test."""
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    _curves(loss_ax, acc_ax, hist)
    fig.suptitle(title, fontsize=13)
    return fig


class LiveCurves:
    """Training callback that redraws :func:`curves_figure` every ``every`` logged steps
    through ``show(figure)`` (e.g. ``IPython.display.DisplayHandle.update``)."""

    def __init__(self, show: Callable[[Figure], Any], every: int = 50) -> None:
        self.show = show
        self.every = every

    def __call__(self, step: int, net: Network, hist: History) -> bool:
        if step % self.every == 0:
            self.show(curves_figure(hist, title=f"step {step}"))
        return False


def training_figure(lr: float, width: int, depth: int) -> Figure:
    """The widget's view: decision regions of the network trained with these settings
    (training points o, test points x) and its loss/accuracy curves."""
    run = cached_run(lr, width, depth)
    net, hist = run.network(), run.hist
    X_train, y_train, X_test, y_test = spiral_data()
    x1, x2, classes = decision_regions(net)

    fig = Figure(figsize=(14, 4.2), layout="constrained")
    region_ax, loss_ax, acc_ax = fig.subplots(1, 3, width_ratios=[1, 1.1, 1.1])
    region_ax.contourf(x1, x2, classes, levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.25,
                       cmap=ListedColormap(CLASS_COLOURS))
    for k, colour in enumerate(CLASS_COLOURS):
        region_ax.scatter(*X_train[y_train == k].T, s=14, color=colour, marker="o",
                          label=f"class {k} (train)")
        region_ax.scatter(*X_test[y_test == k].T, s=30, color=colour, marker="x",
                          label=f"class {k} (test)")
    region_ax.set_aspect("equal")
    region_ax.set_xlabel("$x_1$", fontsize=11)
    region_ax.set_ylabel("$x_2$", fontsize=11)
    region_ax.set_title(f"decision regions, test accuracy {hist.test_accuracy[-1]:.2f}",
                        fontsize=13)
    region_ax.legend(fontsize=7, loc="lower left", ncols=2)
    _curves(loss_ax, acc_ax, hist)
    p = (2, *[width] * depth, 3)
    fig.suptitle(f"p = {p}, lr = {lr:g}, {hist.step[-1]} steps", fontsize=13)
    return fig
