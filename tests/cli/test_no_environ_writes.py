"""No product command writes ``os.environ``; a loopback endpoint needs no AWS setup at all.

Each command runs through click's ``CliRunner`` against the lab's local endpoint (real HTTP, real
SigV4 from boto3) with no AWS variable set, while ``os.environ`` is replaced by a mapping that
records every write and delete (and still performs them, so a write would change nothing else in
the run). A scoped "set then restore" helper is a write too: it is what this test forbids.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import MutableMapping
from typing import Iterator

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the local endpoint needs the lab's 'serve' extra")

from adeptai_sagemaker.cli import cli  # noqa: E402

JOB = {"job_description": "Senior Python engineer, 5+ years, AWS required. Remote."}


class RecordingEnviron(MutableMapping):
    """``os.environ`` that notes each write or delete (name only) before doing it."""

    def __init__(self, real) -> None:
        self.real, self.writes = real, []

    def __getitem__(self, key):
        return self.real[key]

    def __setitem__(self, key, value) -> None:
        self.writes.append(("set", key))
        self.real[key] = value

    def __delitem__(self, key) -> None:
        self.writes.append(("delete", key))
        del self.real[key]

    def __iter__(self):
        return iter(self.real)

    def __len__(self) -> int:
        return len(self.real)

    def copy(self) -> dict:
        return dict(self.real)


@contextlib.contextmanager
def recording_environ() -> Iterator[RecordingEnviron]:
    recorder = RecordingEnviron(os.environ)
    os.environ = recorder  # type: ignore[assignment]  # os.getenv and every `os.environ[...]` go through it
    try:
        yield recorder
    finally:
        os.environ = recorder.real  # type: ignore[assignment]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_PLUGINS", "")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "ref-tgi")
    assert not [k for k in os.environ if k.startswith("AWS_") and k not in (
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")]  # no region, no keys
    return tmp_path


def run_recorded(*args: str, input: str | None = None):
    with recording_environ() as env:
        result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result, env.writes


def test_run_against_a_loopback_url_writes_no_environment_variable(workdir, local_endpoint):
    result, writes = run_recorded("run", "job_parser", "--endpoint-url", local_endpoint.url, input=json.dumps(JOB))
    assert result.exit_code == 0, result.output
    assert "Python" in json.loads(result.stdout)["mandatory_skills"]
    assert writes == []


def test_run_local_writes_no_environment_variable(workdir):
    result, writes = run_recorded("run", "job_parser", "--local", input=json.dumps(JOB))
    assert result.exit_code == 0, result.output
    assert writes == []


def test_batch_against_a_loopback_url_writes_no_environment_variable(workdir, local_endpoint):
    source = workdir / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, **JOB}) + "\n" for i in range(3)), encoding="utf-8")
    result, writes = run_recorded("batch", "job_parser", "--input", str(source), "--output", str(workdir / "o.jsonl"),
                                  "--endpoint-url", local_endpoint.url)
    assert result.exit_code == 0, result.output
    assert writes == []


def test_eval_on_the_local_backend_writes_no_environment_variable(workdir):
    result, writes = run_recorded("eval", "job_parser", "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 2
    assert writes == []


def test_audit_bias_local_writes_no_environment_variable(workdir):
    result, writes = run_recorded("audit", "bias", "--local", "--capability", "candidate_matcher",
                                  "--attribute", "pronouns", "--out", str(workdir / "bias"))
    assert result.exit_code in (0, 1), result.output  # the verdict is the audit's; it ran
    assert (workdir / "bias" / "bias_report.md").is_file()
    assert writes == []


def test_demo_writes_no_environment_variable(workdir):
    result, writes = run_recorded("demo", "--json")
    assert result.exit_code in (0, 1), result.output  # answers' correctness is the demo's own check
    assert json.loads(result.stdout)["local"] is True
    assert writes == []
