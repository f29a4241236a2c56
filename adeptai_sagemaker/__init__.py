"""adeptai-sagemaker: move AdeptAI's LLM work to SageMaker endpoints, module by module.

The public API, loaded lazily (PEP 562): ``import adeptai_sagemaker`` costs
almost nothing and imports neither boto3 nor pydantic nor any lab module;
each name below is imported from its module on first access.

- ``Framework``, ``get_framework``: route and answer capability calls (``core/framework.py``)
- ``hookimpl``: mark a plugin's hook implementations (``plugin/hookspecs.py``)
- ``TaskSpec``: register a capability (``plugin/tasks.py``)
- ``CallResult``, ``CallRecord``: what a call returns and what observers see (``plugin/calls.py``)
- the typed errors, ``AdeptSageMakerError`` and its subclasses (``core/errors.py``)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Framework": "adeptai_sagemaker.core.framework",
    "get_framework": "adeptai_sagemaker.core.framework",
    "hookimpl": "adeptai_sagemaker.plugin.hookspecs",
    "TaskSpec": "adeptai_sagemaker.plugin.tasks",
    "CallResult": "adeptai_sagemaker.plugin.calls",
    "CallRecord": "adeptai_sagemaker.plugin.calls",
    "AdeptSageMakerError": "adeptai_sagemaker.core.errors",
    "ConfigurationError": "adeptai_sagemaker.core.errors",
    "RegionNotAllowedError": "adeptai_sagemaker.core.errors",
    "InputTooLargeError": "adeptai_sagemaker.core.errors",
    "InvocationError": "adeptai_sagemaker.core.errors",
    "ThrottlingError": "adeptai_sagemaker.core.errors",
    "ServiceUnavailableError": "adeptai_sagemaker.core.errors",
    "InternalFailureError": "adeptai_sagemaker.core.errors",
    "EndpointColdError": "adeptai_sagemaker.core.errors",
    "ModelNotReadyError": "adeptai_sagemaker.core.errors",
    "EndpointValidationError": "adeptai_sagemaker.core.errors",
    "ModelError": "adeptai_sagemaker.core.errors",
    "EndpointTimeoutError": "adeptai_sagemaker.core.errors",
    "ConnectionFailedError": "adeptai_sagemaker.core.errors",
    "ModelStreamError": "adeptai_sagemaker.core.errors",
    "ResponseDecodeError": "adeptai_sagemaker.core.errors",
    "InvalidOutputError": "adeptai_sagemaker.core.errors",
    "CircuitOpenError": "adeptai_sagemaker.core.errors",
    "NoAnswerError": "adeptai_sagemaker.core.errors",
    "InputValidationError": "adeptai_sagemaker.core.errors",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
