"""The one retry policy: every model backend (SageMaker runtime, OpenAI, Anthropic) retries alike.

Only typed errors whose ``retryable`` is true are retried (see ``errors``);
anything else, a bug included, surfaces at once. Waits are full-jitter
exponential (``uniform(0, min(backoff_max, backoff_base * 2**(n-1)))``), raised
to a server's ``Retry-After`` hint (``retry_after_s`` on the error, capped at
``retry_after_cap``), and never run past ``max_retry_time`` counted from the
first attempt. The SDKs' own retries are switched off where they exist, so
this is the only loop: stacked retry layers multiply latency.

A policy builds its tenacity ``Retrying`` objects once per attempt limit and
reuses them (they keep per-call state in their own call state object).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from adeptai_sagemaker.core import transport
from adeptai_sagemaker.core.errors import AdeptSageMakerError


T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, AdeptSageMakerError) and exc.retryable


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = transport.MAX_ATTEMPTS
    max_retry_time: float = transport.MAX_RETRY_TIME_S  # from the first attempt; no new attempt starts after it
    backoff_base: float = transport.BACKOFF_BASE_S
    backoff_max: float = transport.BACKOFF_MAX_S
    retry_after_cap: float = 5.0  # a longer Retry-After is better answered by the fallback than by waiting
    sleep: Callable[[float], None] = time.sleep
    _built: dict = field(default_factory=dict, compare=False, repr=False)
    _lock: Any = field(default_factory=threading.Lock, compare=False, repr=False)

    def wait(self, state: Any) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (state.attempt_number - 1)))
        delay = random.uniform(0.0, ceiling)
        error = state.outcome.exception() if state.outcome is not None else None
        hint = getattr(error, "retry_after_s", None)
        if hint is not None:
            delay = min(max(delay, float(hint)), self.retry_after_cap)
        remaining = self.max_retry_time - state.seconds_since_start
        return max(0.0, min(delay, remaining))

    def retrying(self, max_attempts: int | None = None) -> Any:
        """The tenacity ``Retrying`` for ``max_attempts`` (default: the policy's), built once and reused.

        tenacity (and the asyncio it pulls in) is imported on the first call, not at import time.
        """
        limit = max(1, int(max_attempts or self.max_attempts))
        found = self._built.get(limit)
        if found is None:
            from tenacity import Retrying, retry_if_exception

            def stop(state: Any) -> bool:
                return state.attempt_number >= limit or state.seconds_since_start >= self.max_retry_time

            with self._lock:
                found = self._built.setdefault(limit, Retrying(retry=retry_if_exception(is_retryable), stop=stop,
                                                               wait=self.wait, sleep=self.sleep, reraise=True))
        return found

    def run(self, attempt: Callable[[int], T], max_attempts: int | None = None) -> tuple[T, int]:
        """The one retry loop: ``attempt(n)`` for n = 1, 2, ... until it returns, a non-retryable error
        is raised, or the attempt/time budget is spent (the last error is re-raised). Returns
        ``(result, attempts)``. Every backend (SageMaker runtime, OpenAI, Anthropic) calls this."""
        for state in self.retrying(max_attempts):
            with state:
                number = state.retry_state.attempt_number
                return attempt(number), number
        raise AssertionError("unreachable")  # pragma: no cover - reraise=True always raises
