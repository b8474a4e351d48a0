"""site/build.py's checks, without building: a download with another hash is refused, a
package file must match the Pyodide lock, and only the Pyodide series the kernel supports is
accepted (the full build and the site itself: tests/browser/test_site.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bplib_site_build", ROOT / "site" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def site_tool_pins() -> list[str]:
    """The requirement lines of site/requirements.txt (its comments left out)."""
    return [ln.strip() for ln in (ROOT / "site" / "requirements.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]


def fetcher(data: bytes, calls: list):
    def fetch(tmp: Path) -> Path:
        calls.append(1)
        (tmp / "f.whl").write_bytes(data)
        return tmp / "f.whl"
    return fetch


def test_cache_refuses_a_download_with_another_hash(tmp_path):
    cache = build.Cache(tmp_path)
    pinned = hashlib.sha256(b"the pinned bytes").hexdigest()
    with pytest.raises(build.BuildError, match="refusing to use it"):
        cache.get("f.whl", pinned, fetcher(b"other bytes", []))
    assert not list((tmp_path / "sha256").rglob("f.whl"))


def test_cache_keeps_a_verified_file_and_does_not_fetch_it_again(tmp_path):
    cache, calls = build.Cache(tmp_path), []
    pinned = hashlib.sha256(b"wheel").hexdigest()
    first = cache.get("f.whl", pinned, fetcher(b"wheel", calls))
    second = cache.get("f.whl", pinned, fetcher(b"wheel", calls))
    assert first == second and first.read_bytes() == b"wheel" and calls == [1]


def fake_distribution(folder: Path, version: str = "0.27.7", package: bytes = b"numpy") -> Path:
    folder.mkdir()
    for name in build.RUNTIME_FILES:
        (folder / name).write_bytes(name.encode())
    (folder / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl").write_bytes(package)
    lock = {"info": {"version": version, "python": "3.12.7"}, "packages": {"numpy": {
        "name": "numpy", "version": "2.0.2", "depends": [],
        "file_name": "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
        "sha256": hashlib.sha256(b"numpy").hexdigest()}}}
    (folder / build.LOCK).write_text(json.dumps(lock))
    return folder


def test_official_distribution_files_are_checked_against_its_lock(tmp_path):
    dist = build.OfficialDistribution(str(fake_distribution(tmp_path / "ok")),
                                      build.Cache(tmp_path / "c"), tmp_path / "w")
    path, _ = build.checked_package_file(dist, "numpy")
    assert path.read_bytes() == b"numpy"
    bad = build.OfficialDistribution(str(fake_distribution(tmp_path / "bad", package=b"evil")),
                                     build.Cache(tmp_path / "c"), tmp_path / "w")
    with pytest.raises(build.BuildError, match="is not the .* of the Pyodide lock"):
        build.checked_package_file(bad, "numpy")


def test_a_pyodide_the_kernel_does_not_support_is_refused(tmp_path):
    with pytest.raises(build.BuildError, match="needs Pyodide 0.27.x"):
        build.OfficialDistribution(str(fake_distribution(tmp_path / "d", version="0.28.0")),
                                   build.Cache(tmp_path / "c"), tmp_path / "w")


def test_closure_follows_depends_with_either_spelling():
    lock = {"packages": {"a": {"depends": ["prompt_toolkit"]}, "prompt-toolkit": {"depends": []},
                         "b": {"depends": []}}}
    assert build.closure(lock, ["a"]) == ["a", "prompt-toolkit"]
    with pytest.raises(build.BuildError, match="not in the Pyodide lock"):
        build.closure(lock, ["missing"])


def test_provenance_pins_every_binary_source():
    pins = json.loads((ROOT / "site" / "provenance.json").read_text())
    sources = [pins["pyodide"]["runtime"], pins["pyodide"]["packages"], *pins["wheels"]]
    for s in sources:
        assert len(s["sha256"]) == 64 and int(s["sha256"], 16) >= 0, s
        assert s["version"] and s["file"], s
    assert pins["pyodide"]["runtime"]["source"] == "npm"
    # Every build-tool requirement is pinned to one version.
    lines = site_tool_pins()
    assert lines and all("==" in ln for ln in lines), lines


def test_official_distribution_by_url(tmp_path):
    """PYODIDE_DIST may be a URL: files are fetched from it (here a local server) and checked
    the same way; a package file lands in the SHA-256 cache."""
    spec = importlib.util.spec_from_file_location("bplib_site_serve", ROOT / "site" / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    folder = fake_distribution(tmp_path / "dist")
    server, thread = serve.serve_in_thread(folder)
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        dist = build.OfficialDistribution(url, build.Cache(tmp_path / "c"), tmp_path / "w")
        assert dist.runtime["pyodide.asm.wasm"].read_bytes() == b"pyodide.asm.wasm"
        path, origin = build.checked_package_file(dist, "numpy")
        assert path.read_bytes() == b"numpy" and (tmp_path / "c" / "sha256") in path.parents
        assert origin.startswith(url.rstrip("/"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def resolve_site_tools(tmp_path: Path, requirements: Path, *extra: str):
    """What site/build.py does to make its tools venv, as a dry run on the Python running the
    tests (`make site` uses the same interpreter as `make venv`): pip checks every pin's
    Requires-Python and that a release file exists for this interpreter and platform."""
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                           "--ignore-installed", "--quiet", "--disable-pip-version-check",
                           "--report", str(report), "-r", str(requirements), *extra],
                          capture_output=True, text=True, timeout=600)
    unreachable = "(from versions: none)" in proc.stderr and "different python" not in proc.stderr
    if proc.returncode and unreachable and os.environ.get("BPLIB_REQUIRE_BROWSER") != "1":
        pytest.skip(f"the package index is unreachable, so the site's build tools cannot be "
                    f"resolved here:\n{proc.stderr[-1000:]}")
    return proc, (json.loads(report.read_text()) if report.exists() else None)


def test_site_build_tools_install_on_this_python(tmp_path):
    """`make site` works on every supported Python: the lock admits this one (CI runs the suite
    on the oldest, the default and the newest). A lock frozen on Python 3.11.7 once pinned
    soupsieve 4.1.3, which refuses Debian 12's Python 3.11.2."""
    requirements = ROOT / "site" / "requirements.txt"
    proc, report = resolve_site_tools(tmp_path, requirements)
    assert proc.returncode == 0, (
        f"site/requirements.txt cannot be installed on Python {sys.version.split()[0]}; "
        f"regenerate it as its header says:\n{proc.stderr[-3000:]}")
    pins = {canonicalize_name(ln.split("==")[0]) for ln in site_tool_pins()}
    got = {canonicalize_name(item["metadata"]["name"]) for item in report["install"]}
    assert got == pins


def test_site_build_tools_check_catches_a_pin_that_refuses_a_python(tmp_path):
    """The check above can fail: the old pin, resolved for Python 3.11.2, is refused."""
    old = tmp_path / "requirements.txt"
    old.write_text("soupsieve==4.1.3\n")
    proc, _ = resolve_site_tools(tmp_path, old, "--python-version", "3.11.2",
                                 "--only-binary=:all:", "--target", str(tmp_path / "t"))
    assert proc.returncode != 0 and "different python version" in proc.stderr, proc.stderr
