"""Drop-in for ``market_intelligence.hybrid_llm_service`` and the fast router path (docs/monolith-interfaces.md §3).

``HybridLLMService`` keeps the monolith's zero-argument constructor,
``async generate_response(LLMRequest) -> LLMResponse``, ``batch_process``,
``get_usage_stats`` (same keys), ``clear_cache`` and ``optimize_cache``.
``FastLLMService`` keeps ``generate_fast``/``batch_generate`` returning
``FastLLMResponse(content, model, tokens_used, cost, processing_time, cached)``,
so ``SmartLLMRouter.route_request`` works unchanged once its ``llm_service``
is swapped.

Event loops: the framework call is synchronous, so it runs in a worker
thread (``asyncio.to_thread``) and the caller's loop is never blocked; this
works under the Flask pattern of one ``new_event_loop()`` per request. A
legacy service is async and may hold loop-bound sessions, so it is always
awaited *in the caller's loop*: on the fallback path directly, and when the
framework asks for the legacy answer (mode off/shadow/canary, or a failure)
the worker thread schedules the coroutine back onto the caller's loop with
``run_coroutine_threadsafe`` and waits for it.

``HybridLLMService``'s ``content`` is always JSON text, on every path,
because its only consumer, ``MarketIntelligenceLLM``, ``json.loads`` every
reply (``analyze_behavior_patterns``, ``generate_market_insights``,
``screen_candidates``): from SageMaker it is the validated
``MarketIntelligenceOutput``; the legacy service's reply passes through when
it parses and is made parseable when it does not (``ensure_json_content``:
the monolith's canned fallback is plain text for screening prompts, which
broke ``screen_candidates``); with no legacy service at all, the legacy side
is our own JSON fallback (``"fallback": true``, confidence 0.0). A legacy
service that raises propagates its exception unchanged, as every adapter's
legacy side does (``Framework.call`` decides fallback, alone).
``FastLLMService``'s callers never parse the content (``fast_api.py`` reads
only ``model``/``cost``/``processing_time``), so its legacy replies pass
through unchanged.

Cost: SageMaker bills instance time, not tokens, so SageMaker answers report
``cost=0.0`` (marginal cost); ``tokens_used`` is the real input+output token
count the endpoint reported.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
import threading
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from adeptai_sagemaker.adapters import _shapes
from adeptai_sagemaker.adapters._common import clamp, clean_json_value, safe_text, framework_source, guarded_call
from adeptai_sagemaker.adapters._patching import Found, PatchLog, Wiring, bound_class

if TYPE_CHECKING:
    import asyncio  # the coroutines below import it when they run: a caller awaiting them has it loaded

log = logging.getLogger("adeptai_sagemaker.adapters")

CAPABILITY = "market_intelligence"
PROMPT_LIMIT = 200_000
SYSTEM_LIMIT = 20_000
LEGACY_TIMEOUT_S = 300.0
_TIER2 = {"complex", "critical"}


def _complexity_value(request: Any) -> str:
    complexity = getattr(request, "complexity", None)
    value = getattr(complexity, "value", complexity)
    return str(value).lower() if value is not None else "moderate"


def _analysis_kind(prompt: str) -> str:
    lower = prompt.lower()
    if "screen" in lower:
        return "screening"
    if "behavior" in lower or "behaviour" in lower:
        return "behavior"
    if "market" in lower:
        return "market"
    return "general"


def output_to_content(output: Any) -> str:
    """The validated output as JSON text (what the callers ``json.loads``)."""
    return json.dumps(output.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def output_from_response(value: Any) -> Any:
    """The reverse of ``output_to_content``: an ``LLMResponse`` (or its content) back to the output's JSON
    (teacher capture). Canned fallback JSON does not fit the schema, so it is counted, never stored."""
    content = getattr(value, "content", value)
    return json.loads(content) if isinstance(content, (str, bytes, bytearray)) else content


def fallback_content(prompt: str, model: str) -> str:
    """Last-resort JSON content in the monolith's canned shapes; always parseable, confidence 0.0."""
    kind = _analysis_kind(prompt)
    if kind == "behavior":
        body: Dict[str, Any] = {"behavior_analysis": {"available": False, "confidence": 0.0}}
    elif kind == "market":
        body = {"market_analysis": {"available": False, "confidence": 0.0}}
    elif kind == "screening":
        body = {"screening": {"decision": "review", "reasons": ["analysis unavailable"], "confidence": 0.0}}
    else:
        body = {"analysis": {"available": False, "confidence": 0.0}}
    body.update({"fallback": True, "model": model})
    return json.dumps(body)


