"""Input and output models of the eight capabilities.

These models are the contract between the monolith's adapters, the prompt
templates and whatever model answers (a SageMaker endpoint, an external API,
the reference model). Outputs are strict on purpose: scores have ranges, enums
are closed, lists and strings are bounded, so a model that drifts is caught by
validation (and re-asked) instead of leaking nonsense into a hiring decision.
Field names of ``JobParserOutput`` are the ones a recruiter labels a posting with (what the golden sets use).

Required means required. Every content field of an output has no default: a
model must state it, as ``null`` (nullable fields, where the text may not say)
or ``[]`` (lists) when it has nothing, so ``{}`` or a wrapped ``{"data": {...}}``
is a validation error (and a re-ask), never an empty "valid" answer. Output
objects also forbid unknown keys, which catches a misspelt or misplaced field
inside nested objects (``{"salary_range": {"minimum": 1}}``). ``provenance`` is
the one optional field: metadata, not content. The JSON Schema these models emit
(``TaskSpec.schema``) is both the schema shown in prompts and the grammar sent to
containers that constrain decoding, so the grammar demands the same fields.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SCHEMA_VERSION = "1"

#: Bounds on model-produced text; generous for real output, small enough that
#: a runaway generation cannot blow up memory or downstream storage.
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
TermList = Annotated[list[ShortText], Field(max_length=60)]
"""A required list of short terms (``[]`` when there are none)."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Unit = Annotated[float, Field(ge=0.0, le=1.0), AfterValidator(_finite)]
"""A score on the 0..1 scale (behavioural scores, confidence)."""
Percent = Annotated[float, Field(ge=0.0, le=100.0), AfterValidator(_finite)]
"""A score on the 0..100 scale (match and explanation scores, as the monolith uses)."""


class _Model(BaseModel):
    # defer_build: each model's validator is built on its first use, not at import, so importing the
    # product and building the framework stays cheap (the monolith imports it at start-up)
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


def _lenient_text(value: Any) -> Any:
    """Bytes decoded leniently and lone surrogates replaced (U+FFFD), through nested dicts and lists.

    Text extracted from PDFs or decoded with ``surrogateescape`` (and unpaired
    surrogates from JSON clients) is still a resume: it must be analysed, not
    rejected with a validation error at the monolith's call site.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {_lenient_text(k): _lenient_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lenient_text(v) for v in value]
    return value


class _InputModel(_Model):
    """Base of every capability input: user text is taken as it comes (see ``_lenient_text``)."""

    @model_validator(mode="before")
    @classmethod
    def _lenient_unicode(cls, data: Any) -> Any:
        return _lenient_text(data) if isinstance(data, dict) else data


class _OutputModel(_Model):
    """Base of every output object: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CapabilityOutput(_OutputModel):
    """Base of every output: says which model produced it."""

    provenance: Optional[str] = Field(
        default=None,
        max_length=200,
        description="Which model produced this answer, as the model reports it.",
    )


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


# --------------------------------------------------------------------------- query_enhancer


class QueryEnhancerInput(_InputModel):
    query: str = Field(max_length=2000)
    context: Optional[str] = Field(default=None, max_length=4000)


class QueryEntities(_OutputModel):
    skills: TermList
    location: Optional[ShortText]
    min_years: Optional[int] = Field(ge=0, le=60)
    title: Optional[ShortText]


class QueryEnhancerOutput(CapabilityOutput):
    intent: Literal["skill_search", "role_search", "experience_search", "location_search", "general_search"]
    synonyms: TermList
    related_skills: TermList
    job_variations: TermList
    industry_terms: TermList
    expanded_terms: TermList
    disambiguation: dict[ShortText, ShortText] = Field(
        description="ambiguous term -> the sense chosen, e.g. 'go' -> 'Go (programming language)'"
    )
    entities: QueryEntities
    language: Optional[Annotated[str, StringConstraints(max_length=12)]]

    @field_validator("synonyms", "related_skills", "job_variations", "industry_terms", "expanded_terms")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return _dedupe(value)


