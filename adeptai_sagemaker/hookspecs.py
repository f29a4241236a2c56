"""The plugin contract. Every extension point of adeptai-sagemaker is a hook here.

Three kinds of hooks:

- **registration** (called once when the plugin manager starts): plugins hand
  over tasks, codecs and backends through a ``register`` callback, the style
  of simonw/llm.
- **capabilities** (``firstresult``): one hook per capability. Implementations
  run in order (``tryfirst`` rollout, then SageMaker and other backends, then
  the ``trylast`` legacy plugin); the first non-``None`` result wins.
  Return ``None`` to pass ("not for this request" or "I failed, let the next
  one answer": record why in ``call.fallback_reason``).
- **observers** (broadcast): told about every call, transport attempt, shadow
  comparison and circuit change. They must be fast and must not raise; they
  receive names, numbers and hashes, never candidate text.

Implementations may declare only the arguments they use (pluggy prunes).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pluggy

PROJECT = "adeptai_sagemaker"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- registration


@hookspec
def register_tasks(register: Callable[[Any], None]) -> None:
    """Register capability task specs: ``register(TaskSpec(...))``.

    A later registration of the same name replaces the earlier one, so a
    plugin can ship a better template or schema for a built-in capability.
    """


@hookspec
def register_codecs(register: Callable[[str, Any], None]) -> None:
    """Register wire codecs: ``register("tgi", TgiCodec)`` (a ``codecs.base.Codec`` class).

    The name is what ``SAGEMAKER_<STEM>_CODEC`` selects.
    """


@hookspec
def register_backends(register: Callable[[str, Any], None]) -> None:
    """Register model backends: ``register("openai", factory)``.

    ``factory(settings) -> Backend``; a backend turns a rendered prompt into a
    ``Completion`` (``backends.Backend``). SageMaker is the built-in one.
    """


# --------------------------------------------------------------------------- capabilities


@hookspec(firstresult=True)
def query_enhancer(request, call) -> Optional[Any]:
    """Expand a search query (``QueryEnhancerInput`` -> ``QueryEnhancerOutput``)."""


@hookspec(firstresult=True)
def behavioral_analyzer(request, call) -> Optional[Any]:
    """Score behaviour evidence in a resume against a job (``BehavioralInput`` -> ``BehavioralOutput``)."""


@hookspec(firstresult=True)
def market_intelligence(request, call) -> Optional[Any]:
    """Answer a talent-market question as JSON (``MarketIntelligenceInput`` -> ``MarketIntelligenceOutput``)."""


@hookspec(firstresult=True)
def job_parser(request, call) -> Optional[Any]:
    """Extract a job posting's requirements (``JobParserInput`` -> ``JobParserOutput``)."""


@hookspec(firstresult=True)
def explanation_generator(request, call) -> Optional[Any]:
    """Explain a candidate's ranking (``ExplanationInput`` -> ``ExplanationOutput``)."""


@hookspec(firstresult=True)
def resume_summarizer(request, call) -> Optional[Any]:
    """Summarize a resume and highlight skills (``ResumeSummarizerInput`` -> ``ResumeSummarizerOutput``)."""


@hookspec(firstresult=True)
def question_generator(request, call) -> Optional[Any]:
    """Write interview questions by type (``QuestionGeneratorInput`` -> ``QuestionGeneratorOutput``)."""


@hookspec(firstresult=True)
def candidate_matcher(request, call) -> Optional[Any]:
    """Score a candidate against a job with reasoning (``CandidateMatcherInput`` -> ``CandidateMatcherOutput``)."""


# --------------------------------------------------------------------------- observers


@hookspec
def on_call_finished(record) -> None:
    """One capability call ended (``calls.CallRecord``): success, fallback or error."""


@hookspec
def on_invocation(record) -> None:
    """One transport attempt against an endpoint ended (``calls.InvocationRecord``)."""


@hookspec
def on_shadow_result(comparison) -> None:
    """A shadow SageMaker call finished and was compared with the legacy answer (``calls.ShadowComparison``)."""


@hookspec
def on_circuit_change(event) -> None:
    """An endpoint's circuit breaker changed state (``calls.CircuitEvent``)."""
