"""Data sets for the course, all available without a download.

* generated (seeded, any size): :func:`make_spirals`, :func:`make_blobs`,
  :func:`make_regression`;
* real, shipped with the package: :func:`load_digits` (8x8 handwritten digits);
* :func:`train_test_split`, plain or stratified by class.

Every function returns NumPy arrays with one example per row.
"""

from .digits import DataFileError, load_digits
from .generated import make_blobs, make_regression, make_spirals
from .split import train_test_split

__all__ = ["DataFileError", "load_digits", "make_blobs", "make_regression", "make_spirals",
           "train_test_split"]
