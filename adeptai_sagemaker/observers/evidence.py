"""Migration evidence that outlives a process: a small SQLite store shared by worker processes.

Why SQLite (stdlib ``sqlite3``) in WAL mode: every gunicorn/celery worker of
the monolith writes its own calls and shadow comparisons, and ``promote`` /
``report`` / ``status`` read them from another process; WAL lets readers run
beside one writer, and a file under ``ADEPTAI_SAGEMAKER_STATE_DIR`` needs no
server. The same file holds the live rollout modes set by ``promote``
(``live_mode.StateModeSource`` reads them).

What is stored (privacy by construction): capability, mode, route, backend,
outcome, latency, token counts, fallback reason / error code, and per-field
agreement numbers keyed by *field names*. Never input text, prompts,
completions, input hashes or bucket keys.

Bounded: each evidence table keeps at most ``max_rows`` rows and nothing older
than ``retention_s``; pruning runs after every write batch.

``EvidenceRecorder`` is the observer plugin (``on_call_finished``,
``on_shadow_result``). It never writes on the caller's thread: records go to a
bounded queue (dropped and counted when full) and one daemon thread writes
them in batches, so a slow disk can never slow a monolith request.

Pooling a fleet's evidence: with ``ADEPTAI_SAGEMAKER_EVIDENCE_EMF=true`` each
written batch is also printed as CloudWatch EMF lines (``metrics.emf_documents``)
with *counts* that sum across hosts: ``ShadowComparisons``/``ShadowAgreements``
per capability and ``FieldComparisons``/``FieldAgreements`` per
(capability, field), so agreement can be recomputed over the whole fleet.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.observers.metrics import DEFAULT_NAMESPACE, emf_documents, write_emf

log = logging.getLogger("adeptai_sagemaker.observers.evidence")

DB_NAME = "evidence.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, capability TEXT NOT NULL, mode TEXT NOT NULL, route TEXT,
    backend TEXT, outcome TEXT NOT NULL, latency_ms REAL, fallback_reason TEXT, error_code TEXT,
    input_tokens INTEGER, output_tokens INTEGER, cache_hit INTEGER, endpoint TEXT);
CREATE INDEX IF NOT EXISTS calls_cap_ts ON calls (capability, ts);
CREATE TABLE IF NOT EXISTS comparisons (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, capability TEXT NOT NULL, mode TEXT NOT NULL,
    sagemaker_ok INTEGER NOT NULL, latency_ms REAL, score REAL, agree INTEGER, reason TEXT,
    fields TEXT, not_comparable TEXT);
CREATE INDEX IF NOT EXISTS comparisons_cap_ts ON comparisons (capability, ts);
CREATE TABLE IF NOT EXISTS modes (
    capability TEXT PRIMARY KEY, mode TEXT NOT NULL, set_at REAL NOT NULL, reason TEXT);
CREATE TABLE IF NOT EXISTS mode_history (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, capability TEXT NOT NULL, from_mode TEXT, to_mode TEXT NOT NULL,
    verdict TEXT, reason TEXT);
"""
_CALL_COLS = ("ts", "capability", "mode", "route", "backend", "outcome", "latency_ms", "fallback_reason",
              "error_code", "input_tokens", "output_tokens", "cache_hit", "endpoint")
_CMP_COLS = ("ts", "capability", "mode", "sagemaker_ok", "latency_ms", "score", "agree", "reason", "fields",
             "not_comparable")


def store_error(store: "EvidenceStore", exc: BaseException) -> str:
    """One line for the CLI when the state store cannot be used (no data in it, only the path and the cause)."""
    return (f"cannot use the state store {store.path}: {type(exc).__name__}: {exc} -- fix: point "
            "ADEPTAI_SAGEMAKER_STATE_DIR at a writable local directory (move a damaged evidence.sqlite3 away)")


def store_for(settings: Any) -> "EvidenceStore":
    """The store under ``settings.state_dir()`` with the configured bounds."""
    return EvidenceStore(settings.state_dir(), max_rows=settings.adeptai_sagemaker_evidence_max_rows,
                         retention_s=settings.adeptai_sagemaker_evidence_retention_days * 86400)


