"""Editing a notebook in JupyterLab keeps its text source in step, and the other way round.

A Jupyter server (the browser suite's throw-away LabServer, with the jupytext contents manager
that comes with bplib's dependencies) runs on a scratch copy of the layout: jupytext.toml,
one notebook and its source, one exercise. Saving through the server writes both files of a
pair (outputs kept in the .ipynb); an edit of the .md is what the server shows next; an
exercise is saved alone.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
pytest.importorskip("psutil")
from labserver import LabServer  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "jupytext.toml", root)
    (root / "notebooks" / "sources").mkdir(parents=True)
    (root / "exercises").mkdir()
    shutil.copy(ROOT / "notebooks" / "00_index.ipynb", root / "notebooks")
    shutil.copy(ROOT / "notebooks" / "sources" / "00_index.md", root / "notebooks" / "sources")
    shutil.copy(ROOT / "exercises" / "ex1_theta.ipynb", root / "exercises")
    lab = LabServer(root, tmp_path_factory.mktemp("jupyter"),
                    tmp_path_factory.mktemp("log") / "server.log")
    lab.start()
    try:
        yield lab, root
    finally:
        lab.stop()


def _title(nb: dict) -> str:
    return nb["cells"][0]["source"].splitlines()[0]


def test_saving_in_jupyterlab_writes_the_notebook_and_its_source(server):
    lab, root = server
    model = lab.api("GET", "contents/notebooks/00_index.ipynb")
    nb = model["content"]
    assert _title(nb) == "# Back-propagation, slide by slide"
    nb["cells"][0]["source"] = nb["cells"][0]["source"].replace("slide by slide",
                                                                "slide by slide, edited in Lab")
    lab.api("PUT", "contents/notebooks/00_index.ipynb",
            {"type": "notebook", "format": "json", "content": nb})
    source = (root / "notebooks" / "sources" / "00_index.md").read_text()
    assert "# Back-propagation, slide by slide, edited in Lab" in source
    stored = nbformat.read(root / "notebooks" / "00_index.ipynb", as_version=4)
    assert stored.cells[0].source.startswith("# Back-propagation, slide by slide, edited in Lab")
    assert any(c.get("outputs") for c in stored.cells if c.cell_type == "code")


def test_an_edit_of_the_text_source_is_what_jupyterlab_opens(server):
    lab, root = server
    source = root / "notebooks" / "sources" / "00_index.md"
    time.sleep(1.1)  # a later modification time than the .ipynb
    source.write_text(source.read_text().replace("# Back-propagation, slide by slide",
                                                 "# Back-propagation, edited as text", 1))
    nb = lab.api("GET", "contents/notebooks/00_index.ipynb")["content"]
    assert _title(nb).startswith("# Back-propagation, edited as text")
    assert any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_exercises_are_not_paired(server):
    lab, root = server
    nb = lab.api("GET", "contents/exercises/ex1_theta.ipynb")["content"]
    lab.api("PUT", "contents/exercises/ex1_theta.ipynb",
            {"type": "notebook", "format": "json", "content": nb})
    files = sorted(p.name for p in (root / "exercises").iterdir() if not p.name.startswith("."))
    assert files == ["ex1_theta.ipynb"]
