"""Data sets: the packaged 8x8 digits (contents checked against numbers taken once from
scikit-learn's load_digits), the checksum guard, the train/test splits and the generators'
argument checks."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import bplib
from bplib.data import (
    DataFileError,
    load_digits,
    make_blobs,
    make_regression,
    make_spirals,
    train_test_split,
)
from bplib.data import digits as digits_module

ROOT = Path(__file__).resolve().parents[1]

# Computed once from scikit-learn 1.9.1's sklearn.datasets.load_digits() (not from bplib):
SKLEARN_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
SKLEARN_PIXEL_SUM = 561718  # sum of all grey levels 0..16
SKLEARN_PIXELS_UINT8_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
SKLEARN_FIRST_IMAGE = [  # data[0], a zero
    0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0,
    0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0,
    0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
]


def test_load_digits_shapes_dtypes_and_scaling():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    levels = X * 16  # grey levels 0..16, exactly (k / 16 is exact in binary)
    np.testing.assert_array_equal(levels, np.round(levels))
    assert bplib.data.load_digits is load_digits


def test_load_digits_equals_scikit_learns_copy():
    X, y = load_digits()
    assert np.bincount(y).tolist() == SKLEARN_CLASS_COUNTS
    levels = (X * 16).astype(np.uint8)
    assert int(levels.sum(dtype=np.int64)) == SKLEARN_PIXEL_SUM
    assert hashlib.sha256(levels.tobytes()).hexdigest() == SKLEARN_PIXELS_UINT8_SHA256
    assert levels[0].tolist() == SKLEARN_FIRST_IMAGE and y[0] == 0
    assert y[:20].tolist() == list(range(10)) * 2
    assert levels[0].reshape(digits_module.IMAGE_SHAPE)[1].tolist() == [0, 0, 13, 15, 10, 15, 5, 0]


def test_load_digits_returns_fresh_arrays():
    X1, y1 = load_digits()
    X1[0, 0], y1[0] = 99.0, 7
    X2, y2 = load_digits()
    assert X2[0, 0] == 0.0 and y2[0] == 0


def test_the_recorded_checksum_is_the_files_and_the_readme_says_so():
    data = (ROOT / "bplib" / "data" / "digits.npy.gz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == digits_module.DIGITS_SHA256
    assert len(data) < 100_000
    readme = (ROOT / "bplib" / "data" / "README.md").read_text()
    assert digits_module.DIGITS_SHA256 in readme and "CC BY 4.0" in readme
    raw = gzip.decompress(data)
    assert hashlib.sha256(raw).hexdigest() in readme


def test_a_damaged_file_gives_a_clear_error(tmp_path, monkeypatch):
    good = (ROOT / "bplib" / "data" / "digits.npy.gz").read_bytes()
    bad = tmp_path / "digits.npy.gz"
    bad.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit flipped
    monkeypatch.setattr(digits_module, "DIGITS_FILE", bad)
    with pytest.raises(DataFileError, match=r"digits.npy.gz: sha256 checksum mismatch: expected "
                                            + digits_module.DIGITS_SHA256 + r", got [0-9a-f]{64}"
                                            + r".*reinstall bplib"):
        load_digits()
    monkeypatch.setattr(digits_module, "DIGITS_FILE", tmp_path / "missing.npy.gz")
    with pytest.raises(DataFileError, match=r"missing.npy.gz: cannot read the packaged data"):
        load_digits()
    assert issubclass(DataFileError, OSError)


@pytest.mark.slow
def test_the_wheel_carries_the_data_file(tmp_path, project_copy):
    """package-data in pyproject: a built wheel holds the file and its README. Built from a
    copy of the sources, so setuptools' build/ folder is not left in the checkout."""
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", str(project_copy), "--no-deps",
                          "-q",
                          "-w", str(tmp_path / "dist")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("bplib-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read("bplib/data/digits.npy.gz")
        assert "bplib/data/README.md" in zf.namelist()
    assert hashlib.sha256(data).hexdigest() == digits_module.DIGITS_SHA256


# --- splits ------------------------------------------------------------------------------
def test_plain_split_is_seeded_and_partitions_the_rows():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    Xtr, ytr, Xte, yte = train_test_split(X, y, test_fraction=0.25, seed=3)
    assert len(ytr) == 15 and len(yte) == 5
    assert sorted(np.concatenate([ytr, yte]).tolist()) == list(range(20))
    np.testing.assert_array_equal(Xtr[:, 0], 2 * ytr)  # rows stay with their labels
    again = train_test_split(X, y, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(again[1], ytr)


def test_stratified_split_keeps_class_proportions():
    X, y = load_digits()
    Xtr, ytr, Xte, yte = train_test_split(X, y, test_fraction=0.2, seed=0, stratify=True)
    counts = np.array(SKLEARN_CLASS_COUNTS)
    np.testing.assert_array_equal(np.bincount(yte, minlength=10), np.round(counts * 0.2))
    np.testing.assert_array_equal(np.bincount(ytr, minlength=10) + np.bincount(yte), counts)
    # a partition of the rows, each row still with its own label
    assert len(ytr) + len(yte) == 1797
    rows = {tuple(r) + (int(c),) for r, c in zip(np.vstack([Xtr, Xte]),
                                                   np.concatenate([ytr, yte]), strict=True)}
    assert len(rows) == len({tuple(r) + (int(c),) for r, c in zip(X, y, strict=True)})
    # the test part is shuffled, not sorted by class
    assert not np.all(np.diff(yte) >= 0)
    again = train_test_split(X, y, test_fraction=0.2, seed=0, stratify=True)
    np.testing.assert_array_equal(again[3], yte)


def test_split_rejects_bad_arguments():
    X, y = np.ones((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match=r"test_fraction: expected a number in \(0, 1\), got 1.5"):
        train_test_split(X, y, test_fraction=1.5)
    with pytest.raises(TypeError, match=r"test_fraction: expected a number in \(0, 1\) \(a real"):
        train_test_split(X, y, test_fraction="0.2")
    with pytest.raises(ValueError, match=r"X, Y: expected one row of Y per row of X, got shapes "
                                         r"\(10, 2\) and \(9,\)"):
        train_test_split(X, y[:9])
    with pytest.raises(TypeError, match=r"Y: stratify=True needs one integer class label"):
        train_test_split(X, np.ones((10, 2)), stratify=True)
    with pytest.raises(ValueError, match=r"X: expected at least 2 rows to split, got 1"):
        train_test_split(X[:1], y[:1])


# --- generators -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [make_spirals, make_blobs, make_regression])
def test_generators_check_their_arguments(make):
    X, Y = make(30, seed=1)
    assert X.shape == (30, 2) and X.dtype == np.float64 and Y.shape[0] == 30
    with pytest.raises(ValueError, match=r"n: expected a positive integer, got 0"):
        make(0)
    with pytest.raises(TypeError, match=r"n: expected a positive integer, got 10.0"):
        make(10.0)
    with pytest.raises((TypeError, ValueError), match=r"^(noise|spread): expected"):
        make(10, -0.1) if make is make_regression else make(10, 3, -0.1)
