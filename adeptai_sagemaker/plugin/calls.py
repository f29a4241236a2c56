"""What travels with one capability call, and what observers are told about it.

Observer records carry names, numbers, hashes and reasons only: never the
input text, the prompt or the completion (privacy by construction).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Optional

Route = Literal["legacy", "sagemaker", "shadow"]
"""Where ``Framework.call`` sent a request: the monolith's code, the model side, or both (shadow)."""


@dataclass
class CallContext:
    """Mutable state of one capability call: what the model side did, for the ``CallRecord``.

    ``Framework.call`` creates it after routing (``route``, ``mode``, ``bucket``
    are already decided and must not be changed by plugins); the pipeline and
    a serving plugin fill in what they did (endpoint, variant, tokens, attempts).
    """

    capability: str
    input_hash: str
    bucket_key: str
    route: Route = "sagemaker"
    mode: str = "on"
    bucket: Optional[int] = None
    backend: Optional[str] = None
    endpoint: Optional[str] = None
    variant: Optional[str] = None
    model_version: Optional[str] = None
    template_version: Optional[str] = None
    cache_hit: bool = False
    attempts: int = 0
    reasks: int = 0
    fallback_reason: Optional[str] = None
    error_code: Optional[str] = None
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    finish_reason: Optional[str] = None  # the container's stop reason ("stop", "length", ...), for tracing
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    started_wall: float = field(default_factory=time.time)

    def record(self, outcome: Literal["success", "fallback", "error"]) -> "CallRecord":
        """The ``CallRecord`` of this call, now: every field the two share is taken from the context by
        name (a field added to both travels on its own), plus the outcome, latency and start time."""
        return CallRecord(outcome=outcome, latency_s=time.perf_counter() - self.started,
                          timestamp=self.started_wall, **{name: getattr(self, name) for name in _SHARED_FIELDS})


@dataclass(frozen=True)
class CallRecord:
    """The outcome of one capability call, as observers see it."""

    call_id: str
    capability: str
    mode: str
    route: str
    backend: Optional[str]  # "sagemaker", "legacy", a plugin backend's name, or None when nothing answered
    outcome: Literal["success", "fallback", "error"]
    latency_s: float
    timestamp: float
    input_hash: str
    endpoint: Optional[str] = None
    variant: Optional[str] = None
    model_version: Optional[str] = None
    template_version: Optional[str] = None
    cache_hit: bool = False
    attempts: int = 0
    reasks: int = 0
    fallback_reason: Optional[str] = None
    error_code: Optional[str] = None
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    bucket: Optional[int] = None
    finish_reason: Optional[str] = None


#: The ``CallRecord`` fields copied from the ``CallContext`` (all but outcome, latency and timestamp).
_SHARED_FIELDS = tuple(f.name for f in fields(CallRecord) if f.name in CallContext.__dataclass_fields__)


@dataclass(frozen=True)
class CallResult:
    """What ``Framework.call`` returns.

    ``value`` is the validated output model when the model side answered, or
    the legacy callable's return value (already in the caller's shape) when
    legacy answered. ``answer`` is always in the caller's shape: ``value``
    mapped through ``to_legacy`` (inside the framework's fallback guard, so a
    mapping bug falls back like any other model-side failure), or ``value``
    itself when legacy answered or no ``to_legacy`` was given. ``served_by`` is
    ``"sagemaker"``, a registered backend's name, a serving plugin's name, or
    ``"legacy"``. ``record`` is the ``CallRecord`` the observers saw.
    """

    value: Any
    served_by: str
    record: CallRecord
    answer: Any = None

    @property
    def from_legacy(self) -> bool:
        return self.served_by == "legacy"


@dataclass(frozen=True)
class InvocationRecord:
    """One transport attempt against an endpoint (retries are separate records)."""

    capability: str
    endpoint: str
    attempt: int
    latency_s: float
    ok: bool
    error_code: Optional[str] = None
    time_to_first_token_s: Optional[float] = None


@dataclass(frozen=True)
class ShadowComparison:
    """How a shadow SageMaker answer compared with the legacy answer the user got."""

    capability: str
    call_id: str
    agreement: Optional[float]  # 0..1 field-weighted score, None when the shadow call failed
    sagemaker_ok: bool
    latency_s: float
    reason: Optional[str] = None
    mode: str = "shadow"
    agree: Optional[bool] = None  # the overall score is at or above agreement.OVERALL_AGREE_AT
    fields: Optional[dict] = None  # field name -> agreement.FieldResult (numbers only)
    not_comparable: tuple = ()  # fields the legacy answer lacks


@dataclass(frozen=True)
class CircuitEvent:
    endpoint: str
    state: Literal["closed", "open", "half_open"]
    reason: Optional[str] = None


@dataclass(frozen=True)
class LegacyAnswer:
    """A call the legacy side answered, for teacher capture (``on_legacy_answer``).

    The one observer record that carries content: it goes only to observers of
    ``on_legacy_answer``, which the framework registers for capabilities whose
    capture is turned on (``SAGEMAKER_<STEM>_CAPTURE``). Everything costly is
    lazy, so the caller's thread pays for a dataclass and nothing else:
    ``output()`` maps ``value`` back into the output schema with the adapter's
    ``from_legacy`` (or validates it as it is) and raises when it does not fit;
    ``prompt()`` renders what the model side would have been sent.
    """

    capability: str
    call_id: str
    mode: str
    input_hash: str
    timestamp: float
    request: Any  # the validated input model
    value: Any  # the legacy answer, in the caller's shape
    output_model: type
    template_version: str
    from_legacy: Optional[Any] = None  # Callable[[value], output model or dict]
    render: Optional[Any] = None  # Callable[[], core.prompting.RenderedPrompt]

    def output(self) -> Any:
        """The legacy answer as a validated output model (``ValueError`` when it does not fit the schema)."""
        value = self.from_legacy(self.value) if self.from_legacy is not None else self.value
        if isinstance(value, self.output_model):
            return value
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json")
        return self.output_model.model_validate(value)

    def prompt(self) -> Any:
        """The rendered prompt (system and user) a student model would be sent for this request."""
        return self.render() if self.render is not None else None
