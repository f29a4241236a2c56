"""Faults through real HTTP: boto3 -> SigV4 -> loopback -> the local endpoint's fault injection.

For each fault the tests prove four things: retries stay within their bound (counted server-side,
in the endpoint's own stats), the circuit breaker opens and recovers through a half-open probe,
the fallback answers with the reason recorded in the observer records, and no exception reaches
the caller while fallback is on (and a typed one does when it is off).

The endpoint here serves a canned, schema-valid model (``CannedModel``) so the numbers measure the
transport and the framework, not the reference model's answers.
"""

from __future__ import annotations

import time
import uuid

import pytest

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")

from adeptai_sagemaker.core import errors as E
from adeptai_sagemaker.capabilities.schemas import JobParserOutput  # noqa: E402
from adeptai_sagemaker.core.settings import load_settings  # noqa: E402

from support.reliability import (  # noqa: E402
    CannedModel,
    FakeClock,
    closed_port,
    framework_for,
    legacy_for,
    request_for,
    server_requests,
    settings_for,
)

CAP = "job_parser"
REQUEST = request_for(CAP, "Python engineer, 5+ years, AWS")


LOCAL_ENDPOINT = {"default_dialect": "tgi", "backend": CannedModel}  # the ``endpoint`` fixture (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("aws_env")


def make(endpoint, tmp_path, *, fallback=True, cooldown=60.0, url=None, cap=CAP, clock=None, **cap_options):
    """A framework whose ``cap`` goes to a fresh endpoint name (fresh stats, fresh breaker)."""
    name = f"rel-{uuid.uuid4().hex[:10]}"
    options = {"max_attempts": 3, "read_timeout": 5.0, "connect_timeout": 1.0, "max_reasks": 1, **cap_options}
    settings = settings_for(endpoint_url=url or endpoint.url, capabilities=[cap], endpoint_of=lambda c: name,
                            cap_options=options, cache_dir=tmp_path / "cache", sagemaker_llm_fallback=fallback,
                            adeptai_sagemaker_breaker_failures=3, adeptai_sagemaker_breaker_cooldown_s=cooldown)
    fw, rec = framework_for(settings, clock=clock)
    return fw, rec, name


def call(fw, cap=CAP):
    return fw.call(cap, request_for(cap, "Python engineer, 5+ years, AWS"), legacy=legacy_for(cap))


# ------------------------------------------------------------------ throttling, 503, ModelError


@pytest.mark.parametrize("status", [400, 429])
def test_throttling_storm_retries_within_bound_then_opens_the_breaker(endpoint, tmp_path, status):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="throttle", status=status)
    answers = [call(fw) for _ in range(6)]
    assert all(a.from_legacy for a in answers)  # no exception, every call answered
    reasons = [r.fallback_reason for r in rec.calls]
    assert reasons == ["throttled"] * 3 + ["circuit_open"] * 3
    assert server_requests(endpoint, name) == 9, "3 calls x max_attempts=3, then the open breaker sends nothing"
    assert [r.attempt for r in rec.invocations] == [1, 2, 3] * 3
    assert {r.error_code for r in rec.invocations} == {"ThrottlingException"}
    assert [(e.state) for e in rec.circuits] == ["open"]
    assert fw.breakers.states()[f"sagemaker:{name}"] == "open"


def test_503_burst_is_absorbed_by_bounded_retries(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="service_unavailable", count=2)
    out = call(fw).value
    assert isinstance(out, JobParserOutput) and out.provenance == "canned"
    assert rec.calls[-1].outcome == "success" and rec.calls[-1].attempts == 3
    assert server_requests(endpoint, name) == 3
    endpoint.set_faults(name, kind="service_unavailable", count=10)  # a longer burst: bounded, then fallback
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == "service_unavailable"
    assert server_requests(endpoint, name) == 6


