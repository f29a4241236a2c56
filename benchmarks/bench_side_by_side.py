"""e/f. SageMaker path vs the OpenAI and Anthropic SDK backends: latency, throughput, cost, quality.

Offline the external APIs are the loopback fake servers (official SDKs, real HTTP), answering with the
reference model and sleeping ``time_scale`` x the published latency profile; real services are measured
only when OPENAI_API_KEY / ANTHROPIC_API_KEY are set (the skip reason is printed otherwise).
"""

import pytest

from adeptai_sagemaker_lab.bench import workload

pytest.importorskip("openai", reason="side-by-side needs the 'openai' extra")
pytest.importorskip("anthropic", reason="side-by-side needs the 'anthropic' extra")


@pytest.fixture(scope="module")
def comparison(endpoint, sizes, board):
    result = workload.side_by_side(endpoint.url, repeats=sizes.side_by_side_repeats, limit=sizes.quality_limit)
    board["side_by_side"] = result
    return result


def bench_latency_and_cost(benchmark, comparison):
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # numbers come from the shared comparison run
    for reason in comparison["skipped"].values():
        print(f"\n[side-by-side] skipped: {reason}")
    for name, entry in comparison["backends"].items():
        p, c = entry["projected"], entry["cost"]
        print(f"\n[{name}] projected p50/p95/p99 {p['p50_ms']:.0f}/{p['p95_ms']:.0f}/{p['p99_ms']:.0f} ms; "
              f"measured offline p50 {entry['measured']['p50_ms']:.1f} ms; cost/1k ${c['cost_per_1k_usd']:.4f}")
        assert entry["calls"] > 0
        assert c["cost_per_1k_usd"] >= 0
    assert {"sagemaker", "openai", "anthropic"} <= set(comparison["backends"])


def bench_quality(benchmark, comparison):
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    for name, entry in comparison["backends"].items():
        print(f"\n[{name}] schema-valid first try {entry['schema_valid_first_try']:.2f}, after re-ask "
              f"{entry['schema_valid_after_reask']:.2f}, retries/success {entry['retries_per_success']:.2f}; "
              f"jobs {entry['jobs']}; queries {entry['queries']}")
        assert 0.0 <= entry["schema_valid_first_try"] <= entry["schema_valid_after_reask"] <= 1.0
