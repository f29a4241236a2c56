"""install()/uninstall() against the stand-in monolith: what is swapped, what is left alone, exact restore."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import types

import pytest

from support.adapters import endpoint, fail, fw_factory, make_framework, scripted_endpoint, sm_calls  # noqa: F401
import adeptai_sagemaker.adapters as adapters
from adeptai_sagemaker.adapters import installation
from adeptai_sagemaker.adapters import behavioral as beh
from adeptai_sagemaker.adapters import query_enhancer as qe


MONOLITH_MODULES = (
    "adeptai_components.llm_query_enhancer", "adeptai_components.behavioural_analysis",
    "adeptai_components.behavioural_analysis.pipeline", "adeptai_components.market_intelligence.hybrid_llm_service",
    "adeptai_components.market_intelligence.fast_llm", "adeptai_components.market_intelligence.smart_llm_router",
    "adeptai_components.market_intelligence.api", "adeptai_components.semantic_function.matcher.llm_service",
    "adeptai_components.semantic_function.matcher.enhanced_matcher", "adeptai_components.explainable_ai",
    "adeptai_components.explainable_ai.models.recruitment_ai", "adeptai_components.optimized_search_system",
)


@pytest.fixture()
def monolith():
    """The stand-in monolith, imported, with a snapshot of everything install() may touch."""
    mods = {name.split(".", 1)[1]: importlib.import_module(name) for name in MONOLITH_MODULES}
    snapshot = snapshot_of(mods)
    yield mods
    adapters.uninstall()
    assert snapshot_of(mods) == snapshot, "uninstall() did not restore every original"


def snapshot_of(mods):
    state = {name: {k: id(v) for k, v in vars(m).items()} for name, m in mods.items()}
    hybrid = mods["market_intelligence.hybrid_llm_service"]
    state["mil.llm_service"] = id(hybrid.market_intelligence_llm.llm_service)
    state["router.llm_service"] = id(mods["market_intelligence.smart_llm_router"].smart_router.llm_service)
    cls = mods["semantic_function.matcher.enhanced_matcher"].EnhancedTalentMatcher
    state["matcher.class"] = {k: id(v) for k, v in vars(cls).items()}
    return state


def run_in_new_loop(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def test_install_swaps_every_integration_point_and_call_sites_work(monolith, fw_factory, endpoint):
    fw = fw_factory("on")
    inst = adapters.install(framework=fw)
    assert set(inst.patched) == {"query_enhancer", "behavioral_analyzer", "market_intelligence", "job_parser",
                                 "explanation_generator"}
    # optimized_search_system imported get_llm_query_enhancer / get_pipeline / ExplainableRecruitmentAI by name
    oss = monolith["optimized_search_system"].OptimizedSearchSystem(provider="openai", model="gpt-4", device="cpu")
    assert oss.llm_enabled and oss.behavioral_label == "pipeline lightweight"
    assert oss.expand("Python developer")[:3] == ["python", "django", "flask"]
    assert monolith["llm_query_enhancer"]._llm_query_enhancer is oss.llm_query_enhancer
    assert monolith["llm_query_enhancer"].get_llm_query_enhancer() is oss.llm_query_enhancer
    behaviour = oss.behavioral("Senior Python engineer. Led a team.", "Python lead")
    assert behaviour["profile"]["leadership_score"] == 0.8
    explained = oss.explain({"skills": ["Python"]}, "python", {"overall_score": 0.8}, 0)
    assert explained["explanation_details"]["recommendation"] == "Recommend for interview."
    # market intelligence through the Flask routes
    api = monolith["market_intelligence.api"]
    screened = api.screen_candidates_route([{"name": "a"}])
    assert screened[0]["screening_result"]["analysis_type"] == "market"
    assert set(api.llm_usage_stats_route()["usage"]) >= {"total_requests", "cost_breakdown"}
    fast = api.fast_behavior_prediction_route(1)
    assert json.loads(fast["content"])["analysis_type"] == "market" and isinstance(fast["cost"], float)
    hybrid = monolith["market_intelligence.hybrid_llm_service"]
    new_consumer = hybrid.MarketIntelligenceLLM()  # built after install: gets the adapter class
    assert isinstance(new_consumer.llm_service, adapters.HybridLLMService)
    # matcher: a new instance uses the SageMaker LLMService seam; guards are in place
    em = monolith["semantic_function.matcher.enhanced_matcher"]
    matcher = em.EnhancedTalentMatcher("sk", "u", "p")
    assert matcher.extract_job_requirements("Python role in Austin, TX")["location"] == "Austin, TX"
    assert matcher._validate_mandatory_skills([], "resume") == 1.0
    assert sm_calls(endpoint, "job_parser") == 1


def test_uninstall_restores_originals_exactly(monolith, fw_factory, endpoint):
    qe_mod = monolith["llm_query_enhancer"]
    legacy_singleton = qe_mod.get_llm_query_enhancer()  # built before install
    inst = adapters.install(framework=fw_factory("on"))
    wrapped = qe_mod._llm_query_enhancer
    assert isinstance(wrapped, qe.LLMQueryEnhancer) and wrapped._legacy.obj is legacy_singleton
    assert adapters.uninstall() is True and not inst.active
    assert qe_mod._llm_query_enhancer is legacy_singleton
    assert adapters.uninstall() is False
    qe_mod._llm_query_enhancer = None


def test_modules_in_mode_off_are_wired_and_answer_from_legacy(monolith, fw_factory, endpoint):
    """install() wires every module whatever its mode; Framework.call routes ``off`` to the monolith's code."""
    fw = fw_factory("on", modes={"behavioral_analyzer": "off", "explanation_generator": "off"})
    before_xai = monolith["explainable_ai"].ExplainableRecruitmentAI
    before_get = monolith["behavioural_analysis"].get_pipeline
    inst = adapters.install(framework=fw)
    assert inst.skipped == {}
    assert {"behavioral_analyzer", "explanation_generator"} <= set(inst.patched)
    assert monolith["behavioural_analysis"].get_pipeline is not before_get
    assert monolith["explainable_ai"].ExplainableRecruitmentAI is not before_xai
    pipeline = monolith["behavioural_analysis"].get_pipeline("lightweight")
    profile = monolith["behavioural_analysis"].create_multi_source_profile("Python developer resume")
    read = pipeline.analyze_comprehensive_profile(profile, "Engineer", "Python role")
    assert read["detected_domain"] == "tech"  # the stand-in monolith's own answer
    assert sm_calls(endpoint, "behavioral_analyzer") == 0
    explanation = monolith["explainable_ai"].ExplainableRecruitmentAI().explain_candidate_selection(
        {"skills": ["python"]}, "python", {"overall_score": 50.0}, 1)
    assert explanation.overall_score == 50.0 and explanation.feature_contributions
    assert sm_calls(endpoint, "explanation_generator") == 0


