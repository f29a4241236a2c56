"""Audit trail: one record per call (success, fallback, error), append-only, no input text, query/export/CLI."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.compliance.audit_trail import AuditTrail, FIELDS, from_settings
from adeptai_sagemaker.compliance.cli import audit
from adeptai_sagemaker.core.errors import ServiceUnavailableError
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.plugin.tasks import input_fingerprint

SECRET_JD = "Zyxwvut Quantum Basketweaver needed in Xanaduville; contact Qwertyuiop Asdfghjkl"
SECRET_RESUME = "Resume of Mxyzptlk Bartholomew-Quux, 42 Nowhere Lane"
JOB = json.dumps({"title": "Engineer", "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 3,
                  "education_level": None, "location": None, "work_mode": None, "salary_range": None,
                  "seniority_level": None, "employment_type": None})


class ScriptedBackend:
    name = "sagemaker"

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = 0

    def complete(self, prompt, params, target):
        reply = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        if isinstance(reply, BaseException):
            raise reply
        return Completion(text=reply, usage=TokenUsage(10, 5), variant="AllTraffic", model_version="tgi-2.0/m-1")


def make(trail, backend, fallback=True, mode="on"):
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_llm_fallback=fallback,
                             capabilities={"job_parser": {"endpoint": "jp-endpoint", "mode": mode},
                                           "candidate_matcher": {"endpoint": "cm-endpoint", "mode": mode}})
    fw = Framework(settings, plugins=[trail], load_entrypoints=False, cache=False)
    fw.sagemaker = backend
    return fw


def _all_bytes(path):
    data = b""
    for p in path.parent.glob(path.name + "*"):  # the db plus -wal/-shm
        data += p.read_bytes()
    return data


@pytest.mark.parametrize("name", ["audit.db", "audit.jsonl"])
def test_every_call_is_recorded_without_input_text(tmp_path, name):
    path = tmp_path / name
    trail = AuditTrail(path)
    unavailable = ServiceUnavailableError("endpoint jp-endpoint unavailable")
    fw = make(trail, ScriptedBackend(JOB, unavailable, unavailable))
    request = {"job_description": SECRET_JD}
    fw.call("job_parser", request, legacy=lambda: {"legacy": True})           # success on SageMaker
    fw.call("job_parser", request, legacy=lambda: {"legacy": True})           # SageMaker fails -> legacy
    fw_strict = make(trail, ScriptedBackend(unavailable), fallback=False)
    with pytest.raises(ServiceUnavailableError):
        fw_strict.call("job_parser", request, legacy=lambda: {"legacy": True})  # error
    with pytest.raises(Exception):
        fw.call("candidate_matcher", {"job_description": SECRET_JD, "resume_text": SECRET_RESUME})  # no legacy: error

    rows = trail.query()
    assert [r["outcome"] for r in rows] == ["success", "fallback", "error", "error"]
    ok, fb, err, _ = rows
    digest = input_fingerprint(fw.coerce("job_parser", request))
    assert {r["input_hash"] for r in rows[:3]} == {digest}
    assert ok["backend"] == "sagemaker" and ok["endpoint"] == "jp-endpoint" and ok["variant"] == "AllTraffic"
    assert ok["model_version"] == "tgi-2.0/m-1" and ok["template_version"].startswith("job_parser/v1.j2@")
    assert ok["mode"] == "on" and ok["route"] == "sagemaker" and ok["error_code"] is None
    assert fb["backend"] == "legacy" and fb["fallback_reason"] and fb["error_code"] == unavailable.code
    assert err["error_code"] == unavailable.code
    assert all(set(FIELDS) <= set(r) for r in rows)
    trail.close()
    raw = _all_bytes(path)
    for secret in (SECRET_JD, "Zyxwvut", "Basketweaver", "Xanaduville", "Mxyzptlk", "Nowhere Lane"):
        assert secret.encode() not in raw


def test_sqlite_trail_is_append_only(tmp_path):
    path = tmp_path / "audit.db"
    trail = AuditTrail(path)
    fw = make(trail, ScriptedBackend(JOB))
    fw.call("job_parser", {"job_description": "x"})
    assert not hasattr(trail, "update") and not hasattr(trail, "delete")
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET outcome = 'success'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert len(trail.query()) == 1
    assert (path.stat().st_mode & 0o777) == 0o600


def _append_many(path: str, n: int, tag: str) -> None:
    trail = AuditTrail(path)
    for i in range(n):
        trail.append({"timestamp": time.time(), "capability": "job_parser", "outcome": "success",
                      "input_hash": f"{tag}-{i}", "call_id": f"{tag}-{i}", "latency_s": 0.001})
    trail.close()


@pytest.mark.parametrize("name", ["audit.db", "audit.jsonl"])
def test_concurrent_threads_and_processes_lose_nothing(tmp_path, name):
    path = str(tmp_path / name)
    AuditTrail(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(path, 40, f"p{i}")) for i in range(2)]
    for p in procs:
        p.start()
    trail = AuditTrail(path)
    threads = [threading.Thread(target=lambda t=t: [trail.append(
        {"timestamp": time.time(), "capability": "job_parser", "outcome": "success", "input_hash": f"t{t}-{i}"})
        for i in range(40)]) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    hashes = [r["input_hash"] for r in trail.query()]
    assert len(hashes) == 200 and len(set(hashes)) == 200
    trail.close()


def test_query_filters_and_export(tmp_path):
    trail = AuditTrail(tmp_path / "audit.db")
    now = time.time()
    for ts, cap, outcome, h in [(now - 8 * 86400, "job_parser", "success", "a"), (now - 3600, "job_parser", "error", "b"),
                                (now - 60, "candidate_matcher", "fallback", "c"), (now, "job_parser", "success", "a")]:
        trail.append({"timestamp": ts, "capability": cap, "outcome": outcome, "input_hash": h})
    assert [r["input_hash"] for r in trail.query(capability="job_parser")] == ["a", "b", "a"]
    assert [r["input_hash"] for r in trail.query(since="7d")] == ["b", "c", "a"]
    assert [r["input_hash"] for r in trail.query(outcome="fallback")] == ["c"]
    assert len(trail.query(input_hash="a")) == 2
    assert len(trail.query(since="7d", capability="job_parser", outcome="success")) == 1
    out = tmp_path / "export.jsonl"
    assert trail.export(out, capability="job_parser") == 3
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["input_hash"] for x in lines] == ["a", "b", "a"]


def test_cli_query_and_export(tmp_path):
    path = tmp_path / "audit.db"
    trail = AuditTrail(path)
    fw = make(trail, ScriptedBackend(JOB))
    fw.call("job_parser", {"job_description": SECRET_JD})
    trail.close()
    runner = CliRunner()
    result = runner.invoke(audit, ["trail", "query", "--log", str(path), "--capability", "job_parser",
                                   "--outcome", "success", "--since", "1h"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.output.splitlines()]
    assert len(rows) == 1 and rows[0]["endpoint"] == "jp-endpoint"
    out = tmp_path / "export.jsonl"
    result = runner.invoke(audit, ["trail", "export", "--out", str(out)], env={"ADEPTAI_SAGEMAKER_AUDIT_LOG": str(path)})
    assert result.exit_code == 0, result.output
    assert "exported 1 records" in result.output and SECRET_JD not in out.read_text()
    missing = runner.invoke(audit, ["trail", "query", "--log", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2


def test_enabled_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_AUDIT_LOG", str(tmp_path / "from-env.jsonl"))
    trail = from_settings(load_settings(env_file=None))
    assert trail is not None and trail.format == "jsonl"
    monkeypatch.delenv("ADEPTAI_SAGEMAKER_AUDIT_LOG")
    assert from_settings(load_settings(env_file=None)) is None


def test_real_http_fallback_is_recorded(tmp_path, local_endpoint, aws_env):
    """Through boto3 and the local endpoint: an injected 503 falls back to legacy and is audited."""
    trail = AuditTrail(tmp_path / "audit.db")
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=local_endpoint.url,
                             capabilities={"job_parser": {"endpoint": "audit-503", "mode": "on", "max_attempts": 1}})
    fw = Framework(settings, plugins=[trail], load_entrypoints=False, cache=False)
    local_endpoint.set_faults("audit-503", kind="service_unavailable")
    answer = fw.call("job_parser", {"job_description": SECRET_JD}, legacy=lambda: {"legacy": True})
    assert answer.value == {"legacy": True}
    (row,) = trail.query()
    assert row["outcome"] == "fallback" and row["endpoint"] == "audit-503" and row["backend"] == "legacy"
    assert row["error_code"] and row["fallback_reason"]
    fw.close()
    trail.close()
    assert SECRET_JD.encode() not in _all_bytes(tmp_path / "audit.db")
