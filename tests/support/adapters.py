"""Shared pieces of the adapter contract tests: the stand-in monolith on sys.path, a scripted model behind
the real local endpoint (boto3 -> HTTP -> TGI dialect), framework builders, and fixtures.

Test modules import the fixtures by name (``from support.adapters import ...``) so pytest picks them up.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

MONOLITH_DIR = Path(__file__).parents[1] / "monolith"
if str(MONOLITH_DIR) not in sys.path:
    sys.path.insert(0, str(MONOLITH_DIR))

CAPS = ("query_enhancer", "behavioral_analyzer", "market_intelligence", "job_parser", "explanation_generator")
MODES = ("off", "shadow", "canary:0", "canary:100", "on")

CANNED = {
    "query_enhancer": {
        "intent": "skill_search", "synonyms": ["Python engineer", "Pythonista"], "related_skills": ["Django", "Flask"],
        "job_variations": ["Backend Developer"], "industry_terms": ["software"],
        "expanded_terms": ["python", "django", "flask", "backend developer", "pythonista", "fastapi"],
        "disambiguation": {}, "entities": {"skills": ["Python"], "location": None, "min_years": None, "title": None},
        "language": "en", "provenance": "scripted-test-model",
    },
    "behavioral_analyzer": {
        "overall_score": 0.72, "leadership_score": 0.8, "collaboration_score": 0.7, "innovation_score": 0.6,
        "adaptability_score": 0.65, "stability_score": 0.7, "growth_potential": 0.75,
        "emotional_intelligence": 0.6, "stress_resilience": 0.55, "communication_effectiveness": 0.7,
        "technical_depth": 0.85, "learning_agility": 0.7, "problem_solving_ability": 0.8,
        "cultural_alignment": 0.6, "technical_fit": 0.82, "cultural_fit": 0.61, "confidence": 0.66,
        "data_completeness": 0.5, "work_style_preferences": ["collaborative", "autonomous"],
        "strengths": ["led a team of five"], "development_areas": ["public speaking"],
        "behavioral_patterns": ["ownership"], "risk_factors": ["short tenures"], "detected_domain": "tech",
        "current_level": "senior", "reasoning": "Evidence from the resume.",
    },
    "market_intelligence": {
        "analysis_type": "market", "summary": "Demand for Python engineers is rising.",
        "insights": ["remote roles grow"], "recommendations": ["widen the search radius"], "confidence": 0.7,
        "talent_availability": None, "compensation_trends": None, "behavioral_insights": None, "screening": None,
        "skill_evolution": {"emerging_skills": ["LLM ops"], "declining_skills": [], "confidence_score": 0.6},
    },
    "job_parser": {
        "title": "Senior Python Engineer", "mandatory_skills": ["Python", "AWS"], "preferred_skills": ["Docker"],
        "years_experience": 5, "education_level": "bachelor", "location": "Austin, TX", "work_mode": "hybrid",
        "salary_range": None, "seniority_level": "senior", "employment_type": "full_time",
    },
    "explanation_generator": {
        "overall_score": 80.0, "decision_summary": "Strong technical match for the role.",
        "reasoning": "Skills match; experience meets the bar.", "recommendation": "Recommend",
        "confidence_level": "High",
        "feature_contributions": [
            {"feature_name": "technical_skills_match", "contribution": 0.3, "percentage": 40.0,
             "direction": "positive", "explanation": "Python and AWS match."},
            {"feature_name": "location_match", "contribution": -0.05, "percentage": -5.0,
             "direction": "negative", "explanation": "Different city."},
        ],
        "top_positive_factors": ["technical_skills_match"], "top_negative_factors": ["location_match"],
        "strength_areas": ["Strong technical skills"], "risk_factors": ["Relocation needed"],
    },
}


class ScriptedModel:
    """A model behind the local endpoint: answers each task's rendered prompt with canned, schema-valid JSON
    (``invalid`` tasks get prose instead). Thread-safe; counts calls per task."""

    version = "scripted-1"

    def __init__(self):
        self.invalid: set[str] = set()
        self.overrides: dict[str, object] = {}
        self.calls: Counter = Counter()
        self.lock = threading.Lock()

    def reset(self):
        with self.lock:
            self.invalid.clear()
            self.overrides.clear()
            self.calls.clear()

    def generate(self, prompt_text, params):
        match = re.search(r"### TASK: (\w+)", prompt_text)
        task = match.group(1) if match else "?"
        with self.lock:
            self.calls[task] += 1
            invalid = task in self.invalid
            body = self.overrides.get(task, CANNED.get(task, {}))
        if invalid:
            return "Sure! Here is my analysis in prose, not JSON."
        return json.dumps(body)


@pytest.fixture(scope="session")
def scripted_endpoint():
    """A local endpoint (real HTTP, TGI dialect) answered by one shared ``ScriptedModel`` (``.model``)."""
    pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra (uvicorn)")
    from adeptai_sagemaker_lab.server.runner import LocalEndpoint

    model = ScriptedModel()
    with LocalEndpoint(default_dialect="tgi", backend=model) as ep:
        ep.model = model
        yield ep


@pytest.fixture()
def endpoint(scripted_endpoint, aws_env):
    """The scripted endpoint, reset, with dummy AWS credentials in the environment. Adapter test modules
    import it by name, so in them it replaces the module-configured ``endpoint`` of ``tests/conftest.py``."""
    scripted_endpoint.model.reset()
    scripted_endpoint.clear_faults()
    yield scripted_endpoint
    scripted_endpoint.clear_faults()
    scripted_endpoint.model.reset()


def endpoint_name(capability: str) -> str:
    return f"ep-{capability}"


def make_framework(url, tmp_path, mode="on", *, fallback=True, modes=None, cache=False, **settings_overrides):
    """A framework whose five adapter capabilities point at ``url`` (one attempt, no re-ask: fast faults)."""
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    modes = modes or {}
    caps = {c: {"endpoint": endpoint_name(c), "mode": modes.get(c, mode), "max_attempts": 1, "max_reasks": 0,
                "read_timeout": 5.0, "connect_timeout": 2.0, "cache": True if cache else None} for c in CAPS}
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=url,
                             sagemaker_llm_fallback=fallback, adeptai_sagemaker_cache_dir=tmp_path / "cache",
                             adeptai_sagemaker_state_dir=tmp_path / "state", adeptai_sagemaker_plugins="",
                             capabilities=caps, **settings_overrides)
    return Framework(settings, load_entrypoints=False, cache=cache)


@pytest.fixture()
def fw_factory(endpoint, tmp_path):
    """Build frameworks against the scripted endpoint; all are closed after the test."""
    made = []

    def build(mode="on", **kwargs):
        fw = make_framework(endpoint.url, tmp_path, mode, **kwargs)
        made.append(fw)
        return fw

    yield build
    for fw in made:
        fw.close()


def sm_calls(endpoint, capability: str) -> int:
    return endpoint.model.calls[capability]


def fail(endpoint, capability: str, kind: str = "service_unavailable", **spec):
    """Make every call to ``capability``'s endpoint fail with ``kind``."""
    endpoint.set_faults(endpoint_name(capability), kind=kind, **spec)


def wait_shadow(fw):
    """Let shadow calls finish (the framework's shadow pool drains on close)."""
    fw.close()
