"""Operator experience: what a newcomer tripped on, each pinned by a test.

--json after the subcommand, exit codes in every help and kept, one-line errors
that name the problem and the fix, loopback credentials, secret masking by name,
status that shows unreachable modules and misspelt settings, break-even traffic,
the default output folders ignored by git.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from adeptai_sagemaker.cli import cli
from adeptai_sagemaker.cli._base import EXIT_CODES

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:example"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-exec"
DEPLOY = ("deploy", "--dry-run", "--endpoint-name", "adeptai-job-parser", "--image", IMAGE, "--role-arn", ROLE,
          "--model-id", "meta-llama/Llama-3.1-8B-Instruct")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No SageMaker/AWS variables from the shell; an empty working directory (no stray .env)."""
    for key in list(os.environ):
        if key.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_SAGEMAKER_", "AWS_", "HF_TOKEN", "SAGEMKER")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path / "state"))  # no evidence from other runs
    return monkeypatch


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def all_commands(group: click.Group = cli, prefix: tuple = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # (the root group loads the lab's commands here)
        command = group.get_command(ctx, name)
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


# --------------------------------------------------------------------------- --json after the subcommand

DATA_COMMANDS = {("status",), ("cost",), ("deploy",), ("rollback",), ("run",), ("demo",), ("cache", "stats"),
                 ("cache", "clear"), ("cache", "purge"), ("batch",), ("deploy-component",), ("promote",), ("report",)}


def test_every_data_command_takes_json_after_its_name():
    have = {path for path, command in all_commands() if any("--json" in p.opts for p in command.params)}
    assert DATA_COMMANDS <= have, DATA_COMMANDS - have


@pytest.mark.parametrize("args", [("status", "--json"), ("cost", "--json", "--capability", "job_parser"),
                                  ("cache", "stats", "--json")])
def test_json_after_the_subcommand_prints_one_object(env, args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.output), dict)


