"""Markdown and PNG renderings of a bias audit (matplotlib with the Agg backend, no display needed).

The report holds group labels and numbers only; probe texts never appear in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from adeptai_sagemaker.compliance.bias import BiasAuditResult


def _fmt_ratio(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render_markdown(result: "BiasAuditResult", chart_name: str = "bias_report.png") -> str:
    t = result.thresholds
    lines = [
        "# Bias audit (counterfactual probes)",
        "",
        f"- **Result: {'PASS' if result.passed else 'FAIL'}**",
        f"- Backend: `{result.backend}`; probes: `{result.probe_source}`",
        f"- Selection threshold: {result.threshold} (scores on 0..100; per capability below)",
        f"- Limits: mean |Δ| ≤ {t.max_mean_delta:g} points, flip rate ≤ {t.max_flip_rate:.0%}, "
        f"selection ratio ≥ {t.min_selection_ratio:g}, error rate ≤ {t.max_error_rate:.0%}",
        "",
        "Each probe changes one attribute of the same resume (name, pronouns, graduation year, address); "
        "Δ is the score change between counterfactuals of different groups, a flip is a changed recommendation, "
        "the selection ratio is the lowest group's selection rate over the highest (four-fifths rule).",
        "",
        f"![chart]({chart_name})",
        "",
    ]
    if result.violations:
        lines += ["## Violations", ""] + [f"- {v}" for v in result.violations] + [""]
    for cap in result.capabilities:
        lines += [
            f"## {cap.capability}",
            "",
            f"{cap.calls} distinct requests, {cap.errors} errors"
            + (f" ({', '.join(f'{k}: {v}' for k, v in cap.error_codes.items())})" if cap.error_codes else "")
            + f"; scores ranged {cap.score_range[0]:.1f} to {cap.score_range[1]:.1f}; "
            f"selection threshold {cap.threshold:g}.",
            "",
            "| dimension | pairs | mean abs Δ | max abs Δ | flip rate | selection ratio | lowest / highest group |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for d in cap.disparities:
            if d.group_rates:
                low = min(d.group_rates, key=d.group_rates.get)
                high = max(d.group_rates, key=d.group_rates.get)
                span = f"{low} ({d.group_rates[low]:.0%}) / {high} ({d.group_rates[high]:.0%})"
            else:
                span = "-"
            lines.append(f"| {d.dimension} | {d.pairs} | {d.mean_abs_delta:.2f} | {d.max_abs_delta:.2f} | "
                         f"{d.flip_rate:.1%} | {_fmt_ratio(d.selection_ratio)} | {span} |")
        notes = [f"- {d.dimension}: {n}" for d in cap.disparities for n in d.notes]
        if notes:
            lines += ["", "Notes:"] + notes
        lines += ["", "<details><summary>Mean score by group</summary>", ""]
        for d in cap.disparities:
            groups = ", ".join(f"{g} {s:.1f} (n={d.group_counts[g]})" for g, s in d.group_mean_scores.items())
            lines.append(f"- **{d.dimension}**: {groups}")
        lines += ["", "</details>", ""]
    lines += [
        "## Limits",
        "",
        "Names, pronouns, graduation years and ZIP codes are proxies for perceived group membership; the probe set "
        "is small and US-centric and varies one attribute at a time. A pass means no measurable sensitivity to "
        "these signals on these cases, not that the model is fair. See `adeptai_sagemaker/compliance/probes.py`.",
        "",
    ]
    return "\n".join(lines)


def render_chart(result: "BiasAuditResult", path: str | Path) -> Path:
    """Two panels per run: mean |Δ| and selection ratio for every capability/dimension, limits drawn."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    labels, deltas, ratios = [], [], []
    for cap in result.capabilities:
        short = cap.capability.split("_")[0]
        for d in cap.disparities:
            labels.append(f"{short}:{d.dimension}")
            deltas.append(d.mean_abs_delta)
            ratios.append(d.selection_ratio if d.selection_ratio is not None else float("nan"))
    height = max(3.0, 0.28 * len(labels) + 1.5)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, height), sharey=True)
    y = list(range(len(labels)))
    t = result.thresholds
    ax1.barh(y, deltas, color=["#c0392b" if v > t.max_mean_delta else "#2e86c1" for v in deltas])
    ax1.axvline(t.max_mean_delta, color="black", linestyle="--", linewidth=1, label=f"limit {t.max_mean_delta:g}")
    ax1.set_xlabel("mean |score change| (points, 0..100)")
    ax1.set_yticks(y, labels, fontsize=7)
    ax1.invert_yaxis()
    ax1.legend(loc="lower right", fontsize=7)
    ax2.barh(y, [0 if r != r else r for r in ratios],
             color=["#7f8c8d" if r != r else ("#c0392b" if r < t.min_selection_ratio else "#27ae60") for r in ratios])
    for yi, r in zip(y, ratios):  # label every bar: a ratio of 0 (the worst case) has no visible bar
        ax2.text(0.01 if r != r or r < 0.15 else r - 0.01, yi, "n/a" if r != r else f"{r:.2f}", va="center",
                 ha="left" if r != r or r < 0.15 else "right", fontsize=6,
                 color="#c0392b" if r == r and r < t.min_selection_ratio else "black")
    ax2.axvline(t.min_selection_ratio, color="black", linestyle="--", linewidth=1, label="four-fifths")
    ax2.set_xlim(0, 1.05)
    ax2.set_xlabel(f"selection ratio at threshold {result.threshold} (grey: n/a)")
    ax2.legend(loc="lower right", fontsize=7)
    fig.suptitle(f"Bias audit: {'PASS' if result.passed else 'FAIL'} ({result.backend})")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