_FENCED = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def parses(content: Any) -> bool:
    """True when ``json.loads(content)`` succeeds (what ``MarketIntelligenceLLM`` does with every reply)."""
    if not isinstance(content, (str, bytes, bytearray)):
        return False
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        return False
    return True


def ensure_json_content(content: Any, prompt: str, model: str) -> str:
    """``content`` when it already parses; else the same answer as JSON text, so ``json.loads`` never raises.

    A reply wrapped in one code fence is unwrapped. Anything else (the monolith's canned plain text
    for screening prompts, a real model's prose, empty or missing content) becomes the canned JSON of
    ``fallback_content`` with the original text kept under ``"text"`` (the caller sees what it saw
    before, now parseable; nothing is invented). Embedded ``{...}`` inside prose is deliberately not
    extracted: in the canned text it is the candidate's own data echoed back, not an answer.
    """
    if parses(content):
        return content if isinstance(content, str) else bytes(content).decode("utf-8", "replace")
    text = safe_text(content) if isinstance(content, (str, bytes, bytearray)) else ""
    fenced = _FENCED.match(text)
    if fenced and parses(fenced.group(1)):
        return fenced.group(1)
    body = json.loads(fallback_content(prompt, model))
    if text.strip():
        body["text"] = safe_text(text, 4000)
    return json.dumps(body, ensure_ascii=False)


class _Stats:
    """Usage counters with the monolith's ``get_usage_stats`` keys (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.total_requests = self.total_tokens = self.tier1 = self.tier2 = self.cache_hits = 0
        self.total_cost = 0.0
        self.fallbacks = 0

    def record(self, tier2: bool, tokens: int, cost: float, cached: bool, fallback: bool) -> None:
        with self.lock:
            self.total_requests += 1
            self.total_tokens += max(0, int(tokens))
            self.total_cost += max(0.0, float(cost))
            if tier2:
                self.tier2 += 1
            else:
                self.tier1 += 1
            self.cache_hits += int(bool(cached))
            self.fallbacks += int(bool(fallback))

    def snapshot(self) -> Dict[str, Any]:
        with self.lock:
            total = self.total_requests
            return {
                "total_requests": total,
                "total_tokens": self.total_tokens,
                "total_cost": self.total_cost,
                "tier1_requests": self.tier1,
                "tier2_requests": self.tier2,
                "cache_hit_rate": (self.cache_hits / total) if total else 0.0,
                "avg_cost_per_request": (self.total_cost / total) if total else 0.0,
                "cost_breakdown": {
                    "tier1_percentage": (self.tier1 / total * 100) if total else 0.0,
                    "tier2_percentage": (self.tier2 / total * 100) if total else 0.0,
                },
            }


class _AsyncAdapterBase:
    """Runs the guarded framework call in a worker thread; legacy coroutines go back to the caller's loop."""

    _legacy_method = ""

    def __init__(self, framework: Any, legacy: Any):
        self._get_fw = framework_source(framework)
        self._legacy_obj = legacy
        self.stats = _Stats()

    def _legacy_sync(self, loop: asyncio.AbstractEventLoop, request: Any) -> Any:
        """Called in the worker thread: await the legacy coroutine in the caller's loop and wait."""
        import asyncio

        coro = getattr(self._legacy_obj, self._legacy_method)(request)
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=LEGACY_TIMEOUT_S)

    async def _answer(self, request: Any, build_request, to_legacy, fallback_sync, key: Optional[str]):
        """(value, from_sagemaker, record). The value is caller-shaped; with fallback on, only the legacy
        service can raise."""
        import asyncio

        loop = asyncio.get_running_loop()
        legacy_obj = self._legacy_obj
        use_legacy_obj = legacy_obj is not None and hasattr(legacy_obj, self._legacy_method)
        legacy = (lambda: self._legacy_sync(loop, request)) if use_legacy_obj else fallback_sync
        holder: Dict[str, Any] = {}

        def remember(value: Any, from_sagemaker: bool) -> None:
            holder["from_sagemaker"] = from_sagemaker

        def keep_record(result: Any) -> None:
            holder["record"] = result.record

        value = await asyncio.to_thread(guarded_call, self._get_fw, CAPABILITY, build_request, legacy=legacy,
                                        to_legacy=to_legacy, key=key, on_result=remember, on_call=keep_record,
                                        from_legacy=output_from_response)
        return value, bool(holder.get("from_sagemaker")), holder.get("record")

    def _model_label(self, record: Any) -> str:
        endpoint = getattr(record, "endpoint", None)
        return f"sagemaker:{endpoint}" if endpoint else "sagemaker"


