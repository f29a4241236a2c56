"""MetricsRecorder counting rules, percentiles, exporters (EMF lines and PutMetricData via moto)."""

from __future__ import annotations

import io
import json
import threading

import pytest

from adeptai_sagemaker.plugin.calls import CallRecord, CircuitEvent, InvocationRecord, ShadowComparison
from adeptai_sagemaker.ops.cost import CostModel
from adeptai_sagemaker.observers.metrics import (CloudWatchExporter, EMFExporter, MetricsRecorder, Reservoir, percentile)

SECRET_HASH = "f" * 64


def rec(capability="job_parser", outcome="success", latency=0.1, endpoint="ep-1", backend="sagemaker", **kw):
    return CallRecord(call_id="c", capability=capability, mode="on", route="sagemaker", backend=backend,
                      outcome=outcome, latency_s=latency, timestamp=0.0, input_hash=SECRET_HASH,
                      endpoint=endpoint, **kw)


def row(snapshot, capability="job_parser", endpoint="ep-1"):
    return next(r for r in snapshot["series"] if r["capability"] == capability and r["endpoint"] == endpoint)


def test_percentile_is_exact_nearest_rank():
    data = list(range(1, 101))
    assert percentile(data, 50) == 50 and percentile(data, 95) == 95 and percentile(data, 99) == 99
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) is None
    assert percentile([5, 1, 3, 2, 4], 50) == 3


def test_reservoir_is_bounded_and_exact_below_its_size():
    r = Reservoir(size=10)
    for v in range(8):
        r.add(float(v))
    assert sorted(r.samples) == [float(v) for v in range(8)]
    for v in range(1000):
        r.add(float(v))
    assert len(r.samples) == 10 and r.seen == 1008


def test_counting_rules_add_up():
    m = MetricsRecorder()
    m.on_call_finished(rec(outcome="success", input_tokens=100, output_tokens=40))
    m.on_call_finished(rec(outcome="success", cache_hit=True))
    m.on_call_finished(rec(outcome="fallback", backend="legacy", fallback_reason="throttled", error_code="ThrottlingException"))
    m.on_call_finished(rec(outcome="fallback", backend="legacy", fallback_reason="circuit_open", error_code="CircuitOpen"))
    m.on_call_finished(rec(outcome="error", backend=None, error_code="InvalidOutput"))
    for attempt, ok in ((1, False), (2, False), (3, True), (1, True)):
        m.on_invocation(InvocationRecord("job_parser", "ep-1", attempt, 0.05, ok, None if ok else "ThrottlingException"))
    r = row(m.snapshot())
    assert r["invocations"] == 5 == r["successes"] + r["fallbacks"] + r["errors"]
    assert (r["successes"], r["fallbacks"], r["errors"]) == (2, 2, 1)
    assert r["fallbacks_by_reason"] == {"throttled": 1, "circuit_open": 1}
    assert r["errors_by_code"] == {"InvalidOutput": 1}
    assert r["served"] == 4 and r["served_by"] == {"sagemaker": 2, "legacy": 2}
    assert r["retries"] == 2 and r["attempts"] == 4 and r["attempt_errors_by_code"] == {"ThrottlingException": 2}
    assert r["cache_hits"] == 1 and r["cache_hit_rate"] == pytest.approx(0.2)
    assert (r["input_tokens"], r["output_tokens"]) == (100, 40)


def test_legacy_route_calls_are_keyed_under_legacy():
    m = MetricsRecorder()
    m.on_call_finished(rec(endpoint=None, backend="legacy"))
    assert row(m.snapshot(), endpoint="legacy")["successes"] == 1


def test_latency_percentiles_and_ttft():
    m = MetricsRecorder()
    for ms in range(1, 101):
        m.on_call_finished(rec(latency=ms / 1000))
    m.on_invocation(InvocationRecord("job_parser", "ep-1", 1, 0.2, True, time_to_first_token_s=0.03))
    r = row(m.snapshot())
    assert (r["latency_p50_ms"], r["latency_p95_ms"], r["latency_p99_ms"]) == (50.0, 95.0, 99.0)
    assert r["ttft_p50_ms"] == 30.0 and r["model_latency_p50_ms"] == 200.0


def test_shadow_and_circuit():
    m = MetricsRecorder()
    m.on_call_finished(rec(capability="query_enhancer", endpoint="qe", backend="legacy"))
    m.on_shadow_result(ShadowComparison("query_enhancer", "c", 0.8, True, 0.1))
    m.on_shadow_result(ShadowComparison("query_enhancer", "c", 0.6, True, 0.1))
    m.on_shadow_result(ShadowComparison("query_enhancer", "c", None, False, 0.1, "throttled"))
    m.on_shadow_result(ShadowComparison("query_enhancer", "c", None, False, 0.0, "shadow_dropped"))
    m.on_circuit_change(CircuitEvent("sagemaker:qe", "open", "throttled"))
    snap = m.snapshot()
    r = row(snap, "query_enhancer", "qe")
    assert r["shadow_count"] == 4 and r["shadow_failures"] == 1 and r["shadow_dropped"] == 1
    assert r["shadow_agreement_mean"] == pytest.approx(0.7)
    assert r["circuit_state"] == "open" and m.circuit_state("qe") == "open"


