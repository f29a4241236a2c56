"""Task specs: what each capability takes, returns and renders.

A task spec ties a capability name (the stable name users type in settings,
the CLI and metrics) to its input model, output model and prompt template.
Built-in tasks register through the ``register_tasks`` hook like any plugin's.

A spec's models may be given as ``"package.module:Class"`` references, imported
on first read (``LazyModel``, ``refs.py``). The built-in tasks name theirs that
way, so importing this module or building a framework builds none of the eight
capabilities' pydantic models: a monolith that builds the framework at start-up
and routes to legacy pays for a capability's models when it first calls it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union

from adeptai_sagemaker.plugin.refs import resolve

if TYPE_CHECKING:
    from pydantic import BaseModel

    from adeptai_sagemaker.capabilities.schemas import CapabilityOutput

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


class LazyModel:
    """A ``TaskSpec`` model field: a model class, or a ``"package.module:Class"`` reference that is
    imported on first read (``refs.resolve``) and then kept in place of the reference.

    A non-data descriptor, like ``functools.cached_property``: the spec's ``__init__`` stores what it is
    given in the instance, ``defer`` (from ``TaskSpec.__post_init__``) moves a reference aside, so the
    first read comes here and stores the class, and every later read is a plain attribute read. Two
    threads reading at once both get the same class (the import system runs a module once).
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, spec: Any, owner: Any = None) -> Any:
        if spec is None:
            raise AttributeError(self.name)  # no class-level default: the dataclass field stays required
        model = spec.__dict__[self.name] = resolve(spec.__dict__[f"_{self.name}_ref"])
        return model

    @staticmethod
    def defer(spec: Any, *names: str) -> None:
        """Move the references among ``names`` aside, so that their first read imports them."""
        for name in names:
            if isinstance(spec.__dict__[name], str):
                spec.__dict__[f"_{name}_ref"] = spec.__dict__.pop(name)


@dataclass(frozen=True)
class TaskSpec:
    """Everything the pipeline needs to run one capability against a model.

    ``input_model`` and ``output_model`` are pydantic classes, or ``"package.module:Class"`` references
    imported on first access (see ``LazyModel``); reading either always gives the class.
    """

    name: str
    input_model: Union[type[BaseModel], str] = LazyModel()  # type: ignore[assignment]
    output_model: Union[type[CapabilityOutput], str] = LazyModel()  # type: ignore[assignment]
    template: str
    env_stem: str
    description: str
    max_new_tokens: int = 1024
    temperature: float = 0.2
    bucket_key: Callable[[BaseModel], str] = field(default=input_fingerprint)

    def __post_init__(self) -> None:
        LazyModel.defer(self, "input_model", "output_model")

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


_S = "adeptai_sagemaker.capabilities.schemas:"  # the built-in models, imported on first use (LazyModel)

BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("query_enhancer", _S + "QueryEnhancerInput", _S + "QueryEnhancerOutput", "query_enhancer/v1.j2",
             "QUERY_ENHANCER", "Expand a search query: synonyms, related skills, titles, intent.",
             max_new_tokens=512, temperature=0.1, bucket_key=lambda r: r.query.strip().lower()),
    TaskSpec("behavioral_analyzer", _S + "BehavioralInput", _S + "BehavioralOutput", "behavioral_analyzer/v1.j2",
             "BEHAVIORAL", "Behavioural scores, strengths and risks from a resume against a job.",
             max_new_tokens=1024, temperature=0.0),
    TaskSpec("market_intelligence", _S + "MarketIntelligenceInput", _S + "MarketIntelligenceOutput",
             "market_intelligence/v1.j2", "MARKET_INTEL", "Talent-market analysis as JSON.",
             max_new_tokens=1536, temperature=0.2),
    TaskSpec("job_parser", _S + "JobParserInput", _S + "JobParserOutput", "job_parser/v1.j2", "JOB_PARSER",
             "Structured requirements of a job posting.", max_new_tokens=768, temperature=0.0),
    TaskSpec("explanation_generator", _S + "ExplanationInput", _S + "ExplanationOutput",
             "explanation_generator/v1.j2", "EXPLANATION", "Why a candidate ranks where they do.",
             max_new_tokens=1024, temperature=0.1),
    TaskSpec("resume_summarizer", _S + "ResumeSummarizerInput", _S + "ResumeSummarizerOutput",
             "resume_summarizer/v1.j2", "RESUME_SUMMARIZER", "Resume summary and highlighted skills.",
             max_new_tokens=768, temperature=0.1),
    TaskSpec("question_generator", _S + "QuestionGeneratorInput", _S + "QuestionGeneratorOutput",
             "question_generator/v1.j2", "QUESTION_GENERATOR", "Interview questions by type.",
             max_new_tokens=1024, temperature=0.3),
    TaskSpec("candidate_matcher", _S + "CandidateMatcherInput", _S + "CandidateMatcherOutput",
             "candidate_matcher/v1.j2", "CANDIDATE_MATCHER", "Candidate-to-job score with reasoning.",
             max_new_tokens=768, temperature=0.0),
)
