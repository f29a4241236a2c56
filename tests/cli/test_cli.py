"""The CLI through click's CliRunner: every command, JSON output, and error formatting."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.cli import cli, parse_duration

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:example"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-exec"


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean settings environment: no SageMaker/AWS variables leak in from the shell."""
    for key in list(os.environ):
        if key.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_SAGEMAKER_", "AWS_", "HF_TOKEN")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path / "state"))  # no evidence from other runs
    return monkeypatch


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_status_json_and_table(env):
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "adeptai-job-parser")
    env.setenv("SAGEMAKER_JOB_PARSER_MODE", "canary:10")
    env.setenv("AWS_REGION", "us-east-1")
    result = invoke("--json", "status")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {r["capability"]: r for r in data["capabilities"]}
    assert len(rows) == 8 and rows["job_parser"]["mode"] == "canary:10"
    assert rows["job_parser"]["endpoint"] == "adeptai-job-parser" and rows["query_enhancer"]["mode"] == "off"
    assert data["region"] == "us-east-1"
    table = invoke("status")
    assert table.exit_code == 0 and "job_parser" in table.output and "canary:10" in table.output


def test_status_shows_live_metrics_from_a_snapshot(env, tmp_path):
    from adeptai_sagemaker.plugin.calls import CallRecord, CircuitEvent
    from adeptai_sagemaker.observers.metrics import MetricsRecorder

    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "ep-jp")
    recorder = MetricsRecorder()
    for outcome in ("success", "success", "fallback"):
        recorder.on_call_finished(CallRecord("c", "job_parser", "on", "sagemaker", "sagemaker", outcome, 0.05, 0.0,
                                             "h", endpoint="ep-jp", fallback_reason="throttled"))
    recorder.on_circuit_change(CircuitEvent("sagemaker:ep-jp", "open"))
    path = tmp_path / "metrics.json"
    recorder.write_snapshot(path)
    data = json.loads(invoke("--json", "status", "--metrics", str(path)).output)
    row = next(r for r in data["capabilities"] if r["capability"] == "job_parser")
    assert (row["invocations"], row["fallbacks"], row["circuit"]) == (3, 1, "open")


def test_cost_json_and_table(env):
    result = invoke("--json", "cost", "--capability", "job_parser", "--instance-type", "ml.g5.xlarge",
                    "--throughput", "2", "--input-tokens", "1000", "--output-tokens", "300")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["rows"][0]
    assert row["sagemaker_cost_per_request_usd"] == pytest.approx(1.408 / 5040)
    assert row["api_cost_per_request_usd"] == pytest.approx(0.00033)
    assert row["break_even_requests_per_month"] == pytest.approx(1027.84 / 0.00033)
    table = invoke("cost")
    assert table.exit_code == 0 and "candidate_matcher" in table.output and "ASSUMED" in table.output


def test_deploy_dry_run_masks_the_token_and_needs_no_aws(env):
    env.setenv("AWS_REGION", "us-east-1")
    env.setenv("HF_TOKEN", "hf_super_secret")
    result = invoke("deploy", "--dry-run", "--endpoint-name", "adeptai-job-parser", "--image", IMAGE,
                    "--role-arn", ROLE, "--model-id", "meta-llama/Llama-3.1-8B-Instruct")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "hf_super_secret" not in result.output
    assert '"HF_TOKEN": "***"' in result.output and "SageMakerVariantInvocationsPerInstance" in result.output


def test_deploy_and_rollback_against_moto(env, aws_env):  # aws_env after env, which clears AWS_*
    moto = pytest.importorskip("moto", reason="moto (dev extra) is needed for the AWS-call tests")
    from moto.sagemaker.responses import SageMakerResponse

    from tests.ops.test_deploy import _update_endpoint

    env.setenv("SAGEMAKER_ALLOWED_REGIONS", "us-east-1")
    if not hasattr(SageMakerResponse, "update_endpoint"):
        env.setattr(SageMakerResponse, "update_endpoint", _update_endpoint, raising=False)
    args = ["--json", "deploy", "--endpoint-name", "adeptai-job-parser", "--image", IMAGE, "--role-arn", ROLE,
            "--model-id", "org/model", "--instance-type", "ml.g4dn.xlarge"]
    with moto.mock_aws():
        first = invoke(*args)
        assert first.exit_code == 0, first.output
        first_data = json.loads(first.output[first.output.index("{"):])
        assert first_data["created"] is True
        second = invoke(*args, "--instance-count", "2")
        second_data = json.loads(second.output[second.output.index("{"):])
        assert second_data["previous_config"] == first_data["endpoint_config"]
        back = invoke("--json", "rollback", "adeptai-job-parser")
        assert back.exit_code == 0, back.output
        moved = json.loads(back.output[back.output.index("{"):])
        assert (moved["from"], moved["to"]) == (second_data["endpoint_config"], first_data["endpoint_config"])


