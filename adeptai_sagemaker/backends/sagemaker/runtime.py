"""The SageMaker runtime client: one boto3 client, one retry loop, typed errors.

Why it looks like this:
- **One retry loop.** botocore's own retries are switched off
  (``total_max_attempts=1``); the shared policy in :mod:`adeptai_sagemaker.core.retry`
  retries only errors whose ``retryable`` is true, with full-jitter
  exponential backoff, bounded by both an attempt count and a total retry time.
- **Explicit timeouts and pool size** on ``botocore.config.Config``, defaulting
  to the one set in :mod:`adeptai_sagemaker.core.transport` (why each value is
  what it is is written there).
- **Cheap import.** boto3 is imported on first use, once per instance.
- **Privacy.** Only endpoint names, sizes, codes and timings are logged;
  bodies and credentials never are.
- **Streams** may only be retried before their first byte reached the caller;
  after that a retry would duplicate output.
- **The OpenAI-compatible route** (``invoke_openai``) is plain HTTPS with a
  bearer token (``bearer.py``), not a botocore operation, so it goes through
  botocore's own HTTP session (``URLLib3Session``: same timeouts, pool size and
  proxy/CA handling) and through the *same* retry loop and error taxonomy.
- **Loopback endpoints** (the lab's ``serve`` on this machine) get a default
  region and explicit dummy credentials on the boto3 session itself
  (``core/aws_setup.py``): no AWS setup needed, real keys never signed into a
  lab server, and the process environment is never written.
- **Sessions and prefix affinity** are the ``SessionId`` and ``PrefixAwareId``
  parameters of InvokeEndpoint (installed botocore's service model); their
  response headers come back on :class:`InvokeResult`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Sequence

from adeptai_sagemaker.plugin.completion import InvokeOptions
from adeptai_sagemaker.core.errors import (AdeptSageMakerError, ConfigurationError, ConnectionFailedError, EndpointTimeoutError,
                     InputTooLargeError, InvocationError, ModelStreamError, from_botocore, from_http_response)
from adeptai_sagemaker.core import transport
from adeptai_sagemaker.core.retry import RetryPolicy
from adeptai_sagemaker.core.aws_setup import (LOOPBACK_CREDENTIALS, is_loopback, missing_credentials_error,
                                              missing_region_error, resolve_region)
from adeptai_sagemaker.core.settings import ensure_region_allowed

__all__ = ["RuntimeConfig", "SageMakerRuntime", "InvokeResult", "OpenAIResponse", "AsyncInvocation", "OnAttempt",
           "REALTIME_PAYLOAD_LIMIT", "ASYNC_PAYLOAD_LIMIT", "allowed_options"]

log = logging.getLogger(__name__)

REALTIME_PAYLOAD_LIMIT = 6_291_456  # botocore BodyBlob max for InvokeEndpoint
ASYNC_PAYLOAD_LIMIT = 1_073_741_824  # async inference: up to 1 GB through S3

#: ``on_attempt(endpoint, attempt_no, error_or_None, latency_s)``, called after every transport attempt.
OnAttempt = Callable[[str, int, Optional[AdeptSageMakerError], float], None]

# Which InvokeOptions each operation accepts (botocore model, sagemaker-runtime 2017-05-13).
_ALLOWED = {
    "invoke_endpoint": {"TargetModel", "TargetVariant", "InferenceComponentName", "CustomAttributes", "InferenceId",
                        "TargetContainerHostname", "SessionId", "PrefixAwareId"},
    "invoke_endpoint_with_response_stream": {"TargetVariant", "InferenceComponentName", "CustomAttributes",
                                             "InferenceId", "TargetContainerHostname", "SessionId", "PrefixAwareId"},
    "invoke_endpoint_async": {"CustomAttributes", "InferenceId"},
}


@dataclass(frozen=True)
class RuntimeConfig:
    """Transport settings for one SageMaker runtime client."""

    region: str
    endpoint_url: Optional[str] = None  # e.g. the local endpoint, http://127.0.0.1:8080
    connect_timeout: float = transport.CONNECT_TIMEOUT_S
    read_timeout: float = transport.READ_TIMEOUT_S
    max_pool_connections: int = transport.MAX_POOL_CONNECTIONS
    max_attempts: int = transport.MAX_ATTEMPTS
    max_retry_time: float = transport.MAX_RETRY_TIME_S
    backoff_base: float = transport.BACKOFF_BASE_S
    backoff_max: float = transport.BACKOFF_MAX_S
    max_payload_bytes: int = REALTIME_PAYLOAD_LIMIT
    profile: Optional[str] = None
    allowed_regions: Optional[tuple[str, ...]] = None  # data-residency guard; None allows any
    bearer_token_lifetime_s: int = 900  # OpenAI route tokens (bearer.py); at most 12 h

    def __post_init__(self) -> None:
        if not self.region:  # a loopback endpoint answers for any region (core/aws_setup.resolve_region)
            object.__setattr__(self, "region", resolve_region({}, self.endpoint_url) or "")

    @classmethod
    def from_env(cls, **overrides: Any) -> "RuntimeConfig":
        """Region by ``core/aws_setup.resolve_region`` over the process environment (no silent default for a
        real endpoint), profile from ``AWS_PROFILE``."""
        values: dict[str, Any] = {"region": resolve_region(os.environ, overrides.get("endpoint_url")) or "",
                                  "profile": os.environ.get("AWS_PROFILE") or None}
        values.update(overrides)
        return cls(**values)

    @property
    def loopback(self) -> bool:
        """Whether ``endpoint_url`` is on this machine (signed with dummy credentials, see the module docstring)."""
        return is_loopback(self.endpoint_url)

    def validate(self) -> None:
        if not self.region:
            raise missing_region_error()
        ensure_region_allowed(self.region, self.allowed_regions)
        for name in ("connect_timeout", "read_timeout", "backoff_base", "backoff_max"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"RuntimeConfig.{name} must be > 0")
        if self.max_attempts < 1 or self.max_pool_connections < 1 or self.max_payload_bytes < 1:
            raise ConfigurationError("max_attempts, max_pool_connections and max_payload_bytes must be >= 1")
        if self.max_retry_time < 0:
            raise ConfigurationError("RuntimeConfig.max_retry_time must be >= 0")


@dataclass
class InvokeResult:
    """A successful real-time invocation."""

    body: bytes
    content_type: Optional[str]
    invoked_variant: Optional[str]
    custom_attributes: Optional[str]
    attempts: int
    latency_s: float  # wall time of the whole call, retries and backoff included
    new_session_id: Optional[str] = None  # X-Amzn-SageMaker-New-Session-Id: "<id>; Expires=<UTC>"
    closed_session_id: Optional[str] = None  # X-Amzn-SageMaker-Closed-Session-Id


@dataclass
class AsyncInvocation:
    """An accepted async request; the answer appears at ``output_location`` (or ``failure_location``)."""

    output_location: str
    failure_location: Optional[str]
    inference_id: Optional[str]
    input_location: Optional[str] = None
    endpoint: Optional[str] = None


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ConfigurationError("expected an s3://bucket/key URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


class SageMakerRuntime:
    """Invoke SageMaker endpoints (real-time, streaming, async) with typed errors and bounded retries.

    ``client``: an existing ``sagemaker-runtime`` client (tests pass a stubbed
    one); otherwise one is built lazily from ``config``. ``s3_client`` likewise
    for async inference. ``on_attempt`` observes every transport attempt.
    ``sleep`` is injectable so tests can record backoff without waiting.
    """

    def __init__(self, config: RuntimeConfig, client: Any = None, *, s3_client: Any = None,
                 on_attempt: Optional[OnAttempt] = None, sleep: Callable[[float], None] = time.sleep) -> None:
        config.validate()
        self.config = config
        self._client = client
        self._s3 = s3_client
        self._given_client, self._given_s3 = client is not None, s3_client is not None
        self._session: Any = None
        self._lock = threading.Lock()
        self.on_attempt = on_attempt
        self._sleep = sleep
        self._retry = RetryPolicy(max_attempts=config.max_attempts, max_retry_time=config.max_retry_time,
                                  backoff_base=config.backoff_base, backoff_max=config.backoff_max, sleep=sleep)
        self._http: Any = None  # botocore URLLib3Session for the OpenAI route
        self._bearer: Any = None

    # -- clients ------------------------------------------------------------
    def botocore_config(self) -> Any:
        """The explicit botocore Config every client of this runtime uses."""
        from botocore.config import Config

        c = self.config
        return Config(region_name=c.region, connect_timeout=c.connect_timeout, read_timeout=c.read_timeout,
                      max_pool_connections=c.max_pool_connections,
                      retries={"total_max_attempts": 1, "mode": "standard"},  # tenacity is the only retry loop
                      user_agent_extra="adeptai-sagemaker")

    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            if self.config.loopback:  # explicit keys, and AWS_PROFILE not read: the caller's are neither needed nor used
                import botocore.session

                no_profile = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
                self._session = boto3.session.Session(botocore_session=no_profile, region_name=self.config.region,
                                                      **LOOPBACK_CREDENTIALS)
            else:
                self._session = boto3.session.Session(profile_name=self.config.profile,
                                                      region_name=self.config.region)
        return self._session

    def check_credentials(self) -> None:
        """Resolve the credentials once, before any call (a batch's preflight): ``ConfigurationError`` when
        boto3's chain finds none, instead of one ``NoCredentialsError`` per request later."""
        try:
            found = self._boto_session().get_credentials()
        except Exception as exc:  # ProfileNotFound and friends
            raise from_botocore(exc, None) from None
        if found is None:
            raise missing_credentials_error(self.config.region)

    @property
    def client(self) -> Any:
        """The ``sagemaker-runtime`` client, created on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = self._boto_session().client(
                            "sagemaker-runtime", endpoint_url=self.config.endpoint_url, config=self.botocore_config())
                    except Exception as exc:  # ProfileNotFound and friends
                        raise from_botocore(exc, None) from None
        return self._client

    @property
    def s3(self) -> Any:
        """An S3 client for async inference, created on first use."""
        if self._s3 is None:
            with self._lock:
                if self._s3 is None:
                    try:
                        self._s3 = self._boto_session().client("s3", config=self.botocore_config())
                    except Exception as exc:
                        raise from_botocore(exc, None) from None
        return self._s3

    # -- retry machinery ----------------------------------------------------
    def _notify(self, endpoint: str, attempt: int, error: Optional[AdeptSageMakerError], latency: float) -> None:
        if self.on_attempt is None:
            return
        try:
            self.on_attempt(endpoint, attempt, error, latency)
        except Exception:  # an observer must never break a call
            log.debug("on_attempt callback failed", exc_info=True)

    def _attempt(self, endpoint: str, attempt_no: int, fn: Callable[[], Any]) -> Any:
        """Run one transport attempt; map and annotate its failure."""
        t0 = time.monotonic()
        try:
            out = fn()
        except Exception as exc:
            err = from_botocore(exc, endpoint)
            err.attempts = attempt_no
            latency = time.monotonic() - t0
            self._notify(endpoint, attempt_no, err, latency)
            log.debug("sagemaker attempt failed endpoint=%s attempt=%d code=%s retryable=%s latency_s=%.3f",
                      endpoint, attempt_no, err.code, err.retryable, latency)
            if err is exc:
                raise
            failure = (err, exc)
        else:
            self._notify(endpoint, attempt_no, None, time.monotonic() - t0)
            return out
        _raise_mapped(*failure)

    def _call(self, endpoint: str, fn: Callable[[], Any], max_attempts: Optional[int] = None) -> tuple[Any, int]:
        return self._retry.run(lambda number: self._attempt(endpoint, number, fn),
                               max_attempts or self.config.max_attempts)

    # -- guards ---------------------------------------------------------------
    @staticmethod
    def _require_endpoint(endpoint: Any) -> None:
        """The runtime's own argument check (it is also used without a framework: CLI, lab, batch);
        a framework call never gets here without one (``pipeline.build_route`` checks the setting)."""
        if not endpoint or not isinstance(endpoint, str):
            raise ConfigurationError("endpoint name is required")

    def _guard(self, endpoint: str, body: bytes, limit: Optional[int] = None) -> None:
        self._require_endpoint(endpoint)
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise ConfigurationError("body must be bytes (encode it with a codec first)")
        limit = self.config.max_payload_bytes if limit is None else limit
        if len(body) > limit:
            raise InputTooLargeError(len(body), limit, endpoint=endpoint)

    @staticmethod
    def _options(operation: str, options: Optional[InvokeOptions]) -> dict[str, str]:
        kwargs = options.as_boto_kwargs() if options else {}
        unsupported = set(kwargs) - _ALLOWED[operation]
        if unsupported:
            raise ConfigurationError(f"{operation} does not accept {', '.join(sorted(unsupported))}")
        ca = kwargs.get("CustomAttributes")
        if ca is not None and (len(ca) > 1024 or not ca.isascii() or not ca.isprintable()):
            raise ConfigurationError("CustomAttributes must be at most 1024 visible ASCII characters")
        return kwargs

    # -- real-time ------------------------------------------------------------
    def invoke(self, endpoint: str, body: bytes, *, content_type: str = "application/json",
               accept: str = "application/json", options: Optional[InvokeOptions] = None) -> InvokeResult:
        """``InvokeEndpoint`` with retries; the response body is read inside the attempt."""
        self._guard(endpoint, body)
        kwargs = dict(EndpointName=endpoint, Body=bytes(body), ContentType=content_type, Accept=accept,
                      **self._options("invoke_endpoint", options))
        client = self.client  # built before the first attempt, so its set-up never counts as attempt latency
        started = time.monotonic()

        def once() -> tuple[dict[str, Any], bytes]:
            resp = client.invoke_endpoint(**kwargs)
            return resp, resp["Body"].read()

        (resp, data), attempts = self._call(endpoint, once)
        latency = time.monotonic() - started
        log.debug("sagemaker invoke ok endpoint=%s attempts=%d in_bytes=%d out_bytes=%d latency_s=%.3f",
                  endpoint, attempts, len(body), len(data), latency)
        return InvokeResult(body=data, content_type=resp.get("ContentType"),
                            invoked_variant=resp.get("InvokedProductionVariant"),
                            custom_attributes=resp.get("CustomAttributes"), attempts=attempts, latency_s=latency,
                            new_session_id=resp.get("NewSessionId"), closed_session_id=resp.get("ClosedSessionId"))

    # -- streaming ------------------------------------------------------------
    def invoke_stream(self, endpoint: str, body: bytes, *, content_type: str = "application/json",
                      accept: str = "application/json", options: Optional[InvokeOptions] = None,
                      stream_attempts: Optional[int] = None) -> Iterator[bytes]:
        """``InvokeEndpointWithResponseStream``, yielding PayloadPart bytes.

        Retries (up to ``stream_attempts``, default ``max_attempts``) happen only
        until the first byte is yielded. In-stream ``ModelStreamError`` and
        ``InternalStreamFailure`` events raise :class:`ModelStreamError`.
        Argument errors are raised at call time, not on first iteration.
        """
        self._guard(endpoint, body)
        kwargs = dict(EndpointName=endpoint, Body=bytes(body), ContentType=content_type, Accept=accept,
                      **self._options("invoke_endpoint_with_response_stream", options))
        return self._stream(endpoint, kwargs, stream_attempts or self.config.max_attempts)

    def _stream(self, endpoint: str, kwargs: dict[str, Any], max_attempts: int) -> Iterator[bytes]:
        client = self.client

        def open_and_peek() -> tuple[Any, Iterator[dict[str, Any]], Optional[bytes]]:
            resp = client.invoke_endpoint_with_response_stream(**kwargs)
            events = iter(resp["Body"])
            try:
                return resp, events, _next_payload(events, endpoint)
            except BaseException:
                _close(resp)
                raise

        (resp, events, first), attempts = self._call(endpoint, open_and_peek, max_attempts)
        yield from _parts_after(first, lambda: _next_payload_typed(events, endpoint), attempts, lambda: _close(resp))

    # -- OpenAI-compatible route ------------------------------------------------
    @property
    def bearer(self) -> Any:
        """The bearer-token provider of the OpenAI route (minted from this runtime's boto3 session)."""
        if self._bearer is None:
            with self._lock:
                if self._bearer is None:
                    from adeptai_sagemaker.backends.sagemaker.bearer import BearerTokenProvider

                    self._bearer = BearerTokenProvider(lambda: self._boto_session().get_credentials(),
                                                       self.config.region,
                                                       lifetime_s=self.config.bearer_token_lifetime_s)
        return self._bearer

    def _http_session(self) -> Any:
        if self._http is None:
            with self._lock:
                if self._http is None:
                    from botocore.httpsession import URLLib3Session

                    c = self.config
                    self._http = URLLib3Session(timeout=(c.connect_timeout, c.read_timeout),
                                                max_pool_connections=c.max_pool_connections)
        return self._http

    def close(self) -> None:
        """Close the HTTP connection pools of the clients this runtime built (their sockets), once the owner is
        done with it; clients handed in are the caller's to close. A later call builds fresh ones."""
        with self._lock:
            built = [c for c, given in ((self._client, self._given_client), (self._s3, self._given_s3))
                     if c is not None and not given] + ([self._http] if self._http is not None else [])
            if not self._given_client:
                self._client = None
            if not self._given_s3:
                self._s3 = None
            self._http = None
        for client in built:
            client.close()

    def openai_url(self, endpoint: str, inference_component: Optional[str] = None) -> str:
        """``{runtime}/endpoints/{endpoint}[/inference-components/{component}]/openai/v1/chat/completions``.

        ``{runtime}`` is the sagemaker-runtime client's own endpoint, so
        ``SAGEMAKER_ENDPOINT_URL``, FIPS and partition rules apply exactly as for InvokeEndpoint.
        """
        from urllib.parse import quote

        base = str(self.client.meta.endpoint_url).rstrip("/")
        path = f"/endpoints/{quote(endpoint, safe='')}"
        if inference_component:
            path += f"/inference-components/{quote(inference_component, safe='')}"
        return base + path + "/openai/v1/chat/completions"

    def invoke_openai(self, endpoint: str, body: bytes, *, inference_component: Optional[str] = None,
                      stream: bool = False) -> "OpenAIResponse":
        """POST a chat completion to the OpenAI-compatible route, retried like ``invoke``.

        Non-2xx answers are mapped by :func:`errors.from_http_response`; a 401/403
        drops the cached token so the next call mints a fresh one. With
        ``stream`` the SSE body is returned as an iterator of byte chunks that
        may be retried only until the first chunk (as ``invoke_stream``).
        """
        self._guard(endpoint, body)
        url = self.openai_url(endpoint, inference_component)
        headers = {"Content-Type": "application/json",
                   "Accept": "text/event-stream" if stream else "application/json"}
        started = time.monotonic()

        def once() -> tuple[Any, Optional[Iterator[bytes]], Optional[bytes]]:
            from botocore.awsrequest import AWSRequest

            request = AWSRequest(method="POST", url=url, data=bytes(body),
                                 headers={**headers, "Authorization": f"Bearer {self.bearer.token()}"})
            prepared = request.prepare()
            prepared.stream_output = stream
            resp = self._http_session().send(prepared)
            if not 200 <= resp.status_code < 300:
                data = resp.content
                if resp.status_code in (401, 403):
                    self.bearer.invalidate()
                raise from_http_response(resp.status_code, dict(resp.headers.items()), data, endpoint)
            if not stream:
                return resp, None, resp.content
            chunks = resp.raw.stream(65536)
            try:
                return resp, chunks, _next_chunk(chunks, endpoint)
            except BaseException:
                resp.raw.release_conn()
                raise

        (resp, chunks, first), attempts = self._call(endpoint, once)
        result = OpenAIResponse(status=resp.status_code, headers=dict(resp.headers.items()), attempts=attempts,
                                body=None if stream else first)
        if stream:
            result.chunks = self._openai_stream(resp, chunks, first, endpoint, attempts)
        else:
            log.debug("sagemaker openai ok endpoint=%s attempts=%d in_bytes=%d out_bytes=%d latency_s=%.3f",
                      endpoint, attempts, len(body), len(first or b""), time.monotonic() - started)
        result.latency_s = time.monotonic() - started
        return result

    def _openai_stream(self, resp: Any, chunks: Iterator[bytes], first: Optional[bytes], endpoint: str,
                       attempts: int) -> Iterator[bytes]:
        yield from _parts_after(first, lambda: _next_chunk(chunks, endpoint), attempts, resp.raw.release_conn)

    # -- async ------------------------------------------------------------------
    def invoke_async(self, endpoint: str, input_location: str, *, content_type: str = "application/json",
                     accept: str = "application/json", options: Optional[InvokeOptions] = None,
                     inference_id: Optional[str] = None, invocation_timeout_s: Optional[int] = None,
                     request_ttl_s: Optional[int] = None) -> AsyncInvocation:
        """``InvokeEndpointAsync`` for an input already in S3 (up to 1 GB, up to 1 h of processing)."""
        self._require_endpoint(endpoint)
        _split_s3(input_location)
        kwargs: dict[str, Any] = dict(EndpointName=endpoint, InputLocation=input_location, ContentType=content_type,
                                      Accept=accept, **self._options("invoke_endpoint_async", options))
        if inference_id:
            kwargs["InferenceId"] = inference_id
        if invocation_timeout_s is not None:
            if not 1 <= invocation_timeout_s <= 3600:
                raise ConfigurationError("invocation_timeout_s must be between 1 and 3600")
            kwargs["InvocationTimeoutSeconds"] = int(invocation_timeout_s)
        if request_ttl_s is not None:
            if not 60 <= request_ttl_s <= 21600:
                raise ConfigurationError("request_ttl_s must be between 60 and 21600")
            kwargs["RequestTTLSeconds"] = int(request_ttl_s)
        resp, _ = self._call(endpoint, lambda: self.client.invoke_endpoint_async(**kwargs))
        return AsyncInvocation(output_location=resp["OutputLocation"], failure_location=resp.get("FailureLocation"),
                               inference_id=resp.get("InferenceId"), input_location=input_location, endpoint=endpoint)

    def submit_async(self, endpoint: str, body: bytes, s3_uri_prefix: str, *,
                     content_type: str = "application/json", accept: str = "application/json",
                     options: Optional[InvokeOptions] = None, inference_id: Optional[str] = None,
                     invocation_timeout_s: Optional[int] = None) -> AsyncInvocation:
        """Upload ``body`` under ``s3_uri_prefix`` (server-side encrypted), then ``invoke_async`` it."""
        self._guard(endpoint, body, ASYNC_PAYLOAD_LIMIT)
        bucket, prefix = _split_s3(s3_uri_prefix.rstrip("/") + "/")
        key = f"{prefix}{inference_id or uuid.uuid4().hex}.in"
        self._call(endpoint, lambda: self.s3.put_object(Bucket=bucket, Key=key, Body=bytes(body),
                                                        ContentType=content_type, ServerSideEncryption="AES256"))
        return self.invoke_async(endpoint, f"s3://{bucket}/{key}", content_type=content_type, accept=accept,
                                 options=options, inference_id=inference_id, invocation_timeout_s=invocation_timeout_s)

    def fetch_async_result(self, invocation: AsyncInvocation, *, timeout_s: float = 60.0, poll_interval_s: float = 1.0,
                           max_poll_interval_s: float = 10.0) -> bytes:
        """Poll S3 until the output (or failure) object exists, at most ``timeout_s`` seconds.

        Raises :class:`InvocationError` (code ``AsyncInferenceFailed``) when the
        failure object appears (its text stays on ``service_message``), and
        :class:`EndpointTimeoutError` (code ``AsyncResultTimeout``) when neither
        appears in time; calling again later is safe.
        """
        endpoint = invocation.endpoint or "async"
        deadline = time.monotonic() + max(0.0, timeout_s)
        interval = max(0.01, poll_interval_s)
        while True:
            data = self._s3_get_if_exists(endpoint, invocation.output_location)
            if data is not None:
                return data
            if invocation.failure_location:
                failure = self._s3_get_if_exists(endpoint, invocation.failure_location)
                if failure is not None:
                    raise InvocationError(f"async inference failed (endpoint={endpoint}, "
                                          f"inference_id={invocation.inference_id})", endpoint=endpoint,
                                          code="AsyncInferenceFailed", retryable=False, reason="async_failed",
                                          service_message=failure.decode("utf-8", "replace")[:4096])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EndpointTimeoutError(f"async result not ready after {timeout_s:.1f}s (endpoint={endpoint}, "
                                           f"inference_id={invocation.inference_id})", endpoint=endpoint,
                                           code="AsyncResultTimeout", reason="async_timeout")
            self._sleep(min(interval, remaining))
            interval = min(interval * 2, max_poll_interval_s)

    def _s3_get_if_exists(self, endpoint: str, uri: str) -> Optional[bytes]:
        bucket, key = _split_s3(uri)

        def get() -> Optional[bytes]:
            try:
                return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except Exception as exc:
                code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
                if code in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise

        data, _ = self._call(endpoint, get)
        return data


@dataclass
class OpenAIResponse:
    """A 2xx answer of the OpenAI-compatible route: the whole body, or ``chunks`` when streamed."""

    status: int
    headers: dict[str, str]
    attempts: int
    body: Optional[bytes] = None
    chunks: Optional[Iterator[bytes]] = None
    latency_s: float = 0.0


def _next_chunk(chunks: Iterator[bytes], endpoint: str) -> Optional[bytes]:
    """The next non-empty chunk of a streamed HTTP body, with urllib3 failures typed."""
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    try:
        for chunk in chunks:
            if chunk:
                return chunk
    except ReadTimeoutError:
        raise EndpointTimeoutError(f"stream stalled past the read timeout (endpoint={endpoint})",
                                   endpoint=endpoint) from None
    except ProtocolError:
        raise ConnectionFailedError(f"stream connection broken (endpoint={endpoint})", endpoint=endpoint,
                                    code="ConnectionClosedError") from None
    return None


def _raise_mapped(err: AdeptSageMakerError, original: BaseException) -> None:
    """Raise the typed error outside any ``except`` block.

    A ClientError's text can quote container output (user data), so it is
    neither chained (``__cause__``) nor left as implicit ``__context__``, and
    cannot leak into logged tracebacks. Transport errors stay chained.
    """
    if err is original:
        raise err
    raise err from (None if _is_client_error(original) else original)


def _is_client_error(exc: BaseException) -> bool:
    try:
        from botocore.exceptions import ClientError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, ClientError)


def _parts_after(first: Optional[bytes], next_part: Callable[[], Optional[bytes]], attempts: int,
                 release: Callable[[], Any]) -> Iterator[bytes]:
    """A stream's parts: ``first`` (already read while opening it), then ``next_part()`` until it returns None.

    Typed errors raised mid-stream carry the attempts it took to open the stream; the connection is released
    however the caller stops reading. Both transports (InvokeEndpointWithResponseStream and the OpenAI
    route's SSE body) stream through here.
    """
    try:
        if first is None:
            return
        yield first
        while True:
            try:
                part = next_part()
            except AdeptSageMakerError as exc:
                exc.attempts = attempts
                raise
            if part is None:
                return
            yield part
    finally:
        release()


def _next_payload_typed(events: Iterator[dict[str, Any]], endpoint: str) -> Optional[bytes]:
    """``_next_payload`` with botocore's own failures (read timeouts, broken connections) typed."""
    try:
        return _next_payload(events, endpoint)
    except AdeptSageMakerError:
        raise
    except Exception as exc:
        failure = (from_botocore(exc, endpoint), exc)
    _raise_mapped(*failure)  # outside the except block: container text never rides along as __context__
    return None  # unreachable: _raise_mapped always raises


def _next_payload(events: Iterator[dict[str, Any]], endpoint: str) -> Optional[bytes]:
    """The next non-empty PayloadPart, or None at the end; in-stream error events raise."""
    for event in events:
        if "PayloadPart" in event:
            data = (event["PayloadPart"] or {}).get("Bytes") or b""
            if data:
                return data
            continue
        if "ModelStreamError" in event:
            detail = event["ModelStreamError"] or {}
            raise ModelStreamError(endpoint=endpoint, error_code=detail.get("ErrorCode") or "ModelStreamError",
                                   service_message=detail.get("Message"))
        if "InternalStreamFailure" in event:
            raise ModelStreamError(endpoint=endpoint, error_code="InternalStreamFailure",
                                   service_message=(event["InternalStreamFailure"] or {}).get("Message"))
    return None


def _close(resp: Any) -> None:
    body = resp.get("Body") if isinstance(resp, dict) else None
    close = getattr(body, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # pragma: no cover - best effort
            log.debug("closing event stream failed", exc_info=True)


def allowed_options(operation: str) -> Sequence[str]:
    """InvokeOptions boto keys ``operation`` accepts (others raise ConfigurationError)."""
    return sorted(_ALLOWED[operation])
