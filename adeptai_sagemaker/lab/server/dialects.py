"""Container wire formats ("dialects"): how a request body becomes a prompt, and a
generation becomes a response body or a stream.

One dialect per family of real SageMaker containers, reproducing the quirks a
client codec must handle (see reference/anchors.md §3): TGI answers a list and
streams SSE, LMI answers an object and streams JSON lines, the Messages API
answers OpenAI chat completions, legacy JumpStart Llama-2 needs
``accept_eula=true``, and the integration guide's custom container answers
``{"response"}``. Validation failures raise :class:`DialectInputError` with the
status the real container would send (SageMaker turns it into a 424 ModelError).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .generation import Generation
from .tokens import EOS_ID, EOS_TEXT, token_id, token_logprob

SSE = "text/event-stream"
JSONLINES = "application/jsonlines"
JSON = "application/json"


class DialectInputError(Exception):
    """The container rejected the request (status is the container's own HTTP status)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class DialectRequest:
    """A parsed request: the prompt text for the backend plus normalised parameters."""

    prompt: str
    params: dict[str, Any]
    stream: bool | None = None  # None: the route decides (streaming route => stream)
    details: bool = False
    return_full_text: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def parse_custom_attributes(value: str | None) -> dict[str, str]:
    """``"accept_eula=true;trace=1"`` -> ``{"accept_eula": "true", "trace": "1"}`` (SageMaker leaves the format to the container)."""
    out: dict[str, str] = {}
    for item in (value or "").replace(",", ";").split(";"):
        key, sep, val = item.strip().partition("=")
        if key and sep:
            out[key.strip().lower()] = val.strip()
    return out


def _load_json(body: bytes, status: int) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DialectInputError(status, f"Failed to deserialize the JSON body into the target type: {exc.msg if hasattr(exc, 'msg') else exc}") from None


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _stop_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise DialectInputError(422, "stop must be a string or a list of strings")


def _int_or_none(value: Any, name: str, status: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DialectInputError(status, f"{name} must be a non-negative integer")
    return value


def _schema_from_grammar(grammar: Any) -> dict[str, Any] | None:
    """TGI ``{"type":"json","value":schema}`` / OpenAI ``response_format`` -> a JSON schema."""
    if not isinstance(grammar, dict):
        return None
    kind = grammar.get("type")
    if kind == "json":
        value = grammar.get("value")
        return value if isinstance(value, dict) else {"type": "object"}
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        spec = grammar.get("json_schema") or {}
        return spec.get("schema") if isinstance(spec.get("schema"), dict) else {"type": "object"}
    return None


def _chat_prompt(messages: Any, status: int) -> str:
    """System/user/assistant contents joined in order (system first), like ``RenderedPrompt.text``."""
    return "\n\n".join(m["content"] for m in _chat_messages(messages, status) if m["content"])


def _chat_messages(messages: Any, status: int) -> list[dict[str, str]]:
    """The turns as ``[{"role", "content"}]`` with text contents, for backends that apply a chat template."""
    if not isinstance(messages, list) or not messages:
        raise DialectInputError(status, "messages must be a non-empty list")
    turns: list[dict[str, str]] = []
    for msg in messages:
        if not isinstance(msg, dict) or msg.get("role") not in {"system", "user", "assistant", "tool", "developer"}:
            raise DialectInputError(status, "each message needs a role of system, user, assistant or tool")
        content = msg.get("content")
        if isinstance(content, list):  # OpenAI content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
        if not isinstance(content, str):
            raise DialectInputError(status, "message content must be a string")
        turns.append({"role": msg["role"], "content": content})
    return turns


def _tgi_token(piece: str, special: bool = False) -> dict[str, Any]:
    if special:
        return {"id": EOS_ID, "text": EOS_TEXT, "logprob": 0.0, "special": True}
    return {"id": token_id(piece), "text": piece, "logprob": token_logprob(piece), "special": False}


class Dialect:
    """Base class: subclasses implement parse/render/stream for one container family."""

    name = ""
    content_type = JSON
    stream_content_type = SSE
    #: True when the body's ``stream`` flag decides streaming (TGI, LMI, Messages);
    #: False when the route alone decides (JumpStart, custom).
    body_stream_flag = True
    parse_error_status = 400

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        raise NotImplementedError

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        raise NotImplementedError

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        """Every event of a streamed answer, in order. With ``error``, the tokens in ``gen`` are
        followed by the container's in-band error event instead of the final event."""
        raise NotImplementedError

    def render_bytes(self, req: DialectRequest, gen: Generation) -> bytes:
        return _dumps(self.render(req, gen)).encode("utf-8")


# ----------------------------------------------------------------------------------------- TGI
class TGIDialect(Dialect):
    """Hugging Face TGI ``generate``: list response, SSE stream with a final event carrying the text."""

    name = "tgi"
    parse_error_status = 422

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 422)
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
            raise DialectInputError(422, "Failed to deserialize the JSON body into the target type: missing field `inputs`")
        p = payload.get("parameters") or {}
        if not isinstance(p, dict):
            raise DialectInputError(422, "parameters must be an object")
        params = {
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 422),
            "temperature": p.get("temperature"),
            "top_p": p.get("top_p"),
            "stop": _stop_list(p.get("stop")),
            "seed": p.get("seed"),
            "json_schema": _schema_from_grammar(p.get("grammar")),
        }
        return DialectRequest(payload["inputs"], params, bool(payload.get("stream", False)),
                              details=bool(p.get("details")), return_full_text=bool(p.get("return_full_text")))

    def _text(self, req: DialectRequest, gen: Generation) -> str:
        return req.prompt + gen.text if req.return_full_text else gen.text

    def _details(self, gen: Generation, with_tokens: bool) -> dict[str, Any]:
        details: dict[str, Any] = {"finish_reason": gen.finish_reason, "generated_tokens": gen.generated_tokens,
                                   "seed": None}
        if with_tokens:
            details["prefill"] = []
            details["tokens"] = [_tgi_token(t) for t in gen.tokens]
        return details

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        item: dict[str, Any] = {"generated_text": self._text(req, gen)}
        if req.details:
            item["details"] = self._details(gen, True)
        return [item]

    def _token_events(self, gen: Generation) -> list[dict[str, Any]]:
        events = [{"index": i + 1, "token": _tgi_token(t), "generated_text": None, "details": None}
                  for i, t in enumerate(gen.tokens)]
        if gen.finish_reason == "eos_token" or not events:
            # TGI streams the EOS token too (special=true); clients must not append its text.
            events.append({"index": len(events) + 1, "token": _tgi_token("", special=True),
                           "generated_text": None, "details": None})
        return events

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        if error is not None:
            events = [{"index": i + 1, "token": _tgi_token(t), "generated_text": None, "details": None}
                      for i, t in enumerate(gen.tokens)]
            out = [f"data:{_dumps(e)}\n\n".encode() for e in events]
            return out + [f"data:{_dumps({'error': error, 'error_type': 'generation'})}\n\n".encode()]
        events = self._token_events(gen)
        events[-1]["generated_text"] = self._text(req, gen)
        events[-1]["details"] = ({"finish_reason": gen.finish_reason, "generated_tokens": gen.generated_tokens,
                                  "seed": None} if req.details else None)
        return [f"data:{_dumps(e)}\n\n".encode() for e in events]


