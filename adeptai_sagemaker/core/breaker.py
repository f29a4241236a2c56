"""Circuit breaker per endpoint, so a dead endpoint costs microseconds, not timeouts.

Trips on N consecutive failures or on a failure rate over a sliding window of
recent calls; stays open for a cool-down, then lets one probe through
(half-open): success closes it, failure re-opens it. Non-retryable client-side
errors (bad input, schema failures) do not count: they say nothing about the
endpoint's health.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Literal, Optional

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerConfig:
    consecutive_failures: int = 5
    failure_rate: float = 0.5
    window: int = 20
    cooldown_s: float = 30.0


class CircuitBreaker:
    def __init__(self, name: str, config: BreakerConfig = BreakerConfig(),
                 on_change: Optional[Callable[[str, State, Optional[str]], None]] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.config = config
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._consecutive = 0
        self._recent: deque[bool] = deque(maxlen=config.window)
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> State:
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self.config.cooldown_s:
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """May a call go to the endpoint now? In half-open, exactly one probe may."""
        changed = None
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if self._clock() - self._opened_at < self.config.cooldown_s:
                    return False
                self._state = "half_open"
                self._probe_in_flight = False
                changed = "half_open"
            if self._probe_in_flight:
                allowed = False
            else:
                self._probe_in_flight = True
                allowed = True
        if changed:
            self._notify(changed, "cool-down elapsed")
        return allowed

    def record_success(self) -> None:
        changed = False
        with self._lock:
            self._consecutive = 0
            self._recent.append(True)
            if self._state != "closed":
                self._state = "closed"
                self._recent.clear()
                self._probe_in_flight = False
                changed = True
        if changed:
            self._notify("closed", "probe succeeded")

    def release_probe(self) -> None:
        """Neither success nor failure (a cold endpoint): only free a half-open probe slot."""
        with self._lock:
            self._probe_in_flight = False

    def record_failure(self, reason: str = "failure") -> None:
        opened = False
        with self._lock:
            self._consecutive += 1
            self._recent.append(False)
            if self._state == "half_open":
                opened = True
            elif self._state == "closed":
                failures = self._recent.count(False)
                rate_trip = len(self._recent) >= self.config.window // 2 and failures / len(self._recent) >= self.config.failure_rate
                opened = self._consecutive >= self.config.consecutive_failures or rate_trip
            if opened:
                self._state = "open"
                self._opened_at = self._clock()
                self._probe_in_flight = False
        if opened:
            self._notify("open", reason)

    def reset(self) -> None:
        with self._lock:
            self._state = "closed"
            self._consecutive = 0
            self._recent.clear()
            self._probe_in_flight = False

    def _notify(self, state: State, reason: Optional[str]) -> None:
        if self._on_change:
            self._on_change(self.name, state, reason)


class BreakerBoard:
    """One breaker per endpoint name, created on first use."""

    def __init__(self, config: BreakerConfig, on_change=None, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._on_change = on_change
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.setdefault(name, CircuitBreaker(name, self.config, self._on_change, self._clock))
        return breaker

    def states(self) -> dict[str, State]:
        return {name: b.state for name, b in self._breakers.items()}
