"""Back-propagation is reverse-mode differentiation: a scalar autodiff in the micrograd style.

A :class:`Value` is one node of the computational graph: a number (``data``), the nodes it
was computed from, and for each of them the **local derivative** d(node)/d(child), written
on the same line as the forward value. ``C.backward()`` then applies the chain rule

    dC/d(child) = sum over the nodes v that use the child of  dC/dv * dv/d(child)

visiting the nodes in reverse topological order, so that every dC/dv is complete (summed
over all paths) before it is passed on. :func:`network_graph` writes Algorithm 1's
feed-forward with Values; after ``C.backward()`` the grad of each ``z[l][i]`` is delta_l[i]
and the grad of ``W[l][i][j]`` is dC/dW_l[i, j]: the matrix form of the back-propagation
theorem is what these local rules add up to, in that order.

Forward mode (:class:`Dual`) uses the same local derivatives the other way round: each
number carries one directional derivative d(number)/d(theta_i) forward with it. One pass
gives one entry of the gradient, so the whole gradient needs dim(theta) passes
(:func:`forward_gradient`) where reverse mode needs one forward and one backward sweep.

Both work in Python floats (float64) and are for small networks: one node per scalar
operation. The engine's arrays are faster by orders of magnitude (``algorithm1``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import activations
from .backend import to_numpy
from .network import Gradient, Network, check_network, dim_theta

Number = Any  # a Value, a Dual or a Python/NumPy real number


def _data(x: Any) -> float:
    """The number inside ``x`` (a Value/Dual or a real number); constants are plain floats."""
    if isinstance(x, _Scalar):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"expected a real number or a Value, got {type(x).__name__} {x!r}")
    return float(x)


class _Scalar:
    """The operations, each with its forward value and its local derivatives side by side.

    ``self._op(value, name, (child, d value / d child), ...)`` makes the result; pairs whose
    child is a plain number (a constant) are dropped: constants are not nodes of the graph.
    """

    __slots__ = ("data",)
    data: float

    def _op(self, data: float, name: str, *local: tuple[Any, float]) -> Any:
        raise NotImplementedError

    def __add__(self, other: Number) -> Any:  # d(a + b)/da = 1, d(a + b)/db = 1
        return self._op(self.data + _data(other), "+", (self, 1.0), (other, 1.0))

    def __sub__(self, other: Number) -> Any:  # d(a - b)/da = 1, d(a - b)/db = -1
        return self._op(self.data - _data(other), "-", (self, 1.0), (other, -1.0))

    def __mul__(self, other: Number) -> Any:  # d(ab)/da = b, d(ab)/db = a
        o = _data(other)
        return self._op(self.data * o, "*", (self, o), (other, self.data))

    def __truediv__(self, other: Number) -> Any:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        o = _data(other)
        return self._op(self.data / o, "/", (self, 1.0 / o), (other, -self.data / (o * o)))

    def __pow__(self, k: float) -> Any:  # d(a^k)/da = k a^(k-1), k a constant
        if isinstance(k, _Scalar):
            raise TypeError("**: the exponent must be a constant number; for a^k with k a "
                            "Value write (k * a.log()).exp()")
        k = _data(k)
        try:
            return self._op(math.pow(self.data, k), f"**{k:g}",
                            (self, k * math.pow(self.data, k - 1.0)))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"**: a^k with a = {self.data!r}, k = {k!r} is not a real number "
                             "with a derivative") from None

    def __neg__(self) -> Any:  # d(-a)/da = -1
        return self._op(-self.data, "neg", (self, -1.0))

    def __radd__(self, other: Number) -> Any:  # c + a
        return self + other

    def __rsub__(self, other: Number) -> Any:  # c - a
        return self._op(_data(other) - self.data, "-", (self, -1.0))

    def __rmul__(self, other: Number) -> Any:  # c a
        return self * other

    def __rtruediv__(self, other: Number) -> Any:  # d(c/a)/da = -c/a^2
        c = _data(other)
        return self._op(c / self.data, "/", (self, -c / (self.data * self.data)))

    def exp(self) -> Any:  # d e^a / da = e^a
        if self.data > 709.0:  # e^709.78 is the largest float64
            raise OverflowError(f"exp: e^{self.data!r} overflows float64")
        e = math.exp(self.data)
        return self._op(e, "exp", (self, e))

    def log(self) -> Any:  # d log a / da = 1/a
        if self.data <= 0.0:
            raise ValueError(f"log: expected a positive argument, got {self.data!r}")
        return self._op(math.log(self.data), "log", (self, 1.0 / self.data))

    def logistic(self) -> Any:  # S = (1 + tanh(a/2))/2 (no overflow), S' = S (1 - S)
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))
        return self._op(s, "logistic", (self, s * (1.0 - s)))

    def tanh(self) -> Any:  # S' = 1 - tanh(a)^2
        t = math.tanh(self.data)
        return self._op(t, "tanh", (self, 1.0 - t * t))

    def relu(self) -> Any:  # S = max(a, 0); S' = 1{a > 0}, and ReLU'(0) as bplib.activations
        return self._op(max(self.data, 0.0), "relu", (self, relu_prime(self.data)))

    def identity(self) -> Any:  # S(a) = a: no operation, no node
        return self


def relu_prime(z: float) -> float:
    """ReLU'(z) read from :func:`bplib.activations.drelu`, so the kink value at z = 0 is
    :data:`bplib.activations.RELU_PRIME_AT_ZERO`, the one convention of every path."""
    return float(activations.drelu(np.float64(z)))


class Value(_Scalar):
    """A node of the computational graph: ``data``, ``grad`` = dC/d(this node) after
    ``C.backward()``, and ``children``: (child node, d(this)/d(child)) pairs."""

    __slots__ = ("grad", "children", "op", "label")

    def __init__(self, data: float, children: tuple = (), op: str = "", label: str = ""):
        self.data = _data(data)
        self.grad = 0.0
        self.children = children
        self.op = op  # the operation that made this node ('' for a leaf)
        self.label = label  # a name for drawings ('W1[0,1]', 'z2[0]', ...)

    def _op(self, data: float, name: str, *local: tuple[Any, float]) -> Value:
        return Value(data, tuple((c, d) for c, d in local if isinstance(c, Value)), name)

    def backward(self) -> None:
        """Reverse-mode sweep: every node's grad becomes d(self)/d(node).

        Sets grad = 0 on every node of the graph, grad = 1 here, then, in reverse
        topological order (each node after all nodes that use it), adds
        grad(node) * d(node)/d(child) to each child's grad: the chain rule summed over paths.
        """
        order = topological_order(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            for child, local in v.children:
                child.grad += v.grad * local

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph once, each after all the nodes it was computed from
    (depth-first post-order, iterative so deep graphs do not hit Python's recursion limit)."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, children_done = stack.pop()
        if children_done:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.append((v, True))
        stack.extend((c, False) for c, _ in v.children if id(c) not in seen)
    return order


class GraphSize(NamedTuple):
    """Size of a computational graph: what reverse mode stores and sweeps."""

    nodes: int  # every node, leaves included
    leaves: int  # inputs and parameters (nodes made by no operation)
    operations: int  # nodes made by an operation: the cost of one forward pass
    edges: int  # local derivatives: one multiply-add each in the backward sweep


def graph_size(root: Value) -> GraphSize:
    """Count the nodes, leaves, operations and edges of root's graph."""
    order = topological_order(root)
    leaves = sum(1 for v in order if not v.op)
    return GraphSize(len(order), leaves, len(order) - leaves,
                     sum(len(v.children) for v in order))


