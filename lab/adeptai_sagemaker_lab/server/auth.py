"""Require a SigV4-shaped Authorization header, as the real runtime does before anything else.

We do not verify the signature (there is no secret to verify against), but a
client that forgot to sign, or signs with something else, must fail here the
way it would fail against AWS, not succeed locally and break in production.
"""

from __future__ import annotations

import re
from typing import Mapping

from adeptai_sagemaker_lab.server.error_responses import RuntimeAPIError

_CREDENTIAL = re.compile(r"^[A-Z0-9]{1,128}/\d{8}/[a-z0-9-]+/[a-z0-9.-]+/aws4_request$", re.IGNORECASE)
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def check_sigv4(headers: Mapping[str, str]) -> None:
    """Raise ``MissingAuthenticationToken`` / ``IncompleteSignature`` (403) unless the request looks SigV4-signed."""
    auth = headers.get("authorization")
    if not auth:
        raise RuntimeAPIError("MissingAuthenticationToken", "Missing Authentication Token", 403)
    scheme, _, rest = auth.partition(" ")
    params: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            params[key] = value
    problems = []
    if scheme != "AWS4-HMAC-SHA256":
        problems.append("Authorization header requires the 'AWS4-HMAC-SHA256' algorithm.")
    for name in ("Credential", "Signature", "SignedHeaders"):
        if name not in params:
            problems.append(f"Authorization header requires '{name}' parameter.")
    if "Credential" in params and not _CREDENTIAL.match(params["Credential"]):
        problems.append("Credential should be scoped to a valid region and service: "
                        "'<access key>/<date>/<region>/<service>/aws4_request'.")
    if "Signature" in params and not _SIGNATURE.match(params["Signature"]):
        problems.append("Signature must be 64 lowercase hexadecimal characters.")
    if not (headers.get("x-amz-date") or headers.get("date")):
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        # AWS echoes the offending header; we echo only its scheme to keep secrets out of responses.
        raise RuntimeAPIError("IncompleteSignature", " ".join(problems) + f" Authorization={scheme}", 403)
