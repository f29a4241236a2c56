"""Every injected fault surfaces as the botocore exception or stream error a real endpoint produces."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError  # noqa: E402

from adeptai_sagemaker_lab.server import FaultSpec, LocalEndpoint  # noqa: E402
from adeptai_sagemaker_lab.server.faults import FaultRegistry  # noqa: E402

TEXT = "alpha beta gamma delta epsilon zeta eta theta iota kappa"


class FixedBackend:
    version = "fixed-1"

    def generate(self, prompt_text: str, params: dict) -> str:
        return TEXT


LOCAL_ENDPOINT = {"endpoints": {"f-tgi": "tgi", "f-lmi": "lmi", "f-chat": "messages"}, "default_dialect": None,
                  "backend": FixedBackend}  # the ``endpoint`` fixture (tests/conftest.py)


@pytest.fixture(autouse=True)
def _clean(endpoint):
    endpoint.reset()
    yield
    endpoint.reset()


@pytest.fixture(scope="module")
def rt(endpoint):
    return endpoint.client(read_timeout=5)


def call(rt, name="f-tgi", payload=None):
    resp = rt.invoke_endpoint(EndpointName=name, Body=json.dumps(payload or {"inputs": "q"}),
                              ContentType="application/json")
    return resp["Body"].read()


def stream_parts(rt, name="f-tgi", payload=None):
    resp = rt.invoke_endpoint_with_response_stream(
        EndpointName=name, Body=json.dumps(payload or {"inputs": "q", "stream": True}), ContentType="application/json")
    return [ev["PayloadPart"]["Bytes"] for ev in resp["Body"]]


def test_model_error_with_original_status(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="model_error", original_status=503, message="CUDA out of memory", count=1)
    with pytest.raises(rt.exceptions.ModelError) as ei:
        call(rt)
    r = ei.value.response
    assert r["OriginalStatusCode"] == 503
    assert r["OriginalMessage"] == "CUDA out of memory"
    assert r["LogStreamArn"].startswith("arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/f-tgi")
    assert "Received server error (503) from primary" in r["Error"]["Message"]
    assert call(rt)  # count=1: the next call succeeds
    assert endpoint.stats()["endpoints"]["f-tgi"]["outcomes"] == {"model_error": 1, "ok": 1}


def test_container_timeout_is_model_error_without_retry(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="container_timeout")
    with pytest.raises(rt.exceptions.ModelError) as ei:
        call(rt)
    assert "timed out while waiting for a response from container" in ei.value.response["OriginalMessage"]
    assert ei.value.response["OriginalStatusCode"] == 0


@pytest.mark.parametrize("kind,exc_name,status", [
    ("service_unavailable", "ServiceUnavailable", 503),
    ("internal_failure", "InternalFailure", 500),
    ("model_not_ready", "ModelNotReadyException", 429),
    ("internal_dependency", "InternalDependencyException", 530),
])
def test_modeled_service_errors(endpoint, rt, kind, exc_name, status):
    endpoint.set_faults("f-tgi", kind=kind, count=1)
    with pytest.raises(getattr(rt.exceptions, exc_name)) as ei:
        call(rt)
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert ei.value.response["Error"]["Message"]


@pytest.mark.parametrize("status", [400, 429])
def test_throttling_is_classified_by_botocore_as_throttle(endpoint, status):
    endpoint.set_faults("f-tgi", kind="throttle", count=1, status=status)
    rt2 = endpoint.client(max_attempts=2)  # standard mode retries throttling codes (backoff <= 1 s here)
    body = call(rt2)
    assert json.loads(body) == [{"generated_text": TEXT}]
    assert endpoint.stats()["endpoints"]["f-tgi"]["outcomes"] == {"throttled": 1, "ok": 1}
    endpoint.set_faults("f-tgi", kind="throttle", count=1, status=status)
    with pytest.raises(ClientError) as ei:
        call(endpoint.client(max_attempts=1))
    assert ei.value.response["Error"]["Code"] == "ThrottlingException"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_model_error_is_not_retried_by_botocore(endpoint):
    endpoint.set_faults("f-tgi", kind="model_error", original_status=500)
    rt3 = endpoint.client(max_attempts=3)
    with pytest.raises(rt3.exceptions.ModelError):
        call(rt3)
    assert endpoint.stats()["endpoints"]["f-tgi"]["requests"] == 1


def test_read_timeout(endpoint):
    endpoint.set_faults("f-tgi", kind="read_timeout", sleep_s=1.0, count=1)
    with pytest.raises(ReadTimeoutError):
        call(endpoint.client(read_timeout=0.3))


def test_fixed_latency(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="latency", latency_ms=150)
    start = time.perf_counter()
    call(rt)
    assert time.perf_counter() - start >= 0.15


def test_malformed_json_non_stream_and_stream(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="malformed_json", count=2)
    with pytest.raises(json.JSONDecodeError):
        json.loads(call(rt))
    data = b"".join(stream_parts(rt)).decode()
    last = [b for b in data.split("\n\n") if b.strip()][-1]
    with pytest.raises(json.JSONDecodeError):
        json.loads(last[5:])


def test_truncated_output(endpoint, rt):
    endpoint.set_faults("f-lmi", kind="truncated", fraction=0.5, count=1)
    body = json.loads(call(rt, "f-lmi", {"inputs": "q", "parameters": {"details": True}}))
    assert TEXT.startswith(body["generated_text"]) and len(body["generated_text"]) < len(TEXT)
    assert body["details"]["finish_reason"] == "length"


@pytest.mark.parametrize("code,message", [("ModelInvocationTimeExceeded", "Model invocation time exceeded."),
                                          ("StreamBroken", "The stream from the model was broken.")])
def test_stream_error_after_k_chunks(endpoint, rt, code, message):
    endpoint.set_faults("f-tgi", kind="stream_error", error_code=code, after_chunks=2)
    resp = rt.invoke_endpoint_with_response_stream(EndpointName="f-tgi", Body=json.dumps({"inputs": "q", "stream": True}),
                                                   ContentType="application/json")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = []
    with pytest.raises(EventStreamError) as ei:
        for ev in resp["Body"]:
            got.append(ev)
    assert len(got) == 2 and all("PayloadPart" in ev for ev in got)
    assert ei.value.response["Error"] == {"Code": "ModelStreamError", "Message": message}


def test_internal_stream_failure(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="stream_error", error_code="InternalStreamFailure", after_chunks=0)
    with pytest.raises(EventStreamError) as ei:
        stream_parts(rt)
    assert ei.value.response["Error"]["Code"] == "InternalStreamFailure"


def test_stream_only_faults_do_not_touch_plain_invocations(endpoint, rt):
    endpoint.set_faults("f-tgi", kind="stream_error", count=1)
    assert json.loads(call(rt))  # not consumed by a non-stream call
    with pytest.raises(EventStreamError):
        stream_parts(rt)


def test_inband_errors_per_dialect(endpoint, rt):
    endpoint.set_faults("*", kind="inband_error")
    lines = [json.loads(x) for x in b"".join(stream_parts(rt, "f-lmi", {"inputs": "q", "stream": True})).splitlines()]
    assert lines[-1]["details"]["finish_reason"] == "error"
    # as djl-serving's rolling batch writes it: no top-level "error", the text so far kept, the token marked
    assert "error" not in lines[-1] and lines[-1]["generated_text"] is not None
    assert lines[-1]["token"]["special_token"] is True and lines[-1]["token"]["error_msg"]
    events = [b for b in b"".join(stream_parts(rt, "f-tgi")).decode().split("\n\n") if b.strip()]
    assert json.loads(events[-1][5:])["error_type"] == "generation"
    chat = [b for b in b"".join(stream_parts(rt, "f-chat", {"messages": [{"role": "user", "content": "q"}],
                                                            "stream": True})).decode().split("\n\n") if b.strip()]
    # TGI's Messages API: {"error": {"message", "http_status_code"}}, then [DONE]
    assert set(json.loads(chat[-2][5:])["error"]) == {"message", "http_status_code"} and chat[-1] == "data: [DONE]"


def test_probability_faults_are_seeded_and_repeatable(endpoint, rt):
    outcomes = []
    for _ in range(2):
        endpoint.reset()
        endpoint.set_faults("f-tgi", kind="service_unavailable", probability=0.5, seed=7)
        seq = []
        for _ in range(12):
            try:
                call(rt)
                seq.append("ok")
            except rt.exceptions.ServiceUnavailable:
                seq.append("503")
        outcomes.append(seq)
    assert outcomes[0] == outcomes[1]
    assert "ok" in outcomes[0] and "503" in outcomes[0]


def test_configured_faults_apply_at_start_up_and_after_reset():
    spec = {"f": {"dialect": "tgi", "faults": [{"kind": "model_not_ready", "count": 1}]}}
    with LocalEndpoint(spec, default_dialect=None, backend=FixedBackend()) as ep2:
        rt2 = ep2.client()
        for _ in range(2):
            with pytest.raises(rt2.exceptions.ModelNotReadyException):
                call(rt2, "f")
            assert call(rt2, "f")
            ep2.reset()


def test_fault_spec_validation_and_latency_distributions():
    with pytest.raises(ValueError):
        FaultSpec(kind="explode")
    with pytest.raises(ValueError):
        FaultSpec(kind="throttle", probability=1.5)
    with pytest.raises(ValueError):
        FaultSpec(kind="stream_error", error_code="Nope")
    with pytest.raises(ValueError):
        FaultSpec.from_dict({"kind": "latency", "latncy_ms": 3})
    reg = FaultRegistry()
    reg.set("e", [FaultSpec(kind="latency", latency_ms=100, distribution="lognormal", sigma=0.5, seed=3)])
    a = [reg.draw("e", False).delay_s for _ in range(200)]
    reg.set("e", [FaultSpec(kind="latency", latency_ms=100, distribution="lognormal", sigma=0.5, seed=3)])
    b = [reg.draw("e", False).delay_s for _ in range(200)]
    assert a == b and len(set(a)) > 100
    assert 0.08 < sorted(a)[100] < 0.125  # median of a lognormal is exp(mu)
    reg.set("e", [FaultSpec(kind="latency", latency_ms=50, distribution="normal", stddev_ms=100, max_ms=120, seed=1)])
    draws = [reg.draw("e", False).delay_s for _ in range(200)]
    assert min(draws) >= 0 and max(draws) <= 0.12
    reg.set("e", [FaultSpec(kind="latency", latency_ms=10), FaultSpec(kind="throttle", count=1),
                  FaultSpec(kind="model_error", count=1)])
    first, second, third = (reg.draw("e", False) for _ in range(3))
    assert first.fault.kind == "throttle" and abs(first.delay_s - 0.01) < 1e-9
    assert second.fault.kind == "model_error"  # the model_error rule was not consumed by the first call
    assert third.fault is None and third.fired == ["latency"]
