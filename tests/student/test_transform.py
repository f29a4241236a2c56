"""batch --engine transform: 1,000 lines through the lab's transform contract and moto's S3, also after a kill."""

from __future__ import annotations

import json

import pytest

from adeptai_sagemaker.ops.transform import TransformRun
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


def make_run(local_endpoint, s3, sm, executor, tmp_path):
    from adeptai_sagemaker_lab.demo import build_framework

    fw = build_framework(local_endpoint.url, capabilities=("job_parser",), cache_dir=str(tmp_path / "cache"))
    run = TransformRun(fw, "job_parser", "s3://bulk/in/jobs.jsonl", "s3://bulk/out/jobs.jsonl", sm=sm, s3=s3,
                       model_name="ref-tgi", chunk_size=250, executor=executor, sleep=lambda s: None, poll_s=0)
    return fw, run


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
