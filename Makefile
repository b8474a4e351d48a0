# Two commands (see README): `make lab` opens the course, `make test` runs every test.
# Both first build .venv from pyproject.toml; that step is skipped when nothing changed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# e.g. make lab LAB_ARGS="--no-browser --port 8890 --ip 0.0.0.0"
LAB_ARGS ?=
# e.g. make test PYTEST_ARGS="-k gradcheck -x"
PYTEST_ARGS ?=
# make site: the course as a static JupyterLite site in SITE_OUT (docs/site.md).
# PYODIDE_DIST=<folder or URL of an official Pyodide 0.27.x distribution> replaces the pinned
# Pyodide sources; SITE_CACHE keeps downloads (by SHA-256) and the build tools between builds.
SITE_OUT   ?= build/site
SITE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/bplib-site
PYODIDE_DIST ?=

.PHONY: venv lab test lint bench exercises site site-serve html clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -rf $(VENV)/share/jupyter/kernels/bplib  # a kernel older .venvs registered; python3 replaces it
	touch $(STAMP)

venv: $(STAMP)

# The venv's own Jupyter, rooted at the repository (notebooks/ and exercises/ both reachable),
# opening the index. Notebooks use the standard `python3` kernel: ipykernel in .venv, i.e.
# .venv's Python, because the venv's Jupyter looks in the venv first.
lab: venv
	JUPYTER_PREFER_ENV_PATH=1 $(VENV)/bin/jupyter lab --ServerApp.root_dir=. notebooks/00_index.ipynb $(LAB_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	$(PY) -m bplib.bench

exercises: venv
	$(PY) -m bplib.grading.generate

# Needs only Python (standard library), npm and the network: no .venv.
site:
	$(PYTHON) site/build.py --out $(SITE_OUT) --cache $(SITE_CACHE) $(if $(PYODIDE_DIST),--pyodide-dist $(PYODIDE_DIST))

site-serve:
	$(PYTHON) site/serve.py $(SITE_OUT)

# The course as HTML pages that work offline (widget state, widget manager and MathJax bundled
# from pinned npm packages): build/html/index.html (docs/accessibility.md).
html: venv
	$(PY) tools/export_html.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build/site build/html
