"""Legacy SageMaker JumpStart Llama-2 chat containers.

Request ``{"inputs": [[{"role", "content"}, ...]], "parameters": {...}}``;
answer ``[{"generation": {"role", "content"}}]``. The container refuses calls
without ``CustomAttributes: accept_eula=true`` (a common stumbling block for
other clients), exposed here as ``default_custom_attributes`` so the caller
sends it only to endpoints that need it (the monolith's code sent it everywhere).

The legacy answer carries no token counts, so usage is estimated; newer
TGI-backed JumpStart models (``generated_text`` + ``details``) report their own.
"""

from __future__ import annotations

from typing import Any

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, StreamEvent
from adeptai_sagemaker.core.errors import ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec, StreamDecoder, complete_usage, load_json, raise_in_band_error, strip_echo
from adeptai_sagemaker.backends.sagemaker.codecs.generate import generate_usage

__all__ = ["JumpStartCodec"]

#: The container treats temperature 0 as invalid; this is effectively greedy.
GREEDY_TEMPERATURE = 0.01


def _generation_text(item: Any, codec: str) -> str:
    gen = item.get("generation") if isinstance(item, dict) else None
    if isinstance(gen, dict):
        gen = gen.get("content")
    if gen is None and isinstance(item, dict):
        gen = item.get("generated_text")  # newer JumpStart Llama models are TGI behind the scenes
    if not isinstance(gen, str):
        raise ResponseDecodeError("response has no 'generation' text", codec=codec)
    return gen


class _JumpStartStreamDecoder(StreamDecoder):
    def on_object(self, obj: Any) -> list[StreamEvent]:
        if isinstance(obj, list):
            return [ev for item in obj for ev in self.on_object(item)]
        if not isinstance(obj, dict):
            raise ResponseDecodeError(f"stream event is a {type(obj).__name__}, expected an object", codec=self.codec)
        token = obj.get("token")
        text = (token.get("text") or "") if isinstance(token, dict) else (token if isinstance(token, str) else "")
        if "generation" in obj:
            self.final_text = _generation_text(obj, self.codec)
            return [self._emit(final=True)]
        return [self._emit(text)] if text else []


class JumpStartCodec(Codec):
    name = "jumpstart"
    default_custom_attributes = "accept_eula=true"
    supports_streaming = False  # the legacy container answers in one piece

    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False) -> bytes:
        dialog = [{"role": "system", "content": prompt.system}] if prompt.system else []
        dialog.append({"role": "user", "content": prompt.user})
        p: dict[str, Any] = {"max_new_tokens": max(1, int(params.max_new_tokens)),
                             "temperature": float(params.temperature) if params.temperature and params.temperature > 0
                             else GREEDY_TEMPERATURE}
        if params.top_p is not None and 0.0 < params.top_p <= 1.0:
            p["top_p"] = float(params.top_p)
        return self.dumps({"inputs": [dialog], "parameters": p})

    def decode(self, body: bytes, prompt: RenderedPrompt) -> Completion:
        data = load_json(body, self.name)
        if isinstance(data, list):
            if not data:
                raise ResponseDecodeError("response is an empty list", codec=self.name)
            data = data[0]
            if isinstance(data, list) and data:  # some versions nest one level deeper
                data = data[0]
        if not isinstance(data, dict):
            raise ResponseDecodeError(f"expected an object or list of objects, got {type(data).__name__}",
                                      codec=self.name)
        raise_in_band_error(data, self.name)
        text = strip_echo(_generation_text(data, self.name), prompt.text)
        details = data.get("details") if isinstance(data.get("details"), dict) else {}
        return Completion(text=text, usage=complete_usage(generate_usage(data), prompt.text, text),
                          finish_reason=data.get("stop_reason") or details.get("finish_reason"))

    def stream_decoder(self, prompt: RenderedPrompt) -> StreamDecoder:
        return _JumpStartStreamDecoder(prompt, self.name)
