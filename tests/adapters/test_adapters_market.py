"""Contract tests: HybridLLMService / FastLLMService adapters, driven through MarketIntelligenceLLM, the
SmartLLMRouter and the Flask ``new_event_loop()``-per-request pattern."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time

import pytest

from support.adapters import CANNED, MODES, endpoint, fail, fw_factory, scripted_endpoint, sm_calls, wait_shadow  # noqa: F401
from adeptai_sagemaker.adapters import market_intelligence as mi
from adeptai_sagemaker.core.errors import InvalidOutputError, ServiceUnavailableError

CAP = "market_intelligence"
STATS_KEYS = {"total_requests", "total_tokens", "total_cost", "tier1_requests", "tier2_requests", "cache_hit_rate",
              "avg_cost_per_request", "cost_breakdown"}


def hybrid_module():
    from adeptai_components.market_intelligence import hybrid_llm_service

    return hybrid_llm_service


def run_in_new_loop(coro):
    """The monolith's Flask pattern (api.py:1074): a fresh event loop per request."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def request(prompt="Analyze market trends for Python engineers", complexity="MODERATE"):
    m = hybrid_module()
    return m.LLMRequest(prompt=prompt, system_prompt="Return JSON.", max_tokens=500, temperature=0.3,
                        complexity=getattr(m.TaskComplexity, complexity))


def service(fw, legacy=True):
    m = hybrid_module()
    return mi.HybridLLMService(framework=fw, legacy=m.HybridLLMService() if legacy else None, types_module=m)


@pytest.mark.parametrize("mode", MODES)
def test_generate_response_in_every_mode(fw_factory, endpoint, mode):
    fw = fw_factory(mode)
    svc = service(fw)
    response = run_in_new_loop(svc.generate_response(request()))
    assert isinstance(response, hybrid_module().LLMResponse)
    assert [f.name for f in dataclasses.fields(response)] == ["content", "model_used", "tokens_used", "cost",
                                                             "processing_time", "cached", "confidence_score"]
    body = json.loads(response.content)  # the callers' implicit contract
    if mode in ("on", "canary:100"):
        assert body["summary"] == CANNED[CAP]["summary"] and response.model_used == "sagemaker:ep-market_intelligence"
        assert response.tokens_used > 0 and response.cost == 0.0 and response.confidence_score == 0.7
        assert svc._legacy_obj.loops_seen == []
    else:
        assert "market_analysis" in body and response.model_used.endswith("-fallback")
        assert len(svc._legacy_obj.loops_seen) == 1
    wait_shadow(fw)
    assert sm_calls(endpoint, CAP) == (1 if mode in ("on", "canary:100", "shadow") else 0)


def test_legacy_coroutine_runs_in_the_callers_loop(fw_factory, endpoint):
    """Off mode: the framework asks for the legacy answer from a worker thread; the coroutine must still run
    in the caller's (short-lived) loop, where its aiohttp session would live."""
    svc = service(fw_factory("off"))
    loops = []

    async def call():
        loops.append(asyncio.get_running_loop())
        return await svc.generate_response(request())

    for _ in range(3):
        run_in_new_loop(call())
    assert svc._legacy_obj.loops_seen == loops and len(set(map(id, loops))) == 3


def test_failure_falls_back_to_legacy_awaited_in_loop(fw_factory, endpoint):
    fail(endpoint, CAP, "service_unavailable")
    svc = service(fw_factory("on"))
    response = run_in_new_loop(svc.generate_response(request()))
    assert response.model_used == "gpt-4o-mini-fallback" and len(svc._legacy_obj.loops_seen) == 1


def test_failure_without_legacy_gives_json_fallback_with_zero_confidence(fw_factory, endpoint):
    fail(endpoint, CAP, "model_error")
    svc = service(fw_factory("on"), legacy=False)
    for prompt in ("Screen this candidate: {}", "behavior of x", "market", "anything else"):
        response = run_in_new_loop(svc.generate_response(request(prompt)))
        body = json.loads(response.content)
        assert body["fallback"] is True and response.confidence_score == 0.0 and response.cost == 0.0


def test_fallback_off_raises_typed_errors(fw_factory, endpoint):
    svc = service(fw_factory("on", fallback=False))
    fail(endpoint, CAP, "service_unavailable")
    with pytest.raises(ServiceUnavailableError):
        run_in_new_loop(svc.generate_response(request()))
    endpoint.clear_faults()
    endpoint.model.invalid.add(CAP)
    with pytest.raises(InvalidOutputError):
        run_in_new_loop(svc.generate_response(request()))