@pytest.mark.parametrize("original_status,expected_requests,reason", [
    (500, 3, "model_error_5xx"),
    (503, 3, "model_error_5xx"),
    (400, 1, "model_error_4xx"),
    (422, 1, "model_error_4xx"),
])
def test_model_error_424_retries_only_container_5xx(endpoint, tmp_path, original_status, expected_requests, reason):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="model_error", original_status=original_status)
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == reason and rec.calls[-1].error_code == "ModelError"
    assert server_requests(endpoint, name) == expected_requests


def test_container_timeout_is_not_retried(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="container_timeout")
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == "model_timeout"
    assert server_requests(endpoint, name) == 1


# ------------------------------------------------------------------ timeouts and connection failures


def test_read_timeout_from_env_is_honoured_and_bounded(endpoint, tmp_path, monkeypatch):
    """SAGEMAKER_JOB_PARSER_READ_TIMEOUT=0.2 against a 1.5 s stall: each attempt gives up at ~0.2 s."""
    name = f"rel-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_READ_TIMEOUT", "0.2")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", name)
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "on")
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=endpoint.url,
                             adeptai_sagemaker_cache_dir=tmp_path / "c")
    assert settings.capability(CAP).read_timeout == 0.2
    fw, rec = framework_for(settings)
    endpoint.set_faults(name, kind="read_timeout", sleep_s=1.5)
    assert call(fw).from_legacy  # a 0.2 s timeout not applied would have waited out the stall and answered
    assert rec.calls[-1].fallback_reason == "read_timeout"
    assert [r.error_code for r in rec.invocations] == ["ReadTimeout", "ReadTimeout"]
    deadline = time.monotonic() + 5
    while server_requests(endpoint, name) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server records a stalled request when it finishes
    assert server_requests(endpoint, name) == 2


def test_connection_refused_falls_back_fast_and_opens_the_breaker(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, url=f"http://127.0.0.1:{closed_port()}")
    answers = [call(fw) for _ in range(5)]
    assert all(a.from_legacy for a in answers)
    assert [r.fallback_reason for r in rec.calls] == ["connection_failed"] * 3 + ["circuit_open"] * 2
    assert len(rec.invocations) == 9 and {r.error_code for r in rec.invocations} == {"EndpointConnectionError"}


# ------------------------------------------------------------------ bad bodies and broken streams


def test_malformed_json_is_a_decode_error_not_retried(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="malformed_json")
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == "decode_error"
    assert server_requests(endpoint, name) == 1


