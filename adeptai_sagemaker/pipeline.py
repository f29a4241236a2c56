"""One capability against one backend: render, cache, invoke, validate, re-ask.

This is the SageMaker path of the data walk in DESIGN.md, written once and
used by every backend. It raises typed errors; deciding whether to fall back
is the caller's job (the SageMaker plugin).
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel

from .backends import Backend, Target
from .breaker import BreakerBoard
from .cache import ResponseCache, make_key
from .calls import CallContext
from .completion import GenerationParams, InvokeOptions
from .errors import (
    AdeptSageMakerError,
    CircuitOpenError,
    ConfigurationError,
    InvalidOutputError,
    InvocationError,
    ResponseDecodeError,
)
from .prompting import render, template_identity
from .schemas import SCHEMA_VERSION
from .settings import STEMS, Settings
from .structured import OutputParseError, parse_output
from .tasks import TaskSpec


def _counts_against_endpoint(exc: BaseException) -> bool:
    """Failures that say something about the endpoint's health (for the breaker).

    A cold endpoint (scaling from zero, ``errors.EndpointColdError``) is not
    unhealthy: it neither trips nor closes the breaker.
    """
    return isinstance(exc, (InvocationError, ResponseDecodeError, InvalidOutputError)) and not getattr(exc, "cold", False)


def _grammar_on(cap) -> bool:
    """``SAGEMAKER_<STEM>_GRAMMAR`` when set, else the codec's default (on for vLLM-backed chat codecs)."""
    if cap.grammar is not None:
        return bool(cap.grammar)
    from .codecs.openai_chat import GRAMMAR_BY_DEFAULT

    return cap.codec in GRAMMAR_BY_DEFAULT


class CapabilityPipeline:
    def __init__(self, settings: Settings, cache: Optional[ResponseCache], breakers: BreakerBoard):
        self.settings = settings
        self.cache = cache
        self.breakers = breakers

    def target(self, spec: TaskSpec) -> Target:
        cap = self.settings.capability(spec.name)
        return Target(
            capability=spec.name,
            endpoint=self.settings.endpoint(spec.name),
            codec=cap.codec,
            options=InvokeOptions(
                target_model=cap.target_model,
                target_variant=cap.target_variant,
                inference_component=cap.inference_component,
                custom_attributes=cap.custom_attributes,
            ),
            connect_timeout=cap.connect_timeout,
            read_timeout=cap.read_timeout,
            max_attempts=cap.max_attempts,
            stream=cap.stream,
            session=cap.session,
            prefix_aware=cap.prefix_aware,
        )

    def params(self, spec: TaskSpec) -> GenerationParams:
        cap = self.settings.capability(spec.name)
        return GenerationParams(
            max_new_tokens=cap.max_tokens or spec.max_new_tokens,
            temperature=spec.temperature if cap.temperature is None else cap.temperature,
            json_schema=spec.schema if _grammar_on(cap) else None,
        )

    def run(self, spec: TaskSpec, request: BaseModel, call: CallContext, backend: Backend,
            target: Optional[Target] = None) -> BaseModel:
        cap = self.settings.capability(spec.name)
        target = target or self.target(spec)
        if backend.name == "sagemaker" and not target.endpoint:
            raise ConfigurationError(
                f"SAGEMAKER_{STEMS.get(spec.name, spec.name.upper())}_ENDPOINT is not set for {spec.name}"
            )
        call.endpoint = target.endpoint
        call.backend = backend.name
        _, template_hash = template_identity(spec.template)
        call.template_version = f"{spec.template}@{template_hash}"
        params = self.params(spec)

        # The rendered prompt is a pure function of (template, request, budget, schema), so the
        # cache key is built from those without rendering: a hit costs one hash and one lookup.
        key = None
        use_cache = self.cache is not None and self.settings.cache_enabled(spec.name)
        if use_cache:
            key = make_key(backend=backend.name, endpoint=target.endpoint, component=target.options.inference_component,
                           variant=target.options.target_variant, model=target.options.target_model, codec=target.codec,
                           template=spec.template, template_hash=template_hash, input=call.input_hash,
                           budget=cap.input_budget, params=params.cache_identity(), schema=SCHEMA_VERSION, schema_text=spec.schema_text,
                           output=spec.output_model.__name__)
            cached = self.cache.get(key)
            if cached is not None:
                try:
                    result = spec.output_model.model_validate(cached)
                except Exception:
                    result = None  # schema moved on: treat as a miss
                if result is not None:
                    call.cache_hit = True
                    return result

        prompt = render(spec.name, spec.template, spec.variables(request), input_budget=cap.input_budget,
                        output_schema=spec.schema_text)
        breaker = self.breakers.get(f"{backend.name}:{target.endpoint}")
        if not breaker.allow():
            raise CircuitOpenError(str(target.endpoint))
        try:
            result = self._generate(spec, prompt, params, call, backend, target)
        except AdeptSageMakerError as exc:
            if _counts_against_endpoint(exc):
                breaker.record_failure(exc.reason)
            elif getattr(exc, "cold", False):
                breaker.release_probe()  # says nothing about health either way
            else:
                breaker.record_success()  # the endpoint was not at fault; release a half-open probe
            raise
        breaker.record_success()
        if use_cache and key is not None:
            self.cache.put(key, result.model_dump(mode="json"), ttl=self.settings.cache_ttl(spec.name),
                           capability=spec.name)
        return result

    def _generate(self, spec, prompt, params, call, backend, target) -> BaseModel:
        cap = self.settings.capability(spec.name)
        current = prompt
        last_error: Optional[str] = None
        for attempt in range(cap.max_reasks + 1):
            try:
                completion = backend.complete(current, params, target)
            except AdeptSageMakerError as exc:
                call.attempts += getattr(exc, "attempts", 1)
                raise
            call.attempts += completion.attempts
            call.variant = completion.variant or call.variant
            call.model_version = completion.model_version or call.model_version
            call.finish_reason = completion.finish_reason or call.finish_reason
            if completion.usage is not None:
                call.input_tokens = (call.input_tokens or 0) + (completion.usage.input_tokens or 0)
                call.output_tokens = (call.output_tokens or 0) + (completion.usage.output_tokens or 0)
            try:
                return parse_output(completion.text, spec.output_model)
            except OutputParseError as exc:
                last_error = str(exc)
                if attempt < cap.max_reasks:
                    call.reasks += 1
                    current = prompt.with_feedback(last_error)
        raise InvalidOutputError(
            f"{spec.name}: model output invalid after {cap.max_reasks + 1} attempt(s): {last_error}",
            attempts=cap.max_reasks + 1,
            last_error=last_error,
        )
