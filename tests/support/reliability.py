"""Shared pieces of the reliability, hostile-input and privacy suites.

Why a module and not fixtures: the load test runs capability calls in worker
processes, which cannot receive fixtures; plain functions import anywhere.
Everything here talks only to 127.0.0.1 and uses dummy AWS credentials (the ``aws_env`` fixture in
``tests/conftest.py``; worker processes set ``support.env.DUMMY_AWS_ENV`` themselves).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.core.prompting import parse_prompt
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from support.env import DUMMY_AWS_ENV, free_port


JOB_TEXT = ("Senior Python Engineer in Boston, MA (hybrid). Required: 5+ years of Python, AWS and SQL. "
            "Nice to have: Kubernetes. Bachelor's degree. $120k-$150k per year. Full-time.")
RESUME_TEXT = ("Software engineer with 7 years of Python, AWS and PostgreSQL. Led a team of four, mentored "
               "juniors, shipped a payments platform. BSc Computer Science. Based in Boston, MA.")


def request_for(capability: str, text: str) -> dict[str, Any]:
    """A valid request for ``capability`` that carries ``text`` in its user-text field."""
    if capability == "query_enhancer":
        return {"query": text[:2000]}  # the search box is bounded by the input model (2,000 chars)
    if capability == "behavioral_analyzer":
        return {"resume_text": text, "job_description": JOB_TEXT, "target_role": "Senior Engineer"}
    if capability == "market_intelligence":
        return {"prompt": text[:200_000], "focus_area": "software engineering"}
    if capability == "job_parser":
        return {"job_description": text}
    if capability == "explanation_generator":
        return {"candidate_profile": {"full_name": "Candidate", "skills": ["Python", "AWS"], "experience_years": 7,
                                      "resume_text": text, "location": "Boston, MA"},
                "job_query": "senior python engineer", "match_scores": {"overall_score": 72.0, "skill_match": 80.0},
                "ranking_position": 1}
    if capability == "resume_summarizer":
        return {"resume_text": text, "job_description": JOB_TEXT}
    if capability == "question_generator":
        return {"job_description": JOB_TEXT, "resume_text": text, "num_questions": 4}
    if capability == "candidate_matcher":
        return {"job_description": JOB_TEXT, "resume_text": text}
    raise KeyError(capability)


def unbounded_capabilities() -> list[str]:
    """Capabilities whose user text has no input-model length limit (truncated in the prompt instead)."""
    return [c for c in CAPABILITIES if c not in ("query_enhancer", "market_intelligence")]


# ------------------------------------------------------------------ canned model answers (schema-valid)

_TERMS = ["Python", "AWS"]
CANNED: dict[str, dict[str, Any]] = {
    "query_enhancer": {"intent": "skill_search", "synonyms": ["py"], "related_skills": ["Django"],
                       "job_variations": ["Python Developer"], "industry_terms": ["backend"],
                       "expanded_terms": ["python", "django"], "disambiguation": {},
                       "entities": {"skills": ["Python"], "location": None, "min_years": None, "title": None},
                       "language": "en", "provenance": "canned"},
    "behavioral_analyzer": {**{k: 0.5 for k in (
        "overall_score", "leadership_score", "collaboration_score", "innovation_score", "adaptability_score",
        "stability_score", "growth_potential", "emotional_intelligence", "stress_resilience",
        "communication_effectiveness", "technical_depth", "learning_agility", "problem_solving_ability",
        "cultural_alignment", "technical_fit", "cultural_fit", "confidence", "data_completeness")},
        "work_style_preferences": [], "strengths": ["delivery"], "development_areas": [], "behavioral_patterns": [],
        "risk_factors": [], "detected_domain": "tech", "current_level": None, "reasoning": "Canned answer.",
        "provenance": "canned"},
    "market_intelligence": {"analysis_type": "market", "summary": "Canned.", "insights": ["demand"],
                            "recommendations": ["hire"], "confidence": 0.5, "talent_availability": None,
                            "compensation_trends": None, "skill_evolution": None, "behavioral_insights": None,
                            "screening": None, "provenance": "canned"},
    "job_parser": {"title": "Engineer", "mandatory_skills": _TERMS, "preferred_skills": [], "years_experience": 5,
                   "education_level": None, "location": None, "work_mode": None, "salary_range": None,
                   "seniority_level": None, "employment_type": None, "provenance": "canned"},
    "explanation_generator": {"overall_score": 72.0, "decision_summary": "Canned.", "reasoning": "Canned.",
                              "recommendation": "Recommend", "confidence_level": "Moderate",
                              "feature_contributions": [], "top_positive_factors": ["skills"], "top_negative_factors": [],
                              "strength_areas": ["Python"], "risk_factors": [], "provenance": "canned"},
    "resume_summarizer": {"summary": "Canned summary.", "headline": None, "years_experience": None,
                          "seniority_level": None, "highlighted_skills": [], "matched_skills": _TERMS,
                          "missing_skills": [], "provenance": "canned"},
    "question_generator": {"questions": [{"question": "Tell me about Python.", "type": "technical",
                                          "rationale": None, "skill": "Python"}],
                           "provenance": "canned"},
    "candidate_matcher": {"overall_score": 70.0, "skill_match": 80.0, "experience_match": 70.0,
                          "education_match": 60.0, "location_match": 100.0, "matched_skills": _TERMS,
                          "missing_skills": [], "recommendation": "match", "reasoning": "Canned.",
                          "provenance": "canned"},
}


class CannedBackend:
    """A backend that answers every capability with a fixed schema-valid JSON (or a scripted text).

    ``reply(capability, prompt) -> str`` overrides the answer; prompts are kept
    (count only) so tests can assert what reached the model.
    """

    name = "sagemaker"

    def __init__(self, reply: Optional[Callable[[str, Any], str]] = None):
        self.reply = reply
        self.calls = 0
        self.prompt_chars: list[int] = []
        self.lock = threading.Lock()

    def complete(self, prompt, params, target) -> Completion:
        with self.lock:
            self.calls += 1
            self.prompt_chars.append(len(prompt.text))
        text = self.reply(prompt.task, prompt) if self.reply else json.dumps(CANNED[prompt.task])
        return Completion(text=text, usage=TokenUsage(len(prompt.text) // 4, len(text) // 4))


def reference_model_or_none():
    """The built-in reference model when it is importable, else None (its tests say why they skip)."""
    try:
        from adeptai_sagemaker_lab.reference_model import ReferenceModel  # type: ignore[attr-defined]
    except ImportError:
        return None
    return ReferenceModel()


class ReferenceInProcessBackend:
    """The reference model called in-process on the exact prompt text an endpoint would receive.

    Same answers as the local endpoint (whose default backend is this model),
    without HTTP, so property-based tests stay fast.
    """

    name = "sagemaker"

    def __init__(self, model):
        self.model = model
        self.calls = 0

    def complete(self, prompt, params, target) -> Completion:
        self.calls += 1
        return Completion(text=self.model.generate(prompt.text), usage=TokenUsage(None, None))


# ------------------------------------------------------------------ observers and frameworks


class Recorder:
    """Observer plugin: keeps every record the framework broadcasts."""

    def __init__(self):
        self.calls, self.invocations, self.circuits, self.shadows = [], [], [], []
        self.lock = threading.Lock()

    @hookimpl
    def on_call_finished(self, record):
        with self.lock:
            self.calls.append(record)

    @hookimpl
    def on_invocation(self, record):
        with self.lock:
            self.invocations.append(record)

    @hookimpl
    def on_circuit_change(self, event):
        with self.lock:
            self.circuits.append(event)

    @hookimpl
    def on_shadow_result(self, comparison):
        with self.lock:
            self.shadows.append(comparison)

    def all_records(self) -> list:
        with self.lock:
            return [*self.calls, *self.invocations, *self.circuits, *self.shadows]


def settings_for(*, endpoint_url: Optional[str] = None, capabilities=CAPABILITIES, cache_dir: Optional[Path] = None,
                 cap_options: Optional[dict[str, Any]] = None, endpoint_of: Callable[[str], str] = lambda c: f"ep-{c}",
                 **overrides: Any):
    """Settings with every named capability ``on`` at its own endpoint name."""
    caps = {c: {"endpoint": endpoint_of(c), "mode": "on", **(cap_options or {})} for c in capabilities}
    return load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=endpoint_url,
                         adeptai_sagemaker_cache_dir=cache_dir, capabilities=caps, **overrides)


class FakeClock:
    """A monotonic clock the test moves by hand (breaker cool-downs without sleeping)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def framework_for(settings, *, backend=None, cache: Any = False, plugins=(), clock=None) -> tuple[Framework, Recorder]:
    recorder = Recorder()
    extra = {"clock": clock} if clock is not None else {}
    fw = Framework(settings, plugins=[recorder, *plugins], load_entrypoints=False, cache=cache, **extra)
    if backend is not None:
        fw.sagemaker = backend
    return fw, recorder


