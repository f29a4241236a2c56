# Two entry points (see README): `make demo` runs the main job offline, `make test` runs the test suite.
# Each creates .venv on first use and installs the product and the lab (lab/, its own distribution) into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml lab/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]' -e 'lab/[bench]'
	touch $@

.PHONY: demo test bench install
install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/adeptai-sagemaker demo

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m pytest benchmarks/ --benchmark-only
