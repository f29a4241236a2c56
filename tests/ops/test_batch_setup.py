"""``batch``: setup problems stop the run before its first record, loopback needs no AWS setup, reruns retry
what may succeed now, and an interrupted run says how to resume.

The CLI runs through click's ``CliRunner`` against the lab's local endpoint (boto3 over real HTTP, real
SigV4); failures are injected by the endpoint's fault rules, not by mocks. Missing credentials are real:
the shared fixtures point boto3's config files at /dev/null and turn the instance metadata service off.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the local endpoint needs the lab's 'serve' extra")

from adeptai_sagemaker.cli import cli  # noqa: E402
from adeptai_sagemaker.core.errors import ConfigurationError, InputValidationError, ThrottlingError  # noqa: E402
from adeptai_sagemaker.ops.batch import resume_output, retry_on_rerun, run_batch  # noqa: E402

POSTING = "Senior Python engineer, 5+ years, AWS required. Remote."


def write_input(path: Path, n: int) -> list[str]:
    ids = [f"r{i}" for i in range(n)]
    path.write_text("".join(json.dumps({"id": rid, "job_description": f"{POSTING} Req {i}."}) + "\n"
                            for i, rid in enumerate(ids)), encoding="utf-8")
    return ids


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_PLUGINS", "")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "batch-setup-ep")
    return tmp_path


def batch(*args: str):
    return CliRunner().invoke(cli, ["batch", "job_parser", *args], prog_name="adeptai-sagemaker",
                              catch_exceptions=False)


# --------------------------------------------------------------------------- loopback: no AWS setup


@pytest.mark.parametrize("via", ["flag", "env"])
def test_batch_to_a_loopback_endpoint_answers_every_record_with_no_aws_setup(workdir, local_endpoint, monkeypatch, via):
    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    ids = write_input(source, 6)
    extra = ["--endpoint-url", local_endpoint.url] if via == "flag" else []
    if via == "env":
        monkeypatch.setenv("SAGEMAKER_ENDPOINT_URL", local_endpoint.url)
    result = batch("--input", str(source), "--output", str(sink), *extra)
    assert result.exit_code == 0, result.output
    lines = lines_of(sink)
    assert sorted(line["id"] for line in lines) == ids and all("output" in line for line in lines)
    assert "6 answered, 0 errors" in result.stdout


# --------------------------------------------------------------------------- a real endpoint: preflight


def test_a_real_endpoint_without_a_region_stops_before_the_first_record(workdir):
    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    write_input(source, 5)
    result = batch("--input", str(source), "--output", str(sink))
    assert result.exit_code == 2
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    assert line.startswith("error: AWS region is not set") and "-- fix:" in line and "AWS_REGION" in line
    assert not sink.exists() or sink.read_text() == ""  # not one error line per record


def test_a_real_endpoint_without_credentials_stops_before_the_first_record(workdir, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    write_input(source, 5)
    result = batch("--input", str(source), "--output", str(sink))
    assert result.exit_code == 2
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    assert line.startswith("error: no AWS credentials found") and "-- fix:" in line
    assert not sink.exists() or sink.read_text() == ""


# --------------------------------------------------------------------------- reruns


def test_rerun_retries_setup_errors_of_an_earlier_run_and_keeps_invalid_input(workdir, local_endpoint):
    """The output of a run made before the setup was fixed: setup errors (written without the retry flag, as
    older versions did), one record that failed for good, one answer. The rerun answers the setup errors."""
    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    ids = write_input(source, 4)
    setup_error = {"code": "ConfigurationError", "message": "AWS region is not set"}
    sink.write_text("".join(json.dumps(line) + "\n" for line in [
        {"id": "r0", "error": setup_error}, {"id": "r1", "error": setup_error},
        {"id": "r2", "error": {"code": "InvalidInput", "message": "x", "retry_on_rerun": False}},
        {"id": "r3", "output": {"title": "kept"}}]), encoding="utf-8")
    result = batch("--input", str(source), "--output", str(sink), "--endpoint-url", local_endpoint.url, "--json")
    summary = json.loads(result.stdout)
    assert (summary["retried"], summary["succeeded"], summary["skipped"], summary["failed"]) == (2, 2, 2, 0)
    assert summary["errors_in_output"] == 1 and summary["kept_errors"] == {"InvalidInput": 1}
    assert result.exit_code == 1  # the output still holds an error line
    lines = {line["id"]: line for line in lines_of(sink)}
    assert sorted(lines) == ids and len(lines_of(sink)) == 4  # one line per id, still
    assert "output" in lines["r0"] and "output" in lines["r1"] and lines["r3"]["output"] == {"title": "kept"}
    assert lines["r2"]["error"]["code"] == "InvalidInput"

    text = batch("--input", str(source), "--output", str(sink), "--endpoint-url", local_endpoint.url)
    assert text.exit_code == 1
    assert "holds 1 error lines" in text.stdout and "failed for good" in text.stdout


def test_retryable_failures_are_retried_by_the_next_run_and_client_errors_are_kept(workdir, local_endpoint):
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    ids = write_input(source, 6)
    settings = load_settings(env_file=None, sagemaker_endpoint_url=local_endpoint.url,
                             capabilities={"job_parser": {"endpoint": "batch-retry-ep", "max_attempts": 1}})
    fw = Framework(settings, load_entrypoints=False, cache=False)
    try:
        local_endpoint.set_faults("batch-retry-ep", kind="service_unavailable", count=3)
        first = run_batch(fw, "job_parser", source, sink, concurrency=1)
        assert (first.failed, first.succeeded) == (3, 3) and first.errors == {"ServiceUnavailable": 3}
        assert all(line["error"]["retry_on_rerun"] for line in lines_of(sink) if "error" in line)

        local_endpoint.set_faults("batch-retry-ep", kind="model_error", original_status=400, count=1)
        second = run_batch(fw, "job_parser", source, sink, concurrency=1)
        assert (second.retried, second.skipped, second.succeeded, second.failed) == (3, 3, 2, 1)
        (kept,) = [line for line in lines_of(sink) if "error" in line]
        assert kept["error"]["code"] == "ModelError" and kept["error"]["retry_on_rerun"] is False

        local_endpoint.clear_faults()
        third = run_batch(fw, "job_parser", source, sink, concurrency=1)
        assert (third.retried, third.skipped, third.written) == (0, 6, 0)  # a 4xx from the model stays
        assert third.errors_in_output == 1 and third.kept_errors == {"ModelError": 1}
    finally:
        fw.close()
    assert sorted(line["id"] for line in lines_of(sink)) == ids


def test_which_failures_a_rerun_retries():
    from adeptai_sagemaker.core.errors import (ConnectionFailedError, EndpointTimeoutError, InputTooLargeError,
                                               ModelError)

    assert retry_on_rerun(ConfigurationError("no region")) and retry_on_rerun(ThrottlingError())
    assert retry_on_rerun(EndpointTimeoutError()) and retry_on_rerun(ConnectionFailedError())
    assert retry_on_rerun(ModelError(original_status_code=503)) and retry_on_rerun(RuntimeError("a bug"))
    assert not retry_on_rerun(ModelError(original_status_code=400))
    assert not retry_on_rerun(InputValidationError("bad")) and not retry_on_rerun(InputTooLargeError(10, 5))


def test_removing_retried_lines_keeps_the_rest_byte_for_byte(tmp_path):
    sink = tmp_path / "out.jsonl"
    kept = '{"id": "a", "output": {"x": "é"}}\n{"id": "b", "error": {"code": "X", "retry_on_rerun": false}}\n'
    sink.write_text(kept + '{"id": "c", "error": {"code": "Throttling", "retry_on_rerun": true}}\n{"id": "d", "ou',
                    encoding="utf-8")
    resume = resume_output(sink)
    assert resume.done == {'"a"', '"b"'} and resume.retrying == 1 and resume.kept_errors == {"X": 1}
    assert sink.read_text(encoding="utf-8") == kept
    assert not list(tmp_path.glob("*.rerun"))


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_prints_the_exact_command_that_resumes(workdir, monkeypatch):
    import adeptai_sagemaker.ops.batch as ops_batch

    def interrupted(*args, on_progress=None, **kwargs):
        on_progress(3, 10)
        raise KeyboardInterrupt

    monkeypatch.setattr(ops_batch, "run_batch", interrupted)
    source = workdir / "my input.jsonl"
    write_input(source, 10)
    result = batch("--input", str(source), "--output", "out.jsonl", "--concurrency", "4", "--endpoint-url",
                   "http://127.0.0.1:9")
    assert result.exit_code == 130
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    assert line == (f"interrupted: 3 of 10 records are in out.jsonl; resume with: adeptai-sagemaker batch job_parser "
                    f"--input '{source}' --output out.jsonl --concurrency 4 --endpoint-url http://127.0.0.1:9")


def test_an_interrupted_run_loses_and_repeats_nothing_on_rerun(workdir, local_endpoint):
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    source, sink = workdir / "in.jsonl", workdir / "out.jsonl"
    ids = write_input(source, 30)

    def ctrl_c_after_ten(done: int, total: int) -> None:
        if done >= 10:
            raise KeyboardInterrupt

    settings = load_settings(env_file=None, sagemaker_endpoint_url=local_endpoint.url,
                             capabilities={"job_parser": {"endpoint": "batch-ctrl-c"}})
    fw = Framework(settings, load_entrypoints=False, cache=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_batch(fw, "job_parser", source, sink, concurrency=4, on_progress=ctrl_c_after_ten)
        assert 10 <= len(lines_of(sink)) < 30
        summary = run_batch(fw, "job_parser", source, sink, concurrency=4)
    finally:
        fw.close()
    assert sorted(line["id"] for line in lines_of(sink)) == sorted(ids) and summary.skipped + summary.written == 30
