"""Fault injection for the local endpoint: the failures real endpoints produce, on demand.

Each endpoint holds an ordered list of rules. A rule fires on the next
``count`` calls and/or with ``probability`` (drawn from its own seeded RNG, so
runs are repeatable). On each call every firing ``latency`` rule adds its
delay, and the first firing non-latency rule decides the failure. Rules for
endpoint ``"*"`` apply to every endpoint after its own.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Optional

#: kind -> which calls it can affect ("any", "stream" only)
FAULT_KINDS: dict[str, str] = {
    "latency": "any",              # added delay (fixed or a distribution)
    "throttle": "any",             # ThrottlingException, status 400 (or 429 with status=429)
    "model_error": "any",          # 424 ModelError with original_status / message
    "container_timeout": "any",    # 424 ModelError "invocation timed out while waiting for ... container"
    "service_unavailable": "any",  # 503 ServiceUnavailable
    "internal_failure": "any",     # 500 InternalFailure
    "internal_dependency": "any",  # 530 InternalDependencyException
    "model_not_ready": "any",      # 429 ModelNotReadyException
    "no_capacity": "any",          # 400 ValidationError "... has no capacity ..." (scale-to-zero component, 0 copies)
    "read_timeout": "any",         # sleeps sleep_s before answering (longer than the client's read timeout)
    "malformed_json": "any",       # 200 with a body (or stream event) that is not valid JSON
    "truncated": "any",            # 200, valid envelope, generated text cut to `fraction`, finish_reason=length
    "stream_error": "stream",      # 200, then after `after_chunks` parts a ModelStreamError / InternalStreamFailure event
    "inband_error": "stream",      # 200, then the container's own error event (LMI finish_reason "error", TGI {"error"})
}

STREAM_ERROR_CODES = ("ModelInvocationTimeExceeded", "StreamBroken", "InternalStreamFailure")


@dataclass
class FaultSpec:
    """One fault rule. Only ``kind`` is required; other fields apply to the kinds named."""

    kind: str
    count: Optional[int] = None          # fire on the next N matching calls (None: no limit)
    probability: Optional[float] = None  # fire with this probability per call (None: always)
    seed: Optional[int] = None           # seeds this rule's RNG (probability and latency draws)
    # latency
    latency_ms: float = 0.0              # fixed delay, normal mean, lognormal median, uniform lower bound
    distribution: str = "fixed"          # fixed | normal | lognormal | uniform
    stddev_ms: float = 0.0               # normal
    sigma: float = 0.5                   # lognormal (sigma of the underlying normal)
    max_ms: Optional[float] = None       # uniform upper bound; caps every distribution
    # errors
    status: Optional[int] = None         # throttle: 400 (AWS JSON default) or 429
    original_status: int = 500           # model_error: the container's HTTP status
    message: Optional[str] = None        # overrides the error message
    # read_timeout
    sleep_s: float = 5.0
    # stream_error
    error_code: str = "ModelInvocationTimeExceeded"
    after_chunks: int = 1
    # truncated
    fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose one of {sorted(FAULT_KINDS)}")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if self.distribution not in {"fixed", "normal", "lognormal", "uniform"}:
            raise ValueError("distribution must be fixed, normal, lognormal or uniform")
        if self.kind == "stream_error" and self.error_code not in STREAM_ERROR_CODES:
            raise ValueError(f"error_code must be one of {STREAM_ERROR_CODES}")
        if self.kind == "throttle" and self.status not in (None, 400, 429):
            raise ValueError("throttle status must be 400 or 429")
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FaultSpec":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class _Rule:
    spec: FaultSpec
    remaining: Optional[int]
    rng: random.Random
    fired: int = 0

    def applies(self, streaming: bool) -> bool:
        return FAULT_KINDS[self.spec.kind] == "any" or streaming

    def try_fire(self) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.spec.probability is not None and self.rng.random() >= self.spec.probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def delay_s(self) -> float:
        s = self.spec
        if s.distribution == "normal":
            ms = self.rng.gauss(s.latency_ms, s.stddev_ms)
        elif s.distribution == "lognormal":
            ms = math.exp(self.rng.gauss(math.log(max(s.latency_ms, 1e-6)), s.sigma))
        elif s.distribution == "uniform":
            ms = self.rng.uniform(s.latency_ms, s.max_ms if s.max_ms is not None else s.latency_ms)
        else:
            ms = s.latency_ms
        if s.max_ms is not None:
            ms = min(ms, s.max_ms)
        return max(ms, 0.0) / 1000.0


@dataclass
class Draw:
    """What happens to one call: total added delay and at most one failure."""

    delay_s: float = 0.0
    fault: Optional[FaultSpec] = None
    fired: list[str] = field(default_factory=list)


class FaultRegistry:
    """Per-endpoint fault rules, safe to change from any thread while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, list[_Rule]] = {}

    @staticmethod
    def _rule(spec: FaultSpec) -> _Rule:
        return _Rule(spec, spec.count, random.Random(spec.seed))

    def set(self, endpoint: str, specs: list[FaultSpec]) -> None:
        """Replace the endpoint's rules."""
        with self._lock:
            self._rules[endpoint] = [self._rule(s) for s in specs]

    def add(self, endpoint: str, spec: FaultSpec) -> None:
        with self._lock:
            self._rules.setdefault(endpoint, []).append(self._rule(spec))

    def clear(self, endpoint: Optional[str] = None) -> None:
        with self._lock:
            if endpoint is None:
                self._rules.clear()
            else:
                self._rules.pop(endpoint, None)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {ep: [{**r.spec.to_dict(), "remaining": r.remaining, "fired": r.fired} for r in rules]
                    for ep, rules in self._rules.items() if rules}

    def draw(self, endpoint: str, streaming: bool) -> Draw:
        draw = Draw()
        with self._lock:
            for rule in self._rules.get(endpoint, []) + self._rules.get("*", []):
                if not rule.applies(streaming):
                    continue
                if rule.spec.kind != "latency" and draw.fault is not None:
                    continue
                if not rule.try_fire():
                    continue
                draw.fired.append(rule.spec.kind)
                if rule.spec.kind == "latency":
                    draw.delay_s += rule.delay_s()
                else:
                    draw.fault = rule.spec
        return draw


class Stats:
    """Per-endpoint request counts by outcome, and fired faults by kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self._faults: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, endpoint: str, outcome: str, fired: list[str] | tuple[str, ...] = ()) -> None:
        with self._lock:
            self._outcomes[endpoint][outcome] += 1
            for kind in fired:
                self._faults[endpoint][kind] += 1

    def reset(self) -> None:
        with self._lock:
            self._outcomes.clear()
            self._faults.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            endpoints = {
                ep: {"requests": sum(c.values()), "outcomes": dict(c), "faults": dict(self._faults.get(ep, {}))}
                for ep, c in self._outcomes.items()
            }
        return {"endpoints": endpoints, "total": sum(e["requests"] for e in endpoints.values())}
