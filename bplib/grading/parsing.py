"""Parsing in the grader's process, one thread at a time.

The grader's workers are threads (``-j``), and CPython 3.11 builds the Python objects of an
AST with a depth counter that the whole interpreter shares: two threads parsing at once can
make either fail with "SystemError: AST constructor recursion depth mismatch", an honest
submission's row then reading "grader error" (seen on 3.11.2 and 3.11.7; 3.10, 3.12 and 3.13
do not show it). Every ``ast.parse`` and ``ast.literal_eval`` of the grader goes through this
module's lock; parsing a cell takes milliseconds, so the lock costs nothing measurable.
``tests/test_grading_sandbox.py::test_parsing_from_many_threads_at_once`` provokes the race.
"""

from __future__ import annotations

import ast
import threading
import traceback
from typing import Any

AST_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)`` while holding :data:`AST_LOCK`."""
    with AST_LOCK:
        return ast.parse(source, filename=filename)


def literal_eval(text: str) -> Any:
    """``ast.literal_eval(text)`` while holding :data:`AST_LOCK`."""
    with AST_LOCK:
        return ast.literal_eval(text)


def format_exc() -> str:
    """``traceback.format_exc()`` while holding :data:`AST_LOCK` (on 3.11 it parses the
    failing lines to place its ``^^^`` markers)."""
    with AST_LOCK:
        return traceback.format_exc()