class Dual(_Scalar):
    """Forward mode: a number ``data`` with one derivative ``dot`` = d(data)/d(theta_i)
    carried along; each operation applies the same local derivatives as :class:`Value`,
    at once and forwards: dot(result) = sum over operands of local derivative * dot(operand).
    Nothing is stored, so no backward sweep is needed, but one pass gives one direction."""

    __slots__ = ("dot",)

    def __init__(self, data: float, dot: float = 0.0):
        self.data = _data(data)
        self.dot = float(dot)

    def _op(self, data: float, name: str, *local: tuple[Any, float]) -> Dual:
        return Dual(data, sum(d * c.dot for c, d in local if isinstance(c, Dual)))

    def __repr__(self) -> str:
        return f"Dual(data={self.data:.6g}, dot={self.dot:.6g})"


# --- a network as a graph ---------------------------------------------------------------------
class Graph(NamedTuple):
    """Algorithm 1's feed-forward as scalar nodes, layer-indexed like the engine's lists:
    W[l][i][j], b[l][i], z[l][i], a[l][i] (a[0] holds the input x; index 0 of W, b, z is
    None) and the loss C of the example."""

    C: Any
    W: list
    b: list
    z: list
    a: list


#: Scalar graphs are for small networks: one Python object per scalar operation.
MAX_PARAMS = 50_000


def _check_example(net: Network, x: Any, y: Any, max_params: int) -> tuple[np.ndarray, Any]:
    check_network(net)
    if dim_theta(net.p) > max_params:
        raise ValueError(f"net: a scalar graph is for small networks, dim(theta) <= "
                         f"{max_params}; got dim(theta) = {dim_theta(net.p)} for p = "
                         f"{list(net.p)}. Use algorithm1, or pass max_params=")
    x = net.check_x(x)
    if x.ndim != 1:
        raise ValueError(f"x: a scalar graph takes one example of shape ({net.p[0]},), "
                         f"got shape {tuple(x.shape)}")
    y = net.check_y(y, x)
    return to_numpy(x).astype(np.float64), to_numpy(y)


