"""Notebook 15 (training on real data): steepest descent and mini-batch SGD on the 8x8 digits.

The data are :func:`bplib.data.load_digits` (1797 images, 64 grey levels in [0, 1], digits
0..9), split by :func:`bplib.data.train_test_split` with ``stratify=True`` into 1347
training and 450 test images. A network p = (64, 32, 10) (ReLU hidden layer, softmax
output, cross-entropy) is trained by :func:`bplib.train.steepest_descent` (full batch) and
by :func:`bplib.train.sgd` (mini-batches), for the same number of **epochs** (passes over
the training set), with the training and the test loss and accuracy recorded at the same
parameters (:class:`Curves`, from epoch 0). Figures: example images, the curves, the
misclassified test images and the confusion matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..data import load_digits, train_test_split
from ..network import Network
from ..train import History, steepest_descent
from . import style, training

CLASSES = 10
HIDDEN = 32
#: The notebook's two runs: full-batch steepest descent and mini-batch SGD, 20 epochs each.
EPOCHS = 20
SD_LR = 0.5
SGD_LR, BATCH = 0.1, 32
#: Curves are recorded about this many times per epoch (every step for steepest descent).
RECORDS_PER_EPOCH = 4
#: Epochs at which the live figure of the notebook is redrawn.
LIVE_EPOCHS = (0, 5, 10, 20)
SD, SGD = "steepest descent", "SGD"


# --- data and training -----------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """The stratified split of the packaged digits."""

    X_train: np.ndarray  # (1347, 64) grey levels in [0, 1], image row by row
    y_train: np.ndarray  # (1347,) digits 0..9
    X_test: np.ndarray   # (450, 64)
    y_test: np.ndarray   # (450,)


@lru_cache(maxsize=1)
def digits_data(seed: int = 0) -> Digits:
    """75 % / 25 % of every digit for training / testing (:func:`train_test_split`,
    stratified)."""
    X, y = load_digits()
    return Digits(*train_test_split(X, y, test_fraction=0.25, seed=seed, stratify=True))


def digits_network(hidden: int = HIDDEN, seed: int = 0) -> Network:
    """p = (64, hidden, 10): one ReLU hidden layer, softmax output, cross-entropy."""
    return Network.init((64, hidden, CLASSES), hidden="relu", output="softmax", seed=seed)


def steps_per_epoch(batch_size: int | None, n: int) -> int:
    """Steps in one pass over n training examples: 1 for the full batch, else n // b (the
    engine draws batches from a permutation renewed when fewer than b rows are left)."""
    return 1 if batch_size is None or batch_size >= n else n // batch_size


class Curves(training.Curves):
    """Loss and accuracy of the training and the test set, all at the same parameters
    (:class:`bplib.plots.training.Curves`), against the epoch: steps so far / steps per
    epoch, one epoch being one pass over the shuffled training set (epoch 0: the initial
    network)."""

    @property
    def epoch(self) -> list[float]:
        return self.step


def train_digits(lr: float, batch_size: int | None, epochs: int, hidden: int = HIDDEN,
                 seed: int = 0, show: Callable[[Network, Curves], Any] | None = None,
                 show_at: Sequence[float] = (), progress: bool = False
                 ) -> tuple[Network, Curves]:
    """Train a fresh :func:`digits_network` for ``epochs`` passes over the training set:
    steepest descent (``batch_size=None``) or mini-batch SGD. Both sets are evaluated at
    epoch 0 and about :data:`RECORDS_PER_EPOCH` times per epoch; ``show(net, curves)`` is
    called at the epochs in ``show_at``."""
    data = digits_data()
    net = digits_network(hidden, seed)
    n = len(data.y_train)
    spe = steps_per_epoch(batch_size, n)
    # record every k steps, k the largest divisor of spe giving >= RECORDS_PER_EPOCH records
    # per epoch, so that every epoch's end is recorded
    log_every = max(k for k in range(1, spe + 1)
                    if spe % k == 0 and spe // k >= min(RECORDS_PER_EPOCH, spe))
    curves = Curves()
    curves.record(0, net, data)
    shows = sorted(show_at)
    if show is not None and shows and shows[0] == 0:
        show(net, curves)

    def callback(step: int, net: Network, hist: History) -> bool:
        curves.record(step / spe, net, data)
        if show is not None and any(step == round(e * spe) for e in shows if e > 0):
            show(net, curves)
        return False

    steepest_descent(net, data.X_train, data.y_train, lr=lr, steps=epochs * spe,
                     batch_size=batch_size, seed=seed, log_every=log_every,
                     callback=callback, progress=progress)
    return net, curves


@dataclass(frozen=True)
class Run:
    theta: np.ndarray
    curves: Curves
    hidden: int

    def network(self) -> Network:
        net = digits_network(self.hidden)
        net.set_theta(self.theta.copy())
        return net


@lru_cache(maxsize=64)
def cached_run(lr: float, batch_size: int | None, epochs: int, hidden: int = HIDDEN) -> Run:
    """:func:`train_digits` once per setting (seeded: caching changes only the time)."""
    net, curves = train_digits(lr, batch_size, epochs, hidden)
    return Run(net.theta.copy(), curves, hidden)


def predictions(net: Network, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted digit, the probability g the network gives it) for every row of X."""
    g = np.asarray(net.predict(X))
    return g.argmax(axis=1), g.max(axis=1)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """counts[i, j] = number of test images of digit i predicted as digit j."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def most_confused(counts: np.ndarray, k: int = 3) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal cells: (true digit, predicted digit, count)."""
    off = counts.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:k]
    return [(int(i), int(j), int(off[i, j])) for i, j in
            zip(*np.unravel_index(order, off.shape), strict=True) if off[i, j] > 0]


