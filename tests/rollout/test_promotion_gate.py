"""The promotion gate end to end: shadow calls against the local endpoint -> evidence store -> `promote` in another process.

The SageMaker side is the real path (boto3 over HTTP to the local endpoint,
reference model behind it); the legacy side is a deterministic extractor close
to (or deliberately far from) the reference model's answer.
"""

from __future__ import annotations

import sqlite3

import pytest

from support.confidence import close_legacy, promote_json, reachable_env, shadow_run, wrong_legacy


pytestmark = pytest.mark.usefixtures("aws_env")


def test_mostly_agreeing_shadow_run_advances_to_canary_10(local_endpoint, tmp_path):
    state = tmp_path / "state"
    shadow_run(local_endpoint.url, state, 200, close_legacy)

    env = reachable_env(state, SAGEMAKER_JOB_PARSER_MODE="shadow")
    out = promote_json(["job_parser", "--dry-run"], env, tmp_path)

    assert (out["verdict"], out["from_mode"], out["to_mode"]) == ("advance", "shadow", "canary:10"), out["reasons"]
    ev = out["evidence"]
    assert ev["n"] == 200 and ev["comparisons"] == 200
    assert ev["agreement"] >= 0.95 and ev["agreement_lower"] >= 0.85
    fields = ev["fields"]
    assert {"mandatory_skills", "preferred_skills", "years_experience", "location",
            "education_requirements"} <= set(fields)
    # two of three skills dropped on 1 posting in 25 show up in that field and nowhere else
    assert fields["mandatory_skills"]["agreement"] == pytest.approx(1 - 8 / 200)
    assert fields["years_experience"]["agreement"] == 1.0
    assert all(f["agreement_lower"] >= 0.8 for f in fields.values() if f["n"])
    assert ev["error_rate"] == 0.0 and ev["fallback_rate"] == 0.0
    assert 0 < ev["p95_ms"] < out["budgets"]["latency_p95_ms"]
    assert out["applied"] is False
    # evidence holds names and numbers only: no posting text anywhere in the file
    raw = (state / "evidence.sqlite3").read_bytes()
    assert b"Requirements" not in raw and b"Django" not in raw and b"Austin" not in raw


def test_wrong_answers_hold_and_name_the_fields(local_endpoint, tmp_path):
    state = tmp_path / "state"
    shadow_run(local_endpoint.url, state, 200, wrong_legacy)

    env = reachable_env(state, SAGEMAKER_JOB_PARSER_MODE="shadow")
    out = promote_json(["job_parser", "--dry-run"], env, tmp_path)

    assert out["verdict"] == "hold" and out["to_mode"] == "shadow"
    assert "field:mandatory_skills" in out["faults"] and "field:years_experience" in out["faults"]
    assert "agreement" in out["faults"]
    assert "field:location" not in out["faults"]
    text = " ".join(out["reasons"])
    assert "mandatory_skills" in text and "years_experience" in text
    assert out["evidence"]["fields"]["mandatory_skills"]["agreement"] == pytest.approx(0.5)


def test_failing_endpoint_rolls_back_and_names_the_budget(local_endpoint, tmp_path):
    state = tmp_path / "state"
    local_endpoint.set_faults("ref-faulty", kind="model_error", probability=0.3, seed=7)
    shadow_run(local_endpoint.url, state, 120, close_legacy, endpoint="ref-faulty")

    env = reachable_env(state, SAGEMAKER_JOB_PARSER_MODE="shadow")
    out = promote_json(["job_parser"], env, tmp_path)  # not a dry run: the rollback is applied

    assert (out["verdict"], out["from_mode"], out["to_mode"]) == ("rollback", "shadow", "off")
    assert out["faults"] == ["fallback_rate"]
    assert "fallback_rate" in out["reasons"][0] and "model_error" in out["reasons"][0]
    # 30 % injected model errors; the circuit breaker may open on a run of them and add circuit_open
    assert out["evidence"]["fallback_rate"] > 0.15
    assert set(out["evidence"]["fallback_reasons"]) <= {"model_error_5xx", "circuit_open"}
    assert out["applied"] is True
    stored = sqlite3.connect(state / "evidence.sqlite3").execute("SELECT mode FROM modes").fetchall()
    assert stored == [("off",)]
    again = promote_json(["job_parser", "--dry-run"], env, tmp_path)
    assert again["from_mode"] == "off" and again["mode_source"] == "state"


def test_not_enough_evidence_holds(local_endpoint, tmp_path):
    state = tmp_path / "state"
    shadow_run(local_endpoint.url, state, 30, close_legacy)
    out = promote_json(["job_parser", "--dry-run"], reachable_env(state, SAGEMAKER_JOB_PARSER_MODE="shadow"), tmp_path)
    assert out["verdict"] == "hold" and out["faults"][0] == "n"
    assert "30 shadow comparisons, need 200" in out["reasons"][0]
