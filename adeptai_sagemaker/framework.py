"""The framework object: one per process, the entry point adapters and the CLI use.

``Framework.call`` runs a capability through the hook chain (rollout ->
SageMaker -> legacy), tells observers the outcome, and returns either the
validated output model or a ``LegacyAnswer``. ``Framework.invoke`` runs the
pipeline directly against a named backend (CLI ``run``, benchmarks).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any, Callable, Iterable, Optional

from pydantic import BaseModel, ValidationError

from .async_backend import ASYNC_BACKEND, SageMakerAsyncBackend
from .backends import SageMakerBackend
from .breaker import BreakerBoard, BreakerConfig
from .builtin_plugins import LegacyPlugin, RolloutPlugin, SageMakerPlugin
from .cache import ResponseCache
from .calls import CallContext, CallRecord, CircuitEvent, InvocationRecord, LegacyAnswer, now
from .errors import ConfigurationError, InputValidationError, NoAnswerError
from .manager import build_plugin_manager
from .pipeline import CapabilityPipeline
from .settings import Mode, Settings, codec_error, load_settings
from .shadow import ShadowRunner
from .tasks import TaskSpec, input_fingerprint

log = logging.getLogger("adeptai_sagemaker")


class Framework:
    def __init__(self, settings: Optional[Settings] = None, *, plugins: Iterable[object] = (),
                 load_entrypoints: bool = True, cache: Optional[ResponseCache] | bool = True):
        self.settings = settings if settings is not None else load_settings()
        plugins = list(plugins)
        from .metrics import MetricsRecorder

        self.metrics = MetricsRecorder()  # in-process snapshot for the CLI; exporters read it
        plugins.insert(0, self.metrics)
        from .evidence import EvidenceRecorder, store_for
        from .live_mode import EnvModeSource, StateModeSource

        # live rollout modes set by `promote` layered on the env settings (the kill switch is applied in mode())
        self.state_store = store_for(self.settings)
        self.mode_source = StateModeSource(EnvModeSource(self.settings), self.state_store,
                                           ttl_s=self.settings.adeptai_sagemaker_mode_refresh_s)
        self.evidence: Optional[EvidenceRecorder] = None
        if self.settings.adeptai_sagemaker_evidence:
            demotion = None
            if self.settings.adeptai_sagemaker_auto_demote:
                from .gate import AutoDemotion

                demotion = AutoDemotion(self.state_store, self.settings, self.mode_source).check
            self.evidence = EvidenceRecorder(
                self.state_store, emf_stream=sys.stdout if self.settings.adeptai_sagemaker_evidence_emf else None,
                after_write=demotion)
            plugins.append(self.evidence)
        if self.settings.adeptai_sagemaker_otel:
            from .otel import OTelObserver

            plugins.append(OTelObserver(self.settings, mode_source=self.mode_source))
        self.audit_trail = None
        if self.settings.adeptai_sagemaker_audit_log:
            from .compliance.audit_trail import AuditTrail

            self.audit_trail = AuditTrail(self.settings.adeptai_sagemaker_audit_log)
            plugins.append(self.audit_trail)
        self.pm = build_plugin_manager(
            self.settings.plugin_allow_list(), load_entrypoints,
            builtins=[("rollout", RolloutPlugin(self)), ("sagemaker", SageMakerPlugin(self)), ("legacy", LegacyPlugin())],
            extra_plugins=plugins,
        )
        self.hook = self.pm.hook
        self.tasks: dict[str, TaskSpec] = {}
        self.codecs: dict[str, type] = {}
        self.backends: dict[str, Any] = {}
        self.hook.register_tasks(register=lambda spec: self.tasks.__setitem__(spec.name, spec))
        self.hook.register_codecs(register=lambda name, codec: self.codecs.__setitem__(name, codec))
        factories: dict[str, Callable] = {}
        self.hook.register_backends(register=lambda name, factory: factories.__setitem__(name, factory))
        self._backend_factories = factories
        for name in self.tasks:
            codec = self.settings.capability(name).codec
            if codec not in self.codecs:
                raise codec_error(name, codec, list(self.codecs))
        self.breakers = BreakerBoard(
            BreakerConfig(
                consecutive_failures=self.settings.adeptai_sagemaker_breaker_failures,
                failure_rate=self.settings.adeptai_sagemaker_breaker_failure_rate,
                window=self.settings.adeptai_sagemaker_breaker_window,
                cooldown_s=self.settings.adeptai_sagemaker_breaker_cooldown_s,
            ),
            on_change=lambda name, state, reason: self.notify("on_circuit_change", event=CircuitEvent(name, state, reason)),
        )
        if cache is True:
            cache = ResponseCache(self.settings.cache_dir(), self.settings.adeptai_sagemaker_cache_size_mb * 2**20,
                                  self.settings.adeptai_sagemaker_cache_key)
        self.cache: Optional[ResponseCache] = cache or None
        self.pipeline = CapabilityPipeline(self.settings, self.cache, self.breakers)
        self.sagemaker = SageMakerBackend(self.settings, self.codecs, on_attempt=self._on_attempt)
        self._shadow: Optional[ShadowRunner] = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def _on_attempt(self, capability: str, endpoint: str, attempt: int, error: Optional[BaseException],
                    latency_s: float) -> None:
        code = getattr(error, "code", type(error).__name__) if error is not None else None
        self.notify("on_invocation", record=InvocationRecord(capability, endpoint, attempt, latency_s, error is None, code))

    def mode(self, capability: str) -> Mode:
        """The effective rollout mode: the mode source (live override > env), then the kill switch, last."""
        if not self.settings.sagemaker_llm_enabled:
            return Mode("off")
        return self.mode_source.mode(capability)

    def shadow_runner(self) -> ShadowRunner:
        if self._shadow is None:
            with self._lock:
                if self._shadow is None:
                    self._shadow = ShadowRunner(self.settings.adeptai_sagemaker_shadow_concurrency,
                                                self.settings.adeptai_sagemaker_shadow_queue)
        return self._shadow

    def backend(self, name: str = "sagemaker"):
        if name == "sagemaker":
            return self.sagemaker
        if name == ASYNC_BACKEND and name not in self.backends:
            self.backends[name] = SageMakerAsyncBackend(self.settings, self.sagemaker)
        if name not in self.backends:
            if name not in self._backend_factories:
                raise ConfigurationError(f"unknown backend {name!r}; registered: sagemaker, "
                                         + ", ".join(sorted(self._backend_factories)))
            self.backends[name] = self._backend_factories[name](self.settings)
        return self.backends[name]

    def has_backend(self, name: str) -> bool:
        """Whether ``backend(name)`` would succeed (registered and configured)."""
        try:
            self.backend(name)
        except ConfigurationError:
            return False
        return True

    def spec(self, capability: str) -> TaskSpec:
        try:
            return self.tasks[capability]
        except KeyError:
            raise ConfigurationError(f"unknown capability {capability!r}; known: {', '.join(self.tasks)}") from None

    def coerce(self, capability: str, request: Any) -> BaseModel:
        spec = self.spec(capability)
        if isinstance(request, spec.input_model):
            return request
        try:
            return spec.input_model.model_validate(request)
        except ValidationError as exc:
            from .structured import describe_validation_error

            raise InputValidationError(f"invalid {capability} input: {describe_validation_error(exc)}") from None

    def run_pipeline(self, capability: str, request: BaseModel, call: CallContext, backend: str = "sagemaker"):
        return self.pipeline.run(self.spec(capability), request, call, self.backend(backend))

    # ------------------------------------------------------------------ public API

    def call(self, capability: str, request: Any, *, key: Optional[str] = None,
             legacy: Optional[Callable[[], Any]] = None, to_legacy: Optional[Callable[[Any], Any]] = None):
        """Run ``capability`` through the hooks; returns the output model or a ``LegacyAnswer``.

        ``legacy`` is a zero-argument callable producing the monolith's own
        answer; ``key`` is the sticky-bucketing key (defaults to a hash of the input).
        """
        spec = self.spec(capability)
        request = self.coerce(capability, request)
        digest = input_fingerprint(request)
        call = CallContext(capability=capability, input_hash=digest,
                           bucket_key=key if key is not None else spec.bucket_key(request),
                           legacy=legacy, to_legacy=to_legacy)
        hook = getattr(self.hook, capability)
        try:
            result = hook(request=request, call=call)
        except BaseException as exc:
            self._finish(call, "error", error=exc)
            raise
        if result is None:
            error = call.error or NoAnswerError(f"no implementation answered {capability}",
                                                reasons=[call.fallback_reason or "no_answer"])
            self._finish(call, "error", error=error)
            raise error
        outcome = "fallback" if isinstance(result, LegacyAnswer) and call.fallback_reason else "success"
        self._finish(call, outcome)
        return result

    def invoke(self, capability: str, request: Any, *, backend: str = "sagemaker") -> BaseModel:
        """Run the pipeline directly on ``backend`` (no rollout, no fallback); typed errors propagate."""
        request = self.coerce(capability, request)
        call = CallContext(capability=capability, input_hash=input_fingerprint(request), bucket_key="", route="sagemaker",
                           mode="direct")  # not a rollout decision: kept out of the migration evidence
        try:
            result = self.run_pipeline(capability, request, call, backend)
        except BaseException as exc:
            self._finish(call, "error", error=exc)
            raise
        self._finish(call, "success")
        return result

    def _finish(self, call: CallContext, outcome: str, error: Optional[BaseException] = None) -> None:
        if error is not None and call.error_code is None:
            call.error_code = getattr(error, "code", type(error).__name__)
        record = CallRecord(
            call_id=call.call_id, capability=call.capability, mode=call.mode, route=call.route,
            backend=call.backend if outcome != "error" else call.backend, outcome=outcome,  # type: ignore[arg-type]
            latency_s=now() - call.started, timestamp=call.started_wall, input_hash=call.input_hash,
            endpoint=call.endpoint, variant=call.variant, model_version=call.model_version,
            template_version=call.template_version, cache_hit=call.cache_hit, attempts=call.attempts,
            reasks=call.reasks, fallback_reason=call.fallback_reason, error_code=call.error_code,
            input_tokens=call.input_tokens, output_tokens=call.output_tokens, bucket=call.bucket,
            finish_reason=call.finish_reason,
        )
        self.notify("on_call_finished", record=record)
        call.finished.set()

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a broadcast observer hook; an observer's failure never reaches the caller."""
        try:
            getattr(self.hook, hook_name)(**kwargs)
        except Exception:
            log.exception("observer failed in %s", hook_name)

    def close(self) -> None:
        if self._shadow is not None:
            self._shadow.shutdown(wait=True)
        close_sessions = getattr(self.sagemaker, "close_sessions", None)  # tests may swap the backend
        if close_sessions is not None:
            close_sessions()  # stateful sessions (SAGEMAKER_<STEM>_SESSION=sticky)
        if self.cache is not None:
            self.cache.close()
        if self.audit_trail is not None:
            self.audit_trail.close()
        if self.evidence is not None:
            self.evidence.close()
        self.state_store.close()


_default: Optional[Framework] = None
_default_lock = threading.Lock()


def get_framework() -> Framework:
    """The process-wide framework built from env settings (created on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Framework()
    return _default


def set_framework(framework: Optional[Framework]) -> Optional[Framework]:
    """Replace the process-wide framework (tests, ``install()``); returns the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, framework
    return previous
