"""`promote --watch` end to end: an operator's watch process walks a live framework along a short plan.

The parts are real: the lab's local SageMaker endpoint answers over HTTP, a framework in this process (a host of
the fleet) makes shadow and canary calls from a background thread with a legacy that agrees with the model, and
writes its evidence to the SQLite store; ``adeptai-sagemaker promote job_parser --watch`` runs as a separate
process on the same store, gates every 0.05 s and stores each step, which the host follows live. A short plan
(no dwell, tens of calls per step) keeps it to seconds. The second walk has the endpoint throttle every call as
soon as the host reaches a canary step: the watch rolls back to the plan's safe step with the reason and exits 1.
Nothing here bounds time (the CLI's own timeout only stops a hung walk).
"""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Callable, Optional

import pytest

from adeptai_sagemaker.adapters.matcher import requirements_from_output
from adeptai_sagemaker.capabilities.schemas import JobParserOutput
from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore
from adeptai_sagemaker_lab.reference_model.job_parser import parse
from support.confidence import framework, postings, reachable_env, run_cli

PLAN = {"interval_s": 0.05, "safe_step": "shadow", "steps": [
    {"mode": "shadow", "min_dwell_s": 0, "min_evidence": 30},
    {"mode": "canary:25", "min_dwell_s": 0, "min_evidence": 10},
    {"mode": "canary:50", "min_dwell_s": 0, "min_evidence": 10},
    {"mode": "on", "min_dwell_s": 0, "min_evidence": 10}]}
POSTINGS = postings(200)


def agreeing_legacy(posting: str) -> dict:
    """The monolith's answer in its own shape, the same the reference model gives: every field agrees."""
    return requirements_from_output(JobParserOutput.model_validate(parse(posting)))


class Traffic(threading.Thread):
    """A host's request loop: job_parser calls until stopped; ``on_canary`` runs once, before the first call made
    while the host's live mode is a canary step (where the second walk injects its fault)."""

    def __init__(self, fw, on_canary: Optional[Callable[[], None]] = None):
        super().__init__(daemon=True)
        self.fw, self.on_canary = fw, on_canary
        self.stop = threading.Event()
        self.modes: list[str] = []
        self.served: dict[str, int] = {}
        self.failures: list[BaseException] = []

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            mode = self.fw.mode("job_parser")
            if not self.modes or self.modes[-1] != str(mode):
                self.modes.append(str(mode))
            if mode.kind == "canary" and self.on_canary is not None:
                self.on_canary()
                self.on_canary = None
            posting = POSTINGS[i % len(POSTINGS)]
            try:
                result = self.fw.call("job_parser", {"job_description": posting},
                                      legacy=lambda p=posting: agreeing_legacy(p), to_legacy=requirements_from_output)
                assert result.answer == agreeing_legacy(posting)  # whoever answered, the caller's shape and value
                self.served[result.served_by] = self.served.get(result.served_by, 0) + 1
            except Exception as exc:  # kept for finish(), which fails the test with it
                self.failures.append(exc)
            i += 1
            self.stop.wait(0.005)  # pace the loop: shadow work runs on the framework's pool

    def finish(self) -> list[str]:
        self.stop.set()
        self.join(timeout=60)
        assert not self.failures, self.failures[:3]
        return self.modes


@pytest.fixture()
def host(local_endpoint, tmp_path):
    fw = framework(local_endpoint.url, tmp_path / "state", mode="off", adeptai_sagemaker_mode_refresh_s=0.05,
                   adeptai_sagemaker_evidence_flush_s=0.05, adeptai_sagemaker_host_id="host-1")
    yield fw
    fw.close()


def watch(env: dict, tmp_path) -> subprocess.CompletedProcess:
    plan = tmp_path / "short-plan.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    return run_cli(["promote", "job_parser", "--watch", "--plan", str(plan), "--interval", "0.05"], env, tmp_path,
                   timeout=300)


def steps(store: SqliteStateStore) -> list[tuple[str, str, str]]:
    return [(h["from_mode"], h["to_mode"], h["verdict"]) for h in store.mode_history("job_parser")]


def test_watch_walks_a_live_host_to_on_then_rolls_back_on_faults_and_report_shows_the_steps(host, local_endpoint,
                                                                                            tmp_path):
    env = reachable_env(tmp_path / "state", SAGEMAKER_ENDPOINT_URL=local_endpoint.url)
    store = SqliteStateStore(tmp_path / "state")

    traffic = Traffic(host)
    traffic.start()
    walked = watch(env, tmp_path)
    seen = traffic.finish()
    assert walked.returncode == 0, walked.stdout + walked.stderr
    assert steps(store) == [("off", "shadow", "watch-advance"), ("shadow", "canary:25", "watch-advance"),
                            ("canary:25", "canary:50", "watch-advance"), ("canary:50", "on", "watch-advance")]
    for line in ("advance off -> shadow", "advance shadow -> canary:25", "advance canary:25 -> canary:50",
                 "advance canary:50 -> on", "done on -> on"):
        assert line in walked.stdout, walked.stdout
    assert seen == ["off", "shadow", "canary:25", "canary:50", "on"]  # the host followed every step live
    assert traffic.served["sagemaker"] >= 20 and traffic.served["legacy"] > 0  # 10 per canary step, served
    gated = [h["reason"] for h in store.mode_history("job_parser")][1:]
    assert "30 shadow comparisons" in gated[0] or "shadow comparisons (need 30)" in gated[0], gated
    assert all("calls served on the SageMaker route (need 10)" in r for r in gated[1:]), gated

    # the second walk: from off again; the endpoint throttles every call once the host is on a canary step
    assert run_cli(["promote", "job_parser", "--to", "off", "--reason", "second walk"], env, tmp_path).returncode == 0
    traffic = Traffic(host, on_canary=lambda: local_endpoint.set_faults("ref-tgi", kind="throttle"))
    traffic.start()
    rolled = watch(env, tmp_path)
    seen = traffic.finish()
    assert rolled.returncode == 1, rolled.stdout + rolled.stderr
    assert "rollback canary:25 -> shadow" in rolled.stdout and "fallback_rate" in rolled.stdout, rolled.stdout
    assert steps(store)[4:] == [("on", "off", "manual"), ("off", "shadow", "watch-advance"),
                                ("shadow", "canary:25", "watch-advance"), ("canary:25", "shadow", "watch-rollback")]
    assert seen[-2:] == ["canary:25", "shadow"]  # the host is back on the safe step
    rollback = store.mode_history("job_parser")[-1]["reason"]
    assert "fallback_rate" in rollback and "breaks its budget" in rollback, rollback
    assert "throttled" in rollback or "circuit_open" in rollback, rollback  # the endpoint's fault, named

    pytest.importorskip("matplotlib", reason="report draws charts")
    reported = run_cli(["report", "--out", str(tmp_path / "report")], env, tmp_path)
    assert reported.returncode == 0, reported.stderr
    body = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Rollout steps:" in body
    for line in ("off -> shadow (watch-advance", "shadow -> canary:25 (watch-advance",
                 "canary:25 -> canary:50 (watch-advance", "canary:50 -> on (watch-advance", "on -> off (manual",
                 "canary:25 -> shadow (watch-rollback"):
        assert line in body, body
    assert body.count("(watch-advance") == 6 and rollback.split(";")[0] in body
    store.close()
