"""OpenTelemetry: one span per capability call and the GenAI client metrics, via ``opentelemetry-api``.

A no-op unless the application configures an SDK (``opentelemetry-sdk``, an
exporter): the API's default providers drop everything, so while the API's
providers are still the default proxies (or ``opentelemetry`` was never
imported by the application) the observer does nothing at all. The API is
imported only then, never at ``import adeptai_sagemaker`` time.

Names follow the OpenTelemetry GenAI semantic conventions (status
"Development"; the names as of their move to their own repository; this
module emits them by default, there is no older set to keep):

- span ``{gen_ai.operation.name} {gen_ai.request.model}``, kind CLIENT, with
  ``gen_ai.operation.name`` (``chat`` for the messages/openai codecs,
  ``text_completion`` otherwise), ``gen_ai.provider.name``,
  ``gen_ai.request.model`` (the endpoint name; the backend's name when no
  endpoint was involved), ``gen_ai.usage.input_tokens``/``output_tokens``,
  ``gen_ai.response.finish_reasons`` and ``error.type``;
- histograms ``gen_ai.client.operation.duration`` (s) and
  ``gen_ai.client.token.usage`` ({token}, by ``gen_ai.token.type`` =
  input|output) with the recommended bucket boundaries;
- a ``feature_flag.evaluation`` span event per rollout decision:
  ``feature_flag.key`` = ``adeptai_sagemaker.<capability>.mode``,
  ``feature_flag.result.variant`` = the mode, ``feature_flag.provider.name`` =
  ``adeptai-sagemaker``, ``feature_flag.result.reason`` = ``static`` (env
  settings) or ``targeting_match`` (a live override set by ``promote``, or a
  canary bucket), ``feature_flag.result.value`` is NOT set (the route name is in
  ``adeptai_sagemaker.route``).

``gen_ai.provider.name``: the registry has no value for SageMaker, so this
project uses the custom ``aws.sagemaker`` (like the registered
``aws.bedrock``); external backends use the registered ``openai`` and
``anthropic``; the monolith's own code is ``adeptai.legacy``.

Privacy: attributes are names, numbers and enumerations from ``CallRecord``;
the opt-in content attributes (``gen_ai.input.messages``,
``gen_ai.output.messages``, prompts, completions) are never set, and
``error.type`` is an error *code*, never an exception message.
"""

from __future__ import annotations

import sys
import time
from importlib import metadata
from typing import Any, Optional

from adeptai_sagemaker.plugin.hookspecs import hookimpl

CHAT_CODECS = frozenset({"messages", "openai", "anthropic"})
PROVIDERS = {"sagemaker": "aws.sagemaker", "openai": "openai", "anthropic": "anthropic", "legacy": "adeptai.legacy"}
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
FLAG_PROVIDER = "adeptai-sagemaker"
RECHECK_S = 5.0


def _version() -> str:
    try:
        return metadata.version("adeptai-sagemaker")
    except metadata.PackageNotFoundError:
        return "0"


