"""The demo's answers are right for its inputs, and the three wrong answers it once gave stay fixed.

The three errors (issue 16): job parsing put "We need 5+ years of Python, AWS and PostgreSQL" under
preferred skills and dropped "Senior" from the title; the explanation scored a candidate with skill
match 0.86 and experience match 0.9 as overall 0.0, "Not recommended"; candidate matching said a
resume with a "B.Sc. Computer Science" line shows no education.
"""

from __future__ import annotations

import pytest

import support.adapters  # noqa: F401  (puts the stand-in monolith on sys.path)
from adeptai_sagemaker.adapters import explainable_ai as xai
from adeptai_sagemaker_lab import demo
from adeptai_sagemaker_lab.reference_model import candidates, job_parser


def test_we_need_x_y_and_z_are_requirements_and_senior_stays_in_the_title():
    out = job_parser.parse(demo.JOB)
    assert {"Python", "AWS", "PostgreSQL"} <= set(out["mandatory_skills"])
    assert not {"Python", "AWS", "PostgreSQL"} & set(out["preferred_skills"])
    assert {"Docker", "Kubernetes"} <= set(out["preferred_skills"])
    assert out["title"] == "Senior Python Engineer" and out["seniority_level"] == "senior"


@pytest.mark.parametrize("line", ["B.Sc. Computer Science.", "BSc in Computer Science", "Bachelor of Science, Computer Science",
                                  "B.S. Computer Science, 2016", "Education: B.Eng. Software Engineering"])
def test_a_bachelor_line_in_a_resume_is_read_as_education(line):
    resume = demo.RESUME.replace("B.Sc. Computer Science.", line)
    out = candidates.match(demo.JOB, resume)
    assert out["education_match"] == 100.0
    assert "the resume shows bachelor" in out["reasoning"]


@pytest.mark.parametrize("scores", [
    {"skill_match": 0.86, "experience_match": 0.9},  # fractions under the search results' short names
    {"technical_skills_score": 86.0, "experience_score": 90.0},  # the monolith's keys, no overall given
    {"skill_overlap": 86.0, "experience_relevance": 90.0, "overall_match_percentage": 87.0},  # the matcher's keys
])
def test_explanation_understands_the_score_keys_callers_send(fw, scores):
    e = xai.ExplainableRecruitmentAI(framework=fw).explain_candidate_selection(
        candidate_profile={"skills": ["Python", "AWS"], "experience_years": 7}, job_query="Senior Python Engineer",
        match_scores=scores, ranking_position=2)
    assert 85.0 <= e.overall_score <= 90.0
    assert not e.recommendation.startswith("Not recommended")


def test_canonical_scores_keep_an_explicit_overall_and_scale_fractions():
    assert xai.canonical_scores({"overall_score": 72.0, "technical_skills_score": 90.0}) == {
        "overall_score": 72.0, "technical_skills_score": 90.0}
    assert xai.canonical_scores({"overall": 0.5, "skill_match": 0.8}) == {"overall_score": 50.0, "technical_skills_score": 80.0}
    assert xai.canonical_scores({"unrelated": 3.0}) == {}


def test_demo_gives_eight_correct_answers():
    report = demo.run_demo(endpoint_url=None)
    wrong = {r.capability: [what for what, ok in r.checks if not ok] or r.error for r in report.results if not r.correct}
    assert len(report.results) == 8 and not wrong, wrong
    assert report.ok


@pytest.mark.parametrize("capability, bad", [
    ("job_parser", {"title": "Python Engineer", "seniority_level": None, "mandatory_skills": [],
                    "preferred_skills": ["Python", "AWS", "PostgreSQL", "Docker", "Kubernetes"], "years_experience": 5,
                    "education_level": "bachelor", "salary_range": {"min": 140000}}),
    ("explanation_generator", {"overall_score": 0.0, "recommendation": "Not recommended at this time."}),
    ("candidate_matcher", {"education_match": 30.0, "reasoning": "the resume shows none stated.", "missing_skills": [],
                           "matched_skills": ["Python", "AWS", "PostgreSQL"], "recommendation": "match"}),
])
def test_the_demo_flags_each_old_wrong_answer(capability, bad):
    assert not all(ok for _, ok in demo.verify(capability, bad))
