"""Finite-difference gradient check over theta (float64 only).

Central differences: dC/dtheta_i ~ (C(theta + h e_i) - C(theta - h e_i)) / (2h), with error
O(h^2) for smooth C. The check reports, per parameter block W_l / b_l, the relative error

    ||g_bp - g_fd|| / max(||g_bp|| + ||g_fd||, tiny)

and passes a block when that is at most ``tol`` **or** when the absolute error
||g_bp - g_fd|| is within the rounding noise of the finite differences themselves,
10 sqrt(size) eps max(|C|, 1) / h (about 2e-9 for one entry with h = 1e-6 and C ~ 1): a block
whose true gradient is that small (e.g. a saturated logistic layer) has no meaningful relative
error. It **flags** (does not fail) every entry whose two evaluations put some ReLU pre-activation
on different sides of the kink z = 0: there the finite difference measures a slope across
the kink, not a derivative, and no back-propagation result could match it.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .backend import to_numpy
from .losses import OutputLoss, general_delta_L
from .network import Network, check_network, dim_theta, feed_forward, theta_blocks
from .validate import check_real

Array = Any

#: Default step and tolerance: in float64 with h = 1e-6 a correct gradient gives relative
#: errors around 1e-9..1e-7 (rounding error ~ eps/h plus truncation ~ h^2).
DEFAULT_H = 1e-6
DEFAULT_TOL = 1e-6


def central_difference(f: Callable[[Array], float], theta: Array, h: float = DEFAULT_H) -> Array:
    """Numerical gradient of f at theta by central differences, one entry at a time."""
    theta = theta.copy()
    g = np.empty(theta.shape[0])
    for i in range(theta.shape[0]):
        t = theta[i]
        theta[i] = t + h
        f_plus = f(theta)
        theta[i] = t - h
        f_minus = f(theta)
        theta[i] = t
        g[i] = (f_plus - f_minus) / (2 * h)
    return g


class DeltaForms(NamedTuple):
    """delta_L = dC/dz_L of one example, three ways (see :func:`delta_L_three_ways`)."""

    closed: np.ndarray  # the output/loss pair's closed form (e.g. g - e_{y+1})
    jacobian: np.ndarray  # (dS_L/dz_L)(dC/dg), the lecture's layout
    numeric: np.ndarray  # central differences of C(z_L)


def delta_L_three_ways(pair: OutputLoss, z: Array, y: Array, h: float = DEFAULT_H
                       ) -> DeltaForms:
    """delta_L for one example (float64): the pair's closed form, the lecture's general form
    (dS_L/dz_L)(dC/dg) from the Jacobian, and central differences of the loss C(z_L)."""
    z = np.asarray(z, dtype=np.float64)
    if not pair.classification:
        y = np.asarray(y, dtype=np.float64)
    return DeltaForms(pair.delta_L(z, y), general_delta_L(pair, z, y),
                      central_difference(lambda v: float(pair.C(v, y)), z, h))


@dataclass
class BlockError:
    """Relative error of one parameter block."""

    name: str
    rel_error: float
    size: int
    n_flagged: int
    abs_error: float = 0.0  # ||g_bp - g_fd|| over the unflagged entries
    noise: float = 0.0  # finite-difference rounding noise for this block (see module doc)

    def passed(self, tol: float) -> bool:
        return self.rel_error <= tol or self.abs_error <= self.noise


@dataclass
class GradcheckReport:
    """Outcome of :func:`gradcheck`; ``str(report)`` prints a stable table."""

    blocks: list[BlockError]
    tol: float
    h: float
    analytic: np.ndarray = field(repr=False)
    numeric: np.ndarray = field(repr=False)
    flagged: np.ndarray = field(repr=False)  # bool per theta entry: straddles a ReLU kink

    @property
    def max_rel_error(self) -> float:
        return max(b.rel_error for b in self.blocks)

    @property
    def passed(self) -> bool:
        return all(b.passed(self.tol) for b in self.blocks)

    def __str__(self) -> str:
        lines = [f"{'block':<6} {'size':>6} {'rel. error':>10} {'kink-flagged':>12}"]
        for b in self.blocks:
            noise_only = b.rel_error > self.tol and b.passed(self.tol)
            note = "  (within FD noise)" if noise_only else ""
            lines.append(f"{b.name:<6} {b.size:>6} {b.rel_error:>10.1e} {b.n_flagged:>12}{note}")
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(f"max rel. error {self.max_rel_error:.1e} (tol {self.tol:.0e}, h {self.h:.0e})"
                     f": {verdict}")
        return "\n".join(lines)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a|| + ||b||, tiny): 0 for equal vectors, 1 for unrelated ones."""
    num = float(np.linalg.norm(a - b))
    den = float(np.linalg.norm(a) + np.linalg.norm(b))
    return num / max(den, np.finfo(np.float64).tiny)


