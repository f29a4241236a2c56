"""Small value types shared by codecs, backends and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class GenerationParams:
    """Sampling parameters, named once here and mapped per container by each codec."""

    max_new_tokens: int = 1024
    temperature: float = 0.0
    top_p: Optional[float] = None
    stop: tuple[str, ...] = ()
    seed: Optional[int] = None
    json_schema: Optional[dict[str, Any]] = None  # grammar-constrained decoding where the container supports it

    def cache_identity(self) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature, "top_p": self.top_p,
                "stop": list(self.stop), "seed": self.seed, "grammar": self.json_schema is not None}


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    source: str = "container"  # "container" when the server reported it, "estimate" otherwise


@dataclass
class Completion:
    """What a backend returns: the model's text and what the server said about it."""

    text: str
    usage: Optional[TokenUsage] = None
    finish_reason: Optional[str] = None
    model_version: Optional[str] = None  # container/model version the endpoint reported, if any
    variant: Optional[str] = None  # SageMaker production variant that answered
    attempts: int = 1  # transport attempts, retries included
    latency_s: float = 0.0
    time_to_first_token_s: Optional[float] = None


@dataclass(frozen=True)
class InvokeOptions:
    """The per-call options real SageMaker deployments use (all optional)."""

    target_model: Optional[str] = None  # multi-model endpoints
    target_variant: Optional[str] = None  # A/B production variants
    inference_component: Optional[str] = None
    custom_attributes: Optional[str] = None  # e.g. "accept_eula=true" (<= 1024 visible ASCII chars)
    inference_id: Optional[str] = None  # joins Data Capture records
    target_container_hostname: Optional[str] = None
    session_id: Optional[str] = None  # "NEW_SESSION" or an open stateful session's id
    prefix_aware_id: Optional[str] = None  # routing hint for PREFIX_AWARE endpoints (<= 64 chars)

    def as_boto_kwargs(self) -> dict[str, str]:
        mapping = {
            "TargetModel": self.target_model,
            "TargetVariant": self.target_variant,
            "InferenceComponentName": self.inference_component,
            "CustomAttributes": self.custom_attributes,
            "InferenceId": self.inference_id,
            "TargetContainerHostname": self.target_container_hostname,
            "SessionId": self.session_id,
            "PrefixAwareId": self.prefix_aware_id,
        }
        return {k: v for k, v in mapping.items() if v}


@dataclass
class StreamEvent:
    """One decoded piece of a streamed answer."""

    text: str = ""
    final: bool = False
    usage: Optional[TokenUsage] = None
    finish_reason: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)
