"""Notebook 10 (training by steepest descent, end to end): learning versus memorising.

Steepest descent (lecture): theta <- theta - alpha grad l(theta), where l(theta) =
(1/n) sum_i C_i(theta) is the training loss and its gradient comes from Algorithm 2
(:func:`bplib.train.steepest_descent`). The task is hard enough for the difference between
fitting the training points and learning the classes to show: 60 training points on three
noisy spirals (:func:`bplib.data.make_spirals`, noise 0.5) and 600 held-out points drawn
independently from the same distribution.

:class:`Curves` records the training and the test loss and accuracy at the *same*
parameters (the same steps, from step 0), by evaluating both sets in the training callback.
(:class:`bplib.train.History` records the training loss of a step at the parameters before
that step's update and the test loss after it; for a comparison of the two they must be
measured at the same theta.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..backend import to_numpy
from ..data import make_spirals
from ..network import Network
from ..train import History, accuracy, steepest_descent
from . import style

Array = Any

CLASSES = 3
NOISE = 0.5       # angular noise of the spirals (radians): the arms overlap near the centre
N_TRAIN = 60      # 20 training points per class: few enough to be memorised
N_TEST = 600      # held-out points: enough for a test accuracy known to about +-0.01
TEST_SEED = 1000  # the test points are drawn with seed + TEST_SEED, independently
WIDTH, DEPTH, LR, STEPS = 16, 2, 0.5, 1000
LOG_EVERY = 10    # training and test sets evaluated every 10 steps (and at step 0)
#: Steps at which the live figure of the notebook is redrawn.
LIVE_STEPS = (0, 100, 300, 1000)

#: Decision-region fills, one per class: light tints of the class colours that also differ
#: in lightness, each with its own hatching, so the regions stay apart under every common
#: colour-vision deficiency (tests/test_plots_training.py simulates them) and in grey.
REGION_FILLS = ("#8CBDE3", "#F3C9A0", "#E2F3EB")
REGION_HATCHES = ("", "//", "..")
#: Hatch lines: dark enough to be seen on the fills, light enough not to hide the points.
REGION_RC = {"hatch.color": "#6E6E6E", "hatch.linewidth": 0.6}


# --- data and training -----------------------------------------------------------------------
@dataclass(frozen=True)
class SpiralData:
    """Training and held-out test points of the three spirals."""

    X_train: np.ndarray  # (n_train, 2)
    y_train: np.ndarray  # (n_train,) labels 0, 1, 2
    X_test: np.ndarray   # (N_TEST, 2)
    y_test: np.ndarray   # (N_TEST,)


@lru_cache(maxsize=8)
def spiral_data(n_train: int = N_TRAIN, seed: int = 0) -> SpiralData:
    """``n_train`` training points (classes in turn, so balanced) and :data:`N_TEST` test
    points, two independent draws of :func:`bplib.data.make_spirals` with noise :data:`NOISE`."""
    X_train, y_train = make_spirals(n_train, classes=CLASSES, noise=NOISE, seed=seed)
    X_test, y_test = make_spirals(N_TEST, classes=CLASSES, noise=NOISE, seed=seed + TEST_SEED)
    return SpiralData(X_train, y_train, X_test, y_test)


def spiral_network(width: int, depth: int, seed: int = 0) -> Network:
    """p = (2, width x depth, 3): ReLU hidden layers, softmax output, cross-entropy."""
    if depth < 1 or width < 1:
        raise ValueError(f"width, depth: expected positive integers, got {width}, {depth}")
    return Network.init((2, *[width] * depth, CLASSES), hidden="relu", output="softmax",
                        seed=seed)


@dataclass
class Curves:
    """Loss and accuracy on the training and on the test set, all at the same parameters:
    entry j of every list is measured at theta after ``step[j]`` steps (step 0: the initial
    theta)."""

    step: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    def record(self, step: float, net: Network, data: Any) -> None:
        """Evaluate both sets of ``data`` (X_train, y_train, X_test, y_test: a
        :class:`SpiralData` or the like) at the network's current theta."""
        self.step.append(step)
        self.train_loss.append(net.loss_value(data.X_train, data.y_train))
        self.train_accuracy.append(accuracy(net, data.X_train, data.y_train))
        self.test_loss.append(net.loss_value(data.X_test, data.y_test))
        self.test_accuracy.append(accuracy(net, data.X_test, data.y_test))

    def best(self) -> int:
        """Index of the lowest test loss (the first one, if tied)."""
        return int(np.argmin(self.test_loss))


