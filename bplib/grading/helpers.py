"""The helpers package a student's process may import: copies of exactly the allowed names.

The manifest lists, per exercise, the bplib names a graded cell may use (``allowed_helpers``,
e.g. ``{"bplib.activations": ["ACTIVATIONS", "softmax"]}``). :func:`build` writes a package
``bplib/`` holding, for each allowed name, its source code copied from bplib together with the
top-level definitions it needs (its closure within bplib: ``ACTIVATIONS`` needs ``Activation``,
``logistic``, ``dlogistic``, ... and ``backend.get_xp``), and nothing else. The sandbox mounts
that folder read-only as the only ``bplib`` the student's process can import; the real package,
with the reference implementations, is not there at all.

Imports of other bplib modules are followed (``from .backend import get_xp`` copies
``get_xp`` into a generated ``bplib/backend.py``); imports of NumPy and the standard library
are kept as they are; anything else is refused with :class:`HelperError`, as is a closure that
contains a name the exercise forbids (a helper that would hand out the reference).
"""

from __future__ import annotations

import ast
import hashlib
import os
import secrets
import shutil
from pathlib import Path

from .parsing import parse

BPLIB_DIR = Path(__file__).resolve().parent.parent
#: Modules a copied helper may import besides other bplib modules.
ALLOWED_IMPORTS = {"numpy", "math", "typing", "collections", "__future__", "types",
                   "dataclasses", "functools", "enum"}


class HelperError(ValueError):
    """An allowed helper cannot be copied on its own (or would expose a forbidden name)."""


class _Module:
    """One bplib module's top-level definitions, by the names they bind."""

    def __init__(self, name: str, root: Path):
        rel = name.split(".")[1:]
        path = root.joinpath(*rel).with_suffix(".py")
        if not rel or not path.is_file():
            raise HelperError(f"allowed_helpers: no module {name!r} in {root}")
        self.name, self.source = name, path.read_text(encoding="utf-8")
        self.lines = self.source.splitlines(keepends=True)
        tree = parse(self.source, filename=str(path))
        self.future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                          for n in tree.body)
        self.defs: dict[str, ast.stmt] = {}
        self.imports: dict[str, tuple[ast.stmt, ast.alias]] = {}
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (node, alias)
            for name, definition in self.bindings(node):
                self.defs[name] = definition

    @staticmethod
    def bindings(node: ast.stmt) -> list[tuple[str, ast.stmt]]:
        """The names a top-level def, class or assignment binds."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return [(node.name, node)]
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return [(n.id, node) for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        return []

    def segment(self, node: ast.stmt) -> str:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        return "".join(self.lines[first - 1: node.end_lineno])


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bplib_target(mod: _Module, node: ast.stmt, alias: ast.alias) -> str | None:
    """'bplib.x' when the import brings in a bplib module's name, else None."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = mod.name.split(".")[: -node.level]
            return ".".join([*base, node.module] if node.module else base)
        if node.module and node.module.split(".")[0] == "bplib":
            return node.module
    elif alias.name.split(".")[0] == "bplib":
        raise HelperError(f"{mod.name}: `import {alias.name}` in a helper's closure is not "
                          "supported; use `from .module import name`")
    return None


