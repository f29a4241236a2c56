"""e. Hostile model output is rejected about as fast as a well-formed answer of the same size is parsed.

``tests/core/test_structured.py`` and ``tests/contract/test_hostile_input.py`` check the behaviour (each bomb
raises ``OutputParseError``, one bounded re-ask, then the fallback); this file holds the timing claim, as a
ratio against a baseline measured in the same run, interleaved so machine noise hits both.
"""

from __future__ import annotations

import json
import time

import pytest

from adeptai_sagemaker.capabilities.schemas import JobParserOutput
from adeptai_sagemaker.core.structured import OutputParseError, parse_output
from adeptai_sagemaker_lab.bench import workload

BOMBS = {
    "deep_nesting": "[" * 100_000 + "]" * 100_000,
    "deep_objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "huge_integer": '{"years_experience": ' + "9" * 100_000 + "}",
    "giant_string": '{"x": "' + "a" * 300_000 + '"}',
    "many_fences": "```json\n{\n```" * 20_000,
}
#: A bomb may cost this many times the parse of a valid answer as long as itself (both are linear scans).
MAX_RATIO = 25.0
VALID = {"title": "Senior Python Engineer", "mandatory_skills": ["Python", "AWS"], "preferred_skills": ["Docker"],
         "years_experience": 5, "education_level": "bachelor", "location": "Austin, TX", "work_mode": "hybrid",
         "salary_range": None, "seniority_level": "senior", "employment_type": "full_time"}


def _reject(text: str) -> None:
    with pytest.raises(OutputParseError):
        parse_output(text, JobParserOutput)


def _accept(text: str) -> None:
    assert isinstance(parse_output(text, JobParserOutput), JobParserOutput)


def _best(fn, text: str) -> float:
    started = time.perf_counter()
    fn(text)
    return time.perf_counter() - started


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def bench_json_bomb_rejection(benchmark, bomb):
    text = BOMBS[bomb]
    valid = json.dumps(VALID) + " " * max(0, len(text) - len(json.dumps(VALID)))  # same length, well formed
    rounds = 3 if workload.quick() else 15

    def measure() -> tuple[float, float]:
        bomb_s, valid_s = [], []
        for _ in range(rounds):
            bomb_s.append(_best(_reject, text))
            valid_s.append(_best(_accept, valid))
        return min(bomb_s), min(valid_s)

    bomb_s, valid_s = benchmark.pedantic(measure, rounds=1, iterations=1)
    ratio = bomb_s / valid_s
    benchmark.extra_info.update(bomb_ms=bomb_s * 1000, valid_ms=valid_s * 1000, ratio=ratio)
    print(f"\n[json bomb {bomb}] reject {bomb_s * 1000:.2f} ms vs valid answer of the same size "
          f"{valid_s * 1000:.2f} ms: {ratio:.1f}x (target <= {MAX_RATIO:.0f}x)")
    assert bomb_s > 0 and valid_s > 0
    if workload.enforce():
        assert ratio <= MAX_RATIO, (bomb, ratio)