class Recorder:
    """Training callback: records :class:`Curves` at every logged step and calls
    ``show(net, curves)`` at the steps in ``show_at`` (e.g. to redraw a live figure)."""

    def __init__(self, data: SpiralData, curves: Curves,
                 show: Callable[[Network, Curves], Any] | None = None,
                 show_at: Sequence[int] = ()) -> None:
        self.data, self.curves, self.show, self.show_at = data, curves, show, set(show_at)

    def __call__(self, step: int, net: Network, hist: History) -> bool:
        self.curves.record(step, net, self.data)
        if self.show is not None and step in self.show_at:
            self.show(net, self.curves)
        return False


def train_spirals(lr: float = LR, width: int = WIDTH, depth: int = DEPTH,
                  n_train: int = N_TRAIN, steps: int = STEPS, seed: int = 0,
                  show: Callable[[Network, Curves], Any] | None = None,
                  show_at: Sequence[int] = (), progress: bool = False
                  ) -> tuple[Network, Curves]:
    """Full-batch steepest descent (:func:`bplib.train.steepest_descent`) on the training
    points; both sets are evaluated at step 0 and every :data:`LOG_EVERY` steps. Returns the
    trained network and its :class:`Curves`."""
    data = spiral_data(n_train, seed)
    net = spiral_network(width, depth, seed)
    curves = Curves()
    curves.record(0, net, data)
    if show is not None and 0 in show_at:
        show(net, curves)
    steepest_descent(net, data.X_train, data.y_train, lr=lr, steps=steps, seed=seed,
                     log_every=LOG_EVERY, callback=Recorder(data, curves, show, show_at),
                     progress=progress)
    return net, curves


@dataclass(frozen=True)
class Run:
    """A finished training run, kept for the widget (theta and the curves)."""

    width: int
    depth: int
    n_train: int
    lr: float
    theta: np.ndarray
    curves: Curves

    def network(self) -> Network:
        net = spiral_network(self.width, self.depth)
        net.set_theta(self.theta.copy())
        return net


@lru_cache(maxsize=64)
def cached_run(lr: float = LR, width: int = WIDTH, n_train: int = N_TRAIN,
               depth: int = DEPTH, steps: int = STEPS) -> Run:
    """:func:`train_spirals` once per setting (deterministic, so caching changes nothing but
    the time a widget redraw takes)."""
    net, curves = train_spirals(lr, width, depth, n_train, steps)
    return Run(width, depth, n_train, lr, to_numpy(net.theta).copy(), curves)


