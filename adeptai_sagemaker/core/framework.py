"""The framework object: one per process, the entry point adapters and the CLI use.

``Framework.call`` is the single owner of routing and fallback. For every call
it decides, before any plugin is asked:

1. the mode: ``Framework.mode(capability)`` asks ``core/routing.py``'s
   ``ModeResolver``, the one place that decides it (env settings, live
   overrides from the state store, OpenFeature, and both kill switches, which
   nothing can bypass);
2. the route: ``off`` -> legacy; ``shadow`` -> legacy answers, the model side
   runs in the background for comparison; ``on`` -> model side; ``canary:N`` ->
   model side when the sticky bucket of the key is below N, else legacy.

Only on the model side is anything else asked: first plugins implementing
``serve_capability`` (newest first; the first non-``None`` answer wins), then
the pipeline on the capability's backend (``SAGEMAKER_<STEM>_BACKEND``,
SageMaker by default). Any exception there, including a bug in a plugin or in
``to_legacy``, is a model-side failure: with ``SAGEMAKER_LLM_FALLBACK`` on and
a ``legacy`` callable given, legacy answers (``outcome="fallback"``, with the
reason); otherwise the error propagates. The legacy callable runs at most once
per call, always in the caller's thread, and an exception it raises
propagates to the caller unchanged (the monolith would have raised it too);
the call is recorded with ``outcome="error"``.

``Framework.invoke`` runs the pipeline directly against a named backend (CLI
``run``, benchmarks, evaluation): no routing, no fallback, typed errors.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any, Callable, Iterable, Optional

from pydantic import BaseModel, ValidationError

from adeptai_sagemaker.core import pipeline
from adeptai_sagemaker.backends.base import Backend, SageMakerBackend
from adeptai_sagemaker.core.breaker import BreakerBoard, BreakerConfig
from adeptai_sagemaker.capabilities.builtin import Registrations
from adeptai_sagemaker.core.cache import ResponseCache
from adeptai_sagemaker.plugin.calls import (CallContext, CallRecord, CallResult, CircuitEvent, InvocationRecord,
                                            LegacyAnswer, ShadowComparison)
from adeptai_sagemaker.core.errors import AdeptSageMakerError, ConfigurationError, InputValidationError, NoAnswerError
from adeptai_sagemaker.plugin.manager import build_plugin_manager
from adeptai_sagemaker.plugin.refs import resolve
from adeptai_sagemaker.core.routing import Key, ModeSource, route_for
from adeptai_sagemaker.core.settings import Mode, Settings, codec_error, load_settings
from adeptai_sagemaker.core.shadow import ShadowRunner
from adeptai_sagemaker.plugin.tasks import TaskSpec, input_fingerprint

log = logging.getLogger("adeptai_sagemaker")
_OFF = Mode("off")


def unknown_input_keys(model: type[BaseModel], request: Any) -> tuple[str, ...]:
    """The top-level keys of a mapping ``request`` that ``model`` has no field (or alias) for, sorted; each cut
    to 40 characters and at most 10, since they are echoed in a warning."""
    if not isinstance(request, dict):
        return ()
    known = _known_input_keys(model)
    return tuple(sorted(str(key)[:40] for key in request if key not in known))[:10]


@functools.lru_cache(maxsize=256)
def _known_input_keys(model: type[BaseModel]) -> frozenset[str]:
    """Field names and aliases of ``model``, worked out once per model instead of on every call."""
    fields = model.model_fields
    return frozenset(fields) | {f.alias for f in fields.values() if f.alias}


def failure_reason(exc: BaseException) -> str:
    """The ``fallback_reason`` of a model-side failure: the typed reason, else ``unexpected_error``."""
    return exc.reason if isinstance(exc, AdeptSageMakerError) else "unexpected_error"


def _code(exc: BaseException) -> str:
    return getattr(exc, "code", None) or type(exc).__name__


class Framework:
    """Routes capability calls between the monolith's code and the model side.

    ``clock`` (monotonic seconds) drives the circuit breakers' cool-down, so
    tests can move time instead of sleeping.
    """

    def __init__(self, settings: Optional[Settings] = None, *, plugins: Iterable[object] = (),
                 load_entrypoints: bool = True, cache: Optional[ResponseCache] | bool = True,
                 clock: Callable[[], float] = time.monotonic, mode_source: Optional[ModeSource] = None):
        self.settings = settings if settings is not None else load_settings()
        plugins = list(plugins)
        from adeptai_sagemaker.observers.metrics import MetricsRecorder

        self.metrics = MetricsRecorder()  # in-process snapshot for the CLI; exporters read it
        plugins.insert(0, self.metrics)
        from adeptai_sagemaker.rollout.state import store_for

        self.state_store = store_for(self.settings)  # live modes, the fleet kill switch, the migration evidence
        self.evidence = None
        self.audit_trail = None
        if self.settings.adeptai_sagemaker_audit_log:
            from adeptai_sagemaker.compliance.audit_trail import AuditTrail

            self.audit_trail = AuditTrail(self.settings.adeptai_sagemaker_audit_log)
            plugins.append(self.audit_trail)
        self.pm = build_plugin_manager(self.settings.plugin_allow_list(), load_entrypoints,
                                       builtins=[("builtin-registrations", Registrations())], extra_plugins=plugins)
        self.hook = self.pm.hook
        self._logged_once: set[tuple[str, str]] = set()
        self.tasks: dict[str, TaskSpec] = {}
        self.codecs: dict[str, type | str] = {}  # a class, or "module:Class" imported on first use
        self._backend_factories: dict[str, Callable[[Settings], Backend] | str] = {}  # or "module:factory"
        # pluggy calls the newest registration first; the first registration of a name is kept, so a
        # plugin registering a built-in name replaces the built-in (hookspecs.py, "Registration order")
        self.hook.register_tasks(register=lambda spec: self.tasks.setdefault(spec.name, spec))
        self.hook.register_codecs(register=lambda name, codec: self.codecs.setdefault(name, codec))
        self.hook.register_backends(register=lambda name, factory: self._backend_factories.setdefault(name, factory))
        for name, spec in self.tasks.items():
            self.settings.register_capability(name, spec.env_stem)
            codec = self.settings.capability(name).codec
            if codec not in self.codecs:
                raise codec_error(spec.env_stem, codec, list(self.codecs))
        from adeptai_sagemaker.core.routing import resolver_for

        # the one place that decides every module's effective mode (store snapshot refreshed off the request path)
        self.routing = resolver_for(self.settings, self.state_store, source=mode_source)
        # What owns a thread, for the finalizer below: it must not refer to this framework, or it never runs.
        self._thread_owners: list[Any] = [self.routing]
        self._stopper = weakref.finalize(self, _stop_threads, self._thread_owners)
        self._add_migration_observers()
        self.capture = None
        self._capturing = frozenset(name for name in self.tasks if self.settings.capturing(name))
        if self._capturing:  # teacher capture for a student model (student/capture.py)
            from adeptai_sagemaker.student.capture import capture_for

            self.capture = capture_for(self.settings)
            self._thread_owners.append(self.capture)
            self.pm.register(self.capture)
        self.breakers = BreakerBoard(
            BreakerConfig(
                consecutive_failures=self.settings.adeptai_sagemaker_breaker_failures,
                failure_rate=self.settings.adeptai_sagemaker_breaker_failure_rate,
                window=self.settings.adeptai_sagemaker_breaker_window,
                cooldown_s=self.settings.adeptai_sagemaker_breaker_cooldown_s,
            ),
            on_change=lambda name, state, reason: self.notify("on_circuit_change", event=CircuitEvent(name, state, reason)),
            clock=clock,
        )
        if cache is True:
            cache = ResponseCache(self.settings.cache_dir(), self.settings.adeptai_sagemaker_cache_size_mb * 2**20,
                                  self.settings.adeptai_sagemaker_cache_key)
        self.cache: Optional[ResponseCache] = cache or None
        if self.cache is not None:
            self._thread_owners.append(self.cache)  # its writer thread (core/cache.py)
        self._backends: dict[str, Backend] = {
            "sagemaker": SageMakerBackend(self.settings, self.codecs, on_attempt=self._on_attempt)}
        self._routes: dict[tuple[str, str], pipeline.CapabilityRoute] = {}
        for name in self.tasks:  # every capability's route on its configured backend, resolved now
            self.route(name)
        self._shadow: Optional[ShadowRunner] = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing

    def _add_migration_observers(self) -> None:
        """The evidence recorder (and optional auto-demotion) and the OpenTelemetry observer, per settings."""
        if self.settings.adeptai_sagemaker_evidence:
            from adeptai_sagemaker.observers.evidence import EvidenceRecorder
            from adeptai_sagemaker.rollout.state.base import host_id

            demotion = None
            if self.settings.adeptai_sagemaker_auto_demote:
                from adeptai_sagemaker.rollout.gate import AutoDemotion

                demotion = AutoDemotion(self.state_store, self.settings, self.routing).check
            self.evidence = EvidenceRecorder(
                self.state_store, emf_stream=sys.stdout if self.settings.adeptai_sagemaker_evidence_emf else None,
                after_write=demotion, interval_s=self.settings.adeptai_sagemaker_evidence_flush_s,
                host=host_id(self.settings))
            self._thread_owners.append(self.evidence)
            self.pm.register(self.evidence)
        if self.settings.adeptai_sagemaker_otel:
            from adeptai_sagemaker.observers.otel import OTelObserver

            self.pm.register(OTelObserver(self.settings, mode_source=self.routing))

    def _on_attempt(self, capability: str, endpoint: str, attempt: int, error: Optional[BaseException],
                    latency_s: float) -> None:
        code = _code(error) if error is not None else None
        self.notify("on_invocation", record=InvocationRecord(capability, endpoint, attempt, latency_s, error is None, code))

    def shadow_runner(self) -> ShadowRunner:
        if self._shadow is None:
            with self._lock:
                if self._shadow is None:
                    self._shadow = ShadowRunner(self.settings.adeptai_sagemaker_shadow_concurrency,
                                                self.settings.adeptai_sagemaker_shadow_queue)
        return self._shadow

    def backend(self, name: str = "sagemaker") -> Backend:
        """The backend registered as ``name`` (built from its factory on first use)."""
        found = self._backends.get(name)
        if found is None:
            found = self._backends.setdefault(name, self._build_backend(name))
        return found

    def _build_backend(self, name: str) -> Backend:
        # the async backend's module is imported only when a backend other than "sagemaker" is first built
        from adeptai_sagemaker.backends.sagemaker.async_inference import ASYNC_BACKEND, SageMakerAsyncBackend

        if name == ASYNC_BACKEND:
            return SageMakerAsyncBackend(self.settings, self.sagemaker)
        if name not in self._backend_factories:
            raise ConfigurationError(f"unknown backend {name!r}; registered: sagemaker, "
                                     + ", ".join(sorted(self._backend_factories)))
        return resolve(self._backend_factories[name])(self.settings)

    def has_backend(self, name: str) -> bool:
        """Whether ``backend(name)`` would succeed (registered and configured)."""
        try:
            self.backend(name)
        except ConfigurationError:
            return False
        return True

    def use_backend(self, name: str, backend: Backend) -> None:
        """Serve ``name`` with ``backend`` from now on (tests, the lab's fake APIs); routes on it are rebuilt."""
        self._backends[name] = backend
        for key in [k for k in self._routes if k[1] == name]:
            del self._routes[key]
            self.route(*key)

    @property
    def sagemaker(self) -> Backend:
        return self._backends["sagemaker"]

    @sagemaker.setter
    def sagemaker(self, backend: Backend) -> None:
        self.use_backend("sagemaker", backend)

    def spec(self, capability: str) -> TaskSpec:
        try:
            return self.tasks[capability]
        except KeyError:
            raise ConfigurationError(f"unknown capability {capability!r}; known: {', '.join(self.tasks)}") from None

    def route(self, capability: str, backend: Optional[str] = None) -> pipeline.CapabilityRoute:
        """The resolved route of ``capability`` on ``backend`` (default: its ``SAGEMAKER_<STEM>_BACKEND``)."""
        if backend is None:
            backend = self.settings.capability(capability).backend
        key = (capability, backend)
        found = self._routes.get(key)
        if found is None:
            spec = self.spec(capability)
            try:
                impl = self.backend(backend)
            except ConfigurationError as exc:
                raise ConfigurationError(f"invalid setting SAGEMAKER_{spec.env_stem}_BACKEND: {exc}") from None
            found = self._routes.setdefault(key, pipeline.build_route(self.settings, spec, impl, self.breakers))
        return found

    def coerce(self, capability: str, request: Any) -> BaseModel:
        """``request`` as the capability's input model; a zero-argument callable is called first.

        Keys the input model does not read are dropped by it; they are warned about once per capability and
        key set (names only), since a misspelt field would otherwise vanish without a word."""
        spec = self.spec(capability)
        if callable(request) and not isinstance(request, BaseModel):
            request = request()
        if isinstance(request, spec.input_model):
            return request
        try:
            model = spec.input_model.model_validate(request)
        except ValidationError as exc:
            from adeptai_sagemaker.core.structured import describe_validation_error

            raise InputValidationError(f"invalid {capability} input: {describe_validation_error(exc)}") from None
        unknown = unknown_input_keys(spec.input_model, request)
        if unknown:
            self._log_once(("unknown_input_keys", f"{capability}:{','.join(unknown)}"),
                           "%s input has keys it does not read, ignored: %s (fields: %s)", capability,
                           ", ".join(unknown), ", ".join(spec.input_model.model_fields), level=logging.WARNING)
        return model

    def mode(self, capability: str, key: Key = None) -> Mode:
        """The effective mode of ``capability``, as ``core/routing.py`` decides it (``self.routing``).

        A resolver that fails (a bug in a given mode source) counts as ``off``:
        the monolith's own code is the safe side.
        """
        try:
            return self.routing.mode(capability, key)
        except Exception as exc:
            self._log_once(("mode_source", type(exc).__name__), "mode source failed (%s); %s treated as off",
                           type(exc).__name__, capability)
            return _OFF

    @property
    def mode_source(self) -> Optional[ModeSource]:
        """A source that replaces the store and env layers (the kill switches still win); None: store over env."""
        return self.routing.source

    @mode_source.setter
    def mode_source(self, source: Optional[ModeSource]) -> None:
        self.routing.source = source

    # ------------------------------------------------------------------ public API

    def call(self, capability: str, request: Any, *, key: Optional[str] = None,
             legacy: Optional[Callable[[], Any]] = None,
             to_legacy: Optional[Callable[[Any], Any]] = None,
             from_legacy: Optional[Callable[[Any], Any]] = None) -> CallResult:
        """Route one call and answer it; see the module docstring for the decision order.

        ``request`` is the input model, a dict, or a zero-argument callable that
        builds one (so a failure to build it is a model-side failure too).
        ``legacy`` is a zero-argument callable producing the monolith's own
        answer; ``to_legacy`` maps a validated output to the caller's shape
        (``CallResult.answer``; shadow comparisons use it too); ``key`` is the
        sticky canary key (default: the task's ``bucket_key`` of the input).
        ``from_legacy`` is ``to_legacy``'s reverse, used only when the
        capability's teacher capture is on (``on_legacy_answer``).
        Unknown capabilities raise ``ConfigurationError``.
        """
        route = self.route(capability)
        spec = route.spec
        ctx = CallContext(capability=capability, input_hash="", bucket_key="", mode="off")
        model = None
        input_error: Optional[Exception] = None
        try:
            model = self.coerce(capability, request)
            ctx.input_hash = input_fingerprint(model)
        except Exception as exc:  # bad input is a model-side failure; legacy may still answer
            input_error = exc

        def canary_key() -> str:
            return key if key is not None else (spec.bucket_key(model) if model is not None else "")

        mode = self.mode(capability, canary_key)
        ctx.mode = str(mode)
        if mode.kind == "canary":
            ctx.bucket_key = canary_key()
        ctx.route, ctx.bucket = route_for(mode, capability, ctx.bucket_key)
        teacher = self._teacher(ctx, route, model, from_legacy) if capability in self._capturing else None

        if ctx.route == "legacy":
            return self._legacy(ctx, legacy, "success", teacher=teacher)
        if ctx.route == "shadow":
            return self._shadow_call(ctx, route, model, input_error, legacy, to_legacy, teacher)

        try:
            if input_error is not None:
                raise input_error
            value, served_by = self._serve(route, model, ctx)
            answer = to_legacy(value) if to_legacy is not None else value
        except Exception as exc:
            error: Exception = exc
        except BaseException as exc:  # interrupts are never swallowed
            self._finish(ctx, "error", error=exc)
            raise
        else:
            return CallResult(value, served_by, self._finish(ctx, "success"), answer)
        ctx.error_code, ctx.fallback_reason = _code(error), failure_reason(error)
        if not isinstance(error, AdeptSageMakerError):  # a bug on our side must not fail the user's request
            log.error("unexpected %s in the model path of %s", type(error).__name__, capability)
        if legacy is None or not self.settings.sagemaker_llm_fallback:
            self._finish(ctx, "error", error=error)
            raise error
        log.warning("%s failed on the model side (%s); answering from legacy", capability, ctx.fallback_reason)
        return self._legacy(ctx, legacy, "fallback", teacher=teacher)

    def invoke(self, capability: str, request: Any, *, backend: str = "sagemaker") -> BaseModel:
        """Run the pipeline directly on ``backend`` (no routing, no fallback); typed errors propagate."""
        model = self.coerce(capability, request)
        route = self.route(capability, backend)
        ctx = CallContext(capability=capability, input_hash=input_fingerprint(model), bucket_key="", route="sagemaker",
                          mode="direct")  # not a rollout decision: kept out of the migration evidence
        try:
            result = pipeline.run(route, model, ctx, self.cache)
        except BaseException as exc:
            self._finish(ctx, "error", error=exc)
            raise
        self._finish(ctx, "success")
        return result

    # ------------------------------------------------------------------ the model side and legacy

    def _serve(self, route: pipeline.CapabilityRoute, model: BaseModel, ctx: CallContext) -> tuple[Any, str]:
        """The model side: serving plugins first (newest first), then the route's backend."""
        for impl in reversed(self.hook.serve_capability.get_hookimpls()):
            answer = impl.function(*[{"capability": ctx.capability, "request": model, "call": ctx}[a]
                                     for a in impl.argnames])
            if answer is not None:
                if not isinstance(answer, route.spec.output_model):
                    answer = route.spec.output_model.model_validate(answer)
                ctx.backend = impl.plugin_name
                return answer, impl.plugin_name
        return pipeline.run(route, model, ctx, self.cache), route.backend.name

    def _legacy(self, ctx: CallContext, legacy: Optional[Callable[[], Any]], outcome: str,
                started: Optional[Future] = None, teacher: Optional[Callable[[Any], None]] = None) -> CallResult:
        """Run the monolith's code once; its exception propagates unchanged (recorded as an error)."""
        if legacy is None:
            error = NoAnswerError(f"{ctx.capability} is routed to legacy (mode {ctx.mode}) and no legacy "
                                  f"implementation was given", reasons=[ctx.fallback_reason or f"mode_{ctx.mode}_no_legacy"])
            if started is not None:
                started.set_exception(error)
            self._finish(ctx, "error", error=error)
            raise error
        ctx.backend = "legacy"
        try:
            value = legacy()
        except BaseException as exc:
            ctx.error_code = _code(exc)  # the error the caller sees; fallback_reason keeps the model side's
            self._finish(ctx, "error", error=exc)
            if started is not None:  # after on_call_finished: a shadow comparison never precedes its call
                started.set_exception(exc)
            raise
        record = self._finish(ctx, outcome)
        if started is not None:
            started.set_result(value)
        if teacher is not None:
            teacher(value)
        return CallResult(value, "legacy", record, value)

    def _teacher(self, ctx: CallContext, route: pipeline.CapabilityRoute, model: Optional[BaseModel],
                 from_legacy: Optional[Callable[[Any], Any]]) -> Optional[Callable[[Any], None]]:
        """What tells the capture observers about a legacy answer (``None`` when the request did not validate)."""
        if model is None:
            return None
        spec = route.spec

        def teach(value: Any) -> None:
            self.notify("on_legacy_answer", answer=LegacyAnswer(
                spec.name, ctx.call_id, ctx.mode, ctx.input_hash, ctx.started_wall, model, value, spec.output_model,
                route.template_version, from_legacy, lambda: pipeline.render_prompt(route, model)))

        return teach

    def _shadow_call(self, ctx: CallContext, route: pipeline.CapabilityRoute, model: Optional[BaseModel],
                     input_error: Optional[Exception], legacy: Optional[Callable[[], Any]],
                     to_legacy: Optional[Callable[[Any], Any]],
                     teacher: Optional[Callable[[Any], None]] = None) -> CallResult:
        """Legacy answers the user; the model side runs on the shadow pool and is compared."""
        legacy_value: Future = Future()
        if legacy is not None and input_error is None:
            future = self.shadow_runner().submit(
                lambda: self._shadow_job(ctx, route, model, legacy_value, to_legacy))
            if future is None:
                self._shadow_result(ctx, None, False, 0.0, "shadow_dropped")
        elif input_error is not None:
            self._shadow_result(ctx, None, False, 0.0, failure_reason(input_error))
        return self._legacy(ctx, legacy, "success", started=legacy_value, teacher=teacher)

    def _shadow_job(self, ctx: CallContext, route: pipeline.CapabilityRoute, model: BaseModel,
                    legacy_value: Future, to_legacy: Optional[Callable[[Any], Any]]) -> None:
        shadow_ctx = CallContext(capability=ctx.capability, input_hash=ctx.input_hash, bucket_key=ctx.bucket_key,
                                 route="sagemaker", mode=ctx.mode)
        started = time.perf_counter()
        try:
            output, _ = self._serve(route, model, shadow_ctx)
        except Exception as exc:
            self._shadow_result(ctx, None, False, time.perf_counter() - started, failure_reason(exc))
            return
        elapsed = time.perf_counter() - started
        # Compare once the legacy answer exists, without waiting for it: no pool thread is held while the
        # caller's legacy code runs (however long it takes). The legacy value is set after on_call_finished,
        # so observers hear of the call before its comparison. When legacy finishes last, its thread (the
        # caller's) only queues the comparison back onto the shadow pool.
        def compare() -> None:
            from adeptai_sagemaker.rollout.agreement import compare_answers  # shadow only: not loaded otherwise

            try:
                result = compare_answers(ctx.capability, legacy_value.result(), output, to_legacy=to_legacy,
                                         output_model=route.spec.output_model)
            except Exception as exc:  # legacy or the mapping failed: nothing to compare with
                self._shadow_result(ctx, None, True, elapsed, f"compare_failed:{type(exc).__name__}")
                return
            self._shadow_result(ctx, result.score, True, elapsed, None, agree=result.agree, fields=result.fields,
                                not_comparable=result.not_comparable)

        if legacy_value.done():
            compare()
            return

        def when_legacy_done(_: Future) -> None:
            if self.shadow_runner().submit(compare) is None:
                self._shadow_result(ctx, None, True, elapsed, "shadow_dropped")

        legacy_value.add_done_callback(when_legacy_done)

    def _shadow_result(self, ctx: CallContext, score: Optional[float], ok: bool, latency_s: float,
                       reason: Optional[str], **details: Any) -> None:
        self.notify("on_shadow_result", comparison=ShadowComparison(ctx.capability, ctx.call_id, score, ok,
                                                                    latency_s, reason, mode=ctx.mode, **details))

    # ------------------------------------------------------------------ observers

    def _finish(self, ctx: CallContext, outcome: str, error: Optional[BaseException] = None) -> CallRecord:
        if error is not None and ctx.error_code is None:
            ctx.error_code = _code(error)
        record = ctx.record(outcome)  # type: ignore[arg-type]
        self.notify("on_call_finished", record=record)
        return record

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Tell every observer of ``hook_name`` through pluggy's hook calling.

        Each implementation was isolated when it was registered
        (``plugin.manager.PluginManager``): one that raises is logged once per
        observer and hook and skipped; the others, metrics and the audit trail
        included, still see the event, and the caller never sees the failure.
        """
        getattr(self.hook, hook_name)(**kwargs)

    def _log_once(self, key: tuple[str, str], message: str, *args: Any, level: int = logging.ERROR) -> None:
        if key not in self._logged_once:
            self._logged_once.add(key)
            log.log(level, message, *args)

    def close(self) -> None:
        """Stop every thread this framework started and close its files, connections and sockets; each waits
        for its thread. Buffered evidence and captured examples are written first, the store closed last.

        A framework dropped without ``close()`` has its threads asked to stop when it is garbage collected
        (``_stop_threads``); ``close()`` is still the way to get everything closed at a known point.
        """
        self._stopper.detach()
        if self._shadow is not None:
            self._shadow.shutdown(wait=True)
        for backend in list(self._backends.values()):
            close = getattr(backend, "close", None)  # sticky sessions (SAGEMAKER_<STEM>_SESSION), HTTP pools
            if close is not None:
                close()
        if self.cache is not None:
            self.cache.close()
        if self.audit_trail is not None:
            self.audit_trail.close()
        if self.evidence is not None:
            self.evidence.close()
        if self.capture is not None:
            self.capture.close()  # drains the capture queue and flushes the open shard
        self.routing.close()
        self.state_store.close()


def _stop_threads(owners: list[Any]) -> None:
    """The finalizer of a framework dropped without ``close()``: ask each thread to write what it holds and
    end. Only signals (no lock held by a caller, no wait): it may run inside any thread's garbage collection."""
    for owner in owners:
        owner.stop()


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
