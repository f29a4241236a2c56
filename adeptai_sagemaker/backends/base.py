"""Backends turn a rendered prompt into a ``Completion``. SageMaker is the built-in one.

A backend is deliberately small (one ``complete`` method): the pipeline around it does templates, caching,
validation and re-asks the same way for every backend, so the external-API
backends in ``external.py`` and the SageMaker path are compared like for like.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Protocol

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, InvokeOptions
from adeptai_sagemaker.core import transport
from adeptai_sagemaker.core.errors import ConfigurationError, InvocationError

if TYPE_CHECKING:
    from adeptai_sagemaker.backends.sagemaker.sessions import SessionStore
    from adeptai_sagemaker.core.prompting import RenderedPrompt


@dataclass(frozen=True)
class Target:
    """Where and how one capability call is sent."""

    capability: str
    endpoint: Optional[str]
    codec: str = "tgi"
    options: InvokeOptions = field(default_factory=InvokeOptions)
    connect_timeout: float = transport.CONNECT_TIMEOUT_S
    read_timeout: float = transport.READ_TIMEOUT_S
    max_attempts: int = transport.MAX_ATTEMPTS
    stream: bool = False
    session: str = "off"  # "sticky": one stateful session per capability/endpoint (sessions.py)
    prefix_aware: bool = False  # send a prefix-aware routing id (sessions.py)


class Backend(Protocol):
    """``needs_endpoint``: calls go to a named SageMaker endpoint. The route of a capability on such a
    backend without ``SAGEMAKER_<STEM>_ENDPOINT`` fails each call with a ``ConfigurationError`` naming the
    setting (``pipeline.build_route`` is the one place that checks), so ``complete`` may assume one."""

    name: str

    def complete(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        """Run the model once; raise an ``errors.AdeptSageMakerError`` subclass on failure."""


AttemptCallback = Callable[[str, str, int, Optional[BaseException], float], None]
"""(capability, endpoint, attempt_no, error or None, latency_s) for every transport attempt."""


class SageMakerBackend:
    """boto3 ``sagemaker-runtime`` + a codec per container family."""

    name = "sagemaker"
    needs_endpoint = True

    def __init__(self, settings, codecs: dict[str, type | str], on_attempt: Optional[AttemptCallback] = None):
        self._settings = settings
        self._codecs = codecs
        self._codec_instances: dict[str, object] = {}
        self._runtimes: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._on_attempt = on_attempt
        self._current = threading.local()  # which capability the runtime's attempt callback belongs to
        self._sessions: Optional[SessionStore] = None

    @property
    def sessions(self) -> SessionStore:
        """The stateful sessions this backend opened (``SAGEMAKER_<STEM>_SESSION``); ``sessions.py`` is
        imported by the first call that needs it, not when the framework is built."""
        if self._sessions is None:
            with self._lock:
                if self._sessions is None:
                    from adeptai_sagemaker.backends.sagemaker.sessions import SessionStore

                    self._sessions = SessionStore()
        return self._sessions

    def codec(self, name: str):
        codec = self._codec_instances.get(name)
        if codec is None:
            if name not in self._codecs:
                raise ConfigurationError(f"unknown codec {name!r}; registered: {', '.join(sorted(self._codecs))}")
            from adeptai_sagemaker.plugin.refs import resolve

            codec = self._codec_instances.setdefault(name, resolve(self._codecs[name])())
        return codec

    def runtime_for(self, target: Target):
        """The runtime client for ``target``'s timeouts, built once per timeout set (shared with the async backend)."""
        key = (target.connect_timeout, target.read_timeout, target.max_attempts)
        runtime = self._runtimes.get(key)
        if runtime is None:
            with self._lock:
                runtime = self._runtimes.get(key)
                if runtime is None:
                    from adeptai_sagemaker.backends.sagemaker.runtime import RuntimeConfig, SageMakerRuntime

                    region = self._settings.checked_region()
                    config = RuntimeConfig(
                        region=region,
                        endpoint_url=self._settings.sagemaker_endpoint_url,
                        connect_timeout=target.connect_timeout,
                        read_timeout=target.read_timeout,
                        max_attempts=target.max_attempts,
                        max_pool_connections=self._settings.adeptai_sagemaker_max_pool_connections,
                        bearer_token_lifetime_s=self._settings.adeptai_sagemaker_bearer_token_lifetime_s,
                    )
                    runtime = SageMakerRuntime(config, on_attempt=self._attempt_callback)
                    self._runtimes[key] = runtime
        return runtime

    def check_ready(self) -> None:
        """Resolve the region (residency rule included) and the credentials once, raising ``ConfigurationError``
        before any request is sent: a bulk run stops on a setup problem instead of failing every record."""
        self.runtime_for(Target(capability="", endpoint=None)).check_credentials()

    def _attempt_callback(self, endpoint: str, attempt: int, error: Optional[BaseException], latency: float) -> None:
        if self._on_attempt is not None:
            self._on_attempt(getattr(self._current, "capability", "?"), endpoint, attempt, error, latency)

    def complete(self, prompt: RenderedPrompt, params: GenerationParams, target: Target) -> Completion:
        codec = self.codec(target.codec)
        runtime = self.runtime_for(target)
        options = target.options
        default_attrs = getattr(codec, "default_custom_attributes", None)
        if default_attrs and not options.custom_attributes:
            options = InvokeOptions(**{**options.__dict__, "custom_attributes": default_attrs})
        started = time.perf_counter()
        self._current.capability = target.capability
        if getattr(codec, "transport", None) == "openai":
            completion = self._complete_openai(codec, runtime, prompt, params, target)
            completion.latency_s = time.perf_counter() - started
            return completion
        options = self._affinity(runtime, prompt, target, options)
        body = codec.encode(prompt, params, stream=target.stream)
        try:
            if target.stream:
                completion = _decode_stream(codec, prompt, started, runtime.invoke_stream(
                    target.endpoint, body, content_type=codec.content_type,
                    accept=getattr(codec, "stream_accept", codec.accept), options=options))
            else:
                result = runtime.invoke(target.endpoint, body, content_type=codec.content_type, accept=codec.accept,
                                        options=options)
                completion = codec.decode(result.body, prompt)
                completion.variant = result.invoked_variant
                completion.attempts = result.attempts
                completion.model_version = _model_version(result.custom_attributes)
        except InvocationError as exc:
            if options.session_id and not exc.retryable and not getattr(exc, "cold", False):
                # the endpoint no longer knows the session (expired, instance replaced): open a new one next time
                self.sessions.forget((target.capability, target.endpoint, options.inference_component))
            raise
        completion.latency_s = time.perf_counter() - started
        return completion

    def _affinity(self, runtime, prompt: RenderedPrompt, target: Target, options: InvokeOptions) -> InvokeOptions:
        """Add the prefix-aware routing id and the stateful session id the capability's settings ask for."""
        from dataclasses import replace

        from adeptai_sagemaker.backends.sagemaker.sessions import prefix_aware_id

        if target.prefix_aware:
            options = replace(options, prefix_aware_id=prefix_aware_id(prompt))
        if target.session == "sticky":
            key = (target.capability, target.endpoint, options.inference_component)
            options = replace(options, session_id=self.sessions.session_id(key, runtime, target.endpoint, options))
        return options

    def _complete_openai(self, codec, runtime, prompt: RenderedPrompt, params: GenerationParams,
                         target: Target) -> Completion:
        """The OpenAI-compatible route: bearer token, URL path per endpoint/component, SSE when streaming."""
        from adeptai_sagemaker.backends.sagemaker.sessions import check_session_setting, prefix_aware_id

        check_session_setting(target.session, "openai")
        body = codec.encode(prompt, params, stream=target.stream,
                            prompt_cache_key=prefix_aware_id(prompt) if target.prefix_aware else None)
        component = target.options.inference_component
        started = time.perf_counter()
        response = runtime.invoke_openai(target.endpoint, body, inference_component=component, stream=target.stream)
        if target.stream:
            completion = _decode_stream(codec, prompt, started, response.chunks)
        else:
            completion = codec.decode(response.body, prompt)
        completion.attempts = response.attempts
        return completion

    def close_sessions(self) -> int:
        """Close the stateful sessions this backend opened (``close`` calls it)."""
        return self._sessions.close_all() if self._sessions is not None else 0

    def close(self) -> None:
        """Close the stateful sessions, then every runtime's connection pools (``Framework.close`` calls it)."""
        self.close_sessions()
        with self._lock:
            runtimes, self._runtimes = list(self._runtimes.values()), {}
        for runtime in runtimes:
            runtime.close()


def _decode_stream(codec, prompt: RenderedPrompt, started: float, parts: Iterable[bytes]) -> Completion:
    """Feed every payload part to the codec's stream decoder, noting the time to the first part."""
    decoder = codec.stream_decoder(prompt)
    first: Optional[float] = None
    for part in parts:
        if first is None:
            first = time.perf_counter() - started
        decoder.feed(part)
    completion = decoder.finish()
    completion.time_to_first_token_s = first
    return completion


def _model_version(custom_attributes: Optional[str]) -> Optional[str]:
    """Containers may report ``model_version=...`` in their custom attributes header."""
    if not custom_attributes:
        return None
    for part in custom_attributes.split(","):
        key, _, value = part.strip().partition("=")
        if key == "model_version" and value:
            return value[:200]
    return None
