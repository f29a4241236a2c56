"""The adapters against the REAL AdeptAI monolith (``app/search/adeptai_components``), not the stand-ins.

Checked against monolith commit 571cc3e15a8ed326515cc290ee9ad859bb44f610 (``AdeptAIPro/kempian-backend-``,
its only commit). The snapshot is found and extracted at test time (``tests/support/real_monolith.py``); with none
available every test here is skipped with the reason. The host has no torch, transformers, spaCy,
sentence-transformers or textstat, so the real ``behavioural_analysis/pipeline.py`` cannot import: exactly
the case where the behavioural point used to be served by nothing.

Each integration point is driven through the monolith's own callers, reading what they read:
``optimized_search_system`` (query enhancer :1073/:1890, behavioural :1150-1153 and
``_enrich_with_behavioral_analysis``, explainable AI :2111-2136), ``MarketIntelligenceLLM`` (every method
``json.loads`` the reply) and the fast router, and the matcher's ``_create_feature_vector``. "Served" means
the framework's call record says backend ``sagemaker``, outcome ``success``; with the endpoint down every
point answers from its fallback without raising.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections import Counter

import pytest

from support.adapters import CAPS, make_framework
from adeptai_sagemaker import adapters
from adeptai_sagemaker.adapters import installation
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from support.real_monolith import PACKAGE, monolith_snapshot, real_monolith  # noqa: F401  (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore:Pydantic V1 style:DeprecationWarning")  # the monolith's own code

QE_KEYS = {"original_query", "synonyms", "related_skills", "job_variations", "industry_terms", "intent",
           "expanded_terms", "variations", "must_terms", "should_terms", "must_not_terms"}
#: what optimized_search_system.py:3286-3301 reads from results['behavioral_profile'] (getattr)
PROFILE_READ = ("overall_score", "leadership_score", "collaboration_score", "innovation_score", "adaptability_score",
                "technical_depth", "problem_solving_ability", "emotional_intelligence", "cultural_alignment",
                "growth_potential", "strengths", "risk_factors", "development_areas", "behavioral_patterns")
#: what optimized_search_system.py:2119-2136 reads from the DecisionExplanation
EXPLANATION_READ = ("decision_summary", "overall_score", "confidence_level", "recommendation", "top_positive_factors",
                    "top_negative_factors", "strength_areas", "risk_factors", "feature_contributions")
STATS_KEYS = {"total_requests", "total_tokens", "total_cost", "tier1_requests", "tier2_requests", "cache_hit_rate",
              "avg_cost_per_request", "cost_breakdown"}
RESUME = ("Senior Python engineer, 8 years. Led a team of five building AWS data services in Boston, MA. "
          "Mentored juniors, owned on-call, migrated a monolith to microservices.")


class Recorder:
    """Framework observer: every finished call's record."""

    def __init__(self):
        self.records = []

    @hookimpl
    def on_call_finished(self, record):
        self.records.append(record)

    def outcomes(self, capability):
        return Counter((r.backend, r.outcome) for r in self.records if r.capability == capability)


def _framework(url, tmp_path):
    fw = make_framework(url, tmp_path, "on")  # fallback on: the product default
    recorder = Recorder()
    fw.pm.register(recorder)
    return fw, recorder


@pytest.fixture()
def up(real_monolith, local_endpoint, tmp_path, aws_env):
    """(framework, recorder) against the local endpoint answered by the reference model."""
    fw, recorder = _framework(local_endpoint.url, tmp_path)
    yield fw, recorder
    adapters.uninstall()
    fw.close()


@pytest.fixture()
def down(real_monolith, tmp_path, aws_env, free_port):
    """(framework, recorder) against an endpoint URL where nothing listens."""
    fw, recorder = _framework(f"http://127.0.0.1:{free_port()}", tmp_path)
    yield fw, recorder
    adapters.uninstall()
    fw.close()


def real_patched(inst):
    """``inst.patched`` restricted to the real monolith's modules (other tests may have left stand-ins loaded)."""
    real = {c: [n for n in names if n.startswith(PACKAGE + ".") or n.partition(".")[0] == "matcher"]
            for c, names in inst.patched.items()}
    return {c: names for c, names in real.items() if names}


