"""Schema-valid means something: required content, no unknown keys, and one schema for prompt and grammar."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from adeptai_sagemaker_lab.reference_model import ReferenceModel
from adeptai_sagemaker.core.prompting import render
from adeptai_sagemaker.core.schema_outline import schema_outline
from adeptai_sagemaker.core.structured import OutputParseError, parse_output
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS

SPECS = {spec.name: spec for spec in BUILTIN_TASKS}
SAMPLE_INPUTS = {
    "query_enhancer": {"query": "senior python developer in Austin"},
    "behavioral_analyzer": {"resume_text": "Led a team of five engineers for three years.", "job_description": "Lead"},
    "market_intelligence": {"prompt": "Analyze the talent market for data engineers", "focus_area": "data"},
    "job_parser": {"job_description": "Senior Python Engineer. 5+ years of Python and AWS required. Remote."},
    "explanation_generator": {"candidate_profile": {"skills": ["Python"]}, "job_query": "python developer",
                              "match_scores": {"overall_score": 0.8, "skill_match": 0.86}, "ranking_position": 1},
    "resume_summarizer": {"resume_text": "Python developer, 6 years, AWS. B.Sc. Computer Science."},
    "question_generator": {"job_description": "Python developer with AWS", "num_questions": 3},
    "candidate_matcher": {"job_description": "Python and AWS required", "resume_text": "Python, AWS, 5 years"},
}


def _valid_answer(name: str) -> dict:
    """A real, complete answer for ``name``: the reference model's, through the rendered prompt."""
    spec = SPECS[name]
    request = spec.input_model.model_validate(SAMPLE_INPUTS[name])
    prompt = render(name, spec.template, spec.variables(request), output_schema=spec.schema_text)
    return json.loads(ReferenceModel().generate(prompt.text))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_empty_and_wrapped_objects_are_not_valid_answers(name):
    model = SPECS[name].output_model
    good = _valid_answer(name)
    assert model.model_validate(good)  # the real answer passes...
    for shape in ({}, {"data": good}, {"result": good}, {"provenance": "x"}):  # ...its wrong shapes do not
        with pytest.raises(OutputParseError, match="schema validation failed"):
            parse_output(json.dumps(shape), model)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_content_field_is_required_and_unknown_keys_are_rejected(name):
    model = SPECS[name].output_model
    good = _valid_answer(name)
    optional = {k for k, f in model.model_fields.items() if not f.is_required()}
    assert optional == {"provenance"}  # metadata only; every content field must be stated
    for key in model.model_fields.keys() - optional:
        with pytest.raises(ValidationError, match=key):
            model.model_validate({k: v for k, v in good.items() if k != key})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**good, "note": "extra"})


def test_nested_objects_reject_misplaced_keys():
    job = _valid_answer("job_parser")
    model = SPECS["job_parser"].output_model
    bad = {**job, "salary_range": {"minimum": 100000, "maximum": 150000}}
    with pytest.raises(ValidationError, match="salary_range"):
        model.model_validate(bad)
    with pytest.raises(ValidationError, match="entities"):
        SPECS["query_enhancer"].output_model.model_validate(
            {**_valid_answer("query_enhancer"), "entities": {"skill": ["Python"]}})


def test_null_is_a_stated_answer_where_the_text_may_not_say():
    job = {**_valid_answer("job_parser"), "title": None, "location": None, "salary_range": None,
           "years_experience": None}
    assert SPECS["job_parser"].output_model.model_validate(job).title is None


@pytest.mark.parametrize("name", sorted(SPECS))
def test_grammar_schema_is_the_validation_schema(name):
    """``TaskSpec.schema`` (prompt and grammar) demands exactly the fields the model requires, and no others."""
    spec = SPECS[name]
    schema = spec.schema
    model = spec.output_model
    assert set(schema["required"]) == {k for k, f in model.model_fields.items() if f.is_required()}
    assert schema["additionalProperties"] is False
    for sub in schema.get("$defs", {}).values():
        if sub.get("type") == "object":
            assert sub["additionalProperties"] is False and set(sub["required"]) == set(sub["properties"])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_outline_names_every_required_key_and_no_constants_to_copy(name):
    spec = SPECS[name]
    outline = spec.schema_outline
    assert outline == schema_outline(spec.schema)
    for key in spec.schema["required"]:
        assert f'"{key}":' in outline
    for noise in ("maxLength", "maxItems", "$defs", "$ref", "description", "provenance", "10000000"):
        assert noise not in outline


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("grammar", [False, True])
def test_every_template_renders_with_the_schema_or_its_outline(name, grammar):
    spec = SPECS[name]
    request = spec.input_model.model_validate(SAMPLE_INPUTS[name])
    prompt = render(name, spec.template, spec.variables(request), output_schema=spec.schema_text,
                    output_outline=spec.schema_outline if grammar else None)
    assert prompt.system.startswith(f"### TASK: {name}")
    if grammar:
        assert spec.schema_outline in prompt.system and spec.schema_text not in prompt.system
    else:
        assert spec.schema_text in prompt.system
    # The reference model still answers a grammar-style prompt (it reads data blocks, not the schema).
    assert spec.output_model.model_validate_json(ReferenceModel().generate(prompt.text))
