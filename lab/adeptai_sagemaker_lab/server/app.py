"""The local SageMaker runtime: ``/endpoints/{name}/invocations`` and friends over real HTTP.

Point an unmodified ``boto3.client("sagemaker-runtime", endpoint_url=...)`` at
this app and every code path a production client has (SigV4 signing, botocore
error parsing, event-stream decoding, S3-backed async inference) runs for real.
The same app also answers the container contract (``/ping``, ``/invocations``)
so it can stand in for a BYOC container.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from adeptai_sagemaker_lab.server import affinity
from adeptai_sagemaker_lab.server import error_responses as E
from adeptai_sagemaker_lab.server.auth import check_sigv4
from adeptai_sagemaker_lab.server.model_backends import BackendInputError, ModelBackend, default_backend
from adeptai_sagemaker_lab.server.chunking import split_parts
from adeptai_sagemaker_lab.server.config import EndpointConfig, ServerConfig
from adeptai_sagemaker_lab.server.dialects import JSON, Dialect, DialectInputError, DialectRequest, get_dialect
from adeptai_sagemaker_lab.server.eventstream import internal_stream_failure, model_stream_error, payload_part
from adeptai_sagemaker_lab.server.faults import FaultRegistry, FaultSpec, Stats
from adeptai_sagemaker_lab.server.generation import Generation, finish, truncate_generation

log = logging.getLogger("adeptai_sagemaker_lab.server")

EVENTSTREAM = "application/vnd.amazon.eventstream"
MAX_CUSTOM_ATTRIBUTES = 1024
_OUTCOME = {
    "ModelError": "model_error", "ValidationError": "validation_error", "ThrottlingException": "throttled",
    "ServiceUnavailable": "service_unavailable", "InternalFailure": "internal_failure",
    "ModelNotReadyException": "model_not_ready", "InternalDependencyException": "internal_dependency",
    "MissingAuthenticationToken": "auth_error", "IncompleteSignature": "auth_error",
}
_JSON_TYPES = {"application/json", "application/jsonlines", "application/x-jsonlines", "text/json"}


@dataclass
class ServerState:
    """Everything the routes share; the runner keeps a handle to it for the Python fault API."""

    config: ServerConfig
    backend: ModelBackend
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    stats: Stats = field(default_factory=Stats)
    _dialects: dict[str, Dialect] = field(default_factory=dict)

    def dialect(self, name: str) -> Dialect:
        if name not in self._dialects:
            self._dialects[name] = get_dialect(name)
        return self._dialects[name]

    def install_configured_faults(self) -> None:
        for name, ep in self.config.endpoints.items():
            if ep.faults:
                self.faults.set(name, list(ep.faults))


@dataclass
class InvocationContext:
    """The request headers SageMaker forwards, read once."""

    endpoint: EndpointConfig
    variant: str
    content_type: Optional[str]
    accept: Optional[str]
    custom_attributes: Optional[str]
    inference_id: Optional[str]
    target_model: Optional[str]
    inference_component: Optional[str]


def _context(state: ServerState, name: str, headers: Any, *, async_call: bool = False) -> InvocationContext:
    ep = state.config.resolve(name)
    if ep is None:
        raise E.endpoint_not_found(name)
    prefix = "x-amzn-sagemaker-"
    content_type = headers.get(prefix + "content-type") if async_call else headers.get("content-type")
    accept = headers.get(prefix + "accept") or (None if async_call else headers.get("accept"))
    custom = headers.get(prefix + "custom-attributes")
    if custom is not None and (len(custom) > MAX_CUSTOM_ATTRIBUTES or not custom.isascii()):
        raise E.RuntimeAPIError("ValidationError", "1 validation error detected: Value at 'customAttributes' failed to "
                                "satisfy constraint: Member must have length less than or equal to 1024 and contain "
                                "only visible US-ASCII characters")
    variant = headers.get(prefix + "target-variant")
    if variant is not None and variant not in ep.allowed_variants:
        raise E.RuntimeAPIError("ValidationError", f"Endpoint {name} does not have a production variant named {variant}.")
    component = headers.get(prefix + "inference-component")
    if ep.inference_components is not None:
        if not component:
            raise E.RuntimeAPIError("ValidationError", "Inference Component Name header is required for endpoints to which "
                                    "you plan to deploy inference components. Please include Inference Component Name "
                                    "header or consider using SageMaker models.")
        if component not in ep.inference_components:
            raise E.RuntimeAPIError("ValidationError", f"Inference Component {component} not found.")
    elif component:
        raise E.RuntimeAPIError("ValidationError", "Inference Component Name header is not allowed for endpoints to which "
                                "you dont plan to deploy inference components. Please remove the Inference Component "
                                "Name header and try again.")
    return InvocationContext(ep, variant or ep.variant, content_type, accept, custom,
                       headers.get(prefix + "inference-id"), headers.get(prefix + "target-model"), component)


def _raise_for_fault(fault: FaultSpec, name: str, variant: str) -> None:
    """Faults that replace the answer with an AWS error."""
    kind = fault.kind
    if kind == "throttle":
        raise E.RuntimeAPIError("ThrottlingException", fault.message or "Rate exceeded", fault.status or 400)
    if kind == "model_error":
        raise E.model_error(name, fault.original_status, fault.message or "Internal Server Error", variant)
    if kind == "container_timeout":
        raise E.container_timeout(name)
    if kind == "service_unavailable":
        raise E.RuntimeAPIError("ServiceUnavailable", fault.message or "Service is unavailable. Try your call again.")
    if kind == "internal_failure":
        raise E.RuntimeAPIError("InternalFailure", fault.message or "An internal failure occurred. Try your call again.")
    if kind == "internal_dependency":
        raise E.RuntimeAPIError("InternalDependencyException",
                                fault.message or "Your request caused an exception with an internal dependency. "
                                "Contact customer support.")
    if kind == "no_capacity":
        raise E.RuntimeAPIError("ValidationError", fault.message or "Inference Component has no capacity to process "
                                "this request. The endpoint is scaling out from zero; try again in a few minutes.")
    if kind == "model_not_ready":
        raise E.RuntimeAPIError("ModelNotReadyException",
                                fault.message or "Model is not ready yet. Wait and try your request again.")


def _check_content_type(ctx: InvocationContext, name: str) -> None:
    ct = (ctx.content_type or "").split(";")[0].strip().lower()
    if ct and ct not in _JSON_TYPES:
        raise E.model_error(name, 415, f"Content type {ct} is not supported by this container; send application/json.",
                            ctx.variant)


async def _generate(state: ServerState, dialect: Dialect, req: DialectRequest, name: str, variant: str) -> Generation:
    backend = state.backend
    try:
        if getattr(backend, "blocking", False):
            raw = await run_in_threadpool(backend.generate, req.prompt, dict(req.params))
        else:
            raw = backend.generate(req.prompt, dict(req.params))
        version = backend.version
    except BackendInputError as exc:
        raise E.model_error(name, 400, str(exc)[:500], variant) from None
    except Exception as exc:  # a crashing model is the container's 500, not ours
        log.error("backend failed on endpoint %s: %s", name, type(exc).__name__)
        raise E.model_error(name, 500, f"Model raised {type(exc).__name__}", variant) from None
    return finish(raw, req.prompt, req.params, version)


def _break_json(event: bytes) -> bytes:
    """Cut an event in the middle of its JSON, keeping its SSE/JSON-lines terminator."""
    stripped = event.rstrip(b"\n")
    return stripped[: max(1, len(stripped) // 2)] + event[len(stripped):]


@dataclass
class Answer:
    """A finished non-error answer, before framing."""

    events: list[bytes]
    content_type: str
    outcome: str
    model_version: str
    fault: Optional[FaultSpec]


async def _answer(state: ServerState, ctx: InvocationContext, name: str, body: bytes, streaming_route: bool,
                  fault: Optional[FaultSpec]) -> Answer:
    """Run one invocation to the point where only framing is left. Raises RuntimeAPIError."""
    if fault is not None:
        _raise_for_fault(fault, name, ctx.variant)
        if fault.kind == "read_timeout":
            await asyncio.sleep(fault.sleep_s)
    _check_content_type(ctx, name)
    dialect = state.dialect(ctx.endpoint.dialect)
    try:
        req = dialect.parse(body, ctx.custom_attributes)
    except DialectInputError as exc:
        raise E.model_error(name, exc.status, exc.message, ctx.variant) from None
    gen = await _generate(state, dialect, req, name, ctx.variant)
    kind = fault.kind if fault is not None else None
    if kind == "truncated":
        gen = truncate_generation(gen, fault.fraction)
    stream = req.stream if dialect.body_stream_flag else streaming_route
    if stream:
        if kind == "inband_error":
            partial = truncate_generation(gen, 0.5)
            events = dialect.stream_events(req, partial, error="Request failed during generation")
        else:
            events = dialect.stream_events(req, gen)
        content_type = dialect.stream_content_type
    else:
        events = [dialect.render_bytes(req, gen)]
        content_type = dialect.content_type
    if kind == "malformed_json":
        events[-1] = _break_json(events[-1])
    return Answer(events, content_type, kind or "ok", gen.model_version, fault)


def _common_headers(ctx: InvocationContext, model_version: str) -> dict[str, str]:
    headers = {
        "x-Amzn-Invoked-Production-Variant": ctx.variant,
        "X-Amzn-SageMaker-Custom-Attributes": f"model_version={model_version}",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    if ctx.inference_id:
        headers["X-Amzn-SageMaker-Inference-Id"] = ctx.inference_id
    if ctx.target_model:
        headers["X-Amzn-SageMaker-Target-Model"] = ctx.target_model
    if ctx.inference_component:
        headers["X-Amzn-SageMaker-Inference-Component"] = ctx.inference_component
    return headers


def _frames(answer: Answer, chunking: Any) -> list[bytes]:
    frames = [payload_part(p) for p in split_parts(answer.events, chunking)]
    fault = answer.fault
    if fault is not None and fault.kind == "stream_error":
        frames = frames[: max(0, min(fault.after_chunks, len(frames) - 1))]
        if fault.error_code == "InternalStreamFailure":
            frames.append(internal_stream_failure(fault.message or "Internal stream failure. Try your request again."))
        else:
            default = ("Model invocation time exceeded." if fault.error_code == "ModelInvocationTimeExceeded"
                       else "The stream from the model was broken.")
            frames.append(model_stream_error(fault.message or default, fault.error_code))
    return frames


async def _invoke(request: Request, streaming_route: bool) -> Response:
    state: ServerState = request.app.state.server
    name = request.path_params["name"]
    fired: list[str] = []
    try:
        check_sigv4(request.headers)
        ctx = _context(state, name, request.headers)
        body = await request.body()
        session_answer = affinity.observe(request, name, body)  # sessions, prefix-aware ids
        if session_answer is not None:
            state.stats.record(name, "session")
            return session_answer
        draw = state.faults.draw(name, streaming=streaming_route)
        fired = draw.fired
        if draw.delay_s:
            await asyncio.sleep(draw.delay_s)
        answer = await _answer(state, ctx, name, body, streaming_route, draw.fault)
    except E.RuntimeAPIError as err:
        state.stats.record(name, _OUTCOME.get(err.code, "error"), fired)
        return E.error_response(err)
    state.stats.record(name, answer.outcome, fired)
    headers = _common_headers(ctx, answer.model_version)
    if not streaming_route:
        return Response(b"".join(answer.events), headers=headers, media_type=answer.content_type)
    headers["X-Amzn-SageMaker-Content-Type"] = answer.content_type
    frames = _frames(answer, ctx.endpoint.chunking or state.config.chunking)
    return StreamingResponse(_async_iter(frames), headers=headers, media_type=EVENTSTREAM)


async def _async_iter(frames: list[bytes]):
    for frame in frames:
        yield frame


async def invocations(request: Request) -> Response:
    return await _invoke(request, streaming_route=False)


async def invocations_stream(request: Request) -> Response:
    return await _invoke(request, streaming_route=True)


# ------------------------------------------------------------------------------ async inference
def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise E.RuntimeAPIError("ValidationError", f"InputLocation {uri!r} is not a valid S3 URI.")
    bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        raise E.RuntimeAPIError("ValidationError", f"InputLocation {uri!r} is not a valid S3 URI.")
    return bucket, key


async def async_invocations(request: Request) -> Response:
    """InvokeEndpointAsync: answer 202 at once, run the model in the background, write to S3."""
    state: ServerState = request.app.state.server
    name = request.path_params["name"]
    try:
        check_sigv4(request.headers)
        ctx = _context(state, name, request.headers, async_call=True)
        location = request.headers.get("x-amzn-sagemaker-inputlocation")
        if not location:
            raise E.RuntimeAPIError("ValidationError", "InputLocation is required for asynchronous invocations.")
        bucket, _ = _split_s3(location)
    except E.RuntimeAPIError as err:
        state.stats.record(name, _OUTCOME.get(err.code, "error"))
        return E.error_response(err)
    inference_id = ctx.inference_id or str(uuid.uuid4())
    file_id = str(uuid.uuid4())
    out_base = (ctx.endpoint.async_output_path or f"s3://{bucket}/async-output").rstrip("/")
    ext = request.headers.get("x-amzn-sagemaker-s3outputpathextension")
    if ext:
        out_base = f"{out_base}/{ext.strip('/')}"
    filename = request.headers.get("x-amzn-sagemaker-filename") or f"{file_id}.out"
    output = f"{out_base}/{filename}"
    failure = f"{(ctx.endpoint.async_failure_path or f's3://{bucket}/async-failures').rstrip('/')}/{file_id}-error.out"
    task = BackgroundTask(_process_async, state, ctx, name, location, output, failure)
    headers = {"X-Amzn-SageMaker-OutputLocation": output, "X-Amzn-SageMaker-FailureLocation": failure,
               "x-amzn-RequestId": str(uuid.uuid4())}
    return JSONResponse({"InferenceId": inference_id}, status_code=202, headers=headers, background=task)


def _s3_client(state: ServerState):
    import boto3

    return boto3.client("s3", region_name=state.config.region, endpoint_url=state.config.s3_endpoint_url)


async def _process_async(state: ServerState, ctx: InvocationContext, name: str, input_uri: str, output_uri: str,
                         failure_uri: str) -> None:
    s3 = await run_in_threadpool(_s3_client, state)
    fired: list[str] = []
    try:
        in_bucket, in_key = _split_s3(input_uri)
        try:
            obj = await run_in_threadpool(s3.get_object, Bucket=in_bucket, Key=in_key)
            body = await run_in_threadpool(obj["Body"].read)
        except Exception as exc:  # missing object, access denied: a failure object, like AWS
            raise E.RuntimeAPIError("ValidationError",
                                    f"Could not read input from {input_uri}: {type(exc).__name__}") from None
        draw = state.faults.draw(name, streaming=False)
        fired = draw.fired
        if draw.delay_s:
            await asyncio.sleep(draw.delay_s)
        answer = await _answer(state, ctx, name, body, False, draw.fault)
    except E.RuntimeAPIError as err:
        bucket, key = _split_s3(failure_uri)
        payload = json.dumps({"code": err.code, "message": err.message, **err.fields}).encode()
        try:
            await run_in_threadpool(s3.put_object, Bucket=bucket, Key=key, Body=payload, ContentType=JSON)
        finally:  # counted once the object is complete: a caller waiting on the stats then reads all of it
            state.stats.record(name, "async_" + _OUTCOME.get(err.code, "error"), fired)
        return
    bucket, key = _split_s3(output_uri)
    try:
        await run_in_threadpool(s3.put_object, Bucket=bucket, Key=key, Body=b"".join(answer.events),
                                ContentType=answer.content_type,
                                Metadata={"model_version": answer.model_version})
    finally:
        state.stats.record(name, "async_" + answer.outcome, fired)


# ------------------------------------------------------------------------------------- admin
async def ping(request: Request) -> Response:
    return Response(b"", status_code=200)


async def admin_put_faults(request: Request) -> Response:
    state: ServerState = request.app.state.server
    try:
        data = json.loads(await request.body() or b"{}")
        items = data["faults"] if isinstance(data, dict) and "faults" in data else (data if isinstance(data, list) else [data])
        specs = [FaultSpec.from_dict(item) for item in items]
    except (ValueError, TypeError, KeyError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    state.faults.set(request.path_params["name"], specs)
    return JSONResponse({"endpoint": request.path_params["name"], "faults": [s.to_dict() for s in specs]})


async def admin_delete_faults(request: Request) -> Response:
    state: ServerState = request.app.state.server
    state.faults.clear(request.path_params.get("name"))
    return Response(status_code=204)


async def admin_get_faults(request: Request) -> Response:
    return JSONResponse(request.app.state.server.faults.snapshot())


async def admin_stats(request: Request) -> Response:
    return JSONResponse(request.app.state.server.stats.snapshot())


async def admin_reset(request: Request) -> Response:
    state: ServerState = request.app.state.server
    state.faults.clear()
    state.stats.reset()
    state.install_configured_faults()
    return Response(status_code=204)


def create_app(config: ServerConfig, backend: ModelBackend | None = None, *, container_handler: Any = None,
               state: ServerState | None = None) -> Starlette:
    """The runtime app. ``container_handler`` (a handler module or its dotted name) also enables
    ``POST /invocations`` with the SageMaker container contract."""
    state = state or ServerState(config, backend or default_backend())
    state.install_configured_faults()
    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/endpoints/{name}/invocations", invocations, methods=["POST"]),
        Route("/endpoints/{name}/invocations-response-stream", invocations_stream, methods=["POST"]),
        Route("/endpoints/{name}/async-invocations", async_invocations, methods=["POST"]),
        Route("/_admin/faults", admin_get_faults, methods=["GET"]),
        Route("/_admin/faults", admin_delete_faults, methods=["DELETE"]),
        Route("/_admin/faults/{name}", admin_put_faults, methods=["PUT"]),
        Route("/_admin/faults/{name}", admin_delete_faults, methods=["DELETE"]),
        Route("/_admin/stats", admin_stats, methods=["GET"]),
        Route("/_admin/reset", admin_reset, methods=["POST"]),
    ]
    if container_handler is not None:
        from adeptai_sagemaker_lab.server.container import container_routes

        routes += [r for r in container_routes(container_handler) if r.path != "/ping"]
    from adeptai_sagemaker_lab.server import openai_route

    routes += openai_route.openai_routes()  # SageMaker's OpenAI-compatible route (bearer token)
    app = Starlette(routes=routes)
    app.state.server = state
    openai_route.install(app)
    affinity.install(app)
    return app