# ----------------------------------------------------------------------------------------- LMI
class LMIDialect(Dialect):
    """DJL LMI rolling batch: object response, ``stop_sequences``, JSON-lines stream with ``log_prob``."""

    name = "lmi"
    stream_content_type = JSONLINES

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
            raise DialectInputError(400, "Input prompt must be a string in field 'inputs'")
        p = payload.get("parameters") or {}
        if not isinstance(p, dict):
            raise DialectInputError(400, "parameters must be an object")
        if "stop" in p and "stop_sequences" not in p:
            raise DialectInputError(400, "Unknown parameter 'stop'; LMI uses 'stop_sequences'")
        params = {
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 400),
            "temperature": p.get("temperature"),
            "top_p": p.get("top_p"),
            "stop": _stop_list(p.get("stop_sequences")),
            "seed": p.get("seed"),
            "json_schema": p.get("guided_json") if isinstance(p.get("guided_json"), dict)
            else _schema_from_grammar(p.get("grammar")),
        }
        return DialectRequest(payload["inputs"], params, bool(payload.get("stream", False)),
                              details=bool(p.get("details")), return_full_text=bool(p.get("return_full_text")))

    def _text(self, req: DialectRequest, gen: Generation) -> str:
        return req.prompt + gen.text if req.return_full_text else gen.text

    @staticmethod
    def _token(piece: str) -> dict[str, Any]:
        return {"id": token_id(piece), "text": piece, "log_prob": token_logprob(piece)}

    def _details(self, gen: Generation, with_tokens: bool) -> dict[str, Any]:
        details: dict[str, Any] = {"finish_reason": gen.finish_reason, "generated_tokens": gen.generated_tokens,
                                   "inputs": None}
        if with_tokens:
            details["tokens"] = [self._token(t) for t in gen.tokens]
        return details

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        out: dict[str, Any] = {"generated_text": self._text(req, gen)}
        if req.details:
            out["details"] = self._details(gen, True)
        return out

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        lines: list[dict[str, Any]] = [{"token": self._token(t)} for t in gen.tokens]
        if error is not None:
            lines.append({"token": {"id": -1, "text": "", "log_prob": 0.0}, "generated_text": None,
                          "details": {"finish_reason": "error", "generated_tokens": gen.generated_tokens,
                                      "inputs": None}, "error": error})
        else:
            if not lines:
                lines.append({"token": {"id": EOS_ID, "text": "", "log_prob": 0.0}})
            lines[-1]["generated_text"] = self._text(req, gen)
            lines[-1]["details"] = self._details(gen, False)
        return [(_dumps(line) + "\n").encode() for line in lines]


