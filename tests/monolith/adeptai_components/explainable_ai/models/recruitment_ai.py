"""Stand-in for C/explainable_ai/models/recruitment_ai.py: validation, then copy C's KeyError (togglable)."""
from typing import Any, Dict

from .dataclasses import DecisionExplanation, FeatureContribution

BROKEN_LIKE_COPY_C = True  # copy C raises KeyError('high_contribution') on every valid call


class ExplainableRecruitmentAI:
    def explain_candidate_selection(self, candidate_profile: Dict[str, Any], job_query: str,
                                    match_scores: Dict[str, float], ranking_position: int) -> DecisionExplanation:
        if not isinstance(candidate_profile, dict):
            raise ValueError("candidate_profile must be a dict")
        if not isinstance(match_scores, dict):
            raise ValueError("match_scores must be a dict")
        if not isinstance(job_query, str) or not job_query.strip():
            raise ValueError("job_query must be a non-empty string")
        if BROKEN_LIKE_COPY_C:
            raise KeyError("high_contribution")
        overall = float(match_scores.get("overall_score", 0.0) or 0.0)
        fc = FeatureContribution("technical_skills_match", 0.3, 40.0, "positive", "legacy")
        return DecisionExplanation(overall, [fc], ["technical_skills_match"], [],
                                   f"Candidate #{ranking_position} has a score of {overall:.1f}.", "Moderate",
                                   "Consider for the role.", [], ["Strong technical skills match"])
