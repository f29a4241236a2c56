"""Response cache: hashed keys, TTL, private directory, purge, encryption, multi-process safety."""

import multiprocessing as mp
import os
import stat
import subprocess
import sys
import time

import pytest

from adeptai_sagemaker.core import cache as cache_module
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


# ----------------------------------------------------------------------------- write-behind


def test_put_queues_for_the_writer_and_a_read_sees_it_before_the_disk_does(tmp_path):
    cache = ResponseCache(tmp_path / "c")
    other = ResponseCache(tmp_path / "c")  # another process's view: only what is on disk
    with cache._write_lock:  # the writer is busy: nothing queued can reach the disk
        cache.put("k", {"a": 1}, ttl=60, capability="job_parser")
        assert cache.get("k") == {"a": 1}  # served from the queue
        assert other.get("k") is None
    cache.flush()
    assert other.get("k") == {"a": 1}
    writer = cache._thread
    assert writer is not None and writer.name == "adeptai-cache" and writer.is_alive()
    cache.close()
    other.close()
    assert not writer.is_alive()  # close() ended the writer it started


def test_a_cache_that_falls_behind_drops_new_entries_and_counts_them(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_PENDING", 3)
    cache = ResponseCache(tmp_path / "c")
    with cache._write_lock:  # a stalled disk: the writer cannot take the queue
        for i in range(5):
            cache.put(f"k{i}", {"i": i}, ttl=60, capability="job_parser")
        cache.put("k0", {"i": 10}, ttl=60, capability="job_parser")  # a queued key may still be replaced
    stats = cache.stats()
    assert stats["writes_dropped"] == 2 and stats["entries"] == 3
    assert cache.get("k0") == {"i": 10} and cache.get("k4") is None
    cache.close()


def test_a_failing_write_loses_the_batch_not_the_caller(tmp_path, monkeypatch, caplog):
    cache = ResponseCache(tmp_path / "c")
    cache.get("warm")  # opens the store

    def broken_set(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache._cache, "set", broken_set)
    cache.put("k", {"a": "SECRET-CANDIDATE-TEXT"}, ttl=60, capability="job_parser")
    cache.flush()
    assert cache.get("k") is None
    assert "response cache write failed (OSError); 1 entries not stored" in caplog.text
    assert "SECRET" not in caplog.text
    monkeypatch.undo()
    cache.put("k", {"a": 2}, ttl=60, capability="job_parser")  # the writer still works afterwards
    cache.flush()
    assert ResponseCache(tmp_path / "c").get("k") == {"a": 2}
    cache.close()


def test_queued_entries_reach_the_disk_when_the_process_exits_without_close(tmp_path):
    code = ("import sys; from adeptai_sagemaker.core.cache import ResponseCache; "
            "c = ResponseCache(sys.argv[1]); c.put('k', {'a': 1}, ttl=60, capability='job_parser')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "c")], check=True)
    assert ResponseCache(tmp_path / "c").get("k") == {"a": 1}


def test_closed_cache_ignores_puts(tmp_path):
    cache = ResponseCache(tmp_path / "c")
    cache.close()
    cache.put("k", {"a": 1}, ttl=60, capability="job_parser")
    assert ResponseCache(tmp_path / "c").get("k") is None
