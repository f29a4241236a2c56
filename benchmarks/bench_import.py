"""c. Import cost of the package and every adapter, in a fresh interpreter vs a bare one."""

from adeptai_sagemaker.lab.bench import workload


def bench_import_cost(benchmark, sizes, board):
    result = benchmark.pedantic(workload.import_cost, args=(sizes.import_runs,), rounds=1, iterations=1)
    result["heaviest_ms"] = workload.import_breakdown()
    board["import"] = result
    print(f"\n[import] bare {result['bare_ms']:.1f} ms, with package {result['with_package_ms']:.1f} ms, "
          f"added {result['added_ms']:.1f} ms; heaviest: {result['heaviest_ms'][:4]}")
    assert result["bare_ms"] > 0
    if workload.enforce():
        assert result["met"], result
