"""Structured output: extraction from chatty/fenced text, validation, JSON bombs."""

import json

import pytest

from adeptai_sagemaker.capabilities.schemas import BehavioralOutput, JobParserOutput
from adeptai_sagemaker.core.structured import OutputParseError, extract_json_object, parse_output

GOOD_JOB = {"title": "Engineer", "mandatory_skills": ["Python", "python", "AWS"], "preferred_skills": [],
            "years_experience": 5, "education_level": None, "location": None, "work_mode": "remote",
            "salary_range": {"min": 100000, "max": 150000, "currency": "usd", "period": "year"},
            "seniority_level": None, "employment_type": None}


def test_extracts_from_fences_and_chatter():
    text = "Sure! Here is the JSON:\n```json\n" + json.dumps(GOOD_JOB) + "\n```\nHope that helps."
    out = parse_output(text, JobParserOutput)
    assert out.mandatory_skills == ["Python", "AWS"]  # deduped case-insensitively
    assert out.salary_range.currency == "USD"


def test_extracts_bare_object_after_prose_with_braces_in_strings():
    text = 'The answer {not json} is: {"a": "x } y", "b": [1, {"c": 2}]} trailing'
    assert extract_json_object(text) == {"a": "x } y", "b": [1, {"c": 2}]}


def test_truncated_json_is_reported():
    with pytest.raises(OutputParseError, match="truncated"):
        extract_json_object('{"title": "Engineer", "mandatory_skills": ["Py')


def test_schema_violation_message_names_fields_not_values():
    bad = dict(GOOD_JOB, years_experience="lots", work_mode="on the moon")
    with pytest.raises(OutputParseError) as info:
        parse_output(json.dumps(bad), JobParserOutput)
    msg = str(info.value)
    assert "years_experience" in msg and "work_mode" in msg
    assert "on the moon" not in msg


def test_scores_out_of_range_or_not_finite_are_rejected():
    base = {k: 0.5 for k, f in BehavioralOutput.model_fields.items() if f.annotation is float or "Unit" in str(f.annotation)}
    payload = {**base, "reasoning": "r", "overall_score": 1.7}
    with pytest.raises(OutputParseError, match="overall_score"):
        parse_output(json.dumps(payload), BehavioralOutput)
    payload["overall_score"] = float("nan")
    with pytest.raises(OutputParseError):
        parse_output(json.dumps(payload), BehavioralOutput)


def test_salary_max_below_min_rejected():
    bad = dict(GOOD_JOB, salary_range={"min": 200, "max": 100})
    with pytest.raises(OutputParseError, match="salary_range"):
        parse_output(json.dumps(bad), JobParserOutput)


@pytest.mark.parametrize("bomb", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    '{"years_experience": ' + "9" * 100_000 + "}",
    '{"x": "' + "a" * 300_000 + '"}',
])
def test_json_bombs_rejected(bomb):
    """Rejected with the typed error; how fast is measured by benchmarks/bench_hostile_input.py."""
    with pytest.raises(OutputParseError):
        parse_output(bomb, JobParserOutput)
