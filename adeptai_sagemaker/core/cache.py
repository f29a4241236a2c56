"""Response cache on diskcache: shared by worker processes, private to the user.

Why these choices:
- diskcache is SQLite-backed and safe across processes, so gunicorn workers
  share one cache without a server.
- Keys are SHA-256 hashes of everything that determines the answer (endpoint,
  inference component, codec, template version/hash, rendered prompt,
  generation parameters, schema version), so no text is readable in the
  key and a template change never serves a stale answer.
- Only validated outputs are stored: errors, fallbacks and partial streams
  never are (the pipeline calls ``put`` after validation only).
- The directory is created ``0700``; values can be encrypted at rest with a
  Fernet key (``ADEPTAI_SAGEMAKER_CACHE_KEY``, needs the ``crypto`` extra).
- Every entry is tagged with its capability so retention can purge per
  capability and by age.
- Writes leave the call path: ``put`` hands the entry to one writer thread
  that stores what queued within ``WRITE_DELAY_S`` in one SQLite transaction. Under a
  monolith's thread pool, every caller writing its own row would queue on
  SQLite's write lock (whose busy handler sleeps for milliseconds); one
  writer turns that into one commit per batch. Entries not yet written are
  served from memory, so a repeated request right after the first is a hit
  in this process; ``flush()`` (also run by ``stats``, ``clear``, ``purge``,
  ``close`` and at interpreter exit) makes them visible to other processes.
  A cache that falls more than ``MAX_PENDING`` entries behind drops new
  entries and counts them (``stats()["writes_dropped"]``): a slow disk may
  cost hits, never a call's latency or unbounded memory.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Optional

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.routing import after_fork_in_child

log = logging.getLogger(__name__)

WRITE_DELAY_S = 0.05  # how long the writer lets entries gather before a transaction
MAX_PENDING = 4096  # entries waiting for the writer; beyond this new entries are dropped (and counted)


def make_key(**parts: Any) -> str:
    """SHA-256 over a canonical JSON of the parts."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8", errors="replace")).hexdigest()


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


class _Fernet:
    def __init__(self, key: str):
        try:
            from cryptography.fernet import Fernet
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ConfigurationError(
                "ADEPTAI_SAGEMAKER_CACHE_KEY is set but 'cryptography' is not installed: pip install 'adeptai-sagemaker[crypto]'"
            ) from exc
        try:
            self._f = Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "ADEPTAI_SAGEMAKER_CACHE_KEY must be a Fernet key (urlsafe base64, 32 bytes)"
            ) from exc

    def seal(self, data: bytes) -> bytes:
        return self._f.encrypt(data)

    def open(self, data: bytes) -> bytes:
        return self._f.decrypt(data)


class _Entry(NamedTuple):
    data: bytes  # the JSON value, sealed when encryption is on
    ttl: int
    capability: str
    stored_at: float  # time.time() when the call stored it: TTL and purge-by-age count from here

    def fresh(self, now: float) -> bool:
        return now - self.stored_at < self.ttl


_OPEN_CACHES: "weakref.WeakSet[ResponseCache]" = weakref.WeakSet()  # flushed at interpreter exit


