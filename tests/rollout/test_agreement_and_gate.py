"""Field-level agreement, the Wilson bound, the gate's verdicts, budgets, the evidence store's bounds, the report."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.adapters.matcher import requirements_from_output
from adeptai_sagemaker.rollout.agreement import CAPABILITY_FIELDS, compare, compare_answers, set_f1
from adeptai_sagemaker.rollout.budgets import latency_budget_ms, projected_p95_ms
from adeptai_sagemaker.plugin.calls import CallRecord
from adeptai_sagemaker.cli import cli
from adeptai_sagemaker.ops.deploy import AlarmSpec
from adeptai_sagemaker.observers.evidence import EvidenceRecorder
from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore as EvidenceStore
from adeptai_sagemaker.rollout.gate import Thresholds, decide, next_mode, summarize, wilson_interval
from adeptai_sagemaker.capabilities.schemas import JobParserOutput
from adeptai_sagemaker.core.settings import load_settings

JOB = JobParserOutput(title="Data Engineer", mandatory_skills=["Python", "SQL", "Spark"], preferred_skills=["Airflow"],
                      years_experience=5, location="Austin, TX", education_level="bachelor", work_mode=None,
                      salary_range={"min": 100000, "max": 140000, "currency": "USD", "period": "year"},
                      seniority_level=None, employment_type=None)


# --------------------------------------------------------------------------- agreement


def test_each_field_kind_is_compared_its_own_way():
    legacy = {"mandatory_skills": ["python", " SQL "], "years_experience": 5, "location": "Austin, TX",
              "education_requirements": ["Bachelor's"], "work_mode": "remote"}
    result = compare_answers("job_parser", legacy, JOB, to_legacy=requirements_from_output)
    f = result.fields
    assert f["mandatory_skills"].score == pytest.approx(set_f1(["python", "sql"], ["Python", "SQL", "Spark"]))
    assert f["mandatory_skills"].score == pytest.approx(0.8) and f["mandatory_skills"].agree
    assert f["years_experience"].agree and f["location"].score == 1.0
    assert f["education_requirements"].agree
    assert "preferred_skills" in result.not_comparable  # legacy lacks it: not a disagreement
    assert "preferred_skills" not in f
    assert "work_mode" in f and not f["work_mode"].agree  # candidate shape lacks it: SageMaker said nothing
    assert 0 < result.score < 1


def test_not_comparable_is_never_a_disagreement():
    result = compare({"skills": ["a"], "salary": None}, {"skills": ["a"], "salary": 90_000})
    assert set(result.fields) == {"skills"} and result.not_comparable == ("salary",)
    assert result.score == 1.0 and result.agree


def test_numbers_use_relative_tolerance_and_text_uses_word_similarity():
    specs = CAPABILITY_FIELDS["job_parser"]
    r = compare({"salary_range": {"min": 100_000, "max": 150_000}}, {"salary_range": {"min": 108_000, "max": 200_000}},
                specs)
    assert r.fields["salary_range.min"].agree and not r.fields["salary_range.max"].agree
    t = compare({"reasoning": "strong python and sql background with cloud experience"},
                {"reasoning": "strong python and SQL background, some cloud experience"})
    assert 0.6 < t.fields["reasoning"].score < 1.0
    assert compare({"x": "remote"}, {"x": "Remote"}).fields["x"].agree  # categorical: case-insensitive exact
    assert not compare({"x": 3}, {"x": "3"}).fields["x"].agree


def test_schema_shape_without_to_legacy_validates_the_legacy_answer():
    legacy = JOB.model_dump(mode="json") | {"education_level": "master", "provenance": "legacy"}
    result = compare_answers("job_parser", legacy, JOB, output_model=JobParserOutput)
    assert not result.fields["education_level"].agree
    assert result.fields["mandatory_skills"].agree and "provenance" not in result.fields
    assert result.fields["salary_range.min"].agree


# --------------------------------------------------------------------------- statistics and gate


def test_wilson_interval_matches_hand_computed_values():
    lo, hi = wilson_interval(190, 200, 0.95)
    assert lo == pytest.approx(0.9102, abs=1e-3) and hi == pytest.approx(0.9727, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(200, 200)[1] == 1.0


def test_ladder():
    assert [next_mode(m) for m in ("off", "shadow", "canary:0", "canary:5", "canary:10", "canary:25", "canary:50",
                                   "canary:80", "on")] == \
        ["shadow", "canary:10", "canary:10", "canary:10", "canary:50", "canary:50", "on", "on", None]


def _calls(n, *, route="sagemaker", outcome="success", latency=800.0, reason=None):
    return [{"route": route, "outcome": outcome, "latency_ms": latency, "backend": "sagemaker" if outcome == "success"
             else "legacy", "fallback_reason": reason, "error_code": None} for _ in range(n)]


def test_canary_advances_on_budgets_and_rolls_back_to_shadow_when_latency_breaks():
    t = Thresholds(latency_p95_ms=1000.0)
    ok = decide("job_parser", "canary:10", summarize(_calls(250), [], "canary:10"), t)
    assert (ok.verdict, ok.to_mode) == ("advance", "canary:50")
    slow = decide("job_parser", "canary:50", summarize(_calls(250, latency=1500.0), [], "canary:50"), t)
    assert (slow.verdict, slow.to_mode, slow.faults) == ("rollback", "shadow", ["latency_p95_ms"])
    failing = summarize(_calls(230) + _calls(20, outcome="fallback", reason="throttled"), [], "on")
    d = decide("job_parser", "on", failing, t)
    assert (d.verdict, d.to_mode, d.faults) == ("rollback", "shadow", ["fallback_rate"])
    assert "throttled 20" in d.reasons[0]
    # 1 fallback in 30: above budget but not confidently broken -> hold, not rollback
    few = decide("job_parser", "canary:10", summarize(_calls(29) + _calls(1, outcome="fallback"), [], "canary:10"), t)
    assert few.verdict == "hold" and "fallback_rate" in few.faults


def test_budgets_follow_the_projection_and_drive_the_deploy_alarm():
    settings = load_settings(env_file=None)
    assert latency_budget_ms("job_parser", settings) == 13_800.0  # 350 tokens: p95 10,961 ms x 1.25
    assert latency_budget_ms("query_enhancer") < latency_budget_ms("job_parser") < latency_budget_ms("market_intelligence")
    assert projected_p95_ms(350) > 9_488  # above the README's projected p95 of the job/query mix
    custom = load_settings(env_file=None, capabilities={"job_parser": {"latency_budget_ms": 4000}})
    assert latency_budget_ms("job_parser", custom) == 4000.0
    alarm = AlarmSpec.for_capability("job_parser", custom)
    assert alarm.latency_p95_ms == 4000.0


def test_deploy_dry_run_alarm_uses_the_capability_budget(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["deploy", "--dry-run", "--endpoint-name", "adeptai-job-parser", "--image", "img",
                                      "--role-arn", "arn:aws:iam::123456789012:role/x", "--model-id", "m",
                                      "--capability", "job_parser"])
    assert result.exit_code == 0, result.output
    assert "p95 ModelLatency above 13800 ms" in result.output


# --------------------------------------------------------------------------- store and report


def _record(i, **kw):
    base = dict(call_id=str(i), capability="job_parser", mode="shadow", route="shadow", backend="legacy",
                outcome="success", latency_s=0.01, timestamp=1000.0 + i, input_hash="h" * 64)
    return CallRecord(**{**base, **kw})


def test_store_is_bounded_and_holds_no_hashes(tmp_path):
    clock = [2000.0]
    store = EvidenceStore(tmp_path, max_rows=1000, retention_s=500, clock=lambda: clock[0])
    recorder = EvidenceRecorder(store, clock=lambda: clock[0])
    for i in range(1500):
        recorder.on_call_finished(_record(i))
    recorder.flush()
    rows = store.calls("job_parser")
    assert 0 < len(rows) <= 1000 and min(r["ts"] for r in rows) >= 1500.0  # row cap and retention
    assert b"h" * 64 not in (tmp_path / "evidence.sqlite3").read_bytes()
    recorder.close()


def test_report_writes_markdown_and_charts_from_recorded_evidence(tmp_path, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(state))
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "shadow")
    store = EvidenceStore(state)
    now = time.time() - 100
    fields = json.dumps({"mandatory_skills": [1.0, 1], "years_experience": [0.5, 0]})
    store.add(calls=[{"ts": now + i, "capability": "job_parser", "mode": "shadow", "route": "shadow",
                      "backend": "legacy", "outcome": "success", "latency_ms": 5.0, "input_tokens": 900,
                      "output_tokens": 300} for i in range(50)],
              comparisons=[{"ts": now + i, "capability": "job_parser", "mode": "shadow", "sagemaker_ok": 1,
                            "latency_ms": 700.0 + i, "score": 0.8, "agree": 1, "fields": fields,
                            "not_comparable": json.dumps(["salary_range"])} for i in range(50)]
              + [{"ts": now, "capability": "job_parser", "mode": "shadow", "sagemaker_ok": 0, "latency_ms": 50.0,
                  "reason": "throttled"}])
    store.close()
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## job_parser" in text and "| years_experience | 50 | 0.000 |" in text
    assert "hold" in text and "not enough evidence: 51 shadow comparisons" in text
    assert "`throttled` 1" in text and "Cost per 1,000 calls" in text and "900 in / 300 out" in text
    for png in ("latency.png", "agreement_job_parser.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evidence_emf_export_has_summable_counts_per_field(tmp_path):
    import io

    from adeptai_sagemaker.rollout.agreement import FieldResult
    from adeptai_sagemaker.plugin.calls import ShadowComparison

    stream = io.StringIO()
    recorder = EvidenceRecorder(EvidenceStore(tmp_path), emf_stream=stream)
    for agree in (True, True, False):
        recorder.on_shadow_result(ShadowComparison(
            "job_parser", "c", 0.9 if agree else 0.3, True, 0.5, agree=agree,
            fields={"mandatory_skills": FieldResult(1.0 if agree else 0.0, agree), "location": FieldResult(1.0, True)}))
    recorder.flush()
    recorder.close()
    docs = [json.loads(line) for line in stream.getvalue().splitlines()]
    totals: dict = {}  # counts sum across batches (and hosts)
    for d in docs:
        for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            key = (d["Capability"], d.get("Field"), m["Name"])
            totals[key] = totals.get(key, 0) + d[m["Name"]]
    assert totals[("job_parser", None, "ShadowComparisons")] == 3 and totals[("job_parser", None, "ShadowAgreements")] == 2
    assert totals[("job_parser", "mandatory_skills", "FieldComparisons")] == 3
    assert totals[("job_parser", "mandatory_skills", "FieldAgreements")] == 2
    skills = next(d for d in docs if d.get("Field") == "mandatory_skills")
    assert skills["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AdeptAI/SageMakerLLM"
    assert skills["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Capability", "Field"]]


def test_auto_demotion_steps_a_failing_canary_back_to_shadow_with_the_reason(tmp_path):
    from adeptai_sagemaker.core.routing import ModeResolver
    from adeptai_sagemaker.rollout.gate import AutoDemotion

    settings = load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path))
    store = EvidenceStore(tmp_path)
    store.set_mode("job_parser", "canary:10", from_mode="shadow", verdict="advance")
    now = time.time()
    store.add(calls=[{"ts": now, "capability": "job_parser", "mode": "canary:10", "route": "sagemaker",
                      "backend": "legacy", "outcome": "fallback", "fallback_reason": "throttled", "latency_ms": 50.0}
                     for _ in range(40)])
    clock = [0.0]
    source = ModeResolver(settings, store, poll=False)
    demotion = AutoDemotion(store, settings, source, every_s=60, clock=lambda: clock[0])
    [decision] = demotion.check()
    assert (decision.from_mode, decision.to_mode) == ("canary:10", "shadow")
    assert str(source.mode("job_parser")) == "shadow"
    last = store.mode_history("job_parser")[-1]
    assert last["verdict"] == "auto-rollback" and "fallback_rate" in last["reason"] and "throttled" in last["reason"]
    assert demotion.check() == []  # at most once per every_s
    clock[0] += 61
    assert demotion.check() == []  # shadow is not demoted further automatically
    store.close()


def test_a_forked_worker_writes_through_its_own_connection(tmp_path):
    import os

    store = EvidenceStore(tmp_path)
    recorder = EvidenceRecorder(store)
    recorder.on_call_finished(_record(1, timestamp=time.time()))
    recorder.flush()  # the parent has an open connection now
    pid = os.fork()
    if pid == 0:  # the child: record and flush, then leave without running the parent's cleanup
        code = 1
        try:
            fresh = store._conn is None and recorder._thread is None and not recorder._buffer  # the fork hooks ran
            recorder.on_call_finished(_record(2, timestamp=time.time()))
            recorder.flush()
            code = 0 if fresh else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert sorted(r["latency_ms"] for r in store.calls("job_parser")) == [10.0, 10.0]  # parent's and child's
    recorder.close()
