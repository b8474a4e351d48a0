"""Static check of an exercise cell (AST scan) before anything of it runs: a friendly early
message for honest mistakes, not a defence. The security boundary is the sandbox around the
process that runs the cell (:mod:`.sandbox`): a student who hides a name from this scan reaches
nothing the sandbox does not contain.

The scan reports, with line numbers:

* imports of anything but the allowed modules (numpy, math) and the exercise's helpers;
* names the exercise forbids (e.g. ``algorithm1`` in the Algorithm 1 exercise), used as an
  attribute (``bplib.algorithm1``) or as a free name the cell does not define itself;
* the common escape hatches (``exec``, ``eval``, ``open``, ``get_ipython``, ``os``, ...);
* any dunder attribute (``__globals__``, ``__subclasses__``, ``__builtins__``, ...).

Parsing goes through :func:`.notebooks.parse_code`, so no source (too deep, too large, null
bytes) can make it raise anything but :class:`CellSyntaxError`.
"""

from __future__ import annotations

import ast

from .manifest import Exercise
from .notebooks import parse_code


class CellSyntaxError(Exception):
    """The cell's source does not parse as Python."""


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the cell binds itself (parameters, assignments, defs): using those is fine."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def parse_cell(source: str) -> ast.Module:
    tree, why = parse_code(source)
    if tree is None:
        raise CellSyntaxError(why)
    return tree


def scan(source: str, ex: Exercise) -> list[str]:
    """Plain-language violations in the cell (empty list: nothing forbidden found)."""
    tree = parse_cell(source)
    bound = _bound_names(tree)
    reference = set(ex.forbidden_names)
    common = set(ex.common_forbidden)
    allowed_mods = set(ex.allowed_modules)
    helpers = ex.allowed_helpers
    allowed_text = ", ".join(
        [*sorted(allowed_mods)]
        + [f"{m} ({', '.join(n)})" for m, n in helpers.items()]
    )
    out: list[str] = []

    def ref_msg(line: int, name: str) -> str:
        return (f"line {line}: uses `{name}`, which exercise {ex.id} does not allow "
                "(bplib's reference implementation, or a tool that does the exercise for you); "
                "write the computation yourself")

    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in allowed_mods and alias.name not in helpers:
                    out.append(f"line {line}: imports `{alias.name}`; exercise {ex.id} may import "
                               f"only {allowed_text}")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                out.append(f"line {line}: relative import; exercise {ex.id} may import only "
                           f"{allowed_text}")
            elif mod in helpers:
                for alias in node.names:
                    if alias.name not in helpers[mod]:
                        out.append(f"line {line}: imports `{alias.name}` from {mod}; exercise "
                                   f"{ex.id} allows only {', '.join(helpers[mod])} from it")
            elif mod.split(".")[0] not in allowed_mods:
                out.append(f"line {line}: imports from `{mod}`; exercise {ex.id} may import "
                           f"only {allowed_text}")
            for alias in node.names:
                if alias.name in reference:
                    out.append(ref_msg(line, alias.name))
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") and node.attr.endswith("__"):
                out.append(f"line {line}: uses the attribute `{node.attr}`; dunder attributes "
                           "are not allowed in a graded cell")
            elif node.attr in reference:
                out.append(ref_msg(line, node.attr))
            elif node.attr in common:
                out.append(f"line {line}: uses `.{node.attr}`, which is not available in a "
                           "graded cell")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id.startswith("__") and node.id.endswith("__"):
                out.append(f"line {line}: uses `{node.id}`; dunder names are not allowed in a "
                           "graded cell")
            elif node.id in bound:
                continue
            elif node.id in reference:
                out.append(ref_msg(line, node.id))
            elif node.id in common:
                out.append(f"line {line}: uses `{node.id}`, which is not available in a graded "
                           "cell (it runs as plain Python, without files, shell or IPython)")
    return sorted(set(out), key=lambda s: (int(s.split(":")[0].split()[1]), s))
