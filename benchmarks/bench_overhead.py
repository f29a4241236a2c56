"""a. Framework overhead vs raw boto3 (same bytes, same endpoint, ~5 ms injected), plus the LiteLLM peer row."""

from adeptai_sagemaker.lab.bench import workload


def bench_framework_overhead(benchmark, endpoint, sizes, board):
    result = benchmark.pedantic(workload.framework_overhead, args=(endpoint, sizes.overhead_calls),
                                rounds=1, iterations=1)
    result["phases_us"] = workload.framework_phases(endpoint.url, min(200, sizes.overhead_calls))
    board["overhead"] = result
    benchmark.extra_info.update(added_ms=result["added_ms_median"], ratio=result["ratio"])
    print(f"\n[overhead] raw p50 {result['raw_boto3']['p50_ms']:.2f} ms, framework p50 "
          f"{result['framework']['p50_ms']:.2f} ms, added {result['added_ms_median']:.2f} ms, "
          f"ratio {result['ratio']:.3f}; phases (us): {result['phases_us']}")
    assert result["raw_boto3"]["n"] == sizes.overhead_calls
    assert result["cache_entries_written"] >= sizes.overhead_calls  # every call was a miss that stored
    if workload.enforce():
        assert result["met"], result


def bench_litellm_peer(endpoint, sizes, board):
    row = workload.litellm_row(endpoint, min(100, sizes.overhead_calls))
    board["litellm"] = row
    if "skipped" in row:
        print(f"\n[litellm] skipped: {row['skipped']}")
    else:
        print(f"\n[litellm] p50 {row['litellm']['p50_ms']:.2f} ms")
