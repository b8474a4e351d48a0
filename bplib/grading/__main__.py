"""``python -m bplib.grading``: the grader's command line, the same as ``bplib-grade``."""

import sys

from .cli import main

sys.exit(main())
