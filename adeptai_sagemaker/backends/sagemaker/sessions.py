"""Request affinity: stateful sessions and prefix-aware routing ids, per capability.

Two SageMaker features keep related calls on the same instance, where the
model's KV cache already holds their shared prompt prefix:

- **Prefix-aware routing** (endpoint ``RoutingConfig.RoutingStrategy =
  PREFIX_AWARE``): each request names a routing id, ``PrefixAwareId`` on
  InvokeEndpoint (header ``X-Amzn-SageMaker-Prefix-Aware-Id``, at most 64
  characters) or ``prompt_cache_key`` on the OpenAI-compatible route. Calls of
  one capability share the template's fixed prefix (instructions and schema,
  everything before the first data block), so the id is a hash of that prefix:
  stable across calls, different per template version, and free of candidate
  text. Setting: ``SAGEMAKER_<STEM>_PREFIX_AWARE=true``.
- **Stateful sessions** (``SessionId``): ``SAGEMAKER_<STEM>_SESSION=sticky``
  opens one session per (capability, endpoint, component) with
  ``SessionId=NEW_SESSION``, keeps the id from ``X-Amzn-SageMaker-New-Session-Id``
  until its ``Expires`` time, sends it on every call, and closes it when the
  framework closes. Opening and closing use the LMI protocol (djl-serving's
  async handler, v16+): a body ``{"requestType": "NEW_SESSION"}`` or
  ``{"requestType": "CLOSE"}``. Sessions cannot be opened through the streaming
  API, so a streaming capability opens its session with InvokeEndpoint first.
  The OpenAI-compatible route has no session parameter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from calendar import timegm
from dataclasses import replace
from typing import Any, Callable, Optional

from adeptai_sagemaker.plugin.completion import InvokeOptions
from adeptai_sagemaker.core.errors import ConfigurationError, InvocationError
from adeptai_sagemaker.core.prompting import RenderedPrompt

__all__ = ["prefix_aware_id", "SessionStore", "NEW_SESSION", "parse_new_session_header"]

log = logging.getLogger(__name__)

NEW_SESSION = "NEW_SESSION"
PREFIX_ID_MAX = 64
_DATA_MARK = "<<<DATA "
_EXPIRY_MARGIN_S = 30.0


def prefix_aware_id(prompt: RenderedPrompt) -> str:
    """``adeptai-`` + sha256 of the prompt's fixed prefix (the text before its first data block), 40 chars."""
    text = prompt.text
    cut = text.find(_DATA_MARK)
    fixed = text if cut < 0 else text[:cut]
    return "adeptai-" + hashlib.sha256(fixed.encode("utf-8")).hexdigest()[:32]


def parse_new_session_header(value: Optional[str]) -> tuple[str, Optional[float]]:
    """``"abc-123; Expires=2026-12-01T22:00:00Z"`` -> ``("abc-123", epoch seconds)``."""
    if not value:
        raise InvocationError("the endpoint did not return X-Amzn-SageMaker-New-Session-Id; does its container "
                              "support stateful sessions (LMI v16+ with enable_stateful_sessions)?",
                              code="SessionNotCreated", retryable=False, reason="session_error")
    session_id, _, rest = value.partition(";")
    expires: Optional[float] = None
    key, _, stamp = rest.strip().partition("=")
    if key.strip().lower() == "expires" and stamp:
        try:
            expires = float(timegm(time.strptime(stamp.strip(), "%Y-%m-%dT%H:%M:%SZ")))
        except ValueError:
            expires = None
    return session_id.strip(), expires


class SessionStore:
    """Open sessions by key, thread-safe. ``clock`` (epoch seconds) is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[tuple, tuple[str, Optional[float], Any, str, InvokeOptions]] = {}

    def session_id(self, key: tuple, runtime: Any, endpoint: str, options: InvokeOptions) -> str:
        """The open session's id for ``key``, opening a new one when there is none or it expired."""
        with self._lock:
            current = self._open.get(key)
            if current is not None:
                sid, expires = current[0], current[1]
                if expires is None or self._clock() < expires - _EXPIRY_MARGIN_S:
                    return sid
                del self._open[key]
        result = runtime.invoke(endpoint, json.dumps({"requestType": NEW_SESSION}).encode(),
                                options=replace(options, session_id=NEW_SESSION, prefix_aware_id=None))
        sid, expires = parse_new_session_header(result.new_session_id)
        with self._lock:
            self._open[key] = (sid, expires, runtime, endpoint, options)
        log.debug("opened stateful session endpoint=%s", endpoint)
        return sid

    def forget(self, key: tuple) -> None:
        """Drop a session the endpoint no longer knows (it expired or its instance went away)."""
        with self._lock:
            self._open.pop(key, None)

    def open_count(self) -> int:
        with self._lock:
            return len(self._open)

    def close_all(self) -> int:
        """Close every open session (``{"requestType": "CLOSE"}``); failures are logged, never raised."""
        with self._lock:
            items, self._open = list(self._open.values()), {}
        closed = 0
        for sid, _expires, runtime, endpoint, options in items:
            try:
                runtime.invoke(endpoint, json.dumps({"requestType": "CLOSE"}).encode(),
                               options=replace(options, session_id=sid, prefix_aware_id=None))
                closed += 1
            except Exception as exc:  # an expired session needs no closing
                log.info("closing a stateful session on %s failed: %s", endpoint, type(exc).__name__)
        return closed


def check_session_setting(session: str, transport: Optional[str]) -> None:
    """Sessions exist on InvokeEndpoint only."""
    if session == "sticky" and transport == "openai":
        raise ConfigurationError("SAGEMAKER_<STEM>_SESSION=sticky needs InvokeEndpoint; the OpenAI-compatible "
                                 "route has no session parameter (use PREFIX_AWARE, sent as prompt_cache_key)")
