"""The "generate" family: Hugging Face TGI and DJL LMI (rolling batch).

Both take ``{"inputs": text, "parameters": {...}}``, but they drift
(docs/wire-formats.md): TGI names stops ``stop`` and answers with a list; LMI names them
``stop_sequences`` and answers with an object, except under dynamic batching
(a list) or ``OPTION_TGI_COMPAT`` (TGI's shapes). So both codecs share one
tolerant decoder and differ only in how they encode.

Prior-art bugs this module exists to avoid: B1 (an object response lost its
``generated_text``) and B2 (a list response crashed the parser).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Optional

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, StreamEvent, TokenUsage
from adeptai_sagemaker.core.errors import ConfigurationError, ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt
from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec, StreamDecoder, complete_usage, load_json, raise_in_band_error, strip_echo, usage_from

__all__ = ["TgiCodec", "LmiCodec", "PROMPT_TEMPLATES", "decode_generate"]

#: Chat templates for completion-style endpoints whose server applies none.
#: ``{system}`` / ``{user}`` are substituted in one pass, so user text is never re-read as a template.
PROMPT_TEMPLATES: dict[str, str] = {
    "llama3": ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
               "<|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n"),
    "chatml": "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n",
    "mistral": "[INST] {system}\n\n{user} [/INST]",
}
_SLOT = re.compile(r"\{(system|user)\}")


def _first_item(data: Any, codec: str) -> dict[str, Any]:
    """The single generation in a list-or-object body."""
    if isinstance(data, list):
        if not data:
            raise ResponseDecodeError("response is an empty list", codec=codec)
        data = data[0]
    if not isinstance(data, dict):
        raise ResponseDecodeError(f"expected a JSON object or list of objects, got {type(data).__name__}", codec=codec)
    return data


def generate_usage(item: dict[str, Any]) -> Optional[TokenUsage]:
    """Token counts from one generate-family object, wherever this container put them.

    Prompt tokens: ``details.input_length`` (TGI stream final event since 2.3; LMI's
    vLLM-async handler), else the length of a non-empty ``details.prefill`` (TGI and
    LMI with ``decoder_input_details``), else an OpenAI-style ``usage``. Generated
    tokens: ``details.generated_tokens``, else ``usage``.
    """
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    prefill = details.get("prefill")
    usage = item.get("usage") if isinstance(item.get("usage"), dict) else {}
    inputs = details.get("input_length")
    if inputs is None and isinstance(prefill, list) and prefill:
        inputs = len(prefill)
    if inputs is None:
        inputs = usage.get("prompt_tokens", usage.get("input_tokens"))
    outputs = details.get("generated_tokens")
    if outputs is None:
        outputs = usage.get("completion_tokens", usage.get("output_tokens"))
    return usage_from(inputs, outputs)


def decode_generate(body: bytes, prompt_text: str, codec: str) -> Completion:
    """Decode any TGI/LMI/HF-toolkit generate response (list or object)."""
    item = _first_item(load_json(body, codec), codec)
    raise_in_band_error(item, codec)
    text = item.get("generated_text")
    if text is None and isinstance(item.get("outputs"), list) and item["outputs"]:
        text = item["outputs"][0]  # LMI dynamic batching object form
        if isinstance(text, dict):
            text = text.get("generated_text")
    if not isinstance(text, str):
        raise ResponseDecodeError("response has no 'generated_text' string", codec=codec)
    details = item.get("details") if isinstance(item.get("details"), dict) else {}
    text = strip_echo(text, prompt_text)
    return Completion(text=text, usage=complete_usage(generate_usage(item), prompt_text, text),
                      finish_reason=details.get("finish_reason"))


class GenerateStreamDecoder(StreamDecoder):
    """TGI SSE (``data: {"token":...}``), LMI JSON lines and dynamic-batching ``{"outputs": [...]}``.

    Every token event is one generated token (TGI counts its closing special
    token too), so when the final event carries no ``details`` the number of
    token events is the container's own generated-token count.
    """

    def __init__(self, prompt: RenderedPrompt, codec: str, prompt_text: str) -> None:
        super().__init__(prompt, codec)
        self._prompt_text = prompt_text
        self._token_events = 0

    def prompt_text(self) -> str:
        return self._prompt_text

    def text(self) -> str:
        if self._texts:
            return "".join(self._texts)
        return strip_echo(self.final_text, self._prompt_text) if self.final_text else ""

    def finish(self) -> Completion:
        if self.usage is None and self._token_events:
            self.usage = usage_from(None, self._token_events)
        return super().finish()

    def on_object(self, obj: Any) -> list[StreamEvent]:
        if isinstance(obj, list):  # TGI-compat list framing
            return [ev for item in obj for ev in self.on_object(item)]
        if not isinstance(obj, dict):
            raise ResponseDecodeError(f"stream event is a {type(obj).__name__}, expected an object", codec=self.codec)
        text = ""
        token = obj.get("token")
        if isinstance(token, dict):
            self._token_events += 1
            if not (token.get("special") or token.get("special_token")):
                text = token.get("text") or ""
        elif isinstance(token, str):
            self._token_events += 1
            text = token
        outputs = obj.get("outputs")
        if isinstance(outputs, list):
            text += "".join(o for o in outputs if isinstance(o, str))
        details = obj.get("details") if isinstance(obj.get("details"), dict) else None
        final_text = obj.get("generated_text")
        if details:
            self.finish_reason = details.get("finish_reason") or self.finish_reason
            self.usage = generate_usage(obj) or self.usage
        if isinstance(final_text, str):
            self.final_text = final_text
        final = details is not None or isinstance(final_text, str)
        if not text and not final:
            return []
        return [self._emit(text, final=final)]


class _GenerateCodec(Codec):
    stop_key: ClassVar[str] = "stop"

    def __init__(self, *, prompt_template: Optional[str] = None, extra_parameters: Optional[dict[str, Any]] = None,
                 return_full_text: bool = False) -> None:
        """``prompt_template``: a name from PROMPT_TEMPLATES or a string with ``{system}``/``{user}``
        slots, for containers that apply no chat template. ``extra_parameters`` are merged into
        ``parameters`` verbatim (``top_k``, ``repetition_penalty``...)."""
        if prompt_template is not None and prompt_template in PROMPT_TEMPLATES:
            prompt_template = PROMPT_TEMPLATES[prompt_template]
        if prompt_template is not None and "{user}" not in prompt_template:
            raise ConfigurationError("prompt_template must be a known name or contain a {user} slot")
        self.prompt_template = prompt_template
        self.extra_parameters = dict(extra_parameters or {})
        self.return_full_text = return_full_text

    def format_prompt(self, prompt: RenderedPrompt) -> str:
        if self.prompt_template is None:
            return prompt.text
        values = {"system": prompt.system, "user": prompt.user}
        return _SLOT.sub(lambda m: values[m.group(1)], self.prompt_template)

    def parameters(self, params: GenerationParams) -> dict[str, Any]:
        p: dict[str, Any] = {"max_new_tokens": max(1, int(params.max_new_tokens)), "details": True,
                             "return_full_text": self.return_full_text}
        sampling = params.temperature is not None and params.temperature > 0
        p["do_sample"] = sampling
        if sampling:
            p["temperature"] = float(params.temperature)
            if params.top_p is not None and 0.0 < params.top_p < 1.0:  # TGI rejects top_p outside (0, 1)
                p["top_p"] = float(params.top_p)
        if params.stop:
            p[self.stop_key] = list(params.stop)
        if params.seed is not None:
            p["seed"] = int(params.seed)
        p.update(self.extra_parameters)
        return p

    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False) -> bytes:
        payload: dict[str, Any] = {"inputs": self.format_prompt(prompt), "parameters": self.parameters(params)}
        if stream:
            payload["stream"] = True
        return self.dumps(payload)

    def decode(self, body: bytes, prompt: RenderedPrompt) -> Completion:
        return decode_generate(body, self.format_prompt(prompt), self.name)

    def stream_decoder(self, prompt: RenderedPrompt) -> GenerateStreamDecoder:
        return GenerateStreamDecoder(prompt, self.name, self.format_prompt(prompt))


class TgiCodec(_GenerateCodec):
    """Hugging Face TGI ``/generate`` as served by the SageMaker HF LLM container.

    Greedy decoding is requested as ``do_sample: false`` with no temperature,
    because TGI rejects ``temperature: 0``. ``params.json_schema`` becomes
    TGI's ``grammar`` (Outlines-based constrained decoding, TGI >= 1.4.3).
    """

    name = "tgi"
    stream_accept = "text/event-stream"
    stop_key = "stop"

    def parameters(self, params: GenerationParams) -> dict[str, Any]:
        p = super().parameters(params)
        if params.json_schema:
            p["grammar"] = {"type": "json", "value": params.json_schema}
        return p


class LmiCodec(_GenerateCodec):
    """DJL LMI rolling batch (vLLM / TensorRT-LLM / LMI-Dist backends).

    ``json_schema_parameter``: LMI has no portable grammar field; name the one
    your backend supports (for example ``"guided_json"``) to send the schema.
    """

    name = "lmi"
    stream_accept = "application/jsonlines"
    stop_key = "stop_sequences"

    def __init__(self, *, json_schema_parameter: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.json_schema_parameter = json_schema_parameter

    def parameters(self, params: GenerationParams) -> dict[str, Any]:
        p = super().parameters(params)
        if params.stop:
            # LMI >= v17 (vLLM async, the default) maps the TGI schema onto a vLLM completion request,
            # whose stop list is ``stop``; ``stop_sequences`` would be ignored there. Rolling batch
            # reads ``stop_sequences`` and drops or ignores the unknown key. Same list in both.
            p["stop"] = list(params.stop)
        if params.json_schema and self.json_schema_parameter:
            p[self.json_schema_parameter] = params.json_schema
        return p
