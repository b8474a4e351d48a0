"""Static check of an exercise cell (AST scan) before anything of it runs.

A graded function must not simply call bplib's reference implementation, nor reach for the
interpreter's escape hatches. The scan reports, with line numbers:

* imports of anything but the allowed modules (numpy, math) and the exercise's helpers;
* names the exercise forbids (e.g. ``algorithm1`` in the Algorithm 1 exercise), used as an
  attribute (``bplib.algorithm1``) or as a free name the cell does not define itself;
* the common escape hatches (``exec``, ``eval``, ``open``, ``get_ipython``, ``os``, ...);
* any dunder attribute (``__globals__``, ``__subclasses__``, ``__builtins__``, ...).

The worker enforces the same at run time (restricted builtins, a stub ``bplib``), so code that
hides a name from this scan (``getattr(m, "algo" + "rithm1")``) still finds nothing to call.
"""

from __future__ import annotations

import ast

from .manifest import Exercise


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
    try:
        return ast.parse(source, filename="<exercise cell>")
    except SyntaxError as exc:
        raise CellSyntaxError(f"line {exc.lineno}: {exc.msg}") from None


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
