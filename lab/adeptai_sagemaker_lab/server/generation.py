"""Turn a backend's raw text into what a container reports: tokens, stop handling, finish reason.

Kept apart from the dialects so every wire format agrees on the same
generation (same tokens, same counts, same finish reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from adeptai_sagemaker_lab.server.model_backends import BackendOutput
from adeptai_sagemaker_lab.server.tokens import count_tokens, tokenize


@dataclass
class Generation:
    """One answer: the final text, its tokens and why it stopped."""

    text: str
    tokens: list[str]
    finish_reason: str  # eos_token | length | stop_sequence | error
    prompt_tokens: int
    model_version: str
    extra: dict[str, Any] = field(default_factory=dict)
    completion_tokens: Optional[int] = None  # the model's own count, when its backend reports one

    @property
    def generated_tokens(self) -> int:
        return self.completion_tokens if self.completion_tokens is not None else len(self.tokens)


def finish(raw: Union[str, BackendOutput], prompt: str, params: dict[str, Any], model_version: str) -> Generation:
    """Apply stop sequences and an explicit ``max_new_tokens`` the way TGI/LMI do.

    ``max_new_tokens`` only truncates when the client sent it: the containers'
    tiny defaults (20/30 tokens) would make every omitted parameter a bug report.
    A backend that generated with its own tokenizer (``BackendOutput``: llama.cpp)
    has already applied both, so its tokens, counts and finish reason are kept.
    """
    if isinstance(raw, BackendOutput):
        return Generation(raw.text, list(raw.tokens), raw.finish_reason, raw.prompt_tokens, model_version,
                          completion_tokens=raw.completion_tokens)
    text, reason, extra = raw, "eos_token", {}
    stops = [s for s in params.get("stop") or [] if isinstance(s, str) and s]
    found = sorted((text.find(s), s) for s in stops if s in text)
    if found:
        cut, extra["stop_string"] = found[0]  # vLLM reports the matched string as stop_reason
        text, reason = text[:cut], "stop_sequence"
    tokens = tokenize(text)
    limit = params.get("max_new_tokens")
    if isinstance(limit, int) and limit >= 0 and len(tokens) > limit:
        tokens, reason = tokens[:limit], "length"
        text = "".join(tokens)
    return Generation(text, tokens, reason, count_tokens(prompt), model_version, extra)


def truncate_generation(gen: Generation, fraction: float) -> Generation:
    """The first ``fraction`` of the tokens, reported as a length stop (the 'truncated output' fault)."""
    keep = max(0, min(len(gen.tokens) - 1, int(len(gen.tokens) * fraction)))
    tokens = gen.tokens[:keep]
    return Generation("".join(tokens), tokens, "length", gen.prompt_tokens, gen.model_version, dict(gen.extra))