def test_truncated_output_is_reasked_once_then_falls_back(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    endpoint.set_faults(name, kind="truncated", fraction=0.4)
    assert call(fw).from_legacy
    r = rec.calls[-1]
    assert r.fallback_reason == "invalid_output" and r.reasks == 1
    assert server_requests(endpoint, name) == 2
    endpoint.set_faults(name, kind="truncated", fraction=0.4, count=1)  # one bad answer: the re-ask repairs it
    assert isinstance(call(fw).value, JobParserOutput)
    assert rec.calls[-1].outcome == "success" and rec.calls[-1].reasks == 1


def test_stream_control_succeeds(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, stream=True)
    assert isinstance(call(fw).value, JobParserOutput)
    assert rec.calls[-1].outcome == "success"


@pytest.mark.parametrize("error_code,reason", [("ModelInvocationTimeExceeded", "stream_timeout"),
                                               ("StreamBroken", "stream_error"),
                                               ("InternalStreamFailure", "stream_error")])
def test_stream_that_errors_after_200_falls_back_without_replaying(endpoint, tmp_path, error_code, reason):
    fw, rec, name = make(endpoint, tmp_path, stream=True)
    endpoint.set_faults(name, kind="stream_error", error_code=error_code, after_chunks=2)
    assert call(fw).from_legacy
    # botocore's event-stream parser keeps only Code and Message of an exception event and drops the
    # modeled ErrorCode, so through boto3 every in-stream ModelStreamError reads as "stream_error"
    # (reported to the runtime owner); "stream_timeout" is accepted should the runtime infer it.
    assert rec.calls[-1].fallback_reason in {reason, "stream_error"}
    assert rec.calls[-1].error_code == "ModelStreamError"
    assert server_requests(endpoint, name) == 1, "a stream that already yielded must not be retried"


def test_inband_container_error_in_stream_falls_back(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, stream=True)
    endpoint.set_faults(name, kind="inband_error")
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason in ("stream_error", "model_error")
    assert server_requests(endpoint, name) == 1


# ------------------------------------------------------------------ recovery mid-run


def test_endpoint_recovers_mid_run_through_a_half_open_probe(endpoint, tmp_path):
    clock = FakeClock()
    fw, rec, name = make(endpoint, tmp_path, cooldown=0.3, max_attempts=1, clock=clock)
    endpoint.set_faults(name, kind="service_unavailable")
    for _ in range(3):
        assert call(fw).from_legacy
    assert [e.state for e in rec.circuits] == ["open"]
    before = server_requests(endpoint, name)
    assert call(fw).from_legacy and rec.calls[-1].fallback_reason == "circuit_open"
    assert server_requests(endpoint, name) == before  # open: not even a request

    clock.advance(0.35)  # cool-down over, still failing: the probe fails and re-opens
    assert call(fw).from_legacy and rec.calls[-1].fallback_reason == "service_unavailable"
    assert server_requests(endpoint, name) == before + 1
    assert [e.state for e in rec.circuits] == ["open", "half_open", "open"]

    endpoint.clear_faults(name)  # the endpoint recovers
    assert call(fw).from_legacy and rec.calls[-1].fallback_reason == "circuit_open"
    clock.advance(0.35)
    out = call(fw).value  # the half-open probe succeeds and closes the breaker
    assert isinstance(out, JobParserOutput) and rec.calls[-1].outcome == "success"
    assert [e.state for e in rec.circuits] == ["open", "half_open", "open", "half_open", "closed"]
    assert all(isinstance(call(fw).value, JobParserOutput) for _ in range(3))
    assert fw.breakers.states()[f"sagemaker:{name}"] == "closed"


def test_half_open_lets_exactly_one_probe_through_under_concurrency(endpoint, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    clock = FakeClock()
    fw, rec, name = make(endpoint, tmp_path, cooldown=0.3, max_attempts=1, clock=clock)
    endpoint.set_faults(name, kind="service_unavailable")
    for _ in range(3):
        call(fw)
    clock.advance(0.35)
    endpoint.set_faults(name, faults=[{"kind": "latency", "latency_ms": 300}])  # healthy but slow probe
    before = server_requests(endpoint, name)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: call(fw), range(8)))
    assert server_requests(endpoint, name) == before + 1, "only the probe may reach a half-open endpoint"
    assert sum(isinstance(a.value, JobParserOutput) for a in answers) == 1
    assert sum(r.fallback_reason == "circuit_open" for r in rec.calls[-8:]) == 7


# ------------------------------------------------------------------ fallback off: typed errors only

TYPED = [
    ({"kind": "throttle"}, E.ThrottlingError),
    ({"kind": "service_unavailable"}, E.ServiceUnavailableError),
    ({"kind": "internal_failure"}, E.InternalFailureError),
    ({"kind": "model_error", "original_status": 500}, E.ModelError),
    ({"kind": "container_timeout"}, E.ModelError),
    ({"kind": "model_not_ready"}, E.ModelNotReadyError),
    ({"kind": "malformed_json"}, E.ResponseDecodeError),
    ({"kind": "truncated", "fraction": 0.3}, E.InvalidOutputError),
]


@pytest.mark.parametrize("fault,error", TYPED, ids=[f["kind"] for f, _ in TYPED])
def test_fallback_off_raises_the_typed_error(endpoint, tmp_path, fault, error):
    fw, rec, name = make(endpoint, tmp_path, fallback=False, max_attempts=2)
    endpoint.set_faults(name, **fault)
    with pytest.raises(error) as info:
        call(fw)
    assert isinstance(info.value, E.AdeptSageMakerError)
    assert rec.calls[-1].outcome == "error" and rec.calls[-1].error_code == info.value.code


