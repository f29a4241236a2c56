"""d. Concurrency against 50 ms of injected latency, and a batch where every candidate is accounted for."""

from adeptai_sagemaker_lab.bench import workload


def bench_concurrency(benchmark, endpoint, sizes, board):
    result = benchmark.pedantic(workload.concurrency, args=(endpoint, sizes.concurrency_calls, sizes.concurrency),
                                rounds=1, iterations=1)
    board["concurrency"] = result
    cpu = result["client_cpu_us_per_call"]
    print(f"\n[concurrency] {result['calls']} calls @ {result['concurrency']}, medians of {result['rounds']} alternating "
          f"rounds: framework {result['framework_wall_s']:.3f} s, raw boto3 {result['raw_boto3_wall_s']:.3f} s: "
          f"{result['framework_vs_raw']:.3f}x raw (ideal {result['ideal_s']:.3f} s); client CPU per call "
          f"{cpu['framework']:.0f} us vs {cpu['raw_boto3']:.0f} us")
    assert result["errors"] == 0
    if workload.enforce():
        assert result["met"], result


def bench_batch_behavioral(benchmark, endpoint, sizes, board):
    result = benchmark.pedantic(workload.batch_behavioral, args=(endpoint, sizes.batch_candidates),
                                rounds=1, iterations=1)
    board["batch"] = result
    print(f"\n[batch] {result['candidates']} candidates: {result['ok']} results, errors {result['errors']}, "
          f"{result['wall_s']:.2f} s")
    # the contract: every candidate comes back exactly once, as a result or an explicit error record
    assert result["records"] == sizes.batch_candidates
    assert result["complete"]
