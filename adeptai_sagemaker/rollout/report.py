"""The migration report: per module, where it stands and why, from the recorded evidence.

``write_report(store, settings, out_dir)`` writes ``report.md`` and PNG charts
(matplotlib, Agg backend, imported only here): per-field agreement with its
Wilson bounds, and latency percentiles against the budget. For each module:
current mode and its source, the gate's verdict and reasons, per-field
agreement with bounds, latency percentiles, cost per 1,000 calls on the
SageMaker path and the API path (``cost.py``; tokens are the recorded means
where calls reported them, else the planning estimates), fallback reasons, and the student models that serve it: which captured
dataset trained which job, its artifact and the endpoints deployed from it
(``student/finetune.py``'s ``lineage()``, read from the runs file).
Everything comes from the store: names and numbers only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from adeptai_sagemaker.ops.cost import PLANNING_TOKENS, CostModel, load_prices
from adeptai_sagemaker.rollout.gate import evaluate


def _tokens(store: Any, capability: str) -> tuple[float, float, str]:
    agg = store.recent(0.0).get(capability)
    if agg is not None and agg.count("tokens_n"):
        n = agg.count("tokens_n")
        return agg.count("tokens_in") / n, agg.count("tokens_out") / n, f"recorded mean of {int(n)} calls"
    tin, tout = PLANNING_TOKENS.get(capability, (1000.0, 500.0))
    return tin, tout, "planning estimate"


def module_summary(store: Any, settings: Any, capability: str, *, instance_type: str = "ml.g5.xlarge",
                   throughput_rps: float = 1.0, api_model: str = "gpt-4o-mini",
                   prices: Optional[dict] = None) -> dict[str, Any]:
    record = store.modes().get(capability)
    mode, source = (record.mode, "state") if record is not None else (str(settings.configured_mode(capability)), "env")
    decision = evaluate(store, settings, capability, mode=mode)
    tin, tout, token_source = _tokens(store, capability)
    model = CostModel(instance_type, throughput_rps, tin, tout, api_model=api_model, capability=capability)
    cost = {"sagemaker_per_1000_usd": model.cost_per_request(prices) * 1000,
            "api_per_1000_usd": model.api_cost_per_request() * 1000, "api_model": api_model,
            "instance_type": instance_type, "throughput_rps": throughput_rps, "tokens": [tin, tout],
            "token_source": token_source}
    return {"capability": capability, "mode": mode, "mode_source": source, "decision": decision.as_dict(),
            "cost": cost, "history": store.mode_history(capability)[-10:], "students": _students(settings, capability)}


def _students(settings: Any, capability: str) -> list[dict]:
    """The recorded fine-tuning runs of ``capability``: dataset, training job, artifact, endpoints serving it."""
    from adeptai_sagemaker.student.finetune import lineage

    keep = ("dataset_id", "format", "base_model", "job", "status", "artifact", "endpoints", "time")
    return [{k: run.get(k) for k in keep} for run in lineage(settings) if run.get("capability") == capability]


def _student_lines(summary: dict) -> list[str]:
    """The module's dataset -> endpoint lineage as a markdown table (nothing when no student was trained)."""
    if not summary["students"]:
        return []
    lines = ["", "Students (dataset -> training job -> artifact -> endpoints):", "",
             "| dataset | format | base model | training job | status | artifact | endpoints |",
             "|---|---|---|---|---|---|---|"]
    for run in summary["students"]:
        lines.append(f"| {run['dataset_id'] or '-'} | {run['format'] or '-'} | {run['base_model'] or '-'} | "
                     f"{run['job']} | {run['status'] or '-'} | {run['artifact'] or '-'} | "
                     f"{', '.join(run['endpoints']) or 'not deployed'} |")
    return lines


def _chart_agreement(summary: dict, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fields = {k: v for k, v in summary["decision"]["evidence"]["fields"].items() if v["n"]}
    if not fields:
        return False
    names = list(fields)
    obs = [fields[n]["agreement"] for n in names]
    low = [fields[n]["agreement"] - fields[n]["agreement_lower"] for n in names]
    high = [fields[n]["agreement_upper"] - fields[n]["agreement"] for n in names]
    threshold = summary["decision"]["budgets"]["field_agreement"]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.6))
    colours = ["#2e7d32" if fields[n]["agreement_lower"] >= threshold else "#c62828" for n in names]
    ax.barh(names, obs, xerr=[low, high], color=colours, capsize=3)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:.2f}")
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("share of comparisons that agree (bars: Wilson interval)")
    ax.set_title(f"{summary['capability']}: field agreement at {summary['decision']['from_mode']}")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _chart_latency(summaries: list[dict], path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [s for s in summaries if s["decision"]["evidence"]["p95_ms"] is not None]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(rows) + 1.6))
    for i, s in enumerate(rows):
        ev = s["decision"]["evidence"]
        ax.plot([ev["p50_ms"], ev["p95_ms"], ev["p99_ms"]], [i, i, i], "o-", color="#1565c0")
        ax.plot([s["decision"]["budgets"]["latency_p95_ms"]], [i], "|", color="#c62828", markersize=18)
    ax.set_yticks(range(len(rows)), [s["capability"] for s in rows])
    ax.set_xscale("log")
    ax.set_xlabel("ms (dots: p50, p95, p99 of the SageMaker path; red bar: p95 budget)")
    ax.set_title("Latency against the per-capability budget")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:,.0f}"


