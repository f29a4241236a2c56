"""The ``sagemaker-async`` backend: the same pipeline call, sent through ``InvokeEndpointAsync``.

Bulk work belongs on async inference: payloads up to 1 GB through S3, up to
an hour of processing, and the endpoint's own queue instead of client-side
throttling. The backend encodes the request with the capability's codec,
uploads it under ``SAGEMAKER_ASYNC_S3_PREFIX``, invokes the endpoint with an
``InferenceId``, polls S3 for the output (or the failure object) and decodes
it with the same codec, so validation and re-asks work exactly as on the
real-time path.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from typing import Iterator, Optional

from adeptai_sagemaker.plugin.completion import Completion, GenerationParams
from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.prompting import RenderedPrompt

ASYNC_BACKEND = "sagemaker-async"

_inference_id: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("adeptai_inference_id", default=None)


@contextlib.contextmanager
def inference_id_scope(value: str) -> Iterator[None]:
    """Name the async request(s) made in this block (the batch runner passes one id per record)."""
    token = _inference_id.set(value)
    try:
        yield
    finally:
        _inference_id.reset(token)


class SageMakerAsyncBackend:
    """Async inference through S3, sharing codecs and runtime clients with the real-time backend."""

    name = ASYNC_BACKEND
    needs_endpoint = True  # checked once, by pipeline.build_route

    def __init__(self, settings, realtime) -> None:
        prefix = settings.sagemaker_async_s3_prefix
        if not prefix:
            raise ConfigurationError("SAGEMAKER_ASYNC_S3_PREFIX is not set: async inference needs an s3://bucket/prefix "
                                     "for request inputs")
        if not prefix.startswith("s3://") or len(prefix) <= 5:
            raise ConfigurationError("SAGEMAKER_ASYNC_S3_PREFIX must look like s3://bucket/prefix")
        self._prefix = prefix
        self._timeout_s = settings.sagemaker_async_timeout_s
        self._poll_s = settings.sagemaker_async_poll_s
        self._realtime = realtime

    def complete(self, prompt: RenderedPrompt, params: GenerationParams, target) -> Completion:
        codec = self._realtime.codec(target.codec)
        runtime = self._realtime.runtime_for(target)
        body = codec.encode(prompt, params, stream=False)
        started = time.perf_counter()
        invocation = runtime.submit_async(target.endpoint, body, self._prefix, content_type=codec.content_type,
                                          accept=codec.accept, inference_id=_inference_id.get())
        data = runtime.fetch_async_result(invocation, timeout_s=self._timeout_s, poll_interval_s=self._poll_s)
        completion = codec.decode(data, prompt)
        completion.latency_s = time.perf_counter() - started
        return completion
