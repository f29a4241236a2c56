"""Fixtures for the benchmark suite: one local endpoint process, a results board printed at the end.

Run ``pytest benchmarks/`` (full sizes, a few minutes on 2 cores) or
``ADEPTAI_BENCH_QUICK=1 pytest benchmarks/`` (seconds). Targets are reported
as met/missed; set ``ADEPTAI_BENCH_ENFORCE=1`` to fail a test on a missed target.
Results are also written to ``$ADEPTAI_BENCH_OUT`` (default ``.benchmarks/adeptai-latest.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("pytest_benchmark", reason="the benchmark suite needs pytest-benchmark (extra 'bench')")
pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")

from adeptai_sagemaker_lab.bench import workload  # noqa: E402

BOARD: dict[str, dict] = {}


@pytest.fixture(scope="session")
def sizes():
    return workload.sizes()


@pytest.fixture(scope="session")
def endpoint():
    """The local SageMaker endpoint in its own process (reference model; ``ADEPTAI_BENCH_MODEL_BACKEND=mod:Class``
    substitutes another model backend)."""
    from adeptai_sagemaker_lab.bench.endpoint_proc import EndpointProcess

    with EndpointProcess(backend=os.environ.get("ADEPTAI_BENCH_MODEL_BACKEND") or None) as ep:
        yield ep


@pytest.fixture(scope="session")
def board():
    return BOARD


def pytest_terminal_summary(terminalreporter):
    if not BOARD:
        return
    from adeptai_sagemaker_lab.bench.report import headline_lines

    terminalreporter.section("adeptai-sagemaker benchmark targets")
    for line in headline_lines(BOARD):
        terminalreporter.write_line(line)
    out = Path(os.environ.get("ADEPTAI_BENCH_OUT", ".benchmarks/adeptai-latest.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(BOARD, indent=2, default=str))
    terminalreporter.write_line(f"results: {out.resolve()}")
