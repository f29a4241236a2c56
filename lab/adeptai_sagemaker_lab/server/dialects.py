"""Container wire formats ("dialects"): how a request body becomes a prompt, and a
generation becomes a response body or a stream.

One dialect per family of real SageMaker containers, each following that
container's own source (docs/wire-formats.md names files and versions): TGI
``generate`` and TGI's Messages API, LMI rolling batch, LMI v17+ on vLLM (its
TGI-style schema and its chat completions), vLLM's OpenAI chat completions,
legacy JumpStart Llama-2 (``accept_eula=true``) and the ``custom`` container of
docs/wire-formats.md (``{"response"}``). ``tests/lab/test_dialects_match_containers.py``
holds each to container-shaped fixtures. Validation failures raise
:class:`DialectInputError` with the status the real container would send
(SageMaker turns it into a 424 ModelError).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from adeptai_sagemaker_lab.server.generation import Generation
from adeptai_sagemaker_lab.server.tokens import EOS_ID, EOS_TEXT, token_id, token_logprob

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
TGI_VERSION = "3.3.7"  # the TGI release these shapes follow (docs/wire-formats.md)
TGI_STREAM_ERROR = "Request failed during generation: {}"


def _sse(obj: Any) -> bytes:
    """One SSE event as axum 0.7 writes it (TGI's router): ``data: <json>`` and a blank line."""
    return f"data: {obj if isinstance(obj, str) else _dumps(obj)}\n\n".encode()


def _tgi_tokens(gen: Generation) -> list[dict[str, Any]]:
    """Every token TGI reports for ``gen``: the text tokens, then the EOS token when generation ended on it.

    TGI counts that closing special token in ``generated_tokens`` and streams it
    as the last event (its text is not part of ``generated_text``).
    """
    tokens = [_tgi_token(t) for t in gen.tokens]
    if gen.finish_reason == "eos_token" or not tokens:
        tokens.append(_tgi_token("", special=True))
    return tokens


def _tgi_count(gen: Generation) -> int:
    """TGI's ``generated_tokens``: the generation's own count (a real model's, when its backend reports
    one) plus the closing EOS token, as :func:`_tgi_tokens` lists it."""
    return gen.generated_tokens + (1 if gen.finish_reason == "eos_token" or not gen.tokens else 0)


class TGIDialect(Dialect):
    """Hugging Face TGI ``generate``: list response, SSE stream whose last event carries text and details.

    Shapes follow TGI's ``router/src/lib.rs`` (``GenerateResponse``, ``Details``,
    ``StreamResponse``, ``StreamDetails``) and ``server.rs``: the stream's final
    ``details`` reports the prompt size as ``input_length``; non-streamed
    ``details.prefill`` is empty because current TGI computes prefill logprobs only
    when launched with ``--enable-prefill-logprobs``. TGI's keep-alive comment
    (``:``) is sent only after 15 s without an event, which never happens here.
    """

    name = "tgi"
    parse_error_status = 422

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 422)
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
            raise DialectInputError(422, "Failed to deserialize the JSON body into the target type: missing field `inputs`")
        p = payload.get("parameters") or {}
        if not isinstance(p, dict):
            raise DialectInputError(422, "parameters must be an object")
        stream = bool(payload.get("stream", False))
        if stream and p.get("decoder_input_details"):
            raise DialectInputError(422, "Input validation error: `decoder_input_details` == true is not supported "
                                         "when streaming tokens")
        params = {
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 422),
            "temperature": p.get("temperature"),
            "top_p": p.get("top_p"),
            "stop": _stop_list(p.get("stop")),
            "seed": p.get("seed"),
            "json_schema": _schema_from_grammar(p.get("grammar")),
        }
        return DialectRequest(payload["inputs"], params, stream,
                              details=bool(p.get("details") or p.get("decoder_input_details")),
                              return_full_text=bool(p.get("return_full_text")))

    def _text(self, req: DialectRequest, gen: Generation) -> str:
        return req.prompt + gen.text if req.return_full_text else gen.text

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        item: dict[str, Any] = {"generated_text": self._text(req, gen)}
        if req.details:
            tokens = _tgi_tokens(gen)
            item["details"] = {"finish_reason": gen.finish_reason, "generated_tokens": _tgi_count(gen),
                               "seed": req.params.get("seed"), "prefill": [], "tokens": tokens}
        return [item]

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        if error is not None:
            events = [{"index": i, "token": _tgi_token(t), "generated_text": None, "details": None}
                      for i, t in enumerate(gen.tokens, 1)]
            return [_sse(e) for e in events] + [_sse({"error": error, "error_type": "generation"})]
        tokens = _tgi_tokens(gen)
        events = [{"index": i, "token": t, "generated_text": None, "details": None} for i, t in enumerate(tokens, 1)]
        events[-1]["generated_text"] = self._text(req, gen)
        if req.details:
            events[-1]["details"] = {"finish_reason": gen.finish_reason, "generated_tokens": _tgi_count(gen),
                                     "seed": req.params.get("seed"), "input_length": gen.prompt_tokens}
        return [_sse(e) for e in events]


