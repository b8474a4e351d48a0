"""Produce bplib/data/digits.npy.gz, the 8x8 handwritten digits shipped with bplib.

The data are the test set of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin and C. Kaynak, 1998; https://doi.org/10.24432/C50P49, CC BY 4.0), 1797 images
of 8x8 pixels with integer values 0..16, as scikit-learn ships them
(``sklearn.datasets.load_digits``, file sklearn/datasets/data/digits.csv.gz).

Run once, in a scratch environment that has scikit-learn (not a bplib dependency):

    python -m venv /tmp/sk && /tmp/sk/bin/pip install numpy scikit-learn
    /tmp/sk/bin/python tools/make_digits_data.py

It writes one uint8 array of shape (1797, 65), as the UCI files lay it out: columns 0..63
are the pixels row by row, column 64 the digit 0..9; saved with ``numpy.save`` and
compressed with gzip (level 9, no time stamp, no file name) so that the same input gives
the same bytes. It prints the sha256 values to record in bplib/data/digits.py and
bplib/data/README.md.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[1] / "bplib" / "data" / "digits.npy.gz"


def main() -> int:
    digits = load_digits()
    X, y = digits.data, digits.target
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert np.array_equal(X, np.round(X)) and X.min() == 0 and X.max() == 16
    assert set(np.unique(y)) == set(range(10))
    table = np.column_stack([X, y]).astype(np.uint8)  # exact: integers 0..16 and 0..9
    buf = io.BytesIO()
    np.save(buf, table, allow_pickle=False)
    raw = buf.getvalue()
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    OUT.write_bytes(packed)
    source = Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz"
    print(f"scikit-learn {sklearn.__version__}, source {source.name} "
          f"sha256 {hashlib.sha256(source.read_bytes()).hexdigest()}")
    print(f"wrote {OUT} ({len(packed)} bytes)")
    print(f"file sha256:           {hashlib.sha256(packed).hexdigest()}")
    print(f"uncompressed sha256:   {hashlib.sha256(raw).hexdigest()}")
    print(f"per-class counts:      {np.bincount(y).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
