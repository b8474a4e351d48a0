"""bplib: back-propagation, slide by slide (Kroese, Botev, Taimre and Vaisman, *Data Science
and Machine Learning*, ch. 9).

Conventions: W_l has shape (p_l, p_{l-1}), b_l shape (p_l,); one example is a 1-D vector and a
batch has one example per row. Lists are indexed by layer: W[l], z[l], a[l] with a[0] = x.
"""

from . import activations, autodiff, data, gradcheck, train
from .activations import ACTIVATIONS, logsumexp, softmax
from .backend import available_backends, get_xp, resolve_backend, to_numpy
from .backprop import Gradient, algorithm1, algorithm1_steps, algorithm2_batched, algorithm2_loop
from .losses import OUTPUT_LOSSES, general_delta_L, get_output_loss, reduce_multilogit
from .network import Network, dim_theta, feed_forward, pack, theta_blocks, unpack


def _version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bplib")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "ACTIVATIONS", "OUTPUT_LOSSES", "RELU_PRIME_AT_ZERO", "Gradient", "Network", "autodiff",
    "algorithm1", "algorithm1_steps", "algorithm2_batched", "algorithm2_loop",
    "available_backends", "data", "dim_theta", "feed_forward", "general_delta_L",
    "get_output_loss", "get_xp", "gradcheck", "logsumexp", "pack", "reduce_multilogit",
    "resolve_backend", "softmax", "theta_blocks", "to_numpy", "train", "unpack",
]


def __getattr__(name: str):  # bplib.RELU_PRIME_AT_ZERO reads the live convention
    if name == "RELU_PRIME_AT_ZERO":
        return activations.RELU_PRIME_AT_ZERO
    raise AttributeError(f"module 'bplib' has no attribute {name!r}")
