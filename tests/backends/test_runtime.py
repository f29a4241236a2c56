"""SageMakerRuntime and the error taxonomy, against botocore's real client.

Non-stream calls use botocore's ``Stubber`` on a client built by the runtime
itself (so the Config and the error classes are botocore's own). A tiny
loopback HTTP server proves two things a Stubber cannot: botocore's own retries
are really off, and the modeled ModelError fields survive real response parsing.
Streams use a duck-typed client (Stubber cannot stub event streams).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import (ConnectTimeoutError, EndpointConnectionError, EventStreamError, ReadTimeoutError)
from botocore.response import StreamingBody
from botocore.stub import Stubber

from adeptai_sagemaker.plugin.completion import InvokeOptions
from adeptai_sagemaker.core.errors import (AdeptSageMakerError, ConfigurationError, ConnectionFailedError,
                                      EndpointTimeoutError, EndpointValidationError, InputTooLargeError,
                                      InternalFailureError, InvocationError, ModelError, ModelNotReadyError,
                                      ModelStreamError, RegionNotAllowedError, ServiceUnavailableError,
                                      ThrottlingError, from_botocore)
from adeptai_sagemaker.backends.sagemaker.runtime import AsyncInvocation, RuntimeConfig, SageMakerRuntime

EP = "adeptai-job-parser-v1"
SECRET = "SECRET-RESUME-TEXT-jane@example.com"


pytestmark = pytest.mark.usefixtures("aws_env")


def make_config(**kw) -> RuntimeConfig:
    base = dict(region="us-east-1", max_attempts=3, max_retry_time=5.0, backoff_base=0.001, backoff_max=0.002)
    base.update(kw)
    return RuntimeConfig(**base)


class Recorder:
    def __init__(self):
        self.attempts: list[tuple[str, int, object, float]] = []
        self.sleeps: list[float] = []

    def on_attempt(self, endpoint, n, err, latency):
        self.attempts.append((endpoint, n, err, latency))

    def sleep(self, s):
        self.sleeps.append(s)


@pytest.fixture
def rec():
    return Recorder()


@pytest.fixture
def rt(rec):
    runtime = SageMakerRuntime(make_config(), on_attempt=rec.on_attempt, sleep=rec.sleep)
    with Stubber(runtime.client) as stubber:
        runtime.stubber = stubber
        yield runtime
        stubber.assert_no_pending_responses()


def ok_response(data: bytes = b'[{"generated_text": "hi"}]'):
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic", "CustomAttributes": "trace=1"}


def add_error(rt, code, status, message="boom", **modeled):
    rt.stubber.add_client_error("invoke_endpoint", service_error_code=code, service_message=message,
                                http_status_code=status, modeled_fields=modeled or None)


# ---------------------------------------------------------------- success path and options
def test_invoke_passes_options_and_returns_result(rt, rec):
    opts = InvokeOptions(target_model="m.tar.gz", target_variant="blue", inference_component="ic-1",
                         custom_attributes="accept_eula=true", inference_id="req-1", target_container_hostname="c1")
    rt.stubber.add_response("invoke_endpoint", ok_response(), expected_params={
        "EndpointName": EP, "Body": b"{}", "ContentType": "application/json", "Accept": "application/json",
        "TargetModel": "m.tar.gz", "TargetVariant": "blue", "InferenceComponentName": "ic-1",
        "CustomAttributes": "accept_eula=true", "InferenceId": "req-1", "TargetContainerHostname": "c1"})
    res = rt.invoke(EP, b"{}", options=opts)
    assert res.body == b'[{"generated_text": "hi"}]'
    assert (res.content_type, res.invoked_variant, res.custom_attributes) == ("application/json", "AllTraffic",
                                                                              "trace=1")
    assert res.attempts == 1 and res.latency_s >= 0
    assert [(e, n, err) for e, n, err, _ in rec.attempts] == [(EP, 1, None)]


def test_option_not_accepted_by_operation_is_rejected_before_network(rt):
    with pytest.raises(ConfigurationError, match="TargetModel"):
        rt.invoke_stream(EP, b"{}", options=InvokeOptions(target_model="m.tar.gz"))
    with pytest.raises(ConfigurationError, match="1024"):
        rt.invoke(EP, b"{}", options=InvokeOptions(custom_attributes="x" * 1025))


# ---------------------------------------------------------------- error mapping and retry policy
RETRYABLE = [
    ("ThrottlingException", 400, {}, ThrottlingError, "throttled"),
    ("Throttling", 400, {}, ThrottlingError, "throttled"),
    ("TooManyRequestsException", 429, {}, ThrottlingError, "throttled"),
    ("ServiceUnavailable", 503, {}, ServiceUnavailableError, "service_unavailable"),
    ("InternalFailure", 500, {}, InternalFailureError, "internal_failure"),
    ("InternalDependencyException", 530, {}, InternalFailureError, "internal_dependency"),
    ("ModelError", 424, {"OriginalStatusCode": 500, "OriginalMessage": SECRET, "LogStreamArn": "arn:aws:logs:ls"},
     ModelError, "model_error_5xx"),
    ("ModelError", 424, {"OriginalStatusCode": 429}, ModelError, "model_error_429"),
    ("SomethingNew", 502, {}, InternalFailureError, "internal_failure"),
]


@pytest.mark.parametrize("code,status,modeled,cls,reason", RETRYABLE, ids=[f"{r[0]}-{r[1]}" for r in RETRYABLE])
def test_retryable_errors_are_retried_to_the_bound(rt, rec, code, status, modeled, cls, reason):
    for _ in range(3):
        add_error(rt, code, status, **modeled)
    with pytest.raises(cls) as ei:
        rt.invoke(EP, b"{}")
    err = ei.value
    assert err.retryable and err.reason == reason and err.attempts == 3
    assert err.endpoint == EP and err.status == status
    assert [n for _, n, _, _ in rec.attempts] == [1, 2, 3]
    assert all(isinstance(e, cls) for _, _, e, _ in rec.attempts)
    assert len(rec.sleeps) == 2 and all(0 <= s <= 0.002 for s in rec.sleeps)


def test_retryable_error_then_success(rt, rec):
    add_error(rt, "ThrottlingException", 400)
    rt.stubber.add_response("invoke_endpoint", ok_response())
    res = rt.invoke(EP, b"{}")
    assert res.attempts == 2
    assert isinstance(rec.attempts[0][2], ThrottlingError) and rec.attempts[1][2] is None


NOT_RETRYABLE = [
    ("ModelError", 424, {"OriginalStatusCode": 400, "OriginalMessage": SECRET}, ModelError, "model_error_4xx"),
    ("ModelError", 424, {"OriginalStatusCode": 422}, ModelError, "model_error_4xx"),
    ("ValidationError", 400, {}, EndpointValidationError, "validation_error"),
    ("AccessDeniedException", 400, {}, ConfigurationError, "auth"),
    ("SomethingNew", 400, {}, InvocationError, "invocation_error"),
    ("ModelNotReadyException", 429, {}, ModelNotReadyError, "endpoint_cold"),  # cold: waking takes minutes
]


@pytest.mark.parametrize("code,status,modeled,cls,reason", NOT_RETRYABLE,
                         ids=[f"{r[0]}-{r[1]}" for r in NOT_RETRYABLE])
def test_non_retryable_errors_are_raised_at_once(rt, rec, code, status, modeled, cls, reason):
    add_error(rt, code, status, **modeled)
    with pytest.raises(cls) as ei:
        rt.invoke(EP, b"{}")
    assert ei.value.retryable is False and ei.value.reason == reason and ei.value.attempts == 1
    assert len(rec.attempts) == 1 and rec.sleeps == []


def test_model_error_keeps_details_but_not_container_text_in_str(rt):
    msg = f'Received server error (500) from primary with message "{SECRET}". See logs in account 123456789012.'
    add_error(rt, "ModelError", 424, message=msg, OriginalStatusCode=400, OriginalMessage=SECRET,
              LogStreamArn="arn:aws:logs:us-east-1:1:log-group:/aws/sagemaker/Endpoints/x")
    with pytest.raises(ModelError) as ei:
        rt.invoke(EP, b"{}")
    e = ei.value
    assert e.original_status_code == 400 and e.original_message == SECRET
    assert e.log_stream_arn.startswith("arn:aws:logs")
    assert SECRET not in str(e) and "123456789012" not in str(e)
    assert "container_status=400" in str(e) and e.log_stream_arn in str(e)
    assert e.__cause__ is None and e.__context__ is None  # no ClientError text chained into tracebacks


def test_runtime_logs_carry_no_body_or_container_text(rt, caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger="adeptai_sagemaker")
    add_error(rt, "ModelError", 424, message=SECRET, OriginalStatusCode=400, OriginalMessage=SECRET)
    with pytest.raises(ModelError):
        rt.invoke(EP, SECRET.encode())
    rt.stubber.add_response("invoke_endpoint", ok_response(SECRET.encode()))
    rt.invoke(EP, SECRET.encode())
    ours = [r for r in caplog.records if r.name.startswith("adeptai_sagemaker")]
    assert ours, "the runtime should log attempts at DEBUG"
    text = "\n".join(r.getMessage() for r in ours)
    assert SECRET not in text and "testing" not in text and EP in text


def test_container_timeout_model_error_is_not_retried(rt, rec):
    add_error(rt, "ModelError", 424,
              message="Your invocation timed out while waiting for a response from container primary.",
              OriginalStatusCode=500)
    with pytest.raises(ModelError) as ei:
        rt.invoke(EP, b"{}")
    assert ei.value.is_container_timeout and not ei.value.retryable and ei.value.reason == "model_timeout"
    assert len(rec.attempts) == 1


def test_validation_error_gives_actionable_hint(rt):
    add_error(rt, "ValidationError", 400, message="Inference Component Name header is required for endpoints to "
                                                   "which you plan to deploy inference components.")
    with pytest.raises(EndpointValidationError, match="inference_component"):
        rt.invoke(EP, b"{}")


def test_unexpected_exception_maps_to_non_retryable_invocation_error():
    err = from_botocore(RuntimeError(SECRET), EP)
    assert isinstance(err, InvocationError) and not err.retryable and SECRET not in str(err)


@pytest.mark.parametrize("exc,cls,retryable", [
    (ReadTimeoutError(endpoint_url="http://x"), EndpointTimeoutError, True),
    (ConnectTimeoutError(endpoint_url="http://x"), ConnectionFailedError, True),
    (EndpointConnectionError(endpoint_url="http://x"), ConnectionFailedError, True),
])
def test_transport_exceptions_map(exc, cls, retryable):
    err = from_botocore(exc, EP)
    assert type(err) is cls and err.retryable is retryable and err.endpoint == EP


def test_connection_closed_maps():
    from botocore.exceptions import ConnectionClosedError
    err = from_botocore(ConnectionClosedError(endpoint_url="http://x"), EP)
    assert isinstance(err, ConnectionFailedError) and err.retryable


# ---------------------------------------------------------------- backoff bounds
def test_backoff_is_jittered_exponential_and_capped(rec):
    rt = SageMakerRuntime(make_config(max_attempts=6, backoff_base=0.01, backoff_max=0.04),
                          on_attempt=rec.on_attempt, sleep=rec.sleep)
    with Stubber(rt.client) as stubber:
        for _ in range(6):
            stubber.add_client_error("invoke_endpoint", service_error_code="ServiceUnavailable", http_status_code=503)
        with pytest.raises(ServiceUnavailableError) as ei:
            rt.invoke(EP, b"{}")
    assert ei.value.attempts == 6 and len(rec.sleeps) == 5
    ceilings = [min(0.04, 0.01 * 2 ** i) for i in range(5)]
    assert all(0 <= s <= c for s, c in zip(rec.sleeps, ceilings))
    assert len(set(rec.sleeps)) > 1  # jittered, not a fixed schedule


def test_total_retry_time_is_bounded_even_with_many_attempts(rec, monkeypatch):
    """The retry loop reads an injected clock that moves 1 ms per attempt and by every wait it sleeps: it stops
    once max_retry_time has passed, long before its 1000 attempts, and never sleeps past the budget."""
    import types

    import tenacity

    clock = {"now": 1000.0}

    def sleep(seconds):
        rec.sleep(seconds)
        clock["now"] += seconds

    def attempt_done(*args):
        rec.on_attempt(*args)
        clock["now"] += 0.001

    monkeypatch.setattr(tenacity, "time", types.SimpleNamespace(monotonic=lambda: clock["now"]))
    rt = SageMakerRuntime(make_config(max_attempts=1000, max_retry_time=0.15, backoff_base=0.02, backoff_max=0.05),
                          on_attempt=attempt_done, sleep=sleep)
    with Stubber(rt.client) as stubber:
        for _ in range(1000):
            stubber.add_client_error("invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(ThrottlingError) as ei:
            rt.invoke(EP, b"{}")
    assert 2 <= ei.value.attempts < 1000 and len(rec.sleeps) == ei.value.attempts - 1
    assert sum(rec.sleeps) <= 0.15 <= clock["now"] - 1000.0  # stopped by the budget, never slept past it


# ---------------------------------------------------------------- guards and configuration
def test_payload_guard_runs_before_any_network_call(rec):
    rt = SageMakerRuntime(make_config(max_payload_bytes=1024), on_attempt=rec.on_attempt, sleep=rec.sleep)
    with Stubber(rt.client):  # nothing queued: any call would fail the stubber
        with pytest.raises(InputTooLargeError) as ei:
            rt.invoke(EP, b"x" * 1025)
        with pytest.raises(InputTooLargeError):
            rt.invoke_stream(EP, b"x" * 1025)
    assert (ei.value.size, ei.value.limit) == (1025, 1024) and rec.attempts == []


def test_missing_region_names_aws_region(monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        SageMakerRuntime(RuntimeConfig.from_env())
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        SageMakerRuntime(RuntimeConfig(region=""))


def test_from_env_reads_region_and_region_allow_list(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert RuntimeConfig.from_env().region == "ap-south-1"
    with pytest.raises(RegionNotAllowedError):
        SageMakerRuntime(RuntimeConfig(region="us-west-2", allowed_regions=("ap-south-1",)))


def test_config_is_applied_on_the_lazily_created_client():
    rt = SageMakerRuntime(make_config(connect_timeout=1.5, read_timeout=33.0, max_pool_connections=48,
                                      endpoint_url="http://127.0.0.1:9"))
    assert rt._client is None  # nothing built until first use
    client = rt.client
    assert rt.client is client  # once per runtime
    cfg = client.meta.config
    assert (cfg.connect_timeout, cfg.read_timeout, cfg.max_pool_connections) == (1.5, 33.0, 48)
    assert cfg.retries["total_max_attempts"] == 1
    assert client.meta.endpoint_url == "http://127.0.0.1:9" and client.meta.region_name == "us-east-1"


def test_importing_the_package_does_not_import_boto3():
    code = ("import sys, adeptai_sagemaker, adeptai_sagemaker.backends.sagemaker.runtime, adeptai_sagemaker.backends.sagemaker.codecs, "
            "adeptai_sagemaker.core.errors; print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- real HTTP over loopback
class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.hits.append(self.path)
        mode = self.server.mode
        if mode == "slow":
            time.sleep(1.0)
        if mode == "503":
            payload, status, etype = {"message": "try again"}, 503, "ServiceUnavailable"
        else:
            payload = {"ErrorCode": "CLIENT_ERROR_FROM_MODEL", "LogStreamArn": "arn:aws:logs:x",
                       "Message": f'Received client error (400) from primary with message "{SECRET}"',
                       "OriginalMessage": SECRET, "OriginalStatusCode": 400}
            status, etype = 424, "ModelError"
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-ErrorType", f"{etype}:http://internal.amazon.com/coral/com.amazon.sagemaker/")
            self.send_header("x-amzn-RequestId", "req-123")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.hits, server.mode = [], "503"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _http_runtime(server, rec, **kw):
    return SageMakerRuntime(make_config(endpoint_url=f"http://127.0.0.1:{server.server_port}", **kw),
                            on_attempt=rec.on_attempt, sleep=rec.sleep)


def test_botocore_retries_are_off_so_tenacity_is_the_only_loop(http_server, rec):
    rt = _http_runtime(http_server, rec, max_attempts=3)
    with pytest.raises(ServiceUnavailableError) as ei:
        rt.invoke(EP, b"{}")
    assert ei.value.attempts == 3 and ei.value.request_id == "req-123"
    assert http_server.hits == [f"/endpoints/{EP}/invocations"] * 3  # 3, not 3 x botocore's own retries


def test_model_error_fields_survive_real_response_parsing(http_server, rec):
    http_server.mode = "model_error"
    rt = _http_runtime(http_server, rec)
    with pytest.raises(ModelError) as ei:
        rt.invoke(EP, b"{}")
    e = ei.value
    assert (e.original_status_code, e.log_stream_arn, e.status) == (400, "arn:aws:logs:x", 424)
    assert not e.retryable and len(http_server.hits) == 1 and SECRET not in str(e)


def test_read_timeout_is_typed_and_retried(http_server, rec):
    http_server.mode = "slow"
    rt = _http_runtime(http_server, rec, read_timeout=0.2, max_attempts=2)
    with pytest.raises(EndpointTimeoutError) as ei:  # the slow server answers in the end: the timeout cut it
        rt.invoke(EP, b"{}")
    assert ei.value.attempts == 2 and len(http_server.hits) == 2


# ---------------------------------------------------------------- streaming
class FakeStreamClient:
    """Duck-typed sagemaker-runtime client: each call pops the next scripted stream (or raises)."""

    def __init__(self, scripts):
        self.scripts = list(scripts)
        self.calls = []
        self.closed = 0

    def invoke_endpoint_with_response_stream(self, **kwargs):
        self.calls.append(kwargs)
        script = self.scripts.pop(0)
        if isinstance(script, BaseException):
            raise script
        fake = self

        class Body:
            def __iter__(self):
                for item in script:
                    if isinstance(item, BaseException):
                        raise item
                    yield item

            def close(self):
                fake.closed += 1

        return {"Body": Body(), "ContentType": "text/event-stream"}


def part(b: bytes) -> dict:
    return {"PayloadPart": {"Bytes": b}}


def stream_rt(client, rec, **kw):
    return SageMakerRuntime(make_config(**kw), client=client, on_attempt=rec.on_attempt, sleep=rec.sleep)


def test_stream_yields_payload_parts_and_passes_options(rec):
    client = FakeStreamClient([[part(b"a"), part(b""), part(b"b"), part(b"c")]])
    rt = stream_rt(client, rec)
    out = list(rt.invoke_stream(EP, b"{}", options=InvokeOptions(inference_component="ic-1", inference_id="r1")))
    assert out == [b"a", b"b", b"c"]
    assert client.calls[0]["InferenceComponentName"] == "ic-1" and client.calls[0]["InferenceId"] == "r1"
    assert client.closed == 1


def test_stream_retries_before_first_byte_only(rec):
    unavailable = from_botocore(_client_error("ServiceUnavailable", 503), EP)
    client = FakeStreamClient([unavailable, [{"InternalStreamFailure": {"Message": "x"}}], [part(b"ok")]])
    rt = stream_rt(client, rec)
    assert list(rt.invoke_stream(EP, b"{}")) == [b"ok"]
    assert len(client.calls) == 3 and [n for _, n, _, _ in rec.attempts] == [1, 2, 3]


def test_stream_error_after_first_byte_is_raised_not_retried(rec):
    client = FakeStreamClient([[part(b"a"), {"ModelStreamError": {"ErrorCode": "StreamBroken", "Message": SECRET}}],
                               [part(b"never")]])
    rt = stream_rt(client, rec)
    got = []
    with pytest.raises(ModelStreamError) as ei:
        for chunk in rt.invoke_stream(EP, b"{}"):
            got.append(chunk)
    assert got == [b"a"] and len(client.calls) == 1
    assert ei.value.error_code == "StreamBroken" and SECRET not in str(ei.value)
    assert client.closed == 1


def test_stream_attempts_bounds_pre_byte_retries(rec):
    fail = [{"InternalStreamFailure": {}}]
    client = FakeStreamClient([fail, fail, fail])
    rt = stream_rt(client, rec, max_attempts=5)
    with pytest.raises(ModelStreamError) as ei:
        list(rt.invoke_stream(EP, b"{}", stream_attempts=2))
    assert ei.value.attempts == 2 and len(client.calls) == 2


def test_botocore_event_stream_exception_maps_to_model_stream_error(rec):
    exc = EventStreamError({"Error": {"Code": "ModelStreamError", "Message": SECRET}},
                           "InvokeEndpointWithResponseStream")
    client = FakeStreamClient([[part(b"a"), exc]])
    with pytest.raises(ModelStreamError) as ei:
        list(stream_rt(client, rec).invoke_stream(EP, b"{}"))
    assert SECRET not in str(ei.value) and ei.value.attempts == 1


def _client_error(code, status):
    from botocore.exceptions import ClientError
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "InvokeEndpointWithResponseStream")


# ---------------------------------------------------------------- async inference
@pytest.fixture
def s3_bucket():
    moto = pytest.importorskip("moto", reason="moto (dev extra) provides the in-process S3")
    import boto3
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="adeptai-async")
        yield s3


def test_submit_async_uploads_then_invokes_and_fetch_polls(s3_bucket, rec):
    runtime_client = SageMakerRuntime(make_config()).client
    rt = SageMakerRuntime(make_config(), client=runtime_client, s3_client=s3_bucket,
                          on_attempt=rec.on_attempt, sleep=rec.sleep)
    with Stubber(runtime_client) as stubber:
        stubber.add_response("invoke_endpoint_async",
                             {"InferenceId": "inf-1", "OutputLocation": "s3://adeptai-async/out/inf-1.out",
                              "FailureLocation": "s3://adeptai-async/fail/inf-1.err"},
                             expected_params={"EndpointName": EP, "InputLocation": "s3://adeptai-async/in/inf-1.in",
                                              "ContentType": "application/json", "Accept": "application/json",
                                              "InferenceId": "inf-1", "InvocationTimeoutSeconds": 900,
                                              "CustomAttributes": "accept_eula=true"})
        inv = rt.submit_async(EP, b'{"inputs": "x"}', "s3://adeptai-async/in/", inference_id="inf-1",
                              invocation_timeout_s=900, options=InvokeOptions(custom_attributes="accept_eula=true"))
    assert inv.output_location.endswith("inf-1.out") and inv.inference_id == "inf-1"
    stored = s3_bucket.get_object(Bucket="adeptai-async", Key="in/inf-1.in")
    assert stored["Body"].read() == b'{"inputs": "x"}' and stored["ServerSideEncryption"] == "AES256"

    def sleep_then_answer(s):  # the result lands while we wait
        rec.sleeps.append(s)
        s3_bucket.put_object(Bucket="adeptai-async", Key="out/inf-1.out", Body=b'[{"generated_text": "done"}]')

    rt._sleep = sleep_then_answer
    assert rt.fetch_async_result(inv, timeout_s=5, poll_interval_s=0.01) == b'[{"generated_text": "done"}]'
    assert len(rec.sleeps) == 1


def test_fetch_async_failure_and_timeout(s3_bucket, rec):
    rt = SageMakerRuntime(make_config(), client=object(), s3_client=s3_bucket, sleep=rec.sleep)
    inv = AsyncInvocation("s3://adeptai-async/out/a.out", "s3://adeptai-async/fail/a.err", "a", endpoint=EP)
    with pytest.raises(EndpointTimeoutError) as ei:
        rt.fetch_async_result(inv, timeout_s=0)
    assert ei.value.code == "AsyncResultTimeout"
    s3_bucket.put_object(Bucket="adeptai-async", Key="fail/a.err", Body=SECRET.encode())
    with pytest.raises(InvocationError) as ei:
        rt.fetch_async_result(inv, timeout_s=0)
    assert ei.value.code == "AsyncInferenceFailed" and not ei.value.retryable
    assert SECRET not in str(ei.value) and ei.value.service_message == SECRET


def test_invoke_async_rejects_options_and_bad_timeouts(rec):
    rt = SageMakerRuntime(make_config(), client=object())
    with pytest.raises(ConfigurationError, match="InferenceComponentName"):
        rt.invoke_async(EP, "s3://b/k", options=InvokeOptions(inference_component="ic"))
    with pytest.raises(ConfigurationError, match="3600"):
        rt.invoke_async(EP, "s3://b/k", invocation_timeout_s=4000)
    with pytest.raises(ConfigurationError, match="s3://"):
        rt.invoke_async(EP, "https://not-s3")


def test_every_error_is_an_adept_error():
    for exc in (ThrottlingError(), ModelError(original_status_code=500), ModelStreamError(error_code="x")):
        assert isinstance(exc, AdeptSageMakerError) and isinstance(exc.reason, str) and exc.code
