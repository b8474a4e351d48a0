"""The exercise manifest (manifest.json): exercise id -> notebook, graded cell, functions, points,
allowed bplib helpers, names the graded cell must not use, the statement's rules the grader
enforces, and the written part graded by hand (with its rubric)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


@dataclass(frozen=True)
class Rule:
    """A rule of the statement that the grader (and the self-check) enforce.

    ``kind`` says how: ``"no-example-loop"`` compares the Python steps a function runs for a
    small and a large batch (see :func:`.worker.count_steps`) and deducts ``deduction`` points
    from ``function`` when they grow with the number of examples; ``"unchanged"`` fails every
    case whose arguments ``args`` differ after the call from what was passed.
    """

    id: str
    kind: str
    function: str
    text: str  # the rule as the statement writes it
    deduction: float = 0.0
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Written:
    """A written answer graded by hand: its Markdown cell, points and rubric."""

    cell: str
    points: float
    rubric: tuple[tuple[float, str], ...]  # (points, criterion)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    notebook: str
    cell: str  # the graded code cell
    functions: dict[str, dict]  # name -> {"points", "args", "returns", "result"}
    allowed_helpers: dict[str, list[str]]  # module -> names
    forbidden_names: tuple[str, ...]
    allowed_modules: tuple[str, ...] = field(default=("numpy", "math"))
    common_forbidden: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    written: Written | None = None

    @property
    def points(self) -> float:
        """Points graded automatically (the functions of the graded cell)."""
        return float(sum(f["points"] for f in self.functions.values()))

    @property
    def written_points(self) -> float:
        return self.written.points if self.written else 0.0

    def result_name(self, function: str) -> str | list[str]:
        """What the statement calls the function's result: 'delta_L', or ['dW', 'db'] for a
        tuple, used in messages instead of result[0][1]."""
        return self.functions[function].get("result", "result")


def _exercise(ex_id: str, e: dict, data: dict) -> Exercise:
    rules = tuple(Rule(id=k, kind=r["kind"], function=r["function"], text=r["text"],
                       deduction=float(r.get("deduction", 0)), args=tuple(r.get("args", ())))
                  for k, r in e.get("rules", {}).items())
    w = e.get("written")
    written = Written(w["cell"], float(w["points"]),
                      tuple((float(p), c) for p, c in w["rubric"])) if w else None
    return Exercise(
        id=ex_id, title=e["title"], notebook=e["notebook"], cell=e["cell"],
        functions=e["functions"], allowed_helpers=e["allowed_helpers"],
        forbidden_names=tuple(e["forbidden_names"]),
        allowed_modules=tuple(data["common_allowed_modules"]),
        common_forbidden=tuple(data["common_forbidden_names"]), rules=rules, written=written)


@cache
def load_manifest(path: str | None = None) -> dict[str, Exercise]:
    """Exercise id -> :class:`Exercise`, in the manifest's order (ex1, ex2, ...)."""
    data = json.loads(Path(path or MANIFEST_PATH).read_text(encoding="utf-8"))
    return {ex_id: _exercise(ex_id, e, data) for ex_id, e in data["exercises"].items()}
