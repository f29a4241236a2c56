"""Chat completions for the 2026 default stack: SageMaker's OpenAI-compatible route and vLLM-based LMI.

Two codecs share the OpenAI chat body of :class:`~.messages.MessagesCodec`:

- ``openai``: the body goes to SageMaker's OpenAI-compatible route
  (``/endpoints/{name}[/inference-components/{ic}]/openai/v1/chat/completions``,
  bearer token) instead of InvokeEndpoint; ``transport = "openai"`` tells the
  backend so. SageMaker passes bodies and SSE streams through from the container
  as is. ``prompt_cache_key`` carries the prefix-affinity id on this route.
- ``lmi-chat``: the same body through InvokeEndpoint to LMI v15+ (djl-serving's
  vLLM async handler). That handler routes by payload key: ``messages`` goes to
  vLLM's chat-completions service, so the container applies the model's own chat
  template. Its stream is JSON lines, one ``chat.completion.chunk`` per line
  (the handler strips vLLM's ``data:`` prefix and turns ``[DONE]`` into an empty
  last line), hence ``stream_accept = application/jsonlines``.

Structured output goes in ``response_format: {"type": "json_schema", ...}``,
which vLLM turns into its structured-outputs backend. ``guided_*`` parameters
are never sent: vLLM removed them in 0.12. ``model`` is omitted unless set:
LMI fills in its served model name, and vLLM rejects an unknown one.

Both turn grammar-constrained output on by default (``SAGEMAKER_<STEM>_GRAMMAR``
unset): vLLM supports it on every model, and a schema-valid first answer saves
a re-ask.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from adeptai_sagemaker.plugin.completion import GenerationParams
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.backends.sagemaker.codecs import GRAMMAR_BY_DEFAULT  # noqa: F401  (re-exported)
from adeptai_sagemaker.backends.sagemaker.codecs.messages import MessagesCodec

__all__ = ["OpenAIRouteCodec", "LmiChatCodec", "GRAMMAR_BY_DEFAULT"]


class OpenAIRouteCodec(MessagesCodec):
    """OpenAI chat completions sent to SageMaker's OpenAI-compatible route (see module docstring)."""

    name = "openai"
    transport = "openai"
    stream_accept = "text/event-stream"
    grammar_by_default = True

    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False,
               prompt_cache_key: Optional[str] = None) -> bytes:
        body = super().encode(prompt, params, stream=stream)
        if not prompt_cache_key:
            return body
        payload: dict[str, Any] = json.loads(body)
        payload["prompt_cache_key"] = prompt_cache_key
        return self.dumps(payload)


class LmiChatCodec(MessagesCodec):
    """OpenAI chat completions through InvokeEndpoint to LMI v15+ (vLLM async handler)."""

    name = "lmi-chat"
    stream_accept = "application/jsonlines"
    grammar_by_default = True

