"""The network: parameters theta = {W_l, b_l}, dim(theta), and the feed-forward pass.

Conventions of the lecture, used everywhere in bplib:

* layers l = 0, 1, ..., L with widths p_0 (input), ..., p_L (output);
* W_l has shape (p_l, p_{l-1}) and b_l shape (p_l,), so z_l = W_l a_{l-1} + b_l;
* one example x is a 1-D vector of length p_0; a batch is a 2-D array with **one example
  per row**, shape (n, p_0), for which the same transition reads Z_l = A_{l-1} W_l^T + b_l;
* lists are indexed by the layer number: ``W[l]``, ``b[l]``, ``z[l]``, ``a[l]`` with
  ``a[0] = x`` and ``W[0] = b[0] = z[0] = None``, so code reads like the slides.

theta stacks, for l = 1..L in order, the entries of W_l (row by row) and then b_l:
dim(theta) = sum_l (p_{l-1} p_l + p_l).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .backend import get_xp, resolve_backend, to_numpy
from .losses import OutputLoss, get_output_loss
from .validate import (
    check_float_array,
    check_labels,
    check_name,
    check_positive_int,
    check_real,
    check_seed,
    check_targets,
)

Array = Any


# --- theta and dim(theta) --------------------------------------------------------------------
def check_widths(p: Sequence[int]) -> tuple[int, ...]:
    """Layer widths (p_0, ..., p_L): at least two positive integers."""
    if isinstance(p, (str, bytes)) or not isinstance(p, Sequence):
        raise TypeError(f"p: expected a sequence of layer widths (p_0, ..., p_L), got {p!r}")
    if len(p) < 2:
        raise ValueError(f"p: expected at least 2 widths (input and output), got {list(p)}")
    return tuple(check_positive_int(f"p[{l}]", v) for l, v in enumerate(p))


def dim_theta(p: Sequence[int]) -> int:
    """dim(theta) = sum_{l=1}^{L} (p_{l-1} p_l + p_l): weights plus biases (lecture)."""
    p = check_widths(p)
    return sum(p[l - 1] * p[l] + p[l] for l in range(1, len(p)))


def theta_blocks(p: Sequence[int]) -> list[tuple[str, slice, tuple[int, ...]]]:
    """Where each W_l and b_l sits in theta: [(name, slice, shape), ...] in packing order."""
    p = check_widths(p)
    blocks, i = [], 0
    for l in range(1, len(p)):
        for name, shape in ((f"W_{l}", (p[l], p[l - 1])), (f"b_{l}", (p[l],))):
            size = int(np.prod(shape))
            blocks.append((name, slice(i, i + size), shape))
            i += size
    return blocks


def pack(W: Sequence[Array], b: Sequence[Array]) -> Array:
    """theta = [W_1 row by row; b_1; ...; W_L row by row; b_L] from layer-indexed lists.

    The lecture's theta order: each W_l is stacked row by row (row-major, NumPy's own
    layout, so ``W[l].reshape(-1)`` is free); this is not vec(W_l), which stacks columns.
    Any fixed order works as long as :func:`pack` and :func:`unpack` agree. W[0] is unused.
    """
    parts = []
    for l in range(1, len(W)):
        parts += [W[l].reshape(-1), b[l].reshape(-1)]
    return get_xp(W[1]).concatenate(parts)


def unpack(theta: Array, p: Sequence[int]) -> tuple[list, list]:
    """Inverse of :func:`pack`: theta -> layer-indexed lists W, b (views into theta)."""
    p = check_widths(p)
    if getattr(theta, "ndim", None) != 1 or theta.shape[0] != dim_theta(p):
        raise ValueError(
            f"theta: expected a 1-D vector of length dim(theta) = {dim_theta(p)} "
            f"for p = {list(p)}, got shape {tuple(getattr(theta, 'shape', ()))}"
        )
    W: list = [None]
    b: list = [None]
    for name, sl, shape in theta_blocks(p):
        (W if name[0] == "W" else b).append(theta[sl].reshape(shape))
    return W, b


# --- initialisation: W_l ~ N(0, Var W_l), b_l = 0 --------------------------------------------
#: Names accepted by ``Network.init(init=...)`` (see :func:`init_std`).
INIT_SCHEMES = ("auto", "he", "lecun", "glorot", "normal")


def init_std(p: Sequence[int], hidden: str | Sequence[str] = "relu", init: str = "auto",
             scale: float = 1.0) -> list:
    """Standard deviation sqrt(Var W_l) of the entries of W_l, layer-indexed [None, sd_1, ...].

    Var W_l = scale^2 * gain / fan (lecture notation: fan_in = p_{l-1}, fan_out = p_l):

    * "he":     gain 2, fan = fan_in            (He et al., 2015: for ReLU inputs)
    * "lecun":  gain 1, fan = fan_in            (LeCun et al., 1998)
    * "glorot": gain 2, fan = fan_in + fan_out  (Glorot and Bengio, 2010; "Xavier")
    * "normal": Var W_l = scale^2, whatever the widths
    * "auto":   "he" for a layer whose input a_{l-1} comes out of a ReLU, else "lecun"
      (bplib's default)

    ``hidden`` gives the hidden activations (one name, or one per hidden layer), which only
    "auto" reads.
    """
    p = check_widths(p)
    L = len(p) - 1
    hidden_names = _hidden_names(hidden, L)
    init = check_name("init", init, INIT_SCHEMES, "initialisation scheme")
    scale = check_real("scale", scale, "a finite scale >= 0", low=0.0)
    S = (None, *hidden_names)
    std: list = [None]
    for l in range(1, L + 1):
        fan_in, fan_out = p[l - 1], p[l]
        if init == "auto":
            var = (2.0 if l > 1 and S[l - 1] == "relu" else 1.0) / fan_in
        elif init == "he":
            var = 2.0 / fan_in
        elif init == "lecun":
            var = 1.0 / fan_in
        elif init == "glorot":
            var = 2.0 / (fan_in + fan_out)
        else:  # "normal"
            var = 1.0
        std.append(scale * float(np.sqrt(var)))
    return std


def _hidden_names(hidden: str | Sequence[str], L: int) -> list[str]:
    """One activation name per hidden layer l = 1..L-1, from one name or a sequence."""
    if isinstance(hidden, str):
        names = [hidden] * (L - 1)
    elif isinstance(hidden, Sequence):
        names = list(hidden)
    else:
        raise TypeError(f"hidden: expected an activation name or a sequence of names, "
                        f"got {type(hidden).__name__} {hidden!r}")
    if len(names) != L - 1:
        raise ValueError(
            f"hidden: expected one activation name or {L - 1} (one per hidden layer), "
            f"got {len(names)}"
        )
    for l, h in enumerate(names, start=1):
        get_activation(h, argument="hidden" if isinstance(hidden, str) else f"hidden[{l - 1}]")
    return names


def _check_output_width(pair: OutputLoss, p_L: int) -> None:
    """A softmax over one output node is the constant g = 1: loss and gradient are 0."""
    if pair.output == "softmax" and p_L < 2:
        raise ValueError(
            f"p_L: a softmax output needs at least 2 output nodes (one per class), got "
            f"p_L = {p_L}: softmax over one node is the constant 1, so C and its gradient are "
            "identically 0. For two classes use p_L = 2 with output='softmax', or p_L = 1 "
            "with output='reduced_softmax' (logistic regression)"
        )


class Gradient(NamedTuple):
    """dC/dW_l and dC/db_l as layer-indexed lists (index 0 unused) and the loss C: what
    Algorithms 1 and 2 return (:mod:`bplib.backprop`, :mod:`bplib.batched`)."""

    W: list
    b: list
    C: float

    def theta(self) -> Array:
        """The gradient as one vector, in theta's packing order."""
        return pack(self.W, self.b)


# --- the network -----------------------------------------------------------------------------
@dataclass(eq=False)
class Network:
    """A feed-forward network {W_l, b_l, S_l}, l = 1..L, with an output/loss pair.

    Build one with :meth:`Network.init` (random) or :meth:`Network.from_weights`.
    """

    W: list  # W[l]: (p_l, p_{l-1}); W[0] is None
    b: list  # b[l]: (p_l,);          b[0] is None
    S: tuple  # S[l]: activation name of layer l; S[L] is the output layer; S[0] is None
    loss: str  # 'cross_entropy' or 'squared_error'
    _cache: dict = field(default_factory=dict, repr=False)  # fast-path buffers

    def __post_init__(self) -> None:
        self.pair: OutputLoss = get_output_loss(self.S[-1], self.loss)
        L = len(self.W) - 1
        if L < 1 or len(self.b) != L + 1 or len(self.S) != L + 1:
            raise ValueError(
                f"W, b, S: expected layer-indexed lists of equal length L + 1 >= 2, "
                f"got lengths {len(self.W)}, {len(self.b)}, {len(self.S)}"
            )
        for l in range(1, L):
            get_activation(self.S[l], argument=f"S[{l}] (hidden activation)")
        dtype = None
        for l in range(1, L + 1):
            self.W[l] = check_float_array(f"W[{l}]", self.W[l], ndim=(2,))  # lists -> arrays
            self.b[l] = check_float_array(f"b[{l}]", self.b[l], ndim=(1,))
            if 0 in self.W[l].shape:
                raise ValueError(f"W[{l}]: expected a matrix of shape (p_{l}, p_{l - 1}) with "
                                 f"p_{l}, p_{l - 1} >= 1, got shape {tuple(self.W[l].shape)}")
            for name, arr in ((f"W[{l}]", self.W[l]), (f"b[{l}]", self.b[l])):
                if dtype is None:
                    dtype = arr.dtype
                elif arr.dtype != dtype:
                    raise TypeError(f"{name}: expected dtype {dtype} like W[1], got {arr.dtype}")
            p_l, p_prev = self.W[l].shape
            if l > 1 and p_prev != self.W[l - 1].shape[0]:
                raise ValueError(
                    f"W[{l}]: expected shape (p_{l}, p_{l - 1}) = (*, {self.W[l - 1].shape[0]}) "
                    f"to follow W[{l - 1}] of shape {tuple(self.W[l - 1].shape)}, "
                    f"got {tuple(self.W[l].shape)}"
                )
            if tuple(self.b[l].shape) != (p_l,):
                raise ValueError(
                    f"b[{l}]: expected shape ({p_l},) to match W[{l}] of shape "
                    f"{tuple(self.W[l].shape)}, got {tuple(self.b[l].shape)}"
                )
        _check_output_width(self.pair, self.W[L].shape[0])

    # -- construction --
    @classmethod
    def init(
        cls,
        p: Sequence[int],
        hidden: str | Sequence[str] = "relu",
        output: str = "softmax",
        loss: str | None = None,
        *,
        seed: int | None = 0,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
        backend: str | None = None,
        init: str = "auto",
        scale: float = 1.0,
    ) -> Network:
        """Random network with widths p = (p_0, ..., p_L): W_l ~ N(0, Var W_l), b_l = 0.

        ``init`` chooses Var W_l (fan_in = p_{l-1}, fan_out = p_l; see :func:`init_std`):

        =========  ======================================  ===================================
        init       Var W_l                                 keeps ...
        =========  ======================================  ===================================
        "auto"     "he" where a_{l-1} = ReLU(z_{l-1}),      (the default, unchanged since 0.1)
                   "lecun" elsewhere (and for l = 1)
        "he"       scale^2 * 2 / fan_in                    E[z^2] through ReLU layers
        "lecun"    scale^2 * 1 / fan_in                    Var z_l through tanh-like layers
        "glorot"   scale^2 * 2 / (fan_in + fan_out)        Var z_l forward and Var delta_l
                                                           backward in balance ("Xavier")
        "normal"   scale^2                                 nothing: widths and depth make
                                                           z_l grow or shrink (the naive start)
        =========  ======================================  ===================================

        i.e. Var W_l = scale^2 * gain / fan with gain 2 (He) or 1 (LeCun) over fan = fan_in,
        gain 2 over fan = fan_in + fan_out (Glorot). ``scale = 0`` gives all-zero weights
        (the symmetric start that gradient steps cannot break).

        Randomness comes only from ``rng`` (or ``seed``), drawn on the host in float64, one
        layer after the other, so every backend and dtype starts from the same theta.
        """
        p = check_widths(p)
        L = len(p) - 1
        hidden_names = _hidden_names(hidden, L)
        pair = get_output_loss(output, loss)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype: expected float32 or float64, got {dtype}")
        _check_output_width(pair, p[-1])
        std = init_std(p, hidden_names, init=init, scale=scale)
        if rng is None:
            rng = np.random.default_rng(check_seed(seed))
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(...)),"
                            f" got {type(rng).__name__}")
        xp = resolve_backend(backend)
        S = (None, *hidden_names, output)
        W, b = [None], [None]
        for l in range(1, L + 1):
            W.append(xp.asarray(rng.normal(0.0, std[l], size=(p[l], p[l - 1])), dtype=dtype))
            b.append(xp.zeros(p[l], dtype=dtype))
        return cls(W, b, S, pair.loss)

    @classmethod
    def from_weights(
        cls,
        W: Sequence[Array],
        b: Sequence[Array],
        hidden: str | Sequence[str] = "relu",
        output: str = "softmax",
        loss: str | None = None,
    ) -> Network:
        """Network from plain lists [W_1, ..., W_L], [b_1, ..., b_L] (no leading None)."""
        for name, v in (("W", W), ("b", b)):
            if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) or not len(v):
                raise TypeError(f"{name}: expected a non-empty list [{name}_1, ..., {name}_L] "
                                f"of arrays, got {type(v).__name__}")
        L = len(W)
        if len(b) != L:
            raise ValueError(f"b: expected {L} bias vectors, one per weight matrix in W, "
                             f"got {len(b)}")
        hidden_names = _hidden_names(hidden, L)
        return cls(
            [None, *W], [None, *b], (None, *hidden_names, output),
            get_output_loss(output, loss).loss,
        )

    # -- shape facts --
    @property
    def L(self) -> int:
        """Number of layers with parameters (the output layer is layer L)."""
        return len(self.W) - 1

    @property
    def p(self) -> tuple[int, ...]:
        """Widths (p_0, ..., p_L)."""
        return (self.W[1].shape[1], *(self.W[l].shape[0] for l in range(1, self.L + 1)))

    @property
    def dtype(self) -> Any:
        return self.W[1].dtype

    @property
    def xp(self) -> Any:
        """Array module (numpy or cupy) holding the parameters."""
        return get_xp(self.W[1])

    @property
    def n_classes(self) -> int:
        return self.pair.n_classes(self.p[-1])

    # -- theta --
    @property
    def theta(self) -> Array:
        """The parameter vector theta (a copy); dim(theta) = :func:`dim_theta` (p)."""
        return pack(self.W, self.b)

    def set_theta(self, theta: Array) -> None:
        """Overwrite {W_l, b_l} with the entries of theta (packing order of :func:`pack`)."""
        W, b = unpack(theta, self.p)
        for l in range(1, self.L + 1):
            self.W[l][...] = W[l]
            self.b[l][...] = b[l]

    def copy(self) -> Network:
        return Network([None] + [w.copy() for w in self.W[1:]],
                       [None] + [v.copy() for v in self.b[1:]], self.S, self.loss)

    def astype(self, dtype: Any) -> Network:
        """The same network with parameters cast to ``dtype``."""
        return Network([None] + [w.astype(dtype) for w in self.W[1:]],
                       [None] + [v.astype(dtype) for v in self.b[1:]], self.S, self.loss)

    def to(self, backend: str) -> Network:
        """The same network with parameters on another backend ('numpy' or 'cupy')."""
        xp = resolve_backend(backend)
        return Network([None] + [xp.asarray(to_numpy(w)) for w in self.W[1:]],
                       [None] + [xp.asarray(to_numpy(v)) for v in self.b[1:]], self.S, self.loss)

    # -- input checks --
    def check_x(self, x: Any, name: str = "x") -> Array:
        """One example (p_0,) or a batch (n, p_0), float, finite, on this network's device."""
        x = check_float_array(name, x, ndim=(1, 2), width=self.p[0])
        if get_xp(x) is not self.xp:
            raise TypeError(
                f"{name}: expected an array on the network's backend ({self.xp.__name__}), "
                f"got {type(x).__module__}.{type(x).__name__}; move it with "
                "bplib.backend.resolve_backend(...).asarray(x)"
            )
        if x.ndim == 2 and x.shape[0] == 0:
            raise ValueError(f"{name}: expected at least one example, got an empty training set "
                             f"of shape {tuple(x.shape)}")
        return x.astype(self.dtype, copy=False)

    def check_y(self, y: Any, x: Array, name: str = "y") -> Array:
        """Labels (classification) or targets (regression) matching x."""
        n = None if x.ndim == 1 else x.shape[0]
        if self.pair.classification:
            return check_labels(name, self.xp.asarray(y), n, self.n_classes)
        shape = (self.p[-1],) if n is None else (n, self.p[-1])
        return check_targets(name, self.xp.asarray(y), shape, self.dtype)

    def check_batch(self, X: Any, Y: Any) -> tuple[Array, Array]:
        """A training set: X of shape (n, p_0) with one example per row, and Y matching it."""
        X = self.check_x(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X: expected a training set of shape (n, {self.p[0]}), one "
                             f"example per row, got shape {tuple(X.shape)}")
        return X, self.check_y(Y, X, "Y")

    # -- the forward pass --
    def feed_forward(self, x: Array) -> tuple[list, list]:
        """z_l = W_l a_{l-1} + b_l, a_l = S_l(z_l) for l = 1..L, keeping every {z_l, a_l}.

        x is one example (1-D) or a batch (one per row, then Z_l = A_{l-1} W_l^T + b_l).
        Returns layer-indexed lists z (z[0] = None) and a (a[0] = x, a[L] = g(x)).
        """
        x = self.check_x(x)
        return feed_forward(self, x)

    def predict(self, x: Array) -> Array:
        """g(x) = a_L: class probabilities (softmax outputs) or regression outputs."""
        return self.feed_forward(x)[1][-1]

    def predict_class(self, x: Array) -> Array:
        """Most probable class (classification outputs only)."""
        return self.xp.argmax(self.predict(x), axis=-1)

    def loss_value(self, X: Array, Y: Array) -> float:
        """Training loss (1/n) sum_i C_i(theta) over the rows of X (lecture), a Python float."""
        X = self.check_x(X, "X")
        Y = self.check_y(Y, X, "Y")
        z, _ = feed_forward(self, X)
        return float(self.xp.mean(self.pair.C(z[-1], Y)))