class ResponseCache:
    """Validated outputs (as JSON bytes) under hashed keys, with TTL and a size limit."""

    def __init__(self, directory: Path, size_limit_bytes: int = 512 * 2**20, encryption_key: Optional[str] = None):
        self.directory = _private_dir(Path(directory))
        self._size_limit = size_limit_bytes
        self._store: Any = None
        self._open_lock = threading.Lock()
        self._crypto = _Fernet(encryption_key) if encryption_key else None
        self.writes_dropped = 0
        self._closed = False
        self._reset_writer()
        after_fork_in_child(self, ResponseCache._reset_writer)
        _OPEN_CACHES.add(self)

    def _reset_writer(self) -> None:
        """Fresh write-behind state (at start, and in a forked worker: the parent writes its own entries)."""
        self._lock = threading.Lock()  # guards the two dicts below (held for dict operations only)
        self._pending: dict[str, _Entry] = {}  # queued for the writer
        self._writing: dict[str, _Entry] = {}  # taken by a writer, not yet committed
        self._write_lock = threading.Lock()  # one batch at a time (the writer thread or a flush)
        self._wake = threading.Event()
        self._stopping = threading.Event()  # cuts the writer's gathering wait short at stop
        self._start_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    @property
    def _cache(self) -> Any:
        """The diskcache store, opened on first use: opening creates or checks its SQLite tables, which
        a framework whose calls all go to legacy never needs (and diskcache/sqlite3 load only then).
        ``cull_limit=0``: the writer culls once per batch instead of on every row."""
        store = self._store
        if store is None:
            with self._open_lock:
                if self._store is None:
                    import diskcache

                    self._store = diskcache.Cache(str(self.directory), size_limit=self._size_limit,
                                                  eviction_policy="least-recently-stored", cull_limit=0)
                store = self._store
        return store

    def _decode(self, data: bytes) -> dict:
        return json.loads(self._crypto.open(data) if self._crypto else data)

    def get(self, key: str) -> Optional[dict]:
        with self._lock:
            entry = self._pending.get(key) or self._writing.get(key)
        if entry is not None:
            return self._decode(entry.data) if entry.fresh(time.time()) else None
        raw = self._cache.get(key, default=None, retry=True)
        if raw is None:
            return None
        try:
            return self._decode(raw["v"])
        except Exception:  # corrupt or undecryptable entry: drop it, act as a miss
            self._cache.delete(key, retry=True)
            return None

    def put(self, key: str, value: dict, *, ttl: int, capability: str) -> None:
        """Queue ``value`` for the writer thread; returns without touching the disk."""
        if ttl <= 0 or self._closed:
            return
        data = json.dumps(value, separators=(",", ":")).encode()
        if self._crypto:
            data = self._crypto.seal(data)
        with self._lock:
            if len(self._pending) >= MAX_PENDING and key not in self._pending:
                self.writes_dropped += 1
                return
            self._pending[key] = _Entry(data, ttl, capability, time.time())
        if self._thread is None:
            self._start()
        self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="adeptai-cache", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._stopping.wait(WRITE_DELAY_S)  # let a burst of calls queue up: one transaction for all of them
            self._wake.clear()
            self._drain()
        self._drain()  # what was queued before the stop

    def _drain(self) -> None:
        """Store every queued entry in one transaction, then cull once; never raises (a lost entry is a
        later miss, logged by kind only)."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._writing = batch
            if not batch:
                return
            try:
                store = self._cache
                with store.transact(retry=True):  # TTLs count from the write, milliseconds after the call
                    for key, entry in batch.items():
                        store.set(key, {"v": entry.data, "t": entry.stored_at}, expire=entry.ttl,
                                  tag=entry.capability, retry=True)
                store.cull(retry=True)
            except Exception as exc:
                log.warning("response cache write failed (%s); %d entries not stored", type(exc).__name__,
                            len(batch))
            finally:
                with self._lock:
                    self._writing = {}

    def flush(self) -> None:
        """Write every queued entry now, in this thread, after any batch being written."""
        self._drain()

    def stats(self) -> dict[str, Any]:
        self.flush()
        return {"directory": str(self.directory), "entries": len(self._cache), "size_bytes": self._cache.volume(),
                "encrypted": self._crypto is not None, "writes_dropped": self.writes_dropped}

    def clear(self) -> int:
        self.flush()
        return self._cache.clear(retry=True)

    def purge(self, *, older_than_s: Optional[float] = None, capabilities: Optional[Iterable[str]] = None) -> int:
        """Delete entries stored more than ``older_than_s`` ago and/or of the given capabilities."""
        self.flush()
        wanted = set(capabilities) if capabilities else None
        cutoff = time.time() - older_than_s if older_than_s is not None else None
        removed = 0
        for key in list(self._cache.iterkeys()):
            raw, tag = self._cache.get(key, default=None, tag=True, retry=True)
            if raw is None:
                continue
            if wanted is not None and tag not in wanted:
                continue
            if cutoff is not None and raw.get("t", 0) > cutoff:
                continue
            removed += bool(self._cache.delete(key, retry=True))
        self._cache.expire()
        return removed

    def stop(self) -> None:
        """Ask the writer to write what is queued and end, without waiting (safe from a finalizer)."""
        self._closed = True
        self._stopping.set()
        self._wake.set()

    def close(self) -> None:
        """Stop the writer, wait for it, write what is left and close the store; later ``put`` calls are ignored."""
        self.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        self._drain()
        if self._store is not None:
            self._store.close()


@atexit.register
def _flush_open_caches() -> None:
    """Queued entries reach the disk at interpreter exit (the writer is a daemon thread)."""
    for cache in list(_OPEN_CACHES):
        try:
            cache.flush()
        except Exception:  # exiting: a cache that cannot be written loses its queued entries, nothing else
            pass
