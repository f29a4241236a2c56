"""What every codec does, and the stream reassembly they all share.

A codec owns one container family's wire format: how a rendered prompt and
sampling parameters become a request body, and how the container's answer
(whole or streamed) becomes a :class:`~adeptai_sagemaker.plugin.completion.Completion`.

Why the stream machinery lives here, once:
- SageMaker cuts a stream into PayloadParts wherever it likes: mid-line,
  mid-JSON, even mid-UTF-8 character (a frequent failure of other clients' stream parsers).
- Containers frame the same events differently: SSE ``data:`` lines with blank
  keep-alives and a ``[DONE]`` sentinel (TGI, Messages API), JSON lines (LMI),
  several objects on one line, or a last line with no newline.
So bytes are buffered until a newline, the framing is peeled off, and JSON is
decoded incrementally; each codec only says what one decoded object means.

Errors never carry body text: only sizes and shapes.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Optional

from pydantic_core import from_json

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams, StreamEvent, TokenUsage
from adeptai_sagemaker.core.errors import ModelStreamError, ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt

__all__ = ["Codec", "StreamDecoder", "load_json", "strip_echo", "raise_in_band_error", "usage_from",
           "estimate_tokens", "complete_usage"]

_DECODER = json.JSONDecoder()


def load_json(body: bytes | str, codec: str) -> Any:
    """Parse a response body, or raise ResponseDecodeError naming only its size.

    pydantic_core's parser (installed with pydantic) reads first: it is about twice as fast as ``json`` on
    the 10-20 KB bodies TGI returns with per-token ``details``, which is most of a call's client-side CPU.
    What it refuses (a lone surrogate escape, nesting past 200) goes to ``json``, so the bodies accepted and
    the errors raised are ``json``'s."""
    if isinstance(body, memoryview):
        body = body.tobytes()
    try:
        return from_json(body)
    except (ValueError, TypeError):
        pass
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
        return json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise ResponseDecodeError(f"response body is not valid UTF-8 JSON ({len(body)} bytes)", codec=codec) from None


def strip_echo(text: str, prompt_text: str) -> str:
    """Remove the prompt when a container echoed it (``return_full_text`` on, or HF toolkit default)."""
    if not prompt_text:
        return text
    for prefix in ("", "<s>", "<s> ", "<|begin_of_text|>"):
        candidate = prefix + prompt_text
        if text.startswith(candidate):
            return text[len(candidate):].lstrip("\n")
    return text


def usage_from(input_tokens: Any, output_tokens: Any) -> Optional[TokenUsage]:
    """TokenUsage when the container reported at least one count, else None."""
    i, o = _count(input_tokens), _count(output_tokens)
    return TokenUsage(input_tokens=i, output_tokens=o, source="container") if (i is not None or o is not None) else None


