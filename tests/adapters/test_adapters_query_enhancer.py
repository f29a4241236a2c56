"""Contract tests: the query-enhancer adapter, driven as optimized_search_system / search_system call it."""

from __future__ import annotations

import pytest

from support.adapters import CANNED, MODES, endpoint, fail, fw_factory, scripted_endpoint, sm_calls, wait_shadow  # noqa: F401
from adeptai_sagemaker.adapters import query_enhancer as qe
from adeptai_sagemaker.core.errors import InvalidOutputError, ServiceUnavailableError

KEYS_TYPES = {
    "original_query": str, "synonyms": list, "related_skills": list, "job_variations": list, "industry_terms": list,
    "intent": str, "expanded_terms": list, "variations": list, "must_terms": list, "should_terms": list,
    "must_not_terms": list,
}
CAP = "query_enhancer"


def assert_shape(result, query):
    assert isinstance(result, dict) and set(result) == set(KEYS_TYPES)
    for key, typ in KEYS_TYPES.items():
        assert type(result[key]) is typ, key
    for key in ("synonyms", "related_skills", "job_variations", "industry_terms", "expanded_terms", "variations"):
        assert all(isinstance(v, str) for v in result[key]), key
    assert result["original_query"] == query
    assert result["expanded_terms"][:5] == result["expanded_terms"][:5]  # callers slice it


def legacy_instance():
    from adeptai_components.llm_query_enhancer import LLMQueryEnhancer as Legacy

    return Legacy()


def test_rule_based_fallback_matches_the_monolith_on_python_developer():
    legacy = legacy_instance().enhance_query("Python developer")
    ours = qe.rule_based_enhancement("Python developer")
    assert len(ours["expanded_terms"]) == 13
    for key in KEYS_TYPES:
        if isinstance(legacy[key], list):
            assert sorted(ours[key]) == sorted(legacy[key]), key
        else:
            assert ours[key] == legacy[key], key


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_the_11_keys_and_routes_as_configured(fw_factory, endpoint, mode):
    fw = fw_factory(mode)
    enhancer = qe.LLMQueryEnhancer(framework=fw, legacy=legacy_instance())
    result = enhancer.enhance_query("Python developer", use_llm=True)
    assert_shape(result, "Python developer")
    sagemaker_answers = mode in ("on", "canary:100")
    if sagemaker_answers:
        assert result["expanded_terms"] == CANNED[CAP]["expanded_terms"]
        assert result["intent"] == "skill_search" and result["variations"] == ["Backend Developer"]
        assert enhancer.client and enhancer.hf_pipeline  # "an LLM is configured" (optimized_search_system:1074)
    else:
        assert result["intent"] == "unknown" and "django" in result["expanded_terms"]  # the legacy answer
        assert not enhancer.client and not enhancer.hf_pipeline  # the stand-in legacy has no LLM
    wait_shadow(fw)
    assert sm_calls(endpoint, CAP) == (1 if mode in ("on", "canary:100", "shadow") else 0)


@pytest.mark.parametrize("kind", ["service_unavailable", "model_error", "throttle", "malformed_json"])
def test_failing_endpoint_falls_back_to_legacy_and_never_raises(fw_factory, endpoint, kind):
    fail(endpoint, "query_enhancer", kind)
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"), legacy=legacy_instance())
    result = enhancer.enhance_query("Python developer")
    assert_shape(result, "Python developer")
    assert result["intent"] == "unknown" and len(result["expanded_terms"]) == 13


def test_fallback_is_never_cached_b6(fw_factory, endpoint):
    """B6: after a transient failure the next call must reach SageMaker again, not a cached fallback.

    The cache is the framework's response cache, on the model side of the routing decision."""
    fw = fw_factory("on", cache=True)
    enhancer = qe.LLMQueryEnhancer(framework=fw, legacy=legacy_instance())
    fail(endpoint, "query_enhancer", "service_unavailable", count=1)
    first = enhancer.enhance_query("Python developer")
    second = enhancer.enhance_query("Python developer")
    assert first["intent"] == "unknown" and second["intent"] == "skill_search"
    third = enhancer.enhance_query("Python developer")  # the cached SageMaker answer
    assert third == second and sm_calls(endpoint, CAP) == 1  # the failed call never reached the model
    third["expanded_terms"].append("mutated")
    assert "mutated" not in enhancer.enhance_query("Python developer")["expanded_terms"]
    fw.settings.sagemaker_llm_enabled = False  # the kill switch applies to cached answers too
    assert enhancer.enhance_query("Python developer")["intent"] == "unknown"


def test_use_llm_false_never_calls_sagemaker_nor_reads_the_cache(fw_factory, endpoint):
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"), legacy=legacy_instance())
    enhancer.enhance_query("Python developer")
    result = enhancer.enhance_query("Python developer", use_llm=False)
    assert result["intent"] == "unknown" and sm_calls(endpoint, CAP) == 1


