"""SageMaker's OpenAI-compatible route on the local endpoint.

``POST /endpoints/{name}[/inference-components/{component}]/openai/v1/chat/completions``
with ``Authorization: Bearer <token>``. Like the real route:

- the bearer token is required (401 without one) and must have the shape
  SageMaker's token generator produces: ``sagemaker-api-key-`` + base64 of a
  SigV4-presigned ``sagemaker.amazonaws.com/?Action=CallWithBearerToken...``
  URL ending in ``&Version=1`` (403 otherwise, or when it has expired). The
  signature is not verified: there is no secret to check it against;
- the endpoint and inference component are checked as on InvokeEndpoint
  (the component comes from the path instead of a header);
- SageMaker's own failures (faults such as ``model_not_ready``, ``no_capacity``,
  ``throttle``) come back as AWS JSON errors with ``x-amzn-ErrorType``;
- the body goes to "the container" as is and its answer comes back as is: a
  vLLM-style ``chat.completion``, or an SSE stream of ``chat.completion.chunk``
  events ending in ``data: [DONE]`` (usage in the last chunk when
  ``stream_options.include_usage``), whatever dialect the endpoint's
  InvokeEndpoint route speaks; a container rejection is the container's status
  with an OpenAI-style ``{"error": {...}}`` body, not a 424.

Every request is appended to ``app.state.openai_requests`` (path, endpoint,
component, whether a well-formed bearer token came, the JSON body) so tests
can assert what a client really sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import calendar
import json
import time
import uuid
from collections import deque
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from adeptai_sagemaker_lab.server import error_responses as E

TOKEN_PREFIX = "sagemaker-api-key-"
CHAT_PATH = "/openai/v1/chat/completions"
_REQUIRED_QUERY = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                   "X-Amz-Signature")


class BearerRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_bearer(authorization: Optional[str], now: Optional[float] = None) -> None:
    """Raise :class:`BearerRejected` unless ``authorization`` carries a live, well-formed SageMaker token."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerRejected(401, "Unauthorized: an 'Authorization: Bearer <token>' header is required")
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX):
        raise BearerRejected(403, f"Forbidden: the bearer token must start with {TOKEN_PREFIX!r}")
    try:
        url = base64.b64decode(token[len(TOKEN_PREFIX):], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BearerRejected(403, "Forbidden: the bearer token is not base64") from None
    parts = urlsplit("https://" + url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    problems = []
    if parts.netloc != "sagemaker.amazonaws.com" or query.get("Action") != "CallWithBearerToken":
        problems.append("not a presigned sagemaker.amazonaws.com CallWithBearerToken request")
    if not url.endswith("&Version=1"):
        problems.append("missing &Version=1")
    problems += [f"missing {name}" for name in _REQUIRED_QUERY if name not in query]
    if problems:
        raise BearerRejected(403, "Forbidden: malformed bearer token (" + "; ".join(problems) + ")")
    try:
        signed = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        expires = int(query["X-Amz-Expires"])
    except ValueError:
        raise BearerRejected(403, "Forbidden: malformed X-Amz-Date or X-Amz-Expires") from None
    if not 0 < expires <= 43_200:
        raise BearerRejected(403, "Forbidden: X-Amz-Expires must be 1..43200 seconds")
    if (time.time() if now is None else now) > signed + expires:
        raise BearerRejected(403, "Forbidden: the bearer token has expired")


def _container_error(status: int, message: str) -> Response:
    """A container's rejection as vLLM's OpenAI server writes it."""
    kind = "BadRequestError" if 400 <= status < 500 else "InternalServerError"
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": status}},
                        status_code=status)


async def chat_completions(request: Request) -> Response:
    from adeptai_sagemaker_lab.server.app import _OUTCOME, _generate, _raise_for_fault  # the InvokeEndpoint route's own machinery

    state = request.app.state.server
    name = request.path_params["name"]
    component = request.path_params.get("component")
    body = await request.body()
    try:
        payload: Any = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        payload = None
    entry = {"path": request.url.path, "endpoint": name, "component": component, "bearer": False, "body": payload}
    request.app.state.openai_requests.append(entry)
    try:
        check_bearer(request.headers.get("authorization"))
    except BearerRejected as exc:
        state.stats.record(name, "auth_error")
        return JSONResponse({"message": exc.message}, status_code=exc.status)
    entry["bearer"] = True
    try:
        ep = state.config.resolve(name)
        if ep is None:
            raise E.endpoint_not_found(name)
        if ep.inference_components is not None and not component:
            raise E.RuntimeAPIError("ValidationError", "Inference Component Name is required for endpoints to which "
                                    "you plan to deploy inference components.")
        if ep.inference_components is not None and component not in ep.inference_components:
            raise E.RuntimeAPIError("ValidationError", f"Inference Component {component} not found.")
        if ep.inference_components is None and component:
            raise E.RuntimeAPIError("ValidationError", "Inference Component Name is not allowed for endpoints to "
                                    "which you dont plan to deploy inference components.")
        draw = state.faults.draw(name, streaming=bool(isinstance(payload, dict) and payload.get("stream")))
        if draw.delay_s:
            await asyncio.sleep(draw.delay_s)
        if draw.fault is not None:
            _raise_for_fault(draw.fault, name, ep.variant)
            if draw.fault.kind == "read_timeout":
                await asyncio.sleep(draw.fault.sleep_s)
    except E.RuntimeAPIError as err:
        state.stats.record(name, _OUTCOME.get(err.code, "error"))
        return E.error_response(err)
    dialect = state.dialect("messages")
    from adeptai_sagemaker_lab.server.dialects import DialectInputError

    try:
        req = dialect.parse(body)
    except DialectInputError as exc:
        state.stats.record(name, "model_error")
        return _container_error(400, exc.message)
    req.extra["model"] = (payload or {}).get("model") or ""
    try:
        gen = await _generate(state, dialect, req, name, ep.variant)
    except E.RuntimeAPIError as err:  # the backend failed: the container's own 4xx/5xx
        state.stats.record(name, "model_error")
        return _container_error(int(err.fields.get("OriginalStatusCode") or 500), "generation failed")
    state.stats.record(name, "ok", draw.fired)
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-Amzn-Invoked-Production-Variant": ep.variant}
    if req.stream:
        events = dialect.stream_events(req, gen)

        async def gen_events():
            for event in events:
                yield event

        return StreamingResponse(gen_events(), media_type="text/event-stream", headers=headers)
    return Response(dialect.render_bytes(req, gen), media_type="application/json", headers=headers)


def openai_routes() -> list[Route]:
    return [
        Route("/endpoints/{name}" + CHAT_PATH, chat_completions, methods=["POST"]),
        Route("/endpoints/{name}/inference-components/{component}" + CHAT_PATH, chat_completions, methods=["POST"]),
    ]


def install(app: Any, maxlen: int = 256) -> None:
    """Give ``app`` the request log the route appends to."""
    app.state.openai_requests = deque(maxlen=maxlen)
