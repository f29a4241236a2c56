"""Drop-in for ``explainable_ai.models.recruitment_ai`` (docs/monolith-interfaces.md §5): ``ExplainableRecruitmentAI``.

``explain_candidate_selection(candidate_profile, job_query, match_scores,
ranking_position)`` returns a ``DecisionExplanation`` (the monolith's
dataclass when loaded) with ``FeatureContribution`` items, on the 0-100
scale, after the monolith's exact input validation (``ValueError`` for a
non-dict profile or scores, or an empty/non-string query).

The explanation comes from the ``explanation_generator`` capability. Only
the structured, non-identifying profile fields go into the prompt (skills,
years, seniority, education, location, industries, previous roles): name,
e-mail, phone and resume text stay out (docs/prior-art.md B25). ``overall_score`` is
the caller's own ``match_scores['overall_score']`` (clamped to 0..100), as
in the monolith; the model explains it, it does not re-score.

The legacy side (``Framework.call`` decides when it answers): the monolith's
own class when given, else a deterministic rule-based explanation. The
copy-C monolith raises ``KeyError`` on every valid call
(docs/monolith-interfaces.md §5); the wrapped legacy answers that one known
defect with the rule-based explanation (B9). Any other exception the legacy
code raises (its ``ValueError`` validation included) propagates unchanged.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any, Dict, List

from adeptai_sagemaker.adapters import _shapes
from adeptai_sagemaker.adapters._common import (LegacySide, clamp, clean_json_value, framework_source, guarded_call,
                                                safe_text, str_list)
from adeptai_sagemaker.adapters._patching import Found, PatchLog, Wiring, bound_class

log = logging.getLogger("adeptai_sagemaker.adapters")

CAPABILITY = "explanation_generator"
SCORE_KEYS = ("overall_score", "technical_skills_score", "experience_score", "seniority_score", "education_score",
              "soft_skills_score", "location_score")
PROFILE_KEYS = ("skills", "experience_years", "seniority_level", "education", "location", "industries",
                "previous_roles", "certifications")
#: Rule-based fallback weights (sum 1.0): how much each feature moves the explanation.
WEIGHTS = {
    "technical_skills_match": 0.28, "experience_years_match": 0.16, "seniority_level_match": 0.10,
    "education_match": 0.08, "soft_skills_match": 0.08, "location_match": 0.06, "domain_relevance": 0.10,
    "skill_breadth": 0.04, "experience_gap": 0.05, "seniority_gap": 0.05,
}
DESCRIPTIONS = {
    "technical_skills_match": "technical skills match", "experience_years_match": "years of experience",
    "seniority_level_match": "seniority level", "education_match": "education", "soft_skills_match": "soft skills",
    "location_match": "location", "domain_relevance": "domain relevance", "skill_breadth": "breadth of skills",
    "experience_gap": "experience gap to the requirement", "seniority_gap": "seniority gap to the requirement",
}
RECOMMENDATIONS = {
    "Strongly recommend": "Strongly recommend for interview.",
    "Recommend": "Recommend for interview.",
    "Consider": "Consider for the role.",
    "Not recommended": "Not recommended at this time.",
}
_SENIORITY = {"intern": 0, "entry": 1, "junior": 1, "mid": 2, "senior": 3, "lead": 4, "principal": 4,
              "staff": 4, "director": 5, "executive": 5}


def validate_inputs(candidate_profile: Any, job_query: Any, match_scores: Any) -> None:
    """The monolith's input validation, verbatim in effect."""
    if not isinstance(candidate_profile, dict):
        raise ValueError("candidate_profile must be a dict")
    if not isinstance(match_scores, dict):
        raise ValueError("match_scores must be a dict")
    if not isinstance(job_query, str) or not job_query.strip():
        raise ValueError("job_query must be a non-empty string")


#: Score keys callers really send, mapped to the explanation's own keys: the monolith's matcher
#: (``overall_match_percentage``, ``skill_overlap``, ``experience_relevance``...) and the short names
#: (``skill_match``, ``experience_match``...) used by its search results.
SCORE_ALIASES = {
    "overall_match_percentage": "overall_score", "match_score": "overall_score", "overall": "overall_score",
    "skill_overlap": "technical_skills_score", "skill_match": "technical_skills_score",
    "skills_score": "technical_skills_score", "technical_score": "technical_skills_score",
    "experience_relevance": "experience_score", "experience_match": "experience_score",
    "seniority_match": "seniority_score", "education_relevance": "education_score", "education_match": "education_score",
    "soft_skills_match": "soft_skills_score", "location_relevance": "location_score", "location_match": "location_score",
}
#: Weights of the component scores when the caller sends no overall score (the technical-to-location
#: part of WEIGHTS, renormalised over the components given).
_COMPONENT_WEIGHTS = {"technical_skills_score": 0.28, "experience_score": 0.16, "seniority_score": 0.10,
                      "education_score": 0.08, "soft_skills_score": 0.08, "location_score": 0.06}


