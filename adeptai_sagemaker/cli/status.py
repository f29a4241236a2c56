"""``status``: what each module would do now, whether it can, and the metrics recorded so far.

Why it behaves like this:
- A module that sends traffic to SageMaker (shadow, canary, on) but lacks the
  configuration to reach it (no region, no endpoint name) is a problem an
  operator must see: every such call fails and falls back. ``status`` names the
  missing variable per module and exits 2 (configuration), so a deploy script
  that runs it stops.
- Metrics live in the processes doing the work, not in this one: ``status``
  shows a snapshot file (``--metrics``), else the last 24 h every worker wrote
  to the evidence store (``ADEPTAI_SAGEMAKER_STATE_DIR``), else says where the
  numbers are (the store's path, CloudWatch, MIGRATION.md step 5).
- The mode shown is the live one (``promote`` can override the environment),
  with its source; the kill switch wins.
- Variables that look like misspelt settings are listed (names only).
"""

from __future__ import annotations

import json
from typing import Optional

import click

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _fmt, _json_mode, cli, json_option

#: Where a running service's numbers are when neither this process nor the evidence store has any.
METRICS_HINT = ("no live metrics in this process and no calls in the last 24 h in the evidence store at {state_dir} "
                "(ADEPTAI_SAGEMAKER_STATE_DIR: point it at the directory the services share); the services also "
                "export metrics to CloudWatch (namespace AdeptAI/SageMakerLLM, MIGRATION.md step 5), and "
                "--metrics SNAPSHOT.json shows a MetricsRecorder snapshot here")


def _problems(settings, capability: str, region: Optional[str], mode_kind: str) -> list[str]:
    """Why calls of a module that routes to SageMaker cannot succeed (empty when reachable or off)."""
    if mode_kind == "off":
        return []
    problems = []
    if region is None:
        problems.append("no AWS region: set AWS_REGION (or SAGEMAKER_REGION)")
    if not settings.endpoint(capability):
        problems.append(f"no endpoint: set SAGEMAKER_{settings.stem(capability)}_ENDPOINT")
    return problems


@cli.command()
@click.option("--metrics", "metrics_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A MetricsRecorder snapshot JSON (recorder.write_snapshot) to show live metrics from.")
@json_option
@click.pass_context
def status(ctx: click.Context, metrics_file: Optional[str]) -> None:
    """Every capability's mode, endpoint, codec, circuit state and metrics.

    Exits 2 when a module that sends traffic to SageMaker (shadow, canary, on)
    cannot reach it for lack of configuration (region or endpoint name): the
    table and the JSON name the missing variable.
    """
    from rich.table import Table

    from adeptai_sagemaker.observers.evidence import store_for
    from adeptai_sagemaker.rollout.live_mode import EnvModeSource, StateModeSource
    from adeptai_sagemaker.core.settings import Mode, load_settings, unknown_variable_message

    settings = load_settings()
    snapshot: dict = {"series": [], "circuits": {}}
    if metrics_file:
        with open(metrics_file, encoding="utf-8") as fh:
            snapshot = json.load(fh)
    else:
        from adeptai_sagemaker.core.framework import _default  # the process-wide framework, only if one exists already

        if _default is not None:
            snapshot = _default.metrics.snapshot()
    store = store_for(settings)  # live modes set by `promote`, and the evidence every worker records
    modes = StateModeSource(EnvModeSource(settings), store)
    evidence = None if snapshot.get("series") else _evidence_snapshot(store)
    if evidence:
        snapshot = {**snapshot, "series": evidence}
    by_cap: dict[str, dict] = {}
    for row in snapshot.get("series", []):
        agg = by_cap.setdefault(row["capability"], {"invocations": 0, "errors": 0, "fallbacks": 0, "p95": None})
        agg["invocations"] += row["invocations"]
        agg["errors"] += row["errors"]
        agg["fallbacks"] += row["fallbacks"]
        if row.get("latency_p95_ms") is not None:
            agg["p95"] = max(agg["p95"] or 0, row["latency_p95_ms"])
    circuits = snapshot.get("circuits", {})
    try:
        region = settings.region()
    except ConfigurationError:
        region = None
    rows = []
    for cap in CAPABILITIES:
        endpoint = settings.endpoint(cap)
        circuit = next((st for name, st in circuits.items() if endpoint and name.split(":", 1)[-1] == endpoint),
                       "closed" if endpoint else "-")
        m = by_cap.get(cap, {})
        mode = modes.mode(cap) if settings.sagemaker_llm_enabled else Mode("off")  # the kill switch wins
        rows.append({"capability": cap, "mode": str(mode), "mode_source": modes.source(cap), "endpoint": endpoint,
                     "codec": settings.capability(cap).codec, "circuit": circuit,
                     "cache": settings.cache_enabled(cap), "invocations": m.get("invocations", 0),
                     "errors": m.get("errors", 0), "fallbacks": m.get("fallbacks", 0), "p95_ms": m.get("p95"),
                     "problems": _problems(settings, cap, region, mode.kind)})
    unreachable = [r["capability"] for r in rows if r["problems"]]
    warnings = [unknown_variable_message(name, hint) for name, hint in settings.unknown_variables()]
    header = {"kill_switch_enabled": settings.sagemaker_llm_enabled, "fallback": settings.sagemaker_llm_fallback,
              "region": region, "endpoint_url": settings.sagemaker_endpoint_url,
              "metrics_source": metrics_file or ("evidence store (24 h)" if evidence else
                                                 "process" if snapshot.get("series") else None),
              "state_dir": str(settings.state_dir()), "unreachable": unreachable, "warnings": warnings}
    store.close()
    if _json_mode(ctx):
        _emit_json({**header, "capabilities": rows})
    else:
        _print_table(settings, region, rows, header, Table)
    if unreachable:
        ctx.exit(2)


