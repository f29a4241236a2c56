"""Explanations of a candidate's rank, following the monolith's ExplainableRecruitmentAI.

Semantics kept from ``docs/monolith-interfaces.md`` §5: ten
features, the first six being the given match scores / 100; experience and
seniority gaps parsed from the job query; contribution = value x weight;
percentage = contribution / (overall / 100) x 100; direction from the feature
value (> 0.05 positive, < 0.02 negative); overall_score is the given overall
score unchanged; score bands 85 / 70 / 55. The monolith's exact weight table
is not recorded there; the weights below sum to 1 and rank the same way
(skills first). Percentages are clamped to the schema's -100..100.

A feature whose input was not given (a score key absent, a profile without
industries, roles, skills, years or level) is "not given": neutral, adding
nothing, and never a strength or a concern. A missing score is not a zero. With
no overall score given, the overall is the weighted mean of the scores given.
"""

from __future__ import annotations

import json
import re
from typing import Any

from adeptai_sagemaker_lab.reference_model import extract

FEATURES = ("technical_skills_match", "experience_years_match", "seniority_level_match", "education_match", "soft_skills_match",
            "location_match", "domain_relevance", "skill_breadth", "experience_gap", "seniority_gap")
WEIGHTS = {"technical_skills_match": 0.30, "experience_years_match": 0.20, "seniority_level_match": 0.10, "education_match": 0.10,
           "soft_skills_match": 0.08, "location_match": 0.07, "domain_relevance": 0.05, "skill_breadth": 0.05,
           "experience_gap": 0.03, "seniority_gap": 0.02}
SCORE_KEYS = {"technical_skills_match": "technical_skills_score", "experience_years_match": "experience_score",
               "seniority_level_match": "seniority_score", "education_match": "education_score",
               "soft_skills_match": "soft_skills_score", "location_match": "location_score"}
DESCRIPTIONS = {"technical_skills_match": "technical skills match", "experience_years_match": "years of experience",
                "seniority_level_match": "seniority level fit", "education_match": "education", "soft_skills_match": "soft skills",
                "location_match": "location", "domain_relevance": "domain relevance", "skill_breadth": "breadth of skills",
                "experience_gap": "experience versus the requirement", "seniority_gap": "seniority versus the requirement"}
_LEVEL_INDEX = {"intern": 0, "entry": 1, "junior": 2, "mid": 3, "senior": 4, "lead": 5, "principal": 6, "executive": 7}


def _float(value: Any, default: float = 0.0) -> float:
    try:
        out = float(value)
        return out if out == out and abs(out) != float("inf") else default
    except (TypeError, ValueError):
        return default


