"""Typed errors for every way a SageMaker LLM call can fail.

Why a taxonomy instead of ``botocore.ClientError`` everywhere:

- The retry loop, the circuit breaker and the fallback chain decide on
  ``exc.retryable`` alone, so the decision (for example "a 424 ModelError is
  retried only if the container said 429/5xx and did not time out") lives in
  exactly one place: this module.
- Metrics need a short, stable label (``exc.reason``) that never changes with
  AWS message wording.
- Privacy: container messages can echo the prompt (resume text). They are kept
  on attributes (``original_message``, ``service_message``) for deliberate
  debugging, but never appear in ``str(exc)``, which is what ends up in logs.

``from_botocore`` maps botocore/boto3 exceptions onto these classes. botocore is
imported lazily inside it so importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

__all__ = [
    "AdeptSageMakerError", "ConfigurationError", "RegionNotAllowedError", "InputTooLargeError",
    "InvocationError", "ThrottlingError", "ServiceUnavailableError", "InternalFailureError", "ModelError",
    "EndpointValidationError", "EndpointColdError", "ModelNotReadyError", "EndpointTimeoutError",
    "ConnectionFailedError", "COLD_CODES", "from_http_response",
    "ModelStreamError", "ResponseDecodeError", "InvalidOutputError", "CircuitOpenError", "NoAnswerError",
    "from_botocore", "THROTTLING_CODES",
]

#: Error codes botocore's standard retry mode treats as throttling (botocore/retries/standard.py).
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
})
#: Codes botocore treats as transient (retried) besides 5xx statuses.
_TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
#: Credential / setup problems: retrying cannot help, the deployment must be fixed.
_AUTH_CODES = frozenset({
    "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
    "ExpiredTokenException", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException", "IncompleteSignature",
})
_NO_CAPACITY = "no capacity"
_CONTAINER_TIMEOUT_MARKERS = ("timed out while waiting for a response from container", "invocation timed out")


class AdeptSageMakerError(Exception):
    """Base of every error this package raises on purpose.

    Attributes:
        code: the upstream error code (e.g. ``"ModelError"``) or a local one.
        retryable: whether sending the same request again may succeed.
        reason: short machine-readable label for metrics (``"throttled"``, ``"model_error_5xx"``).
        attempts: transport attempts made before this error was raised (set by the runtime).
    """

    code: str = "AdeptSageMakerError"
    retryable: bool = False
    reason: str = "error"

    def __init__(self, message: str = "", *, code: Optional[str] = None, retryable: Optional[bool] = None,
                 reason: Optional[str] = None) -> None:
        super().__init__(message or self.__class__.__name__)
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        if reason is not None:
            self.reason = reason
        self.attempts: int = 1


class ConfigurationError(AdeptSageMakerError):
    """Settings are missing or contradictory (no region, unknown codec, bad option)."""

    code = "ConfigurationError"
    reason = "configuration"


class RegionNotAllowedError(ConfigurationError):
    """The configured region is outside the allowed list (data-residency guard)."""

    code = "RegionNotAllowed"
    reason = "region_not_allowed"

    def __init__(self, region: str, allowed: Iterable[str] = ()) -> None:
        self.region = region
        self.allowed = tuple(allowed)
        super().__init__(f"region {region!r} is not allowed (allowed: {', '.join(self.allowed) or 'none'})")


class InputTooLargeError(AdeptSageMakerError):
    """The request body exceeds the endpoint's payload limit; raised before any network call."""

    code = "InputTooLarge"
    reason = "input_too_large"

    def __init__(self, size: int, limit: int, *, endpoint: Optional[str] = None) -> None:
        self.size = size
        self.limit = limit
        self.endpoint = endpoint
        super().__init__(f"payload of {size} bytes exceeds the {limit}-byte limit"
                         + (f" for endpoint {endpoint!r}" if endpoint else "")
                         + "; shorten the input or use async inference")


