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
from matplotlib.figure import Figure

from ..backend import to_numpy
from ..data import make_spirals, train_test_split
from ..network import Network
from ..train import History, steepest_descent
from . import style

Array = Any

CLASSES = 3
#: Light tints of the class colours for the decision regions (the regions are also outlined
#: in black and labelled, so colour is never the only cue)
REGION_FILLS = ("#CCE3F0", "#F0D9C7", "#C7E6DC")
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
    every = max(len(hist.step) // 12, 1)
    loss_ax.semilogy(hist.step, hist.loss, label="training", markevery=every,
                     **style.series(0))
    acc_ax.plot(hist.step, hist.accuracy, label="training", markevery=every, **style.series(0))
    if hist.test_loss:
        loss_ax.semilogy(hist.step, hist.test_loss, label="test", markevery=every,
                         **style.series(1))
        acc_ax.plot(hist.step, hist.test_accuracy, label="test", markevery=every,
                    **style.series(1))
    loss_ax.set_ylabel("cross-entropy loss")
    loss_ax.set_title("loss", fontsize=12)
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_title("accuracy", fontsize=12)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("steepest-descent step")
        ax.legend(loc="center right")


def _curves_text(hist: History) -> str:
    if not hist.step:
        return "No step has been taken yet: the axes are empty."
    text = (f"At step {hist.step[-1]}: training loss {hist.loss[-1]:.3g}, training accuracy "
            f"{hist.accuracy[-1]:.2f}")
    if hist.test_loss:
        text += f", test loss {hist.test_loss[-1]:.3g}, test accuracy {hist.test_accuracy[-1]:.2f}"
    return text + f" (training loss {hist.loss[0]:.3g} at step {hist.step[0]})."


def _example_history() -> list[dict[str, Any]]:
    return [{"hist": History(step=[0, 5, 10], loss=[1.1, 0.8, 0.5], accuracy=[0.3, 0.6, 0.8],
                             test_loss=[1.1, 0.9, 0.7], test_accuracy=[0.3, 0.5, 0.7])},
            {"hist": History(step=[0, 50], loss=[1.0, 0.1], accuracy=[0.4, 0.99]),
             "title": "step 50"}]


@style.plot(examples=_example_history)
def curves_figure(hist: History, title: str = "training curves") -> Figure:
    """Loss (log scale) and accuracy against the step, training and test."""
    fig = style.figure(9, 3.6)
    loss_ax, acc_ax = fig.subplots(1, 2)
    _curves(loss_ax, acc_ax, hist)
    fig.suptitle(title, fontsize=13)
    return style.describe(fig, f"{title}: loss (log scale) and accuracy against the "
                               f"steepest-descent step. " + _curves_text(hist))


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


@style.plot(examples=lambda: [{"lr": 0.3, "width": 8, "depth": 1},
                               {"lr": 1.0, "width": 16, "depth": 2}])
def training_figure(lr: float, width: int, depth: int) -> Figure:
    """The widget's view: decision regions of the network trained with these settings
    (training points filled, test points hollow; one marker shape per class) and its
    loss/accuracy curves."""
    run = cached_run(lr, width, depth)
    net, hist = run.network(), run.hist
    X_train, y_train, X_test, y_test = spiral_data()
    x1, x2, classes = decision_regions(net)

    fig = style.figure(9.25, 5.6)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.15, 1])
    region_ax = fig.add_subplot(grid[:, 0])
    loss_ax, acc_ax = fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    levels = [-0.5, 0.5, 1.5, 2.5]
    region_ax.contourf(x1, x2, classes, levels=levels, colors=REGION_FILLS)
    region_ax.contour(x1, x2, classes, levels=levels[1:-1], colors="black", linewidths=1.0)
    for k in range(CLASSES):
        region_ax.scatter(*X_train[y_train == k].T, s=22, edgecolor="white", linewidth=0.4,
                          label=f"class {k} (train)", **style.point(k))
        marker = style.point(k)
        region_ax.scatter(*X_test[y_test == k].T, s=40, facecolor="none",
                          edgecolor=marker["color"], marker=marker["marker"], linewidth=1.5,
                          label=f"class {k} (test)")
    region_ax.set_aspect("equal")
    region_ax.set_xlabel("$x_1$")
    region_ax.set_ylabel("$x_2$")
    region_ax.set_title(f"decision regions, test accuracy {hist.test_accuracy[-1]:.2f}",
                        fontsize=12)
    _curves(loss_ax, acc_ax, hist)
    loss_ax.set_xlabel("")
    handles, labels = region_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    p = (2, *[width] * depth, 3)
    fig.suptitle(f"p = {p}, lr = {lr:g}, {hist.step[-1]} steps", fontsize=13)
    share = [float(np.mean(classes == k)) for k in range(CLASSES)]
    text = (f"Left: the decision regions of the network p = {p} trained by steepest descent "
            f"with lr = {lr:g} for {hist.step[-1]} steps on 3-class spirals (225 training "
            f"points filled, 75 test points hollow; class 0 circles, class 1 squares, class 2 "
            f"triangles); the regions cover " + ", ".join(
                f"{100 * s:.0f}% (class {k})" for k, s in enumerate(share))
            + " of the square. Right: loss and accuracy against the step. " + _curves_text(hist))
    return style.describe(fig, text)
