"""The side-by-side report: markdown + PNG charts from the benchmark results.

``run_all()`` runs every measurement in :mod:`.workload` against a local
endpoint process and the fake external APIs; ``write_report(results, out_dir)``
writes ``report.md``, ``results.json``, ``latency.png`` (projected latency
distribution per backend) and ``cost_vs_traffic.png`` (monthly cost against
monthly requests, break-even points marked). Charts use matplotlib's Agg
backend, so no display is needed.

Targets are judged (met / MISSED) only at full sizes: quick sizes measure too
few calls, on whatever else the machine is doing, for a verdict, so a quick run
shows each target beside its figure as "informative" (``target_status``).
``bench`` exits 1 when a judged target is missed. Each measurement's name says
the sizes it ran (``target_label``).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Optional

from adeptai_sagemaker_lab.bench import workload

TARGETS = (
    ("overhead", "Framework.call (cache off) vs raw boto3, same bytes, loopback",
     f"≤ {workload.OVERHEAD_TARGET_MS} ms added (median)"),
    ("first_use", "first use: import + Framework()", f"≤ {workload.FIRST_USE_TARGET_MS:.0f} ms added over a bare interpreter"),
    ("cache_hit", "cache-hit call, median", "≤ 0.3 ms"),
    ("import", "import cost (package + adapters)", f"≤ {workload.IMPORT_TARGET_MS:.0f} ms added"),
    ("concurrency", "{calls:,} calls @ {concurrency}, 50 ms latency",
     f"wall ≤ {workload.CONCURRENCY_TARGET_RATIO} × raw boto3's"),
    ("batch", "{candidates:,}-candidate behavioral batch", "every candidate: result or error record"),
)
QUICK_STATUS = "informative (quick sizes: not judged)"


def target_label(what: str, r: dict) -> str:
    """A measurement's name with the sizes it actually ran (``{calls}``, ``{candidates}`` from its result)."""
    try:
        return what.format(**r)
    except (KeyError, IndexError, ValueError):
        return what


def target_status(results: dict, r: dict) -> str:
    """``met`` / ``MISSED`` at full sizes; ``QUICK_STATUS`` for a quick run (see the module docstring)."""
    if results.get("quick"):
        return QUICK_STATUS
    return "met" if r.get("met") else "MISSED"


def missed_targets(results: dict) -> list[str]:
    """The judged targets missed (none for a quick run): ``bench``'s exit code."""
    return [target_label(what, results[key]) for key, what, _ in TARGETS
            if results.get(key) and target_status(results, results[key]) == "MISSED"]


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.{digits}f}"
    return str(value)


def _measured(key: str, r: dict) -> str:
    if key == "overhead":
        lite = r.get("litellm") or {}
        peer = (f"; LiteLLM {lite['added_ms_median']:+.2f} ms, ratio {_fmt(lite['ratio'], 3)}"
                if "added_ms_median" in lite else "")
        return (f"{r['added_ms_median']:+.2f} ms (ratio {_fmt(r['ratio'], 3)}; raw p50 {_fmt(r['raw_boto3']['p50_ms'])} ms, "
                f"framework p50 {_fmt(r['framework']['p50_ms'])} ms{peer})")
    if key == "first_use":
        return (f"+{_fmt(r['added_ms'], 1)} ms (bare {_fmt(r['bare_ms'], 1)} ms, first use {_fmt(r['first_use_ms'], 1)} ms; "
                f"importing pydantic-settings alone +{_fmt(r['dependency_floor_added_ms'], 1)} ms, the framework's own "
                f"{_fmt(r['own_ms'], 1)} ms on top)")
    if key == "cache_hit":
        return f"p50 {_fmt(r['p50_ms'], 3)} ms (p99 {_fmt(r['p99_ms'], 3)} ms)"
    if key == "import":
        return f"+{_fmt(r['added_ms'], 1)} ms (bare {_fmt(r['bare_ms'], 1)} ms, with package {_fmt(r['with_package_ms'], 1)} ms)"
    if key == "concurrency":
        cpu = r["client_cpu_us_per_call"]
        return (f"{_fmt(r['framework_vs_raw'], 3)}× raw boto3 (framework {_fmt(r['framework_wall_s'], 3)} s, raw "
                f"{_fmt(r['raw_boto3_wall_s'], 3)} s, medians of {r['rounds']} alternating rounds; ideal "
                f"{_fmt(r['ideal_s'], 3)} s; client CPU per call {cpu['framework']:.0f} vs {cpu['raw_boto3']:.0f} µs)")
    if key == "batch":
        return f"{r['records']}/{r['candidates']} accounted for: {r['ok']} results, errors {r['errors']}"
    return json.dumps(r)[:200]


