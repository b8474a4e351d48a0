"""Packaging hygiene: licence, changelog, one version source, build floor, `python -m` CLI."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import bplib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_license_file_matches_pyproject():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "bplib contributors" in text
    assert "Permission is hereby granted, free of charge" in text


def test_build_floor_supports_the_metadata_used():
    """A plain-string SPDX `license` and `license-files` need setuptools >= 77 (PEP 639)."""
    (req,) = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    floor = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", req)
    assert floor and int(floor.group(1)) >= 77, req


def test_one_version_source():
    assert bplib.__version__ == importlib.metadata.version("bplib") == PROJECT["version"]
    init = (ROOT / "bplib" / "__init__.py").read_text()
    assert not re.search(r"__version__\s*=\s*['\"]", init), "version written a second time"


def test_changelog_has_an_entry_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in text and "## [Unreleased]" in text
    entry = re.search(rf"^## \[{re.escape(PROJECT['version'])}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
                      text, re.M)
    assert entry, f"CHANGELOG.md has no dated entry for {PROJECT['version']}"


def test_python_m_bplib_grading_is_the_cli():
    ok = subprocess.run([sys.executable, "-m", "bplib.grading", "--help"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout.startswith("usage: bplib-grade"), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "bplib.grading", "-o", "x.csv", "-j", "0",
                          "nowhere"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "-j/--jobs: expected a positive integer" in bad.stderr