def test_cost_is_amortized_for_sagemaker_and_per_token_for_apis():
    model = CostModel("ml.g5.xlarge", throughput_rps=2.0, price_per_hour=3.6, target_utilization=1.0)
    m = MetricsRecorder(cost_models={"job_parser": model})
    m.on_call_finished(rec())
    m.on_call_finished(rec(cache_hit=True))
    m.on_call_finished(rec(endpoint=None, backend="openai", input_tokens=1_000_000, output_tokens=0))
    m.on_call_finished(rec(endpoint=None, backend="legacy"))  # not priced
    snap = m.snapshot()
    assert row(snap)["cost_usd"] == pytest.approx(3.6 / 7200)
    assert row(snap)["priced_calls"] == 2
    assert row(snap, endpoint="none")["cost_usd"] == pytest.approx(0.15)


def test_thread_safety_under_concurrent_hooks():
    m = MetricsRecorder(reservoir_size=64)

    def work():
        for _ in range(500):
            m.on_call_finished(rec())
            m.on_invocation(InvocationRecord("job_parser", "ep-1", 2, 0.01, True))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r = row(m.snapshot())
    assert r["invocations"] == 4000 and r["retries"] == 4000 and r["latency_samples"] == 64


def test_emf_lines_have_cloudwatch_metadata_and_deltas():
    m = MetricsRecorder()
    m.on_call_finished(rec())
    m.on_call_finished(rec(outcome="fallback", backend="legacy", fallback_reason="throttled"))
    m.on_circuit_change(CircuitEvent("sagemaker:ep-1", "open"))
    out = io.StringIO()
    exporter = EMFExporter(m, stream=out)
    exporter.flush()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    main = next(d for d in lines if d.get("Capability") == "job_parser" and "Reason" not in d)
    meta = main["_aws"]["CloudWatchMetrics"][0]
    assert meta["Namespace"] == "AdeptAI/SageMakerLLM" and meta["Dimensions"] == [["Capability", "Endpoint"]]
    assert {x["Name"] for x in meta["Metrics"]} >= {"Invocations", "Successes", "Fallbacks", "Errors", "LatencyP95"}
    assert main["Invocations"] == 2 and main["Fallbacks"] == 1 and main["Endpoint"] == "ep-1"
    reason = next(d for d in lines if d.get("Reason") == "throttled")
    assert reason["FallbacksByReason"] == 1
    health = next(d for d in lines if "CircuitOpen" in d)
    assert health["CircuitOpen"] == 1.0 and health["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Endpoint"]]
    assert SECRET_HASH not in out.getvalue()  # no input hashes in dimensions or values
    out.seek(0), out.truncate()
    m.on_call_finished(rec())
    exporter.flush()
    again = next(json.loads(line) for line in out.getvalue().splitlines()
                 if json.loads(line).get("Capability") == "job_parser" and "Reason" not in json.loads(line))
    assert again["Invocations"] == 1  # counters are sent as increases since the last flush


def test_cloudwatch_exporter_batches_put_metric_data_against_moto(aws_env):
    moto = pytest.importorskip("moto", reason="moto (dev extra) is needed for the AWS-call tests")
    import boto3

    m = MetricsRecorder()
    for cap in ("job_parser", "query_enhancer", "candidate_matcher"):
        m.on_call_finished(rec(capability=cap))
    with moto.mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        calls = []
        original = client.put_metric_data

        def spy(**kwargs):
            calls.append(len(kwargs["MetricData"]))
            return original(**kwargs)

        client.put_metric_data = spy
        sent = CloudWatchExporter(m, client=client, batch_size=20).flush()
        assert sent == sum(calls) and max(calls) <= 20 and len(calls) == math_ceil(sent, 20)
        metrics = client.list_metrics(Namespace="AdeptAI/SageMakerLLM", MetricName="Invocations")["Metrics"]
        dims = {tuple(sorted((d["Name"], d["Value"]) for d in x["Dimensions"])) for x in metrics}
        assert (("Capability", "job_parser"), ("Endpoint", "ep-1")) in dims
        every = client.list_metrics(Namespace="AdeptAI/SageMakerLLM")["Metrics"]
        assert all(d["Name"] in ("Capability", "Endpoint", "Reason", "Code") for x in every for d in x["Dimensions"])
        assert all(SECRET_HASH not in d["Value"] for x in every for d in x["Dimensions"])


def math_ceil(n: int, k: int) -> int:
    return -(-n // k)
