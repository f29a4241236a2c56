"""OpenAI-style chat completions: TGI's Messages API, vLLM, and LMI chat completions.

Preferred route when the container supports it: the server applies the
model's own chat template, so the system prompt is not silently dropped or
mis-formatted, as client-side chat templating often does.

Usage (docs/wire-formats.md): a whole answer carries ``usage``; a stream carries
it only when asked (``stream_options.include_usage``, sent by default) in a last
chunk with ``choices: []``, and vLLM with ``continuous_usage_stats`` also puts the
running totals on every chunk, so the latest ``usage`` seen wins. TGI sends
``"usage": null`` on the other chunks. Counts the container did not send are
estimated (``TokenUsage.source == "estimate"``).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, StreamEvent
from adeptai_sagemaker.core.errors import ConfigurationError, ModelStreamError, ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec, StreamDecoder, complete_usage, load_json, raise_in_band_error, usage_from

__all__ = ["MessagesCodec", "MessagesStreamDecoder"]


def _usage(obj: dict[str, Any]):
    u = obj.get("usage")
    if not isinstance(u, dict):
        return None
    return usage_from(u.get("prompt_tokens"), u.get("completion_tokens"))


def _check_finish(reason: Any, codec: str) -> None:
    if reason == "error":
        raise ModelStreamError(f"container finished with finish_reason=error [{codec}]",
                               error_code="finish_reason_error")


class MessagesStreamDecoder(StreamDecoder):
    """``chat.completion.chunk`` events, as SSE (TGI) or JSON lines (LMI), ending in ``[DONE]``."""

    def on_object(self, obj: Any) -> list[StreamEvent]:
        if isinstance(obj, list):
            return [ev for item in obj for ev in self.on_object(item)]
        if not isinstance(obj, dict):
            raise ResponseDecodeError(f"stream event is a {type(obj).__name__}, expected an object", codec=self.codec)
        self.model_version = obj.get("model") or self.model_version
        usage = _usage(obj)
        if usage is not None:
            self.usage = usage
        text, final = "", False
        choices = obj.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            choice = choices[0]
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else choice.get("message")
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                text = delta["content"]
            reason = choice.get("finish_reason")
            _check_finish(reason, self.codec)
            if reason:
                self.finish_reason = reason
                final = True
        elif usage is not None:  # trailing usage-only chunk (stream_options.include_usage)
            final = True
        if not text and not final:
            return []
        return [self._emit(text, final=final)]


class MessagesCodec(Codec):
    """``{"messages": [system, user], "max_tokens", ...}`` -> ``choices[0].message.content``.

    ``response_format_style``: ``"openai"`` sends
    ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` (vLLM/LMI, newer TGI);
    ``"tgi"`` sends TGI's ``{"type": "json_object", "value": schema}``; ``None`` sends nothing.
    """

    name = "messages"
    stream_accept = "text/event-stream"

    def __init__(self, *, model: Optional[str] = None,
                 response_format_style: Optional[Literal["openai", "tgi"]] = "openai",
                 include_usage_in_stream: bool = True) -> None:
        if response_format_style not in ("openai", "tgi", None):
            raise ConfigurationError("response_format_style must be 'openai', 'tgi' or None")
        self.model = model
        self.response_format_style = response_format_style
        self.include_usage_in_stream = include_usage_in_stream

    def messages(self, prompt: RenderedPrompt) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": prompt.system}] if prompt.system else []
        msgs.append({"role": "user", "content": prompt.user})
        return msgs

    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False) -> bytes:
        payload: dict[str, Any] = {"messages": self.messages(prompt), "max_tokens": max(1, int(params.max_new_tokens)),
                                   "temperature": max(0.0, float(params.temperature or 0.0))}
        if self.model:
            payload["model"] = self.model
        if params.top_p is not None and 0.0 < params.top_p <= 1.0:
            payload["top_p"] = float(params.top_p)
        if params.stop:
            payload["stop"] = list(params.stop)
        if params.seed is not None:
            payload["seed"] = int(params.seed)
        if params.json_schema and self.response_format_style == "openai":
            payload["response_format"] = {"type": "json_schema",
                                          "json_schema": {"name": "output", "schema": params.json_schema,
                                                          "strict": True}}
        elif params.json_schema and self.response_format_style == "tgi":
            payload["response_format"] = {"type": "json_object", "value": params.json_schema}
        if stream:
            payload["stream"] = True
            if self.include_usage_in_stream:
                payload["stream_options"] = {"include_usage": True}
        return self.dumps(payload)

    def decode(self, body: bytes, prompt: RenderedPrompt) -> Completion:
        data = load_json(body, self.name)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise ResponseDecodeError(f"expected a chat.completion object, got {type(data).__name__}", codec=self.name)
        raise_in_band_error(data, self.name)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ResponseDecodeError("response has no choices", codec=self.name)
        choice = choices[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise ResponseDecodeError("choices[0] has no message object", codec=self.name)
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise ResponseDecodeError(f"message content is a {type(content).__name__}", codec=self.name)
        _check_finish(choice.get("finish_reason"), self.name)
        text = content or ""
        return Completion(text=text, usage=complete_usage(_usage(data), prompt.text, text),
                          finish_reason=choice.get("finish_reason"), model_version=data.get("model"))

    def stream_decoder(self, prompt: RenderedPrompt) -> MessagesStreamDecoder:
        return MessagesStreamDecoder(prompt, self.name)