def legacy_for(capability: str) -> Callable[[], Any]:
    """A stand-in for the monolith's original implementation (never fails)."""
    return lambda: {"legacy": True, "capability": capability}


class CannedModel:
    """A local-endpoint model backend (``ModelBackend`` protocol) answering each task's canned JSON.

    Transport-fault tests use it so what they measure (retries, breaker, fallback) does not depend
    on the reference model's answers; the reference model is exercised by the other suites.
    """

    version = "canned-1"

    def generate(self, prompt_text: str, params: dict) -> str:
        task = parse_prompt(prompt_text).task
        return json.dumps(CANNED.get(task or "", {"error": "unknown task"}))


def server_requests(endpoint, name: str) -> int:
    """Requests the local endpoint received for endpoint ``name`` (all outcomes)."""
    return endpoint.stats()["endpoints"].get(name, {}).get("requests", 0)


closed_port = free_port  # a port nobody listens on: connecting to it is refused


# ------------------------------------------------------------------ the monolith's call sites, through the adapters


def drive_adapters(fw, text: str, query: Optional[str] = None) -> dict[str, Any]:
    """Call each of the five adapters the way the monolith's call sites do (docs/monolith-interfaces.md §7).

    Returns each adapter's answer, in the caller's shape; any exception propagates, so
    tests can assert that none reaches a call site while fallback is on.
    """
    import asyncio

    from adeptai_sagemaker.adapters._shapes import LLMRequest, MultiSourceProfile, TaskComplexity
    from adeptai_sagemaker.adapters.behavioral import EnhancedBehavioralPipeline
    from adeptai_sagemaker.adapters.explainable_ai import ExplainableRecruitmentAI
    from adeptai_sagemaker.adapters.market_intelligence import HybridLLMService
    from adeptai_sagemaker.adapters.matcher import JobRequirementsExtractor
    from adeptai_sagemaker.adapters.query_enhancer import LLMQueryEnhancer

    out: dict[str, Any] = {}
    enhancer = LLMQueryEnhancer(framework=fw, use_cache=False)
    out["query_enhancer"] = enhancer.enhance_query(text if query is None else query, use_llm=True)
    pipeline = EnhancedBehavioralPipeline(framework=fw)
    out["behavioral"] = pipeline.analyze_comprehensive_profile(
        source_data=MultiSourceProfile(resume_text=text), target_role="Senior Engineer", job_description=JOB_TEXT)
    explainer = ExplainableRecruitmentAI(framework=fw)
    out["explainable_ai"] = explainer.explain_candidate_selection(
        candidate_profile={"full_name": "Candidate", "email": "c@example.org", "skills": ["Python"],
                           "experience_years": 5, "seniority_level": "senior", "resume_text": text,
                           "education": "BSc", "location": "Boston, MA"},
        job_query="senior python engineer", match_scores={"overall_score": 72.0, "skill_match": 80.0},
        ranking_position=1)
    service = HybridLLMService(framework=fw)
    request = LLMRequest(prompt=f"Analyze the talent market for this profile: {text}", system_prompt="",
                         max_tokens=512, temperature=0.2, complexity=TaskComplexity.MODERATE)
    loop = asyncio.new_event_loop()  # the monolith runs each call on a fresh loop
    try:
        out["market_intelligence"] = loop.run_until_complete(service.generate_response(request))
    finally:
        loop.close()
    out["matcher"] = JobRequirementsExtractor(framework=fw).extract_job_requirements(text)
    return out


