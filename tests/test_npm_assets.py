"""tools/npm_assets.py: pinned npm packages, checked against their recorded integrity."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("npm_assets_under_test",
                                               ROOT / "tools" / "npm_assets.py")
assets = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = assets
_spec.loader.exec_module(assets)


def _tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BPLIB_CACHE", str(tmp_path))
    return tmp_path / "npm"


def test_every_package_is_pinned_with_an_npm_integrity():
    for pkg in assets.PACKAGES.values():
        assert pkg.version.count(".") == 2 and not pkg.version.startswith(("^", "~"))
        assert pkg.integrity.startswith("sha512-")
        assert len(base64.b64decode(pkg.integrity[7:])) == 64


def test_integrity_is_npms_sha512_in_base64(tmp_path):
    f = tmp_path / "x.tgz"
    f.write_bytes(b"abc")
    expected = "sha512-" + base64.b64encode(hashlib.sha512(b"abc").digest()).decode()
    assert assets.integrity_of(f) == expected


def _fake_npm(monkeypatch, payload: bytes) -> list:
    calls = []

    def run(cmd, **kwargs):
        calls.append(cmd)
        dest = Path(cmd[cmd.index("--pack-destination") + 1])
        (dest / "pkg.tgz").write_bytes(payload)

        class Done:
            returncode, stderr = 0, ""

        return Done()

    monkeypatch.setattr(assets.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(assets.subprocess, "run", run)
    return calls


def test_fetch_unpacks_a_tarball_that_matches_and_then_uses_the_cache(cache, monkeypatch):
    payload = _tarball({"axe.min.js": b"window.axe = {};"})
    f = cache.parent / "t.tgz"
    f.write_bytes(payload)
    pkg = assets.Package("axe-core", "9.9.9", assets.integrity_of(f), "test")
    monkeypatch.setitem(assets.PACKAGES, "axe-core", pkg)
    calls = _fake_npm(monkeypatch, payload)
    folder = assets.fetch("axe-core")
    assert (folder / "axe.min.js").read_text() == "window.axe = {};"
    assert calls and calls[0][:3] == ["/usr/bin/npm", "pack", "axe-core@9.9.9"]
    assert "--ignore-scripts" in calls[0]
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)  # no npm needed now
    assert assets.fetch("axe-core") == folder and len(calls) == 1


def test_fetch_refuses_a_tarball_with_another_integrity(cache, monkeypatch):
    _fake_npm(monkeypatch, _tarball({"axe.min.js": b"tampered"}))
    with pytest.raises(assets.AssetError, match=r"axe-core@4\.\d+\.\d+: expected integrity"):
        assets.fetch("axe-core")
    assert not list(cache.glob("axe-core-*/axe.min.js"))  # nothing kept


def test_fetch_without_npm_or_cache_says_what_to_install(cache, monkeypatch):
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed"):
        assets.fetch("mathjax")
    with pytest.raises(ValueError, match="name: expected one of"):
        assets.fetch("left-pad")
