"""CLI edges a new user trips on: bare groups, --json after every data command, settings the lab overrides
that are still validated, errors that name what the user typed, report and bench that say what they did,
and input keys that would vanish without a word."""

from __future__ import annotations

import inspect
import json
import logging

import click
import pytest
from click.testing import CliRunner

from adeptai_sagemaker.cli import cli

JOB = {"job_description": "Senior Python engineer, 5+ years, AWS required. Remote."}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_PLUGINS", "")
    return tmp_path


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, prog_name="adeptai-sagemaker", catch_exceptions=False)


def one_line(result) -> str:
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    return line


# --------------------------------------------------------------------------- bare groups print their help


def test_the_bare_command_prints_its_help_to_stdout_and_exits_0():
    result = invoke()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: adeptai-sagemaker")
    assert "\nCommands:\n" in result.stdout and "  batch " in result.stdout and "error:" not in result.stdout


def test_audit_trail_without_a_subcommand_prints_its_help():
    result = invoke("audit", "trail")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: adeptai-sagemaker audit trail") and "  query " in result.stdout


# --------------------------------------------------------------------------- --json before or after


def _commands(group: click.Group = cli, prefix: tuple = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_that_prints_json_on_request_takes_json_after_its_name():
    """A command reading the JSON switch (``_json_mode``) honours ``--json`` before it; it must take it after."""
    reads = {path for path, command in _commands()
             if command.callback and "_json_mode(" in inspect.getsource(inspect.unwrap(command.callback))}
    takes = {path for path, command in _commands() if any("--json" in p.opts for p in command.params)}
    assert ("eval",) in reads and reads <= takes, reads - takes


def test_eval_takes_json_after_its_name(workdir):
    result = invoke("eval", "job_parser", "--limit", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["capability"] == "job_parser"


# --------------------------------------------------------------------------- settings the lab overrides are still checked


@pytest.mark.parametrize("variable,value", [("SAGEMAKER_JOB_PARSER_MODE", "banana"),
                                            ("SAGEMAKER_LLM_FALLBACK", "maybe")])
@pytest.mark.parametrize("command", [("run", "job_parser", "--local"), ("demo",), ("status",)])
def test_an_invalid_setting_fails_run_local_and_demo_as_it_fails_status(workdir, monkeypatch, variable, value, command):
    monkeypatch.setenv(variable, value)
    result = invoke(*command, input=json.dumps(JOB))
    assert result.exit_code == 2, result.output
    line = [ln for ln in result.output.splitlines() if ln.startswith("error:")][0]
    assert variable in line and "-- fix:" in line and value not in line  # the value is never echoed


# --------------------------------------------------------------------------- errors name what the user typed


def test_an_unreachable_endpoint_url_is_named_with_the_flag_it_came_from(workdir, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "ep")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MAX_ATTEMPTS", "1")
    result = invoke("run", "job_parser", "--endpoint-url", "http://127.0.0.1:1", input=json.dumps(JOB))
    assert result.exit_code == 1
    line = one_line(result)
    assert "http://127.0.0.1:1" in line and "(from --endpoint-url)" in line and "-- fix:" in line

    monkeypatch.setenv("SAGEMAKER_ENDPOINT_URL", "http://127.0.0.1:1")
    line = one_line(invoke("run", "job_parser", input=json.dumps(JOB)))
    assert "http://127.0.0.1:1" in line and "SAGEMAKER_ENDPOINT_URL" in line


def test_report_into_an_unwritable_folder_is_a_usage_error_with_a_fix(workdir):
    result = invoke("report", "--out", "/proc/foo")
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("error: --out /proc/foo: cannot write there") and "-- fix: pass --out" in line


def test_report_writes_what_its_help_promises(workdir):
    pytest.importorskip("matplotlib", reason="report draws its charts with matplotlib")
    help_text = " ".join(invoke("report", "--help").output.split())
    assert "where there is evidence to draw" in help_text
    result = invoke("report", "--out", "rep", "--json")
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)["files"]
    assert written == ["report.md"]  # no evidence yet: no chart, and none is claimed
    assert sorted(p.name for p in (workdir / "rep").iterdir()) == written


# --------------------------------------------------------------------------- bench: what it ran, and its verdict


def _bench_results(quick: bool) -> dict:
    n = 60 if quick else 1000
    return {"quick": quick, "cache_hit": {"p50_ms": 0.9, "p99_ms": 2.0, "met": False},
            "batch": {"candidates": n, "records": n, "ok": n, "errors": {}, "met": True}}


@pytest.mark.parametrize("quick", [True, False])
def test_bench_names_what_it_ran_and_exits_1_only_for_a_judged_miss(workdir, monkeypatch, quick):
    import adeptai_sagemaker_lab.bench.report as bench_report

    monkeypatch.setattr(bench_report, "run_all", lambda quick_mode, **kwargs: _bench_results(quick))
    monkeypatch.setattr(bench_report, "write_report", lambda results, out_dir, command: {})
    result = invoke("bench", "--quick" if quick else "--full")
    size = "60" if quick else "1,000"
    assert f"{size}-candidate behavioral batch:" in result.stdout
    if quick:
        assert result.exit_code == 0 and "MISSED" not in result.output
        assert "cache-hit call, median: informative (quick sizes: not judged)" in result.stdout
    else:
        assert result.exit_code == 1
        assert "cache-hit call, median: MISSED" in result.stdout and "missed 1 target(s)" in result.stderr


# --------------------------------------------------------------------------- unknown input keys


def test_unknown_input_keys_are_warned_about_once_by_name(caplog):
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    fw = Framework(load_settings(env_file=None), load_entrypoints=False, cache=False)
    try:
        with caplog.at_level(logging.WARNING, logger="adeptai_sagemaker"):
            fw.coerce("job_parser", {**JOB, "foo": 1})
            fw.coerce("job_parser", {**JOB, "foo": 2})
            fw.coerce("job_parser", JOB)
    finally:
        fw.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "job_parser input has keys it does not read, ignored: foo" in warnings[0]
    assert "Senior Python" not in warnings[0]  # names only, never the text