# --- figures ---------------------------------------------------------------------------------
def _image(ax: Any, pixels: np.ndarray) -> None:
    ax.imshow(pixels.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


@style.plot(examples=lambda: [{"seed": 0}, {"seed": 1}])
def examples_figure(seed: int = 0) -> Figure:
    """One training image of each digit 0..9 (the first of its class after a seeded
    shuffle), drawn as 8x8 grey levels (dark = ink)."""
    data = digits_data()
    rng = np.random.default_rng(seed)
    fig = style.figure(9.0, 1.75)
    axes = fig.subplots(1, CLASSES)
    ink = []
    for digit, ax in enumerate(axes):
        rows = np.flatnonzero(data.y_train == digit)
        i = int(rng.choice(rows))
        _image(ax, data.X_train[i])
        ax.set_title(f"y = {digit}", fontsize=11)
        ink.append(float(data.X_train[i].mean()))
    fig.suptitle("One training image of each digit: 8 × 8 pixels, $p_0 = 64$ inputs")
    return style.describe(fig, (
        "One training image of each digit 0 to 9, 8 by 8 pixels, dark for ink. The mean grey "
        "level of each image (0 white, 1 black): " + ", ".join(
            f"{d}: {v:.2f}" for d, v in enumerate(ink)) + "."))


def _curve_lines(loss_ax: Any, acc_ax: Any, runs: dict[str, Curves], epochs: float) -> None:
    """One colour and marker per run; solid line and filled markers for the training set,
    dashed line and hollow markers for the test set."""
    for k, (method, curves) in enumerate(runs.items()):
        every = max(len(curves.epoch) // 8, 1)
        for part, loss, acc in (("training", curves.train_loss, curves.train_accuracy),
                                ("test", curves.test_loss, curves.test_accuracy)):
            kw = {"label": f"{method}, {part}", "markevery": every, "markersize": 6,
                  **style.series(k, linestyle="-" if part == "training" else "--")}
            if part == "test":
                kw["markerfacecolor"] = "white"
            loss_ax.plot(curves.epoch, loss, **kw)
            acc_ax.plot(curves.epoch, acc, **kw)
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("cross-entropy loss")
    loss_ax.set_title("loss (log scale)")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_title("accuracy")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epochs (passes over the 1347 training images)")
        ax.set_xlim(-0.02 * epochs, 1.02 * epochs)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        ax.grid(True, alpha=0.4)


def _curves_text(runs: dict[str, Curves]) -> str:
    parts = []
    for method, c in runs.items():
        parts.append(f"{method} after {c.epoch[-1]:g} epochs: training loss "
                     f"{c.train_loss[-1]:.3g}, test loss {c.test_loss[-1]:.3g}, training "
                     f"accuracy {c.train_accuracy[-1]:.3f}, test accuracy "
                     f"{c.test_accuracy[-1]:.3f}")
    return "; ".join(parts) + "."


def _example_runs() -> list[dict[str, Any]]:
    return [{"runs": {SD: cached_run(SD_LR, None, 2).curves}, "epochs": 2},
            {"runs": {SD: cached_run(SD_LR, None, 2).curves,
                      SGD: cached_run(SGD_LR, BATCH, 1).curves}, "epochs": 2}]


@style.plot(examples=_example_runs)
def curves_figure(runs: dict[str, Curves], epochs: float, title: str | None = None
                  ) -> Figure:
    """Training and test loss (log scale) and accuracy against the epoch, for each run in
    ``runs`` (method name -> :class:`Curves`), measured at the same parameters."""
    fig = style.figure(9.25, 4.4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    _curve_lines(loss_ax, acc_ax, runs, epochs)
    handles, labels = loss_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4))
    fig.suptitle(title or "Training on the digits: loss and accuracy, training and test")
    text = ("Loss (log scale) and accuracy of the training set (1347 images) and of the test "
            "set (450 images) against the number of epochs, measured at the same "
            "parameters. " + _curves_text(runs))
    return style.describe(fig, text)


class LiveCurves(training.LiveDisplay):
    """``show`` for :func:`train_digits`: draws :func:`curves_figure` with the finished
    runs in ``done`` and the run ``name`` so far."""

    def __init__(self, done: dict[str, Curves], name: str, epochs: float,
                 handle: Any = None) -> None:
        super().__init__(handle)
        self.done, self.name, self.epochs = done, name, epochs

    def __call__(self, net: Network, curves: Curves) -> None:
        e = curves.epoch[-1]
        names = " and ".join([*self.done, self.name])
        fig = curves_figure({**self.done, self.name: curves}, self.epochs,
                            title=f"{names[0].upper()}{names[1:]}, {self.epochs:g} epochs "
                                  f"each: {self.name} at epoch {e:g}")
        self.show(fig, e)


def _example_nets() -> list[dict[str, Any]]:
    return [{"net": cached_run(SGD_LR, BATCH, 1).network()},
            {"net": cached_run(SD_LR, None, 5).network(), "max_shown": 6}]


@style.plot(examples=_example_nets)
def misclassified_figure(net: Network, max_shown: int = 12) -> Figure:
    """Test images the network gets wrong (the first ``max_shown``), each with its true
    digit y, the predicted digit and the probability g the network gives to it."""
    data = digits_data()
    pred, prob = predictions(net, data.X_test)
    wrong = np.flatnonzero(pred != data.y_test)
    shown = wrong[:max_shown]
    cols = 6
    rows = max(1, -(-len(shown) // cols))
    fig = style.figure(9.0, 1.95 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, i in zip(axes, shown, strict=False):
        _image(ax, data.X_test[i])
        ax.set_axis_on()
        ax.set_title(f"true {data.y_test[i]}\npredicted {pred[i]} ({prob[i]:.2f})", fontsize=11)
    fig.suptitle(f"{len(wrong)} of {len(data.y_test)} test images misclassified; "
                 f"the first {len(shown)}")
    pairs = ", ".join(f"{data.y_test[i]} as {pred[i]} (probability {prob[i]:.2f})"
                      for i in shown)
    text = (f"{len(wrong)} of the {len(data.y_test)} test images are misclassified (test "
            f"accuracy {1 - len(wrong) / len(data.y_test):.3f}). The first {len(shown)}, "
            f"shown as 8 by 8 images, true digit read as predicted digit: {pairs}.")
    return style.describe(fig, text)


@style.plot(examples=lambda: [{"net": cached_run(SGD_LR, BATCH, 1).network()},
                               {"net": cached_run(SD_LR, None, 5).network()}])
def confusion_figure(net: Network) -> Figure:
    """The confusion matrix of the test set: how many images of each true digit (rows) the
    network predicts as each digit (columns), the count written in every cell; colour
    (cividis, on a square-root scale so that small counts show) repeats the count."""
    data = digits_data()
    pred, _ = predictions(net, data.X_test)
    counts = confusion(data.y_test, pred)
    fig = style.figure(6.6, 5.9)
    ax = fig.add_subplot()
    norm = PowerNorm(0.5, vmin=0, vmax=counts.max())
    image = ax.imshow(counts, cmap="cividis", norm=norm)
    cmap = image.get_cmap()
    for i in range(CLASSES):
        for j in range(CLASSES):
            light = style.relative_luminance(cmap(norm(counts[i, j]))) > 0.35
            ax.text(j, i, f"{counts[i, j]}", ha="center", va="center", fontsize=10,
                    color=style.BLACK if light else "white",
                    fontweight="bold" if i == j else "normal")
    ax.set_xticks(range(CLASSES))
    ax.set_yticks(range(CLASSES))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit y")
    ax.tick_params(length=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="test images")
    correct = int(np.trace(counts))
    ax.set_title(f"Confusion matrix of the test set: {correct} of {counts.sum()} on the "
                 f"diagonal")
    confused = most_confused(counts)
    per_digit = counts.diagonal() / counts.sum(axis=1)
    worst = int(np.argmin(per_digit))
    text = (f"Confusion matrix of the {counts.sum()} test images: row = true digit, column = "
            f"predicted digit, the count written in each cell. {correct} lie on the diagonal "
            f"(accuracy {correct / counts.sum():.3f}). Most frequent confusions: "
            + (", ".join(f"{i} read as {j} ({c} times)" for i, j, c in confused) or "none")
            + f". Lowest accuracy for digit {worst}: {counts[worst, worst]} of "
            f"{counts[worst].sum()}.")
    return style.describe(fig, text)


@style.plot(examples=lambda: [{"lr": 0.1, "batch_size": 128, "epochs": 2},
                               {"lr": 0.1, "batch_size": 32, "epochs": 2}])
def training_figure(lr: float, batch_size: int, epochs: int) -> Figure:
    """The widget's view: the curves of an SGD run with these settings (a fresh network,
    seeded; runs are cached). ``batch_size`` >= 1347 is the full batch (steepest descent)."""
    n = len(digits_data().y_train)
    b = None if batch_size >= n else batch_size
    run = cached_run(lr, b, epochs)
    method = SD if b is None else f"SGD (b = {b})"
    c = run.curves
    steps = epochs * steps_per_epoch(b, n)
    fig = curves_figure({method: c}, epochs, title=(
        f"{method}, α = {lr:g}, {epochs} epochs = {steps:,} steps: test accuracy "
        f"{c.test_accuracy[-1]:.3f}"))
    text = (f"{method} with learning rate {lr:g} and batch size {b or n} for {epochs} epochs "
            f"({steps:,} steps): " + style.description(fig))
    return style.describe(fig, text)
