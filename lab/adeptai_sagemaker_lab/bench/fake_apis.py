"""OpenAI- and Anthropic-shaped API servers on loopback, answering with the reference model.

Why: the side-by-side benchmark and the external-backend tests must exercise
the *official SDKs* over real HTTP (request building, auth headers, response
parsing, error classes) without the internet. This server speaks

- ``POST /v1/chat/completions`` in OpenAI's ``chat.completion`` shape with
  ``usage.prompt_tokens / completion_tokens / total_tokens``;
- ``POST /v1/messages`` in Anthropic's ``message`` shape with
  ``usage.input_tokens / output_tokens``;

and its errors in each provider's error envelope (so the SDKs raise their
own ``RateLimitError``, ``InternalServerError``, ...). The answer text comes
from the reference model given the same prompt text a SageMaker completion
container sees (system + blank line + user), so quality differences between
backends in offline runs come only from the transport and the pipeline.

Latency follows :mod:`.profiles` (TTFT + output_tokens / tokens_per_s, seeded
jitter) multiplied by ``time_scale``; each request is recorded (sizes, tokens,
modelled and slept seconds, never text) so a benchmark can project full-scale
latency.

>>> with FakeAPIServer(time_scale=0.0) as srv:
...     client = openai.OpenAI(api_key="k", base_url=srv.openai_base_url, max_retries=0)
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from adeptai_sagemaker_lab.bench.profiles import LatencyProfile, profile_for

__all__ = ["FakeAPIServer", "RequestRecord", "reference_generate", "FAULT_KINDS"]

#: name -> (status, openai error type, anthropic error type)
FAULT_KINDS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "rate_limit_exceeded", "rate_limit_error"),
    "overloaded": (529, "server_error", "overloaded_error"),  # OpenAI gets 503 (see _fault_status)
    "server_error": (500, "server_error", "api_error"),
    "bad_request": (400, "invalid_request_error", "invalid_request_error"),
    "not_json": (200, "", ""),  # a 200 whose answer text is not JSON (exercises the re-ask)
    "slow": (200, "", ""),  # sleeps `sleep_s` before answering (client timeouts)
}


@dataclass
class RequestRecord:
    api: str  # "openai" | "anthropic"
    model: str
    status: int
    input_tokens: int
    output_tokens: int
    modelled_s: float
    slept_s: float
    fault: Optional[str] = None


def reference_generate() -> Callable[[str], str]:
    """``ReferenceModel().generate``: the fake APIs answer with the same rule-based stand-in as the local endpoint."""
    from adeptai_sagemaker_lab.reference_model import ReferenceModel

    return ReferenceModel().generate


def _count_tokens(text: str) -> int:
    from adeptai_sagemaker_lab.server.tokens import count_tokens

    return count_tokens(text)


def _truncate_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    from adeptai_sagemaker_lab.server.tokens import tokenize

    pieces = tokenize(text)
    if len(pieces) <= max_tokens:
        return text, False
    return "".join(pieces[:max_tokens]), True


class _Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, list[dict[str, Any]]] = {}

    def set(self, api: str, kind: str, count: Optional[int] = None, **opts: Any) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._rules.setdefault(api, []).append({"kind": kind, "count": count, **opts})

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, api: str) -> Optional[dict[str, Any]]:
        with self._lock:
            for key in (api, "*"):
                for rule in self._rules.get(key, []):
                    if rule["count"] is None or rule["count"] > 0:
                        if rule["count"] is not None:
                            rule["count"] -= 1
                        return dict(rule)
        return None


class FakeAPIServer:
    """Both fake APIs on one free loopback port, served by uvicorn in a daemon thread."""

    def __init__(self, *, time_scale: float = 0.0, seed: int = 7, host: str = "127.0.0.1",
                 generate: Optional[Callable[[str], str]] = None,
                 profiles: Optional[dict[str, LatencyProfile]] = None, api_key: Optional[str] = None) -> None:
        self.time_scale = float(time_scale)
        self.host = host
        self.api_key = api_key  # when set, requests must carry it (Bearer / x-api-key)
        self._generate = generate
        self._profiles = profiles or {}
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._records_changed = threading.Condition()
        self.faults = _Faults()
        self.app = self._build_app()
        from adeptai_sagemaker_lab.server.runner import BackgroundServer  # same uvicorn thread runner (and TCP_NODELAY) as the endpoint

        self._background = BackgroundServer(self.app, host)

    # ------------------------------------------------------------------ urls
    @property
    def url(self) -> str:
        return self._background.url

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    # ------------------------------------------------------------------ records and faults
    def records(self) -> list[RequestRecord]:
        with self._records_changed:
            return list(self._records)

    def wait_for_records(self, n: int, timeout_s: float = 5.0) -> bool:
        """Block until at least ``n`` requests have been recorded (a request abandoned by its client
        is recorded when the server finishes it); False on timeout."""
        with self._records_changed:
            return self._records_changed.wait_for(lambda: len(self._records) >= n, timeout=timeout_s)

    def reset(self) -> None:
        with self._records_changed:
            self._records.clear()
        self.faults.clear()

    def set_fault(self, api: str, kind: str, count: Optional[int] = None, **opts: Any) -> None:
        """Inject ``kind`` on ``api`` ("openai", "anthropic" or "*") for the next ``count`` calls (None: all)."""
        self.faults.set(api, kind, count, **opts)

    def stats(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.records()]

    # ------------------------------------------------------------------ app
    def _generator(self) -> Callable[[str], str]:
        if self._generate is None:
            self._generate = reference_generate()
        return self._generate

    def _profile(self, model: str) -> Optional[LatencyProfile]:
        return self._profiles.get(model) or profile_for(model)

    def _modelled(self, model: str, output_tokens: int) -> float:
        profile = self._profile(model)
        if profile is None:
            return 0.0
        with self._rng_lock:
            return profile.modelled_s(output_tokens, self._rng)

    def _record(self, record: RequestRecord) -> None:
        with self._records_changed:
            self._records.append(record)
            self._records_changed.notify_all()

    def _build_app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse, PlainTextResponse
        from starlette.routing import Route

        server = self

        def openai_error(status: int, etype: str, message: str, headers: Optional[dict] = None) -> JSONResponse:
            return JSONResponse({"error": {"message": message, "type": etype, "param": None, "code": etype}},
                                status_code=status, headers=headers)

        def anthropic_error(status: int, etype: str, message: str, headers: Optional[dict] = None) -> JSONResponse:
            return JSONResponse({"type": "error", "error": {"type": etype, "message": message}},
                                status_code=status, headers=headers)

        async def handle(request: Request, api: str) -> Any:
            error = openai_error if api == "openai" else anthropic_error
            if server.api_key is not None:
                bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                # Anthropic: x-api-key (classic SDKs) or a Bearer token (newer SDK releases send that)
                given = bearer if api == "openai" else (request.headers.get("x-api-key") or bearer)
                if given != server.api_key:
                    return error(401, "authentication_error" if api == "anthropic" else "invalid_api_key",
                                 "invalid api key")
            try:
                body = json.loads(await request.body())
            except ValueError:
                return error(400, "invalid_request_error", "body is not JSON")
            model = str(body.get("model") or "")
            max_tokens = body.get("max_tokens")
            if not model or not isinstance(body.get("messages"), list) or (api == "anthropic" and not max_tokens):
                return error(400, "invalid_request_error", "model, messages (and max_tokens for messages) required")
            if api == "openai":
                system = "\n".join(str(m.get("content") or "") for m in body["messages"] if m.get("role") == "system")
                user = "\n".join(str(m.get("content") or "") for m in body["messages"] if m.get("role") != "system")
            else:
                raw_system = body.get("system") or ""
                system = raw_system if isinstance(raw_system, str) else "".join(
                    b.get("text", "") for b in raw_system if isinstance(b, dict))
                parts = []
                for m in body["messages"]:
                    content = m.get("content")
                    parts.append(content if isinstance(content, str) else "".join(
                        b.get("text", "") for b in content or [] if isinstance(b, dict)))
                user = "\n".join(parts)
            prompt_text = f"{system}\n\n{user}" if system else user
            input_tokens = _count_tokens(prompt_text)

            fault = server.faults.take(api)
            if fault is not None and fault["kind"] not in ("not_json", "slow"):
                status, oa_type, an_type = FAULT_KINDS[fault["kind"]]
                if api == "openai" and status == 529:
                    status = 503
                headers = {"retry-after": str(fault.get("retry_after", 0))} if status == 429 else None
                server._record(RequestRecord(api, model, status, input_tokens, 0, 0.0, 0.0, fault["kind"]))
                return error(status, oa_type if api == "openai" else an_type, f"injected {fault['kind']}", headers)

            if fault is not None and fault["kind"] == "not_json":
                text = "I think the answer is probably fine."  # prose instead of JSON
            else:
                text = await run_in_threadpool(server._generator(), prompt_text)
            limit = int(max_tokens) if max_tokens else 4096
            text, cut = _truncate_tokens(text, limit)
            output_tokens = _count_tokens(text)
            modelled = server._modelled(model, output_tokens)
            slept = modelled * server.time_scale
            if fault is not None and fault["kind"] == "slow":
                slept += float(fault.get("sleep_s", 5.0))
            if slept > 0:
                await asyncio.sleep(slept)
            server._record(RequestRecord(api, model, 200, input_tokens, output_tokens, modelled, slept,
                                         fault["kind"] if fault else None))
            if api == "openai":
                return JSONResponse({
                    "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                                 "logprobs": None, "finish_reason": "length" if cut else "stop"}],
                    "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                              "total_tokens": input_tokens + output_tokens},
                    "system_fingerprint": "fp_adeptai_fake",
                }, headers={"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})
            return JSONResponse({
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "max_tokens" if cut else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            }, headers={"request-id": f"req_{uuid.uuid4().hex[:16]}"})

        async def chat_completions(request: Request) -> Any:
            return await handle(request, "openai")

        async def messages(request: Request) -> Any:
            return await handle(request, "anthropic")

        async def ping(request: Request) -> Any:
            return PlainTextResponse("ok")

        return Starlette(routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
        ])

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 10.0) -> "FakeAPIServer":
        self._background.start(timeout)
        return self

    def stop(self) -> None:
        self._background.stop()

    def __enter__(self) -> "FakeAPIServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