def test_deploy_dry_run_json_is_the_plan_as_data_with_secrets_masked_by_name(env):
    env.setenv("AWS_REGION", "us-east-1")
    env.setenv("HF_TOKEN", "hf_super_secret")
    result = invoke(*DEPLOY, "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["dry_run"] is True and plan["endpoint_name"] == "adeptai-job-parser"
    calls = [r["call"] for r in plan["requests"]]
    assert calls[0] == "sagemaker:CreateModel" and "cloudwatch:PutMetricAlarm" in calls
    assert "application-autoscaling:PutScalingPolicy" in calls
    env_vars = plan["requests"][0]["request"]["PrimaryContainer"]["Environment"]
    assert env_vars["HF_TOKEN"] == "***" and env_vars["MAX_TOTAL_TOKENS"] == "8192"
    assert "hf_super_secret" not in result.output
    text = invoke(*DEPLOY)
    assert '"MAX_TOTAL_TOKENS": "8192"' in text.output and '"HF_TOKEN": "***"' in text.output


def test_mask_env_uses_the_list_of_secret_names():
    from adeptai_sagemaker.ops.deploy import SECRET_ENV_NAMES, mask_env

    masked = mask_env({"HF_TOKEN": "t", "MAX_TOTAL_TOKENS": "8192", "OPTION_MAX_ROLLING_BATCH_SIZE": "32",
                       "HUGGING_FACE_HUB_TOKEN": "t2", "MAX_BATCH_PREFILL_TOKENS": "4096"})
    assert masked == {"HF_TOKEN": "***", "MAX_TOTAL_TOKENS": "8192", "OPTION_MAX_ROLLING_BATCH_SIZE": "32",
                      "HUGGING_FACE_HUB_TOKEN": "***", "MAX_BATCH_PREFILL_TOKENS": "4096"}
    assert "HF_TOKEN" in SECRET_ENV_NAMES and "MAX_TOTAL_TOKENS" not in SECRET_ENV_NAMES


# --------------------------------------------------------------------------- exit codes


def test_every_command_documents_the_exit_codes_in_its_help():
    paths = [path for path, _ in all_commands()]
    assert len(paths) >= 12  # serve, demo, run, status, cost, deploy, rollback, cache x3, bench, audit ...
    for path in [()] + paths:
        result = invoke(*path, "--help")
        assert result.exit_code == 0, path
        text = " ".join(result.output.split())
        assert "Exit codes: 0 ok; 1 failure" in text and "2 usage or configuration error" in text, path
    assert EXIT_CODES.startswith("Exit codes: 0 ok")


@pytest.mark.parametrize("path", [path for path, command in all_commands() if not isinstance(command, click.Group)],
                         ids=lambda p: " ".join(p))
def test_every_command_exits_2_on_a_usage_error_with_one_line(env, path):
    result = invoke(*path, "--no-such-option")
    assert result.exit_code == 2, result.output
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "-- fix: see `" in lines[0]


def test_failing_cases_keep_their_documented_codes(env, tmp_path):
    env.setenv("SAGEMAKER_JOB_PARSER_MODE", "banana")
    assert invoke("status").exit_code == 2  # configuration
    env.delenv("SAGEMAKER_JOB_PARSER_MODE")
    assert invoke("cost", "--utilization", "2").exit_code == 2  # usage
    assert invoke("rollback", "adeptai-job-parser").exit_code == 2  # no region: configuration
    assert invoke("cache", "purge", "--older-than", "soon").exit_code == 2
    assert invoke("run", "job_parser", input="{").exit_code == 2
    # a call that fails (nothing listens on port 9) is a failure: 1
    failed = invoke("demo", "--endpoint-url", "http://127.0.0.1:9")
    assert failed.exit_code == 1, failed.output


# --------------------------------------------------------------------------- run's errors and credentials


def test_run_unknown_backend_names_the_registered_ones_and_the_fix(env):
    result = invoke("run", "job_parser", "--backend", "nope", input='{"job_description": "x"}')
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert "unknown backend 'nope'; registered: " in line and "sagemaker" in line and "openai" in line
    assert "-- fix: pass --backend with one of those" in line


def test_run_missing_field_names_the_field_and_the_fix(env):
    result = invoke("run", "job_parser", "--local", input='{"job_descriptoin": "typo"}')
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert "job_description: Field required" in line
    assert "-- fix: give the input JSON the fields job_parser takes: job_description (required)" in line
    assert "fallback" not in line.lower()


@pytest.mark.parametrize("raw, where", [('{"job_description": "a\tb"}', "at line 1 column 23"),
                                        ('{\n  "job_description": "x",\n}', "at line 3 column 1")])
def test_run_invalid_json_names_line_and_column_and_the_fix(env, raw, where):
    result = invoke("run", "job_parser", input=raw)
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert "--input is not valid JSON" in line and where in line and "at at" not in line
    assert "-- fix: pass one JSON object" in line


def test_run_non_object_json_is_a_usage_error(env):
    (line,) = error_lines(invoke("run", "job_parser", input="[1, 2]"))
    assert "must be a JSON object" in line and "-- fix:" in line


def test_run_against_a_loopback_endpoint_needs_no_credentials(env, local_endpoint):
    from adeptai_sagemaker.core.aws_setup import is_loopback

    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "ref-lmi")
    env.setenv("SAGEMAKER_JOB_PARSER_CODEC", "lmi")
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path("no-credentials-here")))
    env.setenv("AWS_CONFIG_FILE", str(Path("no-config-here")))
    assert is_loopback(local_endpoint.url)
    result = invoke("run", "job_parser", "--endpoint-url", local_endpoint.url,
                    input=json.dumps({"job_description": "Senior Python engineer, AWS required. Remote."}))
    assert result.exit_code == 0, result.output
    assert "Python" in json.loads(result.output)["mandatory_skills"]
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_REGION" not in os.environ  # restored
    assert "loopback URL" in " ".join(invoke("run", "--help").output.split())


def test_loopback_detection():
    from adeptai_sagemaker.core.aws_setup import is_loopback

    assert is_loopback("http://127.0.0.1:8080") and is_loopback("http://localhost:1") and is_loopback("http://[::1]:2")
    assert not is_loopback("https://runtime.sagemaker.us-east-1.amazonaws.com") and not is_loopback(None)


# --------------------------------------------------------------------------- status


