"""One capability against one backend: render, cache, invoke, validate, re-ask.

Everything that does not change between calls (target, generation parameters,
breaker, cache policy, the static part of the cache key, the template's
identity) is resolved once into an immutable ``CapabilityRoute`` when the
framework is built; a call only hashes its input (once, in the framework),
renders, invokes and validates.

The pipeline raises typed errors and never falls back: deciding whether the
legacy code answers instead is ``Framework.call``'s job, and only its job.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Optional

from pydantic import BaseModel

from adeptai_sagemaker.backends.base import Backend, Target
from adeptai_sagemaker.core.breaker import BreakerBoard, CircuitBreaker
from adeptai_sagemaker.core.cache import ResponseCache, make_key
from adeptai_sagemaker.plugin.calls import CallContext
from adeptai_sagemaker.plugin.completion import GenerationParams, InvokeOptions
from adeptai_sagemaker.core.errors import (
    AdeptSageMakerError,
    CircuitOpenError,
    ConfigurationError,
    InvalidOutputError,
    InvocationError,
    ResponseDecodeError,
)
from adeptai_sagemaker.core.prompting import render, template_identity
from adeptai_sagemaker.core.settings import Settings
from adeptai_sagemaker.core.structured import OutputParseError, parse_output
from adeptai_sagemaker.plugin.tasks import TaskSpec


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
    from adeptai_sagemaker.backends.sagemaker.codecs import GRAMMAR_BY_DEFAULT

    return cap.codec in GRAMMAR_BY_DEFAULT


@dataclass(frozen=True)
class CapabilityRoute:
    """Everything fixed about one capability on one backend, resolved once.

    ``missing`` is the error text when the route cannot be used: its backend
    ``needs_endpoint`` and ``SAGEMAKER_<STEM>_ENDPOINT`` is not set. This is the
    one endpoint check of the call path (backends rely on it); it is raised per
    call, not at construction, so an unconfigured capability does not stop the
    framework from starting.
    """

    spec: TaskSpec
    backend: Backend
    target: Target
    params: GenerationParams
    breaker: CircuitBreaker
    input_budget: int
    max_reasks: int
    template_version: str
    cache_enabled: bool
    cache_ttl: int
    cache_parts: dict  # every static part of the cache key but the output model's (added on first use)
    missing: Optional[str] = None

    @functools.cached_property
    def cache_prefix(self) -> bytes:
        """The canonical hash of the static key parts. The parts that need the output model (the schema
        version, the model's name and its schema) are added here, on first use: building the route, when
        the framework is built, loads no capability's models."""
        from adeptai_sagemaker.capabilities.schemas import SCHEMA_VERSION

        return make_key(**self.cache_parts, schema=SCHEMA_VERSION, output=self.spec.output_model.__name__,
                        schema_text=self.spec.schema_text).encode("ascii")

    def cache_key(self, input_hash: str) -> str:
        return hashlib.sha256(self.cache_prefix + input_hash.encode("ascii")).hexdigest()


def build_route(settings: Settings, spec: TaskSpec, backend: Backend, breakers: BreakerBoard) -> CapabilityRoute:
    """Resolve ``spec`` on ``backend`` from settings (called when the framework is built)."""
    cap = settings.capability(spec.name)
    endpoint = settings.endpoint(spec.name)
    target = Target(
        capability=spec.name,
        endpoint=endpoint,
        codec=cap.codec,
        options=InvokeOptions(target_model=cap.target_model, target_variant=cap.target_variant,
                              inference_component=cap.inference_component, custom_attributes=cap.custom_attributes),
        connect_timeout=cap.connect_timeout,
        read_timeout=cap.read_timeout,
        max_attempts=cap.max_attempts,
        stream=cap.stream,
        session=cap.session,
        prefix_aware=cap.prefix_aware,
    )
    params = GenerationParams(
        max_new_tokens=cap.max_tokens or spec.max_new_tokens,
        temperature=spec.temperature if cap.temperature is None else cap.temperature,
        json_schema=spec.schema if _grammar_on(cap) else None,
    )
    _, template_hash = template_identity(spec.template)
    parts = dict(backend=backend.name, endpoint=endpoint, component=cap.inference_component,
                 variant=cap.target_variant, model=cap.target_model, codec=cap.codec, template=spec.template,
                 template_hash=template_hash, budget=cap.input_budget, params=params.cache_identity())
    missing = None
    if getattr(backend, "needs_endpoint", False) and not endpoint:
        missing = f"SAGEMAKER_{settings.stem(spec.name)}_ENDPOINT is not set for {spec.name}"
    return CapabilityRoute(
        spec=spec, backend=backend, target=target, params=params,
        breaker=breakers.get(f"{backend.name}:{endpoint}"), input_budget=cap.input_budget,
        max_reasks=cap.max_reasks, template_version=f"{spec.template}@{template_hash}",
        cache_enabled=settings.cache_enabled(spec.name), cache_ttl=settings.cache_ttl(spec.name),
        cache_parts=parts, missing=missing,
    )


def run(route: CapabilityRoute, request: BaseModel, call: CallContext, cache: Optional[ResponseCache]) -> BaseModel:
    """Answer ``request`` on ``route``; raises an ``AdeptSageMakerError`` subclass on failure."""
    if route.missing:
        raise ConfigurationError(route.missing)
    spec, target = route.spec, route.target
    call.endpoint = target.endpoint
    call.backend = route.backend.name
    call.template_version = route.template_version

    # The rendered prompt is a pure function of (template, request, budget, schema), so the
    # cache key is built from those without rendering: a hit costs one hash and one lookup.
    key = None
    if cache is not None and route.cache_enabled:
        key = route.cache_key(call.input_hash)
        cached = cache.get(key)
        if cached is not None:
            try:
                result = spec.output_model.model_validate(cached)
            except Exception:
                result = None  # schema moved on: treat as a miss
            if result is not None:
                call.cache_hit = True
                return result

    prompt = render_prompt(route, request)
    breaker = route.breaker
    if not breaker.allow():
        raise CircuitOpenError(str(target.endpoint))
    try:
        result = _generate(route, prompt, call)
    except AdeptSageMakerError as exc:
        if _counts_against_endpoint(exc):
            breaker.record_failure(exc.reason)
        elif getattr(exc, "cold", False):
            breaker.release_probe()  # says nothing about health either way
        else:
            breaker.record_success()  # the endpoint was not at fault; release a half-open probe
        raise
    breaker.record_success()
    if key is not None:
        cache.put(key, result.model_dump(mode="json"), ttl=route.cache_ttl, capability=spec.name)
    return result


def render_prompt(route: CapabilityRoute, request: BaseModel):
    """The prompt ``request`` is sent on ``route`` (also what teacher capture stores for a student).

    With a grammar the container enforces the schema, so the prompt shows only its compact outline
    (small models copy constants out of a full JSON Schema); without one, the schema itself.
    """
    spec = route.spec
    outline = spec.schema_outline if route.params.json_schema is not None else None
    return render(spec.name, spec.template, spec.variables(request), input_budget=route.input_budget,
                  output_schema=spec.schema_text, output_outline=outline)


def _generate(route: CapabilityRoute, prompt, call: CallContext) -> BaseModel:
    spec, backend = route.spec, route.backend
    current = prompt
    last_error: Optional[str] = None
    for attempt in range(route.max_reasks + 1):
        try:
            completion = backend.complete(current, route.params, route.target)
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
            if attempt < route.max_reasks:
                call.reasks += 1
                current = prompt.with_feedback(last_error)
    raise InvalidOutputError(
        f"{spec.name}: model output invalid after {route.max_reasks + 1} attempt(s): {last_error}",
        attempts=route.max_reasks + 1,
        last_error=last_error,
    )