def check_adapter_shapes(answers: dict[str, Any]) -> None:
    """The legacy shapes the call sites read (docs/monolith-interfaces.md §10)."""
    qe = answers["query_enhancer"]
    assert isinstance(qe, dict) and isinstance(qe["expanded_terms"], list)
    beh = answers["behavioral"]
    assert isinstance(beh, dict) and "behavioral_profile" in beh
    score = getattr(beh["behavioral_profile"], "overall_score", None)
    assert score is None or 0.0 <= score <= 1.0
    exp = answers["explainable_ai"]
    assert 0.0 <= float(exp.overall_score) <= 100.0 and isinstance(exp.feature_contributions, list)
    mi = answers["market_intelligence"]
    assert isinstance(mi.content, str)
    req = answers["matcher"]
    assert isinstance(req["mandatory_skills"], list) and "location" in req


class KeyedCannedModel(CannedModel):
    """Like CannedModel, but the answer carries a hash of the prompt's data blocks, so a cached
    answer can be traced to the input it belongs to (cross-process cache consistency)."""

    version = "keyed-1"

    def generate(self, prompt_text: str, params: dict) -> str:
        import hashlib

        parsed = parse_prompt(prompt_text)
        tag = "h" + hashlib.sha256(json.dumps(parsed.blocks, sort_keys=True).encode()).hexdigest()[:12]
        answer = dict(CANNED.get(parsed.task or "", {}))
        if parsed.task == "job_parser":
            answer["title"] = tag
        elif parsed.task == "query_enhancer":
            answer["expanded_terms"] = [tag]
        return json.dumps(answer)