def _count(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


#: Characters per token for the local estimate: the usual rule of thumb for English BPE vocabularies.
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A rough token count (``ceil(chars / 4)``), used only when the container reported none."""
    return -(-len(text) // CHARS_PER_TOKEN) if text else 0


def complete_usage(reported: Optional[TokenUsage], prompt_text: str, completion_text: str) -> TokenUsage:
    """The container's counts, with any count it did not report estimated from the text.

    Some containers never report the prompt's size in some modes (TGI's non-streamed
    ``generate`` leaves ``details.prefill`` empty unless prefill logprobs are enabled;
    LMI's rolling-batch formatters echo the prompt text, not its length; legacy
    JumpStart reports nothing). Metrics and cost need a number either way, so the
    missing side is estimated and ``source`` says so: ``"container"`` when both
    counts came from the container, ``"estimate"`` when either was estimated.
    """
    i = reported.input_tokens if reported is not None else None
    o = reported.output_tokens if reported is not None else None
    if i is not None and o is not None:
        return reported  # type: ignore[return-value]
    return TokenUsage(input_tokens=i if i is not None else estimate_tokens(prompt_text),
                      output_tokens=o if o is not None else estimate_tokens(completion_text), source="estimate")


def raise_in_band_error(obj: Any, codec: str) -> None:
    """Raise ModelStreamError when a 200 response carries an error in its body.

    The shapes, as the containers' source writes them (docs/wire-formats.md):
    TGI ``generate`` ``{"error": "...", "error_type": "..."}``; TGI Messages API
    ``{"error": {"message", "http_status_code"}}``; vLLM (also behind LMI)
    ``{"error": {"message", "type", "param", "code"}}``; older vLLM/OpenAI-style
    ``{"object": "error", ...}``; LMI ``{"error": ..., "code": 424}``; and LMI
    rolling batch's ``details.finish_reason == "error"`` (its failing token carries
    ``error_msg``). The container's message is kept off ``str(exc)``.
    """
    if not isinstance(obj, dict):
        return
    if obj.get("error") not in (None, "", {}) or obj.get("object") == "error":
        err = obj.get("error")
        if isinstance(err, dict):
            kind = err.get("type") or err.get("code") or err.get("http_status_code")
            message = err.get("message")
        else:
            kind = obj.get("error_type") or obj.get("type") or obj.get("code")
            message = err if isinstance(err, str) else obj.get("message")
        exc = ModelStreamError(f"container reported an error in-band [{codec}]"
                               + (f" (type={kind})" if isinstance(kind, (str, int)) else ""),
                               error_code="container_error")
        exc.original_message = message if isinstance(message, str) else None
        raise exc
    details = obj.get("details")
    if isinstance(details, dict) and details.get("finish_reason") == "error":
        exc = ModelStreamError(f"container finished with finish_reason=error [{codec}]",
                               error_code="finish_reason_error")
        token = obj.get("token")
        exc.original_message = token.get("error_msg") if isinstance(token, dict) else None
        raise exc


class StreamDecoder(ABC):
    """Incremental decoder for one streamed answer: ``feed`` PayloadPart bytes, then ``finish``."""

    max_pending_bytes: ClassVar[int] = 8 * 1024 * 1024

    def __init__(self, prompt: RenderedPrompt, codec: str) -> None:
        self.prompt = prompt
        self.codec = codec
        self._buf = bytearray()  # bytes not yet terminated by a newline
        self._pending = ""  # JSON text started but not yet complete (a value split across lines)
        self._texts: list[str] = []
        self.usage: Optional[TokenUsage] = None
        self.finish_reason: Optional[str] = None
        self.model_version: Optional[str] = None
        self.final_text: Optional[str] = None  # full text when the container repeats it at the end
        self.done = False  # saw [DONE] or a final event
        self.objects_seen = 0

    # -- public API -----------------------------------------------------
    def feed(self, payload_part: bytes) -> list[StreamEvent]:
        """Decode one PayloadPart; returns the events completed by it (possibly none)."""
        self._buf += payload_part
        events: list[StreamEvent] = []
        while (nl := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            events += self._line(line)
        if self._buf and self._tail_is_complete():  # one object per part, no newline
            line = bytes(self._buf)
            self._buf.clear()
            events += self._line(line)
        if len(self._buf) + len(self._pending) > self.max_pending_bytes:
            raise ResponseDecodeError(f"stream buffer exceeded {self.max_pending_bytes} bytes without a "
                                      "complete event", codec=self.codec)
        return events

    def finish(self) -> Completion:
        """Flush a last line without newline and return the whole answer."""
        if self._buf:
            line = bytes(self._buf)
            self._buf.clear()
            self._line(line)
        if self._pending.strip():
            raise ResponseDecodeError(f"stream ended inside a JSON value ({len(self._pending)} chars pending)",
                                      codec=self.codec)
        text = self.text()
        return Completion(text=text, usage=complete_usage(self.usage, self.prompt_text(), text),
                          finish_reason=self.finish_reason, model_version=self.model_version)

    def prompt_text(self) -> str:
        """The prompt as sent, for estimating its size when the container did not report it."""
        return self.prompt.text

    def text(self) -> str:
        if self._texts:
            return "".join(self._texts)
        return strip_echo(self.final_text, self.prompt.text) if self.final_text else ""

    # -- codec hook -----------------------------------------------------
    @abstractmethod
    def on_object(self, obj: Any) -> list[StreamEvent]:
        """Turn one decoded JSON value into events; record usage/finish state on self."""

    # -- machinery ------------------------------------------------------
    def _emit(self, text: str = "", *, final: bool = False, **extra: Any) -> StreamEvent:
        if text:
            self._texts.append(text)
        if final:
            self.done = True
        return StreamEvent(text=text, final=final, usage=self.usage if final else None,
                           finish_reason=self.finish_reason if final else None, extra=extra)

    def _tail_is_complete(self) -> bool:
        tail = self._buf.strip()
        if tail.startswith(b"data:"):
            tail = tail[5:].strip()
        if not tail or tail[:1] not in (b"{", b"[") or tail[-1:] not in (b"}", b"]"):
            return False
        try:
            text = (self._pending + tail.decode("utf-8")) if self._pending else tail.decode("utf-8")
            _DECODER.raw_decode(text)
            return True
        except (UnicodeDecodeError, ValueError):
            return False

    def _line(self, raw: bytes) -> list[StreamEvent]:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text or text.startswith(":"):  # keep-alive or SSE comment
            return []
        if re.match(r"(event|id|retry):", text):  # other SSE fields carry no payload
            return []
        if text.startswith("data:"):
            text = text[5:].strip()
            if not text:
                return []
        self._pending += text
        return self._drain()

    def _drain(self) -> list[StreamEvent]:
        s, idx, events = self._pending, 0, []
        while idx < len(s):
            while idx < len(s) and s[idx].isspace():
                idx += 1
            if idx >= len(s):
                break
            if s.startswith("[DONE]", idx):
                self.done = True
                idx += 6
                continue
            if s.startswith("data:", idx):  # several SSE events glued on one line
                idx += 5
                continue
            if s[idx] not in "{[":
                raise ResponseDecodeError("stream event is not JSON", codec=self.codec)
            try:
                obj, idx = _DECODER.raw_decode(s, idx)
            except ValueError:
                break  # incomplete: wait for more bytes
            self.objects_seen += 1
            for item in (obj if isinstance(obj, list) else [obj]):
                raise_in_band_error(item, self.codec)
            events += self.on_object(obj)
        self._pending = s[idx:]
        return events


class Codec(ABC):
    """One container family's wire format.

    Class attributes: ``name`` (registry key), ``content_type`` and ``accept``
    (request headers), ``stream_accept`` (Accept for streaming calls),
    ``supports_streaming`` and ``default_custom_attributes`` (e.g. JumpStart's
    ``accept_eula=true``).
    """

    name: ClassVar[str] = "base"
    content_type: ClassVar[str] = "application/json"
    accept: ClassVar[str] = "application/json"
    stream_accept: ClassVar[str] = "application/json"
    supports_streaming: ClassVar[bool] = True
    default_custom_attributes: ClassVar[Optional[str]] = None

    @abstractmethod
    def encode(self, prompt: RenderedPrompt, params: GenerationParams, *, stream: bool = False) -> bytes:
        """Request body for ``prompt`` sampled with ``params``."""

    @abstractmethod
    def decode(self, body: bytes, prompt: RenderedPrompt) -> Completion:
        """Completion from a whole (non-streamed) response body."""

    @abstractmethod
    def stream_decoder(self, prompt: RenderedPrompt) -> StreamDecoder:
        """A fresh incremental decoder for one streamed response."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"

    @staticmethod
    def dumps(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
