"""Duck-typed copies of the monolith's dataclasses and enums, and a resolver that prefers the real ones.

Why copies: the adapters must return objects the monolith's callers can use
(attribute access, ``dataclasses.asdict``, ``isinstance`` where the monolith's
own class is loaded). When a monolith module is importable (it is in
``sys.modules``), ``legacy_type`` hands back the monolith's own class so the
adapter's answers are *exactly* the monolith's types; otherwise these
field-for-field copies are used (docs/monolith-interfaces.md §2-§5).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, Iterable, List, Optional, Tuple

from adeptai_sagemaker.adapters._discovery import module_matches

# -------------------- behavioural (docs/monolith-interfaces.md §2)


class ProfileDataSource(Enum):
    RESUME = "resume"
    LINKEDIN = "linkedin"
    GITHUB = "github"
    PORTFOLIO = "portfolio"
    REFERENCES = "references"
    ASSESSMENT = "assessment"
    JOB_SITES = "job_sites"


@dataclass
class MultiSourceProfile:
    resume_text: str
    linkedin_data: Optional[Dict] = None
    github_data: Optional[Dict] = None
    portfolio_data: Optional[Dict] = None
    reference_data: Optional[List[Dict]] = None
    assessment_results: Optional[Dict] = None
    job_site_data: Optional[Dict] = None

    def get_all_text_content(self) -> str:
        return all_text_content(self)


def _strings(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def all_text_content(profile: Any) -> str:
    """Space-join the resume and the text fields the monolith reads, skipping empties (never raises)."""
    parts: List[str] = _strings(getattr(profile, "resume_text", None))
    spec = (
        ("linkedin_data", ("summary", "experience_descriptions", "recommendations", "posts")),
        ("github_data", ("bio", "readme_content", "project_descriptions", "code_comments")),
        ("portfolio_data", ("about_section", "project_narratives", "testimonials")),
        ("job_site_data", ("profile_summary", "project_descriptions", "client_reviews")),
    )
    for attr, keys in spec:
        data = getattr(profile, attr, None)
        if isinstance(data, dict):
            for key in keys:
                parts.extend(_strings(data.get(key)))
    refs = getattr(profile, "reference_data", None)
    if isinstance(refs, (list, tuple)):
        for ref in refs:
            if isinstance(ref, dict):
                parts.extend(_strings(ref.get("feedback_text")))
                parts.extend(_strings(ref.get("work_description")))
    return " ".join(p for p in parts if p and p.strip())


@dataclass
class BehavioralProfile:
    candidate_id: str
    overall_score: float
    leadership_score: float
    collaboration_score: float
    innovation_score: float
    adaptability_score: float
    stability_score: float
    growth_potential: float
    emotional_intelligence: float
    stress_resilience: float
    communication_effectiveness: float
    technical_depth: float
    learning_agility: float
    problem_solving_ability: float
    cultural_alignment: float
    work_style_preferences: List[str]
    confidence_score: float
    data_completeness: float
    consistency_score: float
    strengths: List[str]
    development_areas: List[str]
    behavioral_patterns: List[str]
    risk_factors: List[str]
    primary_data_sources: List[str]


@dataclass
class CareerTrajectory:
    current_level: str
    predicted_next_roles: List[Tuple[str, float]]
    growth_timeline: Dict[str, int]
    skill_development_path: List[str]
    experience_gaps: List[str]
    development_recommendations: List[str]
    success_indicators: List[str]
    risk_factors: List[str]
    market_alignment: float


# -------------------- market intelligence (docs/monolith-interfaces.md §3)


class ModelTier(Enum):
    TIER_1_GPT4O_MINI = "gpt-4o-mini"
    TIER_2_CLAUDE_SONNET_4 = "claude-sonnet-4-20250514"


class TaskComplexity(Enum):
    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"
    CRITICAL = "critical"


@dataclass
class LLMRequest:
    prompt: str
    system_prompt: str
    max_tokens: int
    temperature: float
    complexity: TaskComplexity
    use_cache: bool = True
    metadata: Dict[str, Any] = None  # type: ignore[assignment]


@dataclass
class LLMResponse:
    content: str
    model_used: str
    tokens_used: int
    cost: float
    processing_time: float
    cached: bool = False
    confidence_score: float = 0.0


@dataclass
class FastLLMRequest:
    prompt: str
    system_prompt: str
    model: str
    max_tokens: int = 1000
    temperature: float = 0.7
    cache_key: Optional[str] = None


@dataclass
class FastLLMResponse:
    content: str
    model: str
    tokens_used: int
    cost: float
    processing_time: float
    cached: bool = False


# -------------------- explainable AI (docs/monolith-interfaces.md §5)


@dataclass
class FeatureContribution:
    feature_name: str
    contribution: float
    percentage: float
    direction: str
    explanation: str


@dataclass
class DecisionExplanation:
    overall_score: float
    feature_contributions: List[FeatureContribution]
    top_positive_factors: List[str]
    top_negative_factors: List[str]
    decision_summary: str
    confidence_level: str
    recommendation: str
    risk_factors: List[str]
    strength_areas: List[str]


# --------------------------------------------------------------------------- resolver

#: Where the monolith defines each type (module-name suffixes; C, M and test stand-ins all match).
TYPE_HOMES: Dict[str, Tuple[str, ...]] = {
    "MultiSourceProfile": ("behavioural_analysis.pipeline",),
    "BehavioralProfile": ("behavioural_analysis.pipeline",),
    "CareerTrajectory": ("behavioural_analysis.pipeline", "behavioural_analysis.career_gnn"),
    "ProfileDataSource": ("behavioural_analysis.pipeline",),
    "LLMRequest": ("market_intelligence.hybrid_llm_service",),
    "LLMResponse": ("market_intelligence.hybrid_llm_service",),
    "TaskComplexity": ("market_intelligence.hybrid_llm_service",),
    "ModelTier": ("market_intelligence.hybrid_llm_service",),
    "FastLLMRequest": ("market_intelligence.fast_llm",),
    "FastLLMResponse": ("market_intelligence.fast_llm",),
    "FeatureContribution": ("explainable_ai.models.dataclasses", "explainable_ai.models.recruitment_ai"),
    "DecisionExplanation": ("explainable_ai.models.dataclasses", "explainable_ai.models.recruitment_ai"),
}

_LOCAL = {name: globals()[name] for name in TYPE_HOMES}


def find_modules(suffixes: Iterable[str]) -> List[Any]:
    """Loaded modules whose dotted name ends with one of ``suffixes`` (sorted by name, for determinism)."""
    suffixes = tuple(suffixes)
    found = []
    for name, module in list(sys.modules.items()):
        if module is None:
            continue
        if any(module_matches(name, s) for s in suffixes):
            found.append((name, module))
    return [m for _, m in sorted(found, key=lambda item: item[0])]


def legacy_type(name: str, preferred_module: Any = None) -> type:
    """The monolith's own class ``name`` when loaded (``preferred_module`` first), else the local copy."""
    for module in ([preferred_module] if preferred_module is not None else []) + find_modules(TYPE_HOMES[name]):
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and not getattr(candidate, "__adeptai_adapter__", False):
            return candidate
    return _LOCAL[name]


def build(cls: type, **values: Any) -> Any:
    """Construct ``cls`` with the fields it declares (a monolith copy may lack or add optional fields)."""
    fields = getattr(cls, "__dataclass_fields__", None)
    if fields is None:
        return cls(**values)
    return cls(**{k: v for k, v in values.items() if k in fields})
