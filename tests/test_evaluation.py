"""The evaluation scorer's arithmetic, and the reference model's floors on the dev set."""

from __future__ import annotations

import pytest

from adeptai_sagemaker.lab import evaluation as ev


def _pred(**over) -> dict:
    base = {"title": "X", "mandatory_skills": [], "preferred_skills": [], "years_experience": None, "education_level": None,
            "location": None, "work_mode": None, "salary_range": None, "seniority_level": None, "employment_type": None}
    base.update(over)
    return base


def test_skill_f1_is_case_and_hyphen_insensitive():
    assert ev.skill_f1(["Six-Sigma", "Python"], ["six sigma", "PYTHON"]) == 1.0
    assert ev.skill_f1([], []) == 1.0
    assert ev.skill_f1(["A"], []) == 0.0 and ev.skill_f1([], ["A"]) == 0.0
    assert ev.skill_f1(["A", "B"], ["A", "C"]) == pytest.approx(0.5)
    assert ev.skill_f1(["A", "B", "C", "D"], ["A", "B"]) == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_job_scores_average_per_posting_and_count_failures():
    label = _pred(mandatory_skills=["Python", "AWS"], years_experience=5, work_mode="remote",
                  salary_range={"min": 100, "max": 120, "currency": "USD", "period": "year"})
    good = _pred(mandatory_skills=["python", "aws"], years_experience=5, work_mode="remote",
                 salary_range={"min": 100.0, "max": 130.0, "currency": "USD", "period": "year"})
    out = ev.score_job_parsing([(label, good), (label, None)])
    assert out["n"] == 2
    assert out["mandatory_f1"] == 0.5 and out["years"] == 0.5 and out["work_mode"] == 0.5
    assert out["salary_min"] == 0.5 and out["salary_max"] == 0.0
    assert out["schema_valid"] == 0.5


def test_schema_invalid_prediction_is_counted():
    out = ev.score_job_parsing([(_pred(), _pred(work_mode="sometimes"))])
    assert out["schema_valid"] == 0.0


def test_query_scores_use_whole_words():
    label = {"intent": "role_search", "must_expand_any": ["sre"], "must_not_expand": ["lead", "junior"]}
    hit = {"intent": "role_search", "expanded_terms": ["Senior SRE"], "synonyms": [], "related_skills": ["leadership"],
           "job_variations": [], "industry_terms": ["junior"], "disambiguation": {}, "entities": {"skills": []}}
    miss = dict(hit, intent="skill_search", expanded_terms=["sres team", "Tech Lead"])
    out = ev.score_queries([(label, hit), (label, miss), (label, None)])
    assert out["intent_accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert out["expansion_hit_rate"] == pytest.approx(1 / 3, abs=1e-3)
    # "leadership" is not the word "lead"; industry_terms are not scored; "Tech Lead" is
    assert out["forbidden_expansions"] == 1
    assert out["schema_valid"] == pytest.approx(2 / 3, abs=1e-3)


def test_find_eval_data_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv(ev.EVAL_DATA_ENV, str(tmp_path))
    assert ev.find_eval_data() is None  # an empty folder holds no labelled data
    (tmp_path / ev.JOB_FILE).write_text("", encoding="utf-8")
    assert ev.find_eval_data() == tmp_path
    monkeypatch.setenv(ev.EVAL_DATA_ENV, str(tmp_path / "missing"))
    assert ev.find_eval_data() is None


def test_evaluate_on_a_tiny_handmade_set(tmp_path):
    (tmp_path / ev.JOB_FILE).write_text(
        '{"id": "t1", "text": "Junior Accountant\\n\\nRequirements:\\n- 1+ years of experience\\n- Excel and GAAP\\n\\n'
        'Location: Omaha, NE (on-site)", "label": {"title": "Junior Accountant", "mandatory_skills": ["Excel", "GAAP"], '
        '"preferred_skills": [], "years_experience": 1, "education_level": null, "location": "Omaha, NE", "work_mode": "onsite", '
        '"salary_range": null, "seniority_level": "junior", "employment_type": null}}\n', encoding="utf-8")
    (tmp_path / ev.QUERY_FILE).write_text(
        '{"id": "q1", "query": "python developer", "label": {"intent": "skill_search", "must_expand_any": ["django"], '
        '"must_not_expand": ["snake"], "entities": {}}}\n', encoding="utf-8")
    out = ev.evaluate_reference_model(tmp_path)
    assert out["job_parser"]["mandatory_f1"] == 1.0 and out["job_parser"]["years"] == 1.0
    assert out["query_enhancer"]["expansion_hit_rate"] == 1.0 and out["query_enhancer"]["forbidden_expansions"] == 0
    assert "| job_parser | mandatory_f1 | 1.0 |" in ev.markdown_table(out)


def test_the_golden_sets_ship_inside_the_package():
    assert ev.find_eval_data() == ev.GOLDEN_DIR


@pytest.mark.xfail(strict=True, reason="the reference model misses mandatory skills on postings it was not written "
                                       "against (mandatory F1 0.59 on the in-repo seed set); issue 16 fixes the rules")
def test_reference_model_reaches_agreed_floors_on_the_dev_set():
    out = ev.evaluate_reference_model(ev.GOLDEN_DIR)
    jp, qe = out["job_parser"], out["query_enhancer"]
    assert jp["mandatory_f1"] >= 0.8
    assert min(jp["years"], jp["work_mode"], jp["seniority"]) >= 0.85
    assert jp["schema_valid"] == 1.0
    assert qe["intent_accuracy"] >= 0.85 and qe["expansion_hit_rate"] >= 0.9
    assert qe["forbidden_expansions"] == 0 and qe["schema_valid"] == 1.0
