"""Short-lived bearer tokens for SageMaker's OpenAI-compatible route, minted locally.

The route (``/endpoints/{name}/openai/v1/chat/completions``) takes
``Authorization: Bearer <token>`` instead of a SigV4 signature. SageMaker
documents the token as what the SageMaker Python SDK v3's
``sagemaker.core.token_generator.generate_token`` builds, and this module
builds it the same way, with botocore only:

1. a ``POST https://sagemaker.amazonaws.com/?Action=CallWithBearerToken`` request,
2. presigned with SigV4 query auth (service ``sagemaker``, the endpoint's region,
   ``X-Amz-Expires`` = the lifetime, at most 12 h) from the boto3 credential chain,
3. the URL without ``https://``, plus ``&Version=1``, base64-encoded and prefixed
   with ``sagemaker-api-key-``.

No network call is made; IAM checks ``sagemaker:CallWithBearerToken`` and
``sagemaker:InvokeEndpoint`` when the token is used.

Why a provider object: a token is cached and reused until shortly before it
expires, then re-minted (cheap: one HMAC chain). The default lifetime is short
(15 min) because a presigned token made from temporary credentials dies with
them anyway, and a short-lived secret is a smaller leak. The token is a
credential: it is never logged, never part of ``repr``/``str``, and never
stored outside this object.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.errors import ConfigurationError

__all__ = ["BearerTokenProvider", "mint_token", "MAX_TOKEN_LIFETIME_S", "TOKEN_PREFIX"]

TOKEN_HOST = "sagemaker.amazonaws.com"
TOKEN_PREFIX = "sagemaker-api-key-"
TOKEN_VERSION = "&Version=1"
MAX_TOKEN_LIFETIME_S = 43_200  # 12 hours, the documented maximum
DEFAULT_TOKEN_LIFETIME_S = 900
DEFAULT_REFRESH_MARGIN_S = 60


def mint_token(credentials: Any, region: str, lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S) -> str:
    """One bearer token from botocore ``credentials`` (frozen or refreshable) for ``region``."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    if not region:
        raise ConfigurationError("a region is required to mint a SageMaker bearer token")
    if not 0 < int(lifetime_s) <= MAX_TOKEN_LIFETIME_S:
        raise ConfigurationError(f"bearer token lifetime must be 1..{MAX_TOKEN_LIFETIME_S} seconds")
    request = AWSRequest(method="POST", url=f"https://{TOKEN_HOST}/", headers={"host": TOKEN_HOST},
                         params={"Action": "CallWithBearerToken"})
    SigV4QueryAuth(credentials, "sagemaker", region, expires=int(lifetime_s)).add_auth(request)
    presigned = request.url.replace("https://", "", 1) + TOKEN_VERSION
    return TOKEN_PREFIX + base64.b64encode(presigned.encode("utf-8")).decode("ascii")


class BearerTokenProvider:
    """Caches one token and re-mints it ``refresh_margin_s`` before it expires.

    ``credentials`` is a zero-argument callable returning botocore credentials
    (the runtime passes its boto3 session's ``get_credentials``), called only
    when a token is minted. ``clock`` is injectable for tests.
    """

    def __init__(self, credentials: Callable[[], Any], region: str, *,
                 lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S, refresh_margin_s: int = DEFAULT_REFRESH_MARGIN_S,
                 clock: Callable[[], float] = time.time) -> None:
        if not 0 < int(lifetime_s) <= MAX_TOKEN_LIFETIME_S:
            raise ConfigurationError(f"bearer token lifetime must be 1..{MAX_TOKEN_LIFETIME_S} seconds")
        if not 0 <= refresh_margin_s < lifetime_s:
            raise ConfigurationError("bearer token refresh margin must be >= 0 and shorter than the lifetime")
        self._credentials = credentials
        self.region = region
        self.lifetime_s = int(lifetime_s)
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self.minted = 0  # how many tokens this provider has made (tests, diagnostics)

    def token(self) -> str:
        """A token valid for at least ``refresh_margin_s`` more seconds."""
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - self.refresh_margin_s:
                creds = self._credentials()
                if creds is None:
                    raise ConfigurationError("NoCredentialsError: no AWS credentials to mint a SageMaker bearer "
                                             "token (check AWS_PROFILE and the credential chain)",
                                             code="NoCredentialsError", reason="auth")
                frozen = creds.get_frozen_credentials() if hasattr(creds, "get_frozen_credentials") else creds
                self._token = mint_token(frozen, self.region, self.lifetime_s)
                self._expires_at = now + self.lifetime_s
                self.minted += 1
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after the route refused it)."""
        with self._lock:
            self._token = None

    def __repr__(self) -> str:  # never show the token
        return f"<BearerTokenProvider region={self.region!r} lifetime_s={self.lifetime_s}>"
