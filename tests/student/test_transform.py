"""batch --engine transform: 1,000 lines through the lab's transform contract and moto's S3, also after a kill;
the command line end to end; a job that ended Failed or Stopped is sent again on the rerun.

Where moto stops: it keeps a transform job's metadata and reports it ``Completed`` at once; it never runs
the job (the lab's ``LocalTransform`` does, against the local endpoint) and never fails or stops one (a
wrapper reports that status, as ``DescribeTransformJob`` would after a container crash or a
``StopTransformJob``).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.cli import cli
from adeptai_sagemaker.core.errors import AdeptSageMakerError
from adeptai_sagemaker.ops.transform import TransformRun, transform_job_name
from student_support import posting

pytest.importorskip("moto")


@pytest.fixture()
def aws(monkeypatch):
    import boto3
    import moto

    for key, value in {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bulk")
        lines = [json.dumps({"id": f"r{i}", "job_description": posting(i) if i % 100 else 5}) for i in range(1000)]
        s3.put_object(Bucket="bulk", Key="in/jobs.jsonl", Body=("\n".join(lines) + "\n").encode())
        yield s3, boto3.client("sagemaker", region_name="us-east-1")


class Killed(BaseException):
    """Stands for the process being killed while a transform job runs."""


def make_run(local_endpoint, s3, sm, executor, tmp_path, *, name="jobs", chunk_size=250):
    from adeptai_sagemaker_lab.demo import build_framework

    fw = build_framework(local_endpoint.url, capabilities=("job_parser",), cache_dir=str(tmp_path / "cache"))
    run = TransformRun(fw, "job_parser", f"s3://bulk/in/{name}.jsonl", f"s3://bulk/out/{name}.jsonl", sm=sm, s3=s3,
                       model_name="ref-tgi", chunk_size=chunk_size, executor=executor, sleep=lambda s: None, poll_s=0)
    return fw, run


def put_small(s3, name: str, n: int = 30) -> list[str]:
    """A small input object of ``n`` valid postings; their ids."""
    ids = [f"s{i}" for i in range(n)]
    body = "".join(json.dumps({"id": rid, "job_description": posting(i)}) + "\n" for i, rid in enumerate(ids))
    s3.put_object(Bucket="bulk", Key=f"in/{name}.jsonl", Body=body.encode())
    return ids


def output_lines(s3, name: str) -> list[dict]:
    return [json.loads(line) for line in s3.get_object(Bucket="bulk", Key=f"out/{name}.jsonl")["Body"].read().splitlines()]


def test_1000_lines_each_id_once_also_after_a_kill_and_a_rerun(local_endpoint, aws, tmp_path):
    from adeptai_sagemaker_lab.transform import LocalTransform

    s3, sm = aws
    transform = LocalTransform(s3, local_endpoint.client(), "ref-tgi")
    jobs_seen = []

    def killed_on_third_job(request):
        jobs_seen.append(request)
        if len(jobs_seen) == 3:
            raise Killed()  # the job was created; the client died before its output was read
        transform(request)

    fw, run = make_run(local_endpoint, s3, sm, killed_on_third_job, tmp_path)
    with pytest.raises(Killed):
        run.run()
    fw.close()
    request = jobs_seen[0]
    assert request["TransformInput"]["SplitType"] == "Line" and request["TransformOutput"]["AssembleWith"] == "Line"
    assert request["BatchStrategy"] == "SingleRecord"
    sent_before_kill = transform.records

    fw, run = make_run(local_endpoint, s3, sm, transform, tmp_path)
    summary = run.run()
    fw.close()
    assert summary.skipped == 500  # the two chunks finished before the kill are not sent again
    assert summary.written == 500 and len(summary.jobs) == 2
    assert transform.records - sent_before_kill == 500 - 5  # the 5 invalid inputs of the rest never reach the container

    out = [json.loads(line) for line in s3.get_object(Bucket="bulk", Key="out/jobs.jsonl")["Body"].read().splitlines()]
    ids = [line["id"] for line in out]
    assert len(out) == 1000 and len(set(ids)) == 1000 and set(ids) == {f"r{i}" for i in range(1000)}
    errors = {line["id"]: line["error"]["code"] for line in out if "error" in line}
    assert errors == {f"r{i}": "InputValidation" for i in range(0, 1000, 100)}, {k: v for k, v in errors.items() if int(k[1:]) % 100}
    answered = [line for line in out if "output" in line]
    assert all(isinstance(line["output"]["mandatory_skills"], list) for line in answered)

    fw, run = make_run(local_endpoint, s3, sm, transform, tmp_path)  # a third run has nothing left to do
    assert run.run().skipped == 1000
    fw.close()


def test_the_command_line_runs_the_lab_transform_end_to_end_and_resumes(local_endpoint, aws, tmp_path):
    s3, sm = aws
    ids = put_small(s3, "cli")
    argv = ["batch", "job_parser", "--engine", "transform", "--local", "--endpoint-url", local_endpoint.url,
            "--input", "s3://bulk/in/cli.jsonl", "--output", "s3://bulk/out/cli.jsonl", "--chunk-size", "10", "--json"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["total"], summary["succeeded"], summary["failed"], summary["skipped"]) == (30, 30, 0, 0)
    assert summary["engine"] == "transform" and len(summary["jobs"]) == 3
    for job in summary["jobs"]:  # created through the SageMaker API (moto), running the lab's local model
        described = sm.describe_transform_job(TransformJobName=job)
        assert described["ModelName"] == "local-reference" and described["TransformInput"]["SplitType"] == "Line"
    out = output_lines(s3, "cli")
    assert sorted(line["id"] for line in out) == sorted(ids)  # one line per record (in part order)
    assert all(isinstance(line["output"]["mandatory_skills"], list) for line in out)

    again = CliRunner().invoke(cli, argv)  # the rerun finds every id done and creates no job
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["skipped"] == 30 and json.loads(again.stdout)["jobs"] == []
    assert len(sm.list_transform_jobs()["TransformJobSummaries"]) == 3
    assert output_lines(s3, "cli") == out


class ReportsEnded:
    """moto's SageMaker client, except that the jobs in ``ended`` are reported with ``status`` (Failed/Stopped)."""

    def __init__(self, sm, status: str):
        self.sm, self.status, self.ended = sm, status, set()

    def __getattr__(self, name):
        return getattr(self.sm, name)

    def describe_transform_job(self, **kwargs):
        answer = self.sm.describe_transform_job(**kwargs)
        if kwargs["TransformJobName"] in self.ended:
            answer = {**answer, "TransformJobStatus": self.status}
        return answer


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_a_job_that_ended_failed_or_stopped_is_sent_again_on_the_rerun(local_endpoint, aws, tmp_path, status):
    from adeptai_sagemaker_lab.transform import LocalTransform

    s3, moto_sm = aws
    ids = put_small(s3, "flaky")
    sm = ReportsEnded(moto_sm, status)
    transform = LocalTransform(s3, local_endpoint.client(), "ref-tgi")
    keys = [json.dumps(i) for i in ids]  # ids compare by their JSON text (ops/batch.py)
    second_chunk = transform_job_name("job_parser", keys[10:20])

    def ends_the_second_chunk(request):
        transform(request)  # the container wrote its answers, and still the job ended badly: none may be used
        if request["TransformJobName"] == second_chunk:
            sm.ended.add(second_chunk)

    fw, run = make_run(local_endpoint, s3, sm, ends_the_second_chunk, tmp_path, name="flaky", chunk_size=10)
    with pytest.raises(AdeptSageMakerError, match=f"ended {status}") as failed:
        run.run()
    fw.close()
    assert failed.value.code == f"Transform{status}"
    done, parts = run._done()
    assert done == set(keys[:10]) and len(parts) == 1  # the ended chunk's records are not counted as done
    sent_before = transform.records

    fw, run = make_run(local_endpoint, s3, sm, ends_the_second_chunk, tmp_path, name="flaky", chunk_size=10)
    summary = run.run()
    fw.close()
    assert summary.skipped == 10 and summary.succeeded == 20 and summary.failed == 0
    assert summary.jobs[0] == f"{second_chunk}-r1"  # a new job: SageMaker never reuses a name
    assert moto_sm.describe_transform_job(TransformJobName=f"{second_chunk}-r1")["TransformJobStatus"] == "Completed"
    assert transform.records - sent_before == 20  # the ended chunk's 10 records again, and the last chunk's 10
    out = output_lines(s3, "flaky")
    assert sorted(line["id"] for line in out) == sorted(ids) and all("output" in line for line in out)
