"""Metrics: an observer plugin that counts what happened, and exporters for CloudWatch.

Why it is built this way:
- It only *observes* (broadcast hooks), so it can never change an answer, and
  the framework already guarantees an observer failure never reaches a caller.
- Records carry names, numbers, hashes and reasons only; this module never
  stores ``input_hash`` either, and dimensions are capability and endpoint
  names, so nothing traceable to a candidate reaches CloudWatch (B25).
- Counting is defined so the numbers add up (the monolith's did not: B4).

Counting rules (one ``CallRecord`` = one capability call = one *invocation*):

    invocations == successes + fallbacks + errors          (disjoint)

- **success**: the caller got the answer of the route the rollout chose:
  SageMaker for ``on``/canary-in, the legacy code for ``off``/shadow/canary-out,
  or a cache hit.
- **fallback**: SageMaker (or another backend) was tried, failed, and the legacy
  code answered instead; counted once in ``fallbacks`` and by reason in
  ``fallbacks_by_reason`` (``throttled``, ``circuit_open``, ``invalid_output`` ...).
  The caller got an answer, so it is not an error; SageMaker failed, so it is not
  a success. ``served = successes + fallbacks``.
- **error**: the caller got an exception; counted in ``errors`` and by code in
  ``errors_by_code`` (``sum(errors_by_code) == errors``).
- **retries**: transport attempts beyond the first (``attempts - 1`` per endpoint
  call), counted from ``on_invocation`` records with ``attempt > 1``, so the
  retries of calls that finally failed are counted too.
- **latency_*_ms**: the whole call as the caller felt it (cache, retries,
  re-asks and fallback included); exact nearest-rank percentiles over a bounded
  uniform reservoir (Algorithm R, all samples while fewer than its size).
- **model_latency_*_ms** / **attempts**: per transport attempt (``on_invocation``),
  comparable with SageMaker's ``ModelLatency``; TTFT only where streaming set it.
- **cost**: amortized SageMaker cost per request (``cost.CostModel``) for calls
  the endpoint answered, per-token API cost for external-API backends, zero for
  cache hits; legacy answers are not priced (``priced_calls`` says how many were).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, TextIO

from adeptai_sagemaker.core.errors import COLD_CODES
from adeptai_sagemaker.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from adeptai_sagemaker.ops.cost import CostModel

log = logging.getLogger("adeptai_sagemaker.observers.metrics")

DEFAULT_NAMESPACE = "AdeptAI/SageMakerLLM"
NO_ENDPOINT = "none"
LEGACY_ENDPOINT = "legacy"


def percentile(samples: Iterable[float], p: float) -> Optional[float]:
    """Exact nearest-rank percentile (p in (0, 100]) of ``samples``; None when empty."""
    data = sorted(samples)
    if not data:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    rank = max(1, math.ceil(p / 100.0 * len(data)))
    return data[rank - 1]


class Reservoir:
    """A bounded uniform sample of a stream (Algorithm R, seeded for repeatable tests)."""

    def __init__(self, size: int = 2048, seed: int = 0):
        if size < 1:
            raise ValueError("reservoir size must be >= 1")
        self.size = size
        self.seen = 0
        self.samples: list[float] = []
        self._rng = random.Random(seed)

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.samples) < self.size:
            self.samples.append(value)
            return
        j = self._rng.randrange(self.seen)
        if j < self.size:
            self.samples[j] = value

    def percentiles(self, *ps: float) -> dict[str, Optional[float]]:
        data = sorted(self.samples)
        return {f"p{int(p) if float(p).is_integer() else p}": percentile(data, p) for p in ps}


@dataclass
class _Series:
    """Counters for one (capability, endpoint) pair."""

    reservoir_size: int
    invocations: int = 0
    successes: int = 0
    fallbacks: int = 0
    errors: int = 0
    retries: int = 0
    reasks: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced_calls: int = 0
    attempts: int = 0
    attempt_errors: int = 0
    cold_starts: int = 0  # attempts that found the endpoint cold (scaling from zero, model loading)
    errors_by_code: Counter = field(default_factory=Counter)
    fallbacks_by_reason: Counter = field(default_factory=Counter)
    attempt_errors_by_code: Counter = field(default_factory=Counter)
    served_by: Counter = field(default_factory=Counter)
    shadow_count: int = 0
    shadow_agreement_sum: float = 0.0
    shadow_scored: int = 0
    shadow_failures: int = 0
    shadow_dropped: int = 0
    latency: Reservoir = field(init=False)
    model_latency: Reservoir = field(init=False)
    ttft: Reservoir = field(init=False)

    def __post_init__(self) -> None:
        self.latency = Reservoir(self.reservoir_size, seed=1)
        self.model_latency = Reservoir(self.reservoir_size, seed=2)
        self.ttft = Reservoir(self.reservoir_size, seed=3)

    def view(self, circuit: Optional[str]) -> dict[str, Any]:
        lat = {k: _ms(v) for k, v in self.latency.percentiles(50, 95, 99).items()}
        mlat = {k: _ms(v) for k, v in self.model_latency.percentiles(50, 95, 99).items()}
        ttft = {k: _ms(v) for k, v in self.ttft.percentiles(50, 95).items()}
        return {
            "invocations": self.invocations, "successes": self.successes, "fallbacks": self.fallbacks,
            "errors": self.errors, "served": self.successes + self.fallbacks,
            "error_rate": self.errors / self.invocations if self.invocations else 0.0,
            "fallback_rate": self.fallbacks / self.invocations if self.invocations else 0.0,
            "errors_by_code": dict(self.errors_by_code), "fallbacks_by_reason": dict(self.fallbacks_by_reason),
            "served_by": dict(self.served_by),
            "retries": self.retries, "reasks": self.reasks,
            "attempts": self.attempts, "attempt_errors": self.attempt_errors,
            "attempt_errors_by_code": dict(self.attempt_errors_by_code), "cold_starts": self.cold_starts,
            "latency_p50_ms": lat["p50"], "latency_p95_ms": lat["p95"], "latency_p99_ms": lat["p99"],
            "latency_samples": len(self.latency.samples),
            "model_latency_p50_ms": mlat["p50"], "model_latency_p95_ms": mlat["p95"],
            "model_latency_p99_ms": mlat["p99"],
            "ttft_p50_ms": ttft["p50"], "ttft_p95_ms": ttft["p95"], "ttft_samples": len(self.ttft.samples),
            "cache_hits": self.cache_hits,
            "cache_hit_rate": self.cache_hits / self.invocations if self.invocations else 0.0,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd, "priced_calls": self.priced_calls,
            "cost_per_request_usd": self.cost_usd / self.priced_calls if self.priced_calls else None,
            "shadow_count": self.shadow_count, "shadow_failures": self.shadow_failures,
            "shadow_dropped": self.shadow_dropped, "shadow_scored": self.shadow_scored,
            "shadow_agreement_mean": self.shadow_agreement_sum / self.shadow_scored if self.shadow_scored else None,
            "circuit_state": circuit,
        }


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000.0, 3)


@functools.lru_cache(maxsize=1)
def _api_models() -> Mapping[str, str]:
    """``ops.cost.BACKEND_API_MODELS``, imported on the first call recorded: every framework registers this
    recorder, and the price tables are not needed to build one."""
    from adeptai_sagemaker.ops.cost import BACKEND_API_MODELS

    return BACKEND_API_MODELS


class MetricsRecorder:
    """Observer plugin: per (capability, endpoint) counters, percentiles, shadow and circuit state.

    Register with ``Framework(plugins=[MetricsRecorder()])`` (or ``fw.pm.register``).
    ``cost_models`` maps a capability name (or ``"*"``) to a ``cost.CostModel``
    used to price calls the SageMaker endpoint answered. Thread-safe: hooks run on
    caller threads and shadow workers at once.
    """

    def __init__(self, *, reservoir_size: int = 2048, cost_models: Optional[Mapping[str, CostModel]] = None,
                 clock: Callable[[], float] = time.time):
        self.reservoir_size = reservoir_size
        self.cost_models = dict(cost_models or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], _Series] = {}
        self._circuits: dict[str, str] = {}
        self._shadow_endpoint: dict[str, str] = {}  # capability -> last endpoint seen (shadow records have none)
        self.started = clock()

    # ------------------------------------------------------------------ helpers

    def _get(self, capability: str, endpoint: Optional[str]) -> _Series:
        key = (capability, endpoint or NO_ENDPOINT)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(self.reservoir_size)
        return series

    def _price(self, record) -> Optional[float]:
        if record.cache_hit:
            return 0.0
        if record.backend == "sagemaker":
            model = self.cost_models.get(record.capability) or self.cost_models.get("*")
            return model.cost_per_request() if model is not None else None
        api_model = _api_models().get(record.backend or "")
        if api_model and (record.input_tokens is not None or record.output_tokens is not None):
            from adeptai_sagemaker.ops.cost import api_cost_per_request

            return api_cost_per_request(record.input_tokens or 0, record.output_tokens or 0, api_model)
        return None

    # ------------------------------------------------------------------ hooks

    @hookimpl
    def on_call_finished(self, record) -> None:
        endpoint = record.endpoint or (LEGACY_ENDPOINT if record.backend == "legacy" else None)
        price = None
        if record.outcome != "error":
            try:
                price = self._price(record)
            except Exception:  # an unknown instance type must not break counting
                log.warning("cannot price %s calls; check the cost model", record.capability)
        with self._lock:
            s = self._get(record.capability, endpoint)
            s.invocations += 1
            if record.outcome == "success":
                s.successes += 1
            elif record.outcome == "fallback":
                s.fallbacks += 1
                s.fallbacks_by_reason[record.fallback_reason or "unknown"] += 1
            else:
                s.errors += 1
                s.errors_by_code[record.error_code or "unknown"] += 1
            if record.outcome != "error":
                s.served_by[record.backend or "unknown"] += 1
            s.reasks += record.reasks or 0
            s.cache_hits += bool(record.cache_hit)
            s.input_tokens += record.input_tokens or 0
            s.output_tokens += record.output_tokens or 0
            s.latency.add(record.latency_s)
            if price is not None:
                s.cost_usd += price
                s.priced_calls += 1
            if record.endpoint:
                self._shadow_endpoint[record.capability] = record.endpoint

    @hookimpl
    def on_invocation(self, record) -> None:
        with self._lock:
            s = self._get(record.capability, record.endpoint)
            s.attempts += 1
            if (record.attempt or 1) > 1:
                s.retries += 1
            s.model_latency.add(record.latency_s)
            if not record.ok:
                s.attempt_errors += 1
                s.attempt_errors_by_code[record.error_code or "unknown"] += 1
                s.cold_starts += record.error_code in COLD_CODES
            ttft = getattr(record, "time_to_first_token_s", None)
            if ttft is not None:
                s.ttft.add(ttft)
            self._shadow_endpoint.setdefault(record.capability, record.endpoint)

    @hookimpl
    def on_shadow_result(self, comparison) -> None:
        with self._lock:
            s = self._get(comparison.capability, self._shadow_endpoint.get(comparison.capability))
            s.shadow_count += 1
            if comparison.reason == "shadow_dropped":
                s.shadow_dropped += 1
            elif not comparison.sagemaker_ok:
                s.shadow_failures += 1
            if comparison.agreement is not None:
                s.shadow_scored += 1
                s.shadow_agreement_sum += float(comparison.agreement)

    @hookimpl
    def on_circuit_change(self, event) -> None:
        with self._lock:
            self._circuits[event.endpoint] = event.state

    # ------------------------------------------------------------------ views

    def circuit_state(self, endpoint: Optional[str]) -> Optional[str]:
        """State of the breaker guarding ``endpoint`` (breakers are named ``backend:endpoint``)."""
        if not endpoint:
            return None
        with self._lock:
            for name, state in self._circuits.items():
                if name == endpoint or name.split(":", 1)[-1] == endpoint:
                    return state
        return None

    def snapshot(self) -> dict[str, Any]:
        """Everything, JSON-ready: ``{"series": [...], "totals": {...}, "circuits": {...}}``."""
        with self._lock:
            items = sorted(self._series.items())
            circuits = dict(self._circuits)
            series = []
            for (capability, endpoint), s in items:
                state = None
                for name, st in circuits.items():
                    if name.split(":", 1)[-1] == endpoint:
                        state = st
                series.append({"capability": capability, "endpoint": endpoint, **s.view(state)})
        totals: dict[str, Any] = {}
        for key in ("invocations", "successes", "fallbacks", "errors", "served", "retries", "cache_hits",
                    "input_tokens", "output_tokens", "cost_usd", "priced_calls", "attempts", "attempt_errors",
                    "shadow_count", "shadow_failures", "shadow_dropped"):
            totals[key] = sum(row[key] for row in series)
        return {"since": self.started, "at": self._clock(), "series": series, "totals": totals, "circuits": circuits}

    def write_snapshot(self, path) -> None:
        """Write ``snapshot()`` as JSON atomically (``adeptai-sagemaker status --metrics PATH`` reads it)."""
        import os
        import tempfile

        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".metrics-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.snapshot(), fh)
        os.replace(tmp, path)

    def reset(self) -> None:
        with self._lock:
            self._series.clear()
            self._shadow_endpoint.clear()
            self.started = self._clock()


# --------------------------------------------------------------------------- exporters

#: (snapshot key, CloudWatch metric name, unit) exported per (Capability, Endpoint).
COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("invocations", "Invocations", "Count"),
    ("successes", "Successes", "Count"),
    ("fallbacks", "Fallbacks", "Count"),
    ("errors", "Errors", "Count"),
    ("retries", "Retries", "Count"),
    ("cache_hits", "CacheHits", "Count"),
    ("input_tokens", "InputTokens", "Count"),
    ("output_tokens", "OutputTokens", "Count"),
    ("shadow_failures", "ShadowFailures", "Count"),
    ("shadow_dropped", "ShadowDropped", "Count"),
    ("cost_usd", "CostUSD", "None"),
    ("cold_starts", "ColdStarts", "Count"),
)
GAUGES: tuple[tuple[str, str, str], ...] = (
    ("latency_p50_ms", "LatencyP50", "Milliseconds"),
    ("latency_p95_ms", "LatencyP95", "Milliseconds"),
    ("latency_p99_ms", "LatencyP99", "Milliseconds"),
    ("ttft_p50_ms", "TimeToFirstTokenP50", "Milliseconds"),
    ("cache_hit_rate", "CacheHitRate", "None"),
    ("shadow_agreement_mean", "ShadowAgreement", "None"),
    ("cost_per_request_usd", "CostPerRequestUSD", "None"),
)
METRIC_NAMES: frozenset[str] = frozenset(
    [m for _, m, _ in COUNTERS + GAUGES] + ["FallbacksByReason", "ErrorsByCode", "CircuitOpen"]
)


class _DeltaTracker:
    """Counters are cumulative in the recorder; exporters send the increase since their last flush."""

    def __init__(self) -> None:
        self._last: dict[tuple, float] = {}

    def delta(self, key: tuple, value: float) -> float:
        previous = self._last.get(key, 0)
        self._last[key] = value
        return value - previous


def _metric_rows(snapshot: dict, deltas: _DeltaTracker) -> list[tuple[dict[str, str], str, float, str]]:
    """(dimensions, name, value, unit) for one flush: counter deltas and current gauges."""
    rows = []
    for row in snapshot["series"]:
        dims = {"Capability": row["capability"], "Endpoint": row["endpoint"]}
        ident = (row["capability"], row["endpoint"])
        for key, name, unit in COUNTERS:
            rows.append((dims, name, deltas.delta(ident + (key,), row[key]), unit))
        for key, name, unit in GAUGES:
            if row.get(key) is not None:
                rows.append((dims, name, float(row[key]), unit))
        for reason, n in row["fallbacks_by_reason"].items():
            d = deltas.delta(ident + ("fallback", reason), n)
            if d:
                rows.append(({**dims, "Reason": reason}, "FallbacksByReason", d, "Count"))
        for code, n in row["errors_by_code"].items():
            d = deltas.delta(ident + ("error", code), n)
            if d:
                rows.append(({**dims, "Code": code}, "ErrorsByCode", d, "Count"))
    # Per-endpoint rollups the deploy alarms watch (deploy.py): daily cost and endpoint health.
    cost_by_endpoint: dict[str, float] = {}
    for row in snapshot["series"]:
        if row["endpoint"] not in (NO_ENDPOINT, LEGACY_ENDPOINT):
            cost_by_endpoint[row["endpoint"]] = cost_by_endpoint.get(row["endpoint"], 0.0) + row["cost_usd"]
    for endpoint, total in sorted(cost_by_endpoint.items()):
        rows.append(({"Endpoint": endpoint}, "CostUSD", deltas.delta(("endpoint", endpoint, "cost"), total), "None"))
    for name, state in sorted(snapshot["circuits"].items()):
        endpoint = name.split(":", 1)[-1]
        rows.append(({"Endpoint": endpoint}, "CircuitOpen", 0.0 if state == "closed" else 1.0, "None"))
    return rows


class EMFExporter:
    """CloudWatch Embedded Metric Format: one JSON line per (capability, endpoint) per flush.

    Write to stdout in Lambda/ECS/the CloudWatch agent's log pipeline and
    CloudWatch extracts the metrics; no API calls, no credentials.
    """

    def __init__(self, recorder: MetricsRecorder, stream: Optional[TextIO] = None,
                 namespace: str = DEFAULT_NAMESPACE):
        self.recorder = recorder
        self.stream = stream if stream is not None else sys.stdout
        self.namespace = namespace
        self._deltas = _DeltaTracker()

    def flush(self) -> list[dict]:
        snap = self.recorder.snapshot()
        return write_emf(self.stream, emf_documents(_metric_rows(snap, self._deltas), self.namespace,
                                                    int(snap["at"] * 1000)))


def emf_documents(rows: Iterable[tuple[dict[str, str], str, float, str]], namespace: str,
                  timestamp_ms: int) -> list[dict]:
    """(dimensions, metric name, value, unit) rows -> one EMF document per dimension set."""
    grouped: dict[tuple, dict] = {}
    for dims, name, value, unit in rows:
        key = tuple(sorted(dims.items()))
        doc = grouped.get(key)
        if doc is None:
            doc = grouped[key] = {
                "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [
                    {"Namespace": namespace, "Dimensions": [sorted(dims)], "Metrics": []}]},
                **dims,
            }
        doc["_aws"]["CloudWatchMetrics"][0]["Metrics"].append({"Name": name, "Unit": unit})
        doc[name] = value
    return list(grouped.values())


def write_emf(stream: TextIO, docs: list[dict]) -> list[dict]:
    """One JSON line per document (what the CloudWatch agent / Lambda log pipeline extracts)."""
    for doc in docs:
        stream.write(json.dumps(doc, separators=(",", ":")) + "\n")
    if hasattr(stream, "flush"):
        stream.flush()
    return docs


class CloudWatchExporter:
    """Batched ``cloudwatch:PutMetricData`` (``batch_size`` datums per call; the API allows up to 1000)."""

    def __init__(self, recorder: MetricsRecorder, namespace: str = DEFAULT_NAMESPACE, client: Any = None,
                 batch_size: int = 20, region: Optional[str] = None):
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be 1..1000")
        self.recorder = recorder
        self.namespace = namespace
        self.batch_size = batch_size
        if client is None:
            import boto3

            client = boto3.client("cloudwatch", region_name=region)
        self.client = client
        self._deltas = _DeltaTracker()

    def flush(self) -> int:
        """Send the metrics; returns the number of datums sent."""
        from datetime import datetime, timezone

        snap = self.recorder.snapshot()
        stamp = datetime.fromtimestamp(snap["at"], tz=timezone.utc)
        datums = [
            {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dims.items())],
             "Value": float(value), "Unit": unit, "Timestamp": stamp}
            for dims, name, value, unit in _metric_rows(snap, self._deltas)
        ]
        for i in range(0, len(datums), self.batch_size):
            self.client.put_metric_data(Namespace=self.namespace, MetricData=datums[i:i + self.batch_size])
        return len(datums)


class PeriodicExport:
    """Flushes an exporter (``EMFExporter``, ``CloudWatchExporter``) every ``interval_s`` on a daemon thread.

    Why a thread and not a timer per flush: one long-lived thread, named, that a
    worker process starts once at import time (MIGRATION.md step 5). A failed
    flush is logged by exception type only and the next interval tries again, so
    metrics can never take the service down. ``stop()`` flushes the last interval
    (register it with ``atexit``). ``stop_event`` exists for tests (an event whose
    ``wait`` returns at once), so none of them sleeps.
    """

    def __init__(self, exporter: Any, interval_s: float = 60.0, *, stop_event: Any = None) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self.exporter = exporter
        self.interval_s = interval_s
        self.flushes = 0
        self._stop = stop_event if stop_event is not None else threading.Event()
        self._thread = threading.Thread(target=self._run, name="adeptai-sagemaker-metrics-export", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._flush()

    def _flush(self) -> None:
        try:
            self.exporter.flush()
            self.flushes += 1
        except Exception as exc:  # never let metrics export break the service
            log.warning("metrics export failed: %s", type(exc).__name__)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and flush what was recorded since the last interval."""
        self._stop.set()
        self._thread.join(timeout_s)
        self._flush()
