"""h. The reference model caps its input: a 10 MB job description costs about what its first 100 000
characters cost (the cap), measured in the same run. Per-call times of the query enhancer and the job
parser are reported beside it.

``tests/lab/test_reference_model.py`` checks the answers; this file holds the timing claims.
"""

from __future__ import annotations

from adeptai_sagemaker_lab.bench import workload
from adeptai_sagemaker_lab.reference_model import ReferenceModel, job_parser, query
from ratios import ratio_against_baseline, seconds

#: The capped 10 MB input may cost this many times the 100 000-character one (copying 10 MB is not free).
MAX_CAP_RATIO = 5.0
LINE = "Python developer with AWS and Docker. "
JD = ("Senior Data Scientist\n\nRequirements:\n- 5+ years of Python and SQL\n- Spark, Airflow\n"
      "Nice to have: Kubernetes. Remote (US). Salary: $150k-$180k per year. Full-time.\n")


def bench_ten_megabytes_cost_what_the_cap_costs(benchmark):
    model = ReferenceModel()
    big = (LINE * 300_000)[:10_000_000]
    capped = big[:100_000]
    ratio_against_baseline(benchmark, "reference model: 10 MB job description vs its first 100 000 characters",
                           lambda: model.answer("job_parser", {"job_description": big}),
                           lambda: model.answer("job_parser", {"job_description": capped}),
                           target=MAX_CAP_RATIO, rounds=2 if workload.quick() else 5)


def bench_reference_model_per_call(benchmark):
    calls = 10 if workload.quick() else 50

    def measure() -> tuple[float, float]:
        enhance = seconds(lambda: [query.enhance("senior java developer chicago") for _ in range(calls)]) / calls
        parse = seconds(lambda: [job_parser.parse(JD * 8) for _ in range(calls)]) / calls
        return enhance, parse

    enhance_s, parse_s = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(enhance_ms=enhance_s * 1000, parse_ms=parse_s * 1000)
    print(f"\n[reference model] query enhancer {enhance_s * 1000:.2f} ms/call, "
          f"job parser (8 job descriptions) {parse_s * 1000:.2f} ms/call")
    assert enhance_s > 0 and parse_s > 0
