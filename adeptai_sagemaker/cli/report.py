"""``report``: the migration report (markdown, with PNG charts where there is evidence to draw) from the evidence.

An ``--out`` that cannot be created or written is a usage error named before anything is read (exit 2).
"""

from __future__ import annotations

import sqlite3

import click

from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import UsageProblem, _console, _emit_json, _json_mode, cli, json_option


@cli.command()
@click.option("--out", "out_dir", default="migration-report", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report.md and, where there is evidence to draw, latency.png and "
                   "agreement_<module>.png.")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Modules to include (default: every module with evidence or a stored mode).")
@click.option("--instance-type", default="ml.g5.xlarge", show_default=True, help="For the cost per 1,000 calls.")
@click.option("--throughput", type=float, default=1.0, show_default=True,
              help="Requests/s one instance sustains (from `adeptai-sagemaker bench`); 1.0 is an assumption.")
@json_option
@click.pass_context
def report(ctx: click.Context, out_dir: str, capabilities, instance_type: str, throughput: float) -> None:
    """Per module: mode, gate verdict and why, per-field agreement, latency, cost, fallbacks (needs matplotlib).

    Always writes report.md; the latency chart needs recorded latencies and a module's agreement chart needs
    shadow comparisons, so with no evidence yet the report is report.md alone. The files written are listed.
    """
    import importlib.util

    _check_writable(out_dir)
    if importlib.util.find_spec("matplotlib") is None:  # an optional extra, not part of this repo
        raise click.ClickException("report draws charts with matplotlib: pip install 'adeptai-sagemaker[report]'") from None
    from adeptai_sagemaker.rollout.state import store_error, store_for
    from adeptai_sagemaker.rollout.report import write_report
    from adeptai_sagemaker.rollout.state import StoreUnavailableError
    from adeptai_sagemaker.core.settings import load_settings

    if throughput <= 0:
        raise click.BadParameter("must be > 0", param_hint="--throughput")
    settings = load_settings()
    store = store_for(settings)
    try:
        result = write_report(store, settings, out_dir, capabilities=list(capabilities) or None,
                              instance_type=instance_type, throughput_rps=throughput)
    except (sqlite3.Error, StoreUnavailableError) as exc:
        raise click.ClickException(store_error(store, exc)) from None
    finally:
        store.close()
    if _json_mode(ctx):
        _emit_json(result)
        return
    console = _console()
    if not result["summaries"]:
        console.print(f"[yellow]no evidence recorded yet in {store.describe()}[/]")
    for s in result["summaries"]:
        console.print(f"{s['capability']}: {s['mode']} -> gate {s['decision']['verdict']} {s['decision']['to_mode']}")
    console.print(f"wrote {', '.join(result['files'])} to {result['out']}")


def _check_writable(out_dir: str) -> None:
    """Create ``out_dir`` and prove a file can be written there, or stop with a usage error that says so."""
    import os
    import tempfile
    from pathlib import Path

    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise UsageProblem(f"--out {out_dir}: cannot write there ({exc.strerror or type(exc).__name__})",
                           fix=f"pass --out a folder you can write, e.g. --out {os.path.join('.', 'migration-report')}"
                           ) from None
