"""g. Hostile model output is rejected about as fast as a well-formed answer of the same size is parsed.

``tests/core/test_structured.py`` and ``tests/contract/test_hostile_input.py`` check the behaviour (each bomb
raises ``OutputParseError``, one bounded re-ask, then the fallback); this file holds the timing claim, as a
ratio against a baseline measured in the same run, interleaved so machine noise hits both.
"""

from __future__ import annotations

import json

import pytest
from ratios import ratio_against_baseline

from adeptai_sagemaker.capabilities.schemas import JobParserOutput
from adeptai_sagemaker.core.structured import MAX_OUTPUT_CHARS, OutputParseError, parse_output
from adeptai_sagemaker_lab.bench import workload

BOMBS = {
    "deep_nesting": "[" * 100_000 + "]" * 100_000,
    "deep_objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "huge_integer": '{"years_experience": ' + "9" * 100_000 + "}",
    "giant_string": '{"x": "' + "a" * 300_000 + '"}',
    "many_fences": "```json\n{\n```" * 20_000,
}
#: A bomb may cost this many times the parse of a valid answer as long as itself (up to the output cap).
#: The costliest is the 100 000-digit integer (100-200x, 25-50 ms on 2 cores: Python refuses it only after
#: reading it); a parser gone quadratic or worse shows up as tens of thousands.
MAX_RATIO = 1000.0
VALID = {"title": "Senior Python Engineer", "mandatory_skills": ["Python", "AWS"], "preferred_skills": ["Docker"],
         "years_experience": 5, "education_level": "bachelor", "location": "Austin, TX", "work_mode": "hybrid",
         "salary_range": None, "seniority_level": "senior", "employment_type": "full_time"}


def _reject(text: str) -> None:
    with pytest.raises(OutputParseError):
        parse_output(text, JobParserOutput)


def _accept(text: str) -> None:
    assert isinstance(parse_output(text, JobParserOutput), JobParserOutput)


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def bench_json_bomb_rejection(benchmark, bomb):
    text = BOMBS[bomb]
    size = min(len(text), MAX_OUTPUT_CHARS)  # longer output is refused before parsing, valid or not
    valid = json.dumps(VALID) + " " * max(0, size - len(json.dumps(VALID)))  # as long, well formed
    ratio_against_baseline(benchmark, f"json bomb {bomb}: reject vs a valid answer of the same size",
                           lambda: _reject(text), lambda: _accept(valid), target=MAX_RATIO,
                           rounds=3 if workload.quick() else 15)
