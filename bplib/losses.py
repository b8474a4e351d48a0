"""Output layer S_L and loss C, in the pairs the lecture uses, with delta_L side by side.

delta_L = dC/dz_L starts the backward pass. In general (lecture)

    delta_L = (dS_L/dz_L) (dC/dg),   g = a_L = S_L(z_L),

where **dS_L/dz_L is the p_L x p_L matrix whose (i, j) entry is dg_j/dz_i** (the lecture's
layout: the transpose of the usual Jacobian, so that the product with the column dC/dg is
the chain rule). :func:`general_delta_L` computes exactly this from the Jacobian and is used
by the tests to check each closed form below:

============================  ==================  =========================================
pair                          y                   closed-form delta_L
============================  ==================  =========================================
softmax + cross-entropy       label 0..p_L-1      g - e_{y+1}
reduced softmax + c.-e.       label 0..p_L        (g - e_{y+1}) without its first entry
                                                  (one output node removed)
element-wise S_L + sq. error  vector in R^{p_L}   S_L'(z_L) ⊙ 2 (g - y)
============================  ==================  =========================================

Labels and output units (as on the slide): a label y takes values 0, ..., p_L - 1 and its output
unit is unit y + 1 (units are numbered 1, ..., p_L), so C = -ln g_{y+1} and e_{y+1} is the unit
vector with its 1 in position y + 1. Code indices are 0-based: that entry is ``g[y]``.

The cross-entropy is evaluated from z_L with log-sum-exp, C = logsumexp(z_L) - z_{L,y+1},
so it is finite for any finite z_L (|z| up to 1e4 and beyond), where log(softmax(z)) is not.

Every function works on one example (1-D z, scalar/1-D y) or a batch (2-D z with one
example per row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .activations import ACTIVATIONS, logsumexp, softmax, softmax_jacobian
from .backend import get_xp
from .validate import check_name

Array = Any


def one_hot(y: Array, c: int, dtype: Any = None) -> Array:
    """e_{y+1}: unit vector(s) with a 1 in output unit y + 1 (code index y); (c,) or (n, c)."""
    xp = get_xp(y)
    y = xp.asarray(y)
    return (xp.arange(c) == y[..., None]).astype(dtype or "float64")


def _pick(z: Array, y: Array) -> Array:
    """z_{y+1} (code index y) for one example, or z[i, y_i] for each row of a batch."""
    xp = get_xp(z)
    if z.ndim == 1:
        return z[int(y)]
    return xp.take_along_axis(z, xp.asarray(y).reshape(-1, 1).astype(xp.int64), axis=1)[:, 0]


# --- softmax + cross-entropy: C = -ln g_{y+1},  delta_L = g - e_{y+1} ----------------------
def softmax_ce_loss(z: Array, y: Array) -> Array:
    """C = -ln g_{y+1} = logsumexp(z) - z_{y+1} (stable log-sum-exp form; code index y)."""
    return logsumexp(z) - _pick(z, y)


def softmax_ce_delta(z: Array, y: Array) -> Array:
    """delta_L = g - e_{y+1} (the S_L' factor and dC/dg = -e_{y+1}/g_{y+1} cancel; no extra S')."""
    g = softmax(z)
    return g - one_hot(y, z.shape[-1], g.dtype)


def cross_entropy_dC_dg(g: Array, y: Array) -> Array:
    """dC/dg for C = -ln g_{y+1}: the vector -e_{y+1} / g_{y+1} (one example)."""
    xp = get_xp(g)
    d = xp.zeros_like(g)
    d[int(y)] = -1.0 / g[int(y)]
    return d


# --- reduced multi-logit: one output node removed (p_L = c - 1), its logit fixed at 0 ------
def _prepend_zero(z: Array) -> Array:
    xp = get_xp(z)
    zero = xp.zeros(z.shape[:-1] + (1,), dtype=z.dtype)
    return xp.concatenate([zero, z], axis=-1)


def reduced_softmax(z: Array) -> Array:
    """g = softmax([0, z]): probabilities of all c = p_L + 1 classes."""
    return softmax(_prepend_zero(z))


def reduced_softmax_jacobian(z: Array) -> Array:
    """dS_L/dz_L for the reduced model: (p_L, p_L + 1), [i, j] = dg_j/dz_i (rows 1.. of the
    full softmax Jacobian, since z_i is the (i+1)-th logit)."""
    return softmax_jacobian(_prepend_zero(z))[1:, :]


def reduced_ce_loss(z: Array, y: Array) -> Array:
    """C = -ln g_{y+1}, g = softmax([0, z]) (the removed node's logit is 0); y in 0..p_L."""
    return softmax_ce_loss(_prepend_zero(z), y)


def reduced_ce_delta(z: Array, y: Array) -> Array:
    """delta_L = (g - e_{y+1}) without its first entry: the full-model delta at the remaining
    output nodes 2, ..., p_L + 1 (node 1, whose g_1 = 1 - sum_{k>=2} g_k, was removed)."""
    return softmax_ce_delta(_prepend_zero(z), y)[..., 1:]


def reduce_multilogit(W_L: Array, b_L: Array) -> tuple[Array, Array]:
    """Full c-output layer -> equivalent reduced (c-1)-output layer.

    Softmax is unchanged by subtracting the first node's logit from every logit, so
    W'_L = W_L[1:] - W_L[0] and b'_L = b_L[1:] - b_L[0] give the same probabilities with that
    node removed (its logit fixed at 0, so g_1 = 1 - sum_{k>=2} g_k).
    """
    return W_L[1:] - W_L[:1], b_L[1:] - b_L[:1]


# --- element-wise S_L + squared error: C = ||g - y||^2, delta_L = S_L'(z) ⊙ 2(g - y) -------
def squared_error_loss(g: Array, y: Array) -> Array:
    """C = ||g - y||^2 (summed over the p_L outputs)."""
    xp = get_xp(g)
    return xp.sum((g - y) ** 2, axis=-1)


def squared_error_dC_dg(g: Array, y: Array) -> Array:
    """dC/dg = 2 (g - y)."""
    return 2.0 * (g - y)


class OutputLoss(NamedTuple):
    """An output layer S_L with its loss C, and the closed-form delta_L of the pair."""

    output: str
    loss: str
    S_L: Callable[[Array], Array]  # z_L -> g
    jacobian: Callable[[Array], Array]  # z_L -> dS_L/dz_L, lecture layout, one example
    C: Callable[[Array, Array], Array]  # (z_L, y) -> loss per example, stable
    dC_dg: Callable[[Array, Array], Array]  # (g, y) -> dC/dg, one example
    delta_L: Callable[[Array, Array], Array]  # (z_L, y) -> closed-form delta_L
    classification: bool

    def n_classes(self, p_L: int) -> int:
        """Number of classes c for a classification output with p_L nodes."""
        return p_L + 1 if self.output == "reduced_softmax" else p_L


def _elementwise_pair(name: str) -> OutputLoss:
    S, dS = ACTIVATIONS[name].S, ACTIVATIONS[name].dS
    return OutputLoss(
        output=name,
        loss="squared_error",
        S_L=S,
        jacobian=lambda z: get_xp(z).diag(dS(z)),  # element-wise: D_L = diag(S_L'(z_L))
        C=lambda z, y: squared_error_loss(S(z), y),
        dC_dg=squared_error_dC_dg,
        delta_L=lambda z, y: dS(z) * squared_error_dC_dg(S(z), y),
        classification=False,
    )


OUTPUT_LOSSES: dict[tuple[str, str], OutputLoss] = {
    ("softmax", "cross_entropy"): OutputLoss(
        "softmax", "cross_entropy", softmax, softmax_jacobian,
        softmax_ce_loss, cross_entropy_dC_dg, softmax_ce_delta, True,
    ),
    ("reduced_softmax", "cross_entropy"): OutputLoss(
        "reduced_softmax", "cross_entropy", reduced_softmax, reduced_softmax_jacobian,
        reduced_ce_loss, cross_entropy_dC_dg, reduced_ce_delta, True,
    ),
    **{(name, "squared_error"): _elementwise_pair(name) for name in ACTIVATIONS},
}

DEFAULT_LOSS = {"softmax": "cross_entropy", "reduced_softmax": "cross_entropy"}


def get_output_loss(output: str, loss: str | None = None) -> OutputLoss:
    """The (S_L, C) pair for ``output`` and ``loss`` (default: cross-entropy for softmax
    outputs, squared error for element-wise ones).

    An unknown ``output`` or ``loss`` is named as such, with the valid names and the closest
    match; a known output with a loss it does not pair with lists the pairs that exist."""
    outputs = sorted({o for o, _ in OUTPUT_LOSSES})
    check_name("output", output, outputs, "output layer")
    if loss is None:
        loss = DEFAULT_LOSS.get(output, "squared_error")
    check_name("loss", loss, sorted({c for _, c in OUTPUT_LOSSES}), "loss")
    key = (output, loss)
    if key not in OUTPUT_LOSSES:
        partners = sorted(c for o, c in OUTPUT_LOSSES if o == output)
        valid = ", ".join(f"{o}+{c}" for o, c in OUTPUT_LOSSES)
        raise ValueError(
            f"output/loss: output={output!r} does not pair with loss={loss!r}; "
            f"{output} pairs with loss={partners[0]!r} (closed-form delta_L). "
            f"Valid pairs: {valid}"
        )
    return OUTPUT_LOSSES[key]


def general_delta_L(pair: OutputLoss, z: Array, y: Array) -> Array:
    """delta_L = (dS_L/dz_L)(dC/dg) for one example, straight from the Jacobian (lecture)."""
    return pair.jacobian(z) @ pair.dC_dg(pair.S_L(z), y)