def headline_lines(results: dict) -> list[str]:
    """One line per target: its status (``target_status``) with the measured figure."""
    lines = []
    for key, what, target in TARGETS:
        r = results.get(key)
        if not r:
            continue
        lines.append(f"{target_label(what, r)}: {target_status(results, r)} — {_measured(key, r)} [target {target}]")
    sbs = results.get("side_by_side")
    if sbs:
        for name, e in sbs["backends"].items():
            p = e["projected"]
            lines.append(f"{name}: projected p50/p95/p99 {_fmt(p['p50_ms'], 0)}/{_fmt(p['p95_ms'], 0)}/"
                         f"{_fmt(p['p99_ms'], 0)} ms, ${_fmt(e['cost']['cost_per_1k_usd'], 4)}/1k requests, "
                         f"schema-valid first try {_fmt(e['schema_valid_first_try'])}")
    lit = results.get("litellm")
    if lit and "skipped" in lit:
        lines.append(f"litellm peer row skipped: {lit['skipped']}")
    return lines


# --------------------------------------------------------------------------- running


def run_all(quick_mode: Optional[bool] = None, *, model_backend: Optional[str] = None,
            progress=print) -> dict[str, Any]:
    """Every measurement, in one process, against one local endpoint process."""
    from adeptai_sagemaker_lab.bench.endpoint_proc import EndpointProcess

    size = workload.sizes(quick_mode)
    model_backend = model_backend or os.environ.get("ADEPTAI_BENCH_MODEL_BACKEND") or None
    results: dict[str, Any] = {"quick": bool(quick_mode if quick_mode is not None else workload.quick()),
                               "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpu_count": os.cpu_count()}
    with EndpointProcess(backend=model_backend) as ep:
        steps = [
            ("overhead", lambda: workload.framework_overhead(ep, size.overhead_calls)),
            ("phases_us", lambda: workload.framework_phases(ep.url, min(200, size.overhead_calls))),
            ("litellm", lambda: workload.litellm_row(ep, min(100, size.overhead_calls))),
            ("cache_hit", lambda: workload.cache_hit(ep.url, size.cache_calls)),
            ("import", lambda: workload.import_cost(size.import_runs)),
            ("first_use", lambda: workload.first_use_cost(size.import_runs)),
            ("concurrency", lambda: workload.concurrency(ep, size.concurrency_calls, size.concurrency)),
            ("batch", lambda: workload.batch_behavioral(ep, size.batch_candidates)),
            ("side_by_side", lambda: workload.side_by_side(ep.url, repeats=size.side_by_side_repeats,
                                                           limit=size.quality_limit)),
        ]
        for name, step in steps:
            started = time.perf_counter()
            results[name] = step()
            if progress:
                progress(f"  {name}: {time.perf_counter() - started:.1f} s")
    return results


# --------------------------------------------------------------------------- charts