class HybridLLMService(_AsyncAdapterBase):
    """SageMaker-backed ``HybridLLMService`` (zero-argument constructor, as the monolith's)."""

    __adeptai_adapter__ = True
    _legacy_method = "generate_response"

    def __init__(self, *, framework: Any = None, legacy: Any = None, types_module: Any = None):
        super().__init__(framework, legacy)
        self._response_cls = _shapes.legacy_type("LLMResponse", types_module)
        # attributes the monolith exposes; no API keys are read or held
        self.openai_api_key = None
        self.anthropic_api_key = None
        self.models = getattr(legacy, "models", {}) if legacy is not None else {}
        self.prompt_cache = getattr(legacy, "prompt_cache", None)
        self.openai_url = getattr(legacy, "openai_url", None)
        self.anthropic_url = getattr(legacy, "anthropic_url", None)

    @property
    def usage_stats(self) -> Dict[str, Any]:
        return self.stats.snapshot()

    def _fallback_sync(self, request: Any) -> Any:
        prompt = safe_text(getattr(request, "prompt", ""))
        tier2 = _complexity_value(request) in _TIER2
        model = ("claude-sonnet-4-20250514" if tier2 else "gpt-4o-mini") + "-fallback"
        content = fallback_content(prompt, model)
        return _shapes.build(self._response_cls, content=content, model_used=model, tokens_used=len(content) // 4,
                             cost=0.0, processing_time=0.0, cached=False, confidence_score=0.0)

    def _with_json_content(self, response: Any, request: Any, prompt: str) -> Any:
        """``response`` when its content parses, else a copy whose content is JSON (``ensure_json_content``)."""
        if response is None or not hasattr(response, "content"):
            return self._fallback_sync(request)
        content = getattr(response, "content", None)
        if isinstance(content, str) and parses(content):
            return response
        model = safe_text(getattr(response, "model_used", "")) or self._fallback_sync(request).model_used
        fixed = ensure_json_content(content, prompt, model)
        if dataclasses.is_dataclass(response) and not isinstance(response, type):
            try:
                return dataclasses.replace(response, content=fixed)
            except (TypeError, ValueError):
                pass
        return _shapes.build(self._response_cls, content=fixed, model_used=model,
                             tokens_used=int(getattr(response, "tokens_used", 0) or 0),
                             cost=float(getattr(response, "cost", 0.0) or 0.0),
                             processing_time=float(getattr(response, "processing_time", 0.0) or 0.0),
                             cached=bool(getattr(response, "cached", False)),
                             confidence_score=float(getattr(response, "confidence_score", 0.0) or 0.0))

    async def generate_response(self, request: Any) -> Any:
        """One request -> one ``LLMResponse`` whose ``content`` is JSON text, on every path."""
        started = time.perf_counter()
        prompt = safe_text(getattr(request, "prompt", ""))
        system = safe_text(getattr(request, "system_prompt", ""))
        tier2 = _complexity_value(request) in _TIER2
        holder: Dict[str, Any] = {}

        def to_legacy(out: Any) -> Any:
            holder["confidence"] = clamp(out.confidence, default=0.0)
            return output_to_content(out)

        metadata = getattr(request, "metadata", None)
        market_data = metadata.get("market_data") if isinstance(metadata, dict) else None
        value, from_sm, record = await self._answer(
            request,
            lambda: {"prompt": safe_text(prompt, PROMPT_LIMIT) or " ",
                     "system_prompt": safe_text(system, SYSTEM_LIMIT),
                     "market_data": clean_json_value(market_data) if isinstance(market_data, dict) else None},
            to_legacy, lambda: self._fallback_sync(request), key=None,
        )
        elapsed = time.perf_counter() - started
        if not from_sm:
            value = self._with_json_content(value, request, prompt)
        if from_sm:
            tokens = (getattr(record, "input_tokens", None) or 0) + (getattr(record, "output_tokens", None) or 0)
            cached = bool(getattr(record, "cache_hit", False))
            response = _shapes.build(self._response_cls, content=value, model_used=self._model_label(record),
                                     tokens_used=int(tokens), cost=0.0, processing_time=elapsed, cached=cached,
                                     confidence_score=holder.get("confidence", 0.0))
        else:
            response = value
        self.stats.record(tier2, getattr(response, "tokens_used", 0) or 0, getattr(response, "cost", 0.0) or 0.0,
                          getattr(response, "cached", False), not from_sm)
        return response

    async def batch_process(self, requests: List[Any]) -> List[Any]:
        import asyncio

        return list(await asyncio.gather(*(self.generate_response(r) for r in list(requests or []))))

    def get_usage_stats(self) -> Dict[str, Any]:
        return self.stats.snapshot()

    def _purge(self, **kwargs: Any) -> None:
        try:
            cache = getattr(self._get_fw(), "cache", None)
            if cache is not None:
                cache.purge(capabilities=[CAPABILITY], **kwargs)
        except Exception as exc:
            log.warning("market cache purge failed (%s)", type(exc).__name__)

    def clear_cache(self) -> None:
        """Drop cached market answers (framework cache) and the legacy service's prompt cache."""
        self._purge()
        if self._legacy_obj is not None and hasattr(self._legacy_obj, "clear_cache"):
            self._legacy_obj.clear_cache()

    def optimize_cache(self) -> None:
        """Drop cached market answers older than their TTL; let the legacy service optimise its own."""
        try:
            ttl = self._get_fw().settings.cache_ttl(CAPABILITY)
        except Exception:
            ttl = 3600
        self._purge(older_than_s=ttl)
        if self._legacy_obj is not None and hasattr(self._legacy_obj, "optimize_cache"):
            self._legacy_obj.optimize_cache()


