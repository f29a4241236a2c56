"""Can a module's calls reach its endpoint? The check ``status`` and ``promote`` share.

A module routed to SageMaker (shadow, canary, on) without a region or an
endpoint name fails every call and falls back; one whose endpoint is not
``InService`` does the same. ``promote`` holds such a module instead of
advancing it (exit 1), ``status`` names the problem (exit 2).
"""

from __future__ import annotations

from typing import Any, Optional

from adeptai_sagemaker.core.errors import ConfigurationError


def config_problems(settings: Any, capability: str) -> list[str]:
    """What configuration is missing for ``capability`` to reach SageMaker (empty when nothing is)."""
    problems = []
    try:
        settings.region()
    except ConfigurationError:
        problems.append("no AWS region: set AWS_REGION (or SAGEMAKER_REGION)")
    if not settings.endpoint(capability):
        problems.append(f"no endpoint: set SAGEMAKER_{settings.stem(capability)}_ENDPOINT")
    return problems


def endpoint_problems(settings: Any, capability: str, client: Optional[Any] = None) -> list[str]:
    """``config_problems``, then the endpoint's status from the SageMaker control plane (``DescribeEndpoint``).

    With ``SAGEMAKER_ENDPOINT_URL`` set the runtime talks to that URL (a local
    or private endpoint), which has no control plane to ask: the status is
    not checked then.
    """
    problems = config_problems(settings, capability)
    if problems or settings.sagemaker_endpoint_url:
        return problems
    endpoint = settings.endpoint(capability)
    try:
        if client is None:
            import boto3

            client = boto3.client("sagemaker", region_name=settings.checked_region())
        status = client.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        return [f"endpoint {endpoint} cannot be described ({code})"]
    return [] if status == "InService" else [f"endpoint {endpoint} is {status}, not InService"]