def _load(text: str) -> dict:
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def explain(job_query: str, ranking_position: str, match_scores: str, candidate_profile: str) -> dict:
    scores = _load(match_scores)
    profile = _load(candidate_profile)
    try:
        rank = max(1, int(str(ranking_position).strip() or 1))
    except ValueError:
        rank = 1
    years = int(_float(profile.get("experience_years")))
    level = str(profile.get("seniority_level") or "").lower()
    skills = profile.get("skills") if isinstance(profile.get("skills"), list) else []
    industries = profile.get("industries") if isinstance(profile.get("industries"), list) else []
    roles = profile.get("previous_roles") if isinstance(profile.get("previous_roles"), list) else []
    query = job_query or ""
    need_years = max(extract.years_mentions(query) + [int(m.group(1)) for m in re.finditer(r"(\d{1,2})\s*\+?\s*(?:years?|yrs?)", query, re.I)], default=0)
    need_level = extract.seniority_from_title(query)

    values: dict[str, float] = {}
    for feature, key in SCORE_KEYS.items():
        values[feature] = min(1.0, max(0.0, _float(scores.get(key)) / 100))
    words = set(re.findall(r"[a-z0-9+#.]+", query.lower()))
    domain_words = {w for item in industries + roles for w in re.findall(r"[a-z0-9+#.]+", str(item).lower())}
    values["domain_relevance"] = min(1.0, len(words & domain_words) / 3) if domain_words else 0.0
    values["skill_breadth"] = min(1.0, len(skills) / 15)
    values["experience_gap"] = max(-1.0, min(1.0, (years - need_years) / max(need_years, 1))) if need_years else 0.0
    values["seniority_gap"] = (max(-1.0, min(1.0, (_LEVEL_INDEX[level] - _LEVEL_INDEX[need_level]) / 3))
                               if need_level and level in _LEVEL_INDEX else 0.0)
    given = {feature for feature, key in SCORE_KEYS.items() if key in scores}
    given |= {f for f, ok in (("domain_relevance", bool(domain_words)), ("skill_breadth", "skills" in profile),
                              ("experience_gap", bool(need_years) and "experience_years" in profile),
                              ("seniority_gap", bool(need_level) and level in _LEVEL_INDEX)) if ok}
    if "overall_score" in scores:
        overall = min(100.0, max(0.0, _float(scores.get("overall_score"))))
    else:  # the weighted mean of the scores given, not a zero
        weight = sum(WEIGHTS[f] for f in SCORE_KEYS if f in given)
        overall = round(100 * sum(values[f] * WEIGHTS[f] for f in SCORE_KEYS if f in given) / weight, 1) if weight else 0.0

    contributions = []
    for feature in FEATURES:
        if feature not in given:
            contributions.append({"feature_name": feature, "contribution": 0.0, "percentage": 0.0, "direction": "neutral",
                                  "explanation": f"{DESCRIPTIONS[feature].capitalize()}: not given, so it adds nothing."})
            continue
        value = values[feature]
        contribution = round(value * WEIGHTS[feature], 4)
        percentage = round(max(-100.0, min(100.0, contribution / (overall / 100) * 100)), 2) if overall > 0 else 0.0
        direction = "positive" if value > 0.05 else "negative" if value < 0.02 else "neutral"
        if feature in ("experience_gap", "seniority_gap") and value == 0.0:
            direction = "neutral"
        text = (f"{DESCRIPTIONS[feature].capitalize()} scores {value:.2f}, adding {contribution:+.3f} to the match."
                if direction != "negative" else f"{DESCRIPTIONS[feature].capitalize()} is weak ({value:.2f}).")
        contributions.append({"feature_name": feature, "contribution": contribution, "percentage": percentage,
                              "direction": direction, "explanation": text})
    contributions.sort(key=lambda c: -c["contribution"])
    positives = [c for c in contributions if c["direction"] == "positive" and c["contribution"] > 0.05][:3]
    negatives = [c for c in contributions if c["direction"] == "negative" and c["contribution"] < 0.02][:3]
    band = "excellent" if overall >= 85 else "good" if overall >= 70 else "average" if overall >= 55 else "below-average"
    article = "an" if band[0] in "aeiou" else "a"
    summary = f"Candidate #{rank} has {article} {band} score of {overall:.1f}."
    if positives:
        summary += " Strengths: " + ", ".join(DESCRIPTIONS[c["feature_name"]] for c in positives) + "."
    if negatives:
        summary += " Concerns: " + ", ".join(DESCRIPTIONS[c["feature_name"]] for c in negatives) + "."
    recommendation = ("Strongly recommend" if overall >= 85 else "Recommend" if overall >= 70
                      else "Consider" if overall >= 55 else "Not recommended")
    provided = sum(1 for key in ["overall_score", *SCORE_KEYS.values()] if key in scores)
    strong = sum(1 for c in contributions if abs(c["contribution"]) >= 0.1)
    margin = min(abs(overall - t) for t in (85, 70, 55))
    if provided >= 6 and strong >= 2 and margin >= 5:
        confidence = "Very High"
    elif provided >= 4 and margin >= 3:
        confidence = "High"
    elif provided >= 2:
        confidence = "Moderate"
    else:
        confidence = "Low"
    risks = [f"Concern with {DESCRIPTIONS[c['feature_name']]}" for c in negatives]
    if "experience_years" in profile and years < 2:
        risks.append("Limited professional experience")
    if not skills:
        risks.append("No technical skills listed")
    strengths = [f"Strong {DESCRIPTIONS[c['feature_name']]}" for c in contributions if c["direction"] == "positive" and values[c["feature_name"]] >= 0.7]
    reasoning = ((f"The overall match score of {overall:.1f} is taken as given. " if "overall_score" in scores else
                  f"No overall score was given; {overall:.1f} is the weighted mean of the {len(given & set(SCORE_KEYS))} "
                  "scores given. ")
                 + (f"The largest contribution comes from {DESCRIPTIONS[contributions[0]['feature_name']]}. " if contributions else "")
                 + (f"The query asks for {need_years}+ years; the candidate has {years}. "
                    if need_years and "experience_years" in profile else "")
                 + f"Rank #{rank} in the result list.")
    return {
        "overall_score": overall, "decision_summary": summary, "reasoning": reasoning, "recommendation": recommendation,
        "confidence_level": confidence, "feature_contributions": contributions,
        "top_positive_factors": [DESCRIPTIONS[c["feature_name"]] for c in positives],
        "top_negative_factors": [DESCRIPTIONS[c["feature_name"]] for c in negatives],
        "strength_areas": strengths[:5], "risk_factors": risks[:5],
    }
