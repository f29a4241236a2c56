"""The benchmark suite still works: every measurement runs in quick mode and the report is written.

Quick sizes (``ADEPTAI_BENCH_QUICK``) keep this to ~15 s on 2 cores; the numbers are not judged here
(shared CI machines), only that each measurement produces complete, consistent results.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the benchmarks need the 'serve' extra")
pytest.importorskip("openai", reason="the side-by-side benchmark needs the 'openai' extra")
pytest.importorskip("anthropic", reason="the side-by-side benchmark needs the 'anthropic' extra")
pytest.importorskip("matplotlib", reason="the report charts need matplotlib (extra 'bench')")
from adeptai_sagemaker_lab.reference_model import ReferenceModel  # noqa: E402,F401  (part of the package: must import)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory, monkeypatch_module):
    from adeptai_sagemaker_lab.bench.report import run_all, write_report

    monkeypatch_module.setenv("ADEPTAI_BENCH_QUICK", "1")
    monkeypatch_module.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    results = run_all(True, progress=None)
    out = tmp_path_factory.mktemp("report")
    return results, write_report(results, out, command="adeptai-sagemaker bench --quick")


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.mark.slow
def test_every_measurement_produces_its_numbers(quick_results):
    results, _ = quick_results
    o = results["overhead"]
    assert o["raw_boto3"]["p50_ms"] > 0 and o["framework"]["p50_ms"] > 0 and o["ratio"] > 0
    assert o["cache"] == "off" and o["framework_cache_hits"] == 0  # the overhead is measured with the cache off
    assert o["framework_outcomes"]["successes"] >= o["calls"]  # every framework call was answered by the endpoint
    fu = results["first_use"]
    assert fu["first_use_ms"] > fu["bare_ms"] > 0 and fu["dependency_floor_added_ms"] > 0
    assert fu["own_ms"] == pytest.approx(fu["added_ms"] - fu["dependency_floor_added_ms"])
    assert results["cache_hit"]["hits"] == results["cache_hit"]["calls"]
    assert results["import"]["with_package_ms"] > results["import"]["bare_ms"] > 0
    c = results["concurrency"]
    assert c["errors"] == 0 and c["framework_wall_s"] >= c["ideal_s"] * 0.9  # cannot beat the injected latency
    assert len(c["walls_s"]["framework"]) == len(c["walls_s"]["raw_boto3"]) == c["rounds"] > 1  # alternating rounds
    assert c["framework_vs_raw"] == c["framework_wall_s"] / c["raw_boto3_wall_s"]
    assert all(v > 0 for v in c["client_cpu_us_per_call"].values())
    b = results["batch"]
    assert b["complete"] and b["records"] == b["candidates"]
    assert "skipped" in results["litellm"] or results["litellm"]["litellm"]["n"] > 0


@pytest.mark.slow
def test_side_by_side_covers_all_backends_with_cost_and_quality(quick_results):
    sbs = quick_results[0]["side_by_side"]
    assert {"sagemaker", "openai", "anthropic"} <= set(sbs["backends"])
    for name, entry in sbs["backends"].items():
        assert entry["calls"] == sbs["jobs"] + sbs["queries"] > 0
        assert entry["projected"]["p50_ms"] >= entry["measured"]["p50_ms"] * 0.5
        assert entry["cost"]["cost_per_1k_usd"] > 0
        assert entry["jobs"]["n"] == sbs["jobs"] and entry["queries"]["n"] == sbs["queries"]
    # the published profiles drive the projection: Sonnet's 1.8 s TTFT shows up against gpt-4o-mini's 0.4 s
    assert sbs["backends"]["anthropic"]["projected"]["p50_ms"] > sbs["backends"]["openai"]["projected"]["p50_ms"]
    # API cost follows the list prices: Sonnet 4 costs more per request than gpt-4o-mini for the same tokens
    assert sbs["backends"]["anthropic"]["cost"]["cost_per_1k_usd"] > sbs["backends"]["openai"]["cost"]["cost_per_1k_usd"]
    assert set(sbs["break_even"]) == {"openai", "anthropic"}
    # offline every backend is the reference model behind a different transport: the report says so plainly
    assert "same model" in sbs["same_model"] and all(e["provenance"] for e in sbs["backends"].values())


@pytest.mark.slow
def test_report_files_are_written(quick_results):
    results, paths = quick_results
    text = paths["report"].read_text()
    assert "## Targets" in text and "## Quality on the golden dev set" in text and "**Same model:**" in text
    assert "adeptai-sagemaker bench --quick" in text
    for key in ("latency_chart", "cost_chart"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["results"].read_text())["batch"]["complete"] is True


def test_pytest_collects_the_benchmark_files():
    proc = subprocess.run([sys.executable, "-m", "pytest", "benchmarks/", "--collect-only"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "ADEPTAI_BENCH_QUICK": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for name in ("bench_framework_overhead", "bench_cache_hit", "bench_import_cost", "bench_concurrency",
                 "bench_batch_behavioral", "bench_latency_and_cost", "bench_quality", "bench_litellm_peer"):
        assert name in proc.stdout


def test_no_labelled_data_is_reported_as_not_measured(tmp_path, monkeypatch):
    """Zero calls is an explicit "not measured" row, never a NaN that crashes a chart."""
    from adeptai_sagemaker_lab.bench.report import write_report
    from adeptai_sagemaker_lab.bench.workload import side_by_side

    sbs = side_by_side("http://127.0.0.1:9", limit=0, include_real=False)  # no rows: returns before any call is made
    assert "no labelled evaluation data" in sbs["not_measured"]
    paths = write_report({"side_by_side": sbs}, tmp_path / "out", command="bench")
    text = paths["report"].read_text()
    assert "Not measured: no labelled evaluation data" in text and "nan" not in text.lower()
    assert paths.get("cost_chart") is None and paths.get("latency_chart") is None
