"""Teacher capture through the REAL monolith's query enhancer and job-requirements extractor.

The snapshot is found and extracted by ``tests/real_monolith.py`` (skipped with the reason when none is
available, as in CI). The adapters are installed over the monolith's own modules, ``query_enhancer`` and
``job_parser`` run in shadow with ``capture`` on (neither is a personal-data module, so
``SAGEMAKER_<STEM>_CAPTURE`` alone turns it on), and the legacy side is the monolith's own code:

- ``llm_query_enhancer.LLMQueryEnhancer`` is built by the monolith's ``_init_client`` from its module's
  ``OpenAI`` name, here a scripted teacher (the same move as ``tests/adapters/test_real_monolith.py``
  replacing the monolith's ``HybridLLMService.generate_response``); the monolith renders its own prompt,
  calls ``client.chat.completions.create`` and parses the reply with ``_parse_llm_response``;
- ``EnhancedTalentMatcher.extract_job_requirements`` calls its ``LLMService`` (the monolith's LLM seam,
  a fixed simulated reply in the snapshot), whose ``__call__`` is the scripted teacher, and parses the
  reply with ``dummy_parser``.

The model side of shadow is the scripted local endpoint (real HTTP). What is checked: every captured record
holds the teacher's answer for its own input, valid under the capability's output schema, with the prompt
the student will be sent (``pipeline.render_prompt``), its template version, schema hash and input hash;
answers that fail the schema (the monolith's rule fallback after a prose reply; years over the schema's
bound) are counted and never stored.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from support.adapters import endpoint, endpoint_name, scripted_endpoint, sm_calls  # noqa: F401  (fixtures)
from adeptai_sagemaker import adapters
from adeptai_sagemaker.core import pipeline
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.plugin.tasks import input_fingerprint
from adeptai_sagemaker.student.capture import iter_lines, schema_hash
from support.real_monolith import monolith_snapshot, real_monolith  # noqa: F401  (fixtures)
from student_support import capture_framework

pytestmark = pytest.mark.filterwarnings("ignore:Pydantic V1 style:DeprecationWarning")  # the monolith's own code

CAPTURED = ("query_enhancer", "job_parser")
SKILLS = ("Python", "Java", "Go", "Rust", "Kotlin", "Scala")
CITIES = ("Boston", "Austin", "Denver")
QUERIES = [f"{skill} developer in {city}" for skill in SKILLS for city in CITIES]  # 18 distinct queries
PROSE_QUERY = QUERIES[4]  # the teacher answers prose: the monolith falls back to its rules (intent "unknown")
FENCED_EVERY = 3  # every third reply comes in a ```json fence, which the monolith's parser strips
POSTINGS = [f"{skill} engineer for our {city} office, {2 + i % 7} years. Must have {skill} and AWS; Docker is a plus. "
            f"{'Remote friendly.' if i % 2 else 'On site.'} Bachelor's degree."
            for i, (skill, city) in enumerate((s, c) for s in SKILLS for c in CITIES)]
OVER_BOUND = POSTINGS[7]  # the teacher says 99 years: over the schema's 60, counted and never stored


# --------------------------------------------------------------------------- the scripted teacher


def query_teacher(query: str) -> dict:
    """What the "OpenAI" teacher answers for the monolith's enhancement prompt, in the keys it asks for."""
    skill, city = query.split()[0], query.split()[-1]
    return {"synonyms": [f"{skill} engineer", f"{skill} programmer"], "related_skills": [f"{skill} testing", "Git"],
            "job_variations": [f"{skill} software engineer"], "industry_terms": [f"{city} tech"],
            "intent": "skill_search",
            "expanded_terms": [skill.lower(), f"{skill} engineer", f"{skill} programmer", f"{skill} testing"]}


