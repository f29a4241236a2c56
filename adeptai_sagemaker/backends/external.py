"""External-API backends: OpenAI and Anthropic through their official SDKs.

Why these exist: the migration compares SageMaker with what the monolith uses
today (gpt-4o-mini, Claude Sonnet) *like for like*. Both backends implement the
same small ``Backend`` protocol as SageMaker, so the pipeline around them
(template, cache, parse, validate, bounded re-ask) is identical and only the
transport differs.

Design choices:

- **One retry loop.** The SDKs are built with ``max_retries=0``; the shared
  policy of ``retry.py`` (the one the SageMaker runtime uses) retries only
  errors whose ``retryable`` is true, up to ``Target.max_attempts`` attempts,
  with full-jitter backoff (honouring a short ``Retry-After``).
- **Typed errors.** SDK exceptions become ``errors.*`` classes (429 ->
  ``ThrottlingError``, 503/529 -> ``ServiceUnavailableError``, other 5xx ->
  ``InternalFailureError``, timeouts -> ``EndpointTimeoutError``, 401/403 ->
  ``ConfigurationError``, other 4xx -> ``EndpointValidationError``), so the
  breaker and the fallback chain decide the same way for every backend.
- **Explicit timeouts**: ``Target.connect_timeout`` / ``read_timeout`` on
  every request.
- **Real usage**: token counts come from the API response's ``usage``.
- **Lazy SDKs**: ``openai`` / ``anthropic`` are imported when a backend is
  built, so ``import adeptai_sagemaker`` stays cheap and the extras optional.
- **Privacy**: provider error bodies can quote the prompt; they are kept on
  ``service_message`` and never put in ``str(exc)``.

Environment read by the plugin's factories: ``OPENAI_API_KEY``,
``OPENAI_BASE_URL``, ``ADEPTAI_OPENAI_MODEL``; ``ANTHROPIC_API_KEY``,
``ANTHROPIC_BASE_URL``, ``ADEPTAI_ANTHROPIC_MODEL``.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional

from adeptai_sagemaker.backends.base import Target
from adeptai_sagemaker.core import transport
from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, TokenUsage
from adeptai_sagemaker.core.errors import (
    AdeptSageMakerError,
    ConfigurationError,
    ConnectionFailedError,
    EndpointTimeoutError,
    EndpointValidationError,
    InternalFailureError,
    InvocationError,
    ResponseDecodeError,
    ServiceUnavailableError,
    ThrottlingError,
)
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.core.retry import RetryPolicy
from adeptai_sagemaker.capabilities.builtin import ExternalBackends  # noqa: F401  (re-exported, in __all__)

__all__ = ["OpenAIBackend", "AnthropicBackend", "ExternalBackends", "map_sdk_error",
           "DEFAULT_OPENAI_MODEL", "DEFAULT_ANTHROPIC_MODEL"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-20250514"
DEFAULT_RETRY = RetryPolicy()


# --------------------------------------------------------------------------- errors


def _status_of(exc: BaseException) -> Optional[int]:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    try:
        return int(status) if status is not None else None
    except (TypeError, ValueError):
        return None


def _header(exc: BaseException, name: str) -> Optional[str]:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        return headers.get(name)
    except Exception:  # pragma: no cover - exotic header containers
        return None


def _retry_after_s(exc: BaseException) -> Optional[float]:
    raw = _header(exc, "retry-after-ms")
    if raw:
        try:
            return float(raw) / 1000.0
        except ValueError:
            pass
    raw = _header(exc, "retry-after")
    if raw:
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def map_sdk_error(exc: BaseException, provider: str, model: str) -> AdeptSageMakerError:
    """Map an ``openai`` / ``anthropic`` SDK exception to the package's typed errors.

    Decided on exception type names and HTTP status, which both SDKs share,
    so no SDK has to be importable here. The provider's message may quote
    the prompt: it goes to ``service_message`` only.
    """
    if isinstance(exc, AdeptSageMakerError):
        return exc
    kind = type(exc).__name__
    names = {cls.__name__ for cls in type(exc).__mro__}
    where = f"{provider}:{model}"
    status = _status_of(exc)
    request_id = getattr(exc, "request_id", None) or _header(exc, "x-request-id") or _header(exc, "request-id")
    service_message = getattr(exc, "message", None)
    common = dict(endpoint=where, status=status, request_id=request_id, service_message=service_message)

    if "APITimeoutError" in names:
        return EndpointTimeoutError(f"{provider} request timed out (model={model})", endpoint=where)
    if "APIConnectionError" in names:
        return ConnectionFailedError(f"could not reach {provider} (model={model})", endpoint=where,
                                     code="APIConnectionError")
    if status is None:
        if "APIResponseValidationError" in names or "APIError" in names:
            return ResponseDecodeError(f"{provider} response not understood ({kind})", codec=provider)
        return InvocationError(f"unexpected {kind} from {provider} (model={model})", endpoint=where,
                               code=kind, retryable=False, reason="unexpected")
    if status == 429:
        error = ThrottlingError(code=kind, **common)
        error.retry_after_s = _retry_after_s(exc)  # type: ignore[attr-defined]
        return error
    if status in (503, 529):  # 529: Anthropic "overloaded_error"
        error = ServiceUnavailableError(code=kind, **common)
        error.retry_after_s = _retry_after_s(exc)  # type: ignore[attr-defined]
        return error
    if status in (408, 504):
        return EndpointTimeoutError(code=kind, reason="request_timeout", **common)
    if status >= 500:
        return InternalFailureError(code=kind, **common)
    if status in (401, 403):
        return ConfigurationError(f"{kind}: {provider} rejected the API key or permissions (status {status})",
                                  code=kind, reason="auth")
    return EndpointValidationError(f"{provider} rejected the request ({kind}, status={status}, model={model})",
                                   code=kind, **common)


# --------------------------------------------------------------------------- retry loop


def _is_transport_error(exc: BaseException) -> bool:
    """Errors raised by the SDKs or their HTTP layer, or already typed by us."""
    if isinstance(exc, AdeptSageMakerError):
        return True
    root = (type(exc).__module__ or "").split(".")[0]
    return root in ("openai", "anthropic", "httpx", "httpx2", "httpcore")


def _accepts(method: Any, name: str) -> bool:
    """Whether an SDK method takes keyword ``name`` (SDK versions differ on sampling parameters)."""
    import inspect

    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _with_retries(fn: Callable[[], Completion], provider: str, model: str, max_attempts: int,
                  policy: Optional[RetryPolicy] = None) -> Completion:
    """Run ``fn`` under the shared retry policy (``retry.py``), mapping SDK errors to typed ones first."""
    def attempt_once(attempt_no: int) -> Completion:
        try:
            return fn()
        except Exception as exc:
            if not _is_transport_error(exc):
                raise  # a bug (TypeError, ...) must surface, not be dressed up as an endpoint failure
            error = map_sdk_error(exc, provider, model)
            error.attempts = attempt_no
        raise error from None

    completion, attempts = (policy or DEFAULT_RETRY).run(attempt_once, max_attempts)
    completion.attempts = attempts
    return completion


def _timeout(sdk: Any, target: Target) -> Any:
    """Per-request timeout (the SDK's own ``Timeout`` type, whatever HTTP library it wraps)."""
    timeout_type = getattr(sdk, "Timeout", None)
    if timeout_type is None:
        return target.read_timeout
    return timeout_type(target.read_timeout, connect=target.connect_timeout)


# --------------------------------------------------------------------------- OpenAI


class _SDKBackend:
    """What both vendor backends share: the lazily imported SDK, its client (SDK retries off) and
    ``complete`` = one ``_once`` per attempt under the shared retry policy."""

    name = ""

    def __init__(self, api_key: Optional[str], *, model: str, base_url: Optional[str], timeout: float,
                 client: Any) -> None:
        self.model = model
        self._sdk: Any = None
        if client is None:
            import importlib

            try:
                self._sdk = importlib.import_module(self.name)
            except ImportError as exc:
                raise ConfigurationError(f"the {self.name} backend needs the '{self.name}' extra: "
                                         f"pip install 'adeptai-sagemaker[{self.name}]'") from exc
            client = self._client_class()(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self.client = client

    def _client_class(self) -> Any:
        raise NotImplementedError

    def _once(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        raise NotImplementedError

    def complete(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        started = time.perf_counter()
        completion = _with_retries(lambda: self._once(prompt, params, target), self.name, self.model,
                                   target.max_attempts)
        completion.latency_s = time.perf_counter() - started
        return completion


class OpenAIBackend(_SDKBackend):
    """OpenAI chat completions in JSON mode (``response_format={"type": "json_object"}``)."""

    name = "openai"

    def __init__(self, api_key: Optional[str] = None, *, model: str = DEFAULT_OPENAI_MODEL,
                 base_url: Optional[str] = None, timeout: float = transport.READ_TIMEOUT_S, client: Any = None) -> None:
        super().__init__(api_key, model=model, base_url=base_url, timeout=timeout, client=client)

    def _client_class(self) -> Any:
        return self._sdk.OpenAI

    def _once(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        messages = []
        if prompt.system:
            messages.append({"role": "system", "content": prompt.system})
        messages.append({"role": "user", "content": prompt.user})
        kwargs: dict[str, Any] = dict(model=self.model, messages=messages, max_tokens=params.max_new_tokens,
                                      temperature=params.temperature, response_format={"type": "json_object"},
                                      timeout=_timeout(self._sdk, target))
        if params.top_p is not None:
            kwargs["top_p"] = params.top_p
        if params.stop:
            kwargs["stop"] = list(params.stop)[:4]  # the API accepts up to 4
        if params.seed is not None:
            kwargs["seed"] = params.seed
        started = time.perf_counter()
        response = self.client.chat.completions.create(**kwargs)
        elapsed = time.perf_counter() - started
        try:
            choice = response.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError):
            raise ResponseDecodeError("chat completion without choices[0].message", codec="openai") from None
        usage = getattr(response, "usage", None)
        token_usage = TokenUsage(getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None),
                                 source="api") if usage is not None else None
        finish = getattr(choice, "finish_reason", None)
        return Completion(text=text, usage=token_usage, finish_reason=finish,
                          model_version=getattr(response, "model", None) or self.model, latency_s=elapsed)


# --------------------------------------------------------------------------- Anthropic


_ANTHROPIC_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


class AnthropicBackend(_SDKBackend):
    """Anthropic Messages API (``messages.create`` with a system prompt)."""

    name = "anthropic"

    def __init__(self, api_key: Optional[str] = None, *, model: str = DEFAULT_ANTHROPIC_MODEL,
                 base_url: Optional[str] = None, timeout: float = transport.READ_TIMEOUT_S, client: Any = None) -> None:
        super().__init__(api_key, model=model, base_url=base_url, timeout=timeout, client=client)

    def _client_class(self) -> Any:
        return self._sdk.Anthropic

    def _once(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        kwargs: dict[str, Any] = dict(model=self.model, max_tokens=params.max_new_tokens,
                                      messages=[{"role": "user", "content": prompt.user}],
                                      timeout=_timeout(self._sdk, target))
        if prompt.system:
            kwargs["system"] = prompt.system
        # Recent SDK releases dropped the sampling parameters from messages.create; send them only
        # where this SDK still takes them (the server default is then used, as with every new model).
        create = self.client.messages.create
        if _accepts(create, "temperature"):
            kwargs["temperature"] = params.temperature
        if params.top_p is not None and _accepts(create, "top_p"):
            kwargs["top_p"] = params.top_p
        if params.stop:
            kwargs["stop_sequences"] = list(params.stop)
        started = time.perf_counter()
        response = self.client.messages.create(**kwargs)
        elapsed = time.perf_counter() - started
        blocks = getattr(response, "content", None)
        if blocks is None:
            raise ResponseDecodeError("message without content", codec="anthropic")
        text = "".join(getattr(block, "text", "") or "" for block in blocks
                       if getattr(block, "type", "text") == "text")
        usage = getattr(response, "usage", None)
        token_usage = TokenUsage(getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None),
                                 source="api") if usage is not None else None
        stop = getattr(response, "stop_reason", None)
        return Completion(text=text, usage=token_usage, finish_reason=_ANTHROPIC_FINISH.get(stop, stop),
                          model_version=getattr(response, "model", None) or self.model, latency_s=elapsed)


# --------------------------------------------------------------------------- factories (the plugin that registers
# them, ExternalBackends, lives in capabilities/builtin.py so that building a framework does not import this module)


def _timeout_from_env() -> float:
    try:
        return float(os.environ.get("ADEPTAI_EXTERNAL_TIMEOUT_S", "70"))
    except ValueError:
        raise ConfigurationError("ADEPTAI_EXTERNAL_TIMEOUT_S must be a number of seconds") from None


def openai_from_env(settings: Any = None) -> OpenAIBackend:
    """Factory registered as ``"openai"``: key and base URL from the standard OpenAI env vars."""
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigurationError("OPENAI_API_KEY is not set (needed by the openai backend)")
    return OpenAIBackend(key, model=os.environ.get("ADEPTAI_OPENAI_MODEL") or DEFAULT_OPENAI_MODEL,
                         base_url=os.environ.get("OPENAI_BASE_URL") or None, timeout=_timeout_from_env())


def anthropic_from_env(settings: Any = None) -> AnthropicBackend:
    """Factory registered as ``"anthropic"``: key and base URL from the standard Anthropic env vars."""
    key = os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        raise ConfigurationError("ANTHROPIC_API_KEY is not set (needed by the anthropic backend)")
    return AnthropicBackend(key, model=os.environ.get("ADEPTAI_ANTHROPIC_MODEL") or DEFAULT_ANTHROPIC_MODEL,
                            base_url=os.environ.get("ANTHROPIC_BASE_URL") or None, timeout=_timeout_from_env())

