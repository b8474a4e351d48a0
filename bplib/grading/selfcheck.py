"""Student self-check: the public test cases, run in the student's own kernel.

    from bplib.grading.selfcheck import check
    check("ex4", backprop_example)

This is immediate feedback, **not the official grade**: it trusts the kernel it runs in. The
grader runs the exercise cell alone in a fresh process, on inputs drawn at grading time, with
edge cases this check does not show.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from .cases import judge, make_cases, to_data
from .manifest import load_manifest

PUBLIC_SEED = 2024
NOT_THE_GRADE = ("Self-check on public cases only: NOT the official grade. The grader runs your "
                 "exercise cell on its own, in a fresh process, on new inputs and edge cases.")


def run(ex_id: str, *functions: Callable) -> list[tuple[str, bool, str]]:
    """[(test name, passed, message)] for the public cases of exercise ``ex_id``."""
    exercises = load_manifest()
    if ex_id not in exercises or exercises[ex_id].manual:
        auto = [k for k, e in exercises.items() if not e.manual]
        raise ValueError(f"ex_id: expected one of {auto}, got {ex_id!r}")
    names = list(exercises[ex_id].functions)
    if len(functions) != len(names) or not all(callable(f) for f in functions):
        raise TypeError(f"check({ex_id!r}, ...): expected the functions {', '.join(names)} in "
                        f"that order, got {len(functions)} argument(s)")
    by_name = dict(zip(names, functions, strict=True))
    out = []
    for case in make_cases(ex_id, PUBLIC_SEED, public_only=True):
        try:
            value = to_data(by_name[case.function](*copy.deepcopy(case.args)))
        except NotImplementedError:
            out.append((case.name, False, "not implemented yet"))
            continue
        except Exception as exc:  # noqa: BLE001  (shown to the student)
            out.append((case.name, False, f"raised {type(exc).__name__}: {exc}"))
            continue
        v = judge(case, value)
        msg = v.message + (f" — likely mistake: {v.diagnosis}" if v.diagnosis else "")
        out.append((case.name, v.passed, msg))
    return out


def check(ex_id: str, *functions: Callable) -> None:
    """Print the public cases of ``ex_id`` as passed/FAILED, then the not-the-grade notice."""
    results = run(ex_id, *functions)
    for name, ok, msg in results:
        print(f"[{'passed' if ok else 'FAILED'}] {name}" + ("" if ok else f"\n    {msg}"))
    n_ok = sum(ok for _, ok, _ in results)
    print(f"{n_ok}/{len(results)} public cases passed.\n{NOT_THE_GRADE}")