def canonical_scores(match_scores: Dict[str, Any]) -> Dict[str, float]:
    """The caller's numeric scores under the explanation's own keys, on the 0-100 scale.

    Aliases are mapped (an explicit canonical key wins); a dict whose scores are all within 0..1 is
    read as fractions and scaled to 0-100; with no overall score, it is the weighted mean of the
    components given, so "skill match 0.86, experience match 0.9" is a strong candidate, not 0.0.
    """
    raw = {k: float(v) for k, v in match_scores.items()
           if isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
    out: Dict[str, float] = {}
    for key, value in raw.items():
        canonical = key if key in SCORE_KEYS else SCORE_ALIASES.get(key)
        if canonical and (canonical not in out or key == canonical):
            out[canonical] = value
    if out and all(0.0 <= v <= 1.0 for v in out.values()):
        out = {k: v * 100.0 for k, v in out.items()}
    out = {k: clamp(v, 0.0, 100.0, default=0.0) for k, v in out.items()}
    if "overall_score" not in out:
        parts = {k: w for k, w in _COMPONENT_WEIGHTS.items() if k in out}
        if parts:
            out["overall_score"] = round(sum(out[k] * w for k, w in parts.items()) / sum(parts.values()), 1)
    return out


def normalized_scores(match_scores: Dict[str, Any]) -> Dict[str, float]:
    canonical = canonical_scores(match_scores)
    return {key: canonical.get(key, 0.0) for key in SCORE_KEYS}


def _years(value: Any) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0


def _band(score: float) -> str:
    return "excellent" if score >= 85 else "good" if score >= 70 else "average" if score >= 55 else "below-average"


def _recommendation_label(score: float) -> str:
    return ("Strongly recommend" if score >= 85 else "Recommend" if score >= 70 else "Consider" if score >= 55
            else "Not recommended")


def _summary(position: Any, score: float, positives: List[str], negatives: List[str]) -> str:
    band = _band(score)
    article = "an" if band[0] in "aeiou" else "a"
    text = f"Candidate #{position} has {article} {band} score of {score:.1f}."
    if positives:
        text += " Strengths: " + ", ".join(DESCRIPTIONS.get(p, p) for p in positives) + "."
    if negatives:
        text += " Concerns: " + ", ".join(DESCRIPTIONS.get(n, n) for n in negatives) + "."
    return text


class ExplainableRecruitmentAI:
    """SageMaker-backed ``ExplainableRecruitmentAI`` (zero-argument constructor)."""

    __adeptai_adapter__ = True

    def __init__(self, *, framework: Any = None, legacy: Any = None, types_module: Any = None):
        self._get_fw = framework_source(framework)
        self._legacy = LegacySide(legacy, "explain_candidate_selection", "ExplainableRecruitmentAI")
        self._explanation_cls = _shapes.legacy_type("DecisionExplanation", types_module)
        self._contribution_cls = _shapes.legacy_type("FeatureContribution", types_module)

    # ------------------------------------------------------------------ rule-based explanation

    def rule_based(self, candidate_profile: Dict[str, Any], job_query: str, match_scores: Dict[str, Any],
                   ranking_position: Any) -> Any:
        """Deterministic explanation from the scores and profile; the last resort, never raises."""
        try:
            return self._rule_based(candidate_profile, job_query, match_scores, ranking_position)
        except Exception as exc:  # defensive: a bug here must still not reach the caller
            log.warning("rule-based explanation failed (%s)", type(exc).__name__)
            score = canonical_scores(match_scores).get("overall_score", 0.0) if isinstance(match_scores, dict) else 0.0
            return _shapes.build(self._explanation_cls, overall_score=score, feature_contributions=[],
                                 top_positive_factors=[], top_negative_factors=[],
                                 decision_summary=_summary(ranking_position, score, [], []), confidence_level="Low",
                                 recommendation=RECOMMENDATIONS[_recommendation_label(score)], risk_factors=[],
                                 strength_areas=[])

    def _rule_based(self, profile, job_query, match_scores, position):
        scores = normalized_scores(match_scores)
        query = safe_text(job_query).lower()
        years = _years(profile.get("experience_years"))
        seniority = profile.get("seniority_level")
        seniority = seniority.lower() if isinstance(seniority, str) else "mid"
        skills = profile.get("skills") if isinstance(profile.get("skills"), list) else []
        req_years = re.search(r"(\d{1,2})\s*\+?\s*(?:years|yrs)", query)
        req_years = int(req_years.group(1)) if req_years else 0
        req_level = next((lvl for word, lvl in _SENIORITY.items() if re.search(rf"\b{word}\b", query)), None)
        domain_terms = [safe_text(t).lower() for key in ("industries", "previous_roles")
                        for t in (profile.get(key) if isinstance(profile.get(key), list) else [])]
        domain = 1.0 if any(t and t in query for t in domain_terms) else (0.5 if domain_terms else 0.0)
        values = {
            "technical_skills_match": scores["technical_skills_score"] / 100, "experience_years_match":
            scores["experience_score"] / 100, "seniority_level_match": scores["seniority_score"] / 100,
            "education_match": scores["education_score"] / 100, "soft_skills_match": scores["soft_skills_score"] / 100,
            "location_match": scores["location_score"] / 100, "domain_relevance": domain,
            "skill_breadth": min(len(skills) / 20.0, 1.0),
            "experience_gap": max(0.0, 1.0 - abs(years - req_years) / 10.0) if req_years else 1.0,
            "seniority_gap": (max(0.0, 1.0 - abs(_SENIORITY.get(seniority, 2) - req_level) / 3.0)
                              if req_level is not None else 1.0),
        }
        total = sum(values[n] * w for n, w in WEIGHTS.items()) or 1.0
        contributions = []
        for name, weight in WEIGHTS.items():
            value = values[name]
            direction = "positive" if value >= 0.6 else "negative" if value < 0.4 else "neutral"
            contribution = round(value * weight, 4)
            contributions.append(_shapes.build(
                self._contribution_cls, feature_name=name, contribution=contribution,
                percentage=round(contribution / total * 100, 2), direction=direction,
                explanation=f"{DESCRIPTIONS[name].capitalize()}: {value * 100:.0f}/100 ({direction}).",
            ))
        contributions.sort(key=lambda fc: fc.contribution, reverse=True)
        positives = [fc.feature_name for fc in contributions if fc.direction == "positive"][:3]
        negatives = [fc.feature_name for fc in contributions if fc.direction == "negative"][:3]
        overall = scores["overall_score"]
        provided = sum(1 for k in SCORE_KEYS if k in canonical_scores(match_scores))
        confidence = "High" if provided >= 6 else "Moderate" if provided >= 3 else "Low"
        risks = [f"Concern with {DESCRIPTIONS[n]}" for n in negatives]
        if years < 2:
            risks.append("Limited professional experience")
        if not skills:
            risks.append("No technical skills listed")
        return _shapes.build(
            self._explanation_cls, overall_score=overall, feature_contributions=contributions,
            top_positive_factors=positives, top_negative_factors=negatives,
            decision_summary=_summary(position, overall, positives, negatives), confidence_level=confidence,
            recommendation=RECOMMENDATIONS[_recommendation_label(overall)], risk_factors=risks[:5],
            strength_areas=[f"Strong {DESCRIPTIONS[p]}" for p in positives][:5],
        )

    # ------------------------------------------------------------------ mapping

    def _to_legacy(self, out: Any, match_scores: Dict[str, Any]) -> Any:
        caller_score = match_scores.get("overall_score")
        overall = clamp(caller_score if caller_score is not None else out.overall_score, 0.0, 100.0,
                        default=clamp(out.overall_score, 0.0, 100.0, default=0.0))
        contributions = [
            _shapes.build(self._contribution_cls, feature_name=fc.feature_name,
                          contribution=clamp(fc.contribution, -1.0, 1.0, default=0.0),
                          percentage=clamp(fc.percentage, -100.0, 100.0, default=0.0),
                          direction=fc.direction if fc.direction in ("positive", "negative", "neutral") else "neutral",
                          explanation=safe_text(fc.explanation))
            for fc in out.feature_contributions
        ]
        contributions.sort(key=lambda fc: fc.contribution, reverse=True)
        return _shapes.build(
            self._explanation_cls, overall_score=overall, feature_contributions=contributions,
            top_positive_factors=str_list(out.top_positive_factors), top_negative_factors=str_list(out.top_negative_factors),
            decision_summary=safe_text(out.decision_summary), confidence_level=str(out.confidence_level),
            recommendation=RECOMMENDATIONS.get(str(out.recommendation), str(out.recommendation)),
            risk_factors=str_list(out.risk_factors), strength_areas=str_list(out.strength_areas),
        )

    @staticmethod
    def _from_legacy(value: Any) -> Dict[str, Any]:
        """The reverse of ``_to_legacy``: the monolith's explanation object as ``ExplanationOutput`` fields
        (teacher capture). The recommendation sentence goes back to its label; the legacy shape has no
        separate reasoning, so the decision summary stands for it."""
        labels = {sentence: label for label, sentence in RECOMMENDATIONS.items()}
        recommendation = str(getattr(value, "recommendation", ""))
        return {
            "overall_score": getattr(value, "overall_score", None),
            "decision_summary": getattr(value, "decision_summary", None),
            "reasoning": getattr(value, "decision_summary", None),
            "recommendation": labels.get(recommendation, recommendation),
            "confidence_level": getattr(value, "confidence_level", None),
            "feature_contributions": [
                {"feature_name": getattr(fc, "feature_name", None), "contribution": getattr(fc, "contribution", None),
                 "percentage": getattr(fc, "percentage", None), "direction": getattr(fc, "direction", None),
                 "explanation": getattr(fc, "explanation", None)}
                for fc in (getattr(value, "feature_contributions", None) or [])],
            **{name: str_list(getattr(value, name, None)) for name in (
                "top_positive_factors", "top_negative_factors", "strength_areas", "risk_factors")},
        }

    def _fallback(self, candidate_profile, job_query, match_scores, ranking_position):
        """The legacy side: the monolith's class, wrapped so its known ``KeyError`` defect (copy C, every valid
        call) answers with the rule-based explanation; any other exception it raises propagates."""
        legacy = self._legacy.get()
        if legacy is not None:
            try:
                return legacy.explain_candidate_selection(candidate_profile, job_query, match_scores, ranking_position)
            except KeyError as exc:
                log.warning("legacy explanation hit its KeyError defect (%s); rule-based explanation",
                            type(exc).__name__)
        return self.rule_based(candidate_profile, job_query, match_scores, ranking_position)

    # ------------------------------------------------------------------ public API

    def explain_candidate_selection(self, candidate_profile: Dict[str, Any], job_query: str,
                                    match_scores: Dict[str, float], ranking_position: int) -> Any:
        validate_inputs(candidate_profile, job_query, match_scores)
        try:
            position = max(1, int(ranking_position))
        except (TypeError, ValueError, OverflowError):
            position = 1
        profile = {k: clean_json_value(candidate_profile[k]) for k in PROFILE_KEYS if k in candidate_profile}
        scores = canonical_scores(match_scores)
        return guarded_call(
            self._get_fw, CAPABILITY,
            lambda: {"candidate_profile": profile, "job_query": safe_text(job_query, 4000),
                     "match_scores": scores, "ranking_position": position},
            legacy=lambda: self._fallback(candidate_profile, job_query, match_scores, ranking_position),
            to_legacy=lambda out: self._to_legacy(out, scores), from_legacy=self._from_legacy,
        )


# --------------------------------------------------------------------------- wiring into the monolith


def wire(patches: PatchLog, found: Found, framework: Any) -> None:
    """``explainable_ai`` and ``…models.recruitment_ai``: ``ExplainableRecruitmentAI`` becomes the adapter
    bound to ``framework``, the monolith's class its legacy side (one replacement shared by both)."""
    for m in found["explainable_models"] + found["explainable"]:
        original = m.__dict__.get("ExplainableRecruitmentAI")
        if original is None or getattr(original, "__adeptai_adapter__", False):
            continue
        replacement = patches.replacement_for(original)
        if replacement is None:
            replacement = bound_class(ExplainableRecruitmentAI, "ExplainableRecruitmentAI", framework=framework,
                                      legacy=original, types_module=m)
            patches.swap(original, replacement)
        patches.set(m, "ExplainableRecruitmentAI", replacement, m.__name__)


WIRING = Wiring(CAPABILITY, roles={"explainable": ("explainable_ai",),
                                   "explainable_models": ("explainable_ai.models.recruitment_ai",)},
                wire=wire, monolith_flag="enable_explainable_ai")