# ----------------------------------------------------------------------------------------- LMI
def _py_dumps(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False)``: how djl-serving's Python formatters write JSON."""
    return json.dumps(obj, ensure_ascii=False)


LMI_ERROR_MESSAGE = "exception occurred during rolling batch inference"


class LMIDialect(Dialect):
    """DJL LMI rolling batch (``option.rolling_batch``: lmi-dist, TensorRT-LLM, vLLM before v17).

    Object response, ``stop_sequences``, JSON-lines stream with ``log_prob``, as
    ``djl_python/output_formatter.py`` writes them: ``details`` (when asked for)
    echoes the prompt text in ``inputs`` and reports no prompt token count; a
    failure mid-stream is a last line whose token is marked ``special_token`` with
    ``error_msg``, which keeps the text generated so far and sets
    ``details.finish_reason`` to ``"error"``.
    """

    name = "lmi"
    stream_content_type = JSONLINES

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
            raise DialectInputError(400, "Input prompt must be a string in field 'inputs'")
        p = payload.get("parameters") or {}
        if not isinstance(p, dict):
            raise DialectInputError(400, "parameters must be an object")
        params = {  # vLLM rolling batch renames stop_sequences to vLLM's own ``stop``, which it also accepts
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 400),
            "temperature": p.get("temperature"),
            "top_p": p.get("top_p"),
            "stop": _stop_list(p.get("stop_sequences", p.get("stop"))),
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

    def _details(self, req: DialectRequest, gen: Generation, with_tokens: bool,
                 finish_reason: str | None = None, generated: int | None = None) -> dict[str, Any]:
        details: dict[str, Any] = {"finish_reason": finish_reason or gen.finish_reason,
                                   "generated_tokens": gen.generated_tokens if generated is None else generated,
                                   "inputs": req.prompt}
        if with_tokens:
            details["tokens"] = [self._token(t) for t in gen.tokens]
        return details

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        out: dict[str, Any] = {"generated_text": self._text(req, gen)}
        if req.details:
            out["details"] = self._details(req, gen, True)
        return out

    def render_bytes(self, req: DialectRequest, gen: Generation) -> bytes:
        return _py_dumps(self.render(req, gen)).encode("utf-8")

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        lines: list[dict[str, Any]] = [{"token": self._token(t)} for t in gen.tokens]
        if error is not None:
            lines.append({"token": {"id": -1, "text": "", "log_prob": -1, "special_token": True,
                                    "error_msg": LMI_ERROR_MESSAGE},
                          "generated_text": self._text(req, gen),
                          "details": (self._details(req, gen, False, "error", gen.generated_tokens + 1)
                                      if req.details else {"finish_reason": "error"})})
        else:
            if not lines:
                lines.append({"token": {"id": EOS_ID, "text": "", "log_prob": 0.0}})
            lines[-1]["generated_text"] = self._text(req, gen)
            if req.details:
                lines[-1]["details"] = self._details(req, gen, False)
        return [(_py_dumps(line) + "\n").encode() for line in lines]


