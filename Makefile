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

.PHONY: venv lab test lint bench exercises clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name bplib --display-name "Python (bplib)"
	touch $(STAMP)

venv: $(STAMP)

lab: venv
	$(VENV)/bin/jupyter lab notebooks/00_index.ipynb $(LAB_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	$(PY) -m bplib.bench

exercises: venv
	$(PY) -m bplib.grading.generate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
