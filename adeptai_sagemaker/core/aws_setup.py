"""Where AWS calls go and as whom: the one region resolver and the loopback-endpoint policy.

Why it is one small module:

- **One region rule.** ``Settings.region()`` (env and ``.env``) and
  ``RuntimeConfig.from_env`` (a bare runtime built from the process
  environment) both resolve through ``resolve_region``, so the precedence
  ``SAGEMAKER_REGION`` > ``AWS_REGION`` > ``AWS_DEFAULT_REGION`` cannot drift
  between them. There is no silent default for a real endpoint.
- **Loopback endpoints need no AWS setup.** A runtime URL on this machine
  (``127.0.0.0/8``, ``localhost``, ``::1``: the lab's ``serve``) is not AWS:
  it answers for any region and checks the SigV4 signature's shape, not the
  key. So such a URL gets ``LOOPBACK_REGION`` when no region is set, and the
  runtime signs with ``LOOPBACK_CREDENTIALS`` passed explicitly to its boto3
  session (``backends/sagemaker/runtime.py``) -- real credentials are never
  signed into a lab server, and nothing is written to ``os.environ``.
"""

from __future__ import annotations

from typing import Mapping, Optional
from urllib.parse import urlsplit

from adeptai_sagemaker.core.errors import ConfigurationError

#: The region variables, highest precedence first (``SAGEMAKER_REGION`` is the monolith's own name).
REGION_VARIABLES = ("SAGEMAKER_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
#: The region a loopback endpoint is called with when none is configured (it answers for any).
LOOPBACK_REGION = "us-east-1"
#: boto3 session arguments for loopback endpoints: a signature of the right shape, with no real key in it.
LOOPBACK_CREDENTIALS = {"aws_access_key_id": "LOCALENDPOINT", "aws_secret_access_key": "LOCALENDPOINT"}
_LOOPBACK_HOSTS = frozenset({"localhost", "::1"})


def is_loopback(url: Optional[str]) -> bool:
    """Whether ``url`` points at this machine (``127.x.x.x``, ``localhost``, ``[::1]``)."""
    try:
        host = urlsplit(url).hostname if url else None
    except ValueError:  # a malformed URL is not a loopback one; the client reports it when used
        return False
    return bool(host) and (host in _LOOPBACK_HOSTS or host.startswith("127."))


def resolve_region(values: Mapping[str, Optional[str]], endpoint_url: Optional[str] = None) -> Optional[str]:
    """The region for calls to ``endpoint_url``: the first of ``REGION_VARIABLES`` set in ``values``
    (names in either case), else ``LOOPBACK_REGION`` for a loopback URL, else None."""
    for name in REGION_VARIABLES:
        value = values.get(name) or values.get(name.lower())
        if value and value.strip():
            return value.strip()
    return LOOPBACK_REGION if is_loopback(endpoint_url) else None


def missing_region_error() -> ConfigurationError:
    """What a caller raises when ``resolve_region`` found nothing (the CLI turns it into exit 2 with a fix)."""
    return ConfigurationError("AWS region is not set: set AWS_REGION (or SAGEMAKER_REGION) to the region of your "
                              "SageMaker endpoints")


def missing_credentials_error(region: str) -> ConfigurationError:
    """No credential source in boto3's chain answered (env, profile, SSO, container or instance role)."""
    return ConfigurationError(f"no AWS credentials found for region {region}: set AWS_PROFILE, or "
                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run where a role provides them)",
                              code="NoCredentialsError", reason="auth")
