"""Train/test splits: a held-out test set measures what training on the rest learned."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validate import check_real, check_seed


def train_test_split(X: Any, Y: Any, test_fraction: float = 0.25, seed: int = 0, *,
                     stratify: bool = False
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows once and split: (X_train, Y_train, X_test, Y_test).

    Plain split: a seeded permutation of the n rows; the first round(n (1 - test_fraction))
    are for training. ``stratify=True`` (Y must be class labels) splits every class on its
    own, keeping round(n_c * test_fraction) of the n_c rows of class c for testing, so both
    parts have the classes in (nearly) the proportions of Y; each part is then shuffled.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    test_fraction = check_real("test_fraction", test_fraction, "a number in (0, 1)")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    if X.ndim == 0 or Y.ndim == 0 or X.shape[0] != Y.shape[0]:
        raise ValueError(f"X, Y: expected one row of Y per row of X, got shapes "
                         f"{tuple(X.shape)} and {tuple(Y.shape)}")
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X: expected at least 2 rows to split, got {n}")
    rng = np.random.default_rng(check_seed(seed))
    if not stratify:
        idx = rng.permutation(n)
        k = int(round(n * (1.0 - test_fraction)))
        return X[idx[:k]], Y[idx[:k]], X[idx[k:]], Y[idx[k:]]
    if Y.ndim != 1 or Y.dtype.kind not in "iub":
        raise TypeError(f"Y: stratify=True needs one integer class label per row, got dtype "
                        f"{Y.dtype} and shape {tuple(Y.shape)}")
    train, test = [], []
    for c in np.unique(Y):  # in class order, so the draws do not depend on row order
        rows = rng.permutation(np.flatnonzero(Y == c))
        k = int(round(rows.size * test_fraction))
        test.append(rows[:k])
        train.append(rows[k:])
    tr = rng.permutation(np.concatenate(train))
    te = rng.permutation(np.concatenate(test))
    return X[tr], Y[tr], X[te], Y[te]