def _vllm_finish(gen: Generation) -> str:
    """vLLM's finish reasons: ``stop`` (EOS or a stop string) or ``length``."""
    return "length" if gen.finish_reason == "length" else "stop"


def _vllm_stop_reason(req: DialectRequest, gen: Generation) -> str | None:
    """vLLM's ``stop_reason``: the stop string that ended generation, else None."""
    return gen.extra.get("stop_string") if gen.finish_reason == "stop_sequence" else None


def _vllm_tokens(gen: Generation) -> list[str]:
    """vLLM's output token texts: the EOS token counts as an output token with empty text."""
    return list(gen.tokens) + ([""] if gen.finish_reason == "eos_token" else [])


class LMIVllmDialect(LMIDialect):
    """LMI v17+ default (vLLM async engine) answering the TGI-style ``inputs`` schema.

    ``djl_python/lmi_vllm/request_response_utils.py`` turns the request into a vLLM
    completion (``stop`` is vLLM's stop list; ``stop_sequences`` is not one of its
    fields) and its output back into TGI-like JSON: ``logprob`` (not ``log_prob``);
    non-streamed ``details.finish_reason`` is vLLM's ``stop_reason`` (the matched
    stop string, or null); the stream's last line reports ``details.input_length``
    and ``generated_tokens`` as vLLM's running count plus one; vLLM's usage-only
    chunk and ``[DONE]`` become empty lines; an error chunk is passed through.
    """

    name = "lmi-vllm"

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        payload = _load_json(body, 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
            raise DialectInputError(400, "Input prompt must be a string in field 'inputs'")
        p = payload.get("parameters") or {}
        if not isinstance(p, dict):
            raise DialectInputError(400, "parameters must be an object")
        params = {
            "max_new_tokens": _int_or_none(p.get("max_new_tokens"), "max_new_tokens", 400),
            "temperature": p.get("temperature"),
            "top_p": p.get("top_p"),
            "stop": _stop_list(p.get("stop")),
            "seed": p.get("seed"),
            "json_schema": _schema_from_grammar(p.get("response_format")),
        }
        return DialectRequest(payload["inputs"], params, bool(payload.get("stream", False)),
                              details=bool(p.get("details")), return_full_text=bool(p.get("return_full_text")))

    @staticmethod
    def _token(piece: str) -> dict[str, Any]:
        if not piece:
            return {"id": EOS_ID, "text": "", "logprob": 0.0}
        return {"id": token_id(piece), "text": piece, "logprob": token_logprob(piece)}

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        out: dict[str, Any] = {"generated_text": self._text(req, gen)}
        if req.details:
            tokens = _vllm_tokens(gen)
            out["details"] = {"finish_reason": _vllm_stop_reason(req, gen), "generated_tokens": len(tokens),
                              "seed": req.params.get("seed"), "prefill": [],
                              "tokens": [self._token(t) for t in tokens]}
        return out

    def render_bytes(self, req: DialectRequest, gen: Generation) -> bytes:
        return (_py_dumps(self.render(req, gen)) + "\n").encode("utf-8")

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        if error is not None:
            lines = [{"index": 0, "token": self._token(t), "generated_text": None, "details": None}
                     for t in gen.tokens]
            err = {"error": {"message": error, "type": "InternalServerError", "param": None, "code": 500}}
            return [(_py_dumps(line) + "\n").encode() for line in lines] + [(_py_dumps(err) + "\n").encode()]
        tokens = _vllm_tokens(gen) or [""]
        lines = [{"index": 0, "token": self._token(t), "generated_text": None, "details": None} for t in tokens]
        lines[-1]["generated_text"] = self._text(req, gen)
        if req.details:
            lines[-1]["details"] = {"finish_reason": _vllm_finish(gen), "seed": req.params.get("seed"),
                                    "generated_tokens": len(tokens) + 1, "input_length": gen.prompt_tokens}
        return [(_py_dumps(line) + "\n").encode() for line in lines] + [b"\n", b"\n"]


# ------------------------------------------------------------------------------------ Messages
def _chat_request(payload: Any, status: int, default_model: str) -> DialectRequest:
    if not isinstance(payload, dict) or "messages" not in payload:
        raise DialectInputError(status, "Failed to deserialize the JSON body into the target type: missing field `messages`")
    messages = _chat_messages(payload["messages"], status)
    prompt = "\n\n".join(m["content"] for m in messages if m["content"])
    max_tokens = payload.get("max_completion_tokens", payload.get("max_tokens"))
    options = payload.get("stream_options") if isinstance(payload.get("stream_options"), dict) else {}
    params = {
        "max_new_tokens": _int_or_none(max_tokens, "max_tokens", status),
        "temperature": payload.get("temperature"),
        "top_p": payload.get("top_p"),
        "stop": _stop_list(payload.get("stop")),
        "seed": payload.get("seed"),
        "json_schema": _schema_from_grammar(payload.get("response_format")),
        "messages": messages,  # for backends that apply the model's own chat template (llama.cpp)
    }
    return DialectRequest(prompt, params, bool(payload.get("stream", False)),
                          extra={"model": payload.get("model") or default_model,
                                 "include_usage": bool(options.get("include_usage")),
                                 "continuous_usage": bool(options.get("include_usage")
                                                          and options.get("continuous_usage_stats"))})


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


class MessagesDialect(Dialect):
    """TGI's Messages API (``/v1/chat/completions``, also reached through ``/invocations``).

    As TGI's ``lib.rs``/``chat.rs`` write it: ``object`` first (serde tag), ``id``
    empty, ``system_fingerprint`` ``"<version>-native"``; finish reason ``stop`` for
    EOS, ``stop_sequence`` for a stop string, ``length``; every chunk carries
    ``usage`` (null, except the ``choices: []`` chunk sent when
    ``stream_options.include_usage``); one chunk per generated token, the last
    one (EOS included) carrying the finish reason; a failure mid-stream is
    ``{"error": {"message", "http_status_code"}}`` followed by ``[DONE]``.
    """

    name = "messages"
    parse_error_status = 422

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        return _chat_request(_load_json(body, 422), 422, "tgi")

    @staticmethod
    def _finish(gen: Generation) -> str:
        return "stop" if gen.finish_reason == "eos_token" else gen.finish_reason

    @staticmethod
    def _model(req: DialectRequest, gen: Generation) -> str:
        model = req.extra.get("model")
        return gen.model_version if model in (None, "tgi") else model

    def _base(self, req: DialectRequest, gen: Generation, kind: str) -> dict[str, Any]:
        return {"object": kind, "id": "", "created": int(time.time()), "model": self._model(req, gen),
                "system_fingerprint": f"{TGI_VERSION}-native"}

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        return {**self._base(req, gen, "chat.completion"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text},
                             "logprobs": None, "finish_reason": self._finish(gen)}],
                "usage": _usage(gen.prompt_tokens, _tgi_count(gen))}

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        base = self._base(req, gen, "chat.completion.chunk")

        def chunk(token: dict[str, Any], finish: str | None) -> dict[str, Any]:
            delta = {"role": "assistant", "content": "" if token["special"] else token["text"]}
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                    "usage": None}

        if error is not None:
            events = [chunk(_tgi_token(t), None) for t in gen.tokens]
            events.append({"error": {"message": error, "http_status_code": 422}})
            return [_sse(e) for e in events] + [_sse("[DONE]")]
        tokens = _tgi_tokens(gen)
        events = [chunk(t, None) for t in tokens[:-1]] + [chunk(tokens[-1], self._finish(gen))]
        if req.extra.get("include_usage"):
            events.append({**base, "choices": [], "usage": _usage(gen.prompt_tokens, _tgi_count(gen))})
        return [_sse(e) for e in events] + [_sse("[DONE]")]


