"""The evidence observer: every call and shadow comparison, written to the state store off the request path.

``EvidenceRecorder`` is the observer plugin (``on_call_finished``,
``on_shadow_result``). It never writes on the caller's thread: records go to a
bounded deque (dropped and counted when full) and one daemon thread writes
them every ``ADEPTAI_SAGEMAKER_EVIDENCE_FLUSH_S`` seconds (default 20) as one
batch for all modules (``rollout.state.EvidenceBatch``), and only when there
is something new. So a fleet's store sees one write per host per flush,
whatever the call volume, and a slow or unreachable store never slows a
request: a batch that failed is kept (one, under its key, so the retry
counts once) and later records join it until a write succeeds.

What is stored (privacy by construction): capability, mode, route, backend,
outcome, latency, token counts, fallback reason / error code, and per-field
agreement numbers keyed by *field names*. Never input text, prompts,
completions, input hashes or bucket keys.

Pooling a fleet's evidence in CloudWatch instead: with
``ADEPTAI_SAGEMAKER_EVIDENCE_EMF=true`` each written batch is also printed as
CloudWatch EMF lines (``metrics.emf_documents``) with *counts* that sum across
hosts: ``ShadowComparisons``/``ShadowAgreements`` per capability and
``FieldComparisons``/``FieldAgreements`` per (capability, field).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.routing import after_fork_in_child
from adeptai_sagemaker.observers.metrics import DEFAULT_NAMESPACE, emf_documents, write_emf
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.rollout.state.base import BOOT_ID, EvidenceBatch

log = logging.getLogger("adeptai_sagemaker.observers.evidence")


# --------------------------------------------------------------------------- the observer


def call_row(record: Any) -> dict:
    """A ``CallRecord`` -> a calls row (names and numbers only)."""
    return {"ts": record.timestamp, "capability": record.capability, "mode": record.mode, "route": record.route,
            "backend": record.backend, "outcome": record.outcome, "latency_ms": record.latency_s * 1000.0,
            "fallback_reason": record.fallback_reason, "error_code": record.error_code,
            "input_tokens": record.input_tokens, "output_tokens": record.output_tokens,
            "cache_hit": int(bool(record.cache_hit)), "endpoint": record.endpoint}


def comparison_row(comparison: Any, ts: float) -> dict:
    """A ``ShadowComparison`` -> a comparisons row; per-field results as {field: [score, agree]}."""
    fields = getattr(comparison, "fields", None) or {}
    return {"ts": ts, "capability": comparison.capability, "mode": getattr(comparison, "mode", None) or "shadow",
            "sagemaker_ok": int(bool(comparison.sagemaker_ok)), "latency_ms": comparison.latency_s * 1000.0,
            "score": comparison.agreement, "agree": None if getattr(comparison, "agree", None) is None
            else int(bool(comparison.agree)), "reason": comparison.reason,
            "fields": json.dumps({k: [round(float(v.score), 4), int(bool(v.agree))] for k, v in fields.items()},
                                 sort_keys=True) if fields else None,
            "not_comparable": json.dumps(list(getattr(comparison, "not_comparable", ()) or ())) or None}


def emf_rows(comparisons: list[dict]) -> list[tuple[dict[str, str], str, float, str]]:
    """Summable counts of a batch of comparison rows, as (dimensions, name, value, unit) rows."""
    per_cap: dict[str, list[int]] = {}
    per_field: dict[tuple[str, str], list[int]] = {}
    for row in comparisons:
        if row.get("agree") is None:
            continue
        c = per_cap.setdefault(row["capability"], [0, 0])
        c[0] += 1
        c[1] += int(row["agree"])
        for name, (_, agree) in json.loads(row["fields"] or "{}").items():
            f = per_field.setdefault((row["capability"], name), [0, 0])
            f[0] += 1
            f[1] += int(agree)
    rows = []
    for cap, (n, agree) in sorted(per_cap.items()):
        rows += [({"Capability": cap}, "ShadowComparisons", float(n), "Count"),
                 ({"Capability": cap}, "ShadowAgreements", float(agree), "Count")]
    for (cap, name), (n, agree) in sorted(per_field.items()):
        rows += [({"Capability": cap, "Field": name}, "FieldComparisons", float(n), "Count"),
                 ({"Capability": cap, "Field": name}, "FieldAgreements", float(agree), "Count")]
    return rows


class EvidenceRecorder:
    """Observer plugin: buffers call and shadow records and writes them to the state store in batches.

    The caller's thread only appends to a deque (no lock, no thread wake-up);
    a daemon thread drains it every ``interval_s``. ``flush()`` drains in the
    calling thread, after any batch being written, so tests and the CLI see
    every record. A worker forked after the recorder was made (gunicorn
    ``--preload``) starts with an empty buffer and its own writer thread: it
    writes its own records, never the parent's.
    """

    def __init__(self, store: Any, *, max_queue: int = 10_000, interval_s: float = 20.0,
                 clock: Callable[[], float] = time.time, emf_stream: Any = None,
                 after_write: Optional[Callable[[], Any]] = None, host: str = "local"):
        self.store = store
        self.host = host
        self.emf_stream = emf_stream
        self.after_write = after_write  # e.g. gate.AutoDemotion.check, run on the writer thread
        self.max_queue = max_queue
        self.interval_s = interval_s
        self.clock = clock
        self.dropped = 0
        self.write_failures = 0
        self.writes = 0
        self._reset()
        self._closed = False
        after_fork_in_child(self, EvidenceRecorder._reset)

    def _reset(self) -> None:
        """Fresh buffer, locks and thread (at start, and in a forked worker: the parent's records stay its own)."""
        self._buffer: "deque[tuple[str, dict]]" = deque()
        self._pending: Optional[EvidenceBatch] = None
        self._seq = itertools.count(1)
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def _put(self, kind: str, row: dict) -> None:
        if self._closed:
            return
        if self._thread is None:
            self._start()
        if len(self._buffer) >= self.max_queue:  # bounded: drop and count rather than grow
            self.dropped += 1
            return
        self._buffer.append((kind, row))

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="adeptai-evidence", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval_s)
            self._drain()
            if self.after_write is not None and not self._closed:
                try:
                    self.after_write()
                except Exception as exc:  # a failed check must not stop the evidence writer
                    log.warning("after-write check failed (%s)", type(exc).__name__)

    def _drain(self) -> None:
        with self._write_lock:
            items = []
            while self._buffer:
                items.append(self._buffer.popleft())
            batch = EvidenceBatch(f"{self.host}#{BOOT_ID}#{next(self._seq)}", self.host, self.clock(),
                                  [row for kind, row in items if kind == "call"],
                                  [row for kind, row in items if kind == "comparison"])
            if self._pending is not None:  # an unwritten batch keeps its key: the retry replaces, never adds
                self._pending.extend(batch)
                batch, self._pending = self._pending, None
            if batch:
                self._write(batch)

    def _write(self, batch: EvidenceBatch) -> None:
        try:
            self.store.add_evidence(batch)
            self.writes += 1
        except Exception as exc:  # an unreachable store must not stop the service; the batch is retried
            if len(batch.calls) + len(batch.comparisons) > self.max_queue:
                self.write_failures += len(batch.calls) + len(batch.comparisons)
                log.warning("evidence write failed (%s); %d records lost", type(exc).__name__,
                            len(batch.calls) + len(batch.comparisons))
            else:
                self._pending = batch
                log.warning("evidence write failed (%s); kept for the next flush", type(exc).__name__)
            return
        if self.emf_stream is not None:
            try:
                write_emf(self.emf_stream, emf_documents(emf_rows(batch.comparisons), DEFAULT_NAMESPACE,
                                                         int(self.clock() * 1000)))
            except Exception as exc:  # a closed stream must not stop the writer thread
                log.warning("evidence EMF export failed (%s)", type(exc).__name__)

    @hookimpl
    def on_call_finished(self, record) -> None:
        if record.mode == "direct":  # Framework.invoke (CLI run, benchmarks): no rollout step to gate
            return
        self._put("call", call_row(record))

    @hookimpl
    def on_shadow_result(self, comparison) -> None:
        self._put("comparison", comparison_row(comparison, self.clock()))

    def flush(self) -> None:
        """Write every buffered record now (tests, CLI, shutdown)."""
        self._drain()

    def stop(self) -> None:
        """Ask the writer to write what is buffered and end, without waiting (safe from a finalizer)."""
        self._closed = True
        self._wake.set()

    def close(self) -> None:
        """Stop the writer, wait for it, and write what is left (the store stays open: its owner closes it)."""
        self.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._drain()
