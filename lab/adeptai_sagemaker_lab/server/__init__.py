"""The local SageMaker endpoint and serving container (extra ``serve``: starlette + uvicorn).

- :class:`LocalEndpoint` / :func:`serve`: the sagemaker-runtime API on loopback for boto3.
- :mod:`.dialects`: TGI, LMI, Messages, JumpStart and custom container wire formats.
- :mod:`.faults`: throttling, ModelError, 503, timeouts, malformed and broken streams on demand.
- :mod:`.container`: the ``/ping`` + ``/invocations`` container contract (BYOC image).
"""

from adeptai_sagemaker_lab.server.model_backends import BackendInputError, EchoBackend, LlamaCppBackend, ModelBackend, ReferenceBackend
from adeptai_sagemaker_lab.server.config import EndpointConfig, ServerConfig, load_config
from adeptai_sagemaker_lab.server.dialects import DIALECTS
from adeptai_sagemaker_lab.server.faults import FAULT_KINDS, FaultSpec
from adeptai_sagemaker_lab.server.runner import BackgroundServer, LocalEndpoint, serve, serve_config

__all__ = [
    "BackendInputError", "DIALECTS", "EchoBackend", "EndpointConfig", "FAULT_KINDS", "FaultSpec",
    "BackgroundServer", "LlamaCppBackend", "LocalEndpoint", "ModelBackend", "ReferenceBackend", "ServerConfig",
    "load_config", "serve", "serve_config",
]