def test_invalid_model_output_falls_back(fw_factory, endpoint):
    endpoint.model.invalid.add(CAP)
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"))  # no legacy object: the rule-based fallback
    result = enhancer.enhance_query("Python developer")
    assert_shape(result, "Python developer")
    assert result["intent"] == "unknown" and len(result["expanded_terms"]) == 13


def test_with_fallback_off_failures_surface_as_typed_errors(fw_factory, endpoint):
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on", fallback=False), legacy=legacy_instance())
    fail(endpoint, "query_enhancer", "service_unavailable")
    with pytest.raises(ServiceUnavailableError):
        enhancer.enhance_query("Python developer")
    endpoint.clear_faults()
    endpoint.model.invalid.add(CAP)
    with pytest.raises(InvalidOutputError):
        enhancer.enhance_query("Go developer")


@pytest.mark.parametrize("query, expected_original", [
    (None, ""), ("", ""), ("   ", "   "), (b"Python developer", "Python developer"),
    ("Python \ud800 developer", "Python \ufffd developer"), ("python " * 2000, "python " * 2000), (12345, "12345"),
])
def test_hostile_input_never_crashes(fw_factory, endpoint, query, expected_original):
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"), legacy=legacy_instance())
    result = enhancer.enhance_query(query)
    assert_shape(result, expected_original)
    if not expected_original.strip():
        assert result["expanded_terms"] == [] and sm_calls(endpoint, CAP) == 0


def test_batch_enhance_keeps_order_and_shape(fw_factory, endpoint):
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"), legacy=legacy_instance())
    results = enhancer.batch_enhance(["Python developer", "", "nurse"], use_llm=True)
    assert [r["original_query"] for r in results] == ["Python developer", "", "nurse"]
    for r, q in zip(results, ["Python developer", "", "nurse"]):
        assert_shape(r, q)


def test_legacy_is_built_lazily_and_only_when_needed(fw_factory, endpoint):
    from adeptai_components import llm_query_enhancer as legacy_mod

    before = len(legacy_mod.CONSTRUCTED)
    factory = qe.legacy_factory_for(legacy_mod.LLMQueryEnhancer, "huggingface", "m", True, None)
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory("on"), legacy=factory)
    enhancer.enhance_query("Python developer")
    assert len(legacy_mod.CONSTRUCTED) == before  # SageMaker answered: the heavy legacy never ran
    fail(endpoint, "query_enhancer", "service_unavailable")
    assert enhancer.enhance_query("nurse")["synonyms"]
    assert len(legacy_mod.CONSTRUCTED) == before + 1


def test_getter_is_a_singleton_and_tolerates_the_ma_call_without_device(monkeypatch):
    monkeypatch.setattr(qe, "_llm_query_enhancer", None)
    first = qe.get_llm_query_enhancer(provider="openai", model="gpt-4")  # MA/search_system.py:705
    second = qe.get_llm_query_enhancer(provider="anthropic", model="x", device="cuda")
    assert first is second and first.provider == "openai" and first.model == "gpt-4"
    for attr in ("provider", "model", "use_cache", "cache", "cache_size", "device", "hf_tokenizer", "hf_model",
                 "hf_pipeline", "client", "synonyms"):
        assert hasattr(first, attr)


def test_framework_that_cannot_be_built_raises_its_typed_error(monkeypatch):
    """Bad settings: the adapter does not decide a fallback of its own; the typed error reaches the caller."""
    import adeptai_sagemaker.core.framework as framework_mod
    from adeptai_sagemaker.core.errors import ConfigurationError

    def broken():
        raise ConfigurationError("invalid setting SAGEMAKER_QUERY_ENHANCER_MODE")

    monkeypatch.setattr(framework_mod, "get_framework", broken)
    enhancer = qe.LLMQueryEnhancer(legacy=legacy_instance())
    with pytest.raises(ConfigurationError, match="SAGEMAKER_QUERY_ENHANCER_MODE"):
        enhancer.enhance_query("Python developer")
    assert enhancer.enhance_query("Python developer", use_llm=False)["intent"] == "unknown"  # legacy, no routing


@pytest.mark.parametrize("mode, failing", [("off", False), ("on", True)])
def test_an_exception_of_the_legacy_enhancer_reaches_the_caller_unchanged(fw_factory, endpoint, mode, failing):
    """docs/architecture.md: routed to legacy (by mode, or as the fallback of a model-side failure), the
    monolith's own exception propagates unchanged; the adapter swallows nothing."""
    boom = RuntimeError("legacy enhancer failed")

    class Raising:
        def enhance_query(self, query, use_llm=True):
            raise boom

    if failing:
        fail(endpoint, CAP, "service_unavailable")
    enhancer = qe.LLMQueryEnhancer(framework=fw_factory(mode), legacy=Raising())
    with pytest.raises(RuntimeError) as caught:
        enhancer.enhance_query("Python developer")
    assert caught.value is boom
