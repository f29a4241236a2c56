"""Contract tests: ExplainableRecruitmentAI adapter, driven as optimized_search_system.py:2111 calls it."""

from __future__ import annotations

import pytest

from support.adapters import MODES, endpoint, fail, fw_factory, scripted_endpoint, sm_calls, wait_shadow  # noqa: F401
from adeptai_sagemaker.adapters import explainable_ai as xai
from adeptai_sagemaker.core.errors import InvalidOutputError, ModelError

CAP = "explanation_generator"
PROFILE = {"full_name": "Jane Roe", "email": "jane@example.com", "skills": ["Python", "AWS"], "experience_years": 6,
           "seniority_level": "Senior", "resume_text": "Jane Roe ...", "education": "BS", "location": "Austin, TX"}
RESULT = {"overall_score": 0.8, "technical_skills_score": 0.9, "experience_score": 0.7, "seniority_score": 0.8,
          "education_score": 0.6, "soft_skills_score": 0.5, "location_score": 0.4}


def models():
    from adeptai_components.explainable_ai.models import dataclasses, recruitment_ai

    return dataclasses, recruitment_ai


def adapter(fw):
    dc, ra = models()
    return xai.ExplainableRecruitmentAI(framework=fw, legacy=ra.ExplainableRecruitmentAI, types_module=ra)


def call(ai, idx=0, profile=PROFILE, query="Senior Python engineer 5+ years"):
    return ai.explain_candidate_selection(candidate_profile=profile, job_query=query,
                                          match_scores={k: v * 100 for k, v in RESULT.items()}, ranking_position=idx + 1)


def assert_shape(e):
    dc, _ = models()
    assert isinstance(e, dc.DecisionExplanation)
    assert 0.0 <= e.overall_score <= 100.0
    for attr in ("decision_summary", "confidence_level", "recommendation"):
        assert isinstance(getattr(e, attr), str) and getattr(e, attr)
    for attr in ("top_positive_factors", "top_negative_factors", "strength_areas", "risk_factors"):
        assert isinstance(getattr(e, attr), list)
    assert e.confidence_level in ("Very High", "High", "Moderate", "Low")
    for fc in e.feature_contributions:
        assert isinstance(fc, dc.FeatureContribution)
        assert isinstance(fc.feature_name, str) and isinstance(fc.explanation, str)
        assert isinstance(fc.contribution, float) and isinstance(fc.percentage, float)
        assert fc.direction in ("positive", "negative", "neutral")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("legacy_broken", [True, False])
def test_every_mode(fw_factory, endpoint, mode, legacy_broken, monkeypatch):
    _, ra = models()
    monkeypatch.setattr(ra, "BROKEN_LIKE_COPY_C", legacy_broken)
    fw = fw_factory(mode)
    e = call(adapter(fw))
    assert_shape(e)
    assert e.overall_score == pytest.approx(80.0)  # the caller's score, 0-100
    if mode in ("on", "canary:100"):
        assert e.decision_summary == "Strong technical match for the role." and e.confidence_level == "High"
        assert e.recommendation == "Recommend for interview."
        assert [fc.feature_name for fc in e.feature_contributions] == ["technical_skills_match", "location_match"]
    elif legacy_broken:  # copy C's KeyError -> the rule-based explanation (B9: the fallback never crashes)
        assert e.decision_summary.startswith("Candidate #1 has a good score of 80.0")
        assert len(e.feature_contributions) == 10
    else:
        assert e.recommendation == "Consider for the role." and e.feature_contributions[0].explanation == "legacy"
    wait_shadow(fw)
    assert sm_calls(endpoint, CAP) == (1 if mode in ("on", "canary:100", "shadow") else 0)


@pytest.mark.parametrize("args, message", [
    (("not a dict", "q", {}), "candidate_profile must be a dict"),
    (({}, "q", None), "match_scores must be a dict"),
    (({}, "  ", {}), "job_query must be a non-empty string"),
    (({}, None, {}), "job_query must be a non-empty string"),
])
def test_same_value_errors_as_the_monolith(fw_factory, endpoint, args, message):
    _, ra = models()
    with pytest.raises(ValueError, match=message):
        ra.ExplainableRecruitmentAI().explain_candidate_selection(*args, 1)
    with pytest.raises(ValueError, match=message):
        adapter(fw_factory("on")).explain_candidate_selection(*args, 1)
    assert sm_calls(endpoint, CAP) == 0


def test_no_contact_details_reach_the_model(fw_factory, endpoint, monkeypatch):
    seen = []
    original = endpoint.model.generate
    monkeypatch.setattr(endpoint.model, "generate", lambda text, params: seen.append(text) or original(text, params))
    call(adapter(fw_factory("on")))
    assert seen and "Jane" not in seen[0] and "jane@example.com" not in seen[0] and "Python" in seen[0]


@pytest.mark.parametrize("kind", ["model_error", "service_unavailable", "malformed_json"])
def test_failure_falls_back_and_never_crashes(fw_factory, endpoint, kind):
    fail(endpoint, CAP, kind)
    assert_shape(call(adapter(fw_factory("on"))))


def test_invalid_output_falls_back_or_raises(fw_factory, endpoint):
    endpoint.model.overrides[CAP] = {"overall_score": 180, "decision_summary": "x"}
    assert_shape(call(adapter(fw_factory("on"))))
    with pytest.raises(InvalidOutputError):
        call(adapter(fw_factory("on", fallback=False)))


def test_fallback_off_surfaces_typed_error(fw_factory, endpoint):
    fail(endpoint, CAP, "model_error")
    with pytest.raises(ModelError):
        call(adapter(fw_factory("on", fallback=False)))


def test_zero_arg_constructor_uses_the_process_wide_framework(monkeypatch, fw_factory, endpoint):
    import adeptai_sagemaker.core.framework as framework_mod

    fw = fw_factory("off")
    monkeypatch.setattr(framework_mod, "get_framework", lambda: fw)
    e = xai.ExplainableRecruitmentAI().explain_candidate_selection(PROFILE, "python", {"overall_score": 250}, "x")
    assert e.overall_score == 100.0 and e.decision_summary.startswith("Candidate #x")  # the rule-based legacy
    assert sm_calls(endpoint, CAP) == 0


@pytest.mark.parametrize("profile, scores", [
    ({"skills": "not a list", "experience_years": "ten"}, {"overall_score": "n/a"}),
    ({"skills": [None, b"bytes"], "industries": [1]}, {"overall_score": float("nan"), 3: 4}),
    ({"resume_text": "lone \ud800"}, {}),
])
def test_odd_values_are_tolerated(fw_factory, endpoint, profile, scores):
    e = adapter(fw_factory("on")).explain_candidate_selection(profile, "python dev", scores, 0)
    assert_shape(e)
