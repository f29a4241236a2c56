"""The SageMaker serving-container contract: ``GET /ping`` and ``POST /invocations`` on port 8080.

Like the SageMaker inference toolkit, a *handler module* supplies
``model_fn(model_dir)``, ``input_fn(body, content_type)``,
``predict_fn(data, model)`` and ``output_fn(prediction, accept)``; the first
two-or-three are optional with JSON defaults. The same app runs locally and as
the BYOC image (``serving/serve``). ``output_fn`` may return bytes, a
``(bytes, content_type)`` pair, or an iterator of bytes (streamed with chunked
transfer, which is how SageMaker response streaming reaches a container).
"""

from __future__ import annotations

import contextvars
import importlib
import json
import logging
import os
import threading
from types import MappingProxyType, ModuleType
from typing import Any, Iterable, Mapping

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

log = logging.getLogger("adeptai_sagemaker_lab.server.container")

DEFAULT_HANDLER = "adeptai_sagemaker_lab.server.handler"
DEFAULT_MODEL_DIR = "/opt/ml/model"
PORT = 8080

#: The current request's headers, for handlers that need SageMaker's forwarded headers
#: (``X-Amzn-SageMaker-Custom-Attributes`` and friends) without changing the toolkit signatures.
request_headers: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "request_headers", default=MappingProxyType({}))


class HandlerError(Exception):
    """Raise from a handler function to answer with this HTTP status (e.g. 400, 415, 406)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def default_input_fn(body: bytes, content_type: str | None) -> Any:
    ct = (content_type or "application/json").split(";")[0].strip().lower()
    if ct != "application/json":
        raise HandlerError(415, f"Content type {ct} is not supported; send application/json.")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise HandlerError(400, f"Request body is not valid JSON: {exc}") from None


def default_output_fn(prediction: Any, accept: str | None) -> tuple[bytes, str]:
    return json.dumps(prediction).encode("utf-8"), "application/json"


class ContainerModel:
    """The handler module plus its model, loaded once (the first ``/ping`` or ``/invocations``)."""

    def __init__(self, handler: ModuleType | str = DEFAULT_HANDLER, model_dir: str | None = None) -> None:
        self.handler = importlib.import_module(handler) if isinstance(handler, str) else handler
        if not hasattr(self.handler, "predict_fn"):
            raise TypeError(f"handler {self.handler.__name__} has no predict_fn")
        self.model_dir = model_dir or os.environ.get("SM_MODEL_DIR", DEFAULT_MODEL_DIR)
        self._model: Any = None
        self._loaded = False
        self._lock = threading.Lock()

    def model(self) -> Any:
        with self._lock:
            if not self._loaded:
                model_fn = getattr(self.handler, "model_fn", None)
                self._model = model_fn(self.model_dir) if model_fn else None
                self._loaded = True
        return self._model

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Any:
        model = self.model()
        input_fn = getattr(self.handler, "input_fn", default_input_fn)
        output_fn = getattr(self.handler, "output_fn", default_output_fn)
        data = input_fn(body, content_type)
        prediction = self.handler.predict_fn(data, model)
        return output_fn(prediction, accept)


def container_routes(handler: ModuleType | str | ContainerModel = DEFAULT_HANDLER,
                     model_dir: str | None = None) -> list[Route]:
    cm = handler if isinstance(handler, ContainerModel) else ContainerModel(handler, model_dir)

    async def ping(request: Request) -> Response:
        try:
            await run_in_threadpool(cm.model)
        except Exception as exc:
            log.error("model_fn failed: %s", type(exc).__name__)
            return Response(b"", status_code=500)
        return Response(b"", status_code=200)

    async def invocations(request: Request) -> Response:
        body = await request.body()
        accept = request.headers.get("accept")
        token = request_headers.set(dict(request.headers))
        try:
            result = await run_in_threadpool(
                contextvars.copy_context().run, cm.invoke, body, request.headers.get("content-type"), accept)
        except HandlerError as exc:
            return Response(json.dumps({"code": exc.status, "message": exc.message}).encode(),
                            status_code=exc.status, media_type="application/json")
        except Exception as exc:
            log.error("handler failed: %s", type(exc).__name__)
            return Response(json.dumps({"code": 500, "message": f"{type(exc).__name__} in handler"}).encode(),
                            status_code=500, media_type="application/json")
        finally:
            request_headers.reset(token)
        if isinstance(result, tuple):
            payload, content_type = result
        else:
            payload, content_type = result, accept if accept and accept != "*/*" else "application/json"
        if isinstance(payload, (bytes, bytearray, str)):
            data = payload.encode() if isinstance(payload, str) else bytes(payload)
            return Response(data, media_type=content_type)
        return StreamingResponse(_iterate(payload), media_type=content_type)

    return [Route("/ping", ping, methods=["GET"]), Route("/invocations", invocations, methods=["POST"])]


async def _iterate(chunks: Iterable[bytes]):
    for chunk in chunks:
        yield chunk


def create_container_app(handler: ModuleType | str = DEFAULT_HANDLER, model_dir: str | None = None) -> Starlette:
    """The BYOC container app (``serving/serve`` runs it on 0.0.0.0:8080)."""
    return Starlette(routes=container_routes(handler, model_dir))


def serve_container(host: str = "0.0.0.0", port: int = PORT, handler: str | None = None,
                    model_dir: str | None = None) -> None:
    """Blocking: what SageMaker's ``docker run <image> serve`` ends up calling."""
    import uvicorn

    from adeptai_sagemaker_lab.server.transport import uvicorn_config

    handler = handler or os.environ.get("ADEPTAI_HANDLER", DEFAULT_HANDLER)
    config = uvicorn_config(create_container_app(handler, model_dir), host, port, "info")
    uvicorn.Server(config).run()
