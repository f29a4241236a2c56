"""A loopback SageMaker runtime that answers with recorded container bytes, exactly.

The local endpoint (``adeptai_sagemaker_lab.server``) generates its answers;
this server generates nothing: it replays the bytes of a fixture in
``tests/data/container_bodies/`` as the body of ``InvokeEndpoint``, or cut into
``PayloadPart`` events (AWS event-stream framing from the lab's encoder) for
``InvokeEndpointWithResponseStream``, optionally ending with a modeled stream
exception. boto3 talks to it over real HTTP, so botocore's own parsing runs.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

from adeptai_sagemaker_lab.server.eventstream import internal_stream_failure, model_stream_error, payload_part

DATA = Path(__file__).parents[1] / "data" / "container_bodies"
MANIFEST = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
FIXTURES = {f["file"]: f for f in MANIFEST["fixtures"]}


def body_of(name: str) -> bytes:
    return (DATA / name).read_bytes()


def events_of(data: bytes) -> list[bytes]:
    """The body cut after every newline: one SSE line or JSON line per piece, terminators kept."""
    pieces, start = [], 0
    for i, b in enumerate(data):
        if b == 0x0A:
            pieces.append(data[start:i + 1])
            start = i + 1
    if start < len(data):
        pieces.append(data[start:])
    return pieces


def split(data: bytes, how: str) -> list[bytes]:
    """PayloadParts for ``data``: ``"event"`` (one line each), ``"whole"``, or ``"<n>"`` bytes each."""
    if how == "event":
        return events_of(data)
    if how == "whole":
        return [data]
    n = int(how)
    return [data[i:i + n] for i in range(0, len(data), n)]


@dataclass
class Reply:
    """What one invocation answers: the bytes, how they are cut, and an optional closing stream exception."""

    body: bytes
    content_type: str = "application/json"
    parts: Optional[list[bytes]] = None
    exception: Optional[tuple[str, str, str]] = None  # (kind, message, error_code)


@dataclass
class ReplayState:
    replies: dict[str, list[Reply]] = field(default_factory=dict)  # endpoint -> queue (last one repeats)
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, endpoint: str) -> Optional[Reply]:
        with self.lock:
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
            queue = self.replies.get(endpoint)
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        parts = self.path.strip("/").split("/")  # endpoints/<name>/<operation>
        state: ReplayState = self.server.state  # type: ignore[attr-defined]
        reply = state.next(parts[1]) if len(parts) == 3 else None
        if reply is None:
            self._send(400, b'{"message":"no reply queued"}', "application/json",
                       {"x-amzn-ErrorType": "ValidationError"})
            return
        if parts[2] == "invocations":
            self._send(200, reply.body, reply.content_type, {"x-Amzn-Invoked-Production-Variant": "AllTraffic"})
            return
        frames = b"".join(payload_part(p) for p in (reply.parts or [reply.body]) if p)
        if reply.exception is not None:
            kind, message, code = reply.exception
            frames += (internal_stream_failure(message) if kind == "InternalStreamFailure"
                       else model_stream_error(message, code))
        self._send(200, frames, "application/vnd.amazon.eventstream",
                   {"X-Amzn-SageMaker-Content-Type": reply.content_type,
                    "x-Amzn-Invoked-Production-Variant": "AllTraffic"})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "replay-0000")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class ReplayEndpoint:
    """``with ReplayEndpoint() as ep:`` serves on ``ep.url``; queue answers with ``ep.queue(name, *replies)``."""

    def __init__(self) -> None:
        self.state = ReplayState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.state = self.state  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, endpoint: str, *replies: Reply) -> None:
        with self.state.lock:
            self.state.replies[endpoint] = list(replies)
            self.state.calls[endpoint] = 0

    def calls(self, endpoint: str) -> int:
        return self.state.calls.get(endpoint, 0)

    def __enter__(self) -> "ReplayEndpoint":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