def decision_regions(net: Network, lim: float = 1.2, resolution: int = 160
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted class argmax_k g_k(x) (0-based: class y is output unit y + 1) on a
    resolution x resolution grid of [-lim, lim]^2: (x1 grid, x2 grid, classes)."""
    t = np.linspace(-lim, lim, resolution)
    x1, x2 = np.meshgrid(t, t)
    grid = np.column_stack([x1.ravel(), x2.ravel()]).astype(net.dtype)
    classes = to_numpy(net.predict_class(net.xp.asarray(grid))).reshape(x1.shape)
    return x1, x2, classes


def one_step(net: Network, X: Array, y: Array, lr: float) -> dict[str, float]:
    """One steepest-descent step worked out in numbers: l(theta), ||grad||^2, the first-order
    prediction l(theta) - alpha ||grad||^2 of the new loss, the new loss, and the update of
    the first weight W_1[1, 1] (code ``W[1][0, 0]``). ``net`` is not changed."""
    from ..backprop import algorithm2_batched

    grad = algorithm2_batched(net, X, y)
    g = to_numpy(grad.theta())
    after = net.copy()
    after.set_theta(after.theta - lr * after.xp.asarray(g))
    return {"loss": float(grad.C), "grad_sq": float(g @ g),
            "predicted": float(grad.C) - lr * float(g @ g),
            "loss_after": after.loss_value(X, y),
            "w": float(net.W[1][0, 0]), "dw": float(grad.W[1][0, 0]),
            "w_after": float(after.W[1][0, 0])}


# --- figures ---------------------------------------------------------------------------------
def _label_pair(ax: Any, lines: Sequence[Any], texts: Sequence[str]) -> None:
    """Direct labels just left of the ends of two lines: above each line, except that when
    the two ends are close the lower line's label goes below it (so they never overlap)."""
    ends = [float(ln.get_ydata()[-1]) for ln in lines]
    to_axes = ax.transData + ax.transAxes.inverted()  # data -> fraction of the axes height
    heights = [to_axes.transform((float(ln.get_xdata()[-1]), y))[1]
               for ln, y in zip(lines, ends, strict=True)]
    close = abs(heights[0] - heights[1]) < 0.12
    lower = int(np.argmin(heights))
    for i, ln in enumerate(lines):
        dy = -10 if close and i == lower else 10
        ax.annotate(texts[i], (ln.get_xdata()[-1], ends[i]), xytext=(-4, dy),
                    textcoords="offset points", ha="right", va="center", fontsize=10,
                    color=ln.get_color())


def _curves(loss_ax: Any, acc_ax: Any, curves: Curves, steps: int) -> None:
    """Training and test loss (log scale) and accuracy against the step, from step 0, on an
    x axis that already spans every step of the run."""
    every = max(len(curves.step) // 10, 1)
    kw = {"markevery": every, "markersize": 5}
    lines = []
    for ax, train, test in ((loss_ax, curves.train_loss, curves.test_loss),
                            (acc_ax, curves.train_accuracy, curves.test_accuracy)):
        a = ax.plot(curves.step, train, label="training", **kw, **style.series(0))[0]
        b = ax.plot(curves.step, test, label="test", **kw, **style.series(1))[0]
        lines.append((a, b))
        ax.set_xlim(-0.02 * steps, steps * 1.02)
        ax.grid(True, alpha=0.4)
    loss_ax.set_yscale("log")
    losses = curves.train_loss + curves.test_loss
    loss_ax.set_ylim(min(0.5 * min(losses), 0.01), 2 * max(losses))  # whole decades from step 0
    acc_ax.set_ylim(0, 1.12)
    best = curves.best()
    if len(curves.step) > 1:
        loss_ax.plot([curves.step[best]], [curves.test_loss[best]], ls="none", marker="*",
                     markersize=13, color=style.BLACK, zorder=5)
        _label_pair(loss_ax, lines[0], ("training", "test"))
        _label_pair(acc_ax, lines[1], ("training", "test"))
        # in the lower left, where the losses of the first steps are still high
        loss_ax.text(0.03, 0.04, f"★ lowest test loss: {curves.test_loss[best]:.2f} at step "
                     f"{curves.step[best]}", transform=loss_ax.transAxes, fontsize=10,
                     va="bottom", ha="left",
                     bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
    loss_ax.set_ylabel("cross-entropy loss")
    loss_ax.set_title("loss (log scale)")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_title("accuracy")
    acc_ax.set_xlabel("steepest-descent step")


def curves_text(curves: Curves) -> str:
    """The numbers of the curves in words: where they are now, and the gap between them."""
    j, best = len(curves.step) - 1, curves.best()
    text = (f"At step {curves.step[j]}: training loss {curves.train_loss[j]:.3g}, test loss "
            f"{curves.test_loss[j]:.3g}; training accuracy {curves.train_accuracy[j]:.3f}, "
            f"test accuracy {curves.test_accuracy[j]:.3f}.")
    if j == 0:
        return text + " No step taken yet: this is the initial network."
    text += (f" The lowest test loss, {curves.test_loss[best]:.3g}, was at step "
             f"{curves.step[best]}")
    if curves.step[best] < curves.step[j] and curves.test_loss[j] > curves.test_loss[best]:
        text += (f"; since then the training loss fell from {curves.train_loss[best]:.3g} to "
                 f"{curves.train_loss[j]:.3g} while the test loss rose to "
                 f"{curves.test_loss[j]:.3g}: the network fits its training points ever "
                 f"better and new points worse.")
    else:
        text += "."
    return text


def _regions(ax: Any, net: Network, data: SpiralData) -> list[float]:
    """Decision regions (hatched tints) with the training points on top; returns the share
    of the square given to each class."""
    import matplotlib as mpl

    x1, x2, classes = decision_regions(net)
    levels = [-0.5, 0.5, 1.5, 2.5]
    with mpl.rc_context(REGION_RC):
        ax.contourf(x1, x2, classes, levels=levels, colors=REGION_FILLS, hatches=REGION_HATCHES)
    ax.contour(x1, x2, classes, levels=levels[1:-1], colors=style.BLACK, linewidths=1.0)
    for k in range(CLASSES):
        ax.scatter(*data.X_train[data.y_train == k].T, s=36, edgecolor="white",
                   linewidth=0.6, zorder=3, **style.point(k))
    ax.set_aspect("equal")
    ax.set_xlabel("input $x_1$")
    ax.set_ylabel("input $x_2$")
    return [float(np.mean(classes == k)) for k in range(CLASSES)]


def _class_legend(fig: Figure) -> None:
    """One legend entry per class: its region (fill and hatching) and its marker."""
    import matplotlib as mpl

    handles = []
    with mpl.rc_context(REGION_RC):
        for k in range(CLASSES):
            marker = style.point(k)
            handles.append((Patch(facecolor=REGION_FILLS[k], hatch=REGION_HATCHES[k],
                                  edgecolor=style.GREY, linewidth=0.8),
                            Line2D([], [], ls="none", markersize=8, markeredgecolor="white",
                                   color=marker["color"], marker=marker["marker"])))
    fig.legend(handles, [f"class {k}: region, points" for k in range(CLASSES)],
               handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
               loc="outside lower center", ncols=3, handlelength=3.2)


def _example_state() -> list[dict[str, Any]]:
    runs = []
    for steps in (0, 30):
        data = spiral_data()
        net = spiral_network(8, 1)
        curves = Curves()
        curves.record(0, net, data)
        if steps:
            steepest_descent(net, data.X_train, data.y_train, lr=0.5, steps=steps,
                             log_every=LOG_EVERY,
                             callback=Recorder(data, curves))
        runs.append({"net": net, "curves": curves, "lr": 0.5, "steps": 100})
    return runs


@style.plot(examples=_example_state)
def live_figure(net: Network, curves: Curves, lr: float = LR, steps: int = STEPS,
                n_train: int = N_TRAIN) -> Figure:
    """The state of a training run after ``curves.step[-1]`` of ``steps`` steps: decision
    regions of ``net`` with the training points (left), training and test loss and accuracy
    against the step (right). Drawn from step 0 on (the initial network), so no axes are
    ever empty."""
    data = spiral_data(n_train)
    fig = style.figure(9.25, 5.9)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.1, 1])
    region_ax = fig.add_subplot(grid[:, 0])
    loss_ax = fig.add_subplot(grid[0, 1])
    acc_ax = fig.add_subplot(grid[1, 1], sharex=loss_ax)
    share = _regions(region_ax, net, data)
    step = curves.step[-1]
    region_ax.set_title(f"decision regions after {step} steps")
    _curves(loss_ax, acc_ax, curves, steps)
    loss_ax.tick_params(labelbottom=False)
    _class_legend(fig)
    fig.suptitle(f"p = {net.p}, α = {lr:g}, {len(data.y_train)} training points: "
                 f"step {step} of {steps}")
    text = (f"Training by steepest descent, step {step} of {steps} (p = {net.p}, learning rate "
            f"{lr:g}, {len(data.y_train)} training points, {len(data.y_test)} test points). "
            f"Left: the decision regions of the network (class 0 plain blue, class 1 "
            f"orange with diagonal hatching, class 2 green with dots), covering "
            + ", ".join(f"{100 * s:.0f}% (class {k})" for k, s in enumerate(share))
            + " of the square, with the training points (class 0 circles, class 1 squares, "
              "class 2 triangles). Right: loss (log scale) and accuracy of the training set "
              "and of the test set, measured at the same steps. " + curves_text(curves))
    return style.describe(fig, text)


class LiveDisplay:
    """One place in a notebook's output for a figure redrawn during training: the first
    :meth:`show` displays it through ``handle`` (an ``IPython.display.DisplayHandle``, made
    here if not given), every later one replaces it in place. ``drawn`` lists the x (step
    or epoch) of each drawing."""

    def __init__(self, handle: Any = None) -> None:
        if handle is None:
            from IPython.display import DisplayHandle

            handle = DisplayHandle()
        self.handle = handle
        self.drawn: list[float] = []

    def show(self, fig: Figure, x: float) -> None:
        (self.handle.update if self.drawn else self.handle.display)(fig)
        self.drawn.append(x)


class LiveFigure(LiveDisplay):
    """``show`` for :func:`train_spirals`: draws :func:`live_figure` of the run so far."""

    def __init__(self, lr: float = LR, steps: int = STEPS, n_train: int = N_TRAIN,
                 handle: Any = None) -> None:
        super().__init__(handle)
        self.lr, self.steps, self.n_train = lr, steps, n_train

    def __call__(self, net: Network, curves: Curves) -> None:
        self.show(live_figure(net, curves, self.lr, self.steps, self.n_train), curves.step[-1])


@style.plot(examples=lambda: [{"n_train": 60, "width": 8, "lr": 0.5, "steps": 100},
                               {"n_train": 150, "width": 8, "lr": 0.5, "steps": 100}])
def training_figure(n_train: int, width: int, lr: float, steps: int = STEPS) -> Figure:
    """The widget's view: :func:`live_figure` of the finished run with these settings (a
    fresh network, seeded, trained for ``steps`` steps; runs are cached)."""
    run = cached_run(lr, width, n_train, DEPTH, steps)
    return live_figure(run.network(), run.curves, lr, steps, n_train)