def _print_table(settings, region: Optional[str], rows: list[dict], header: dict, Table) -> None:
    console = _console()
    console.print(f"SAGEMAKER_LLM_ENABLED={str(settings.sagemaker_llm_enabled).lower()}  "
                  f"SAGEMAKER_LLM_FALLBACK={str(settings.sagemaker_llm_fallback).lower()}  "
                  f"region={region or '[red]not set (AWS_REGION)[/]'}"
                  + (f"  endpoint_url={settings.sagemaker_endpoint_url}" if settings.sagemaker_endpoint_url else ""))
    table = Table(title="Capabilities")
    for col in ("capability", "mode", "endpoint", "codec", "circuit", "cache", "calls", "errors", "fallbacks", "p95 ms"):
        table.add_column(col)
    for r in rows:
        mode_style = "red" if r["problems"] else {"off": "dim", "on": "green"}.get(r["mode"], "yellow")
        table.add_row(r["capability"], f"[{mode_style}]{r['mode']}[/]", r["endpoint"] or "[dim]-[/]", r["codec"],
                      r["circuit"], "on" if r["cache"] else "off", str(r["invocations"]), str(r["errors"]),
                      str(r["fallbacks"]), _fmt(r["p95_ms"]))
    console.print(table)
    for r in rows:
        if r["problems"]:
            console.print(f"[red]{r['capability']} is {r['mode']} but no call can reach SageMaker: "
                          f"{'; '.join(r['problems'])}[/]")
    if not header["metrics_source"]:
        console.print(f"[dim]{METRICS_HINT.format(state_dir=header['state_dir'])}[/]")


def _evidence_snapshot(store, window_s: float = 86400.0) -> list[dict]:
    """Per-capability counts and p95 of the last ``window_s`` from the evidence store (every worker's calls)."""
    import time

    from adeptai_sagemaker.rollout.gate import percentile

    if not store.exists():
        return []
    series = []
    for cap in store.capabilities():
        calls = store.calls(cap, since=time.time() - window_s)
        if not calls:
            continue
        latencies = [c["latency_ms"] for c in calls if c["latency_ms"] is not None]
        series.append({"capability": cap, "invocations": len(calls),
                       "errors": sum(c["outcome"] == "error" for c in calls),
                       "fallbacks": sum(c["outcome"] == "fallback" for c in calls),
                       "latency_p95_ms": percentile(latencies, 95)})
    return series