# ------------------------------------------------------------------------------------ Messages
class MessagesDialect(Dialect):
    """The OpenAI-compatible Messages API (TGI >= 1.4, LMI chat): ``chat.completion`` with ``usage``."""

    name = "messages"
    parse_error_status = 422

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 422)
        if not isinstance(payload, dict) or "messages" not in payload:
            raise DialectInputError(422, "Failed to deserialize the JSON body into the target type: missing field `messages`")
        messages = _chat_messages(payload["messages"], 422)
        prompt = "\n\n".join(m["content"] for m in messages if m["content"])
        max_tokens = payload.get("max_completion_tokens", payload.get("max_tokens"))
        stream_options = payload.get("stream_options") or {}
        params = {
            "max_new_tokens": _int_or_none(max_tokens, "max_tokens", 422),
            "temperature": payload.get("temperature"),
            "top_p": payload.get("top_p"),
            "stop": _stop_list(payload.get("stop")),
            "seed": payload.get("seed"),
            "json_schema": _schema_from_grammar(payload.get("response_format")),
            "messages": messages,
        }
        return DialectRequest(prompt, params, bool(payload.get("stream", False)),
                              extra={"model": payload.get("model") or "tgi",
                                     "include_usage": bool(isinstance(stream_options, dict)
                                                           and stream_options.get("include_usage"))})

    @staticmethod
    def _finish(gen: Generation) -> str:
        return "length" if gen.finish_reason == "length" else "stop"

    @staticmethod
    def _usage(gen: Generation) -> dict[str, int]:
        return {"prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.generated_tokens,
                "total_tokens": gen.prompt_tokens + gen.generated_tokens}

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": req.extra.get("model", "tgi"), "system_fingerprint": gen.model_version,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text},
                         "logprobs": None, "finish_reason": self._finish(gen)}],
            "usage": self._usage(gen),
        }

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": req.extra.get("model", "tgi"),
                "system_fingerprint": gen.model_version}

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""}, None)]
        events += [chunk({"content": t}, None) for t in gen.tokens]
        if error is not None:
            out = [f"data: {_dumps(e)}\n\n".encode() for e in events]
            return out + [f"data: {_dumps({'error': error, 'error_type': 'generation'})}\n\n".encode()]
        events.append(chunk({}, self._finish(gen)))
        if req.extra.get("include_usage"):
            events.append({**base, "choices": [], "usage": self._usage(gen)})
        return [f"data: {_dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


# ----------------------------------------------------------------------------------- JumpStart
EULA_MESSAGE = ("Need to pass custom_attributes='accept_eula=true' as part of header. This means you have read and "
                "accept the end-user-license-agreement (EULA) of the model. EULA can be found in model card "
                "description or from https://ai.meta.com/resources/models-and-libraries/llama-downloads/.")


class JumpStartDialect(Dialect):
    """Legacy JumpStart Llama-2 chat: ``{"inputs": [[messages]]}`` -> ``[{"generation": {...}}]``."""

    name = "jumpstart"
    body_stream_flag = False

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        if parse_custom_attributes(custom_attributes).get("accept_eula", "").lower() != "true":
            raise DialectInputError(424, _dumps({"code": 424, "message": "prediction failure", "error": EULA_MESSAGE}))
        payload = _load_json(body, 400)
        inputs = payload.get("inputs") if isinstance(payload, dict) else None
        if not (isinstance(inputs, list) and inputs and isinstance(inputs[0], list)):
            raise DialectInputError(400, "inputs must be a list of dialogs, each a list of {role, content}")
        if len(inputs) != 1:
            raise DialectInputError(400, "this endpoint serves one dialog per request")
        p = payload.get("parameters") or {}
        params = {
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 400),
            "temperature": p.get("temperature"), "top_p": p.get("top_p"), "stop": [], "seed": None,
            "json_schema": None, "messages": _chat_messages(inputs[0], 400),
        }
        return DialectRequest(_chat_prompt(inputs[0], 400), params, None)

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        return [{"generation": {"role": "assistant", "content": gen.text}}]

    stream_events = TGIDialect.stream_events
    _token_events = TGIDialect._token_events

    def _text(self, req: DialectRequest, gen: Generation) -> str:
        return gen.text


# -------------------------------------------------------------------------------------- custom
class CustomDialect(Dialect):
    """The integration guide's container: ``{"prompt", "max_length"|"max_tokens", "temperature"}`` -> ``{"response"}``."""

    name = "custom"
    stream_content_type = JSONLINES
    body_stream_flag = False

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("prompt"), str):
            raise DialectInputError(400, "'prompt' is required and must be a string")
        limit = payload.get("max_length", payload.get("max_tokens"))
        params = {"max_new_tokens": _int_or_none(limit, "max_length", 400), "temperature": payload.get("temperature"),
                  "top_p": None, "stop": [], "seed": None, "json_schema": None}
        return DialectRequest(payload["prompt"], params, None)

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        return {"response": gen.text}

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        lines = [{"token": t} for t in gen.tokens]
        if error is not None:
            lines.append({"error": error})
        return [(_dumps(line) + "\n").encode() for line in lines]


DIALECTS: dict[str, Callable[[], Dialect]] = {
    "tgi": TGIDialect, "lmi": LMIDialect, "messages": MessagesDialect,
    "jumpstart": JumpStartDialect, "custom": CustomDialect,
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]()
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {sorted(DIALECTS)}") from None
