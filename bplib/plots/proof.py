"""Notebook 03 (the theorem and its proof, checked): every step of the proof against
finite-difference Jacobians, for one example (x, y) and a small network, in float64.

Layout (lecture): for a map u -> v the derivative dv/du is the matrix whose **(i, j) entry
is dv_j/du_i**, the transpose of the usual Jacobian, shape (dim u, dim v). With it the chain
rule multiplies in the order the proof writes it, and the steps are

    dz_l/dz_{l-1} = D_{l-1} W_l^T              (shape (p_{l-1}, p_l), l = 2..L)
    delta_{l-1} = (dz_l/dz_{l-1}) delta_l = D_{l-1} W_l^T delta_l,  delta_l = dC/dz_l
    dC/dW_l = delta_l a_{l-1}^T,   dC/db_l = delta_l

with D_l = diag(S'_l(z_l)) and delta_L = (dS_L/dz_L)(dC/dg). The analytic side here is
written with D_l as a matrix, exactly as in the proof (the engine uses the ⊙ shortcut).

Finite differences: central, h = 1e-6 by default; in float64 their error is about
h^2 |f'''| + eps |f| / h, i.e. ~1e-10 for the O(1) quantities of a small network, so the
notebook's tolerance max |error| < 1e-7 leaves three orders of magnitude of margin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..activations import ACTIVATIONS
from ..network import Network, apply_S
from . import style

DEFAULT_H = 1e-6
DEFAULT_TOL = 1e-7
QUANTITIES = ("dz_l/dz_{l-1}", "delta_l", "dC/dW_l", "dC/db_l")


def fd_jacobian(f: Callable[[np.ndarray], Any], u: np.ndarray, h: float = DEFAULT_H
                ) -> np.ndarray:
    """Central-difference derivative of f at u in the lecture's layout.

    Returns J with J[i, j] = (f_j(u + h e_i) - f_j(u - h e_i)) / (2h) ~ df_j/du_i, shape
    (dim u, dim f); for a scalar f the vector of df/du_i, shape (dim u,). u may be a matrix
    (then i runs over its entries row by row and J has shape (u.size, dim f), or u.shape for a
    scalar f). Float64 only: in float32 the rounding error eps/h would swamp the derivative.
    """
    u = np.asarray(u)
    if u.dtype != np.float64:
        raise TypeError(f"u: finite differences need float64, got {u.dtype}")
    flat = u.reshape(-1).copy()
    rows = []
    for i in range(flat.size):
        t = flat[i]
        flat[i] = t + h
        f_plus = np.asarray(f(flat.reshape(u.shape)), dtype=np.float64)
        flat[i] = t - h
        f_minus = np.asarray(f(flat.reshape(u.shape)), dtype=np.float64)
        flat[i] = t
        rows.append((f_plus - f_minus) / (2 * h))
    J = np.array(rows)
    return J.reshape(u.shape) if J.ndim == 1 else J


def _check_net(net: Network) -> None:
    if net.dtype != np.float64 or net.xp is not np:
        raise TypeError(f"net: the proof checks need a float64 NumPy network, got {net.dtype} "
                        f"on {net.xp.__name__}; use net.to('numpy').astype('float64')")


def _S(net: Network, l: int, z: np.ndarray) -> np.ndarray:
    """a_l = S_l(z_l) (the output layer uses the pair's S_L)."""
    return apply_S(net.S[l], net.pair, z, output_layer=l == net.L)


def z_map(net: Network, l: int) -> Callable[[np.ndarray], np.ndarray]:
    """The map z_{l-1} -> z_l = W_l S_{l-1}(z_{l-1}) + b_l (l = 2..L), whose derivative is
    the proof's dz_l/dz_{l-1}."""
    if not 2 <= l <= net.L:
        raise ValueError(f"l: dz_l/dz_(l-1) exists for l = 2..{net.L}, got {l}")
    return lambda z_prev: net.W[l] @ _S(net, l - 1, z_prev) + net.b[l]


def loss_from_z(net: Network, l: int, y: Any) -> Callable[[np.ndarray], float]:
    """The map z_l -> C: finish the feed-forward from layer l, then the loss. Its gradient is
    delta_l = dC/dz_l (the definition of delta_l in the theorem)."""
    if not 1 <= l <= net.L:
        raise ValueError(f"l: expected a layer 1..{net.L}, got {l}")

    def f(z_l: np.ndarray) -> float:
        z = z_l
        for k in range(l + 1, net.L + 1):
            z = net.W[k] @ _S(net, k - 1, z) + net.b[k]
        return float(net.pair.C(z, y))

    return f


def loss_from_params(net: Network, x: np.ndarray, y: Any, l: int, which: str
                     ) -> Callable[[np.ndarray], float]:
    """The map W_l -> C (which='W') or b_l -> C (which='b') with every other parameter fixed."""
    if which not in ("W", "b"):
        raise ValueError(f"which: expected 'W' or 'b', got {which!r}")
    if not 1 <= l <= net.L:
        raise ValueError(f"l: expected a layer 1..{net.L}, got {l}")

    a_prev = net.feed_forward(x)[1][l - 1]  # a_{l-1} does not depend on W_l, b_l
    finish = loss_from_z(net, l, y)

    def f(param: np.ndarray) -> float:
        W_l, b_l = (param, net.b[l]) if which == "W" else (net.W[l], param)
        return finish(W_l @ a_prev + b_l)  # z_l = W_l a_{l-1} + b_l

    return f


@dataclass
class ProofCheck:
    """One step of the proof at layer l: the formula's value against finite differences."""

    l: int
    quantity: str  # one of QUANTITIES
    analytic: np.ndarray
    numeric: np.ndarray
    formula: str | None = None  # how `analytic` was computed, when not the step's formula

    @property
    def max_abs_error(self) -> float:
        return float(np.max(np.abs(self.analytic - self.numeric)))


def proof_checks(net: Network, x: np.ndarray, y: Any, h: float = DEFAULT_H
                 ) -> list[ProofCheck]:
    """Every step of the proof for one example (x, y), layer by layer (l = L down to 1):

    * dz_l/dz_{l-1} = D_{l-1} W_l^T  (l >= 2)   vs fd_jacobian(z_map(net, l), z_{l-1})
    * delta_l by the recursion delta_{l-1} = D_{l-1} W_l^T delta_l from the closed-form
      delta_L (for softmax + cross-entropy g - e_{y+1}: label y is output unit y + 1)
                                                vs fd_jacobian(loss_from_z(net, l, y), z_l)
    * dC/dW_l = delta_l a_{l-1}^T                vs finite differences over the entries of W_l
    * dC/db_l = delta_l                          vs finite differences over b_l
    """
    _check_net(net)
    x = net.check_x(x)
    y = net.check_y(y, x)
    z, a = net.feed_forward(x)
    L = net.L
    delta = [None] * (L + 1)
    delta[L] = net.pair.delta_L(z[L], y)  # delta_L = (dS_L/dz_L)(dC/dg), closed form
    checks = []
    softmax_ce = (net.pair.output, net.pair.loss) == ("softmax", "cross_entropy")
    closed = (r"closed form $g - e_{y+1}$" if softmax_ce  # label y is output unit y + 1
              else r"closed form $(\partial S_L/\partial z_L)(\partial C/\partial g)$")
    for l in range(L, 0, -1):
        checks.append(ProofCheck(l, "delta_l", delta[l], fd_jacobian(loss_from_z(net, l, y),
                                                                      z[l], h),
                                 closed if l == L else None))
        checks.append(ProofCheck(l, "dC/dW_l", np.outer(delta[l], a[l - 1]),
                                 fd_jacobian(loss_from_params(net, x, y, l, "W"), net.W[l], h)))
        checks.append(ProofCheck(l, "dC/db_l", delta[l],
                                 fd_jacobian(loss_from_params(net, x, y, l, "b"), net.b[l], h)))
        if l >= 2:
            D_prev = np.diag(ACTIVATIONS[net.S[l - 1]].dS(z[l - 1]))  # D_{l-1}
            dz_dz = D_prev @ net.W[l].T  # dz_l/dz_{l-1}, shape (p_{l-1}, p_l)
            checks.append(ProofCheck(l, "dz_l/dz_{l-1}", dz_dz,
                                     fd_jacobian(z_map(net, l), z[l - 1], h)))
            delta[l - 1] = dz_dz @ delta[l]  # delta_{l-1} = D_{l-1} W_l^T delta_l
    return checks


def find_check(checks: list[ProofCheck], l: int, quantity: str) -> ProofCheck | None:
    """The check of ``quantity`` at layer l, or None (dz_1/dz_0 does not exist)."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity: expected one of {QUANTITIES}, got {quantity!r}")
    return next((c for c in checks if c.l == l and c.quantity == quantity), None)


def layer_verdicts(checks: list[ProofCheck], tol: float = DEFAULT_TOL) -> list[str]:
    """One line per layer, L first: each step's verdict 'max |error| < tol: True/False'."""
    lines = []
    for l in sorted({c.l for c in checks}, reverse=True):
        parts = [f"{_label(c.quantity, l)} {c.max_abs_error < tol}"
                 for q in QUANTITIES if (c := find_check(checks, l, q)) is not None]
        lines.append(f"layer {l} (max |error| < {tol:.0e}): " + ", ".join(parts))
    return lines


def _label(quantity: str, l: int) -> str:
    return (quantity.replace("{l-1}", str(l - 1)).replace("_l", f"_{l}"))


def _tex(quantity: str, l: int) -> str:
    return {
        "dz_l/dz_{l-1}": rf"$\partial z_{{{l}}}/\partial z_{{{l - 1}}}$",
        "delta_l": rf"$\delta_{{{l}}}$",
        "dC/dW_l": rf"$\partial C/\partial W_{{{l}}}$",
        "dC/db_l": rf"$\partial C/\partial b_{{{l}}}$",
    }[quantity]


FORMULAS = {
    "dz_l/dz_{l-1}": r"$D_{{{m}}} W_{{{l}}}^\top$",
    "delta_l": r"recursion $D_{{{l}}} W_{{{n}}}^\top \delta_{{{n}}}$",
    "dC/dW_l": r"$\delta_{{{l}}}\, a_{{{m}}}^\top$",
    "dC/db_l": r"$\delta_{{{l}}}$",
}


def axis_labels(quantity: str, l: int) -> tuple[str, str | None]:
    """What the rows and columns of a step's matrix index, in the lecture's layout (None for
    the columns of a vector): dz_l/dz_{l-1} has (i, j) entry dz_{l,j}/dz_{l-1,i}; dC/dW_l
    has the shape of W_l: row i is unit i of layer l, column j unit j of layer l - 1."""
    return {
        "dz_l/dz_{l-1}": (f"$i$: entry of $z_{{{l - 1}}}$", f"$j$: entry of $z_{{{l}}}$"),
        "delta_l": (f"$i$: entry of $z_{{{l}}}$", None),
        "dC/dW_l": (f"$i$: unit of layer {l}", f"$j$: unit of layer {l - 1}"),
        "dC/db_l": (f"$i$: entry of $b_{{{l}}}$", None),
    }[quantity]


def _example_checks() -> list[dict[str, Any]]:
    net = Network.init((3, 4, 4, 2), hidden="tanh", output="softmax", seed=0)
    checks = proof_checks(net, np.array([0.5, -1.0, 2.0]), 1)
    return [{"checks": checks, "layer": 3, "quantity": "dz_l/dz_{l-1}"},
            {"checks": checks, "layer": 1, "quantity": "dC/dW_l"},
            {"checks": checks, "layer": 1, "quantity": "dz_l/dz_{l-1}"}]


@style.plot(examples=_example_checks)
def proof_figure(checks: list[ProofCheck], layer: int, quantity: str) -> Figure:
    """Heat maps of one proof step at one layer: the formula (left), the finite-difference
    Jacobian (middle) and their difference (right), with the max abs error in the title."""
    check = find_check(checks, layer, quantity)
    name = _label(quantity, layer)
    if check is None:
        fig = style.figure(9, 2.0)
        ax = fig.add_subplot()
        ax.axis("off")
        ax.set_title(f"{_tex(quantity, layer)} at layer {layer}", fontsize=13)
        message = (f"There is no z_{layer - 1} to differentiate by: the input layer has no "
                   f"pre-activation (z_0 = 0 in Algorithm 1 is a placeholder). Pick a layer "
                   f"l >= 2 or another quantity.")
        ax.text(0.5, 0.5, message.replace("pre-activation (", "pre-activation\n("),
                ha="center", va="center", fontsize=11, transform=ax.transAxes)
        return style.describe(fig, f"{name} at layer {layer} does not exist. {message}")
    A, N = np.atleast_2d(check.analytic), np.atleast_2d(check.numeric)
    if check.analytic.ndim == 1:  # vectors as columns, as in the lecture
        A, N = A.T, N.T
    fig = style.figure(9.25, 4.0)
    axes = fig.subplots(1, 3)
    vmax = max(float(np.abs(A).max()), float(np.abs(N).max()), 1e-300)
    formula = FORMULAS[quantity].format(l=layer, m=layer - 1, n=layer + 1)
    if check.formula:
        formula = check.formula
    for ax, M, title in ((axes[0], A, f"formula: {formula}"), (axes[1], N, "finite differences")):
        im = ax.imshow(M, cmap=style.DIVERGING, vmin=-vmax, vmax=vmax)
        ax.set_title(title, fontsize=11)
        if check.analytic.ndim == 1 and M.shape[0] <= 8:  # a short vector: write its entries
            for i, v in enumerate(M[:, 0]):
                ax.text(0, i, f"{v:.3g}", ha="center", va="center", fontsize=10,
                        color="white" if abs(v) > 0.6 * vmax else "black")
    fig.colorbar(im, ax=axes[:2], shrink=0.8, label="entry value")
    E = np.abs(A - N)
    emax = max(float(E.max()), 1e-300)
    im_e = axes[2].imshow(E, vmin=0, vmax=emax)  # the style's sequential map
    axes[2].set_title("absolute difference", fontsize=11)
    fig.colorbar(im_e, ax=axes[2], shrink=0.8, label="|formula − finite differences|",
                 format="%.1e")
    rows, cols = A.shape
    row_label, col_label = axis_labels(quantity, layer)
    axes[0].set_ylabel(f"{row_label} (1..{rows})", fontsize=10)  # rows shared by all three
    for ax in axes:
        ax.set_yticks(range(rows), [str(i + 1) for i in range(rows)])
        if col_label is None:  # a vector, drawn as one column
            ax.set_xticks([])
        else:
            ax.set_xlabel(f"{col_label} (1..{cols})", fontsize=10)
            ax.set_xticks(range(cols), [str(j + 1) for j in range(cols)])
    fig.suptitle(f"{_tex(quantity, layer)} at layer {layer}: formula and finite differences "
                 f"agree to {check.max_abs_error:.1e}" if check.max_abs_error < DEFAULT_TOL
                 else f"{_tex(quantity, layer)} at layer {layer}: max |error| = "
                 f"{check.max_abs_error:.1e}", fontsize=13)
    indexed = {"dz_l/dz_{l-1}": f"row i is entry i of z_{layer - 1}, column j entry j of "
                                 f"z_{layer}",
               "dC/dW_l": f"row i is unit i of layer {layer}, column j unit j of layer "
                          f"{layer - 1}"}.get(quantity, "row i is entry i")
    text = (f"Heat maps of {name} at layer {layer} ({rows} by {cols}; {indexed}, from 1): the "
            f"proof's formula, central finite differences, and their absolute difference. "
            f"Entries range from "
            f"{A.min():.3g} to {A.max():.3g}; the largest absolute difference is "
            f"{check.max_abs_error:.1e}, so formula and finite differences "
            + ("agree." if check.max_abs_error < DEFAULT_TOL else
               f"DISAGREE (tolerance {DEFAULT_TOL:.0e}).")
            + (f" The formula's entries, i = 1..{rows}: "
               + ", ".join(f"{v:.3g}" for v in check.analytic) + "."
               if check.analytic.ndim == 1 else ""))
    return style.describe(fig, text)