def write_report(store: Any, settings: Any, out_dir: str | Path, *, capabilities: Optional[list[str]] = None,
                 instance_type: str = "ml.g5.xlarge", throughput_rps: float = 1.0, api_model: str = "gpt-4o-mini",
                 clock=time.time) -> dict[str, Any]:
    """Write ``report.md`` and charts to ``out_dir``; returns the summaries and the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    caps = capabilities or store.capabilities()
    prices = load_prices()
    summaries = [module_summary(store, settings, c, instance_type=instance_type, throughput_rps=throughput_rps,
                                api_model=api_model, prices=prices) for c in caps]
    files = ["report.md"]
    lines = ["# Migration report", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(clock()))} from the evidence store "
             f"`{store.describe()}`. Names and numbers only: no candidate text is ever recorded.", "",
             "Agreement bounds are Wilson score intervals at "
             f"{settings.adeptai_sagemaker_gate_confidence:.0%}; a field the legacy answer lacks is *not comparable*, "
             "never a disagreement. Budgets: see MIGRATION.md (promotion gate).", ""]
    from adeptai_sagemaker.core.routing import ModeResolver

    switch = ModeResolver(settings, store, poll=False).resolve(caps[0] if caps else "job_parser").switch
    if switch:
        lines += [f"**The {switch} kill switch is engaged** ("
                  + ("`SAGEMAKER_LLM_ENABLED=false`" if switch == "host" else "`adeptai-sagemaker kill on`")
                  + "): every module is off whatever is stored.", ""]
    lines += ["| module | mode (source) | verdict | next | n | agreement (lower) | error rate | fallback rate | "
              "p95 ms (budget) | SageMaker $/1k | API $/1k |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        d, ev, c = s["decision"], s["decision"]["evidence"], s["cost"]
        agreement = "-" if ev["agreement"] is None else f"{ev['agreement']:.3f} ({ev['agreement_lower']:.3f})"
        lines.append(f"| {s['capability']} | {s['mode']} ({s['mode_source']}) | {d['verdict']} | {d['to_mode']} | "
                     f"{ev['n']} | {agreement} | {_pct(ev['error_rate'])} | {_pct(ev['fallback_rate'])} | "
                     f"{_ms(ev['p95_ms'])} ({_ms(d['budgets']['latency_p95_ms'])}) | "
                     f"{c['sagemaker_per_1000_usd']:.2f} | {c['api_per_1000_usd']:.2f} |")
    if _chart_latency(summaries, out / "latency.png"):
        files.append("latency.png")
        lines += ["", "![latency](latency.png)"]
    for s in summaries:
        d, ev, c = s["decision"], s["decision"]["evidence"], s["cost"]
        lines += ["", f"## {s['capability']}", "",
                  f"Mode **{s['mode']}** (from {s['mode_source']}). Gate: **{d['verdict']}** "
                  f"{d['from_mode']} -> {d['to_mode']}.", ""]
        lines += [f"- {r}" for r in d["reasons"]]
        lines += ["", f"Latency (SageMaker path, {ev['latency_samples']} samples): p50 {_ms(ev['p50_ms'])} ms, "
                      f"p95 {_ms(ev['p95_ms'])} ms, p99 {_ms(ev['p99_ms'])} ms; budget p95 "
                      f"{_ms(d['budgets']['latency_p95_ms'])} ms.", ""]
        if ev["fields"]:
            lines += ["| field | n | agreement | Wilson lower | upper | mean score | not comparable |",
                      "|---|---|---|---|---|---|---|"]
            for name, f in ev["fields"].items():
                if f["n"]:
                    lines.append(f"| {name} | {f['n']} | {f['agreement']:.3f} | {f['agreement_lower']:.3f} | "
                                 f"{f['agreement_upper']:.3f} | {f['mean_score']:.3f} | {f['not_comparable']} |")
                else:
                    lines.append(f"| {name} | 0 | - | - | - | - | {f['not_comparable']} |")
            chart = f"agreement_{s['capability']}.png"
            if _chart_agreement(s, out / chart):
                files.append(chart)
                lines += ["", f"![{s['capability']} agreement]({chart})"]
        reasons = ev["fallback_reasons"]
        lines += ["", "Fallback reasons: " + (", ".join(f"`{k}` {v}" for k, v in sorted(reasons.items(),
                                                                                     key=lambda kv: -kv[1]))
                                              if reasons else "none") + ".",
                  "Errors: " + (", ".join(f"`{k}` {v}" for k, v in ev["error_codes"].items())
                                if ev["error_codes"] else "none") + ".", "",
                  f"Cost per 1,000 calls: SageMaker ${c['sagemaker_per_1000_usd']:.2f} ({c['instance_type']}, "
                  f"{c['throughput_rps']:g} req/s per instance at 70% utilization, amortized) vs {c['api_model']} "
                  f"${c['api_per_1000_usd']:.2f} ({c['tokens'][0]:.0f} in / {c['tokens'][1]:.0f} out tokens, "
                  f"{c['token_source']})."]
        lines += _student_lines(s)
        if s["history"]:  # every step a person, `promote --watch` or auto-demotion took, with why
            lines += ["", "Rollout steps:", ""] + [
                f"- {time.strftime('%Y-%m-%d %H:%M', time.gmtime(h['ts']))} {h['from_mode'] or '-'} -> {h['to_mode']} "
                f"({h['verdict']}{', by ' + h['by'] if h.get('by') else ''})"
                + (f": {h['reason']}" if h.get("reason") else "") for h in s["history"]]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"summaries": summaries, "files": files, "out": str(out)}