def test_install_from_the_monolith_pydantic_settings(monolith, endpoint, monkeypatch, tmp_path):
    from monolith_app.config import Settings as MonolithSettings

    monkeypatch.setenv("USE_SAGEMAKER", "true")
    monkeypatch.setenv("ENABLE_BEHAVIOURAL_ANALYSIS", "false")
    monkeypatch.setenv("SAGEMAKER_REGION", "us-east-1")
    monkeypatch.setenv("SAGEMAKER_LLM_ENHANCER_ENDPOINT", "ep-query_enhancer")  # the monolith's own name
    for stem, cap in (("BEHAVIORAL", "behavioral_analyzer"), ("MARKET_INTEL", "market_intelligence"),
                      ("JOB_PARSER", "job_parser"), ("EXPLANATION", "explanation_generator")):
        monkeypatch.setenv(f"SAGEMAKER_{stem}_ENDPOINT", f"ep-{cap}")
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_URL", endpoint.url)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_PLUGINS", "")
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = MonolithSettings()
    assert settings.use_sagemaker and not settings.enable_behavioural_analysis
    before_get = monolith["behavioural_analysis"].get_pipeline
    inst = adapters.install(settings)
    try:
        assert inst.skipped["behavioral_analyzer"] == "disabled by the monolith's enable_behavioural_analysis"
        assert monolith["behavioural_analysis"].get_pipeline is before_get
        assert inst.framework.settings.region() == "us-east-1"
        enhancer = monolith["llm_query_enhancer"].get_llm_query_enhancer()
        assert enhancer.enhance_query("Python developer")["intent"] == "skill_search"
        assert sm_calls(endpoint, "query_enhancer") == 1
    finally:
        adapters.uninstall()
        inst.framework.close()
    assert monolith["llm_query_enhancer"]._llm_query_enhancer is None


def test_use_sagemaker_false_wires_everything_and_routes_it_to_legacy(monolith, monkeypatch, tmp_path):
    """``USE_SAGEMAKER=false`` makes every mode ``off``: the modules are wired anyway (a later ``promote``
    needs no reinstall) and every call is answered by the monolith's own code."""
    from monolith_app.config import Settings as MonolithSettings

    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_PLUGINS", "")
    monkeypatch.chdir(tmp_path)
    for name in ("USE_SAGEMAKER", "USE_SAGEMAKER_LLM") + tuple(f"SAGEMAKER_{s}_MODE" for s in (
            "QUERY_ENHANCER", "BEHAVIORAL", "MARKET_INTEL", "JOB_PARSER", "EXPLANATION")):
        monkeypatch.delenv(name, raising=False)
    inst = adapters.install(MonolithSettings())
    try:
        capabilities = {"query_enhancer", "behavioral_analyzer", "market_intelligence", "job_parser",
                        "explanation_generator"}
        assert set(inst.patched) == capabilities and inst.skipped == {}
        assert {inst.framework.mode(c).kind for c in capabilities} == {"off"}
        enhancer = monolith["llm_query_enhancer"].get_llm_query_enhancer()
        assert isinstance(enhancer, qe.LLMQueryEnhancer)
        assert "django" in enhancer.enhance_query("python developer")["related_skills"]  # the monolith's rules
        rows = inst.framework.metrics.snapshot()["series"]
        assert [r["served_by"] for r in rows if r["capability"] == "query_enhancer"] == [{"legacy": 1}]
    finally:
        adapters.uninstall()
        inst.framework.close()