class OTelObserver:
    """Observer plugin: spans and GenAI metrics from ``CallRecord`` (names and numbers only)."""

    def __init__(self, settings: Any, *, mode_source: Any = None, tracer_provider: Any = None,
                 meter_provider: Any = None):
        self.settings = settings
        self.mode_source = mode_source
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._instruments: Optional[tuple] = None
        self._checked_at: Optional[float] = None
        self._is_active = False

    def _active(self) -> bool:
        """False while no SDK is configured (the API's proxy providers would drop everything): skip the work.

        Re-checked at most every ``RECHECK_S`` seconds, so an SDK configured after start is picked up.
        """
        if self._tracer_provider is not None or self._meter_provider is not None:
            return True
        if "opentelemetry.trace" not in sys.modules:  # nobody imported the API, so nobody configured an SDK
            return False
        now = time.monotonic()
        if self._checked_at is not None and now - self._checked_at < RECHECK_S:
            return self._is_active
        from opentelemetry import metrics, trace

        proxies = (trace.ProxyTracerProvider, trace.NoOpTracerProvider, metrics.NoOpMeterProvider)
        meter_provider = metrics.get_meter_provider()
        self._is_active = not (isinstance(trace.get_tracer_provider(), proxies) and (
            isinstance(meter_provider, proxies) or type(meter_provider).__name__ == "_ProxyMeterProvider"))
        self._checked_at = now
        return self._is_active

    def _get(self) -> tuple:
        if self._instruments is None:
            from opentelemetry import metrics, trace

            tracer = trace.get_tracer("adeptai_sagemaker", _version(), tracer_provider=self._tracer_provider)
            meter = metrics.get_meter("adeptai_sagemaker", _version(), meter_provider=self._meter_provider)
            duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s",
                                              description="GenAI operation duration",
                                              explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
            tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}",
                                            description="Number of input and output tokens used",
                                            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
            self._instruments = (tracer, duration, tokens, trace.SpanKind.CLIENT, trace.Status, trace.StatusCode)
        return self._instruments

    def _operation(self, capability: str) -> str:
        try:
            codec = self.settings.capability(capability).codec
        except Exception:  # an unknown capability: fall back to the generic name
            codec = ""
        return "chat" if codec in CHAT_CODECS else "text_completion"

    def attributes(self, record: Any) -> dict[str, Any]:
        """The low-cardinality attributes shared by the span and the metrics."""
        backend = record.backend or ("sagemaker" if record.route == "sagemaker" else "legacy")
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": self._operation(record.capability),
            "gen_ai.provider.name": PROVIDERS.get(backend, backend),
            "gen_ai.request.model": record.endpoint or backend,
            "adeptai_sagemaker.capability": record.capability,
        }
        error_type = record.error_code if record.outcome == "error" else (
            record.fallback_reason if record.outcome == "fallback" else None)
        if error_type:
            attrs["error.type"] = str(error_type)
        return attrs

    @hookimpl
    def on_call_finished(self, record) -> None:
        if not self._active():
            return
        tracer, duration, tokens, client_kind, status_cls, status_code = self._get()
        attrs = self.attributes(record)
        span_attrs = dict(attrs)
        span_attrs["adeptai_sagemaker.route"] = record.route
        span_attrs["adeptai_sagemaker.outcome"] = record.outcome
        span_attrs["adeptai_sagemaker.cache_hit"] = bool(record.cache_hit)
        if record.input_tokens is not None:
            span_attrs["gen_ai.usage.input_tokens"] = int(record.input_tokens)
        if record.output_tokens is not None:
            span_attrs["gen_ai.usage.output_tokens"] = int(record.output_tokens)
        if record.finish_reason:
            span_attrs["gen_ai.response.finish_reasons"] = [str(record.finish_reason)]
        start_ns = int(record.timestamp * 1e9)
        end_ns = start_ns + int(record.latency_s * 1e9)
        span = tracer.start_span(f"{attrs['gen_ai.operation.name']} {attrs['gen_ai.request.model']}",
                                 kind=client_kind, attributes=span_attrs, start_time=start_ns)
        span.add_event("feature_flag.evaluation", self._flag_event(record), timestamp=start_ns)
        if record.outcome == "error":
            span.set_status(status_cls(status_code.ERROR))
        span.end(end_time=end_ns)
        duration.record(record.latency_s, attrs)
        if record.input_tokens is not None:
            tokens.record(int(record.input_tokens), {**attrs, "gen_ai.token.type": "input"})
        if record.output_tokens is not None:
            tokens.record(int(record.output_tokens), {**attrs, "gen_ai.token.type": "output"})

    def _flag_event(self, record: Any) -> dict[str, Any]:
        resolution = self.mode_source.resolve(record.capability) if self.mode_source is not None else None
        source = resolution.source if resolution is not None else "env"
        reason = "targeting_match" if source in ("state", "openfeature") or record.bucket is not None else "static"
        if resolution is not None and resolution.switch is not None:
            reason = "disabled"
        return {"feature_flag.key": f"adeptai_sagemaker.{record.capability}.mode",
                "feature_flag.result.variant": record.mode, "feature_flag.provider.name": FLAG_PROVIDER,
                "feature_flag.result.reason": reason, "adeptai_sagemaker.route": record.route,
                "adeptai_sagemaker.mode_source": source}