def check_network(net: Any, name: str = "net") -> Network:
    """``net`` itself if it is a :class:`Network`, else a TypeError that says how to make one."""
    if not isinstance(net, Network):
        raise TypeError(f"{name}: expected a bplib Network (Network.init(p, ...) or "
                        f"Network.from_weights(W, b, ...)), got {type(net).__name__}")
    return net


def apply_S(S_name: str, pair: OutputLoss, z: Array, output_layer: bool) -> Array:
    """a_l = S_l(z_l): the output layer uses the pair's S_L (softmax may add class 0)."""
    return pair.S_L(z) if output_layer else ACTIVATIONS[S_name].S(z)


def feed_forward(net: Network, x: Array) -> tuple[list, list]:
    """Feed-forward without input checks (callers have checked x); see Network.feed_forward."""
    z: list = [None]
    a: list = [x]
    for l in range(1, net.L + 1):
        if x.ndim == 1:
            z.append(net.W[l] @ a[l - 1] + net.b[l])  # z_l = W_l a_{l-1} + b_l
        else:
            z.append(a[l - 1] @ net.W[l].T + net.b[l])  # Z_l = A_{l-1} W_l^T + b_l (rows)
        a.append(apply_S(net.S[l], net.pair, z[l], output_layer=l == net.L))  # a_l = S_l(z_l)
    return z, a