class FastLLMService(_AsyncAdapterBase):
    """SageMaker-backed ``fast_llm.FastLLMService`` for ``SmartLLMRouter`` (``generate_fast``/``batch_generate``)."""

    __adeptai_adapter__ = True
    _legacy_method = "generate_fast"

    def __init__(self, *, framework: Any = None, legacy: Any = None, types_module: Any = None):
        super().__init__(framework, legacy)
        self._response_cls = _shapes.legacy_type("FastLLMResponse", types_module)
        self.session = None
        self.connection_pool = None
        self.openai_api_key = None
        self.anthropic_api_key = None

    def _fallback_sync(self, request: Any) -> Any:
        model = safe_text(getattr(request, "model", "")) or "unknown"
        content = fallback_content(safe_text(getattr(request, "prompt", "")), f"{model}-fallback")
        return _shapes.build(self._response_cls, content=content, model=f"{model}-fallback",
                             tokens_used=len(content) // 4, cost=0.0, processing_time=0.0, cached=False)

    async def generate_fast(self, request: Any) -> Any:
        started = time.perf_counter()
        prompt = safe_text(getattr(request, "prompt", ""))
        system = safe_text(getattr(request, "system_prompt", ""))
        model = safe_text(getattr(request, "model", ""))
        cache_key = getattr(request, "cache_key", None)
        value, from_sm, record = await self._answer(
            request,
            lambda: {"prompt": safe_text(prompt, PROMPT_LIMIT) or " ", "system_prompt": safe_text(system, SYSTEM_LIMIT)},
            output_to_content, lambda: self._fallback_sync(request),
            key=safe_text(cache_key, 500) if cache_key else None,
        )
        if not from_sm:
            self.stats.record("claude" in model.lower(), getattr(value, "tokens_used", 0) or 0,
                              getattr(value, "cost", 0.0) or 0.0, getattr(value, "cached", False), True)
            return value
        tokens = (getattr(record, "input_tokens", None) or 0) + (getattr(record, "output_tokens", None) or 0)
        cached = bool(getattr(record, "cache_hit", False))
        self.stats.record("claude" in model.lower(), tokens, 0.0, cached, False)
        return _shapes.build(self._response_cls, content=value, model=self._model_label(record),
                             tokens_used=int(tokens), cost=0.0, processing_time=time.perf_counter() - started,
                             cached=cached)

    async def batch_generate(self, requests: List[Any]) -> List[Any]:
        """One response per request, in order — never ``None`` (the monolith's cache-hit bug)."""
        import asyncio

        return list(await asyncio.gather(*(self.generate_fast(r) for r in list(requests or []))))

    async def close(self) -> None:
        if self._legacy_obj is not None and hasattr(self._legacy_obj, "close"):
            await self._legacy_obj.close()

    def get_performance_stats(self) -> Dict[str, Any]:
        return {"session_active": False, "openai_available": False, "anthropic_available": False,
                "sagemaker": True, "usage": self.stats.snapshot()}


# --------------------------------------------------------------------------- wiring into the monolith


def wire(patches: PatchLog, found: Found, framework: Any) -> None:
    """``…hybrid_llm_service``: ``market_intelligence_llm.llm_service`` (the instance the consumers use),
    ``hybrid_llm_service`` and ``HybridLLMService``; ``…fast_llm``: ``fast_llm_service`` and
    ``FastLLMService``; ``…smart_llm_router``: ``smart_router.llm_service`` and its imported
    ``FastLLMService``. Each wrapped instance keeps the monolith's as its legacy side."""
    for hm in found["hybrid_llm"]:
        mil = hm.__dict__.get("market_intelligence_llm")
        if mil is not None and hasattr(mil, "llm_service") and not isinstance(mil.llm_service, HybridLLMService):
            patches.set(mil, "llm_service", HybridLLMService(framework=framework, legacy=mil.llm_service,
                                                              types_module=hm), hm.__name__)
        _wire_service(patches, hm, framework, HybridLLMService, "hybrid_llm_service")
    for fm in found["fast_llm"]:
        _wire_service(patches, fm, framework, FastLLMService, "fast_llm_service")
    for rm in found["smart_router"]:
        router = rm.__dict__.get("smart_router")
        if router is not None and hasattr(router, "llm_service") and not isinstance(router.llm_service,
                                                                                    FastLLMService):
            fm = sys.modules.get(rm.__name__.rsplit(".", 1)[0] + ".fast_llm")
            patches.set(router, "llm_service", FastLLMService(framework=framework, legacy=router.llm_service,
                                                               types_module=fm), rm.__name__)
        replacement = patches.replacement_for(rm.__dict__.get("FastLLMService"))
        if replacement is not None:
            patches.set(rm, "FastLLMService", replacement, rm.__name__)


def _wire_service(patches: PatchLog, module: ModuleType, framework: Any, adapter: type, shared_name: str) -> None:
    """Wrap ``module``'s shared service instance, and replace its service class by the adapter with the
    monolith's zero-argument constructor (each instance's legacy side a new monolith service)."""
    name = adapter.__name__
    shared = module.__dict__.get(shared_name)
    if shared is not None and not isinstance(shared, adapter):
        wrapped = adapter(framework=framework, legacy=shared, types_module=module)
        patches.set(module, shared_name, wrapped, module.__name__)
        patches.swap(shared, wrapped)
    original = module.__dict__.get(name)
    if original is not None:
        bound = bound_class(adapter, name, framework=framework, types_module=module,
                            legacy_for=lambda *args, **kwargs: _built_or_none(original, name))
        patches.set(module, name, bound, module.__name__)
        patches.swap(original, bound)


def _built_or_none(cls: type, name: str) -> Any:
    """The monolith's service, or None where it cannot be built (then the adapter's own fallback serves)."""
    try:
        return cls()
    except Exception as exc:
        log.warning("legacy %s could not be built (%s)", name, type(exc).__name__)
        return None


WIRING = Wiring(CAPABILITY, roles={"hybrid_llm": ("market_intelligence.hybrid_llm_service",),
                                   "fast_llm": ("market_intelligence.fast_llm",),
                                   "smart_router": ("market_intelligence.smart_llm_router",)},
                wire=wire, monolith_flag="enable_market_intelligence")
