"""The 8x8 handwritten digits that ship with bplib: a small real data set for training.

1797 images of 8x8 pixels, integer grey levels 0..16, digits 0..9 (about 180 of each): the
test set of the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin and
C. Kaynak, 1998, https://doi.org/10.24432/C50P49, CC BY 4.0), the same 1797 rows in the same
order as scikit-learn's ``load_digits``. Provenance, licence and how the file was made:
bplib/data/README.md and tools/make_digits_data.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from importlib import resources

import numpy as np

#: The packaged file: numpy.save of a (1797, 65) uint8 array (64 pixels row by row, then
#: the digit), gzip-compressed.
DIGITS_FILE = resources.files(__package__).joinpath("digits.npy.gz")
#: sha256 of that file, checked on every load.
DIGITS_SHA256 = "cd4e5c9710263f022f6a8c759c9f764dd48d8f0a84a8c3fd4ddebb6a788b02a7"
#: Height and width of one image: ``X[i].reshape(IMAGE_SHAPE)`` is digit i as a picture.
IMAGE_SHAPE = (8, 8)


class DataFileError(OSError):
    """A packaged data file is missing, damaged or not the one bplib was released with."""


def _read_verified(path: object, sha256: str) -> bytes:
    """The bytes of a packaged file, after checking them against the recorded sha256."""
    try:
        data = path.read_bytes()  # type: ignore[attr-defined]
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read the packaged data file ({exc}); "
                            "reinstall bplib (pip install --force-reinstall bplib)") from exc
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise DataFileError(
            f"{path}: sha256 checksum mismatch: expected {sha256}, got {got}. The packaged "
            "data file is damaged or was changed; reinstall bplib, or restore the file from "
            "the repository (tools/make_digits_data.py rebuilds it)"
        )
    return data


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: X of shape (1797, 64), float64 in [0, 1], and y of shape
    (1797,), int64 in 0..9.

    Row i of X is image i read row by row (``X[i].reshape(8, 8)`` shows it), with each grey
    level 0..16 divided by 16, so that a network's input p_0 = 64 has entries of order 1.
    The file's sha256 is checked first; a damaged file raises :class:`DataFileError`.
    No download: the data ship inside the package. Returns new arrays on every call.
    """
    raw = gzip.decompress(_read_verified(DIGITS_FILE, DIGITS_SHA256))
    table = np.load(io.BytesIO(raw), allow_pickle=False)  # (1797, 65) uint8
    X = table[:, :64].astype(np.float64) / 16.0
    y = table[:, 64].astype(np.int64)
    return X, y