def test_event_loop_is_not_blocked_during_the_call(fw_factory, endpoint):
    endpoint.set_faults("ep-market_intelligence", kind="latency", latency_ms=300)
    svc = service(fw_factory("on"))
    ticks = []

    async def ticker(stop):
        while not stop.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.02)

    async def main():
        stop = asyncio.Event()
        task = asyncio.ensure_future(ticker(stop))
        response = await svc.generate_response(request())
        stop.set()
        await task
        return response

    response = run_in_new_loop(main())
    assert json.loads(response.content)["analysis_type"] == "market"
    assert len(ticks) >= 8  # the loop kept running while the endpoint took 300 ms


def test_market_intelligence_llm_consumers_work(fw_factory, endpoint):
    m = hybrid_module()
    consumer = m.MarketIntelligenceLLM()
    consumer.llm_service = service(fw_factory("on"))
    behaviour = run_in_new_loop(consumer.analyze_behavior_patterns({"skills": ["Python"]}))
    assert set(behaviour) == {"simple_analysis", "complex_analysis", "cost_breakdown"}
    insights = run_in_new_loop(consumer.generate_market_insights({"talent_availability": {}}))
    assert set(insights) == {"volume_analysis", "critical_analysis", "cost_breakdown"}
    screened = run_in_new_loop(consumer.screen_candidates([{"name": "a"}, {"name": "b"}]))
    assert [c["name"] for c in screened] == ["a", "b"] and all(isinstance(c["screening_result"], dict) for c in screened)
    stats = consumer.llm_service.get_usage_stats()
    assert set(stats) == STATS_KEYS and set(stats["cost_breakdown"]) == {"tier1_percentage", "tier2_percentage"}
    assert stats["total_requests"] == 6 and stats["tier2_requests"] == 2 and stats["total_tokens"] > 0
    report = consumer.get_cost_optimization_report()
    assert set(report) == {"usage_stats", "cost_optimization", "recommendations"}


def test_batch_process_keeps_order(fw_factory, endpoint):
    svc = service(fw_factory("on"))
    responses = run_in_new_loop(svc.batch_process([request(f"market {i}") for i in range(4)]))
    assert len(responses) == 4 and all(json.loads(r.content)["analysis_type"] == "market" for r in responses)


def test_zero_arg_constructor_and_cache_controls(fw_factory, endpoint, monkeypatch):
    fw = fw_factory("on", cache=True)
    import adeptai_sagemaker.core.framework as framework_mod

    monkeypatch.setattr(framework_mod, "_default", fw)
    svc = mi.HybridLLMService()
    first = run_in_new_loop(svc.generate_response(request()))
    second = run_in_new_loop(svc.generate_response(request()))
    assert not first.cached and second.cached and sm_calls(endpoint, CAP) == 1
    svc.clear_cache()
    run_in_new_loop(svc.generate_response(request()))
    assert sm_calls(endpoint, CAP) == 2
    svc.optimize_cache()
    assert svc.get_usage_stats()["cache_hit_rate"] == pytest.approx(1 / 3)


def test_hostile_prompts_never_crash(fw_factory, endpoint):
    svc = service(fw_factory("on"))
    m = hybrid_module()
    for prompt in (None, "", b"bytes prompt", "lone \ud800", "market " * 60_000):
        req = m.LLMRequest(prompt=prompt, system_prompt=None, max_tokens=10, temperature=0.1,
                           complexity=m.TaskComplexity.SIMPLE)
        response = run_in_new_loop(svc.generate_response(req))
        assert isinstance(response, m.LLMResponse)
        assert json.loads(response.content)["summary"] == CANNED[CAP]["summary"], repr(prompt)[:40]
    assert sm_calls(endpoint, CAP) == 5  # every prompt, empty or hostile, reached the model: none fell back


def test_concurrent_flask_threads(fw_factory, endpoint):
    svc = service(fw_factory("on"))
    results, errors = [], []

    def worker(i):
        try:
            results.append(json.loads(run_in_new_loop(svc.generate_response(request(f"market {i}"))).content))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 6


# --------------------------------------------------------------------------- router path (fast_llm)


def router_with_adapter(fw):
    from adeptai_components.market_intelligence import fast_llm, smart_llm_router

    router = smart_llm_router.SmartLLMRouter()
    router.llm_service = mi.FastLLMService(framework=fw, legacy=router.llm_service, types_module=fast_llm)
    return router, fast_llm