def test_cache_stats_purge_clear(env, tmp_path):
    from adeptai_sagemaker.core.cache import ResponseCache

    rc = ResponseCache(tmp_path / "cache")
    rc.put("k1", {"a": 1}, ttl=3600, capability="job_parser")
    rc.put("k2", {"a": 2}, ttl=3600, capability="query_enhancer")
    rc.close()
    stats = json.loads(invoke("--json", "cache", "stats").output)
    assert stats["entries"] == 2
    purged = json.loads(invoke("--json", "cache", "purge", "--older-than", "0s", "--capability", "job_parser").output)
    assert purged["removed"] == 1
    assert json.loads(invoke("--json", "cache", "purge", "--older-than", "1d").output)["removed"] == 0
    assert json.loads(invoke("--json", "cache", "clear", "--yes").output)["removed"] == 1
    assert json.loads(invoke("--json", "cache", "stats").output)["entries"] == 0
    bad = invoke("cache", "purge", "--older-than", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_parse_duration():
    assert parse_duration("90") == 90 and parse_duration("30m") == 1800 and parse_duration("7d") == 604800


def test_run_reads_stdin_and_prints_validated_json(env, aws_env, local_endpoint):
    payload = json.dumps({"job_description": "Senior Python engineer, 5+ years, AWS required. Remote."})
    unnamed = invoke("run", "job_parser", "--endpoint-url", local_endpoint.url, input=payload)
    lines = [line for line in unnamed.output.splitlines() if line.strip()]
    assert unnamed.exit_code == 2 and len(lines) == 1 and "SAGEMAKER_JOB_PARSER_ENDPOINT is not set" in lines[0]
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "cli-configured-endpoint")
    result = invoke("run", "job_parser", "--endpoint-url", local_endpoint.url, input=payload)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert "Python" in out["mandatory_skills"] and "years_experience" in out
    assert "reference" in (out.get("provenance") or "")


def test_run_without_an_endpoint_names_the_variable_unless_local_is_asked(env):
    payload = json.dumps({"job_description": "Data analyst, SQL, Tableau.", "num_questions": 3})
    refused = invoke("run", "question_generator", input=payload)
    assert refused.exit_code == 2 and "SAGEMAKER_QUESTION_GENERATOR_ENDPOINT" in refused.output
    assert "--local" in refused.output
    result = invoke("run", "question_generator", "--local", input=payload)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["questions"]  # validated QuestionGeneratorOutput
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # the dummy credentials were process-local and restored


def test_demo_runs_every_capability_through_the_adapters(env):
    result = invoke("--json", "demo")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert data["ok"] and data["local"] and len(data["results"]) == 8
    vias = {r["capability"]: r["via"] for r in data["results"]}
    assert vias["resume_summarizer"] == "Framework.call"
    adapters = [c for c, v in vias.items() if v != "Framework.call"]
    # four monolith modules go through their drop-in adapters; job_parser through Framework.call, whose
    # full answer shows the title and seniority the monolith's requirements shape has no room for
    assert len(adapters) == 4 and vias["job_parser"] == "Framework.call", vias
    assert all(r["checks"] and all(ok for _, ok in r["checks"]) for r in data["results"])
    assert all(r["backend"] == "sagemaker" and r["outcome"] == "success" for r in data["results"])
    assert data["metrics"]["totals"]["invocations"] == 8 and data["metrics"]["totals"]["successes"] == 8
    text = invoke("demo")
    assert "8/8 capabilities answered by the model" in text.output and "8/8 answers correct" in text.output


def test_errors_are_one_red_line_with_exit_codes(env):
    env.setenv("AWS_REGION", "eu-west-1")
    env.setenv("SAGEMAKER_ALLOWED_REGIONS", "us-east-1")
    region = invoke("deploy", "--dry-run", "--endpoint-name", "x", "--image", IMAGE, "--role-arn", ROLE,
                    "--model-id", "m")
    assert region.exit_code == 2 and "Traceback" not in region.output
    lines = [line for line in region.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not allowed" in lines[0] and "fix:" in lines[0]

    env.setenv("SAGEMAKER_JOB_PARSER_MODE", "sometimes")
    config = invoke("status")
    assert config.exit_code == 2 and "SAGEMAKER_JOB_PARSER_MODE" in config.output and "Traceback" not in config.output
    env.delenv("SAGEMAKER_JOB_PARSER_MODE")

    missing = invoke("deploy", "--dry-run")
    assert missing.exit_code == 2 and "--endpoint-name" in missing.output

    not_json = invoke("run", "job_parser", input="{nope")
    assert not_json.exit_code == 2 and "not valid JSON" in not_json.output

    env.setenv("SAGEMAKER_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens; never reached (bad input first)
    bad_input = invoke("run", "job_parser", "--local", input=json.dumps({"wrong": 1}))
    # bad input is a usage error (2), named before any endpoint is called
    assert bad_input.exit_code == 2 and "job_description" in bad_input.output and "Traceback" not in bad_input.output


def test_verbose_logs_debug_to_stderr_but_keeps_botocore_quiet(env):
    import logging

    invoke("-v", "cost", "--capability", "job_parser")
    assert logging.getLogger("adeptai_sagemaker").level == logging.DEBUG
    assert logging.getLogger("botocore").level == logging.WARNING
