"""Load: many concurrent calls over real HTTP with injected faults, and nothing lost or leaked.

The quick version (~300 calls) runs in CI; the soak (5,000 calls, concurrency 32) runs on demand
with ``pytest -m soak``. Both prove: every call is accounted for (success, fallback or typed error,
and the observer saw each one), no thread or socket/fd leak (psutil before/after), memory flat
within a stated margin, and a diskcache shared by 4 worker processes stays consistent.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import threading
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")
psutil = pytest.importorskip("psutil", reason="leak checks need psutil (dev extra)")

from adeptai_sagemaker.core.errors import AdeptSageMakerError  # noqa: E402
from adeptai_sagemaker.core.framework import Framework  # noqa: E402
from adeptai_sagemaker.plugin.tasks import CAPABILITIES  # noqa: E402

from support.reliability import (  # noqa: E402
    Counter,
    KeyedCannedModel,
    cache_worker,
    legacy_for,
    request_for,
    server_requests,
    settings_for,
)

CONCURRENCY = 32
FAULT_RATE = 0.05
#: memory margins: what may remain after a run beyond the warmed-up baseline
TRACEMALLOC_MARGIN_BYTES = 4 * 2**20
RSS_MARGIN_BYTES = 40 * 2**20


LOCAL_ENDPOINT = {"default_dialect": "tgi", "backend": KeyedCannedModel}  # the ``endpoint`` fixture (tests/conftest.py)
pytestmark = [pytest.mark.usefixtures("aws_env"), pytest.mark.slow]


def inject_faults(ep, names, rate=FAULT_RATE, seed=7):
    """About ``rate`` of requests fail, spread over four kinds (retryable and not)."""
    kinds = [{"kind": "throttle"}, {"kind": "service_unavailable"}, {"kind": "model_error", "original_status": 400},
             {"kind": "malformed_json"}]
    for n, name in enumerate(names):
        ep.set_faults(name, faults=[{**k, "probability": rate / len(kinds), "seed": seed + 10 * n + i}
                                    for i, k in enumerate(kinds)])


def build(ep, tmp_path, fallback_share=0.8):
    prefix = f"load-{uuid.uuid4().hex[:8]}"
    settings = settings_for(endpoint_url=ep.url, endpoint_of=lambda c: f"{prefix}-{c}", cache_dir=tmp_path / "cache",
                            cap_options={"max_attempts": 2, "max_reasks": 1, "read_timeout": 10.0},
                            adeptai_sagemaker_max_pool_connections=CONCURRENCY,
                            adeptai_sagemaker_breaker_failures=50, adeptai_sagemaker_breaker_cooldown_s=0.5)
    counter = Counter()
    fw = Framework(settings, plugins=[counter], load_entrypoints=False, cache=True)
    names = [f"{prefix}-{c}" for c in CAPABILITIES]
    return fw, counter, names


def run_calls(fw, n, start=0, fallback_every=5):
    """``n`` calls over all capabilities from CONCURRENCY threads; 1 in ``fallback_every`` has no legacy
    (so a failure there must surface as a typed error). Returns the caller-side tally."""
    tally = {"success": 0, "fallback": 0, "typed_error": 0, "unexpected": []}
    lock = threading.Lock()

    def one(i):
        capability = CAPABILITIES[i % len(CAPABILITIES)]
        request = request_for(capability, f"Python engineer {i % 40}, {i % 7 + 1} years of AWS, SQL and Go")
        legacy = None if i % fallback_every == 0 else legacy_for(capability)
        try:
            out = fw.call(capability, request, legacy=legacy)
            kind = "fallback" if out.from_legacy else "success"
        except AdeptSageMakerError:
            kind = "typed_error"
        except BaseException as exc:  # anything else is a lost request
            with lock:
                tally["unexpected"].append(type(exc).__name__)
            return
        with lock:
            tally[kind] += 1

    with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="load") as pool:
        list(pool.map(one, range(start, start + n)))
    return tally


def client_sockets(port):
    proc = psutil.Process()
    return [c for c in proc.net_connections(kind="tcp") if c.raddr and c.raddr.port == port]


def _fd_kinds(cache_dir):
    """Open fds by kind: sockets, this run's response-cache SQLite files, other files of this run's cache."""
    kinds = {"sockets": 0, "cache": 0, "other": 0}
    for path in [f.path for f in psutil.Process().open_files()]:
        if path.startswith(str(cache_dir)):
            kinds["cache" if path.endswith("cache.db") else "other"] += 1  # other: -wal/-shm, value files
    kinds["sockets"] = len(psutil.Process().net_connections(kind="all"))
    return kinds


def resources(cache_dir):
    proc = psutil.Process()
    return {"threads": threading.active_count(), "os_threads": proc.num_threads(), "fds": proc.num_fds(),
            **_fd_kinds(cache_dir)}


def check_accounting(tally, counter, n):
    assert not tally["unexpected"], f"calls lost to untyped exceptions: {tally['unexpected'][:5]}"
    assert tally["success"] + tally["fallback"] + tally["typed_error"] == n
    assert sum(counter.outcomes.values()) == n, "every call must reach the observers exactly once"
    # Framework outcomes: a legacy answer after a failure is a fallback; a raise is an error.
    assert counter.outcomes["error"] == tally["typed_error"]
    assert counter.outcomes["success"] + counter.outcomes["fallback"] == tally["success"] + tally["fallback"]


def load_run(endpoint, tmp_path, total, warmup):
    fw, counter, names = build(endpoint, tmp_path)
    inject_faults(endpoint, names)
    try:
        run_calls(fw, warmup)  # pools, clients, caches and lazy imports fill up here
        gc.collect()
        before = resources(fw.cache.directory)
        sockets_before = len(client_sockets(endpoint.port))
        tracemalloc.start()
        base_mem = tracemalloc.get_traced_memory()[0]
        rss_before = psutil.Process().memory_info().rss
        started = time.perf_counter()
        counter.outcomes.clear()
        tally = run_calls(fw, total, start=warmup)
        elapsed = time.perf_counter() - started
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base_mem
        tracemalloc.stop()
        rss_grown = psutil.Process().memory_info().rss - rss_before
        after = resources(fw.cache.directory)
        sockets_after = len(client_sockets(endpoint.port))
        requests = sum(server_requests(endpoint, n) for n in names)
    finally:
        endpoint.clear_faults()
        fw.close()
    check_accounting(tally, counter, total)
    assert counter.reasons, "5% injected faults should have produced some fallbacks"
    assert after["threads"] <= before["threads"], (before, after)
    assert after["os_threads"] <= before["os_threads"] + 2, (before, after)
    # The server runs in this process, so each pooled keep-alive connection holds two fds (client and
    # server end). Fd growth must be explained by the pool filling up to its bound, nothing else.
    assert sockets_after <= CONCURRENCY, f"{sockets_after} client sockets open (pool is {CONCURRENCY})"
    pool_growth = max(0, sockets_after - sockets_before)
    assert after["sockets"] <= before["sockets"] + 2 * pool_growth + 2, (before, after)
    # diskcache keeps one SQLite connection per thread that touched it (closed when the thread ends):
    # bounded by the worker count, not by the number of calls.
    assert after["cache"] <= CONCURRENCY + 1, (before, after)
    assert after["other"] <= after["cache"] + 2, (before, after)
    assert after["fds"] <= before["fds"] + 2 * pool_growth + (after["cache"] - before["cache"]) + 4, (before, after)
    return {"tally": tally, "elapsed_s": elapsed, "python_heap_growth": grown, "rss_growth": rss_grown,
            "server_requests": requests, "reasons": dict(counter.reasons)}


def test_quick_load_300_calls_nothing_lost_nothing_leaked(endpoint, tmp_path):
    result = load_run(endpoint, tmp_path, total=300, warmup=64)
    assert result["python_heap_growth"] < TRACEMALLOC_MARGIN_BYTES, result
    assert result["tally"]["success"] > 200, result


@pytest.mark.soak
def test_soak_5000_calls_concurrency_32(endpoint, tmp_path):
    result = load_run(endpoint, tmp_path, total=5000, warmup=256)
    assert result["python_heap_growth"] < TRACEMALLOC_MARGIN_BYTES, result
    assert result["rss_growth"] < RSS_MARGIN_BYTES, result
    assert result["tally"]["success"] > 4000, result
    print(f"\nsoak: {result}")


# ------------------------------------------------------------------ one cache, four worker processes


def test_cache_is_consistent_across_four_worker_processes(endpoint, tmp_path):
    n_inputs = 15
    prefix = f"mp-{uuid.uuid4().hex[:8]}"
    ctx = mp.get_context("spawn")  # no fork: the endpoint's server thread lives in this process
    args = [(endpoint.url, str(tmp_path / "shared-cache"), prefix, n_inputs, seed) for seed in range(4)]
    with ctx.Pool(4) as pool:
        results = pool.map(cache_worker, args, chunksize=1)
    by_input: dict[int, set] = {}
    for res in results:
        for i, pair in res["answers"].items():
            by_input.setdefault(i, set()).add(pair)
    assert all(len(pairs) == 1 for pairs in by_input.values()), "processes disagree about a cached answer"
    tags = [next(iter(p)) for p in by_input.values()]
    assert len({t[0] for t in tags}) == n_inputs and len({t[1] for t in tags}) == n_inputs, "answers mixed up"
    assert all(set(r["outcomes"]) == {"success"} for r in results)
    jp = server_requests(endpoint, f"{prefix}-job_parser")
    qe = server_requests(endpoint, f"{prefix}-query_enhancer")
    # each input reaches the endpoint at least once and at most once per process (racing first misses)
    assert n_inputs <= jp <= 4 * n_inputs and n_inputs <= qe <= 4 * n_inputs, (jp, qe)
    from adeptai_sagemaker.core.cache import ResponseCache

    cache = ResponseCache(tmp_path / "shared-cache")
    assert cache.stats()["entries"] == 2 * n_inputs
    cache.close()
