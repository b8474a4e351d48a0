"""Notebook 07 (saturation and vanishing gradients).

The backward recursion of the theorem (lecture)

    delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l

multiplies by S' once per layer. The logistic has S'(z) = S(z)(1 - S(z)) <= 1/4, and S'
is tiny wherever |z| is large (the unit *saturates*), so ||delta_l|| shrinks roughly
geometrically towards the input: the early layers get almost no gradient. The ReLU has
S'(z) = 1 for every active unit, so (with He initialisation) ||delta_l|| keeps its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import ACTIVATIONS
from ..backend import to_numpy
from ..data import make_spirals
from ..network import Network, feed_forward
from ..train import History, steepest_descent
from . import style

Array = Any

#: series index in bplib.plots.style of each activation: its colour, marker and line style
SERIES = {"relu": 0, "logistic": 1, "tanh": 2}


def _style(name: str, marker: bool = True, **overrides: Any) -> dict[str, Any]:
    return style.series(SERIES.get(name, 3), marker=marker, **overrides)


def delta_norms(net: Network, X: Array, Y: Array) -> list:
    """Per-layer mean ||delta_l|| over the rows of X: ``[None, m_1, ..., m_L]`` (floats).

    delta_l = dC_i/dz_l for each example i, from the engine's feed-forward and the
    theorem's recursion (lecture, Algorithm 1 lines 5 and 10):

        delta_L = (dS_L/dz_L)(dC/dg)      (closed form of the output/loss pair)
        delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l,

    written for all examples at once (one per row: Delta_{l-1} = S'(Z_{l-1}) ⊙ Delta_l W_l).
    m_l = (1/n) sum_i ||delta_l^{(i)}|| (Euclidean norm, not divided by n).
    """
    X = net.check_x(X, "X")
    if X.ndim == 1:
        X = X[None, :]
    Y = net.check_y(Y, X, "Y")
    z, _ = feed_forward(net, X)
    L, xp = net.L, net.xp
    delta = [None] * (L + 1)
    delta[L] = net.pair.delta_L(z[L], Y)  # (n, p_L)
    for l in range(L, 1, -1):
        delta[l - 1] = ACTIVATIONS[net.S[l - 1]].dS(z[l - 1]) * (delta[l] @ net.W[l])
    return [None] + [float(to_numpy(xp.linalg.norm(delta[l], axis=1).mean()))
                     for l in range(1, L + 1)]


def deep_network(depth: int, activation: str, scale: float = 1.0, width: int = 32,
                 p0: int = 2, classes: int = 3, seed: int = 0) -> Network:
    """p = (p0, width x depth, classes): ``depth`` hidden layers of one activation, softmax
    output, W_l ~ N(0, scale^2 g / p_{l-1}) (g = 2 after a ReLU, else 1; see Network.init)."""
    if depth < 1:
        raise ValueError(f"depth: expected at least 1 hidden layer, got {depth}")
    return Network.init((p0, *[width] * depth, classes), hidden=activation, output="softmax",
                        seed=seed, scale=scale)


@style.plot(examples=lambda: [{"z_max": 6.0}, {"z_max": 10.0}])
def derivative_figure(z_max: float = 6.0) -> Figure:
    """S'(z) of the logistic (at most 1/4, -> 0 for large |z|) against the ReLU (0 or 1)."""
    z = np.linspace(-z_max, z_max, 1201)
    fig = style.figure(9, 3.9)
    left, right = fig.subplots(1, 2)
    for name, label in (("logistic", r"logistic $S(z) = 1/(1+e^{-z})$"),
                        ("relu", r"ReLU $S(z) = \max(z, 0)$")):
        act = ACTIVATIONS[name]
        left.plot(z, act.S(z), label=label, **_style(name, False))
        right.plot(z, act.dS(z), **_style(name, False),
                   label=r"logistic: $S(z)(1-S(z)) \leq 1/4$" if name == "logistic"
                   else r"ReLU: $\mathbb{1}\{z > 0\}$")
    right.axhline(0.25, color=style.GREY, ls=":", lw=1.2)
    for ax, title, ylabel in ((left, "activation $S(z)$", "$S(z)$"),
                              (right, "derivative $S'(z)$", "$S'(z)$")):
        ax.set_xlabel("$z$")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=13)
        ax.legend(loc="upper left")
    left.set_ylim(-0.1, 2.0)
    right.set_ylim(-0.05, 1.15)
    dS = ACTIVATIONS["logistic"].dS(z)
    small = z[dS < 0.01]
    edge = float(np.min(np.abs(small))) if small.size else float("nan")
    text = (f"Left: the logistic and the ReLU for z from {-z_max:g} to {z_max:g}. Right: their "
            f"derivatives. The logistic's S'(z) peaks at {dS.max():.2f} at z = 0 and falls "
            f"below 0.01 for |z| > {edge:.1f} (the unit saturates); at z = {z_max:g} it is "
            f"{style.fmt_number(dS[-1], 2)}. The ReLU's S'(z) is 0 for z < 0 and 1 for z > 0.")
    return style.describe(fig, text)


