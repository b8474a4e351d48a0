"""Export the course as HTML pages that work offline, for reading and for screen readers.

    .venv/bin/python tools/export_html.py          # notebooks/, exercises/ -> build/html/
    .venv/bin/python tools/export_html.py notebooks/07_saturation.ipynb --out /tmp/course

Each stored notebook becomes a page with nbconvert's JupyterLab template: its figures (with
their alt text and captions), its stored widgets drawn by the widget manager from the widget
state the notebook carries, and its math typeset by MathJax. Nothing is fetched from a CDN:
RequireJS, the widget manager (@jupyter-widgets/html-manager) and MathJax 2 are pinned npm
packages (tools/npm_assets.py), copied once into ``OUT/_static/`` and linked by relative
paths, so the folder can be opened from disk (file://) or served from any static host.
Links between notebooks point at the exported pages. Without a kernel the controls cannot
redraw a figure; each figure shows the state it was stored in, described in its caption.

Layout: ``OUT/index.html``, ``OUT/notebooks/NAME.html``, ``OUT/exercises/NAME.html``,
``OUT/_static/``.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "html"
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"  # nbconvert's own (MathJax 2, CommonHTML output)
#: The parts of the mathjax package that configuration loads (about 6 of its 70 MB).
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                 "jax/element", "jax/input/TeX", "jax/output/CommonHTML", "localization/en",
                 "fonts/HTML-CSS/TeX/woff", "LICENSE")

_ASSETS = None


def _npm_assets():
    global _ASSETS
    if _ASSETS is None:
        spec = importlib.util.spec_from_file_location("bplib_npm_assets",
                                                      ROOT / "tools" / "npm_assets.py")
        _ASSETS = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = _ASSETS
        spec.loader.exec_module(_ASSETS)
    return _ASSETS


def copy_static(out: Path) -> Path:
    """RequireJS, the widget manager and MathJax into ``out/_static``; returns that folder."""
    assets = _npm_assets()
    static = out / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(assets.fetch("requirejs") / "require.js", static / "require.js")
    manager = assets.fetch("@jupyter-widgets/html-manager")
    (static / "html-manager").mkdir(exist_ok=True)
    for name in ("dist/embed-amd.js", "LICENSE"):  # the bundle holds the core widgets
        if (manager / name).exists():
            shutil.copy2(manager / name, static / "html-manager" / Path(name).name)
    mathjax = assets.fetch("mathjax")
    for part in MATHJAX_PARTS:
        src, dst = mathjax / part, static / "mathjax" / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    versions = {name: p.version for name, p in assets.PACKAGES.items() if name != "axe-core"}
    (static / "VERSIONS.txt").write_text(
        "".join(f"{name}@{version}\n" for name, version in sorted(versions.items())))
    return static


_LOCAL_IPYNB = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:)([^"#]*?)\.ipynb((?:#[^"]*)?)"')
_EXTERNAL_LOAD = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(https?:)?//',
                            re.I)


def export_notebook(path: Path, out: Path, static: Path) -> Path:
    """One notebook as ``out/<its folder>/<name>.html``; returns the page's path."""
    path = Path(path).resolve()
    page = out / path.parent.name / f"{path.stem}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    rel = Path(os.path.relpath(static, page.parent)).as_posix()
    exporter = HTMLExporter(template_name="lab", require_js_url=f"{rel}/require.js",
                            mathjax_url=f"{rel}/mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                            widget_renderer_url=f"{rel}/html-manager/embed-amd.js")
    body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
    body = _LOCAL_IPYNB.sub(r'href="\1.html\2"', body)
    external = _EXTERNAL_LOAD.findall(body)
    if external:
        raise RuntimeError(f"{path.name}: the page still loads {len(external)} resources "
                           f"from the network")
    page.write_text(body, encoding="utf-8")
    return page


def export(paths: list[Path], out: Path = DEFAULT_OUT) -> list[Path]:
    """Export ``paths`` (notebooks) into ``out`` with the shared static files and an index."""
    out = Path(out)
    static = copy_static(out)
    pages = [export_notebook(p, out, static) for p in paths]
    readme = ROOT / "exercises" / "README.md"
    if any(p.parent.name == "exercises" for p in pages) and readme.exists():
        shutil.copy2(readme, out / "exercises" / "README.md")
    links = "\n".join(f'<li><a href="{html.escape(p.relative_to(out).as_posix())}">'
                      f"{html.escape(p.relative_to(out).as_posix())}</a></li>" for p in pages)
    (out / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Back-propagation, slide by slide</title></head><body>"
        "<h1>Back-propagation, slide by slide</h1>"
        '<p>Start with <a href="notebooks/00_index.html">the index</a>. All pages:</p>'
        f"<ul>{links}</ul></body></html>\n", encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tools/export_html.py",
                                 description="Export the course as offline HTML pages.")
    ap.add_argument("paths", nargs="*", type=Path,
                    help="notebooks to export (default: notebooks/*.ipynb and "
                         "exercises/*.ipynb)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    paths = args.paths or (sorted((ROOT / "notebooks").glob("*.ipynb"))
                           + sorted((ROOT / "exercises").glob("*.ipynb")))
    for page in export(paths, args.out):
        print(page)
    print(f"open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
