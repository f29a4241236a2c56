"""Retention of cached answers: the policy in one place, and the purge the CLI runs.

Policy (documented in ``compliance/README.md``, "Retention"):

- PII capabilities (``tasks.PII_CAPABILITIES``: behavioral_analyzer,
  resume_summarizer, explanation_generator, candidate_matcher,
  question_generator) are not cached unless turned on per capability, and
  their TTL is capped at 24 h (``settings.PII_CACHE_TTL_CAP_S``) whatever
  ``SAGEMAKER_<STEM>_CACHE_TTL`` says.
- Other capabilities: ``SAGEMAKER_<STEM>_CACHE_TTL`` (default 3600 s, at most 30 days).
- Expired entries are never served; ``purge`` deletes stored entries by age
  and/or capability on demand (``adeptai-sagemaker cache purge --older-than 7d``).
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

from adeptai_sagemaker.core.settings import PII_CACHE_TTL_CAP_S
from adeptai_sagemaker.plugin.tasks import CAPABILITIES, PII_CAPABILITIES
from adeptai_sagemaker.compliance.timeparse import parse_duration


def policy(settings) -> dict[str, dict[str, object]]:
    """The effective retention per capability: cache on/off, TTL in seconds, whether the PII cap applies."""
    return {
        cap: {"cache": settings.cache_enabled(cap), "ttl_s": settings.cache_ttl(cap),
              "pii": cap in PII_CAPABILITIES, "cap_s": PII_CACHE_TTL_CAP_S if cap in PII_CAPABILITIES else None}
        for cap in CAPABILITIES
    }


def purge(cache, older_than: Union[None, str, float] = None, capabilities: Optional[Iterable[str]] = None) -> int:
    """Delete cached answers older than ``older_than`` ("7d", "24h", seconds) and/or of ``capabilities``.

    With neither given nothing is deleted (use ``cache.clear()`` to empty the
    cache on purpose). Returns the number of entries removed.
    """
    caps = list(capabilities) if capabilities else None
    if older_than is None and not caps:
        return 0
    unknown = set(caps or ()) - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capability {sorted(unknown)}; known: {', '.join(CAPABILITIES)}")
    seconds = parse_duration(older_than) if older_than is not None else None
    return cache.purge(older_than_s=seconds, capabilities=caps)