def gradcheck(
    net: Network,
    X: Array,
    Y: Array,
    gradient: Callable[[Network, Array, Array], Any] | None = None,
    h: float = DEFAULT_H,
    tol: float = DEFAULT_TOL,
) -> GradcheckReport:
    """Compare ``gradient(net, X, Y)`` (default: Algorithm 2, batched) with central
    differences of the training loss (1/n) sum_i C_i(theta), block by block."""
    from .backprop import algorithm2_batched  # noqa: PLC0415  (backprop imports this module's peers)

    check_network(net)
    h = check_real("h", h, "a positive finite step", low=0.0, low_inclusive=False)
    tol = check_real("tol", tol, "a finite tolerance >= 0", low=0.0)
    if gradient is not None and not callable(gradient):
        raise TypeError(f"gradient: expected a function gradient(net, X, Y) -> Gradient, got "
                        f"{type(gradient).__name__}")
    if net.dtype != np.float64:
        raise TypeError(f"net: gradient checks need float64 parameters, got {net.dtype}; "
                        "use net.astype('float64')")
    gradient = gradient or algorithm2_batched
    X = net.check_x(X, "X")
    if X.ndim == 1:  # one example (x, y): check it as a training set of one row
        X, Y = X[None, :], net.xp.asarray(Y)[None, ...]
    Y = net.check_y(Y, X, "Y")
    result = gradient(net, X, Y)
    if not callable(getattr(result, "theta", None)):
        raise TypeError(f"gradient: expected it to return a bplib Gradient (with .theta()), "
                        f"got {type(result).__name__}")
    analytic = to_numpy(result.theta()).astype(np.float64)
    if analytic.shape != (dim_theta(net.p),):
        raise ValueError(f"gradient: expected dim(theta) = {dim_theta(net.p)} entries, got "
                         f"shape {analytic.shape}")

    probe = net.copy()
    relu_layers = [l for l in range(1, probe.L + 1) if probe.S[l] == "relu"]  # incl. S_L

    def loss_and_pattern(theta: np.ndarray) -> tuple[float, bytes]:
        probe.set_theta(probe.xp.asarray(theta))
        z, _ = feed_forward(probe, X)
        side = b"".join(to_numpy(z[l] > 0).tobytes() for l in relu_layers)
        return float(probe.xp.mean(probe.pair.C(z[-1], Y))), side

    theta0 = to_numpy(net.theta).astype(np.float64)
    C0, side0 = loss_and_pattern(theta0)
    noise_per_entry = 10 * np.finfo(np.float64).eps * max(abs(C0), 1.0) / h
    flagged = np.zeros(theta0.shape[0], dtype=bool)
    numeric = np.empty_like(theta0)
    theta = theta0.copy()
    for i in range(theta.shape[0]):
        t = theta[i]
        theta[i] = t + h
        c_plus, s_plus = loss_and_pattern(theta)
        theta[i] = t - h
        c_minus, s_minus = loss_and_pattern(theta)
        theta[i] = t
        numeric[i] = (c_plus - c_minus) / (2 * h)
        flagged[i] = s_plus != side0 or s_minus != side0

    blocks = []
    for name, sl, _shape in theta_blocks(net.p):
        keep = ~flagged[sl]
        a, b = analytic[sl][keep], numeric[sl][keep]
        blocks.append(BlockError(name, relative_error(a, b), sl.stop - sl.start,
                                 int(flagged[sl].sum()), float(np.linalg.norm(a - b)),
                                 noise_per_entry * float(np.sqrt(max(a.size, 1)))))
    return GradcheckReport(blocks, tol, h, analytic, numeric, flagged)


class _CallableModule(types.ModuleType):
    """This module, callable: ``bplib.gradcheck(net, X, Y)`` runs :func:`gradcheck`, while
    ``from bplib.gradcheck import gradcheck, relative_error, ...`` keeps working."""

    def __call__(self, *args: Any, **kwargs: Any) -> GradcheckReport:
        return gradcheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(gradcheck)  # what help() and IDEs show for the call
