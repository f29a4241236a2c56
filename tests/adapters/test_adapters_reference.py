"""Healthy path end to end: every adapter -> framework -> boto3 -> local endpoint -> the reference model.

Uses the shared ``local_endpoint`` fixture (tests/conftest.py). Each check is what the monolith's callers read.
"""

from __future__ import annotations

import asyncio
import json

import support.adapters  # noqa: F401  (puts the stand-in monolith on sys.path)
from adeptai_sagemaker.adapters import behavioral as beh
from adeptai_sagemaker.adapters import explainable_ai as xai
from adeptai_sagemaker.adapters import market_intelligence as mi
from adeptai_sagemaker.adapters import matcher as mt
from adeptai_sagemaker.adapters import query_enhancer as qe


def test_query_enhancer(fw):
    result = qe.LLMQueryEnhancer(framework=fw).enhance_query("senior python developer in Boston")
    assert result["intent"] != "unknown" and result["expanded_terms"]
    assert any("django" == t.lower() for t in result["related_skills"])
    assert all(isinstance(v, list) for k, v in result.items() if k not in ("original_query", "intent"))


def test_behavioral(fw):
    from adeptai_components.behavioural_analysis import pipeline as mono

    p = beh.EnhancedBehavioralPipeline(enable_gnn=True, enable_validation=True, framework=fw, types_module=mono)
    result = p.analyze_comprehensive_profile(
        source_data=mono.create_multi_source_profile("Led a team of 5 engineers building Python services on AWS."),
        target_role="Engineering Lead", job_description="Python lead, AWS")
    bp = result["behavioral_profile"]
    assert isinstance(bp, mono.BehavioralProfile) and 0 <= bp.overall_score <= 1
    assert result["validation_results"]["validation_passed"] is True


def test_market(fw):
    from adeptai_components.market_intelligence import hybrid_llm_service as mono

    svc = mi.HybridLLMService(framework=fw, types_module=mono)
    consumer = mono.MarketIntelligenceLLM()
    consumer.llm_service = svc
    loop = asyncio.new_event_loop()
    try:
        screened = loop.run_until_complete(consumer.screen_candidates([{"skills": ["Python"], "years": 5}]))
        insights = loop.run_until_complete(consumer.generate_market_insights({"talent_availability": {}}))
    finally:
        loop.close()
    assert isinstance(screened[0]["screening_result"], dict) and isinstance(insights["volume_analysis"], dict)
    assert svc.get_usage_stats()["total_tokens"] > 0


def test_matcher(fw):
    r = json.loads(mt.LLMService("k", framework=fw)("Python Developer in Boston, MA. Required: Python, AWS."))
    assert r["mandatory_skills"] == ["Python", "AWS"] and r["location"] == "Boston, MA"
    assert isinstance(r["years_experience"], int)


def test_explainable(fw):
    e = xai.ExplainableRecruitmentAI(framework=fw).explain_candidate_selection(
        candidate_profile={"skills": ["Python"], "experience_years": 5}, job_query="python dev",
        match_scores={"overall_score": 80.0, "technical_skills_score": 90.0}, ranking_position=1)
    assert e.overall_score == 80.0 and e.decision_summary and e.feature_contributions
    assert all(fc.direction in ("positive", "negative", "neutral") for fc in e.feature_contributions)
