"""Response cache: hashed keys, TTL, private directory, purge, encryption, multi-process safety."""

import multiprocessing as mp
import os
import stat
import time

import pytest

from adeptai_sagemaker.core.cache import ResponseCache, make_key


def test_keys_are_hashes_and_depend_on_every_part():
    a = make_key(endpoint="e", prompt="Jane Doe resume", template="t@1")
    assert len(a) == 64 and "Jane" not in a
    assert a != make_key(endpoint="e", prompt="Jane Doe resume", template="t@2")
    assert a == make_key(template="t@1", prompt="Jane Doe resume", endpoint="e")


def test_roundtrip_ttl_and_private_directory(tmp_path):
    cache = ResponseCache(tmp_path / "c")
    mode = stat.S_IMODE(os.stat(tmp_path / "c").st_mode)
    assert mode == 0o700
    cache.put("k", {"a": 1}, ttl=60, capability="job_parser")
    assert cache.get("k") == {"a": 1}
    cache.put("short", {"a": 2}, ttl=1, capability="job_parser")
    cache.put("zero", {"a": 3}, ttl=0, capability="job_parser")
    assert cache.get("zero") is None
    time.sleep(1.1)
    assert cache.get("short") is None
    assert cache.get("k") == {"a": 1}


def test_values_not_readable_on_disk_when_encrypted(tmp_path):
    from cryptography.fernet import Fernet

    cache = ResponseCache(tmp_path / "c", encryption_key=Fernet.generate_key().decode())
    cache.put("k", {"summary": "SECRET-CANDIDATE-TEXT"}, ttl=60, capability="resume_summarizer")
    assert cache.get("k") == {"summary": "SECRET-CANDIDATE-TEXT"}
    cache.close()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "c").rglob("*") if p.is_file())
    assert b"SECRET-CANDIDATE-TEXT" not in raw


def test_purge_by_age_and_capability(tmp_path, monkeypatch):
    cache = ResponseCache(tmp_path / "c")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 7200)
    cache.put("old-a", {"v": 1}, ttl=86400, capability="job_parser")
    cache.put("old-b", {"v": 2}, ttl=86400, capability="query_enhancer")
    monkeypatch.setattr(time, "time", lambda: now)
    cache.put("new-a", {"v": 3}, ttl=86400, capability="job_parser")
    assert cache.purge(older_than_s=3600, capabilities=["job_parser"]) == 1
    assert cache.get("old-a") is None and cache.get("old-b") == {"v": 2} and cache.get("new-a") == {"v": 3}
    assert cache.purge(older_than_s=3600) == 1
    assert cache.get("old-b") is None and cache.get("new-a") == {"v": 3}


def _worker(directory, worker_id, n, queue):
    cache = ResponseCache(directory)
    seen = 0
    for i in range(n):
        cache.put(f"k{i}", {"i": i}, ttl=600, capability="job_parser")
        got = cache.get(f"k{(i * 7) % n}")
        if got is not None:
            assert got == {"i": (i * 7) % n}
            seen += 1
    queue.put((worker_id, seen))


def test_safe_across_worker_processes(tmp_path):
    directory = tmp_path / "shared"
    ResponseCache(directory).close()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(directory, w, 150, queue)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    results = [queue.get(timeout=5) for _ in procs]
    assert len(results) == 4
    final = ResponseCache(directory)
    assert all(final.get(f"k{i}") == {"i": i} for i in range(150))
