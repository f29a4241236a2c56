"""eval --compare legacy local --set captured-test: per-field agreement of the student with its captured teacher,
and ``promote --dry-run`` from off reporting that offline evidence, on either state store.

Where moto stops (the DynamoDB case): ``mock_aws`` answers the store's DynamoDB requests inside this process
(table creation, ``PutItem``, ``Query``); the student's calls still go over real HTTP to the lab's local
endpoint (a loopback URL moto does not intercept). moto models no throttling or consistency lag.
"""

from __future__ import annotations

import json
import time

import pytest

from adeptai_sagemaker.adapters.matcher import output_from_requirements
from adeptai_sagemaker.cli import main
from adeptai_sagemaker.student.dataset import split_of
from adeptai_sagemaker.plugin.tasks import input_fingerprint
from adeptai_sagemaker.capabilities.schemas import JobParserInput
from student_support import capture_framework, posting, teacher


@pytest.fixture(params=["sqlite", "dynamodb"])
def state_store(request, monkeypatch, tmp_path):
    """The state store every process of the test builds from env: SQLite (the default), or a DynamoDB table on
    moto (``ADEPTAI_SAGEMAKER_STATE_URL=dynamodb://...``, created as ``state init`` creates it)."""
    if request.param == "sqlite":
        yield request.param
        return
    moto = pytest.importorskip("moto", reason="moto is a dev dependency")
    from support.env import DUMMY_AWS_ENV

    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_URL", f"dynamodb://offline-{tmp_path.name}")
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.rollout.state import store_for

    with moto.mock_aws():
        store = store_for(load_settings(env_file=None))
        assert store.init()["created"] is True
        store.close()
        yield request.param


def stored_offline(capability: str):
    """The offline evidence of ``capability`` as the gate reads it: every host's aggregate pooled."""
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.rollout.state import store_for
    from adeptai_sagemaker.rollout.state.pooling import Aggregate

    store = store_for(load_settings(env_file=None))
    try:
        pooled = Aggregate()
        for agg in store.evidence(capability, "offline").values():
            pooled.merge(agg)
        return pooled, store.url
    finally:
        store.close()


def test_eval_prints_per_field_agreement_and_stores_offline_evidence(state_store, tmp_path, capsys, monkeypatch):
    fw = capture_framework(tmp_path, {"job_parser": {"mode": "off", "capture": True}})
    texts = [posting(i) for i in range(120)]
    for text in texts:
        fw.call("job_parser", {"job_description": text}, legacy=lambda t=text: teacher(t),
                from_legacy=output_from_requirements)
    fw.close()
    in_test = [t for t in texts if split_of(input_fingerprint(JobParserInput(job_description=t))) == "test"]
    assert in_test

    monkeypatch.setenv("ADEPTAI_LAB_MODEL", "reference")
    try:
        main(["--json", "eval", "job_parser", "--set", "captured-test", "--compare", "legacy", "local",
              "--location", str(tmp_path / "capture")])
    except SystemExit as exc:
        assert exc.code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == len(in_test) and report["compare"] == ["legacy", "local"]
    assert {"mandatory_skills", "preferred_skills", "years_experience"} <= set(report["fields"])
    for field in report["fields"].values():
        assert 0.0 <= field["agreement"] <= 1.0 and field["n"] >= 1
    assert report["gate"]["verdict"] in ("advance", "hold", "rollback")

    pooled, where = stored_offline("job_parser")
    assert where.startswith(state_store)  # the evidence went to the store under test
    assert pooled.count("attempted") == len(in_test) and pooled.count("calls") == 0
    assert pooled.count("compared") == report["answered"] == len(in_test) - pooled.count("shadow_failed")
    assert {"mandatory_skills", "preferred_skills", "years_experience"} <= set(pooled.fields)
    assert pooled.fields["mandatory_skills"][0] == report["fields"]["mandatory_skills"]["n"]

    # promote from off reports the offline verdict beside its own step, and changes nothing on a dry run
    reachable(monkeypatch)
    promoted = run_json(["promote", "job_parser", "--dry-run", "--json"], capsys)
    assert (promoted["from_mode"], promoted["verdict"], promoted["to_mode"]) == ("off", "advance", "shadow")
    assert promoted["applied"] is False and promoted["evidence"]["n"] == 0  # no live evidence at off
    offline = promoted["offline"]
    assert offline["verdict"] == report["gate"]["verdict"] and offline["reasons"] == report["gate"]["reasons"]
    assert offline["evidence"]["n"] == len(in_test) and offline["from_mode"] == "shadow"
    assert set(offline["evidence"]["fields"]) >= {"mandatory_skills", "preferred_skills", "years_experience"}
    text = run_text(["promote", "job_parser", "--dry-run"], capsys)
    assert f"offline evidence (eval --set captured-test, shadow criteria): {offline['verdict']} (n={len(in_test)}" in text
    assert run_json(["promote", "job_parser", "--dry-run", "--json"], capsys)["from_mode"] == "off"  # still off


def test_promote_reports_no_offline_verdict_without_offline_evidence_or_past_off(monkeypatch, capsys):
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.rollout.state import EvidenceBatch, store_for

    reachable(monkeypatch)
    assert run_json(["promote", "job_parser", "--dry-run", "--json"], capsys)["offline"] is None
    assert "offline evidence" not in run_text(["promote", "job_parser", "--dry-run"], capsys)
    store = store_for(load_settings(env_file=None))
    now = time.time()  # within the store's retention
    store.add_evidence(EvidenceBatch("test#1", "test", now, [], [
        {"ts": now, "capability": "job_parser", "mode": "offline", "sagemaker_ok": 1, "latency_ms": 5.0,
         "score": 1.0, "agree": 1, "fields": json.dumps({"location": [1.0, 1]})} for _ in range(3)]))
    store.close()
    offline = run_json(["promote", "job_parser", "--dry-run", "--json"], capsys)["offline"]
    assert offline["verdict"] == "hold" and offline["evidence"]["n"] == 3  # too few for the shadow criteria
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "shadow")  # past off, live shadow evidence is what counts
    assert run_json(["promote", "job_parser", "--dry-run", "--json"], capsys)["offline"] is None


def reachable(monkeypatch) -> None:
    """A region and an endpoint for job_parser: ``promote`` holds (exit 1) a module that cannot reach one."""
    for name, value in (("AWS_REGION", "us-east-1"), ("SAGEMAKER_JOB_PARSER_ENDPOINT", "ref-tgi"),
                        ("SAGEMAKER_ENDPOINT_URL", "http://127.0.0.1:9")):
        monkeypatch.setenv(name, value)


def run_text(argv, capsys) -> str:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0, capsys.readouterr()
    return capsys.readouterr().out


def run_json(argv, capsys) -> dict:
    return json.loads(run_text(argv, capsys))
