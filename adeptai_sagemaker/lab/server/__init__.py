"""The local SageMaker endpoint and serving container (extra ``serve``: starlette + uvicorn).

- :class:`LocalEndpoint` / :func:`serve`: the sagemaker-runtime API on loopback for boto3.
- :mod:`.dialects`: TGI, LMI, Messages, JumpStart and custom container wire formats.
- :mod:`.faults`: throttling, ModelError, 503, timeouts, malformed and broken streams on demand.
- :mod:`.container`: the ``/ping`` + ``/invocations`` container contract (BYOC image).
"""

from .model_backends import BackendInputError, EchoBackend, LlamaCppBackend, ModelBackend, ReferenceBackend
from .config import EndpointConfig, ServerConfig, load_config
from .dialects import DIALECTS
from .faults import FAULT_KINDS, FaultSpec
from .runner import BackgroundServer, LocalEndpoint, serve, serve_config

__all__ = [
    "BackendInputError", "DIALECTS", "EchoBackend", "EndpointConfig", "FAULT_KINDS", "FaultSpec",
    "BackgroundServer", "LlamaCppBackend", "LocalEndpoint", "ModelBackend", "ReferenceBackend", "ServerConfig",
    "load_config", "serve", "serve_config",
]
