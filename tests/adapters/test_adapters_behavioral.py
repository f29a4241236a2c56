"""Contract tests: the behavioural pipeline adapter, driven as optimized_search_system.py:3259-3279 calls it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from support.adapters import CANNED, MODES, endpoint, fail, fw_factory, scripted_endpoint, sm_calls, wait_shadow  # noqa: F401
from adeptai_sagemaker.adapters import _shapes
from adeptai_sagemaker.adapters import behavioral as beh
from adeptai_sagemaker.core.errors import InvalidOutputError, ModelError

CAP = "behavioral_analyzer"
RESUME = "Jane Roe. Senior Python engineer. Led a team of five building AWS services for 8 years."
PROFILE_FLOATS = ("overall_score", "leadership_score", "collaboration_score", "innovation_score", "adaptability_score",
                  "stability_score", "growth_potential", "emotional_intelligence", "stress_resilience",
                  "communication_effectiveness", "technical_depth", "learning_agility", "problem_solving_ability",
                  "cultural_alignment", "confidence_score", "data_completeness", "consistency_score")
PROFILE_LISTS = ("work_style_preferences", "strengths", "development_areas", "behavioral_patterns", "risk_factors",
                 "primary_data_sources")


def legacy_module():
    from adeptai_components.behavioural_analysis import pipeline

    return pipeline


def call_like_the_monolith(p, resume=RESUME, query="Senior Python engineer, AWS", role="Engineer"):
    mono = legacy_module()
    profile_data = mono.create_multi_source_profile(resume_text=resume)
    assert hasattr(p, "analyze_comprehensive_profile")
    return p.analyze_comprehensive_profile(source_data=profile_data, target_role=role, job_description=query)


def assert_shape(result, pipeline):
    assert set(result) == {"behavioral_profile", "career_trajectory", "detected_domain", "role_fit_analysis",
                           "validation_results"}
    bp = result["behavioral_profile"]
    assert isinstance(bp, legacy_module().BehavioralProfile)  # the monolith's own dataclass
    assert len(dataclasses.fields(bp)) == 24 and isinstance(bp.candidate_id, str)
    for name in PROFILE_FLOATS:
        value = getattr(bp, name)
        assert isinstance(value, float) and 0.0 <= value <= 1.0, name
    for name in PROFILE_LISTS:
        assert isinstance(getattr(bp, name), list) and all(isinstance(v, str) for v in getattr(bp, name)), name
    fit = result["role_fit_analysis"]
    assert set(fit) == {"technical_fit", "cultural_fit", "overall_fit"} and all(isinstance(v, float) for v in fit.values())
    assert isinstance(result["detected_domain"], str)
    if pipeline.enable_validation:
        assert set(result["validation_results"]) == {"overall_confidence", "validation_passed"}
    else:
        assert result["validation_results"] is None
    ct = result["career_trajectory"]
    if ct is not None:
        for attr in ("current_level", "predicted_next_roles", "growth_timeline", "skill_development_path",
                     "development_recommendations"):
            getattr(ct, attr)


def adapter(fw, config="full_featured"):
    mono = legacy_module()
    flags = beh.DEPLOYMENT_CONFIGS[config]
    return beh.EnhancedBehavioralPipeline(**flags, framework=fw, config_name=config, types_module=mono,
                                          legacy=lambda: mono.EnhancedBehavioralPipeline(**flags))


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_the_five_keys(fw_factory, endpoint, mode):
    fw = fw_factory(mode)
    p = adapter(fw)
    result = call_like_the_monolith(p)
    assert_shape(result, p)
    bp = result["behavioral_profile"]
    if mode in ("on", "canary:100"):
        assert bp.leadership_score == 0.8 and bp.strengths == ["led a team of five"]
        assert result["detected_domain"] == "tech" and result["role_fit_analysis"]["technical_fit"] == 0.82
        assert result["validation_results"] == {"overall_confidence": 0.66, "validation_passed": True}
        assert bp.confidence_score == 0.66  # the model's confidence, not a constant (B7)
        assert result["career_trajectory"].current_level == "senior"
        assert RESUME[:20] not in bp.candidate_id  # no resume text in ids
    else:
        assert bp.candidate_id == RESUME[:50]  # the legacy pipeline answered
    wait_shadow(fw)
    assert sm_calls(endpoint, CAP) == (1 if mode in ("on", "canary:100", "shadow") else 0)


def test_candidate_id_is_stable_across_processes_b11(fw_factory, endpoint):
    p = adapter(fw_factory("on"))
    first = call_like_the_monolith(p)["behavioral_profile"].candidate_id
    code = ("import sys; sys.path.insert(0, 'tests/monolith');"
            "from adeptai_sagemaker.adapters._common import stable_id;"
            f"print(stable_id('cand', {RESUME!r}))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout.strip()
    assert first == other and first.startswith("cand_")


@pytest.mark.parametrize("config, gnn, validation", [("lightweight", False, False), ("domain_enhanced", False, True),
                                                     ("full_featured", True, True), ("production", True, True)])
def test_get_pipeline_configs_and_config_name(fw_factory, endpoint, config, gnn, validation):
    p = beh.get_pipeline(config, framework=fw_factory("on"))
    assert (p.config_name, p.enable_gnn, p.enable_validation) == (config, gnn, validation)
    print(p.config_name)  # optimized_search_system.py:1153 must not raise
    result = call_like_the_monolith(p)
    assert_shape(result, p)
    assert (result["career_trajectory"] is not None) == gnn


def test_get_pipeline_rejects_unknown_names():
    with pytest.raises(ValueError):
        beh.get_pipeline("turbo")


def test_factories_and_alias():
    assert beh.BehavioralPipeline is beh.EnhancedBehavioralPipeline
    p = beh.create_enhanced_pipeline({"enable_gnn": False})
    assert (p.enable_gnn, p.enable_validation) == (False, True)
    assert beh.create_enhanced_pipeline(None).enable_gnn is True
    profile = beh.create_multi_source_profile("resume", linkedin_data={"summary": "s"}, unknown_kw=1)
    assert profile.resume_text == "resume" and profile.get_all_text_content() == "resume s"


@pytest.mark.parametrize("kind", ["model_error", "service_unavailable", "malformed_json"])
def test_failing_endpoint_falls_back(fw_factory, endpoint, kind):
    fail(endpoint, CAP, kind)
    p = adapter(fw_factory("on"))
    result = call_like_the_monolith(p)
    assert_shape(result, p)
    assert result["behavioral_profile"].candidate_id == RESUME[:50]


def test_out_of_range_scores_are_invalid_output_and_fall_back(fw_factory, endpoint):
    endpoint.model.overrides[CAP] = dict(CANNED[CAP], leadership_score=7.5)
    p = adapter(fw_factory("on"))
    assert call_like_the_monolith(p)["behavioral_profile"].candidate_id == RESUME[:50]
    p_strict = adapter(fw_factory("on", fallback=False))
    with pytest.raises(InvalidOutputError):
        call_like_the_monolith(p_strict)


def test_fallback_off_surfaces_typed_error(fw_factory, endpoint):
    fail(endpoint, CAP, "model_error")
    with pytest.raises(ModelError):
        call_like_the_monolith(adapter(fw_factory("on", fallback=False)))


def test_no_legacy_and_failing_endpoint_gives_the_degraded_shape(fw_factory, endpoint):
    fail(endpoint, CAP, "service_unavailable")
    p = beh.EnhancedBehavioralPipeline(enable_validation=True, framework=fw_factory("on"))
    result = p.analyze_comprehensive_profile(source_data=_shapes.MultiSourceProfile(RESUME), target_role="x",
                                             job_description="y")
    bp = result["behavioral_profile"]
    assert bp.overall_score == 0.5 and bp.work_style_preferences == ["collaborative"]
    assert bp.confidence_score == 0.0 and bp.primary_data_sources == ["resume"]
    assert result["detected_domain"] == "unknown" and result["validation_results"] is None


def test_mapping_clamps_scores():
    out = type("Out", (), dict(CANNED[CAP], leadership_score=3.0, technical_fit=float("nan"), confidence=-1))
    result = beh.EnhancedBehavioralPipeline(enable_validation=True)._to_legacy(out, _shapes.MultiSourceProfile("r"))
    assert result["behavioral_profile"].leadership_score == 1.0
    assert result["role_fit_analysis"]["technical_fit"] == 0.5
    assert result["validation_results"]["overall_confidence"] == 0.0


@pytest.mark.parametrize("source", [None, "", b"raw bytes resume", "lone \udc80 surrogate", "x" * 300_000,
                                    _shapes.MultiSourceProfile(resume_text=None)])
def test_hostile_input_never_crashes(fw_factory, endpoint, source):
    p = adapter(fw_factory("on"))
    result = p.analyze_comprehensive_profile(source_data=source, target_role=None, job_description=None)
    assert set(result) >= {"behavioral_profile", "role_fit_analysis"}
    assert isinstance(result["behavioral_profile"].candidate_id, str)


def test_multi_source_text_reaches_the_model(fw_factory, endpoint):
    p = adapter(fw_factory("on"))
    profile = legacy_module().MultiSourceProfile(
        resume_text=RESUME, linkedin_data={"experience_descriptions": ["Built a payments platform"]},
        github_data={"bio": "OSS maintainer"})
    result = p.analyze_comprehensive_profile(source_data=profile, target_role="Lead", job_description="Lead role")
    assert result["behavioral_profile"].primary_data_sources == ["resume", "linkedin", "github", "behavioral_analysis"]
