from .models.dataclasses import DecisionExplanation, FeatureContribution  # noqa: F401
from .models.recruitment_ai import ExplainableRecruitmentAI  # noqa: F401