# --------------------------------------------------------------------------- behavioral_analyzer


class BehavioralInput(_InputModel):
    resume_text: str
    job_description: str = ""
    target_role: Optional[str] = Field(default=None, max_length=300)
    career_history: Optional[list[dict[str, Any]] | str] = None


DomainName = Literal["general", "healthcare", "research", "tech", "finance", "legal"]


class BehavioralOutput(CapabilityOutput):
    overall_score: Unit
    leadership_score: Unit
    collaboration_score: Unit
    innovation_score: Unit
    adaptability_score: Unit
    stability_score: Unit
    growth_potential: Unit
    emotional_intelligence: Unit
    stress_resilience: Unit
    communication_effectiveness: Unit
    technical_depth: Unit
    learning_agility: Unit
    problem_solving_ability: Unit
    cultural_alignment: Unit
    technical_fit: Unit
    cultural_fit: Unit
    confidence: Unit
    data_completeness: Unit
    work_style_preferences: TermList
    strengths: TermList
    development_areas: TermList
    behavioral_patterns: TermList
    risk_factors: TermList
    detected_domain: DomainName
    current_level: Optional[ShortText]
    reasoning: LongText


# --------------------------------------------------------------------------- market_intelligence


class MarketIntelligenceInput(_InputModel):
    """A market question as the monolith's MarketIntelligenceLLM asks it.

    ``prompt``/``system_prompt`` are the caller's own text (treated as data);
    ``market_data`` is the structured context when the caller has it.
    """

    prompt: str = Field(max_length=200_000)
    system_prompt: str = Field(default="", max_length=20_000)
    market_data: Optional[dict[str, Any]] = None
    focus_area: Optional[str] = Field(default=None, max_length=200)


class TalentAvailability(_OutputModel):
    active_candidates: Optional[int] = Field(ge=0)
    passive_candidates: Optional[int] = Field(ge=0)
    geographic_distribution: dict[ShortText, float]
    mobility_likelihood: Optional[Unit]
    confidence_score: Unit


class CompensationTrends(_OutputModel):
    salary_trends: dict[ShortText, Any]
    overall_inflation: Optional[float] = Field(ge=-1.0, le=1.0)
    market_competitiveness: Optional[Unit]
    confidence_score: Unit


class SkillEvolution(_OutputModel):
    emerging_skills: TermList
    declining_skills: TermList
    confidence_score: Unit


class BehavioralInsights(_OutputModel):
    job_switch_probability: Optional[Unit]
    salary_expectations: Optional[ShortText]
    remote_preference: Optional[Unit]
    confidence: Unit


class MarketIntelligenceOutput(CapabilityOutput):
    analysis_type: Literal["market", "behavior", "screening", "general"]
    summary: LongText
    insights: TermList
    recommendations: TermList
    talent_availability: Optional[TalentAvailability]
    compensation_trends: Optional[CompensationTrends]
    skill_evolution: Optional[SkillEvolution]
    behavioral_insights: Optional[BehavioralInsights]
    screening: Optional[dict[ShortText, Any]] = Field(
        description="For candidate screening prompts: decision, score (0..1), reasons."
    )
    confidence: Unit


# --------------------------------------------------------------------------- job_parser


class JobParserInput(_InputModel):
    job_description: str


class SalaryRange(_OutputModel):
    min: Optional[float] = Field(ge=0, le=10_000_000, description="null when the posting states only a maximum")
    max: Optional[float] = Field(ge=0, le=10_000_000)
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3, to_upper=True)]
    period: Literal["year", "hour", "month", "week", "day"]

    @field_validator("max")
    @classmethod
    def _max_not_below_min(cls, value: Optional[float], info) -> Optional[float]:
        low = info.data.get("min")
        if value is not None and low is not None and value < low:
            raise ValueError("salary max is below min")
        return value


