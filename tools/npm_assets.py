"""Pinned JavaScript from npm, fetched once into a local cache: no CDN at run time.

    .venv/bin/python tools/npm_assets.py            # fetch (or check) every package below
    .venv/bin/python tools/npm_assets.py axe-core   # one of them; prints its folder

Each package is fetched with ``npm pack NAME@VERSION`` (the npm registry only, one tarball, no
install scripts, no dependencies), checked against the integrity recorded here (the same
``sha512-...`` string npm's lock files hold; a mismatch is an error and nothing is kept),
and unpacked into ``$BPLIB_CACHE/npm/NAME-VERSION/`` (default ``~/.cache/bplib``). Later
runs read the cache and need no network. Used by the accessibility tests (axe-core) and the
offline HTML export (tools/export_html.py: the widget manager, RequireJS and MathJax).

To move a package to a new version: change VERSION, run ``npm view NAME@VERSION
dist.integrity`` and record the result, then run this script.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's sha512 of the tarball, as in package-lock.json
    why: str


PACKAGES = {p.name: p for p in (
    Package("axe-core", "4.14.1",
            "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37"
            "OgudVGtQ==",
            "accessibility rules run by tests/browser/test_accessibility.py"),
    Package("@jupyter-widgets/html-manager", "1.0.15",
            "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1y"
            "p47bCrJ3CQA==",
            "renders the stored widgets in the exported HTML (ipywidgets 8)"),
    Package("requirejs", "2.3.8",
            "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonF"
            "lyQXSowL6Mw==",
            "module loader the exported HTML and the widget manager use"),
    Package("mathjax", "2.7.9",
            "sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl"
            "/wJa+5+BQ==",
            "typesets the math of the exported HTML (nbconvert's MathJax 2 configuration)"),
)}


class AssetError(RuntimeError):
    pass


def cache_root() -> Path:
    base = os.environ.get("BPLIB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bplib")
    return Path(base) / "npm"


def integrity_of(path: Path) -> str:
    """npm's integrity string (sha512, base64) of a file."""
    digest = hashlib.sha512(Path(path).read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def fetch(name: str) -> Path:
    """The unpacked package folder (its ``package/`` contents), from the cache or from npm."""
    if name not in PACKAGES:
        raise ValueError(f"name: expected one of {sorted(PACKAGES)}, got {name!r}")
    pkg = PACKAGES[name]
    target = cache_root() / f"{name.replace('/', '+')}-{pkg.version}"
    if (target / ".integrity").is_file() and \
            (target / ".integrity").read_text().strip() == pkg.integrity:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(f"{name}@{pkg.version} is not in {target.parent} and npm is not "
                         f"installed to fetch it (apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="bplib-npm-") as tmp:
        result = subprocess.run(
            [npm, "pack", f"{name}@{pkg.version}", "--pack-destination", tmp, "--silent",
             "--ignore-scripts"], capture_output=True, text=True, timeout=600, cwd=tmp)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            raise AssetError(f"npm pack {name}@{pkg.version} failed (exit {result.returncode}): "
                             f"{result.stderr.strip()[-500:]}")
        found = integrity_of(tarballs[0])
        if found != pkg.integrity:
            raise AssetError(f"{name}@{pkg.version}: expected integrity {pkg.integrity}, got "
                             f"{found}; the tarball is not the one recorded (kept nothing)")
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=_ensure(target.parent)))
        with tarfile.open(tarballs[0]) as tar:
            _extract(tar, partial)
        shutil.rmtree(target, ignore_errors=True)
        (partial / "package").rename(target)
        shutil.rmtree(partial, ignore_errors=True)
    (target / ".integrity").write_text(pkg.integrity + "\n")
    return target


def _extract(tar: tarfile.TarFile, into: Path) -> None:
    """Unpack regular files and folders only, and only below ``into``."""
    if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
        tar.extractall(into, filter="data")
        return
    for member in tar.getmembers():
        dest = (into / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not dest.is_relative_to(into.resolve()):
            raise AssetError(f"refusing tarball member {member.name!r}")
    tar.extractall(into)  # noqa: S202 (members checked above)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str]) -> int:
    names = argv or sorted(PACKAGES)
    for name in names:
        try:
            print(f"{name}@{PACKAGES[name].version}: {fetch(name)}")
        except (AssetError, ValueError, KeyError) as exc:
            print(f"npm_assets: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
