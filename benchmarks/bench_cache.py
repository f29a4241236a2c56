"""b. A full ``Framework.call`` served from the disk cache."""

from adeptai_sagemaker_lab.bench import workload


def bench_cache_hit(benchmark, endpoint, sizes, board):
    result = benchmark.pedantic(workload.cache_hit, args=(endpoint.url, sizes.cache_calls), rounds=1, iterations=1)
    board["cache_hit"] = result
    benchmark.extra_info.update(p50_ms=result["p50_ms"])
    print(f"\n[cache hit] p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms over {result['calls']} calls")
    assert result["hits"] == sizes.cache_calls  # every timed call really was a hit
    if workload.enforce():
        assert result["met"], result