class VllmChatDialect(Dialect):
    """vLLM's OpenAI chat completions (``vllm/entrypoints/openai/chat_completion``), SSE-framed.

    Non-streamed: ``ChatCompletionResponse``. Streamed: a first chunk with the
    role, one chunk per output (the EOS token's chunk has empty content), the last
    with ``finish_reason`` and ``stop_reason``; with ``stream_options.include_usage``
    a closing ``choices: []`` chunk with ``usage``, and with
    ``continuous_usage_stats`` the running ``usage`` on every chunk; always ending
    in ``data: [DONE]``. A failure is ``{"error": {"message", "type", "param", "code"}}``
    then ``[DONE]``. Chunks are serialised unset-fields-excluded, as vLLM does.
    """

    name = "vllm"
    parse_error_status = 400

    def parse(self, body: bytes, custom_attributes: str | None = None) -> DialectRequest:
        return _chat_request(_load_json(body, 400), 400, "")

    @staticmethod
    def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
        return {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens,
                "completion_tokens": completion_tokens}

    def render(self, req: DialectRequest, gen: Generation) -> Any:
        tokens = _vllm_tokens(gen)
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": req.extra.get("model") or gen.model_version,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text, "refusal": None,
                                                     "annotations": None, "audio": None, "function_call": None,
                                                     "reasoning": None},
                             "logprobs": None, "finish_reason": _vllm_finish(gen),
                             "stop_reason": _vllm_stop_reason(req, gen), "token_ids": None}],
                "service_tier": None, "system_fingerprint": None,
                "usage": {**self._usage(gen.prompt_tokens, len(tokens)), "prompt_tokens_details": None},
                "prompt_logprobs": None, "prompt_token_ids": None, "kv_transfer_params": None}

    def _chunks(self, req: DialectRequest, gen: Generation, error: str | None) -> list[Any]:
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": req.extra.get("model") or gen.model_version}
        continuous = req.extra.get("continuous_usage")
        prompt_tokens = gen.prompt_tokens

        def chunk(delta: dict[str, Any], done: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None, **(extra or {})}
            out = {**base, "choices": [choice]}
            if continuous:  # set explicitly by vLLM, so its completion_tokens_details survives exclude_unset
                out["usage"] = {**self._usage(prompt_tokens, done), "completion_tokens_details": None}
            return out

        events: list[Any] = [chunk({"role": "assistant", "content": ""}, 0)]
        tokens = _vllm_tokens(gen) if error is None else list(gen.tokens)
        for n, piece in enumerate(tokens, 1):
            last = error is None and n == len(tokens)
            extra = {"token_ids": None}
            if last:
                extra = {"finish_reason": _vllm_finish(gen), "stop_reason": _vllm_stop_reason(req, gen),
                         "token_ids": None}
            events.append(chunk({"content": piece}, n, extra))
        if error is not None:
            events.append(json.dumps({"error": {"message": error, "type": "InternalServerError", "param": None,
                                                 "code": 500}}))
        elif req.extra.get("include_usage"):
            events.append({**base, "choices": [], "usage": self._usage(prompt_tokens, len(tokens))})
        return events

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        return [_sse(e) for e in self._chunks(req, gen, error)] + [_sse("[DONE]")]


