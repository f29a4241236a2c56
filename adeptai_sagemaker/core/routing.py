"""Sticky bucketing for canary rollouts.

A request key (a query, a candidate id, a hash of the input) maps to a
stable bucket 0..99 via SHA-256 of ``"{capability}:{key}"``. The same key always lands in the same
bucket, so raising a canary from 10% to 50% only adds requests to the
SageMaker side and never reshuffles who was already on it.
"""

from __future__ import annotations

import hashlib

from adeptai_sagemaker.plugin.calls import Route
from adeptai_sagemaker.core.settings import Mode


def bucket(capability: str, key: str) -> int:
    digest = hashlib.sha256(f"{capability}:{key}".encode("utf-8", errors="replace")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def route_for(mode: Mode, capability: str, key: str) -> tuple[Route, int | None]:
    """Where a request goes under ``mode``: (route, bucket if one was drawn)."""
    if mode.kind == "off":
        return "legacy", None
    if mode.kind == "shadow":
        return "shadow", None
    if mode.kind == "on":
        return "sagemaker", None
    b = bucket(capability, key)
    return ("sagemaker" if b < mode.percent else "legacy"), b
