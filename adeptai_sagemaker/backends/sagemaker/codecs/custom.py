"""A minimal custom-container contract (the one AdeptAI's ``app/llm`` expected).

Request ``{"prompt", "max_length", "temperature"}``; answer ``{"response"}``;
stream JSON lines ``{"token": "..."}``, optionally ending with
``{"response": full_text}``. The bundled BYOC handler speaks this too.
"""

from __future__ import annotations

from typing import Any

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, StreamEvent
from adeptai_sagemaker.core.errors import ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec, StreamDecoder, complete_usage, load_json, raise_in_band_error, usage_from

__all__ = ["CustomCodec"]


def _usage(obj: dict[str, Any]):
    u = obj.get("usage")
    return usage_from(u.get("input_tokens"), u.get("output_tokens")) if isinstance(u, dict) else None


class _CustomStreamDecoder(StreamDecoder):
    def on_object(self, obj: Any) -> list[StreamEvent]:
        if not isinstance(obj, dict):
            raise ResponseDecodeError(f"stream event is a {type(obj).__name__}, expected an object", codec=self.codec)
        self.usage = _usage(obj) or self.usage
        token = obj.get("token")
        text = token if isinstance(token, str) else (token.get("text") or "" if isinstance(token, dict) else "")
        final = isinstance(obj.get("response"), str) or bool(obj.get("finish_reason"))
        if isinstance(obj.get("response"), str):
            self.final_text = obj["response"]
        if obj.get("finish_reason"):
            self.finish_reason = obj["finish_reason"]
        if not text and not final:
            return []
        return [self._emit(text, final=final)]


class CustomCodec(Codec):
    name = "custom"
    stream_accept = "application/jsonlines"

    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False) -> bytes:
        payload: dict[str, Any] = {"prompt": prompt.text, "max_length": max(1, int(params.max_new_tokens)),
                                   "temperature": max(0.0, float(params.temperature or 0.0))}
        if stream:
            payload["stream"] = True
        return self.dumps(payload)

    def decode(self, body: bytes, prompt: RenderedPrompt) -> Completion:
        data = load_json(body, self.name)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise ResponseDecodeError(f"expected a JSON object, got {type(data).__name__}", codec=self.name)
        raise_in_band_error(data, self.name)
        text = data.get("response")
        if text is None:
            text = data.get("generated_text")
        if not isinstance(text, str):
            raise ResponseDecodeError("response has no 'response' string", codec=self.name)
        return Completion(text=text, usage=complete_usage(_usage(data), prompt.text, text),
                          finish_reason=data.get("finish_reason"))

    def stream_decoder(self, prompt: RenderedPrompt) -> StreamDecoder:
        return _CustomStreamDecoder(prompt, self.name)
