"""``adeptai-sagemaker audit ...``: the bias gate and the audit trail, from the command line.

``audit bias`` exits 0 when every threshold holds, 1 when one is crossed (so
a CI job can gate a rollout phase on it) and 2 when the audit could not run.
The main CLI adds this group with ``cli.add_command(audit)``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
from typing import Optional

import click

from adeptai_sagemaker.compliance.bias import SCORING_CAPABILITIES, Thresholds, framework_scorer, run_bias_audit

EXIT_FAILED = 1
EXIT_ERROR = 2


@click.group("audit")
def audit() -> None:
    """Compliance checks: counterfactual bias audit and the call audit trail."""


def _load_callable(spec: str):
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise click.BadParameter("use module.path:function", param_hint="--callable")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise click.BadParameter(f"{spec} is not callable", param_hint="--callable")
    return obj


@audit.command("bias")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(SCORING_CAPABILITIES),
              help="Capability to audit (repeatable; default: all three scoring capabilities).")
@click.option("--backend", default="sagemaker", show_default=True,
              help="Framework backend: sagemaker (endpoints from env) or a registered plugin backend.")
@click.option("--local", "use_local", is_flag=True,
              help="Start the local endpoint (reference model) and audit through it via the sagemaker backend.")
@click.option("--callable", "callable_spec", default=None, metavar="MODULE:FUNC",
              help="Audit a plain callable (capability, request) -> output instead of a backend (e.g. legacy code).")
@click.option("--probes", "probes_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON probe file (default: the built-in probe set).")
@click.option("--attribute", "attributes", multiple=True, help="Only these attributes (repeatable).")
@click.option("--threshold", default="50", show_default=True,
              help="Selection cut-off on 0..100 for selection rates (four-fifths rule), or 'median'.")
@click.option("--max-mean-delta", type=float, default=Thresholds.max_mean_delta, show_default=True)
@click.option("--max-flip-rate", type=float, default=Thresholds.max_flip_rate, show_default=True)
@click.option("--min-selection-ratio", type=float, default=Thresholds.min_selection_ratio, show_default=True)
@click.option("--max-error-rate", type=float, default=Thresholds.max_error_rate, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="bias-audit", show_default=True,
              help="Directory for bias_report.md, bias_report.png and bias_result.json.")
def bias_cmd(capabilities, backend, use_local, callable_spec, probes_file, attributes, threshold, max_mean_delta,
             max_flip_rate, min_selection_ratio, max_error_rate, workers, out_dir) -> None:
    """Counterfactual bias audit; exit 1 when a threshold is crossed."""
    from adeptai_sagemaker.compliance.probes import ProbeSet, ProbeSetError

    caps = list(capabilities) or list(SCORING_CAPABILITIES)
    if threshold.strip().lower() != "median":
        try:
            threshold = float(threshold)
        except ValueError:
            raise click.BadParameter("a number on 0..100 or 'median'", param_hint="--threshold") from None
    thresholds = Thresholds(max_mean_delta, max_flip_rate, min_selection_ratio, max_error_rate)
    try:
        probes = ProbeSet.load(probes_file)
    except (ProbeSetError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    with contextlib.ExitStack() as stack:
        try:
            if callable_spec:
                scorer, label = _load_callable(callable_spec), f"callable:{callable_spec}"
            else:
                fw = stack.enter_context(_framework(caps, use_local))
                scorer, label = framework_scorer(fw, backend), ("local-endpoint" if use_local else backend)
            result = run_bias_audit(scorer, capabilities=caps, probes=probes, attributes=list(attributes) or None,
                                    threshold=threshold, thresholds=thresholds, backend_label=label,
                                    workers=workers)
        except (click.ClickException, click.BadParameter):
            raise
        except Exception as exc:
            click.echo(f"error: could not run the audit: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    paths = result.write(out_dir)
    for cap in result.capabilities:
        worst = max(cap.disparities, key=lambda d: d.mean_abs_delta, default=None)
        click.echo(f"{cap.capability}: {cap.calls} calls, {cap.errors} errors"
                   + (f", largest mean |delta| {worst.mean_abs_delta:.2f} ({worst.dimension})" if worst else ""))
    for v in result.violations:
        click.echo(f"VIOLATION {v}")
    click.echo(f"{'PASS' if result.passed else 'FAIL'}: report {paths['markdown']}, chart {paths['chart']}")
    sys.exit(0 if result.passed else EXIT_FAILED)


@contextlib.contextmanager
def _framework(capabilities: list[str], use_local: bool):
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    if not use_local:
        fw = Framework(load_settings(), cache=False)
        try:
            yield fw
        finally:
            fw.close()
        return
    from adeptai_sagemaker.cli.lab_hook import require_lab
    LocalEndpoint = require_lab("server.runner", '`audit bias --local`').LocalEndpoint

    with LocalEndpoint(default_dialect="tgi") as ep:  # loopback: the runtime signs with dummy keys of its own
        settings = load_settings(env_file=None, sagemaker_endpoint_url=ep.url,
                                 capabilities={c: {"endpoint": "bias-audit-reference", "mode": "on"}
                                               for c in capabilities})
        fw = Framework(settings, cache=False, load_entrypoints=False)
        try:
            yield fw
        finally:
            fw.close()


# --------------------------------------------------------------------------- audit trail


@audit.group("trail")
def trail() -> None:
    """Query or export the append-only call audit trail (ADEPTAI_SAGEMAKER_AUDIT_LOG)."""


def _open_trail(log_path: Optional[str]):
    from adeptai_sagemaker.compliance.audit_trail import AuditTrail

    if not log_path:
        from adeptai_sagemaker.core.settings import load_settings

        log_path = load_settings().adeptai_sagemaker_audit_log
    if not log_path:
        raise click.UsageError("no audit log: pass --log PATH or set ADEPTAI_SAGEMAKER_AUDIT_LOG")
    import os

    if not os.path.exists(log_path):
        raise click.UsageError(f"audit log {log_path} does not exist")
    return AuditTrail(log_path)


def _filters(f):
    f = click.option("--log", "log_path", default=None, help="Audit log path (default: ADEPTAI_SAGEMAKER_AUDIT_LOG).")(f)
    f = click.option("--capability", default=None)(f)
    f = click.option("--since", default=None, help="ISO time, epoch seconds, or a duration ago (24h, 7d).")(f)
    f = click.option("--until", default=None, help="ISO time, epoch seconds, or a duration ago.")(f)
    f = click.option("--outcome", type=click.Choice(["success", "fallback", "error"]), default=None)(f)
    f = click.option("--input-hash", default=None, help="SHA-256 of a request (CallRecord.input_hash).")(f)
    return f


@trail.command("query")
@_filters
@click.option("--limit", type=click.IntRange(1), default=None)
def trail_query(log_path, capability, since, until, outcome, input_hash, limit) -> None:
    """Print matching records as JSON lines, oldest first."""
    at = _open_trail(log_path)
    try:
        rows = at.query(capability=capability, since=since, until=until, outcome=outcome, input_hash=input_hash,
                        limit=limit)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        at.close()
    for row in rows:
        click.echo(json.dumps(row, sort_keys=True))


@trail.command("export")
@_filters
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), help="JSON lines file to write.")
def trail_export(log_path, capability, since, until, outcome, input_hash, out_file) -> None:
    """Export matching records as JSON lines."""
    at = _open_trail(log_path)
    try:
        count = at.export(out_file, capability=capability, since=since, until=until, outcome=outcome,
                          input_hash=input_hash)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        at.close()
    click.echo(f"exported {count} records to {out_file}")
