"""Small generated data sets (no downloads): every function takes a seed and returns float64
inputs with one example per row."""

from __future__ import annotations

import numpy as np

from ..validate import check_positive_int, check_real, check_seed


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spirals, one arm per class: X (n, 2), labels y (n,) in 0..classes-1."""
    n, classes = check_positive_int("n", n), check_positive_int("classes", classes)
    noise = check_real("noise", noise, "a noise level >= 0", low=0.0)
    rng = np.random.default_rng(check_seed(seed))
    y = np.arange(n) % classes
    r = rng.uniform(0.1, 1.0, n)
    angle = 3.0 * r + 2 * np.pi * y / classes + rng.normal(0.0, noise, n)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return X, y


def make_blobs(n: int = 300, classes: int = 3, spread: float = 0.5, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around points on the unit circle: X (n, 2), y (n,)."""
    n, classes = check_positive_int("n", n), check_positive_int("classes", classes)
    spread = check_real("spread", spread, "a spread >= 0", low=0.0)
    rng = np.random.default_rng(check_seed(seed))
    y = np.arange(n) % classes
    centres = np.column_stack([np.cos(2 * np.pi * np.arange(classes) / classes),
                               np.sin(2 * np.pi * np.arange(classes) / classes)]) * 2.0
    return centres[y] + rng.normal(0.0, spread, (n, 2)), y


def make_regression(n: int = 200, noise: float = 0.05, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """A smooth 2-output function of 2 inputs: y = (sin(pi x_1) cos(pi x_2), x_1^2 - x_2/2)."""
    n = check_positive_int("n", n)
    noise = check_real("noise", noise, "a noise level >= 0", low=0.0)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.uniform(-1.0, 1.0, (n, 2))
    Y = np.column_stack([np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1]),
                         X[:, 0] ** 2 - 0.5 * X[:, 1]])
    return X, Y + rng.normal(0.0, noise, Y.shape)
