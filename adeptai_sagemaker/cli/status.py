"""``status``: what each module would do now, and the metrics recorded so far."""

from __future__ import annotations

import json
from typing import Optional

import click

from ..errors import ConfigurationError
from ..tasks import CAPABILITIES
from ._base import _console, _emit_json, _fmt, _json_mode, cli


# --------------------------------------------------------------------------- status


@cli.command()
@click.option("--metrics", "metrics_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A MetricsRecorder snapshot JSON (recorder.write_snapshot) to show live metrics from.")
@click.pass_context
def status(ctx: click.Context, metrics_file: Optional[str]) -> None:
    """Every capability's mode, endpoint, codec, circuit state and metrics."""
    from rich.table import Table

    from ..settings import load_settings

    settings = load_settings()
    snapshot: dict = {"series": [], "circuits": {}}
    if metrics_file:
        with open(metrics_file, encoding="utf-8") as fh:
            snapshot = json.load(fh)
    else:
        from ..framework import _default  # the process-wide framework, only if one exists already

        if _default is not None:
            for plugin in _default.pm.get_plugins():
                if hasattr(plugin, "snapshot") and hasattr(plugin, "on_call_finished"):
                    snapshot = plugin.snapshot()
                    break
    from ..evidence import store_for
    from ..live_mode import EnvModeSource, StateModeSource

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
    rows = []
    for cap in CAPABILITIES:
        endpoint = settings.endpoint(cap)
        circuit = next((st for name, st in circuits.items() if endpoint and name.split(":", 1)[-1] == endpoint),
                       "closed" if endpoint else "-")
        m = by_cap.get(cap, {})
        mode = str(modes.mode(cap)) if settings.sagemaker_llm_enabled else "off"  # the kill switch wins
        rows.append({"capability": cap, "mode": mode, "mode_source": modes.source(cap), "endpoint": endpoint,
                     "codec": settings.capability(cap).codec, "circuit": circuit,
                     "cache": settings.cache_enabled(cap), "invocations": m.get("invocations", 0),
                     "errors": m.get("errors", 0), "fallbacks": m.get("fallbacks", 0), "p95_ms": m.get("p95")})
    try:
        region = settings.region()
    except ConfigurationError:
        region = None
    header = {"kill_switch_enabled": settings.sagemaker_llm_enabled, "fallback": settings.sagemaker_llm_fallback,
              "region": region, "endpoint_url": settings.sagemaker_endpoint_url,
              "metrics_source": metrics_file or ("evidence store (24 h)" if evidence else
                                                 "process" if snapshot.get("series") else None)}
    store.close()
    if _json_mode(ctx):
        _emit_json({**header, "capabilities": rows})
        return
    console = _console()
    console.print(f"SAGEMAKER_LLM_ENABLED={str(settings.sagemaker_llm_enabled).lower()}  "
                  f"SAGEMAKER_LLM_FALLBACK={str(settings.sagemaker_llm_fallback).lower()}  "
                  f"region={region or '[red]not set (AWS_REGION)[/]'}"
                  + (f"  endpoint_url={settings.sagemaker_endpoint_url}" if settings.sagemaker_endpoint_url else ""))
    table = Table(title="Capabilities")
    for col in ("capability", "mode", "endpoint", "codec", "circuit", "cache", "calls", "errors", "fallbacks", "p95 ms"):
        table.add_column(col)
    for r in rows:
        mode_style = {"off": "dim", "on": "green"}.get(r["mode"], "yellow")
        table.add_row(r["capability"], f"[{mode_style}]{r['mode']}[/]", r["endpoint"] or "[dim]-[/]", r["codec"],
                      r["circuit"], "on" if r["cache"] else "off", str(r["invocations"]), str(r["errors"]),
                      str(r["fallbacks"]), _fmt(r["p95_ms"]))
    console.print(table)
    if not header["metrics_source"]:
        console.print("[dim]no live metrics in this process; pass --metrics SNAPSHOT.json "
                      "(MetricsRecorder.write_snapshot) to show a running service's numbers[/]")


def _evidence_snapshot(store, window_s: float = 86400.0) -> list[dict]:
    """Per-capability counts and p95 of the last ``window_s`` from the evidence store (every worker's calls)."""
    import time

    from ..gate import percentile

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
