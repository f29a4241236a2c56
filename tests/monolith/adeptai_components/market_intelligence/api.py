"""Stand-in for C/market_intelligence/api.py + fast_api.py call sites: the Flask new_event_loop pattern."""
import asyncio

from .hybrid_llm_service import hybrid_llm_service, market_intelligence_llm
from .smart_llm_router import smart_router


def _run(coro):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def screen_candidates_route(candidates):  # api.py:1151
    return _run(market_intelligence_llm.screen_candidates(candidates))


def behavior_prediction_route(candidate):  # api.py behavior-prediction (via the LLM consumer)
    return _run(market_intelligence_llm.analyze_behavior_patterns(candidate))


def market_insights_route(market_data):  # integration_pipeline._enhance_with_llm
    return _run(market_intelligence_llm.generate_market_insights(market_data))


def llm_usage_stats_route():  # api.py:1122-1123
    return {"usage": hybrid_llm_service.get_usage_stats(),
            "report": market_intelligence_llm.get_cost_optimization_report()}


def fast_behavior_prediction_route(n):  # fast_api.py:133-141
    response = _run(smart_router.route_request(prompt=f"Predict behavior for candidate {n}",
                                               system_prompt="Return JSON.", max_tokens=1000,
                                               cache_key=f"behavior_analysis_{n}"))
    return {"content": response.content, "model": response.model, "cost": response.cost,
            "processing_time": response.processing_time}
