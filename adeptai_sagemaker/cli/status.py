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
  with its source, as ``core/routing.py`` decides it; a kill switch wins, and
  the status says which one (``host``: this env's ``SAGEMAKER_LLM_ENABLED=false``,
  ``fleet``: ``adeptai-sagemaker kill on``).
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

    from adeptai_sagemaker.core.routing import ModeResolver
    from adeptai_sagemaker.core.settings import load_settings, unknown_variable_message
    from adeptai_sagemaker.rollout.reachability import config_problems
    from adeptai_sagemaker.rollout.state import store_for

    settings = load_settings()
    snapshot: dict = {"series": [], "circuits": {}}
    if metrics_file:
        with open(metrics_file, encoding="utf-8") as fh:
            snapshot = json.load(fh)
    else:
        from adeptai_sagemaker.core.framework import _default  # the process-wide framework, only if one exists already

        if _default is not None:
            snapshot = _default.metrics.snapshot()
    store = store_for(settings)  # live modes, the fleet kill switch, and the evidence every worker records
    modes = ModeResolver(settings, store, poll=False)  # the one place that decides a module's mode
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
        resolution = modes.resolve(cap)
        mode = resolution.mode
        rows.append({"capability": cap, "mode": str(mode), "mode_source": resolution.source, "endpoint": endpoint,
                     "codec": settings.capability(cap).codec, "circuit": circuit,
                     "cache": settings.cache_enabled(cap), "invocations": m.get("invocations", 0),
                     "errors": m.get("errors", 0), "fallbacks": m.get("fallbacks", 0), "p95_ms": m.get("p95"),
                     "problems": [] if mode.kind == "off" else config_problems(settings, cap)})
    unreachable = [r["capability"] for r in rows if r["problems"]]
    warnings = [unknown_variable_message(name, hint) for name, hint in settings.unknown_variables()]
    kill_switch = modes.resolve(CAPABILITIES[0]).switch  # the same for every module: "host", "fleet" or None
    header = {"kill_switch_enabled": settings.sagemaker_llm_enabled, "kill_switch": kill_switch,
              "fallback": settings.sagemaker_llm_fallback,
              "region": region, "endpoint_url": settings.sagemaker_endpoint_url,
              "metrics_source": metrics_file or ("evidence store (24 h)" if evidence else
                                                 "process" if snapshot.get("series") else None),
              "state_dir": str(settings.state_dir()), "store": store.describe(), "unreachable": unreachable,
              "warnings": warnings}
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
    if header["kill_switch"]:
        console.print(f"[red]the {header['kill_switch']} kill switch is engaged: every module is off"
                      + (" on this host (SAGEMAKER_LLM_ENABLED=false)" if header["kill_switch"] == "host"
                         else " on every host (`adeptai-sagemaker kill off` releases it)") + "[/]")
    for r in rows:
        if r["problems"]:
            console.print(f"[red]{r['capability']} is {r['mode']} but no call can reach SageMaker: "
                          f"{'; '.join(r['problems'])}[/]")
    if not header["metrics_source"]:
        console.print(f"[dim]{METRICS_HINT.format(state_dir=header['state_dir'])}[/]")


def _evidence_snapshot(store, window_s: float = 86400.0) -> list[dict]:
    """Per-capability counts and p95 of the last ``window_s`` from the state store (every worker's calls)."""
    import time

    from adeptai_sagemaker.rollout.state.pooling import percentile

    if not store.exists():
        return []
    series = []
    for cap, agg in sorted(store.recent(time.time() - window_s).items()):
        if not agg.count("calls"):
            continue
        series.append({"capability": cap, "invocations": int(agg.count("calls")), "errors": int(agg.count("errors")),
                       "fallbacks": int(agg.count("fell_back")),
                       "latency_p95_ms": percentile(agg.histograms.get("latency", {}), 95)})
    return series