class LmiChatDialect(VllmChatDialect):
    """LMI v17+ chat completions: vLLM's chunks passed through as JSON lines.

    ``djl_python/lmi_vllm``'s ``vllm_stream_output_formatter`` strips ``data: `` and
    turns ``[DONE]`` into an empty line; the content type is ``application/jsonlines``.
    """

    name = "lmi-chat"
    stream_content_type = JSONLINES

    def stream_events(self, req: DialectRequest, gen: Generation, error: str | None = None) -> list[bytes]:
        return [((e if isinstance(e, str) else _dumps(e)) + "\n").encode()
                for e in self._chunks(req, gen, error)] + [b"\n"]


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

    def _text(self, req: DialectRequest, gen: Generation) -> str:
        return gen.text


# -------------------------------------------------------------------------------------- custom
class CustomDialect(Dialect):
    """The ``custom`` container (docs/wire-formats.md): ``{"prompt", "max_length"|"max_tokens", "temperature"}`` -> ``{"response"}``."""

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
    "tgi": TGIDialect, "lmi": LMIDialect, "lmi-vllm": LMIVllmDialect, "messages": MessagesDialect,
    "vllm": VllmChatDialect, "lmi-chat": LmiChatDialect, "jumpstart": JumpStartDialect, "custom": CustomDialect,
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]()
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; choose one of {sorted(DIALECTS)}") from None