def test_install_from_env_is_idempotent(monolith, fw_factory, endpoint, monkeypatch):
    fw = fw_factory("on")
    monkeypatch.delenv(installation.INSTALL_ENV, raising=False)
    assert adapters.install_from_env(framework=fw) is None
    monkeypatch.setenv(installation.INSTALL_ENV, "true")
    first = adapters.install_from_env(framework=fw)
    count = first.patch_count
    assert adapters.install_from_env(framework=fw) is first and first.patch_count == count


def test_reinstall_replaces_the_previous_installation(monolith, fw_factory, endpoint):
    first = adapters.install(framework=fw_factory("on"))
    second = adapters.install(framework=fw_factory("on"))
    assert not first.active and second.active and installation.current() is second
    # the second installation wrapped originals, not the first one's adapters
    assert not getattr(second.framework, "_unused", False)
    assert beh.EnhancedBehavioralPipeline in monolith["behavioural_analysis.pipeline"].EnhancedBehavioralPipeline.__mro__
    assert monolith["behavioural_analysis.pipeline"].EnhancedBehavioralPipeline.__mro__[1] is beh.EnhancedBehavioralPipeline


def test_explicit_modules_mapping(monolith, fw_factory, endpoint):
    inst = adapters.install(framework=fw_factory("on"), modules={"explainable_models": monolith[
        "explainable_ai.models.recruitment_ai"]})
    assert inst.patched == {"explanation_generator": ["adeptai_components.explainable_ai.models.recruitment_ai"]}
    assert issubclass(monolith["explainable_ai.models.recruitment_ai"].ExplainableRecruitmentAI,
                      adapters.ExplainableRecruitmentAI)
    assert not issubclass(monolith["explainable_ai"].ExplainableRecruitmentAI, adapters.ExplainableRecruitmentAI)
    with pytest.raises(ValueError):
        adapters.install(framework=fw_factory("on"), modules={"nope": monolith["explainable_ai"]})


def test_installed_adapters_fall_back_when_the_endpoint_fails(monolith, fw_factory, endpoint):
    for cap in ("query_enhancer", "behavioral_analyzer", "explanation_generator", "market_intelligence"):
        fail(endpoint, cap, "service_unavailable")
    adapters.install(framework=fw_factory("on"))
    oss = monolith["optimized_search_system"].OptimizedSearchSystem()
    assert "django" in oss.expand("Python developer")
    assert oss.behavioral("Resume text", "q")["profile"]["overall_score"] == 0.5
    assert oss.explain({"skills": []}, "python", {"overall_score": 0.5}, 2)["explanation_details"] is not None
    hybrid = monolith["market_intelligence.hybrid_llm_service"]
    result = run_in_new_loop(hybrid.market_intelligence_llm.analyze_behavior_patterns({"x": 1}))
    assert "behavior_analysis" in result["simple_analysis"]


def test_adapters_install_is_the_function_whichever_modules_were_imported_first():
    """No adapters submodule shares the name of ``install()``, so importing them all leaves the functions."""
    for name in ("installation", "query_enhancer", "behavioral", "market_intelligence", "matcher", "explainable_ai"):
        importlib.import_module(f"adeptai_sagemaker.adapters.{name}")
    from adeptai_sagemaker.adapters import current, install, install_from_env, uninstall

    assert (install, uninstall, install_from_env, current) == (
        installation.install, installation.uninstall, installation.install_from_env, installation.current)
    assert adapters.install is installation.install and isinstance(adapters.install, types.FunctionType)
    assert importlib.util.find_spec("adeptai_sagemaker.adapters.install") is None


def test_every_capability_is_wired_through_its_adapter_table_entry():
    """The table maps each capability to the wiring declared beside its adapter; ``modules=`` roles come from it."""
    assert {cap: w.wire.__module__ for cap, w in installation.WIRINGS.items()} == {
        "query_enhancer": qe.__name__, "behavioral_analyzer": beh.__name__,
        "market_intelligence": "adeptai_sagemaker.adapters.market_intelligence",
        "job_parser": "adeptai_sagemaker.adapters.matcher",
        "explanation_generator": "adeptai_sagemaker.adapters.explainable_ai"}
    with pytest.raises(ValueError, match="known: callers, query_enhancer, behavioural, behavioural_pipeline"):
        installation.install(framework=object(), modules={"nope": types.ModuleType("x")})
    assert installation.current() is None  # a refused install leaves nothing behind
