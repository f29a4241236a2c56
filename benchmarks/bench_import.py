"""c. Import cost of the package and every adapter, and first use (import + ``Framework()``), in a fresh
interpreter against a bare one."""

from adeptai_sagemaker_lab.bench import workload


def bench_import_cost(benchmark, sizes, board):
    result = benchmark.pedantic(workload.import_cost, args=(sizes.import_runs,), rounds=1, iterations=1)
    result["heaviest_ms"] = workload.import_breakdown()
    board["import"] = result
    print(f"\n[import] bare {result['bare_ms']:.1f} ms, with package {result['with_package_ms']:.1f} ms, "
          f"added {result['added_ms']:.1f} ms; heaviest: {result['heaviest_ms'][:4]}")
    assert result["bare_ms"] > 0
    if workload.enforce():
        assert result["met"], result


def bench_first_use(benchmark, sizes, board):
    result = benchmark.pedantic(workload.first_use_cost, args=(sizes.import_runs,), rounds=1, iterations=1)
    board["first_use"] = result
    print(f"\n[first use] bare {result['bare_ms']:.1f} ms, import + Framework() {result['first_use_ms']:.1f} ms, "
          f"added {result['added_ms']:.1f} ms (target <= {result['target_added_ms']:.0f} ms); importing pydantic-settings "
          f"alone adds {result['dependency_floor_added_ms']:.1f} ms, the framework's own share {result['own_ms']:.1f} ms")
    assert result["first_use_ms"] > result["bare_ms"] > 0
    if workload.enforce():
        assert result["met"], result