class Counter:
    """Observer plugin that counts outcomes and reasons without keeping records (flat memory)."""

    def __init__(self):
        from collections import Counter as _C

        self.outcomes, self.reasons, self.attempts = _C(), _C(), 0
        self.lock = threading.Lock()

    @hookimpl
    def on_call_finished(self, record):
        with self.lock:
            self.outcomes[record.outcome] += 1
            if record.fallback_reason:
                self.reasons[record.fallback_reason] += 1

    @hookimpl
    def on_invocation(self, record):
        with self.lock:
            self.attempts += 1


def cache_worker(args: tuple) -> dict:
    """One worker process: job_parser and query_enhancer over shared inputs, with the shared cache.

    Returns {input_index: (job_parser title, query_enhancer term, cache_hit flags)} for the parent to compare.
    """
    url, cache_dir, prefix, n_inputs, seed = args
    for key, value in DUMMY_AWS_ENV.items():
        os.environ[key] = value
    import random

    settings = settings_for(endpoint_url=url, capabilities=["job_parser", "query_enhancer"],
                            endpoint_of=lambda c: f"{prefix}-{c}", cache_dir=Path(cache_dir))
    counter = Counter()
    fw = Framework(settings, plugins=[counter], load_entrypoints=False, cache=True)
    order = list(range(n_inputs)) * 2
    random.Random(seed).shuffle(order)
    seen: dict[int, tuple] = {}
    for i in order:
        jp = fw.call("job_parser", {"job_description": f"Posting {i}: Python engineer, {i % 9 + 1} years"}).value
        qe = fw.call("query_enhancer", {"query": f"python developer {i}"}).value
        pair = (jp.title, qe.expanded_terms[0])
        assert seen.setdefault(i, pair) == pair, "one process saw two answers for one input"
    fw.close()
    return {"answers": seen, "outcomes": dict(counter.outcomes)}
