"""One way to state a timing claim in this folder: the measured path against a baseline, interleaved in the
same run (so machine noise hits both), reported as a ratio and enforced only with ``ADEPTAI_BENCH_ENFORCE=1``."""

from __future__ import annotations

import time
from typing import Callable

from adeptai_sagemaker_lab.bench import workload


def seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def ratio_against_baseline(benchmark, label: str, measured: Callable[[], object], baseline: Callable[[], object],
                           *, target: float, rounds: int) -> float:
    """Best of ``rounds`` for each side, alternating; prints and records both times and their ratio."""

    def measure() -> tuple[float, float]:
        pairs = [(seconds(measured), seconds(baseline)) for _ in range(rounds)]
        return min(p[0] for p in pairs), min(p[1] for p in pairs)

    measured_s, baseline_s = benchmark.pedantic(measure, rounds=1, iterations=1)
    ratio = measured_s / baseline_s
    benchmark.extra_info.update(measured_ms=measured_s * 1000, baseline_ms=baseline_s * 1000, ratio=ratio)
    print(f"\n[{label}] {measured_s * 1000:.2f} ms vs baseline {baseline_s * 1000:.2f} ms: {ratio:.1f}x "
          f"(target <= {target:g}x)")
    assert measured_s > 0 and baseline_s > 0
    if workload.enforce():
        assert ratio <= target, (label, ratio)
    return ratio