def run_in_new_loop(coro):
    """The Flask routes' pattern (api.py:1151, fast_api.py:133): a fresh loop per request."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def load_all(mono):
    """Import the monolith the way the app does: the search system, the market-intelligence service
    and the matcher (its own top-level ``matcher`` package)."""
    return {"oss": mono.load("optimized_search_system"),
            "hybrid": mono.load("market_intelligence.hybrid_llm_service"),
            "router": mono.load("market_intelligence.smart_llm_router"),
            "matcher": mono.load_matcher()}


# --------------------------------------------------------------------------- the real callers


def use_query_enhancer(oss):
    enhancer = oss.get_llm_query_enhancer(provider="huggingface", model="meta-llama/Meta-Llama-3.1-8B-Instruct",
                                          device=None)  # :1073
    assert enhancer.hf_pipeline or enhancer.client  # :1074, "an LLM is configured"
    enhanced = enhancer.enhance_query("senior python developer in Boston", use_llm=True)  # :1890
    assert set(enhanced) >= QE_KEYS and isinstance(enhanced["expanded_terms"], list)
    assert enhanced["expanded_terms"][:5]  # :1893
    return enhanced


def use_behavioural(oss):
    pipeline = oss.BEHAVIOURAL_ANALYSIS_AVAILABLE and oss.get_pipeline and oss.get_pipeline("lightweight")  # :1150
    assert pipeline and pipeline.config_name == "lightweight"  # :1153 raised AttributeError on this host
    search = object.__new__(oss.OptimizedSearchSystem)  # the real method, without loading indexes
    search.behavioral_pipeline = pipeline
    search.use_behavioral_analysis = True
    results = [{"resume_text": RESUME, "email": "ana@example.com", "final_score": 0.6, "skill_match_score": 0.0}]
    out = search._enrich_with_behavioral_analysis("Senior Python engineer for AWS services", results)[0]
    analysis = out["behavioural_analysis"]  # set only when the pipeline answered with a behavioral_profile
    assert set(analysis) == set(PROFILE_READ)
    assert all(isinstance(analysis[k], float) for k in PROFILE_READ[:10])
    assert all(isinstance(analysis[k], list) for k in PROFILE_READ[10:])
    assert set(out["role_fit_analysis"]) == {"technical_fit", "cultural_fit", "overall_fit"}
    return out


def use_explainable(oss):
    xai = oss.EXPLAINABLE_AI_AVAILABLE and oss.ExplainableRecruitmentAI and oss.ExplainableRecruitmentAI()  # :1169
    explanation = xai.explain_candidate_selection(
        candidate_profile={"full_name": "Ana", "email": "ana@example.com", "skills": ["Python", "AWS"],
                           "experience_years": 8, "seniority_level": "senior", "resume_text": RESUME,
                           "education": "BS Computer Science", "location": "Boston, MA"},
        job_query="Senior Python engineer, 5+ years, AWS",
        match_scores={"overall_score": 82.0, "technical_skills_score": 90.0, "experience_score": 85.0,
                      "seniority_score": 80.0, "education_score": 70.0, "soft_skills_score": 60.0,
                      "location_score": 100.0},
        ranking_position=1)
    for name in EXPLANATION_READ:
        assert hasattr(explanation, name), name
    assert explanation.overall_score == 82.0 and explanation.decision_summary
    for fc in explanation.feature_contributions:  # :2127-2135
        assert fc.direction in ("positive", "negative", "neutral")
        assert isinstance(fc.contribution, float) and isinstance(fc.percentage, float) and fc.feature_name
    return explanation


def use_market(hybrid, router):
    mil = hybrid.market_intelligence_llm
    screened = run_in_new_loop(mil.screen_candidates([{"name": "Ana", "skills": ["Python", "AWS"], "years": 8}]))
    assert isinstance(screened[0]["screening_result"], dict) and isinstance(screened[0]["screening_cost"], float)
    behaviour = run_in_new_loop(mil.analyze_behavior_patterns({"tenure_years": [2, 3], "skills": ["Python"]}))
    assert isinstance(behaviour["simple_analysis"], dict) and isinstance(behaviour["complex_analysis"], dict)
    insights = run_in_new_loop(mil.generate_market_insights({"skill_evolution": {"python": "rising"}}))
    assert isinstance(insights["volume_analysis"], dict) and isinstance(insights["critical_analysis"], dict)
    report = mil.get_cost_optimization_report()
    assert report["usage_stats"]["total_requests"] == 5 and set(report) >= {"cost_optimization", "recommendations"}
    api = importlib.import_module(hybrid.__name__.rpartition(".")[0] + ".api")  # /llm-usage-stats, api.py:1122
    assert api.market_intelligence_llm is mil and set(api.hybrid_llm_service.get_usage_stats()) >= STATS_KEYS
    fast = run_in_new_loop(router.smart_router.route_request(
        prompt="Analyze behavior patterns for 5 candidates", system_prompt="You are an expert recruitment AI.",
        max_tokens=1000, cache_key="behavior_analysis_5"))  # fast_api.py:135
    assert isinstance(fast.model, str) and isinstance(fast.cost, float) and isinstance(fast.processing_time, float)
    return screened


def use_matcher(matcher_module):
    matcher = matcher_module.EnhancedTalentMatcher("sk-unused", "user", "password")
    assert type(matcher.llm).__module__.startswith("adeptai_sagemaker")
    models = importlib.import_module("matcher.models")
    candidate = models.CandidateProfile(resume="Python and AWS engineer, 8 years")  # current_location None
    features = matcher._create_feature_vector("Senior Python engineer in Boston, MA. Required: Python, AWS. "
                                              "5+ years. Bachelor's degree.", candidate)
    assert len(features) == 13
    requirements = matcher.extract_job_requirements("Python developer in Austin, TX. Must have Python and AWS.")
    assert isinstance(requirements["mandatory_skills"], list) and isinstance(requirements["location"], str)
    assert isinstance(requirements["years_experience"], int)
    return requirements


def use_all(mods):
    use_query_enhancer(mods["oss"])
    use_behavioural(mods["oss"])
    use_explainable(mods["oss"])
    use_market(mods["hybrid"], mods["router"])
    use_matcher(mods["matcher"])


# --------------------------------------------------------------------------- tests


def test_the_host_is_the_one_the_issue_describes(real_monolith):
    """Without the adapters: the pipeline cannot import, the package serves a stub, the search system has none."""
    package = real_monolith.load("behavioural_analysis")
    assert not hasattr(package.BehavioralPipeline, "analyze_comprehensive_profile")
    assert package.create_multi_source_profile("resume") is None
    with pytest.raises(ImportError, match="textstat"):
        real_monolith.load("behavioural_analysis.pipeline")
    with pytest.raises(AttributeError, match="config_name"):
        package.get_pipeline("lightweight").config_name
    oss = real_monolith.load("optimized_search_system")
    assert oss.BEHAVIOURAL_ANALYSIS_AVAILABLE is False and oss.MultiSourceProfile is None
    assert real_monolith.commit  # recorded: which snapshot this run used


@pytest.mark.parametrize("order", ["install_first", "import_first"])
def test_every_point_is_served_by_sagemaker_in_either_order(real_monolith, up, order, monkeypatch):
    fw, recorder = up
    monkeypatch.setenv(installation.INSTALL_ENV, "true")
    if order == "install_first":  # MIGRATION.md: right after load_dotenv, before the monolith's imports
        inst = adapters.install_from_env(framework=fw)
        assert real_patched(inst) == {}
        mods = load_all(real_monolith)
    else:
        mods = load_all(real_monolith)
        inst = adapters.install_from_env(framework=fw)
    assert set(real_patched(inst)) == set(CAPS)  # the live view: everything the imports brought in
    assert adapters.install_from_env(framework=fw) is inst
    pipeline_module = sys.modules[real_monolith.name("behavioural_analysis.pipeline")]
    assert "textstat" in pipeline_module.__adeptai_substitute__  # the real one still cannot import here
    use_all(mods)
    for capability in CAPS:
        outcomes = recorder.outcomes(capability)
        assert outcomes and set(outcomes) == {("sagemaker", "success")}, (capability, outcomes)
    assert recorder.outcomes("market_intelligence")[("sagemaker", "success")] == 6


@pytest.mark.parametrize("order", ["install_first", "import_first"])
def test_every_point_falls_back_without_raising_when_the_endpoint_is_down(real_monolith, down, order):
    fw, recorder = down
    if order == "install_first":
        adapters.install(framework=fw)
        mods = load_all(real_monolith)
    else:
        mods = load_all(real_monolith)
        adapters.install(framework=fw)
    enhanced = use_query_enhancer(mods["oss"])
    assert enhanced["intent"] == "unknown"  # the monolith's rule-based fallback
    out = use_behavioural(mods["oss"])
    assert out["behavioural_analysis"]["overall_score"] == 0.5  # degraded shape, confidence 0
    explanation = use_explainable(mods["oss"])  # the real class raises KeyError: rule-based explanation
    assert explanation.recommendation
    screened = use_market(mods["hybrid"], mods["router"])
    assert screened[0]["screening_result"]["fallback"] is True  # was JSONDecodeError (HTTP 400)
    use_matcher(mods["matcher"])
    for capability in CAPS:
        outcomes = recorder.outcomes(capability)
        assert outcomes and all(backend != "sagemaker" for backend, _ in outcomes), (capability, outcomes)


def test_market_intelligence_json_never_raises_on_any_legacy_reply(real_monolith, down):
    """Endpoint down, so every reply is the legacy service's: plain text, empty and fenced replies become JSON;
    a legacy service that raises raises to the caller, as it would without the adapters."""
    fw, _ = down
    hybrid = real_monolith.load("market_intelligence.hybrid_llm_service")
    adapters.install(framework=fw)
    mil = hybrid.market_intelligence_llm
    legacy = mil.llm_service._legacy_obj  # the monolith's own HybridLLMService, built at its import
    assert type(legacy).__module__ == hybrid.__name__ and type(legacy).__name__ == "HybridLLMService"
    original = legacy.generate_response

    def replying(content):
        async def generate_response(request):
            response = await original(request)
            response.content = content
            return response
        return generate_response

    async def raising(request):
        raise RuntimeError("provider SDK blew up")

    cases = {"plain text": replying("GPT-4o-mini response for: Screen candidate"), "empty": replying(""),
             "none": replying(None), "fenced": replying('```json\n{"screening": {"decision": "advance"}}\n```'),
             "raises": raising}
    for label, behaviour in cases.items():
        legacy.generate_response = behaviour
        if label == "raises":  # the legacy side's own exception reaches the caller unchanged, as without us
            with pytest.raises(RuntimeError, match="provider SDK blew up"):
                run_in_new_loop(mil.screen_candidates([{"name": "Ana"}]))
            continue
        screened = run_in_new_loop(mil.screen_candidates([{"name": "Ana"}]))
        result = screened[0]["screening_result"]
        assert isinstance(result, dict), label
        if label == "fenced":
            assert result == {"screening": {"decision": "advance"}}
        else:
            assert result["fallback"] is True, label
        both = run_in_new_loop(mil.analyze_behavior_patterns({"x": 1}))
        assert isinstance(both["simple_analysis"], dict) and isinstance(both["complex_analysis"], dict), label
    legacy.generate_response = replying("GPT-4o-mini response for: Screen candidate")
    plain = run_in_new_loop(mil.screen_candidates([{"name": "Ana"}]))[0]["screening_result"]
    assert plain["text"] == "GPT-4o-mini response for: Screen candidate"  # the legacy answer, kept


def test_second_install_is_idempotent_and_uninstall_restores_the_monolith(real_monolith, up):
    fw, _ = up
    mods = load_all(real_monolith)
    package = real_monolith.load("behavioural_analysis")
    original_get, original_enhancer = package.get_pipeline, mods["oss"].get_llm_query_enhancer
    first = adapters.install(framework=fw)
    patched, count = first.patched, first.patch_count
    assert set(real_patched(first)) == set(CAPS)
    second = adapters.install(framework=fw)
    assert not first.active and first.patched == {} and second.patched == patched and second.patch_count == count
    assert package.get_pipeline is not original_get and mods["oss"].get_pipeline is package.get_pipeline
    assert adapters.uninstall() is True
    assert second.patched == {} and set(second.skipped) == set(CAPS)
    assert package.get_pipeline is original_get and mods["oss"].get_llm_query_enhancer is original_enhancer
    assert mods["oss"].BEHAVIOURAL_ANALYSIS_AVAILABLE is False and mods["oss"].get_pipeline is None
    assert real_monolith.name("behavioural_analysis.pipeline") not in sys.modules  # the substitute is gone
    with pytest.raises(ImportError, match="textstat"):
        real_monolith.load("behavioural_analysis.pipeline")
    with pytest.raises(AttributeError, match="config_name"):
        package.get_pipeline("lightweight").config_name
    adapters.install(framework=fw)  # and a third time, after uninstall, serves again
    assert use_behavioural(mods["oss"])["behavioural_analysis"]


def test_behavioural_mode_off_is_wired_and_answers_without_the_model(real_monolith, local_endpoint, tmp_path,
                                                                     aws_env):
    """Off is wired too (a later live promote must reach it); the model is never asked while off."""
    fw = make_framework(local_endpoint.url, tmp_path, "on", modes={"behavioral_analyzer": "off"})
    recorder = Recorder()
    fw.pm.register(recorder)
    try:
        inst = adapters.install(framework=fw)
        oss = real_monolith.load("optimized_search_system")
        assert "behavioral_analyzer" in real_patched(inst) and "behavioral_analyzer" not in inst.skipped
        use_behavioural(oss)
        assert set(recorder.outcomes("behavioral_analyzer")) == {("legacy", "success")}
    finally:
        adapters.uninstall()
        fw.close()


def test_started_off_every_point_follows_a_promote_from_another_process(real_monolith, local_endpoint, tmp_path,
                                                                        aws_env):
    """Every module off at start; ``promote CAP --to shadow`` then ``--to on`` from another process take effect at
    all five integration points without restart (the framework's refresher reads the shared state store)."""
    from test_live_follow import promote_env, promote_from_another_process, wait_for

    fw = make_framework(local_endpoint.url, tmp_path, "off", adeptai_sagemaker_mode_refresh_s=0.1)
    recorder = Recorder()
    fw.pm.register(recorder)
    try:
        mods = load_all(real_monolith)
        inst = adapters.install(framework=fw)
        assert set(real_patched(inst)) == set(CAPS)
        env = promote_env(tmp_path / "state", local_endpoint.url)
        for mode, expected in (("off", ("legacy", "legacy")), ("shadow", ("shadow", "legacy")),
                               ("on", ("sagemaker", "sagemaker"))):
            if mode != "off":
                promote_from_another_process(mode, env, tmp_path)
                wait_for(fw, mode)
            recorder.records.clear()
            use_query_enhancer(mods["oss"]) if mode == "on" else mods["oss"].get_llm_query_enhancer(
                provider="huggingface", model="m", device=None).enhance_query("senior python developer", use_llm=True)
            use_behavioural(mods["oss"])
            use_explainable(mods["oss"])
            run_in_new_loop(mods["hybrid"].market_intelligence_llm.screen_candidates([{"name": "Ana"}]))
            mods["matcher"].EnhancedTalentMatcher("sk-unused", "user", "password").extract_job_requirements(
                "Python developer in Austin, TX. Must have Python and AWS.")
            for capability in CAPS:
                seen = {(r.route, r.backend) for r in recorder.records if r.capability == capability}
                assert expected in seen, (mode, capability, seen)
    finally:
        adapters.uninstall()
        fw.close()
