"""Bulk work: every input line yields exactly one output line, through faults, kills and reruns.

Real-time runs go through the CLI in a subprocess against the local endpoint
(boto3 over real HTTP) and are killed with SIGKILL half-way; async runs go
through InvokeEndpointAsync to the local endpoint, with S3 provided by moto
in this process (moto's S3 only: the endpoint itself is ours, not moto's
sagemaker-runtime mock).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adeptai_sagemaker.ops.batch import completed_ids, read_records, run_batch
from adeptai_sagemaker.core.errors import InputValidationError
from support.env import DUMMY_AWS_ENV

POSTINGS = ("Senior Python engineer, 5+ years, AWS required.", "Registered nurse, RN license and BLS required.",
            "Junior accountant: Excel and GAAP, 1+ years.", "Forklift operator, OSHA certification required.")
CLI = [sys.executable, "-c", "from adeptai_sagemaker.cli import main; main()"]


def write_input(path: Path, n: int) -> list[str]:
    ids = [f"rec-{i:04d}" for i in range(n)]
    with open(path, "w", encoding="utf-8") as fh:
        for i, rid in enumerate(ids):
            fh.write(json.dumps({"id": rid, "job_description": POSTINGS[i % len(POSTINGS)] + f" Req {i}."}) + "\n")
    return ids


def output_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cli_env(url: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "ADEPTAI_", "AWS_"))}
    env.update({**DUMMY_AWS_ENV, "SAGEMAKER_ENDPOINT_URL": url, "SAGEMAKER_JOB_PARSER_ENDPOINT": "batch-ep",
                "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / "cache"), "ADEPTAI_SAGEMAKER_PLUGINS": ""})
    return env


@pytest.mark.slow
def test_thousand_lines_with_faults_survive_a_kill_and_a_rerun(local_endpoint, tmp_path):
    local_endpoint.set_faults("batch-ep", kind="model_error", original_status=400, probability=0.05, seed=11)
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = write_input(source, 1000)
    args = CLI + ["batch", "job_parser", "--input", str(source), "--output", str(sink), "--concurrency", "8"]
    env = cli_env(local_endpoint.url, tmp_path)

    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if sink.exists() and sink.read_bytes().count(b"\n") >= 300:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stderr.read()[-2000:]!r}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    first = sink.read_bytes().count(b"\n")
    assert 300 <= first < 1000

    rerun = subprocess.run(args + ["--json"], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert rerun.returncode == 1, rerun.stderr[-2000:]  # some records are (injected) errors: exit 1, still complete
    summary = json.loads(rerun.stdout[rerun.stdout.index("{"):])
    lines = output_lines(sink)
    assert len(lines) == 1000
    assert sorted(line["id"] for line in lines) == ids  # each id once: none lost, none repeated
    assert summary["skipped"] + summary["written_this_run"] == 1000 and summary["skipped"] >= first - 1
    errors = [line for line in lines if "error" in line]
    assert all(set(line) == {"id", "error"} and line["error"]["code"] == "ModelError" for line in errors)
    assert 20 <= len(errors) <= 90  # about 5% injected
    answered = [line for line in lines if "output" in line]
    assert all(line["output"]["mandatory_skills"] is not None for line in answered)


def test_a_torn_last_line_is_cut_and_its_record_redone(tmp_path):
    sink = tmp_path / "out.jsonl"
    sink.write_text('{"id": "a", "output": {}}\n{"id": "b", "outp', encoding="utf-8")
    assert completed_ids(sink) == {'"a"'}
    assert sink.read_text(encoding="utf-8") == '{"id": "a", "output": {}}\n'


def test_bad_lines_become_error_records_and_ids_default_to_line_numbers(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"job_description": "Nurse"}\n\n{nope\n[1, 2]\n{"id": true, "job_description": "x"}\n',
                      encoding="utf-8")
    records = list(read_records(source))
    assert [r.id for r in records] == [1, 3, 4, 5]  # the blank line 2 is not a record
    assert [r.problem[0] if r.problem else None for r in records] == [None, "invalid_json", "not_an_object",
                                                                      "invalid_id"]
    assert "Nurse" not in json.dumps([r.problem for r in records])


def test_duplicate_ids_are_refused_before_anything_runs(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 7, "job_description": "a"}\n{"id": 7, "job_description": "b"}\n', encoding="utf-8")

    class NeverCalled:
        def has_backend(self, name):
            return False

        def invoke(self, *a, **k):
            raise AssertionError("no record may run when the input is ambiguous")

    with pytest.raises(InputValidationError, match="duplicate id 7 on lines 1 and 2"):
        run_batch(NeverCalled(), "job_parser", source, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


# --------------------------------------------------------------------------- async inference on moto's S3

BUCKET = "adeptai-batch-async"


@pytest.fixture
def s3(aws_env):
    moto = pytest.importorskip("moto", reason="async batch tests need moto (dev extra)")
    import boto3

    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def async_framework(url: str):
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=url,
                             sagemaker_async_s3_prefix=f"s3://{BUCKET}/batch-in", sagemaker_async_poll_s=0.01,
                             sagemaker_async_timeout_s=60, capabilities={"job_parser": {"endpoint": "batch-async"}})
    return Framework(settings, load_entrypoints=False, cache=False)


def test_async_batch_interrupted_and_rerun_on_moto(s3, tmp_path):
    from adeptai_sagemaker_lab.server import LocalEndpoint

    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = write_input(source, 1000)
    with LocalEndpoint({"batch-async": "tgi"}, default_dialect=None) as ep:
        ep.set_faults("batch-async", kind="model_error", original_status=400, probability=0.05, seed=3)

        class Interrupted(Exception):
            pass

        def stop_half_way(done: int, total: int) -> None:
            if done >= 500:
                raise Interrupted

        fw = async_framework(ep.url)
        try:
            with pytest.raises(Interrupted):
                run_batch(fw, "job_parser", source, sink, concurrency=16, use_async=True, on_progress=stop_half_way)
            assert 500 <= len(output_lines(sink)) < 1000
            summary = run_batch(fw, "job_parser", source, sink, concurrency=16, use_async=True)
        finally:
            fw.close()
    lines = output_lines(sink)
    assert len(lines) == 1000 and sorted(line["id"] for line in lines) == ids
    assert summary.skipped >= 500 and summary.sent_async == summary.written
    failed = [line for line in lines if "error" in line]
    assert 20 <= len(failed) <= 90 and all(line["error"]["code"] == "AsyncInferenceFailed" for line in failed)
    # one S3 input object per record sent, named by its InferenceId
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="batch-in/")
            for o in page.get("Contents", [])]
    assert "batch-in/in-rec-0000.in" in keys and len(keys) >= 1000


def test_async_without_an_s3_prefix_names_the_setting(local_endpoint, tmp_path):
    from adeptai_sagemaker.core.errors import ConfigurationError
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    source = tmp_path / "in.jsonl"
    write_input(source, 2)
    fw = Framework(load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=local_endpoint.url,
                                 capabilities={"job_parser": {"endpoint": "batch-ep"}}), load_entrypoints=False,
                   cache=False)
    try:
        with pytest.raises(ConfigurationError, match="SAGEMAKER_ASYNC_S3_PREFIX"):
            run_batch(fw, "job_parser", source, tmp_path / "out.jsonl", use_async=True)
    finally:
        fw.close()