def _feed_forward(net: Network, x: np.ndarray, y: Any, leaf: Callable[[float, str], Any]
                  ) -> Graph:
    """Lines 1-4 of Algorithm 1 and the loss C, one scalar operation at a time; ``leaf``
    makes the input and parameter numbers (Values for reverse mode, Duals for forward)."""
    L = net.L
    W: list = [None]
    b: list = [None]
    for l in range(1, L + 1):
        Wl, bl = to_numpy(net.W[l]), to_numpy(net.b[l])
        W.append([[leaf(Wl[i, j], f"W{l}[{i},{j}]") for j in range(Wl.shape[1])]
                  for i in range(Wl.shape[0])])
        b.append([leaf(bl[i], f"b{l}[{i}]") for i in range(bl.shape[0])])
    z: list = [None]
    a: list = [[leaf(x[j], f"x[{j}]") for j in range(x.shape[0])]]  # line 1: a_0 <- x
    for l in range(1, L + 1):  # line 2
        zl = []
        for i in range(len(b[l])):  # line 3: z_l,i <- sum_j W_l,ij a_{l-1},j + b_l,i
            s = b[l][i]
            for j in range(len(a[l - 1])):
                s = s + W[l][i][j] * a[l - 1][j]
            zl.append(s)
        z.append(zl)
        name = net.S[l] if l < L else net.pair.output
        if name in ("softmax", "reduced_softmax"):
            a.append(_softmax(zl if name == "softmax" else [0.0, *zl]))
        else:  # line 4: a_l,i <- S_l(z_l,i), element-wise
            a.append([getattr(v, name)() for v in zl])
    return Graph(_loss(net, z[L], a[L], y), W, b, z, a)


def _softmax(z: list) -> list:
    """g_k = exp(z_k - m) / sum_j exp(z_j - m) with the constant m = max_k z_k."""
    m = max(_data(v) for v in z)
    e = [v - m if isinstance(v, _Scalar) else math.exp(v - m) for v in z]
    e = [v.exp() if isinstance(v, _Scalar) else v for v in e]
    s = _sum(e)
    return [v / s for v in e]


def _sum(terms: Sequence[Any]) -> Any:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _loss(net: Network, zL: list, g: list, y: Any) -> Any:
    """The pair's loss C of one example, from the scalar z_L (and g = a_L)."""
    if net.pair.classification:  # C = log sum_k exp(z_k - m) + m - z_y (log-sum-exp form)
        logits = zL if net.pair.output == "softmax" else [0.0, *zL]  # reduced: z_0 = 0
        m = max(_data(v) for v in logits)
        terms = [v - m if isinstance(v, _Scalar) else math.exp(v - m) for v in logits]
        terms = [v.exp() if isinstance(v, _Scalar) else v for v in terms]
        return _sum(terms).log() + m - logits[int(y)]
    yv = np.asarray(y, dtype=np.float64)
    return _sum([(g[k] - float(yv[k])) ** 2 for k in range(len(g))])  # C = ||g - y||^2


def network_graph(net: Network, x: Any, y: Any, *, max_params: int = MAX_PARAMS) -> Graph:
    """The computational graph of the loss C of one example (x, y), built from Values:
    z_l,i = b_l,i + sum_j W_l,ij a_{l-1},j (line 3), a_l = S_l(z_l) (line 4), and C from the
    pair's loss (cross-entropy in log-sum-exp form, or ||g - y||^2).

    Returns a :class:`Graph`; call ``graph.C.backward()`` and read dC/dW_l[i, j] as
    ``graph.W[l][i][j].grad``, delta_l[i] = dC/dz_l,i as ``graph.z[l][i].grad``.
    """
    x, y = _check_example(net, x, y, max_params)
    return _feed_forward(net, x, y, lambda v, label: Value(float(v), label=label))


def autodiff_gradient(net: Network, x: Any, y: Any, *, max_params: int = MAX_PARAMS) -> Any:
    """dC/dW_l and dC/db_l of one example by reverse mode on :func:`network_graph`, as a
    :class:`bplib.Gradient` (NumPy float64 arrays), to compare with Algorithm 1."""
    graph = network_graph(net, x, y, max_params=max_params)
    graph.C.backward()
    dW = [None] + [np.array([[v.grad for v in row] for row in Wl]) for Wl in graph.W[1:]]
    db = [None] + [np.array([v.grad for v in bl]) for bl in graph.b[1:]]
    return Gradient(dW, db, graph.C.data)


def forward_gradient(net: Network, x: Any, y: Any, *, max_params: int = MAX_PARAMS) -> Any:
    """The same gradient by forward mode: one pass of :class:`Dual` numbers per parameter
    theta_i (seeded with d theta_i / d theta_i = 1), dim(theta) passes in all."""
    x, y = _check_example(net, x, y, max_params)

    def one_pass(seed: str) -> Dual:  # C, with d theta_i / d theta_i = 1 for theta_i = seed
        return _feed_forward(net, x, y, lambda v, label: Dual(v, float(label == seed))).C

    dW = [None] + [np.empty(net.W[l].shape) for l in range(1, net.L + 1)]
    db = [None] + [np.empty(net.b[l].shape) for l in range(1, net.L + 1)]
    for l in range(1, net.L + 1):
        for i, j in np.ndindex(*dW[l].shape):
            dW[l][i, j] = one_pass(f"W{l}[{i},{j}]").dot
        for i in range(db[l].shape[0]):
            db[l][i] = one_pass(f"b{l}[{i}]").dot
    return Gradient(dW, db, one_pass("").data)