def closure(allowed: dict[str, list[str]], root: Path = BPLIB_DIR
            ) -> dict[str, tuple[_Module, list[str], list[tuple[ast.stmt, ast.alias]]]]:
    """module -> (parsed module, names to copy in source order, imports to keep)."""
    modules: dict[str, _Module] = {}
    need: dict[str, set[str]] = {}
    keep: dict[str, dict[str, tuple[ast.stmt, ast.alias]]] = {}
    todo = [(m, n) for m, names in allowed.items() for n in names]
    while todo:
        mod_name, name = todo.pop()
        if mod_name not in modules:
            modules[mod_name] = _Module(mod_name, root)
            need[mod_name], keep[mod_name] = set(), {}
        mod = modules[mod_name]
        if name in need[mod_name] or name in keep[mod_name]:
            continue
        if name in mod.imports:
            node, alias = mod.imports[name]
            target = _bplib_target(mod, node, alias)
            if target is not None:
                todo.append((target, alias.name))
            elif (node.module if isinstance(node, ast.ImportFrom) else alias.name
                  ).split(".")[0] not in ALLOWED_IMPORTS:
                raise HelperError(f"{mod_name}.{name}: a copied helper may import only "
                                  f"{sorted(ALLOWED_IMPORTS)} and bplib modules")
            keep[mod_name][name] = (node, alias)
            continue
        if name not in mod.defs:
            if name in allowed.get(mod_name, []):
                raise HelperError(f"allowed_helpers: {mod_name} defines no {name!r}")
            continue  # a builtin, or a local name of the copied code
        need[mod_name].add(name)
        todo += [(mod_name, n) for n in _names_used(mod.defs[name])
                 if n in mod.defs or n in mod.imports]
    out = {}
    for mod_name, mod in modules.items():
        nodes = sorted({id(mod.defs[n]): mod.defs[n] for n in need[mod_name]}.values(),
                       key=lambda node: node.lineno)
        out[mod_name] = (mod, [mod.segment(node) for node in nodes],
                         list(keep[mod_name].values()))
    return out


def _import_line(mod: _Module, node: ast.stmt, alias: ast.alias) -> str:
    asname = f" as {alias.asname}" if alias.asname else ""
    if isinstance(node, ast.Import):
        return f"import {alias.name}{asname}\n"
    target = _bplib_target(mod, node, alias)
    if target is not None:  # always relative inside the generated package
        return f"from .{target.split('.', 1)[1]} import {alias.name}{asname}\n"
    return f"from {node.module} import {alias.name}{asname}\n"


def sources(allowed: dict[str, list[str]], forbidden: tuple[str, ...] | list[str] = (),
            root: Path = BPLIB_DIR) -> dict[str, str]:
    """Relative file name -> text of the generated package (``bplib/__init__.py``, ...)."""
    files: dict[str, str] = {}
    parts = closure(allowed, root) if allowed else {}
    for mod_name, (mod, segments, imports) in sorted(parts.items()):
        bound = {a.asname or a.name for _, a in imports}
        for seg in segments:
            node = parse(seg).body[0]
            bound |= {n for n, d in _Module.bindings(node)}
        leaked = sorted(bound & set(forbidden))
        if leaked:
            raise HelperError(f"allowed_helpers of {mod_name}: copying them would also expose "
                              f"{leaked}, which the exercise forbids")
        names = ", ".join(sorted(allowed.get(mod_name, []))) or "(needed by other helpers)"
        head = [f'"""Copied from {mod_name} for a graded cell: {names}, and what it needs."""\n',
                "\n"]
        if mod.future:
            head.append("from __future__ import annotations\n\n")
        head += [_import_line(mod, n, a) for n, a in imports
                 if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
        files["bplib/" + mod_name.split(".", 1)[1].replace(".", "/") + ".py"] = (
            "".join(head) + "\n\n" + "\n\n".join(s.rstrip("\n") + "\n" for s in segments))
    subs = sorted(m.split(".", 1)[1] for m in parts if m.count(".") == 1)
    files["bplib/__init__.py"] = (
        '"""The bplib helpers this exercise allows (a copy, not the course package)."""\n'
        + "".join(f"from . import {m}\n" for m in subs if m in {k.split(".", 1)[1]
                                                                 for k in allowed}))
    return files


def build(allowed: dict[str, list[str]], dest_root: Path,
          forbidden: tuple[str, ...] | list[str] = ()) -> Path:
    """Write the helpers package once per content under ``dest_root``; return the folder to put
    on ``sys.path`` (it holds ``bplib/``). Files are 0644 and folders 0755 (read-only use)."""
    files = sources(allowed, forbidden)
    digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:16]
    dest = dest_root / f"helpers-{digest}"
    if dest.is_dir():
        return dest
    tmp = dest_root / f".helpers-{secrets.token_hex(8)}"
    for rel, text in files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o644)
    for d in [tmp, *(p for p in tmp.rglob("*") if p.is_dir())]:
        os.chmod(d, 0o755)
    try:
        os.rename(tmp, dest)
    except OSError:  # another thread built the same package first
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
