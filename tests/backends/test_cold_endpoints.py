"""Cold endpoints (scale-to-zero inference components, models still loading) through real boto3 HTTP.

A 429 ModelNotReadyException or a 400 "has no capacity" from a scaled-to-zero inference component is
neither throttling nor a sick endpoint: the call falls back at once (one attempt, reason
``endpoint_cold``), the breaker stays closed however many calls find it cold, and metrics count
the cold starts.
"""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")

from adeptai_sagemaker.core import errors as E
from adeptai_sagemaker.core.breaker import BreakerConfig, CircuitBreaker  # noqa: E402
from support.reliability import (CannedModel, framework_for, legacy_for, request_for,  # noqa: E402
                                 server_requests, settings_for)

CAP = "job_parser"


LOCAL_ENDPOINT = {"default_dialect": "tgi", "backend": CannedModel}  # the ``endpoint`` fixture (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("aws_env")


def make(endpoint, tmp_path, **cap_options):
    name = f"cold-{uuid.uuid4().hex[:10]}"
    settings = settings_for(endpoint_url=endpoint.url, capabilities=[CAP], endpoint_of=lambda c: name,
                            cap_options={"max_attempts": 3, "max_reasks": 0, **cap_options},
                            cache_dir=tmp_path / "c", adeptai_sagemaker_breaker_failures=2)
    fw, rec = framework_for(settings)
    return fw, rec, name


def call(fw):
    return fw.call(CAP, request_for(CAP, "Python engineer, AWS"), legacy=legacy_for(CAP))


@pytest.mark.parametrize("kind,code", [("model_not_ready", "ModelNotReadyException"),
                                       ("no_capacity", "InferenceComponentNoCapacity")])
def test_cold_endpoint_falls_back_after_one_attempt_and_the_breaker_stays_closed(endpoint, tmp_path, kind, code):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind=kind)
    answers = [call(fw) for _ in range(5)]  # more than the breaker's 2-failure threshold
    assert all(a.from_legacy for a in answers)
    assert [r.fallback_reason for r in rec.calls] == ["endpoint_cold"] * 5
    assert [r.error_code for r in rec.calls] == [code] * 5
    assert server_requests(endpoint, name) == 5, "one attempt per call: no retries while it wakes"
    assert [r.attempts for r in rec.calls] == [1] * 5
    assert fw.breakers.get(f"sagemaker:{name}").state == "closed" and not rec.circuits
    row = next(r for r in fw.metrics.snapshot()["series"] if r["endpoint"] == name)
    assert row["cold_starts"] == 5 and row["fallbacks_by_reason"] == {"endpoint_cold": 5}
    endpoint.clear_faults(name)  # awake: the next call is answered by SageMaker
    assert not call(fw).from_legacy


def test_fallback_off_raises_the_typed_cold_error(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    fw.settings.sagemaker_llm_fallback = False
    endpoint.set_faults(name, kind="model_not_ready")
    with pytest.raises(E.EndpointColdError) as info:
        call(fw)
    assert info.value.reason == "endpoint_cold" and not info.value.retryable and info.value.status == 429


def test_throttling_is_still_throttling(endpoint, tmp_path):
    """Only cold errors are exempt: a 429 ThrottlingException is retried and trips the breaker."""
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="throttle", status=429)
    for _ in range(2):
        call(fw)
    assert [r.fallback_reason for r in rec.calls] == ["throttled"] * 2
    assert server_requests(endpoint, name) == 6 and fw.breakers.get(f"sagemaker:{name}").state == "open"


def test_cold_probe_in_half_open_neither_closes_nor_reopens():
    now = [0.0]
    breaker = CircuitBreaker("b", BreakerConfig(consecutive_failures=1, cooldown_s=10), clock=lambda: now[0])
    breaker.record_failure("throttled")
    now[0] = 11
    assert breaker.allow() and not breaker.allow()  # one probe in flight
    breaker.release_probe()  # the probe found the endpoint cold
    assert breaker.state == "half_open" and breaker.allow()


def test_validation_errors_that_are_not_about_capacity_stay_validation_errors():
    from botocore.exceptions import ClientError

    def client_error(message):
        return ClientError({"Error": {"Code": "ValidationError", "Message": message},
                            "ResponseMetadata": {"HTTPStatusCode": 400}}, "InvokeEndpoint")

    cold = E.from_botocore(client_error("Inference Component ic-1 has no capacity to process this request."), "ep")
    assert isinstance(cold, E.EndpointColdError) and cold.code == "InferenceComponentNoCapacity"
    other = E.from_botocore(client_error("Endpoint ep of account 1 not found."), "ep")
    assert isinstance(other, E.EndpointValidationError) and other.reason == "validation_error"
