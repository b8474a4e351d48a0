"""The exercise manifest (manifest.json): exercise id -> notebook, cell id, functions, points,
allowed bplib helpers and names the graded cell must not use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    notebook: str
    cell: str
    functions: dict[str, dict]  # name -> {"points", "args", "returns"}
    allowed_helpers: dict[str, list[str]]  # module -> names
    forbidden_names: tuple[str, ...]
    manual: bool = False
    manual_points: float = 0.0
    allowed_modules: tuple[str, ...] = field(default=("numpy", "math"))
    common_forbidden: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        """Points of the exercise (auto-graded functions, or the manual mark)."""
        if self.manual:
            return self.manual_points
        return float(sum(f["points"] for f in self.functions.values()))


@cache
def load_manifest(path: str | None = None) -> dict[str, Exercise]:
    """Exercise id -> :class:`Exercise`, in the manifest's order (ex1, ex2, ...)."""
    data = json.loads(Path(path or MANIFEST_PATH).read_text())
    out = {}
    for ex_id, e in data["exercises"].items():
        out[ex_id] = Exercise(
            id=ex_id, title=e["title"], notebook=e["notebook"], cell=e["cell"],
            functions=e["functions"], allowed_helpers=e["allowed_helpers"],
            forbidden_names=tuple(e["forbidden_names"]), manual=bool(e.get("manual", False)),
            manual_points=float(e.get("points", 0)),
            allowed_modules=tuple(data["common_allowed_modules"]),
            common_forbidden=tuple(data["common_forbidden_names"]),
        )
    return out


def kernel_name() -> str:
    return json.loads(MANIFEST_PATH.read_text())["kernel"]
