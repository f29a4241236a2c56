"""Data-residency guard: refuse to talk to SageMaker outside ``SAGEMAKER_ALLOWED_REGIONS``.

The rule itself is ``Settings.checked_region`` (one copy, used by the
SageMaker backend, deploy, rollback and the CLI before any boto3 client is
built, so nothing leaves the allowed regions, not even a DescribeEndpoint);
this is its name in the compliance toolkit.
"""

from __future__ import annotations

from typing import Optional


def check_region(settings, region: Optional[str] = None) -> str:
    """Return the region to use (``region`` or the configured one) or raise ``RegionNotAllowedError``.

    With no allow-list configured every region passes (the default);
    ``settings.region()`` raises ``ConfigurationError`` when no region is set.
    """
    return settings.checked_region(region)