class JobParserOutput(CapabilityOutput):
    title: Optional[ShortText]
    mandatory_skills: TermList
    preferred_skills: TermList
    years_experience: Optional[int] = Field(ge=0, le=60)
    education_level: Optional[Literal["none", "high_school", "associate", "bachelor", "master", "phd"]]
    location: Optional[ShortText]
    work_mode: Optional[Literal["onsite", "hybrid", "remote"]]
    salary_range: Optional[SalaryRange]
    seniority_level: Optional[
        Literal["intern", "entry", "junior", "mid", "senior", "lead", "principal", "executive"]
    ]
    employment_type: Optional[Literal["full_time", "part_time", "contract", "internship"]]

    @field_validator("mandatory_skills", "preferred_skills")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return _dedupe(value)


# --------------------------------------------------------------------------- explanation_generator


class ExplanationInput(_InputModel):
    candidate_profile: dict[str, Any]
    job_query: str = Field(min_length=1)
    match_scores: dict[str, float]
    ranking_position: int = Field(ge=1)


class FeatureContributionModel(_OutputModel):
    feature_name: ShortText
    contribution: float = Field(ge=-1.0, le=1.0)
    percentage: float = Field(ge=-100.0, le=100.0)
    direction: Literal["positive", "negative", "neutral"]
    explanation: LongText


class ExplanationOutput(CapabilityOutput):
    overall_score: Percent
    decision_summary: LongText
    reasoning: LongText
    recommendation: Literal["Strongly recommend", "Recommend", "Consider", "Not recommended"]
    confidence_level: Literal["Very High", "High", "Moderate", "Low"]
    feature_contributions: list[FeatureContributionModel] = Field(max_length=20)
    top_positive_factors: TermList
    top_negative_factors: TermList
    strength_areas: TermList
    risk_factors: TermList


# --------------------------------------------------------------------------- resume_summarizer


class ResumeSummarizerInput(_InputModel):
    resume_text: str
    job_description: Optional[str] = None
    max_words: int = Field(default=80, ge=20, le=400)


class HighlightedSkill(_OutputModel):
    skill: ShortText
    relevance: Literal["high", "medium", "low"]
    evidence: Optional[Annotated[str, StringConstraints(max_length=300)]]


class ResumeSummarizerOutput(CapabilityOutput):
    summary: LongText
    headline: Optional[ShortText]
    years_experience: Optional[int] = Field(ge=0, le=60)
    seniority_level: Optional[
        Literal["intern", "entry", "junior", "mid", "senior", "lead", "principal", "executive"]
    ]
    highlighted_skills: list[HighlightedSkill] = Field(max_length=40)
    matched_skills: TermList
    missing_skills: TermList


# --------------------------------------------------------------------------- question_generator

QuestionType = Literal["role", "behavioral", "technical", "cultural_fit", "gap_follow_up"]


class QuestionGeneratorInput(_InputModel):
    job_description: str
    resume_text: Optional[str] = None
    question_types: list[QuestionType] = Field(
        default_factory=lambda: ["role", "behavioral", "technical", "cultural_fit", "gap_follow_up"]
    )
    num_questions: int = Field(default=8, ge=1, le=30)


class InterviewQuestion(_OutputModel):
    question: LongText
    type: QuestionType
    rationale: Optional[LongText]
    skill: Optional[ShortText]


class QuestionGeneratorOutput(CapabilityOutput):
    questions: list[InterviewQuestion] = Field(min_length=1, max_length=30)


# --------------------------------------------------------------------------- candidate_matcher


class CandidateMatcherInput(_InputModel):
    job_description: str
    resume_text: str


class CandidateMatcherOutput(CapabilityOutput):
    overall_score: Percent
    skill_match: Percent
    experience_match: Percent
    education_match: Percent
    location_match: Percent
    matched_skills: TermList
    missing_skills: TermList
    recommendation: Literal["strong_match", "match", "weak_match", "no_match"]
    reasoning: LongText