def test_fallback_off_connection_refused_is_typed(endpoint, tmp_path):
    fw, _, _ = make(endpoint, tmp_path, fallback=False, url=f"http://127.0.0.1:{closed_port()}", max_attempts=1)
    with pytest.raises(E.ConnectionFailedError):
        call(fw)


# ------------------------------------------------------------------ every capability, every fault, fallback on


ALL_FAULTS = [{"kind": "throttle"}, {"kind": "service_unavailable"}, {"kind": "model_error", "original_status": 500},
              {"kind": "model_error", "original_status": 400}, {"kind": "malformed_json"},
              {"kind": "truncated", "fraction": 0.5}, {"kind": "internal_dependency"}]


def test_no_fault_reaches_the_caller_for_any_capability(endpoint, tmp_path):
    from adeptai_sagemaker.plugin.tasks import CAPABILITIES

    name = f"rel-{uuid.uuid4().hex[:10]}"
    settings = settings_for(endpoint_url=endpoint.url, endpoint_of=lambda c: f"{name}-{c}", cache_dir=tmp_path / "c",
                            cap_options={"max_attempts": 2, "max_reasks": 0},
                            adeptai_sagemaker_breaker_failures=1000)
    fw, rec = framework_for(settings)
    for fault in ALL_FAULTS:
        endpoint.set_faults("*", **fault)
        try:
            for capability in CAPABILITIES:
                out = call(fw, capability)
                assert out.from_legacy, (capability, fault)
        finally:
            endpoint.clear_faults("*")
    assert len(rec.calls) == len(ALL_FAULTS) * len(CAPABILITIES)
    assert all(r.outcome == "fallback" and r.fallback_reason for r in rec.calls)
    for capability in CAPABILITIES:  # and each capability still answers once the faults are gone
        assert not call(fw, capability).from_legacy, capability


# ------------------------------------------------------------------ the monolith's call sites, through the adapters

ADAPTER_FAULTS = ALL_FAULTS + [{"kind": "container_timeout"}, {"kind": "model_not_ready"}]


@pytest.mark.parametrize("fault", ADAPTER_FAULTS, ids=[f"{f['kind']}-{f.get('original_status', '')}" for f in ADAPTER_FAULTS])
def test_adapters_never_raise_at_the_monolith_call_site(endpoint, tmp_path, fault):
    """All five adapters, called as the monolith calls them, with every endpoint failing: each
    returns its legacy-shaped answer, and each SageMaker attempt shows up as a fallback with a reason."""
    from support.reliability import check_adapter_shapes, drive_adapters

    name = f"rel-{uuid.uuid4().hex[:10]}"
    settings = settings_for(endpoint_url=endpoint.url, endpoint_of=lambda c: f"{name}-{c}", cache_dir=tmp_path / "c",
                            cap_options={"max_attempts": 2, "max_reasks": 0})
    fw, rec = framework_for(settings)
    endpoint.set_faults("*", **fault)
    try:
        answers = drive_adapters(fw, "Senior Python engineer, 6 years of AWS and SQL, Boston, MA")
    finally:
        endpoint.clear_faults("*")
    check_adapter_shapes(answers)
    assert rec.calls, "the adapters should have gone through the framework"
    assert all(r.outcome == "fallback" and r.fallback_reason for r in rec.calls), [
        (r.capability, r.outcome, r.fallback_reason) for r in rec.calls]


def test_adapters_with_a_dead_endpoint_and_an_open_breaker(endpoint, tmp_path):
    from support.reliability import check_adapter_shapes, drive_adapters

    settings = settings_for(endpoint_url=f"http://127.0.0.1:{closed_port()}", cache_dir=tmp_path / "c",
                            cap_options={"max_attempts": 1}, adeptai_sagemaker_breaker_failures=1)
    fw, rec = framework_for(settings)
    for _ in range(3):
        check_adapter_shapes(drive_adapters(fw, "Python engineer"))
    reasons = {r.fallback_reason for r in rec.calls}
    assert reasons <= {"connection_failed", "circuit_open"} and "circuit_open" in reasons
