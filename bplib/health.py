"""The signals inside a network on a batch, layer by layer, and how healthy each layer is.

For a batch X (one example per row) and its labels or targets Y, :func:`signals` runs the
feed-forward pass and the back-propagation recursion of the theorem (lecture)

    z_l = W_l a_{l-1} + b_l,   a_l = S_l(z_l),                       l = 1, ..., L
    delta_L = (dS_L/dz_L)(dC/dg),   delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l

for all examples at once (one per row: Delta_{l-1} = S'(Z_{l-1}) ⊙ Delta_l W_l) and keeps every
z_l, a_l, S'_l(z_l) and delta_l. The summaries below say how healthy each layer is; notebook
07 (saturation) and notebook 14 (initialisation) plot them.

* :func:`saturated_fraction`: the fraction of the values S'_l(z_{l,i}) (every example, every
  unit) below a threshold, 0.01 by default. The logistic has S'(z) <= e^{-|z|}, so S' < 0.01
  as soon as |z| > 4.58: such a unit is *saturated* and passes almost nothing back.
* :func:`dead_units`: ReLU units with z_{l,i} <= 0 for *every* example of the batch. Their
  S' is 0 on the whole batch, so delta_{l,i} = 0 and the weights into the unit get no
  gradient from it (dC/dW_l = delta_l a_{l-1}^T has a zero row).
* :func:`delta_norms`: the mean ||delta_l|| per layer (vanishing or exploding gradients), and
  :func:`backward_factors`, which splits the change of ||delta|| from layer l to layer l-1
  into the gain of W_l^T and the attenuation by S'_{l-1}(z_{l-1}).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .backend import to_numpy
from .network import Network, check_network, feed_forward
from .validate import check_real

Array = Any

#: S'(z) below this value counts as saturated (the logistic: |z| > 4.58).
SATURATION_THRESHOLD = 0.01


@dataclass(frozen=True)
class Signals:
    """Everything the forward and backward passes computed on one batch, as layer-indexed
    lists of host (NumPy) arrays with one row per example (index 0 unused except a[0] = X).

    z[l], a[l], delta[l]: (n, p_l) for l = 1..L; W[l]: (p_l, p_{l-1});
    dS[l] = S'_l(z_l): (n, p_l) for the hidden layers l = 1..L-1 (dS[L] is None: the output
    layer's derivative is part of delta_L, and a softmax has no element-wise S').
    """

    S: tuple  # activation names, S[l] (S[0] is None)
    W: list
    z: list
    a: list
    dS: list
    delta: list

    @property
    def L(self) -> int:
        """Number of layers with parameters (the output layer is layer L)."""
        return len(self.z) - 1

    @property
    def hidden(self) -> range:
        """The hidden layers l = 1, ..., L-1."""
        return range(1, self.L)


def signals(net: Network, X: Array, Y: Array) -> Signals:
    """z_l, a_l, S'_l(z_l) and delta_l = dC_i/dz_l of every example of the batch (X, Y).

    delta_L is the closed form of the network's output/loss pair (Algorithm 1 line 5),
    then delta_{l-1} = S'_{l-1}(z_{l-1}) ⊙ W_l^T delta_l (line 10), for all rows at once.
    Computed on the network's backend, returned on the host.
    """
    check_network(net)
    X = net.check_x(X, "X")
    if X.ndim == 1:
        X = X[None, :]
    Y = net.check_y(Y, X, "Y")
    z, a = feed_forward(net, X)
    L = net.L
    dS: list = [None] * (L + 1)
    for l in range(1, L):
        dS[l] = ACTIVATIONS[net.S[l]].dS(z[l])  # S'_l(z_l), hidden layers
    delta: list = [None] * (L + 1)
    delta[L] = net.pair.delta_L(z[L], Y)  # (n, p_L)
    for l in range(L, 1, -1):
        delta[l - 1] = dS[l - 1] * (delta[l] @ net.W[l])  # Delta_{l-1} = S' ⊙ Delta_l W_l

    def host(xs: list) -> list:
        return [None if x is None else np.asarray(to_numpy(x)) for x in xs]

    return Signals(tuple(net.S), host(net.W), host(z), host(a), host(dS), host(delta))


def delta_norms(net: Network, X: Array, Y: Array) -> list:
    """Per-layer mean ||delta_l|| over the rows of X: ``[None, m_1, ..., m_L]`` (floats),
    m_l = (1/n) sum_i ||delta_l^{(i)}|| (Euclidean norm of each example's delta_l)."""
    sig = signals(net, X, Y)
    return [None] + [float(np.linalg.norm(sig.delta[l], axis=1).mean())
                     for l in range(1, sig.L + 1)]


def saturated_fraction(dS: Array, threshold: float = SATURATION_THRESHOLD) -> float:
    """Fraction of the values S'(z_{l,i}) of a layer (all examples, all units) below
    ``threshold``. For a ReLU layer S' < threshold means S' = 0: the unit is inactive (z <= 0)
    for that example."""
    threshold = check_real("threshold", threshold, "a threshold > 0", low=0.0,
                           low_inclusive=False)
    dS = np.asarray(to_numpy(dS))
    if dS.size == 0:
        raise ValueError("dS: expected the values S'(z_l) of at least one unit, got none")
    return float(np.mean(dS < threshold))


def dead_units(z: Array) -> np.ndarray:
    """Boolean mask over the units of a layer: True where z_{l,i} <= 0 for every example of
    the batch (rows of ``z``), i.e. a ReLU unit that is off on the whole batch (a *dead* unit:
    S' = 0 there, so it passes no delta back and its incoming weights get no gradient)."""
    z = np.asarray(to_numpy(z))
    if z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"z: expected a batch of pre-activations of shape (n, p_l) with n >= 1, "
                         f"got shape {z.shape}")
    return np.all(z <= 0, axis=0)


def dead_fraction(z: Array) -> float:
    """Fraction of the units of a layer that are dead on the batch (see :func:`dead_units`)."""
    return float(np.mean(dead_units(z)))


def backward_factors(sig: Signals) -> tuple[list, list]:
    """How the backward pass changes the size of delta, layer by layer: ``(gain, attenuation)``,
    layer-indexed lists (entries for l = 2..L, others None) with, over the whole batch
    (Frobenius norms, U_l = Delta_l W_l = the rows of W_l^T delta_l),

        gain[l]        = ||Delta_l W_l|| / ||Delta_l||                  (W_l^T: grows with scale)
        attenuation[l] = ||S'(Z_{l-1}) ⊙ U_l|| / ||U_l||      (S': at most 1/4 for the logistic)

    so that gain[l] * attenuation[l] = ||Delta_{l-1}|| / ||Delta_l|| exactly."""
    L = sig.L
    gain: list = [None] * (L + 1)
    attenuation: list = [None] * (L + 1)
    for l in range(L, 1, -1):
        U = sig.delta[l] @ sig.W[l]  # (n, p_{l-1})
        d, u = np.linalg.norm(sig.delta[l]), np.linalg.norm(U)
        gain[l] = float(u / d) if d > 0 else float("nan")
        attenuation[l] = float(np.linalg.norm(sig.dS[l - 1] * U) / u) if u > 0 else float("nan")
    return gain, attenuation
