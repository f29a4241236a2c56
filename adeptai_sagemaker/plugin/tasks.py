"""Task specs: what each capability takes, returns and renders.

A task spec ties a capability name (the stable name users type in settings,
the CLI and metrics) to its input model, output model and prompt template.
Built-in tasks register through the ``register_tasks`` hook like any plugin's.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable

from pydantic import BaseModel

from adeptai_sagemaker.capabilities import schemas as s

CAPABILITIES: tuple[str, ...] = (
    "query_enhancer",
    "behavioral_analyzer",
    "market_intelligence",
    "job_parser",
    "explanation_generator",
    "resume_summarizer",
    "question_generator",
    "candidate_matcher",
)

#: Capabilities whose inputs are personal data (resumes, candidate profiles; market
#: intelligence too, because screen_candidates prompts carry candidate JSON):
#: caching is off for them by default and retention is capped.
PII_CAPABILITIES: frozenset[str] = frozenset(
    {"behavioral_analyzer", "resume_summarizer", "explanation_generator", "candidate_matcher", "question_generator",
     "market_intelligence"}
)


def input_fingerprint(request: BaseModel) -> str:
    """A stable SHA-256 of a request's content: the audit hash and default bucketing key."""
    payload = json.dumps(request.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", errors="replace")).hexdigest()


@functools.lru_cache(maxsize=None)
def output_schema(model: type[BaseModel]) -> tuple[dict, str]:
    """The JSON Schema of an output model and its compact text, computed once (it is costly)."""
    schema = model.model_json_schema()
    return schema, json.dumps(schema, separators=(",", ":"), sort_keys=True)


@functools.lru_cache(maxsize=None)
def output_outline(model: type[BaseModel]) -> str:
    """The compact shape of an output model (see ``schema_outline``), for grammar-constrained prompts."""
    from adeptai_sagemaker.core.schema_outline import schema_outline

    return schema_outline(output_schema(model)[0])


@dataclass(frozen=True)
class TaskSpec:
    """Everything the pipeline needs to run one capability against a model."""

    name: str
    input_model: type[BaseModel]
    output_model: type[s.CapabilityOutput]
    template: str
    env_stem: str
    description: str
    max_new_tokens: int = 1024
    temperature: float = 0.2
    bucket_key: Callable[[BaseModel], str] = field(default=input_fingerprint)

    @property
    def schema(self) -> dict:
        return output_schema(self.output_model)[0]

    @property
    def schema_text(self) -> str:
        return output_schema(self.output_model)[1]

    @property
    def schema_outline(self) -> str:
        return output_outline(self.output_model)

    def variables(self, request: BaseModel) -> dict:
        """Template variables: the request's fields, untouched (rendering delimits them)."""
        return request.model_dump(mode="json")


BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("query_enhancer", s.QueryEnhancerInput, s.QueryEnhancerOutput, "query_enhancer/v1.j2",
             "QUERY_ENHANCER", "Expand a search query: synonyms, related skills, titles, intent.",
             max_new_tokens=512, temperature=0.1, bucket_key=lambda r: r.query.strip().lower()),
    TaskSpec("behavioral_analyzer", s.BehavioralInput, s.BehavioralOutput, "behavioral_analyzer/v1.j2",
             "BEHAVIORAL", "Behavioural scores, strengths and risks from a resume against a job.",
             max_new_tokens=1024, temperature=0.0),
    TaskSpec("market_intelligence", s.MarketIntelligenceInput, s.MarketIntelligenceOutput,
             "market_intelligence/v1.j2", "MARKET_INTEL", "Talent-market analysis as JSON.",
             max_new_tokens=1536, temperature=0.2),
    TaskSpec("job_parser", s.JobParserInput, s.JobParserOutput, "job_parser/v1.j2", "JOB_PARSER",
             "Structured requirements of a job posting.", max_new_tokens=768, temperature=0.0),
    TaskSpec("explanation_generator", s.ExplanationInput, s.ExplanationOutput, "explanation_generator/v1.j2",
             "EXPLANATION", "Why a candidate ranks where they do.", max_new_tokens=1024, temperature=0.1),
    TaskSpec("resume_summarizer", s.ResumeSummarizerInput, s.ResumeSummarizerOutput, "resume_summarizer/v1.j2",
             "RESUME_SUMMARIZER", "Resume summary and highlighted skills.", max_new_tokens=768, temperature=0.1),
    TaskSpec("question_generator", s.QuestionGeneratorInput, s.QuestionGeneratorOutput,
             "question_generator/v1.j2", "QUESTION_GENERATOR", "Interview questions by type.",
             max_new_tokens=1024, temperature=0.3),
    TaskSpec("candidate_matcher", s.CandidateMatcherInput, s.CandidateMatcherOutput, "candidate_matcher/v1.j2",
             "CANDIDATE_MATCHER", "Candidate-to-job score with reasoning.", max_new_tokens=768, temperature=0.0),
)
