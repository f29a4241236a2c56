"""``adeptai-sagemaker eval``: per-field metrics for a backend, and ``--compare`` between two backends."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.cli import cli

FAKE_KEY = "sk-adeptai-eval-test"


@pytest.fixture
def env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_SAGEMAKER_", "AWS_", "OPENAI_", "ANTHROPIC_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    return monkeypatch


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _json(result) -> dict:
    return json.loads(result.output[result.output.index("{"):])


def test_eval_local_prints_per_field_metrics(env):
    result = invoke("eval", "job_parser", "--backend", "local", "--set", "dev", "--limit", "4")
    assert result.exit_code == 0, result.output
    for field in ("mandatory_f1", "preferred_f1", "title", "years", "salary_min", "schema_valid"):
        assert field in result.output
    assert "schema-valid first try" in result.output and "latency p50" in result.output
    assert "deterministic rules, not an LLM" in result.output
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # dummy credentials were process-local


def test_eval_json_has_metrics_for_the_chosen_split(env):
    data = _json(invoke("--json", "eval", "query_enhancer", "--backend", "local", "--set", "test", "--limit", "3"))
    assert data["split"] == "test" and data["n"] == 3 and data["backend"] == "local"
    assert data["schema_valid_after_reask"] == 1.0 and 0.0 <= data["fields"]["intent_accuracy"] <= 1.0
    assert data["cost_per_1k_usd"] is None and "local reference model" in data["cost_basis"]


def test_eval_compare_two_backends_reports_field_agreement(env):
    from adeptai_sagemaker_lab.bench.fake_apis import FakeAPIServer

    with FakeAPIServer(api_key=FAKE_KEY) as fake:
        env.setenv("OPENAI_API_KEY", FAKE_KEY)
        env.setenv("OPENAI_BASE_URL", fake.openai_base_url)
        result = invoke("--json", "eval", "job_parser", "--compare", "local", "openai", "--limit", "3")
        assert result.exit_code == 0, result.output
        data = _json(result)
        text = invoke("eval", "job_parser", "--compare", "local", "openai", "--limit", "2")
    assert data["n"] == 3 and data["both_answered"] == 3
    assert set(data["agreement"]) >= {"title", "mandatory_skills", "years_experience", "salary_range.min"}
    # offline, the fake OpenAI server answers with the same reference model: agreement is total and the report says why
    assert all(v == 1.0 for v in data["agreement"].values()) and data["same_model"]
    assert data["openai"]["cost_per_1k_usd"] > 0 and "gpt-4o-mini" in data["openai"]["cost_basis"]
    assert text.exit_code == 0 and "field-level agreement" in text.output and "same model" in text.output


def test_eval_openai_without_a_key_is_a_clear_error(env):
    result = CliRunner().invoke(cli, ["eval", "job_parser", "--backend", "openai"])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output and "Traceback" not in result.output


def test_eval_sagemaker_without_an_endpoint_is_a_clear_error(env):
    result = CliRunner().invoke(cli, ["eval", "job_parser", "--backend", "sagemaker"])
    assert result.exit_code == 2 and "SAGEMAKER_JOB_PARSER_ENDPOINT" in result.output