def _latency_chart(results: dict, path: Path) -> Optional[Path]:
    sbs = results.get("side_by_side")
    if not sbs or not sbs.get("backends"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(sbs["backends"])
    data = [sbs["backends"][n]["projected_samples_ms"] for n in names]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.boxplot(data, whis=(5, 95), showfliers=True)
    ax.set_xticks(range(1, len(names) + 1), names)
    for i, values in enumerate(data, start=1):
        if values:
            ordered = sorted(values)
            ax.annotate(f"p50 {ordered[len(ordered) // 2]:.0f} ms", (i, ordered[len(ordered) // 2]),
                        textcoords="offset points", xytext=(28, 0), fontsize=8)
    ax.set_ylabel("latency per call, ms (projected to full scale)")
    ax.set_title("Latency per backend: job parsing + query enhancement (whiskers p5-p95)")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _cost_chart(results: dict, path: Path) -> Optional[Path]:
    sbs = results.get("side_by_side")
    if not sbs or "sagemaker" not in sbs["backends"]:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sm = sbs["backends"]["sagemaker"]["cost"]
    if "monthly_endpoint_cost_usd" not in sm:
        return None  # not measured: no chart rather than a chart of NaNs
    per_instance = sm["monthly_endpoint_cost_usd"]
    be_table = sbs.get("break_even", {})
    capacity = next(iter(be_table.values()))["capacity_per_instance_month"] if be_table else None
    volumes = [10 ** (3 + i * 0.05) for i in range(0, 121)]  # 1e3 .. 1e9 requests / month
    fig, ax = plt.subplots(figsize=(8, 4.8))
    if capacity:
        sm_cost = [max(1, math.ceil(v / capacity)) * per_instance for v in volumes]
        ax.plot(volumes, sm_cost, label=f"SageMaker {sm['instance_type']} (autoscaled, ≥1 instance)", lw=2)
    for name, color in (("openai", "tab:green"), ("anthropic", "tab:red")):
        entry = sbs["backends"].get(name)
        if not entry:
            continue
        c = entry["cost"]["cost_per_1k_usd"] / 1000
        ax.plot(volumes, [v * c for v in volumes], label=f"{entry['cost'].get('api_model', name)} API", color=color)
        be = be_table.get(name, {})
        if be.get("first_requests_per_month"):
            x = be["first_requests_per_month"]
            ax.scatter([x], [x * c], color=color, zorder=5)
            ax.annotate(f"break-even {x:,.0f}/mo", (x, x * c), textcoords="offset points", xytext=(6, -12),
                        fontsize=8, color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("requests per month")
    ax.set_ylabel("USD per month")
    ax.set_title("Monthly cost vs traffic (this workload's tokens per request)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- markdown


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def markdown(results: dict, charts: dict[str, Optional[Path]], command: str) -> str:
    parts = ["# adeptai-sagemaker benchmark report", "",
             f"Command: `{command}`  ", f"Started: {results.get('started')}, CPUs: {results.get('cpu_count')}, "
             f"quick mode: {results.get('quick')}", ""]
    rows = []
    for key, what, target in TARGETS:
        r = results.get(key)
        if r:
            status = target_status(results, r)
            rows.append([target_label(what, r), target, _measured(key, r), "**missed**" if status == "MISSED" else status])
    parts += ["## Targets", "", _table(["measurement", "target", "measured", "status"], rows), ""]
    if results.get("phases_us"):
        parts += ["Median microseconds per step of one cache-miss call (diagnostic): "
                  + ", ".join(f"{k} {v:.0f}" for k, v in results["phases_us"].items()), ""]
    lit = results.get("litellm")
    if lit:
        parts += [f"LiteLLM `sagemaker/` peer row: "
                  + (f"skipped — {lit['skipped']}" if "skipped" in lit else f"p50 {_fmt(lit['litellm']['p50_ms'])} ms"), ""]
    sbs = results.get("side_by_side")
    if sbs and sbs.get("not_measured"):
        parts += ["## SageMaker vs external APIs", "", f"Not measured: {sbs['not_measured']}.", ""]
    elif sbs:
        parts += ["## SageMaker vs external APIs", "",
                  f"{sbs['jobs']} job postings + {sbs['queries']} queries from the golden dev set, "
                  f"{sbs['repeats']} pass(es). External APIs offline: loopback fake servers driven by the official "
                  f"SDKs, answering with the reference model, sleeping {sbs['time_scale']} × the published latency "
                  "profile; 'projected' = measured − slept + modelled at full scale. SageMaker projected = measured "
                  "transport + the SageMaker profile. Same reference model behind every backend offline, so "
                  "quality differences offline come from the transport/pipeline only.", ""]
        for reason in sbs.get("skipped", {}).values():
            parts.append(f"- skipped: {reason}")
        rows = []
        for name, e in sbs["backends"].items():
            p, m, c = e["projected"], e["measured"], e["cost"]
            thr = _fmt(c.get("throughput_rps"), 1) if c.get("throughput_rps") else (
                "not measured" if c.get("not_measured") else "rate-limit tier")
            rows.append([name, f"{_fmt(p['p50_ms'], 0)} / {_fmt(p['p95_ms'], 0)} / {_fmt(p['p99_ms'], 0)}",
                         _fmt(m["p50_ms"], 1), thr, f"${_fmt(c.get('cost_per_1k_usd'), 4)}",
                         _fmt(c["mean_input_tokens"], 0), _fmt(c["mean_output_tokens"], 0)])
        parts += ["", _table(["backend", "projected p50/p95/p99 ms", "measured offline p50 ms", "throughput rps",
                              "cost / 1k req", "mean in tok", "mean out tok"], rows), ""]
        sm = sbs["backends"].get("sagemaker", {}).get("cost", {})
        if sm and "price_per_hour_usd" in sm:
            parts += [f"SageMaker cost: {sm['instance_type']} at ${_fmt(sm['price_per_hour_usd'], 3)}/h "
                      f"(${_fmt(sm['monthly_endpoint_cost_usd'], 0)}/month always on), throughput "
                      f"{_fmt(sm['throughput_rps'], 1)} rps per instance ({sm['throughput_basis']}), amortized at "
                      f"{sm['target_utilization']:.0%} utilization. Prices from `adeptai_sagemaker/cost.py`.", ""]
        be_rows = [[name, _fmt(b["first_requests_per_month"], 0), _fmt(b["sustained_requests_per_month"], 0)]
                   for name, b in sbs.get("break_even", {}).items()]
        if be_rows:
            parts += ["Break-even (requests per month from which the endpoint is no dearer than the API):", "",
                      _table(["vs", "first", "sustained"], be_rows), ""]
        rows = []
        for name, e in sbs["backends"].items():
            j, q = e.get("jobs", {}), e.get("queries", {})
            rows.append([name, ", ".join(e.get("provenance") or []) or "unnamed", _fmt(e["schema_valid_first_try"]),
                         _fmt(e["schema_valid_after_reask"]),
                         _fmt(e["retries_per_success"]), _fmt(j.get("mandatory_f1")), _fmt(j.get("preferred_f1")),
                         _fmt(j.get("years")), _fmt(j.get("seniority")), _fmt(j.get("work_mode")),
                         _fmt(q.get("intent_accuracy")), _fmt(q.get("expansion_hit_rate")),
                         _fmt(q.get("forbidden_expansions"))])
        parts += ["## Quality on the golden dev set", "",
                  "Scored by `adeptai_sagemaker/lab/evaluation.py` on `lab/golden` (dev part), the numbers "
                  "`adeptai-sagemaker eval CAPABILITY --backend NAME` prints.", ""]
        if sbs.get("same_model"):
            parts += [f"**Same model:** {sbs['same_model']}", ""]
        parts += [_table(["backend", "model", "valid 1st try", "valid after re-ask", "retries/success", "mandatory F1",
                          "preferred F1", "years acc", "seniority acc", "work mode acc", "intent acc",
                          "expansion hit", "forbidden exp."], rows), ""]
        parts += ["## Latency profiles", ""]
        for name, prof in sbs.get("profiles", {}).items():
            parts.append(f"- **{name}**: TTFT {prof['ttft_s']} s, {prof['tokens_per_s']} tok/s — {prof['source']}")
        parts.append("")
    parts += ["## Charts", ""]
    for label, path in charts.items():
        if path is not None:
            parts.append(f"![{label}]({path.name})")
    return "\n".join(parts) + "\n"


def write_report(results: dict, out_dir: str | os.PathLike, command: str = "adeptai-sagemaker bench") -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    charts = {"latency per backend": _latency_chart(results, out / "latency.png"),
              "monthly cost vs traffic": _cost_chart(results, out / "cost_vs_traffic.png")}
    report = out / "report.md"
    report.write_text(markdown(results, charts, command), encoding="utf-8")
    data = out / "results.json"
    data.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    paths = {"report": report, "results": data}
    paths.update({k: v for k, v in (("latency_chart", charts["latency per backend"]),
                                    ("cost_chart", charts["monthly cost vs traffic"])) if v is not None})
    return paths