PROBE = make_spirals(200, seed=1)  # fixed inputs for the delta-norm plots


@style.plot(examples=lambda: [{"depth": 8, "activation": "logistic"},
                               {"depth": 3, "activation": "relu", "scale": 2.0}])
def delta_norm_figure(depth: int, activation: str, scale: float = 1.0,
                      others: Sequence[str] = ("logistic", "relu", "tanh")) -> Figure:
    """Per-layer mean ||delta_l|| on a log scale for a network with ``depth`` hidden layers
    of ``activation`` (thick), with the other activations at the same depth and scale (thin)."""
    X, y = PROBE
    fig = style.figure(8, 4.2)
    ax = fig.add_subplot()
    names = [activation] + [a for a in others if a != activation]
    ratios = {}
    for name in names:
        norms = delta_norms(deep_network(depth, name, scale), X, y)[1:]
        layers = np.arange(1, len(norms) + 1)
        bold = name == activation
        ratios[name] = norms[0] / norms[-1]
        ax.semilogy(layers, norms, lw=2.5 if bold else 1.2, ms=7 if bold else 5,
                    label=f"{name}: " + r"$\|\delta_1\| / \|\delta_L\|$"
                    + f" = {ratios[name]:.1e}", **_style(name))
    ax.set_xlabel(r"layer $l$ (1 = first hidden, $L$ = output)")
    ax.set_ylabel(r"mean $\|\delta_l\|$ over 200 examples")
    ax.set_title(f"{depth} hidden layers of width 32, weight scale {scale:g}", fontsize=13)
    ax.set_xticks(np.arange(1, depth + 2))
    ax.legend()
    text = (f"Mean norm of delta_l per layer, log scale, for {depth} hidden layers of width 32 "
            f"and weight scale {scale:g}, from the output layer L back to layer 1. Ratio "
            f"‖δ_1‖/‖δ_L‖: " + "; ".join(f"{name}: {style.fmt_number(r, 2)}"
                                          for name, r in ratios.items())
            + f" (at depth {depth}; a ratio far below 1 means the gradient vanishes on its "
              f"way to the first layer).")
    return style.describe(fig, text)


def train_activations(activations: Sequence[str], depth: int = 6, steps: int = 300,
                      lr: float = 0.1, n: int = 300, seed: int = 0) -> dict[str, History]:
    """Steepest descent on the same spirals (same seeds) for each hidden activation."""
    X, y = make_spirals(n, seed=seed)
    return {name: steepest_descent(deep_network(depth, name, seed=seed), X, y, lr=lr,
                                   steps=steps, seed=seed)
            for name in activations}


def _example_histories() -> list[dict[str, Any]]:
    def hist(loss: list[float], acc: list[float]) -> History:
        return History(step=list(range(len(loss))), loss=loss, accuracy=acc)

    return [{"histories": {"logistic": hist([1.1, 1.1, 1.099], [0.3, 0.4, 0.59]),
                           "relu": hist([1.1, 0.6, 0.2], [0.3, 0.8, 0.95])}},
            {"histories": {"tanh": hist([1.0, 0.5], [0.4, 0.9])}}]


@style.plot(examples=_example_histories)
def training_curves_figure(histories: dict[str, History]) -> Figure:
    """Training loss and accuracy against the step, one line per activation."""
    fig = style.figure(9, 3.9)
    left, right = fig.subplots(1, 2)
    for name, h in histories.items():
        every = max(len(h.step) // 12, 1)
        left.plot(h.step, h.loss, label=name, markevery=every, **_style(name))
        right.plot(h.step, h.accuracy, label=name, markevery=every, **_style(name))
    left.set_yscale("log")
    left.set_ylabel("training loss (cross-entropy)")
    left.set_title("loss", fontsize=13)
    right.set_ylabel("training accuracy")
    right.set_title("accuracy", fontsize=13)
    right.set_ylim(0, 1.02)
    for ax, where in ((left, "lower left"), (right, "lower right")):
        ax.set_xlabel("steepest-descent step")
        ax.legend(loc=where)
    text = ("Training loss (log scale) and accuracy against the steepest-descent step, one line "
            "per hidden activation. At the last step: " + "; ".join(
                f"{name}: loss {h.loss[-1]:.3g}, accuracy {h.accuracy[-1]:.2f} (step {h.step[-1]})"
                for name, h in histories.items()) + ".")
    return style.describe(fig, text)
