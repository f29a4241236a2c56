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
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Optional


from adeptai_sagemaker.core.errors import ConfigurationError


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


class ResponseCache:
    """Validated outputs (as JSON bytes) under hashed keys, with TTL and a size limit."""

    def __init__(self, directory: Path, size_limit_bytes: int = 512 * 2**20, encryption_key: Optional[str] = None):
        self.directory = _private_dir(Path(directory))
        self._size_limit = size_limit_bytes
        self._store: Any = None
        self._open_lock = threading.Lock()
        self._crypto = _Fernet(encryption_key) if encryption_key else None

    @property
    def _cache(self) -> Any:
        """The diskcache store, opened on first use: opening creates or checks its SQLite tables, which
        a framework whose calls all go to legacy never needs (and diskcache/sqlite3 load only then)."""
        store = self._store
        if store is None:
            with self._open_lock:
                if self._store is None:
                    import diskcache

                    self._store = diskcache.Cache(str(self.directory), size_limit=self._size_limit,
                                                  eviction_policy="least-recently-stored")
                store = self._store
        return store

    def get(self, key: str) -> Optional[dict]:
        raw = self._cache.get(key, default=None, retry=True)
        if raw is None:
            return None
        try:
            data = raw["v"]
            if self._crypto:
                data = self._crypto.open(data)
            return json.loads(data)
        except Exception:  # corrupt or undecryptable entry: drop it, act as a miss
            self._cache.delete(key, retry=True)
            return None

    def put(self, key: str, value: dict, *, ttl: int, capability: str) -> None:
        if ttl <= 0:
            return
        data = json.dumps(value, separators=(",", ":")).encode()
        if self._crypto:
            data = self._crypto.seal(data)
        self._cache.set(key, {"v": data, "t": time.time()}, expire=ttl, tag=capability, retry=True)

    def stats(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "entries": len(self._cache), "size_bytes": self._cache.volume(),
                "encrypted": self._crypto is not None}

    def clear(self) -> int:
        return self._cache.clear(retry=True)

    def purge(self, *, older_than_s: Optional[float] = None, capabilities: Optional[Iterable[str]] = None) -> int:
        """Delete entries stored more than ``older_than_s`` ago and/or of the given capabilities."""
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

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