@pytest.mark.parametrize("mode", ["off", "on"])
def test_router_route_request_returns_fast_llm_response(fw_factory, endpoint, mode):
    router, fast_llm = router_with_adapter(fw_factory(mode))
    response = run_in_new_loop(router.route_request(prompt="Predict behavior for candidate 1", system_prompt="JSON",
                                                    max_tokens=1000, cache_key="behavior_analysis_1"))
    assert isinstance(response, fast_llm.FastLLMResponse)
    assert [f.name for f in dataclasses.fields(response)] == ["content", "model", "tokens_used", "cost",
                                                             "processing_time", "cached"]
    assert isinstance(response.model, str) and isinstance(response.cost, float)
    assert isinstance(response.processing_time, float)
    if mode == "on":
        assert json.loads(response.content)["analysis_type"] == "market"
    else:
        assert response.model.endswith("-fallback")


def test_batch_generate_never_returns_none(fw_factory, endpoint):
    router, fast_llm = router_with_adapter(fw_factory("on"))
    reqs = [fast_llm.FastLLMRequest(prompt=f"p{i}", system_prompt="", model="gpt-4o-mini", cache_key="same")
            for i in range(3)]
    responses = run_in_new_loop(router.llm_service.batch_generate(reqs))
    assert len(responses) == 3 and all(isinstance(r, fast_llm.FastLLMResponse) for r in responses)


def test_router_failure_falls_back(fw_factory, endpoint):
    fail(endpoint, CAP, "throttle")
    router, _ = router_with_adapter(fw_factory("on"))
    response = run_in_new_loop(router.route_request(prompt="Predict behavior", system_prompt=""))
    assert response.model.endswith("-fallback")


class _ScriptedLegacy:
    """A legacy HybridLLMService whose reply is chosen by the test (the real one's canned screening
    reply is plain text: "GPT-4o-mini response for: ...")."""

    def __init__(self, content=None, raises=None):
        self.content, self.raises, self.calls = content, raises, 0

    async def generate_response(self, req):
        self.calls += 1
        if self.raises is not None:
            raise self.raises
        return hybrid_module().LLMResponse(content=self.content, model_used="gpt-4o-mini-fallback", tokens_used=7,
                                           cost=0.001, processing_time=0.1, confidence_score=0.6)


@pytest.mark.parametrize("content, raises, expected", [
    ("GPT-4o-mini response for: Screen candidate: {\"name\": \"Ana\"}", None, "text"),
    ("", None, "fallback"),
    (None, None, "fallback"),
    ("```json\n{\"screening\": {\"decision\": \"advance\"}}\n```", None, "unwrapped"),
    ('{"screening": {"decision": "advance"}}', None, "unchanged"),
])
def test_screening_content_always_parses_on_legacy_replies(fw_factory, endpoint, content, raises, expected):
    """Endpoint down: whatever the legacy service replies, MarketIntelligenceLLM.screen_candidates
    gets content that json.loads."""
    fail(endpoint, CAP)
    m = hybrid_module()
    legacy = _ScriptedLegacy(content, raises)
    consumer = m.MarketIntelligenceLLM()
    consumer.llm_service = mi.HybridLLMService(framework=fw_factory("on"), legacy=legacy, types_module=m)
    result = run_in_new_loop(consumer.screen_candidates([{"name": "Ana"}]))[0]["screening_result"]
    assert legacy.calls == 1
    if expected in ("unwrapped", "unchanged"):
        assert result == {"screening": {"decision": "advance"}}
    else:
        assert result["fallback"] is True and result["screening"]["confidence"] == 0.0
        assert ("text" in result) == (expected == "text")
    if expected == "text":
        assert result["text"] == content  # the legacy answer is kept, not replaced


@pytest.mark.parametrize("raised", [RuntimeError("provider SDK blew up"), TimeoutError()])
def test_an_exception_of_the_legacy_service_reaches_the_caller_unchanged(fw_factory, endpoint, raised):
    """docs/architecture.md: legacy's own exception propagates unchanged; the adapter decides no fallback."""
    fail(endpoint, CAP)
    m = hybrid_module()
    legacy = _ScriptedLegacy(raises=raised)
    service = mi.HybridLLMService(framework=fw_factory("on"), legacy=legacy, types_module=m)
    with pytest.raises(type(raised)) as caught:
        run_in_new_loop(service.generate_response(m.LLMRequest("Screen candidate", "", 100, 0.1, m.TaskComplexity.SIMPLE)))
    assert type(caught.value) is type(raised) and caught.value.args == raised.args and legacy.calls == 1


def test_ensure_json_content_never_extracts_echoed_prompt_data():
    echoed = 'GPT-4o-mini response for: Screen candidate: {"name": "Ana"}...'
    body = json.loads(mi.ensure_json_content(echoed, "Screen candidate", "gpt-4o-mini-fallback"))
    assert body["text"] == echoed and "name" not in body
    assert mi.ensure_json_content("[1, 2]", "p", "m") == "[1, 2]"
    assert json.loads(mi.ensure_json_content(b"\xff not json", "Analyze market", "m"))["market_analysis"]
