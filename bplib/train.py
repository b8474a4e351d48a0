"""Training by steepest descent: theta <- theta - alpha * grad of the training loss.

Full-batch steepest descent uses the gradient of (1/n) sum_i C_i(theta) from Algorithm 2;
mini-batch SGD uses the same formula on a random batch of rows at each step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm  # a widget bar in Jupyter, a text bar on stderr elsewhere

from .backprop import algorithm2_batched
from .network import Network, check_network
from .validate import check_positive_int, check_real, check_seed

Array = Any


@dataclass
class History:
    """What training recorded at each logged step (all Python floats, on the host)."""

    step: list[int] = field(default_factory=list)
    # training loss on the step's batch, at the parameters *before* that step's update (it is
    # the C returned with the gradient); test_loss/test_accuracy are measured *after* it
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)  # classification only
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


def accuracy(net: Network, X: Array, Y: Array) -> float:
    """Fraction of rows whose most probable class equals the label."""
    return float((net.predict_class(X) == net.xp.asarray(Y)).mean())


def steepest_descent(
    net: Network,
    X: Array,
    Y: Array,
    lr: float = 0.1,
    steps: int = 100,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    X_test: Array | None = None,
    Y_test: Array | None = None,
    log_every: int = 1,
    callback: Callable[[int, Network, History], bool | None] | None = None,
    progress: bool = False,
) -> History:
    """Train ``net`` in place: ``steps`` updates W_l <- W_l - lr dC/dW_l, b_l <- b_l - lr dC/db_l.

    batch_size=None is full-batch steepest descent; an integer gives mini-batch SGD with rows
    drawn without replacement from a permutation renewed every epoch (seeded by ``seed``).
    ``callback(step, net, history)`` runs after every logged step (live plots); returning
    True stops training. ``progress=True`` shows a tqdm progress bar: a widget in a Jupyter
    notebook (``tqdm.auto``), a text bar on stderr in a terminal; ``progress=False`` prints
    nothing.
    """
    check_network(net)
    lr = check_real("lr", lr, "a positive finite learning rate", low=0.0, low_inclusive=False)
    steps = check_positive_int("steps", steps)
    log_every = check_positive_int("log_every", log_every)
    X, Y = net.check_batch(X, Y)
    if (X_test is None) != (Y_test is None):
        raise ValueError("X_test, Y_test: pass both (a held-out set and its labels or targets) "
                         "or neither")
    if X_test is not None:
        X_test = net.check_x(X_test, "X_test")
        if X_test.ndim != 2:
            raise ValueError(f"X_test: expected a test set of shape (m, {net.p[0]}), got "
                             f"{X_test.shape}")
        Y_test = net.check_y(Y_test, X_test, "Y_test")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a function callback(step, net, history), got "
                        f"{type(callback).__name__}")
    n = X.shape[0]
    if batch_size is not None:
        batch_size = min(check_positive_int("batch_size", batch_size), n)
    classify = net.pair.classification
    rng = np.random.default_rng(check_seed(seed))
    order, pos = rng.permutation(n), 0
    hist = History()
    for step in tqdm(range(1, steps + 1), disable=not progress, desc="training", unit="step"):
        if batch_size is None:
            Xb, Yb = X, Y
        else:
            if pos + batch_size > n:
                order, pos = rng.permutation(n), 0
            idx = net.xp.asarray(order[pos:pos + batch_size])
            pos += batch_size
            Xb, Yb = X[idx], Y[idx]
        grad = algorithm2_batched(net, Xb, Yb)
        for l in range(1, net.L + 1):  # theta <- theta - alpha * gradient
            net.W[l] -= lr * grad.W[l]
            net.b[l] -= lr * grad.b[l]
        if step % log_every == 0 or step == steps:
            hist.step.append(step)
            hist.loss.append(grad.C)  # loss at the parameters the gradient was taken at
            if classify:
                hist.accuracy.append(accuracy(net, Xb, Yb))
            if X_test is not None:
                hist.test_loss.append(net.loss_value(X_test, Y_test))
                if classify:
                    hist.test_accuracy.append(accuracy(net, X_test, Y_test))
            if callback is not None and callback(step, net, hist):
                break
    return hist


def sgd(net: Network, X: Array, Y: Array, lr: float = 0.1, steps: int = 100,
        batch_size: int = 32, **kwargs: Any) -> History:
    """Mini-batch stochastic gradient descent: :func:`steepest_descent` on random batches."""
    return steepest_descent(net, X, Y, lr, steps, batch_size=batch_size, **kwargs)
