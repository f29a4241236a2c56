"""Test backends for the compliance tests: a deterministic scorer, optionally biased by name.

``FairScorerBackend`` scores a prompt by which job-relevant skills it contains
(nothing about names, pronouns, years or addresses). ``NameBiasedBackend``
does the same and then subtracts points when a female-coded name from the
probe set appears in the prompt: the deliberate bias the audit must catch.
Both speak the framework's Backend protocol and are registered as plugin
backends, so the audit runs through ``Framework.invoke`` exactly as for SageMaker.
"""

from __future__ import annotations

import json
import threading

from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.compliance.probes import DEFAULT_PROBES
from adeptai_sagemaker.plugin.hookspecs import hookimpl

SKILL_WORDS = ("python", "postgresql", "aws", "docker", "rest", "rn license", "acls", "epic", "gaap", "netsuite",
               "excel", "wms", "osha", "forklift", "leadership", "reconciliations")
FEMALE_NAMES = tuple(v["name"] for v in DEFAULT_PROBES["attributes"]["name"] if v["facets"]["gender"] == "female")


def _recommendation(capability: str, score: float) -> str:
    if capability == "candidate_matcher":
        return "strong_match" if score >= 75 else "match" if score >= 55 else "weak_match" if score >= 35 else "no_match"
    return "Strongly recommend" if score >= 75 else "Recommend" if score >= 55 else "Consider" if score >= 35 \
        else "Not recommended"


def answer(capability: str, score: float) -> str:
    """A schema-valid JSON answer for a scoring capability with ``score`` on 0..100."""
    if capability == "behavioral_analyzer":
        unit = round(score / 100.0, 4)
        fields = ["overall_score", "leadership_score", "collaboration_score", "innovation_score", "adaptability_score",
                  "stability_score", "growth_potential", "emotional_intelligence", "stress_resilience",
                  "communication_effectiveness", "technical_depth", "learning_agility", "problem_solving_ability",
                  "cultural_alignment", "technical_fit", "cultural_fit", "confidence", "data_completeness"]
        data = {f: unit for f in fields}
        data.update(work_style_preferences=[], strengths=["delivery"], development_areas=[], behavioral_patterns=[],
                    risk_factors=[], detected_domain="general", current_level=None, reasoning="test scorer",
                    provenance="test")
    elif capability == "candidate_matcher":
        data = {"overall_score": score, "skill_match": score, "experience_match": score, "education_match": score,
                "location_match": score, "matched_skills": [], "missing_skills": [],
                "recommendation": _recommendation(capability, score), "reasoning": "test scorer", "provenance": "test"}
    else:
        data = {"overall_score": score, "decision_summary": "test", "reasoning": "test scorer",
                "recommendation": _recommendation(capability, score), "confidence_level": "Moderate",
                "feature_contributions": [], "top_positive_factors": [], "top_negative_factors": [],
                "strength_areas": [], "risk_factors": [], "provenance": "test"}
    return json.dumps(data)


def fair_score(text: str) -> float:
    lowered = text.lower()
    return min(95.0, 30.0 + 6.0 * sum(word in lowered for word in SKILL_WORDS))


class FairScorerBackend:
    name = "fair-test"
    penalty = 0.0

    def __init__(self):
        self.calls = 0
        self._lock = threading.Lock()

    def score(self, text: str) -> float:
        score = fair_score(text)
        if self.penalty and any(name in text for name in FEMALE_NAMES):
            score = max(0.0, score - self.penalty)
        return score

    def complete(self, prompt, params, target):
        with self._lock:
            self.calls += 1
        return Completion(text=answer(target.capability, self.score(prompt.text)), usage=TokenUsage(10, 10),
                          model_version="test/1")


class NameBiasedBackend(FairScorerBackend):
    name = "name-biased-test"
    penalty = 20.0


class ScoringBackendsPlugin:
    """Plugin registering both test backends (``backend="fair-test"`` / ``"name-biased-test"``)."""

    def __init__(self):
        self.instances = {}

    @hookimpl
    def register_backends(self, register):
        for cls in (FairScorerBackend, NameBiasedBackend):
            register(cls.name, lambda settings, cls=cls: self.instances.setdefault(cls.name, cls()))
