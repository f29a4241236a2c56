"""A mixed workload with injected faults: the exported metrics add up to what happened.

Three capabilities against the local endpoint: one healthy, one throttled at random
(retried), one failing with ModelErrors and malformed JSON. Some calls have a legacy
implementation (so failures fall back), some do not (so failures are errors).
The test keeps its own ledger from the return values and exceptions, and checks
the recorder and the EMF export against it.
"""

from __future__ import annotations

import io
import json
import time
from collections import Counter

import pytest

from adeptai_sagemaker.core.errors import AdeptSageMakerError
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.observers.metrics import EMFExporter, MetricsRecorder, percentile
from adeptai_sagemaker.core.settings import load_settings

CAPS = {"job_parser": "wl-healthy", "query_enhancer": "wl-throttled", "resume_summarizer": "wl-broken"}
JOBS = ["Python engineer, AWS, 5 years", "Nurse, RN license, night shifts", "Accountant, GAAP, CPA preferred",
        "Data analyst, SQL and Tableau", "Frontend developer, React, TypeScript"]


class Tap:
    """Keeps every record, to recompute what the recorder should say."""

    def __init__(self):
        self.calls, self.attempts = [], []

    @hookimpl
    def on_call_finished(self, record):
        self.calls.append(record)

    @hookimpl
    def on_invocation(self, record):
        self.attempts.append(record)


def request(cap: str, i: int) -> dict:
    text = f"{JOBS[i % len(JOBS)]} (req {i})"
    if cap == "query_enhancer":
        return {"query": text}
    if cap == "resume_summarizer":
        return {"resume_text": f"Engineer with 6 years of Python. {text}"}
    return {"job_description": text}


@pytest.fixture
def setup(local_endpoint, aws_env, tmp_path):
    settings = load_settings(
        env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=local_endpoint.url,
        adeptai_sagemaker_breaker_failures=1000, adeptai_sagemaker_breaker_failure_rate=1.0,
        capabilities={cap: {"endpoint": ep, "mode": "on", "max_attempts": 3, "max_reasks": 0, "cache": False}
                      for cap, ep in CAPS.items()})
    recorder, tap = MetricsRecorder(), Tap()
    fw = Framework(settings, plugins=[recorder, tap], load_entrypoints=False, cache=False)
    local_endpoint.set_faults("wl-throttled", kind="throttle", probability=0.4, seed=7)
    local_endpoint.set_faults("wl-broken", faults=[{"kind": "model_error", "original_status": 400, "probability": 0.5,
                                                    "seed": 3}, {"kind": "malformed_json", "seed": 4}])
    yield fw, recorder, tap
    fw.close()


def test_mixed_workload_metrics_add_up(setup):
    fw, recorder, tap = setup
    ledger: Counter = Counter()
    walls: list[float] = []
    for i in range(36):
        cap = list(CAPS)[i % 3]
        with_legacy = i % 4 != 0
        started = time.perf_counter()
        try:
            out = fw.call(cap, request(cap, i), legacy=(lambda: {"legacy": True}) if with_legacy else None)
            ledger[(cap, "fallback" if out.from_legacy else "success")] += 1
        except AdeptSageMakerError as exc:
            ledger[(cap, "error")] += 1
            ledger[(cap, "code", exc.code)] += 1
        walls.append(time.perf_counter() - started)

    snap = recorder.snapshot()
    rows = {r["capability"]: r for r in snap["series"]}
    for cap, endpoint in CAPS.items():
        r = rows[cap]
        assert r["endpoint"] == endpoint
        assert r["invocations"] == 12 == r["successes"] + r["fallbacks"] + r["errors"]
        assert (r["successes"], r["fallbacks"], r["errors"]) == (ledger[(cap, "success")], ledger[(cap, "fallback")],
                                                                 ledger[(cap, "error")])
        assert sum(r["fallbacks_by_reason"].values()) == r["fallbacks"]
        assert sum(r["errors_by_code"].values()) == r["errors"]
        for code, n in r["errors_by_code"].items():
            assert ledger[(cap, "code", code)] == n
        # retries = transport attempts beyond the first, from the attempt records
        attempts = [a for a in tap.attempts if a.capability == cap]
        assert r["attempts"] == len(attempts) and r["retries"] == sum(a.attempt > 1 for a in attempts)
    assert rows["job_parser"]["successes"] == 12  # healthy endpoint
    assert rows["query_enhancer"]["retries"] > 0  # throttles were retried
    broken = rows["resume_summarizer"]
    assert broken["fallbacks"] + broken["errors"] == 12 and broken["fallbacks"] > 0 and broken["errors"] > 0
    assert set(broken["fallbacks_by_reason"]) <= {"model_error_4xx", "decode_error", "invalid_output", "circuit_open"}

    # percentiles are the exact nearest-rank values of the measured latencies
    for cap in CAPS:
        lat = [c.latency_s for c in tap.calls if c.capability == cap]
        for p in (50, 95, 99):
            assert rows[cap][f"latency_p{p}_ms"] == round(percentile(lat, p) * 1000, 3)
    assert max(c.latency_s for c in tap.calls) <= max(walls)  # never more than the caller waited

    # the EMF export carries the same totals
    out = io.StringIO()
    EMFExporter(recorder, stream=out).flush()
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    main = [d for d in docs if "Capability" in d and "Reason" not in d and "Code" not in d]
    for key in ("Invocations", "Successes", "Fallbacks", "Errors", "Retries"):
        total = sum(d[key] for d in main)
        assert total == snap["totals"][key.lower()], key
    assert sum(d["Invocations"] for d in main) == 36
    assert sum(d["Successes"] + d["Fallbacks"] + d["Errors"] for d in main) == 36
    by_reason = sum(d["FallbacksByReason"] for d in docs if "Reason" in d)
    assert by_reason == snap["totals"]["fallbacks"]