def test_status_with_master_switch_and_no_region_says_no_call_can_succeed_and_exits_2(env):
    env.setenv("USE_SAGEMAKER_LLM", "true")
    result = invoke("status", "--json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert len(data["unreachable"]) == 8 and data["region"] is None
    row = next(r for r in data["capabilities"] if r["capability"] == "job_parser")
    assert row["mode"] == "on"
    assert any("AWS_REGION" in p for p in row["problems"])
    assert any("SAGEMAKER_JOB_PARSER_ENDPOINT" in p for p in row["problems"])
    text = invoke("status")
    assert text.exit_code == 2 and "job_parser is on but no call can reach SageMaker" in text.output


def test_status_exits_0_when_every_module_on_is_configured(env):
    env.setenv("AWS_REGION", "us-east-1")
    env.setenv("SAGEMAKER_JOB_PARSER_MODE", "on")
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "adeptai-job-parser")
    result = invoke("status", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unreachable"] == []
    env.delenv("SAGEMAKER_JOB_PARSER_ENDPOINT")
    assert invoke("status").exit_code == 2  # on without an endpoint: unreachable


def test_status_warns_about_misspelt_settings_from_dotenv(env, tmp_path):
    (tmp_path / ".env").write_text("SAGEMAKER_JOB_PARSR_MODE=on\nSAGEMAKER_JOB_PARSER_ENDPIONT=adeptai-jp\n"
                                   "SAGEMKER_REGION=us-east-1\n")
    data = json.loads(CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False).stdout)
    warnings = " | ".join(data["warnings"])
    assert "SAGEMAKER_JOB_PARSR_MODE is ignored: did you mean SAGEMAKER_JOB_PARSER_MODE?" in warnings
    assert "did you mean SAGEMAKER_JOB_PARSER_ENDPOINT?" in warnings and "did you mean SAGEMAKER_REGION?" in warnings
    assert "adeptai-jp" not in warnings and "us-east-1" not in warnings  # names only
    text = invoke("status")
    assert "warning: unknown setting SAGEMKER_REGION is ignored: did you mean SAGEMAKER_REGION?" in text.output


def test_status_says_where_live_metrics_are(env):
    out = " ".join(invoke("status").output.split())
    assert "no live metrics in this process" in out and "CloudWatch" in out and "--metrics" in out
    assert "ADEPTAI_SAGEMAKER_STATE_DIR" in out and str(Path.cwd() / "state") in out  # the store it looked in


def test_mode_error_is_clean(env):
    env.setenv("SAGEMAKER_JOB_PARSER_MODE", "banana")
    (line,) = error_lines(invoke("status"))
    assert "SAGEMAKER_JOB_PARSER_MODE" in line and "Value error" not in line and "banana" not in line
    assert line.count("canary:N") == 1


# --------------------------------------------------------------------------- cost


def test_cost_prints_break_even_traffic_per_capability_and_instance_type(env):
    data = json.loads(invoke("cost", "--json").output)
    pairs = {(r["capability"], r["instance_type"]) for r in data["rows"]}
    assert len(pairs) == 8 * 4  # every capability x every default instance type
    assert "ASSUMED" in data["assumption"] and "1 req/s" in data["assumption"] and "70%" in data["assumption"]
    jp = next(r for r in data["rows"] if (r["capability"], r["instance_type"]) == ("job_parser", "ml.g5.xlarge"))
    api = 900 * 0.15e-6 + 350 * 0.60e-6
    assert jp["required_throughput_rps"] == pytest.approx(1.408 / (api * 0.7 * 3600))
    assert jp["break_even_rps"] is None  # at 1 req/s per instance the API stays cheaper
    text = " ".join(invoke("cost", "--capability", "job_parser", "--instance-type", "ml.g5.xlarge").output.split())
    assert "never (needs >= 1.62 req/s per instance)" in text and "assumes one instance sustains 1 req/s" in text
    fast = json.loads(invoke("cost", "--json", "--capability", "job_parser", "--instance-type", "ml.g5.xlarge",
                             "--throughput", "3").output)["rows"][0]
    assert fast["break_even_rps"] == pytest.approx(1.408 * 730 / api / (730 * 3600))
    assert fast["sustained_break_even_rps"] >= fast["break_even_rps"]
    shown = " ".join(invoke("cost", "--capability", "job_parser", "--instance-type", "ml.g5.xlarge",
                            "--throughput", "3").output.split())
    assert f"{fast['break_even_rps']:,.2f} req/s" in shown and "(--throughput)" in shown


# --------------------------------------------------------------------------- .gitignore


def test_default_output_folders_are_ignored_by_git():
    folders = set()
    for _, command in all_commands():
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.type, click.Path) \
                    and not param.type.file_okay and isinstance(param.default, str):
                folders.add(param.default)
    assert {"bench-report", "bias-audit"} <= folders
    for folder in sorted(folders):
        probe = subprocess.run(["git", "check-ignore", "-q", "--no-index", f"{folder}/report.md"], cwd=ROOT)
        assert probe.returncode == 0, f"{folder}/ is a default output folder of the CLI: add it to .gitignore"


def test_demo_against_a_loopback_endpoint_needs_no_credentials(env, local_endpoint):
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", "no-credentials-here")
    env.setenv("AWS_CONFIG_FILE", "no-config-here")
    env.setenv("SAGEMAKER_ENDPOINT_URL", local_endpoint.url)  # as after README's quick tour
    result = invoke("demo", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["ok"]
    assert "AWS_ACCESS_KEY_ID" not in os.environ
