"""Append-only audit trail of capability calls: what ran where, with which model, and how it ended.

One record per ``on_call_finished``: time, capability, mode/route, backend,
endpoint and variant, template version, the model/container version the
endpoint reported, outcome, fallback reason, error code and the input's
SHA-256 (``CallRecord.input_hash``). Never the input, prompt or output: a
reviewer who holds a candidate's input can recompute its hash and find the
calls made with it, nobody can read an input back out of the trail.

Storage (chosen by the file name):

- SQLite (default, e.g. ``audit.db``): WAL journal so readers never block the
  writer, ``busy_timeout`` so several worker processes append to one file,
  one connection per trail guarded by a lock for threads. Append-only is
  enforced in the database itself: triggers abort any UPDATE or DELETE, and
  this class offers neither.
- JSON lines (``.jsonl``/``.ndjson``): one ``write`` per record on a file
  opened in append mode under an exclusive ``flock``, so lines from several
  processes never interleave.

Files are created ``0600``. Enable with ``ADEPTAI_SAGEMAKER_AUDIT_LOG=path``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import IO, Any, Iterator, Optional, Union

from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.compliance.timeparse import parse_time

log = logging.getLogger("adeptai_sagemaker.compliance")

#: The columns of a record, in order. No column can hold input text.
FIELDS: tuple[str, ...] = (
    "ts", "time", "call_id", "capability", "mode", "route", "backend", "endpoint", "variant",
    "template_version", "model_version", "outcome", "fallback_reason", "error_code", "input_hash",
    "cache_hit", "attempts", "reasks", "latency_ms", "pid",
)
_TEXT_LIMIT = 200  # names and codes only; anything longer is truncated

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL, time TEXT NOT NULL, call_id TEXT, capability TEXT NOT NULL, mode TEXT, route TEXT,
    backend TEXT, endpoint TEXT, variant TEXT, template_version TEXT, model_version TEXT,
    outcome TEXT NOT NULL, fallback_reason TEXT, error_code TEXT, input_hash TEXT,
    cache_hit INTEGER, attempts INTEGER, reasks INTEGER, latency_ms REAL, pid INTEGER
);
CREATE INDEX IF NOT EXISTS audit_log_cap_ts ON audit_log (capability, ts);
CREATE INDEX IF NOT EXISTS audit_log_hash ON audit_log (input_hash);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_TEXT_LIMIT]
    return value


def row_from_record(record: Any) -> dict[str, Any]:
    """The audit row of a ``calls.CallRecord`` (or a dict with the same names): allow-listed fields only."""
    data = dataclasses.asdict(record) if dataclasses.is_dataclass(record) else dict(record)
    ts = float(data.get("timestamp") or data.get("ts") or 0.0)
    latency = data.get("latency_s")
    row = {
        "ts": ts,
        "time": _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="milliseconds"),
        "call_id": data.get("call_id"), "capability": data.get("capability"), "mode": data.get("mode"),
        "route": data.get("route"), "backend": data.get("backend"), "endpoint": data.get("endpoint"),
        "variant": data.get("variant"), "template_version": data.get("template_version"),
        "model_version": data.get("model_version"), "outcome": data.get("outcome"),
        "fallback_reason": data.get("fallback_reason"), "error_code": data.get("error_code"),
        "input_hash": data.get("input_hash"), "cache_hit": bool(data.get("cache_hit", False)),
        "attempts": int(data.get("attempts") or 0), "reasks": int(data.get("reasks") or 0),
        "latency_ms": round(float(latency) * 1000.0, 3) if latency is not None else None, "pid": os.getpid(),
    }
    return {k: _clip(v) for k, v in row.items()}


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)


class AuditTrail:
    """Observer plugin: ``Framework(plugins=[AuditTrail(path)])``; also a query/export API."""

    def __init__(self, path: Union[str, os.PathLike], *, fmt: Optional[str] = None):
        self.path = Path(path)
        self.format = fmt or ("jsonl" if self.path.suffix.lower() in (".jsonl", ".ndjson") else "sqlite")
        if self.format not in ("sqlite", "jsonl"):
            raise ValueError(f"audit trail format {fmt!r}: use 'sqlite' or 'jsonl'")
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self.write_errors = 0
        if not self.path.exists():
            _create_private(self.path)
        if self.format == "sqlite":
            self._conn = sqlite3.connect(str(self.path), timeout=10.0, check_same_thread=False,
                                         isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            with self._lock:
                self._conn.executescript(_SCHEMA)

    # ------------------------------------------------------------------ writing
    @hookimpl
    def on_call_finished(self, record) -> None:
        try:
            self.append(record)
        except Exception as exc:  # never break the caller; say why without the record's content
            self.write_errors += 1
            log.warning("audit trail write failed (%s: %s)", type(exc).__name__, self.path)

    def append(self, record: Any) -> None:
        """Append one record (a ``CallRecord`` or a dict with its field names)."""
        row = row_from_record(record)
        if self.format == "sqlite":
            assert self._conn is not None
            cols = ", ".join(FIELDS)
            marks = ", ".join("?" for _ in FIELDS)
            with self._lock:
                self._conn.execute(f"INSERT INTO audit_log ({cols}) VALUES ({marks})", [row[f] for f in FIELDS])
        else:
            line = (json.dumps(row, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    _flock(fd)
                    os.write(fd, line)
                finally:
                    os.close(fd)  # closing releases the lock

    # ------------------------------------------------------------------ reading
    def query(self, capability: Optional[str] = None, since: Any = None, outcome: Optional[str] = None,
              input_hash: Optional[str] = None, until: Any = None, limit: Optional[int] = None) -> list[dict]:
        """Records matching every given filter, oldest first. ``since``/``until``: epoch, ISO or a duration ago."""
        return list(self._iter(capability, parse_time(since), outcome, input_hash, parse_time(until), limit))

    def _iter(self, capability, since, outcome, input_hash, until, limit) -> Iterator[dict]:
        if self.format == "sqlite":
            clauses, args = [], []
            for col, value in (("capability", capability), ("outcome", outcome), ("input_hash", input_hash)):
                if value is not None:
                    clauses.append(f"{col} = ?")
                    args.append(value)
            if since is not None:
                clauses.append("ts >= ?")
                args.append(since)
            if until is not None:
                clauses.append("ts < ?")
                args.append(until)
            sql = "SELECT seq, " + ", ".join(FIELDS) + " FROM audit_log"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            sql += " ORDER BY seq"
            if limit is not None:
                sql += " LIMIT ?"
                args.append(int(limit))
            assert self._conn is not None
            with self._lock:
                rows = self._conn.execute(sql, args).fetchall()
            for row in rows:
                item = dict(zip(("seq",) + FIELDS, row))
                item["cache_hit"] = bool(item["cache_hit"])
                yield item
            return
        count = 0
        with open(self.path, "r", encoding="utf-8") as fh:
            for seq, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                item = {"seq": seq, **json.loads(line)}
                if capability is not None and item.get("capability") != capability:
                    continue
                if outcome is not None and item.get("outcome") != outcome:
                    continue
                if input_hash is not None and item.get("input_hash") != input_hash:
                    continue
                if since is not None and item.get("ts", 0) < since:
                    continue
                if until is not None and item.get("ts", 0) >= until:
                    continue
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return

    def export(self, out: Union[str, os.PathLike, IO[str]], **filters: Any) -> int:
        """Write matching records as JSON lines to a path or text stream; returns how many."""
        rows = self.query(**filters)
        if hasattr(out, "write"):
            for row in rows:
                out.write(json.dumps(row, sort_keys=True) + "\n")  # type: ignore[union-attr]
            return len(rows)
        target = Path(out)  # type: ignore[arg-type]
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
        os.chmod(target, 0o600)
        return len(rows)

    def close(self) -> None:
        if self._conn is not None:
            with self._lock:
                self._conn.close()
            self._conn = None


def _flock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: O_APPEND alone
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def from_settings(settings) -> Optional[AuditTrail]:
    """The trail ``ADEPTAI_SAGEMAKER_AUDIT_LOG`` asks for, or None when unset."""
    path = getattr(settings, "adeptai_sagemaker_audit_log", None)
    return AuditTrail(path) if path else None
