# Two entry points (see README): `make demo` runs the main job offline, `make test` runs the test suite.
# Each creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

.PHONY: demo test bench install
install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/adeptai-sagemaker demo

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m pytest benchmarks/ --benchmark-only
