"""finetune: the CreateTrainingJob request (botocore's validator), a run on moto, deploy --model-data, lineage."""

from __future__ import annotations

import hashlib
import json

import pytest

from adeptai_sagemaker.cli import main
from adeptai_sagemaker.student import dataset
from adeptai_sagemaker.student.capture import LocalShards

URIS = ["--training-image", "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:2.0.0-gpu",
        "--model-uri", "s3://jumpstart-cache-prod-us-east-1/meta-textgeneration/llama-3-1-8b-instruct/artifacts/",
        "--source-uri", "s3://jumpstart-cache-prod-us-east-1/source-directory-tarballs/meta/transfer_learning/sourcedir.tar.gz"]
ROLE = "arn:aws:iam::123456789012:role/sagemaker-training"


@pytest.fixture()
def built(tmp_path, monkeypatch):
    for key, value in {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    shards = LocalShards(tmp_path / "capture")
    for i in range(40):
        shards.write("job_parser", json.dumps({"kind": "example", "capability": "job_parser", "time": i,
                                               "input_hash": hashlib.sha256(str(i).encode()).hexdigest(), "system": "s", "user": f"u{i}",
                                               "output": {"mandatory_skills": [str(i)]}}))
    shards.close()
    dataset.build(str(tmp_path / "capture"), "job_parser", tmp_path / "ds", "jumpstart")
    return tmp_path / "ds"


def run_cli(argv, capsys) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    run_cli.err = captured.err
    return code, captured.out


def finetune_args(ds, *extra):
    return ["finetune", "job_parser", "--dataset", str(ds), "--base-model", "meta-textgeneration-llama-3-1-8b-instruct",
            "--role-arn", ROLE, "--instance-type", "ml.g5.12xlarge", "--s3-prefix", "s3://students/runs", *URIS, *extra]


def test_dry_run_prints_a_request_botocores_validator_accepts(built, capsys):
    import botocore.session
    from botocore.validate import ParamValidator

    code, out = run_cli(finetune_args(built, "--hyperparameter", "epoch=5", "--dry-run", "--json"), capsys)
    assert code == 0, out
    data = json.loads(out)
    request = data["create_training_job"]
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTrainingJob").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    params = request["HyperParameters"]
    assert all(isinstance(v, str) for v in params.values())
    assert params["instruction_tuned"] == "True" and params["chat_dataset"] == "False" and params["epoch"] == "5"
    assert {c["ChannelName"] for c in request["InputDataConfig"]} == {"training", "validation", "model"}
    assert request["Environment"] == {"accept_eula": "true"}
    assert {u["to"].rsplit("/", 2)[-2] + "/" + u["to"].rsplit("/", 1)[-1] for u in data["uploads"]} == {
        "training/train.jsonl", "training/template.json", "validation/validation.jsonl", "validation/template.json"}


def test_a_messages_dataset_is_refused_with_the_fix(tmp_path, built, capsys):
    dataset.build(str(tmp_path / "capture"), "job_parser", tmp_path / "msg", "messages")
    code, _ = run_cli(finetune_args(tmp_path / "msg", "--dry-run"), capsys)
    assert code == 2
    assert "--format jumpstart" in " ".join(run_cli.err.split())


def test_a_run_on_moto_completes_prints_the_artifact_and_deploy_plans_the_endpoint(built, capsys, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="students")
        code, out = run_cli(finetune_args(built, "--poll", "0", "--json"), capsys)
        assert code == 0, out
        result = json.loads(out)
        assert result["status"] == "Completed" and result["artifact"].startswith("s3://")  # moto completes at once
        job = boto3.client("sagemaker", region_name="us-east-1").describe_training_job(TrainingJobName=result["job"])
        assert job["HyperParameters"]["instruction_tuned"] == "True"
        keys = {o["Key"].split("/", 2)[-1] for o in s3.list_objects_v2(Bucket="students")["Contents"]}
        assert {"training/train.jsonl", "training/template.json", "validation/validation.jsonl"} <= keys

        code, out = run_cli(["deploy", "--model-data", result["artifact"], "--endpoint-name", "job-parser-student",
                             "--image", "763104351884.dkr.ecr.us-east-1.amazonaws.com/tgi:latest", "--role-arn", ROLE,
                             "--no-alarms", "--dry-run", "--json"], capsys)
        assert code == 0, out
        plan = json.loads(out)
        model = plan["requests"][0]["request"]
        assert plan["requests"][0]["call"] == "sagemaker:CreateModel"
        container = model.get("PrimaryContainer") or model["Containers"][0]
        assert container["ModelDataUrl"] == result["artifact"]
        assert container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
        assert plan["student_run"]["dataset_id"] == result["dataset_id"]  # which dataset this endpoint will serve


def test_report_shows_which_dataset_made_which_endpoint(built, tmp_path, capsys):
    """finetune (a real run on moto) -> deploy --model-data (applied on moto) -> report, per module."""
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    pytest.importorskip("matplotlib", reason="report draws charts with matplotlib")
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="students")
        code, out = run_cli(finetune_args(built, "--poll", "0", "--json"), capsys)
        assert code == 0, out
        trained = json.loads(out)
        code, out = run_cli(["deploy", "--model-data", trained["artifact"], "--endpoint-name", "job-parser-student",
                             "--image", "763104351884.dkr.ecr.us-east-1.amazonaws.com/tgi:latest", "--role-arn", ROLE,
                             "--instance-type", "ml.g4dn.xlarge",  # moto's instance list predates ml.g5
                             "--no-alarms", "--no-autoscaling", "--json"], capsys)
        assert code == 0, out + run_cli.err
        assert json.loads(out)["endpoint_name"] == "job-parser-student"

    code, out = run_cli(["report", "--capability", "job_parser", "--capability", "query_enhancer",
                         "--out", str(tmp_path / "report"), "--json"], capsys)
    assert code == 0, out
    students = {s["capability"]: s["students"] for s in json.loads(out)["summaries"]}
    assert students["query_enhancer"] == []  # no student trained for it
    [run] = students["job_parser"]
    assert (run["dataset_id"], run["job"], run["artifact"]) == (trained["dataset_id"], trained["job"], trained["artifact"])
    assert run["endpoints"] == ["job-parser-student"] and run["status"] == "Completed"
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    job_parser_section = text.split("## job_parser", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in job_parser_section.splitlines() if line.startswith(f"| {trained['dataset_id']} |"))
    assert trained["job"] in row and trained["artifact"] in row and row.endswith("| job-parser-student |")
    assert trained["dataset_id"] not in text.split("## query_enhancer", 1)[1]
