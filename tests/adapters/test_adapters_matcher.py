"""Contract tests: the matcher's LLM seam (``LLMService`` callable, ``extract_job_requirements``)."""

from __future__ import annotations

import json

import pytest

from support.adapters import MODES, endpoint, fail, fw_factory, scripted_endpoint, sm_calls, wait_shadow  # noqa: F401
from adeptai_sagemaker.adapters import matcher as mt
from adeptai_sagemaker.core.errors import InvalidOutputError, ServiceUnavailableError

CAP = "job_parser"
JD = "Senior Python Engineer in Austin, TX. 5+ years. Required: Python, AWS. Nice to have: Docker. BS degree."
STUB = {"mandatory_skills": ["Python", "AWS"], "preferred_skills": ["Healthcare"], "location": "Boston, MA",
        "years_experience": 5, "education_requirements": ["Bachelor's"]}


def matcher_module():
    from adeptai_components.semantic_function.matcher import enhanced_matcher

    return enhanced_matcher


def assert_requirements(r):
    assert set(r) == {"mandatory_skills", "preferred_skills", "location", "years_experience", "education_requirements"}
    assert isinstance(r["mandatory_skills"], list) and all(isinstance(s, str) for s in r["mandatory_skills"])
    assert isinstance(r["preferred_skills"], list) and isinstance(r["education_requirements"], list)
    assert type(r["location"]) is str and type(r["years_experience"]) is int


@pytest.mark.parametrize("mode", MODES)
def test_llm_service_seam_in_every_mode(fw_factory, endpoint, mode):
    from adeptai_components.semantic_function.matcher.llm_service import LLMService as Stub

    fw = fw_factory(mode)
    llm = mt.LLMService("sk-ignored", framework=fw, legacy=Stub)
    r = json.loads(llm(JD))  # utils.dummy_parser
    assert_requirements(r)
    if mode in ("on", "canary:100"):
        assert r == {"mandatory_skills": ["Python", "AWS"], "preferred_skills": ["Docker"], "location": "Austin, TX",
                     "years_experience": 5, "education_requirements": ["Bachelor's"]}
    else:
        assert r == STUB
    wait_shadow(fw)
    assert sm_calls(endpoint, CAP) == (1 if mode in ("on", "canary:100", "shadow") else 0)


def test_attach_to_existing_matcher_without_running_its_constructor(fw_factory, endpoint):
    em = matcher_module()
    from adeptai_components.semantic_function.matcher.models import CandidateProfile

    before = len(em.HEAVY_INITS)
    matcher = em.EnhancedTalentMatcher.__new__(em.EnhancedTalentMatcher)  # an instance built elsewhere
    matcher.llm = em.LLMService("k")
    detach = mt.attach_to_matcher(matcher, framework=fw_factory("on"))
    assert len(em.HEAVY_INITS) == before
    assert matcher.extract_job_requirements(JD)["location"] == "Austin, TX"
    score = matcher.calculate_enhanced_match_score(JD, CandidateProfile(resume="Python and AWS", current_location=None))
    assert score["location_match"] == 0.0 and score["mandatory_skills_match"] == 1.0  # None location: no TypeError
    assert len(score["features"]) == 10
    detach()
    assert matcher.extract_job_requirements(JD) == STUB and "extract_job_requirements" not in matcher.__dict__


def test_posting_without_skills_or_location_does_not_crash_the_matcher(fw_factory, endpoint):
    endpoint.model.overrides[CAP] = {"title": None, "mandatory_skills": [], "preferred_skills": [], "location": None,
                                     "years_experience": None, "education_level": None, "work_mode": "remote",
                                     "salary_range": None, "seniority_level": None, "employment_type": None}
    em = matcher_module()
    from adeptai_components.semantic_function.matcher.models import CandidateProfile

    matcher = em.EnhancedTalentMatcher.__new__(em.EnhancedTalentMatcher)
    mt.attach_to_matcher(matcher, framework=fw_factory("on"))
    r = matcher.extract_job_requirements("We hire.")
    assert r == {"mandatory_skills": [], "preferred_skills": [], "location": "Remote", "years_experience": 0,
                 "education_requirements": []}
    features = matcher._create_feature_vector("We hire.", CandidateProfile(resume="x", current_location="Remote"))
    assert features[-1] == 1.0  # nothing required -> fully satisfied, no ZeroDivisionError


@pytest.mark.parametrize("kind", ["service_unavailable", "malformed_json", "model_error"])
def test_failure_falls_back_to_the_stub(fw_factory, endpoint, kind):
    from adeptai_components.semantic_function.matcher.llm_service import LLMService as Stub

    fail(endpoint, CAP, kind)
    assert json.loads(mt.LLMService("k", framework=fw_factory("on"), legacy=Stub)(JD)) == STUB


def test_failure_without_legacy_uses_rules(fw_factory, endpoint):
    endpoint.model.invalid.add(CAP)
    r = mt.JobRequirementsExtractor(framework=fw_factory("on")).extract_job_requirements(JD)
    assert_requirements(r)
    assert r["location"] == "Austin, TX" and r["years_experience"] == 5 and r["education_requirements"] == ["Bachelor's"]


def test_fallback_off_raises_typed_errors(fw_factory, endpoint):
    extractor = mt.JobRequirementsExtractor(framework=fw_factory("on", fallback=False))
    fail(endpoint, CAP, "service_unavailable")
    with pytest.raises(ServiceUnavailableError):
        extractor.extract_job_requirements(JD)
    endpoint.clear_faults()
    endpoint.model.invalid.add(CAP)
    with pytest.raises(InvalidOutputError):
        extractor.extract_job_requirements(JD)


def test_brittle_legacy_values_are_coerced_field_by_field_b10():
    r = mt.normalize_requirements({"mandatory_skills": ["Python", None, 3], "years_experience": "5+",
                                   "location": None, "education_requirements": "Bachelor's"})
    assert r == {"mandatory_skills": ["Python"], "preferred_skills": [], "location": "", "years_experience": 5,
                 "education_requirements": ["Bachelor's"]}
    assert mt.normalize_requirements({"years_experience": "120k"})["years_experience"] == 120
    assert mt.normalize_requirements("not a dict")["mandatory_skills"] == []


@pytest.mark.parametrize("jd", [None, "", b"Python engineer in Austin, TX", "lone \ud800", "x" * 500_000])
def test_hostile_input(fw_factory, endpoint, jd):
    assert_requirements(mt.JobRequirementsExtractor(framework=fw_factory("on")).extract_job_requirements(jd))