class ScriptedOpenAI:
    """Stands in for ``openai.OpenAI`` in the monolith's module: ``chat.completions.create`` answers like the API."""

    prompts: list = []

    def __init__(self, api_key=None, **_):
        assert api_key, "the monolith builds its client only with OPENAI_API_KEY set"
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    def _create(self, *, model, messages, **params):
        user = messages[-1]["content"]
        ScriptedOpenAI.prompts.append(user)
        query = re.search(r'Given this job search query: "(.*)"', user).group(1)
        if query == PROSE_QUERY:
            content = "Sure! Here are some ideas for that search: engineers, programmers, developers."
        else:
            content = json.dumps(query_teacher(query))
            if len(ScriptedOpenAI.prompts) % FENCED_EVERY == 0:
                content = f"```json\n{content}\n```"
        return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=content))])


def job_teacher(posting: str) -> dict:
    """The matcher's five keys for a posting (what its ``LLMService`` is asked for)."""
    skill = posting.split()[0]
    years = 99 if posting == OVER_BOUND else int(re.search(r"(\d+) years", posting).group(1))
    return {"mandatory_skills": [skill, "AWS"], "preferred_skills": ["Docker"],
            "location": "Remote" if "Remote" in posting else re.search(r"our (\w+) office", posting).group(1) + ", US",
            "years_experience": years, "education_requirements": ["Bachelor's"]}


def scripted_llm_service_call(self, prompt: str) -> str:
    """``LLMService.__call__`` of the monolith, answered by the teacher (a JSON text, as the monolith's stub)."""
    return json.dumps(job_teacher(prompt))


# --------------------------------------------------------------------------- what the records must hold


def expected_query_output(query: str) -> dict:
    """The teacher's answer in ``QueryEnhancerOutput``'s fields; what the monolith's dict cannot say is empty."""
    t = query_teacher(query)
    return {"intent": t["intent"], "synonyms": t["synonyms"], "related_skills": t["related_skills"],
            "job_variations": t["job_variations"], "industry_terms": t["industry_terms"],
            "expanded_terms": t["expanded_terms"], "disambiguation": {},
            "entities": {"skills": [], "location": None, "min_years": None, "title": None}, "language": None}


def expected_job_output(posting: str) -> dict:
    """The teacher's answer in ``JobParserOutput``'s fields ("Remote" is a work mode there, not a place)."""
    t = job_teacher(posting)
    remote = t["location"] == "Remote"
    return {"title": None, "mandatory_skills": t["mandatory_skills"], "preferred_skills": t["preferred_skills"],
            "years_experience": t["years_experience"], "education_level": "bachelor",
            "location": None if remote else t["location"], "work_mode": "remote" if remote else None,
            "salary_range": None, "seniority_level": None, "employment_type": None}


class Calls:
    """Framework observer: (route, backend, outcome) of every finished call, per capability."""

    def __init__(self):
        self.seen: dict[str, Counter] = {}

    @hookimpl
    def on_call_finished(self, record):
        self.seen.setdefault(record.capability, Counter())[(record.route, record.backend, record.outcome)] += 1


@pytest.fixture()
def shadow_capture(real_monolith, endpoint, tmp_path, monkeypatch):
    """(framework, calls) with both modules in shadow and capture on, the model side on the scripted endpoint."""
    caps = {c: {"endpoint": endpoint_name(c), "mode": "shadow", "capture": True, "max_attempts": 1, "max_reasks": 0}
            for c in CAPTURED}
    fw = capture_framework(tmp_path, caps, sagemaker_endpoint_url=endpoint.url, adeptai_sagemaker_plugins="")
    calls = Calls()
    fw.pm.register(calls)
    ScriptedOpenAI.prompts = []
    # the monolith reads its provider and key from the environment (optimized_search_system.py:1069-1071,
    # llm_query_enhancer.py _init_client); real_monolith restores the environment afterwards
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-scripted-teacher")
    yield fw, calls
    adapters.uninstall()
    fw.close()


def captured(fw, tmp_path, capability: str) -> list[dict]:
    return [line for line in iter_lines(str(tmp_path / "capture"), capability) if line["kind"] == "example"]


