"""The embedded state store: one SQLite file per host, shared by that host's worker processes.

Why SQLite (stdlib ``sqlite3``) in WAL mode: every gunicorn/celery worker
writes its own evidence, and ``promote`` / ``report`` / ``status`` read it from
another process; WAL lets readers run beside one writer, and a file under
``ADEPTAI_SAGEMAKER_STATE_DIR`` needs no server. One host only: a fleet shares
a DynamoDB table instead (``dynamodb.py``).

Evidence is kept as rows (calls, comparisons, each with its host) and folded
into ``pooling.Aggregate`` when the gate asks, so both stores feed it the
same way. Bounded: at most ``max_rows`` rows per table and nothing older than
``retention_s``; pruning runs after write batches.

Versioned modes: ``set_mode`` checks ``expected_version`` inside one
``BEGIN IMMEDIATE`` transaction, so two processes' promotes cannot both win.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from adeptai_sagemaker.core.routing import after_fork_in_child
from adeptai_sagemaker.rollout.state.base import (KILL, EvidenceBatch, ModeRecord, Snapshot, StaleWriteError,
                                                  StateStore, actor)
from adeptai_sagemaker.rollout.state.pooling import Aggregate

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger("adeptai_sagemaker.rollout.state")

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
#: columns added after the first release: (table, column, type); added in place to an older file
_ADDED = (("calls", "host", "TEXT"), ("comparisons", "host", "TEXT"), ("modes", "version", "INTEGER DEFAULT 1"),
          ("modes", "by_whom", "TEXT"), ("mode_history", "by_whom", "TEXT"))
CALL_COLS = ("ts", "capability", "mode", "route", "backend", "outcome", "latency_ms", "fallback_reason",
             "error_code", "input_tokens", "output_tokens", "cache_hit", "endpoint")
CMP_COLS = ("ts", "capability", "mode", "sagemaker_ok", "latency_ms", "score", "agree", "reason", "fields",
            "not_comparable")
HISTORY_COLS = ("ts", "capability", "from_mode", "to_mode", "verdict", "reason", "by_whom")


class SqliteStateStore(StateStore):
    """The SQLite file under the state directory; safe to share between threads and processes."""

    def __init__(self, directory: os.PathLike | str, *, max_rows: int = 200_000, retention_s: float = 30 * 86400,
                 clock: Callable[[], float] = time.time):
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.url = f"sqlite:///{self.directory}"
        self.max_rows = max_rows
        self.retention_s = retention_s
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self._pruned_at: Optional[float] = None
        self._since_prune = 0
        after_fork_in_child(self, SqliteStateStore.after_fork)

    def after_fork(self) -> None:
        """Never use the parent's SQLite connection in a forked worker (SQLite forbids it); open a new one."""
        self._lock = threading.Lock()
        self._conn = None

    def describe(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------------ connection

    def exists(self) -> bool:
        return self.path.exists()

    def init(self) -> dict[str, Any]:
        existed = self.exists()
        with self._lock:
            self._connect()
        return {"store": self.url, "created": not existed, "path": str(self.path)}

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            # sqlite3 is imported by the first connection, not with the module: every framework builds its
            # store, and reads of a file that does not exist yet return nothing without opening it
            import sqlite3

            self.directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=False)
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            # one process at a time creates or upgrades the schema: two first commands on a fresh directory
            # (two operators' promotes) would otherwise both see a column missing and both add it
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                for table, column, kind in _ADDED:
                    if column not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                conn.close()
                raise
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

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        if not self.exists():
            return []
        with self._lock:
            return self._connect().execute(sql, tuple(args)).fetchall()

    # ------------------------------------------------------------------ evidence

    def add(self, calls: Iterable[dict] = (), comparisons: Iterable[dict] = (), *, host: Optional[str] = None) -> None:
        """Insert call and comparison rows (dicts keyed by column), then prune."""
        call_rows = [tuple(c.get(k) for k in CALL_COLS) + (host,) for c in calls]
        cmp_rows = [tuple(c.get(k) for k in CMP_COLS) + (host,) for c in comparisons]
        if not call_rows and not cmp_rows:
            return

        def run(conn: sqlite3.Connection) -> None:
            for table, cols, rows in (("calls", CALL_COLS, call_rows), ("comparisons", CMP_COLS, cmp_rows)):
                if rows:
                    conn.executemany(f"INSERT INTO {table} ({','.join(cols)},host) "
                                     f"VALUES ({','.join('?' * (len(cols) + 1))})", rows)
            self._since_prune += len(call_rows) + len(cmp_rows)
            now = self.clock()
            # prune once a minute, or sooner when a tenth of the cap was written since (it scans the tables)
            if self._pruned_at is None or now - self._pruned_at >= 60 or self._since_prune >= self.max_rows // 10:
                self._prune(conn)
                self._pruned_at, self._since_prune = now, 0

        self._write(run)

    def add_evidence(self, batch: EvidenceBatch) -> None:
        """The batch's rows, in one transaction (it commits whole or not at all: never counted twice)."""
        self.add(batch.calls, batch.comparisons, host=batch.host)

    def _prune(self, conn: sqlite3.Connection) -> None:
        cutoff = self.clock() - self.retention_s
        for table in ("calls", "comparisons", "mode_history"):
            conn.execute(f"DELETE FROM {table} WHERE ts < ?", (cutoff,))
            conn.execute(f"DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - ?", (self.max_rows,))

    def calls(self, capability: Optional[str] = None, *, since: float = 0.0, mode: Optional[str] = None) -> list[dict]:
        return self._select("calls", CALL_COLS, capability, since, mode)

    def comparisons(self, capability: Optional[str] = None, *, since: float = 0.0,
                    mode: Optional[str] = None) -> list[dict]:
        rows = self._select("comparisons", CMP_COLS, capability, since, mode)
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
        rows = self._read(f"SELECT {','.join(cols)},host FROM {table} WHERE {' AND '.join(where)} ORDER BY id", args)
        return [dict(zip(cols + ("host",), r)) for r in rows]

    def evidence(self, capability: str, mode: str, since: float = 0.0) -> dict[str, Aggregate]:
        hosts: dict[str, Aggregate] = {}
        for row in self.calls(capability, since=since, mode=mode):
            hosts.setdefault(row["host"] or "local", Aggregate()).add_call(row)
        for row in self.comparisons(capability, since=since, mode=mode):
            hosts.setdefault(row["host"] or "local", Aggregate()).add_comparison(row)
        return hosts

    def recent(self, since: float) -> dict[str, Aggregate]:
        out: dict[str, Aggregate] = {}
        for row in self.calls(since=since):
            out.setdefault(row["capability"], Aggregate()).add_call(row)
        return out

    def capabilities(self) -> list[str]:
        rows = self._read("SELECT capability FROM calls UNION SELECT capability FROM comparisons "
                          "UNION SELECT capability FROM modes")
        return sorted(r[0] for r in rows if r[0] != KILL)

    # ------------------------------------------------------------------ live modes

    def snapshot(self) -> Snapshot:
        """Every live mode and the kill switch; empty when the store does not exist yet (reading never creates it)."""
        rows = self._read("SELECT capability, mode, version, set_at, reason, by_whom FROM modes")
        records = {r[0]: ModeRecord(r[0], r[1], r[2] or 1, r[3], r[4], r[5]) for r in rows}
        kill = records.pop(KILL, None)
        return Snapshot(records, kill)

    def set_mode(self, capability: str, mode: Optional[str], *, expected_version: Optional[int] = None,
                 from_mode: Optional[str] = None, verdict: Optional[str] = None, reason: Optional[str] = None) -> int:
        now, who = self.clock(), actor()

        def run(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT version FROM modes WHERE capability = ?", (capability,)).fetchone()
            current = (row[0] or 1) if row else 0
            if expected_version is not None and current != expected_version:
                raise StaleWriteError(f"{capability} changed since it was read (version {expected_version}, now "
                                      f"{current}): someone else changed it; look at `state show` and run again")
            version = current + 1
            if mode is None:
                conn.execute("DELETE FROM modes WHERE capability = ?", (capability,))
            else:
                conn.execute("INSERT INTO modes (capability, mode, set_at, reason, version, by_whom) "
                             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(capability) DO UPDATE SET mode = excluded.mode, "
                             "set_at = excluded.set_at, reason = excluded.reason, version = excluded.version, "
                             "by_whom = excluded.by_whom", (capability, mode, now, reason, version, who))
            conn.execute(f"INSERT INTO mode_history ({','.join(HISTORY_COLS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (now, capability, from_mode, mode or "default", verdict, reason, who))
            return version

        return self._write(run)

    def mode_history(self, capability: Optional[str] = None) -> list[dict]:
        sql = (f"SELECT {','.join(HISTORY_COLS)} FROM mode_history" + (" WHERE capability = ?" if capability else "")
               + " ORDER BY id")
        rows = [dict(zip(HISTORY_COLS, r)) for r in self._read(sql, (capability,) if capability else ())]
        for row in rows:
            row["by"] = row.pop("by_whom")
        return rows



def _switch_to_wal(conn: sqlite3.Connection, attempts: int = 200, pause_s: float = 0.05) -> None:
    """``PRAGMA journal_mode=WAL``, waiting while another process holds the lock.

    Switching the journal mode needs the database to itself for a moment, and SQLite answers
    "database is locked" at once instead of waiting on the busy timeout when processes open a
    fresh store together (two operators' first commands, a fleet's first flush).
    """
    import sqlite3

    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(pause_s)