class InvocationError(AdeptSageMakerError):
    """The endpoint call failed. Subclasses say how; this class covers unclassified failures."""

    code = "InvocationError"
    reason = "invocation_error"

    def __init__(self, message: str = "", *, endpoint: Optional[str] = None, status: Optional[int] = None,
                 request_id: Optional[str] = None, service_message: Optional[str] = None,
                 code: Optional[str] = None, retryable: Optional[bool] = None, reason: Optional[str] = None) -> None:
        self.endpoint = endpoint
        self.status = status
        self.request_id = request_id
        #: AWS's own message; may quote request content, so it is never part of str(exc).
        self.service_message = service_message
        if code is not None:  # before _default_message, which names the code
            self.code = code
        super().__init__(message or self._default_message(), code=code, retryable=retryable, reason=reason)

    def _default_message(self) -> str:
        parts = [f"{self.code or self.__class__.__name__}"]
        if self.endpoint:
            parts.append(f"endpoint={self.endpoint}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class ThrottlingError(InvocationError):
    code = "ThrottlingException"
    retryable = True
    reason = "throttled"


class ServiceUnavailableError(InvocationError):
    code = "ServiceUnavailable"
    retryable = True
    reason = "service_unavailable"


class InternalFailureError(InvocationError):
    code = "InternalFailure"
    retryable = True
    reason = "internal_failure"


class EndpointColdError(InvocationError):
    """The endpoint is waking up: no capacity serves it yet (scale-to-zero, serverless, MME loading).

    Cold is neither throttling nor the endpoint's fault, and waking takes
    minutes, far beyond any retry budget. So: never retried (the caller falls
    back at once, after one attempt), reason ``endpoint_cold``, and ``cold`` is
    true so the pipeline leaves the circuit breaker alone. The failed call is
    itself the wake-up signal (it publishes ``NoCapacityInvocationFailures``,
    which the scale-from-zero alarm watches), so no separate wake-up call is sent.
    """

    code = "EndpointCold"
    retryable = False
    reason = "endpoint_cold"
    cold = True

    def __init__(self, message: str = "", *, retryable: Optional[bool] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = False  # waking takes minutes; a retry only delays the fallback


class ModelNotReadyError(EndpointColdError):
    """``ModelNotReadyException`` (HTTP 429): capacity still provisioning, or a model still loading."""

    code = "ModelNotReadyException"


#: Codes of cold-endpoint errors (metrics count them as cold starts).
NO_CAPACITY_CODE = "InferenceComponentNoCapacity"
COLD_CODES = frozenset({"ModelNotReadyException", NO_CAPACITY_CODE, "EndpointCold"})


class EndpointValidationError(InvocationError):
    """The request was rejected (unknown endpoint, missing inference component, bad header). Never retried."""

    code = "ValidationError"
    retryable = False
    reason = "validation_error"

    def __init__(self, message: str = "", *, retryable: Optional[bool] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = False  # by definition: the same request fails the same way

    @staticmethod
    def hint_for(service_message: Optional[str]) -> str:
        """An actionable, content-free summary of an AWS validation message."""
        msg = (service_message or "").lower()
        if "inference component name header is required" in msg or "inference_component_name_missing" in msg:
            return "this endpoint hosts inference components: set InvokeOptions.inference_component"
        if "inference component name header is not allowed" in msg or (
                "not allowed" in msg and "inference component" in msg):
            return "this endpoint has no inference components: unset InvokeOptions.inference_component"
        if "endpoint" in msg and "not found" in msg:
            return "endpoint not found in this account/region"
        if "inference component" in msg and "not found" in msg:
            return "inference component not found"
        if "variant" in msg:
            return "production variant rejected"
        if "customattributes" in msg or "custom attributes" in msg:
            return "CustomAttributes rejected (max 1024 visible ASCII characters)"
        return "request rejected by SageMaker validation"


class ModelError(InvocationError):
    """The container answered with an error status (AWS wraps it in a 424).

    Retryable only when the container said 429 or 5xx and it was not a
    container timeout: a timeout will very likely time out again, so the
    fallback path is the better answer.
    """

    code = "ModelError"
    reason = "model_error"

    def __init__(self, message: str = "", *, original_status_code: Optional[int] = None,
                 original_message: Optional[str] = None, log_stream_arn: Optional[str] = None,
                 **kwargs: Any) -> None:
        self.original_status_code = original_status_code
        #: Raw container text; may echo user input. Never logged by this package.
        self.original_message = original_message
        self.log_stream_arn = log_stream_arn
        kwargs.setdefault("status", 424)
        self.is_container_timeout = _looks_like_timeout(original_message, kwargs.get("service_message"))
        kwargs.setdefault("retryable", self._decide_retryable())
        kwargs.setdefault("reason", self._decide_reason())
        super().__init__(message, **kwargs)

    def _decide_retryable(self) -> bool:
        if self.is_container_timeout:
            return False
        s = self.original_status_code
        return s is not None and (s == 429 or 500 <= s <= 599)

    def _decide_reason(self) -> str:
        if self.is_container_timeout:
            return "model_timeout"
        s = self.original_status_code
        if s == 429:
            return "model_error_429"
        if s is not None and 500 <= s <= 599:
            return "model_error_5xx"
        if s is not None and 400 <= s <= 499:
            return "model_error_4xx"
        return "model_error"

    def _default_message(self) -> str:
        base = super()._default_message()
        if self.is_container_timeout:
            base += " container timed out"
        elif self.original_status_code is not None:
            base += f" container_status={self.original_status_code}"
        if self.log_stream_arn:
            base += f" log_stream={self.log_stream_arn}"
        return base


class EndpointTimeoutError(InvocationError):
    """No response within the client read timeout (or an async result did not appear in time)."""

    code = "ReadTimeout"
    retryable = True
    reason = "read_timeout"


class ConnectionFailedError(InvocationError):
    """Could not connect, or the connection dropped before a full response."""

    code = "ConnectionFailed"
    retryable = True
    reason = "connection_failed"


class ModelStreamError(InvocationError):
    """An error reported inside a stream after HTTP 200, or an in-band container error.

    ``error_code`` is AWS's ``ErrorCode`` (``ModelInvocationTimeExceeded``,
    ``StreamBroken``), ``InternalStreamFailure``, or a local label such as
    ``finish_reason_error`` (LMI) or ``container_error`` (TGI ``{"error": ...}``).
    """

    code = "ModelStreamError"
    reason = "stream_error"
    _RETRYABLE_CODES = frozenset({"InternalStreamFailure", "StreamBroken"})

    def __init__(self, message: str = "", *, error_code: Optional[str] = None, **kwargs: Any) -> None:
        self.error_code = error_code or "ModelStreamError"
        kwargs.setdefault("retryable", self.error_code in self._RETRYABLE_CODES)
        kwargs.setdefault("reason", "stream_timeout" if self.error_code == "ModelInvocationTimeExceeded"
                          else "stream_error")
        super().__init__(message, **kwargs)

    def _default_message(self) -> str:
        return super()._default_message() + f" error_code={self.error_code}"


class ResponseDecodeError(AdeptSageMakerError):
    """The container answered, but not in the shape the codec expects. Never contains body text."""

    code = "ResponseDecodeError"
    reason = "decode_error"

    def __init__(self, message: str, *, codec: Optional[str] = None) -> None:
        self.codec = codec
        super().__init__(f"[{codec}] {message}" if codec else message)


class InvalidOutputError(AdeptSageMakerError):
    """The model's output failed schema validation after the bounded re-asks."""

    code = "InvalidOutput"
    reason = "invalid_output"

    def __init__(self, message: str = "", *, attempts: int = 1, last_error: Optional[str] = None) -> None:
        super().__init__(message or f"model output invalid after {attempts} attempt(s)")
        self.attempts = attempts
        #: Validation summary (field paths and error types); callers must keep model text out of it.
        self.last_error = last_error


class CircuitOpenError(AdeptSageMakerError):
    """The breaker for this endpoint is open; the call was not attempted."""

    code = "CircuitOpen"
    reason = "circuit_open"

    def __init__(self, endpoint: str, *, retry_after_s: Optional[float] = None) -> None:
        self.endpoint = endpoint
        self.retry_after_s = retry_after_s
        tail = f", retry after {retry_after_s:.1f}s" if retry_after_s is not None else ""
        super().__init__(f"circuit open for endpoint {endpoint!r}{tail}")


class NoAnswerError(AdeptSageMakerError):
    """No implementation (SageMaker, external APIs, legacy) produced an answer."""

    code = "NoAnswer"
    reason = "no_answer"

    def __init__(self, message: str = "", *, reasons: Optional[Mapping[str, str] | list] = None) -> None:
        self.reasons = reasons if reasons is not None else {}
        super().__init__(message or f"no implementation answered ({_fmt_reasons(self.reasons)})")


def _fmt_reasons(reasons: Any) -> str:
    if isinstance(reasons, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in reasons.items()) or "no reasons recorded"
    return ", ".join(map(str, reasons)) or "no reasons recorded"


def _looks_like_timeout(*messages: Optional[str]) -> bool:
    text = " ".join(m for m in messages if m).lower()
    return any(marker in text for marker in _CONTAINER_TIMEOUT_MARKERS)


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _from_client_error(exc: Any, endpoint: Optional[str]) -> AdeptSageMakerError:
    return _from_error_response(getattr(exc, "response", None) or {}, endpoint)


def _from_error_response(response: Mapping[str, Any], endpoint: Optional[str]) -> AdeptSageMakerError:
    """Map a botocore-shaped error response (``Error``, ``ResponseMetadata``, modeled fields)."""
    err: Mapping[str, Any] = response.get("Error") or {}
    meta: Mapping[str, Any] = response.get("ResponseMetadata") or {}
    code = str(err.get("Code") or "Unknown")
    message = err.get("Message")
    status = _as_int(meta.get("HTTPStatusCode"))
    common = dict(endpoint=endpoint, status=status, request_id=meta.get("RequestId"), service_message=message)

    def field(name: str) -> Any:  # botocore merges modeled error fields into the top level
        return response.get(name, err.get(name))

    if code == "ModelError":
        return ModelError(original_status_code=_as_int(field("OriginalStatusCode")),
                          original_message=field("OriginalMessage"), log_stream_arn=field("LogStreamArn"), **common)
    if code in ("ModelStreamError", "InternalStreamFailure"):
        # botocore keeps only Code and Message of in-stream exceptions, so ErrorCode is None here and a
        # ModelStreamError is never retried; InternalStreamFailure is (docs/wire-formats.md).
        return ModelStreamError(error_code=field("ErrorCode") if code == "ModelStreamError" else code,
                                **common)
    if code == "ValidationError" and _NO_CAPACITY in (message or "").lower():
        # A scale-to-zero inference component with no copy answers 400 "... has no capacity ...".
        return EndpointColdError("inference component has no capacity yet (scaling from zero)",
                                 code=NO_CAPACITY_CODE, **common)
    if code == "ValidationError":
        return EndpointValidationError(EndpointValidationError.hint_for(message)
                                       + f" ({code}, endpoint={endpoint}, request_id={common['request_id']})",
                                       **common)
    if code == "ModelNotReadyException":
        return ModelNotReadyError(**common)
    if code in THROTTLING_CODES:
        return ThrottlingError(code=code, **common)
    if code == "ServiceUnavailable":
        return ServiceUnavailableError(**common)
    if code == "InternalFailure":
        return InternalFailureError(**common)
    if code == "InternalDependencyException":
        return InternalFailureError(code=code, reason="internal_dependency", **common)
    if code in _TRANSIENT_CODES:
        return EndpointTimeoutError(code=code, reason="request_timeout", **common)
    if code in _AUTH_CODES:
        return ConfigurationError(f"{code}: credentials or permissions rejected for endpoint {endpoint!r}",
                                  code=code, reason="auth")
    # Unmodeled codes: fall back on the HTTP status the way botocore's standard mode does.
    if status == 429:
        return ThrottlingError(code=code, **common)
    if status == 503:
        return ServiceUnavailableError(code=code, **common)
    if status is not None and status >= 500:
        return InternalFailureError(code=code, **common)
    return InvocationError(code=code, retryable=False, **common)


def from_botocore(exc: BaseException, endpoint: Optional[str] = None) -> AdeptSageMakerError:
    """Map a botocore/boto3 exception to the typed error a caller can act on.

    Already-typed errors pass through unchanged. Unknown exception types become
    a non-retryable ``InvocationError`` whose message names only the type.
    """
    if isinstance(exc, AdeptSageMakerError):
        return exc
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover - boto3 is a core dependency
        bx = None  # type: ignore[assignment]
    if bx is not None:
        kind = type(exc).__name__
        if isinstance(exc, bx.ClientError):
            return _from_client_error(exc, endpoint)
        if isinstance(exc, bx.ReadTimeoutError):
            return EndpointTimeoutError(f"no response within the read timeout (endpoint={endpoint})",
                                        endpoint=endpoint)
        if isinstance(exc, bx.ConnectTimeoutError):
            return ConnectionFailedError(f"connect timeout (endpoint={endpoint})", endpoint=endpoint,
                                         code="ConnectTimeout", reason="connect_timeout")
        if isinstance(exc, bx.EndpointConnectionError):
            return ConnectionFailedError(f"could not connect (endpoint={endpoint})", endpoint=endpoint,
                                         code="EndpointConnectionError")
        if isinstance(exc, bx.ConnectionClosedError):
            return ConnectionFailedError(f"connection closed by peer (endpoint={endpoint})", endpoint=endpoint,
                                         code="ConnectionClosedError")
        if isinstance(exc, (bx.HTTPClientError, bx.ResponseStreamingError)):
            return ConnectionFailedError(f"{kind} (endpoint={endpoint})", endpoint=endpoint, code=kind)
        if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.ProfileNotFound,
                            bx.NoRegionError)):
            return ConfigurationError(f"{kind}: AWS credentials/profile/region not usable "
                                      "(check AWS_PROFILE, AWS_REGION and the credential chain)",
                                      code=kind, reason="auth" if "Credential" in kind else "configuration")
        if isinstance(exc, bx.ParamValidationError):
            return EndpointValidationError(f"request parameters rejected by botocore (endpoint={endpoint})",
                                           endpoint=endpoint, code="ParamValidationError")
    return InvocationError(f"unexpected {type(exc).__name__} calling endpoint {endpoint!r}", endpoint=endpoint,
                           code=type(exc).__name__, retryable=False, reason="unexpected")


class InputValidationError(AdeptSageMakerError, ValueError):
    """A capability's input does not match its model (message names fields, never values)."""

    code = "InputValidation"
    reason = "invalid_input"


def from_http_response(status: int, headers: Mapping[str, str], body: bytes,
                       endpoint: Optional[str] = None) -> AdeptSageMakerError:
    """Map a non-2xx answer of the OpenAI-compatible route onto the same taxonomy as ``invoke_endpoint``.

    SageMaker's own errors carry ``x-amzn-ErrorType`` (as on InvokeEndpoint) and
    go through the same mapping as a botocore ``ClientError``. Anything else is
    the container's answer passed through as is, so it becomes a ``ModelError``
    with the container's status (what InvokeEndpoint would have wrapped in a 424);
    401/403 without an AWS code mean the bearer token was refused.
    """
    import json

    lowered = {k.lower(): v for k, v in headers.items()}
    request_id = lowered.get("x-amzn-requestid")
    text = body.decode("utf-8", "replace")[:4096]
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    aws_code = (lowered.get("x-amzn-errortype") or "").split(":", 1)[0]
    if aws_code:
        message = data.get("message") or data.get("Message")
        fields = {k: v for k, v in data.items() if k not in ("message", "Message")}
        return _from_error_response({"Error": {"Code": aws_code, "Message": message}, **fields,
                                     "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": request_id}},
                                    endpoint)
    if status in (401, 403):
        return ConfigurationError(f"bearer token refused (HTTP {status}) for endpoint {endpoint!r}: it needs "
                                  "sagemaker:CallWithBearerToken and sagemaker:InvokeEndpoint",
                                  code="Unauthorized" if status == 401 else "Forbidden", reason="auth")
    return ModelError(original_status_code=status, original_message=text or None, endpoint=endpoint,
                      status=status, request_id=request_id)