def assert_record_is_the_students_view(fw, record: dict) -> None:
    """The record's prompt, hashes and template are what the model side renders for this request."""
    capability = record["capability"]
    route = fw.route(capability)
    request = fw.coerce(capability, record["request"])
    prompt = pipeline.render_prompt(route, request)
    assert (record["system"], record["user"]) == (prompt.system, prompt.user)
    assert record["input_hash"] == input_fingerprint(request)
    assert record["template_version"] == route.template_version
    assert record["schema_hash"] == schema_hash(route.spec.output_model)
    assert record["mode"] == "shadow" and record["redactions"] == {}
    valid = route.spec.output_model.model_validate(record["output"])  # valid under the output schema
    assert valid.model_dump(mode="json", exclude={"provenance"}) == record["output"]


# --------------------------------------------------------------------------- tests


def test_captured_records_hold_the_teachers_answers_in_the_output_schema(real_monolith, shadow_capture, endpoint,
                                                                        tmp_path, monkeypatch):
    fw, calls = shadow_capture
    qe_module = real_monolith.load("llm_query_enhancer")
    monkeypatch.setattr(qe_module, "OpenAI", ScriptedOpenAI)  # the monolith's OpenAI client is the teacher
    monkeypatch.setattr(qe_module, "OPENAI_AVAILABLE", True)
    oss = real_monolith.load("optimized_search_system")
    matcher_module = real_monolith.load_matcher()
    llm_module = sys.modules["matcher.llm_service"]
    monkeypatch.setattr(llm_module.LLMService, "__call__", scripted_llm_service_call)
    inst = adapters.install(framework=fw)
    assert {"query_enhancer", "job_parser"} <= set(inst.patched)

    # optimized_search_system.py:1069-1073 then :1890, as the search system runs them
    enhancer = oss.get_llm_query_enhancer(provider=os.getenv("LLM_PROVIDER", "huggingface"),
                                          model=os.getenv("LLM_MODEL"), device=os.getenv("LLM_DEVICE"))
    assert isinstance(enhancer.client, ScriptedOpenAI)  # shadow: the monolith's own client, built by _init_client
    for query in QUERIES:
        enhanced = enhancer.enhance_query(query, use_llm=True)
        if query == PROSE_QUERY:
            assert enhanced["intent"] == "unknown"  # the monolith's rule fallback answered the user
        else:  # the user got the teacher's answer in the monolith's shape
            assert enhanced["synonyms"] == query_teacher(query)["synonyms"] and enhanced["original_query"] == query
    assert len(ScriptedOpenAI.prompts) == len(QUERIES)  # every call reached the monolith's client

    matcher = matcher_module.EnhancedTalentMatcher("sk-unused", "user", "password")
    for posting in POSTINGS:
        requirements = matcher.extract_job_requirements(posting)  # enhanced_matcher.py:116-118
        assert requirements["mandatory_skills"] == job_teacher(posting)["mandatory_skills"]
    fw.close()  # drains the shadow pool and the capture writer

    for capability, n in (("query_enhancer", len(QUERIES)), ("job_parser", len(POSTINGS))):
        assert calls.seen[capability] == Counter({("shadow", "legacy", "success"): n}), capability
        assert sm_calls(endpoint, capability) == n, capability  # and the model side answered every one in shadow
        assert fw.capture.totals.invalid[capability] == 1, capability
        assert fw.capture.totals.stored[capability] == n - 1, capability

    cases = (("query_enhancer", "query", QUERIES, PROSE_QUERY, expected_query_output),
             ("job_parser", "job_description", POSTINGS, OVER_BOUND, expected_job_output))
    for capability, field, inputs, not_a_teacher, expected in cases:
        records = captured(fw, tmp_path, capability)
        by_input = {r["request"][field]: r for r in records}  # one record per call, each for its own input
        assert len(records) == len(inputs) - 1 and set(by_input) == set(inputs) - {not_a_teacher}, capability
        for text, record in by_input.items():
            assert_record_is_the_students_view(fw, record)
            assert record["output"] == expected(text), text
            assert text in record["user"]
    assert {r["output"]["work_mode"] for r in records} == {"remote", None}  # both matcher location shapes mapped
