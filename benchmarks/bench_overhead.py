"""a. Per-call overhead, side by side in one run: raw boto3, ``Framework.call`` (cache off), LiteLLM.

One loopback endpoint process (uvicorn, TCP_NODELAY) whose model answers every prompt at once with
the same valid answer, so the rows differ only by client-side work. pytest-benchmark times each
client in its own row (group ``per-call``); ``bench_framework_overhead`` then interleaves the clients
call by call, so noise on a shared machine hits them alike, and reports the added time and the
ratio over raw boto3 from that same run. LiteLLM's ``sagemaker/`` provider is a row when LiteLLM is
installed (extra ``bench``); otherwise the row is skipped with the reason.
"""

import itertools

import pytest

from adeptai_sagemaker_lab.bench import workload

GROUP = "per-call (loopback, cache off)"


@pytest.fixture(scope="module")
def canned_endpoint():
    from adeptai_sagemaker_lab.bench.endpoint_proc import EndpointProcess

    with EndpointProcess(backend="adeptai_sagemaker_lab.bench.workload:CannedAnswerModel") as ep:
        yield ep


@pytest.fixture(scope="module")
def clients(canned_endpoint, sizes):
    endpoint = "bench-per-call"
    fw = workload.make_framework(canned_endpoint.url, {"query_enhancer": endpoint})  # no cache dir: cache off
    client = workload.raw_client(canned_endpoint.url)
    bodies = [workload.encoded_body(fw, "query_enhancer", workload.query_request(i))
              for i in range(sizes.overhead_calls + 20)]
    yield {"fw": fw, "client": client, "bodies": bodies, "endpoint": endpoint,
           "litellm": workload.litellm_caller(canned_endpoint.url, endpoint)}
    fw.close()


def _timed(benchmark, fn, rounds: int) -> None:
    """Each round calls ``fn`` with a new input index (no two rounds send the same request)."""
    counter = itertools.count()
    benchmark.group = GROUP
    benchmark.pedantic(fn, setup=lambda: ((next(counter) % rounds,), {}), rounds=rounds, warmup_rounds=5)


def bench_raw_boto3(benchmark, clients, sizes, board):
    c = clients

    def raw(i):
        c["client"].invoke_endpoint(EndpointName=c["endpoint"], Body=c["bodies"][i], ContentType="application/json",
                                    Accept="application/json")["Body"].read()

    _timed(benchmark, raw, sizes.overhead_calls)
    board.setdefault("per_call_ms", {})["raw_boto3"] = benchmark.stats.stats.median * 1000


def bench_framework_call(benchmark, clients, sizes, board):
    fw = clients["fw"]
    _timed(benchmark, lambda i: fw.call("query_enhancer", workload.query_request(i)), sizes.overhead_calls)
    board.setdefault("per_call_ms", {})["framework"] = benchmark.stats.stats.median * 1000
    totals = fw.metrics.snapshot()["totals"]
    assert totals["cache_hits"] == 0 and totals["fallbacks"] == 0 and totals["errors"] == 0


def bench_litellm_peer(benchmark, clients, sizes, board):
    once = clients["litellm"]
    if once is None:
        pytest.skip("litellm is not installed (pip install 'adeptai-sagemaker[bench]' adds this row)")
    _timed(benchmark, once, sizes.overhead_calls)
    board.setdefault("per_call_ms", {})["litellm"] = benchmark.stats.stats.median * 1000


def bench_framework_overhead(benchmark, canned_endpoint, sizes, board):
    result = benchmark.pedantic(workload.framework_overhead, args=(canned_endpoint, sizes.overhead_calls),
                                rounds=1, iterations=1)
    result["phases_us"] = workload.framework_phases(canned_endpoint.url, min(200, sizes.overhead_calls))
    result["framework_cpu"] = workload.framework_cpu(max(200, sizes.overhead_calls))
    board["overhead"] = result
    board["litellm"] = result["litellm"]
    benchmark.extra_info.update(added_ms=result["added_ms_median"], ratio=result["ratio"])
    lite = result["litellm"]
    print(f"\n[overhead] raw boto3 p50 {result['raw_boto3']['p50_ms']:.3f} ms, Framework.call p50 "
          f"{result['framework']['p50_ms']:.3f} ms: added {result['added_ms_median']:.3f} ms "
          f"(paired {result['added_ms_paired_median']:.3f} ms), ratio {result['ratio']:.3f}; "
          + (f"LiteLLM p50 {lite['p50_ms']:.3f} ms: added {lite['added_ms_median']:.3f} ms, ratio {lite['ratio']:.3f}"
             if "skipped" not in lite else f"LiteLLM skipped: {lite['skipped']}")
          + f"\n[overhead] Framework.call's own work, no transport: median {result['framework_cpu']['median_us']:.0f} us"
          + f"\n[overhead] phases (us): {result['phases_us']}")
    assert result["raw_boto3"]["n"] == result["framework"]["n"] == sizes.overhead_calls
    assert result["framework_cache_hits"] == 0 and result["framework_outcomes"]["successes"] >= sizes.overhead_calls
    if workload.enforce():
        assert result["met"], result