@dataclass(frozen=True)
class ModeOverride:
    capability: str
    mode: str
    set_at: float
    reason: Optional[str] = None


class EvidenceStore:
    """The SQLite file under the state directory; safe to share between threads and processes."""

    def __init__(self, directory: os.PathLike | str, *, max_rows: int = 200_000, retention_s: float = 30 * 86400,
                 clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.max_rows = max_rows
        self.retention_s = retention_s
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self._pruned_at: Optional[float] = None
        self._since_prune = 0
        _after_fork_in_child(self, EvidenceStore._forget_connection)

    def _forget_connection(self) -> None:
        """In a forked worker: never use the parent's SQLite connection (SQLite forbids it); open a new one."""
        self._lock = threading.Lock()
        self._conn = None

    # ------------------------------------------------------------------ connection

    def exists(self) -> bool:
        return self.path.exists()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.executescript(_SCHEMA)
            try:
                os.chmod(self.path, 0o600)
            except OSError:  # a shared volume may not allow it; the directory's permissions still apply
                log.debug("could not restrict permissions of %s", self.path)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        if not self.exists():
            return []
        with self._lock:
            conn = self._connect()
            conn.row_factory = sqlite3.Row
            try:
                return conn.execute(sql, tuple(args)).fetchall()
            finally:
                conn.row_factory = None

    # ------------------------------------------------------------------ evidence

    def add(self, calls: Iterable[dict] = (), comparisons: Iterable[dict] = ()) -> None:
        """Insert a batch of call and comparison rows (dicts keyed by column), then prune."""
        call_rows = [tuple(c.get(k) for k in _CALL_COLS) for c in calls]
        cmp_rows = [tuple(c.get(k) for k in _CMP_COLS) for c in comparisons]
        if not call_rows and not cmp_rows:
            return

        def run(conn: sqlite3.Connection) -> None:
            if call_rows:
                conn.executemany(f"INSERT INTO calls ({','.join(_CALL_COLS)}) VALUES ({','.join('?' * len(_CALL_COLS))})",
                                 call_rows)
            if cmp_rows:
                conn.executemany(
                    f"INSERT INTO comparisons ({','.join(_CMP_COLS)}) VALUES ({','.join('?' * len(_CMP_COLS))})",
                    cmp_rows)
            self._since_prune += len(call_rows) + len(cmp_rows)
            now = self.clock()
            # prune once a minute, or sooner when a tenth of the cap was written since (it scans the tables)
            if self._pruned_at is None or now - self._pruned_at >= 60 or self._since_prune >= self.max_rows // 10:
                self._prune(conn)
                self._pruned_at, self._since_prune = now, 0

        self._write(run)

    def _prune(self, conn: sqlite3.Connection) -> None:
        cutoff = self.clock() - self.retention_s
        for table in ("calls", "comparisons", "mode_history"):
            conn.execute(f"DELETE FROM {table} WHERE ts < ?", (cutoff,))
            conn.execute(f"DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - ?", (self.max_rows,))

    def calls(self, capability: Optional[str] = None, *, since: float = 0.0, mode: Optional[str] = None) -> list[dict]:
        return self._select("calls", _CALL_COLS, capability, since, mode)

    def comparisons(self, capability: Optional[str] = None, *, since: float = 0.0,
                    mode: Optional[str] = None) -> list[dict]:
        rows = self._select("comparisons", _CMP_COLS, capability, since, mode)
        for row in rows:
            row["fields"] = json.loads(row["fields"]) if row["fields"] else {}
            row["not_comparable"] = json.loads(row["not_comparable"]) if row["not_comparable"] else []
        return rows

    def _select(self, table: str, cols: tuple[str, ...], capability: Optional[str], since: float,
                mode: Optional[str]) -> list[dict]:
        where, args = ["ts >= ?"], [since]
        if capability:
            where.append("capability = ?")
            args.append(capability)
        if mode:
            where.append("mode = ?")
            args.append(mode)
        rows = self._read(f"SELECT {','.join(cols)} FROM {table} WHERE {' AND '.join(where)} ORDER BY id", args)
        return [dict(zip(cols, tuple(r))) for r in rows]

    def capabilities(self) -> list[str]:
        rows = self._read("SELECT capability FROM calls UNION SELECT capability FROM comparisons "
                          "UNION SELECT capability FROM modes")
        return sorted(r[0] for r in rows)

    # ------------------------------------------------------------------ live modes

    def modes(self) -> dict[str, ModeOverride]:
        """Every live mode override; {} when the store does not exist yet (reading never creates it)."""
        rows = self._read("SELECT capability, mode, set_at, reason FROM modes")
        return {r[0]: ModeOverride(r[0], r[1], r[2], r[3]) for r in rows}

    def set_mode(self, capability: str, mode: Optional[str], *, from_mode: Optional[str] = None,
                 verdict: Optional[str] = None, reason: Optional[str] = None) -> None:
        """Store ``mode`` as the live override of ``capability`` (``None`` clears it: env settings apply)."""
        now = self.clock()

        def run(conn: sqlite3.Connection) -> None:
            if mode is None:
                conn.execute("DELETE FROM modes WHERE capability = ?", (capability,))
            else:
                conn.execute("INSERT INTO modes (capability, mode, set_at, reason) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(capability) DO UPDATE SET mode = excluded.mode, set_at = excluded.set_at, "
                             "reason = excluded.reason", (capability, mode, now, reason))
            conn.execute("INSERT INTO mode_history (ts, capability, from_mode, to_mode, verdict, reason) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (now, capability, from_mode, mode or "default", verdict, reason))

        self._write(run)

    def mode_history(self, capability: Optional[str] = None) -> list[dict]:
        cols = ("ts", "capability", "from_mode", "to_mode", "verdict", "reason")
        sql = f"SELECT {','.join(cols)} FROM mode_history" + (" WHERE capability = ?" if capability else "") + " ORDER BY id"
        return [dict(zip(cols, tuple(r))) for r in self._read(sql, (capability,) if capability else ())]


def _after_fork_in_child(obj: Any, method: Callable[[Any], None]) -> None:
    """Run ``method(obj)`` in a forked child (gunicorn/celery prefork) while ``obj`` is alive; no reference kept."""
    ref = weakref.ref(obj)

    def hook() -> None:
        alive = ref()
        if alive is not None:
            method(alive)

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=hook)


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
    """Observer plugin: buffers call and shadow records and writes them to an ``EvidenceStore`` in batches.

    The caller's thread only appends to a deque (no lock, no thread wake-up);
    a daemon thread drains it every ``interval_s``. ``flush()`` drains in the
    calling thread, after any batch being written, so tests and the CLI see
    every record.
    """

    def __init__(self, store: EvidenceStore, *, max_queue: int = 10_000, interval_s: float = 0.5,
                 clock: Callable[[], float] = time.time, emf_stream: Any = None,
                 after_write: Optional[Callable[[], Any]] = None):
        self.store = store
        self.emf_stream = emf_stream
        self.after_write = after_write  # e.g. gate.AutoDemotion.check, run on the writer thread
        self.max_queue = max_queue
        self.interval_s = interval_s
        self.clock = clock
        self.dropped = 0
        self.write_failures = 0
        self._buffer: "deque[tuple[str, dict]]" = deque()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()
        self._closed = False
        _after_fork_in_child(self, EvidenceRecorder._reset_after_fork)

    def _reset_after_fork(self) -> None:
        """A forked worker has no writer thread and must not write the parent's buffered records twice."""
        self._buffer = deque()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread = None

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
            if items:
                self._write(items)

    def _write(self, items: list[tuple[str, dict]]) -> None:
        try:
            self.store.add(calls=[row for kind, row in items if kind == "call"],
                           comparisons=[row for kind, row in items if kind == "comparison"])
        except Exception as exc:  # a full disk must not stop the service; the loss is counted and logged
            self.write_failures += len(items)
            log.warning("evidence write failed (%s); %d records lost", type(exc).__name__, len(items))
        if self.emf_stream is not None:
            try:
                write_emf(self.emf_stream, emf_documents(emf_rows([r for k, r in items if k == "comparison"]),
                                                         DEFAULT_NAMESPACE, int(self.clock() * 1000)))
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

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._drain()
        self.store.close()
