"""Data-residency guard: refuse to talk to SageMaker outside ``SAGEMAKER_ALLOWED_REGIONS``.

``SageMakerBackend`` applies the same rule before its first invocation; this
function is the one place other code paths (deploy, CLI commands that create
AWS clients) call *before* building any boto3 client, so nothing leaves the
allowed regions, not even a DescribeEndpoint.
"""

from __future__ import annotations

from typing import Optional

from ..errors import RegionNotAllowedError


def check_region(settings, region: Optional[str] = None) -> str:
    """Return the region to use (``region`` or the configured one) or raise ``RegionNotAllowedError``.

    With no allow-list configured every region passes (the default);
    ``settings.region()`` raises ``ConfigurationError`` when no region is set.
    """
    chosen = region or settings.region()
    allowed = settings.allowed_regions()
    if allowed is not None and chosen not in allowed:
        raise RegionNotAllowedError(chosen, sorted(allowed))
    return chosen
