"""Activation functions S and their derivatives S', side by side (lecture: a_l = S_l(z_l)).

Element-wise activations act on each component of z, so their Jacobian dS/dz is the
diagonal matrix D = diag(S'(z)); the engine never forms D and multiplies by S'(z)
component-wise instead (lecture: diag(a) b = a ⊙ b).

ReLU'(0): the ReLU is not differentiable at z = 0. bplib uses the convention
``ReLU'(0) = 0`` (:data:`RELU_PRIME_AT_ZERO`), as most libraries do; the gradient check
flags parameters whose finite difference straddles the kink instead of failing them. Every
path reads this one value when it runs: :func:`drelu` (Algorithm 1, the loop of Algorithm 2),
the batched fast path and :mod:`bplib.autodiff`. Change it for a block of code with
:func:`relu_prime_at_zero` (any value in [0, 1] is a subgradient).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from .backend import get_xp
from .validate import check_name, check_real

Array = Any

#: Value used for the derivative of the ReLU exactly at its kink z = 0 (read at call time).
RELU_PRIME_AT_ZERO = 0.0


@contextmanager
def relu_prime_at_zero(value: float) -> Iterator[None]:
    """Use ReLU'(0) = ``value`` (in [0, 1]) inside the ``with`` block, on every path."""
    global RELU_PRIME_AT_ZERO
    value = check_real("value", value, "a ReLU'(0) in [0, 1]", low=0.0)
    if value > 1.0:
        raise ValueError(f"value: expected a ReLU'(0) in [0, 1] (a subgradient), got {value}")
    before, RELU_PRIME_AT_ZERO = RELU_PRIME_AT_ZERO, value
    try:
        yield
    finally:
        RELU_PRIME_AT_ZERO = before


# --- logistic: S(z) = 1 / (1 + e^{-z}),  S'(z) = S(z) (1 - S(z)) -------------------------
def logistic(z: Array) -> Array:
    """S(z) = 1/(1 + exp(-z)), written as (1 + tanh(z/2))/2 so no exp overflows."""
    xp = get_xp(z)
    return 0.5 * (1.0 + xp.tanh(0.5 * z))


def dlogistic(z: Array) -> Array:
    """S'(z) = S(z)(1 - S(z)); at most 1/4, and tiny for large |z| (saturation)."""
    s = logistic(z)
    return s * (1.0 - s)


# --- ReLU: S(z) = max(z, 0),  S'(z) = 1{z > 0} ----------------------------------------------
def relu(z: Array) -> Array:
    """S(z) = max(z, 0)."""
    xp = get_xp(z)
    return xp.maximum(z, 0)


def drelu(z: Array) -> Array:
    """S'(z) = 1 for z > 0, 0 for z < 0, and RELU_PRIME_AT_ZERO (= 0) at the kink z = 0."""
    xp = get_xp(z)
    d = (z > 0).astype(z.dtype)
    if RELU_PRIME_AT_ZERO:
        d = xp.where(z == 0, RELU_PRIME_AT_ZERO, d).astype(z.dtype)
    return d


# --- tanh: S(z) = tanh(z),  S'(z) = 1 - tanh(z)^2 -------------------------------------------
def tanh(z: Array) -> Array:
    """S(z) = tanh(z)."""
    return get_xp(z).tanh(z)


def dtanh(z: Array) -> Array:
    """S'(z) = 1 - tanh(z)^2."""
    t = get_xp(z).tanh(z)
    return 1.0 - t * t


# --- identity: S(z) = z,  S'(z) = 1 (linear output layer for regression) --------------------
def identity(z: Array) -> Array:
    """S(z) = z."""
    return z


def didentity(z: Array) -> Array:
    """S'(z) = 1."""
    return get_xp(z).ones_like(z)


class Activation(NamedTuple):
    """An element-wise activation: the function S and its derivative S'."""

    name: str
    S: Callable[[Array], Array]
    dS: Callable[[Array], Array]


ACTIVATIONS: dict[str, Activation] = {
    "logistic": Activation("logistic", logistic, dlogistic),
    "relu": Activation("relu", relu, drelu),
    "tanh": Activation("tanh", tanh, dtanh),
    "identity": Activation("identity", identity, didentity),
}


def get_activation(name: str, argument: str = "activation") -> Activation:
    """Look up an element-wise activation by name, with an error that names ``argument``,
    lists the choices and suggests the closest ('sigmoid' -> 'logistic')."""
    return ACTIVATIONS[check_name(argument, name, ACTIVATIONS, "activation")]


# --- softmax (output layer of the multi-logit model) -----------------------------------------
def logsumexp(z: Array, axis: int = -1) -> Array:
    """log sum_k exp(z_k), stable: the max is subtracted first so no exp overflows."""
    xp = get_xp(z)
    m = xp.max(z, axis=axis, keepdims=True)
    return xp.squeeze(m, axis=axis) + xp.log(xp.sum(xp.exp(z - m), axis=axis))


def softmax(z: Array, axis: int = -1) -> Array:
    """g_k = exp(z_k) / sum_j exp(z_j), computed as exp(z_k - max z) / sum exp(z_j - max z)."""
    xp = get_xp(z)
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Array, axis: int = -1) -> Array:
    """log g_k = z_k - logsumexp(z), finite for any finite z."""
    xp = get_xp(z)
    return z - xp.expand_dims(logsumexp(z, axis=axis), axis)


def softmax_naive(z: Array) -> Array:
    """exp(z) / sum exp(z) exactly as written: overflows to nan once z_k > ~709 (float64).

    Kept only to show the failure that :func:`softmax` avoids.
    """
    xp = get_xp(z)
    e = xp.exp(z)
    return e / xp.sum(e, axis=-1, keepdims=True)


def softmax_jacobian(z: Array) -> Array:
    """dS/dz for the softmax of one vector z: [i, j] = dg_j/dz_i = g_j (1{i=j} - g_i).

    Symmetric, so the lecture's layout and the usual one coincide here.
    """
    xp = get_xp(z)
    g = softmax(z)
    return xp.diag(g) - xp.outer(g, g)
