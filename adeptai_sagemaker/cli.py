"""``adeptai-sagemaker``: serve, demo, run, status, cache, deploy, rollback, cost (+ bench, audit).

Why it behaves like this:
- Errors are one red line that says what to fix, never a traceback: exit 2
  for configuration and usage problems, 1 for everything else (``-v`` adds
  the traceback for the unexpected ones).
- ``-v`` turns on DEBUG for this package's loggers only. botocore and urllib3
  stay at WARNING because their DEBUG output includes request bodies, i.e.
  prompts with resume text (privacy rule: no candidate text in logs).
- ``--json`` gives machine output for the commands whose output is data.
- Rich consoles are created per call, so output goes wherever click's
  stdout/stderr point (tests use ``CliRunner``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from dataclasses import asdict
from typing import Any, Optional

import click

from .errors import AdeptSageMakerError, ConfigurationError, RegionNotAllowedError
from .tasks import CAPABILITIES

log = logging.getLogger("adeptai_sagemaker.cli")

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: Loggers that log request/response bodies at DEBUG: kept quiet even with -v.
_NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "httpx", "httpcore", "uvicorn.access")


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=True, width=None if is_tty else 160)


def _fix_for(exc: BaseException) -> Optional[str]:
    if isinstance(exc, RegionNotAllowedError):
        return "use a region listed in SAGEMAKER_ALLOWED_REGIONS, or have compliance extend that list"
    if isinstance(exc, ConfigurationError):
        return "set the variable named above (see MIGRATION.md and `adeptai-sagemaker status`)"
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "configure AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    if name == "NoRegionError":
        return "set AWS_REGION"
    if name in ("EndpointConnectionError", "ConnectionFailedError"):
        return "check SAGEMAKER_ENDPOINT_URL / network access to the endpoint"
    if isinstance(exc, AdeptSageMakerError):
        return "see `adeptai-sagemaker status`; with SAGEMAKER_LLM_FALLBACK=true callers get the legacy answer"
    return None


def _error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    fix = _fix_for(exc)
    return f"error: {text}" + (f" -- fix: {fix}" if fix else "")


def _print_error(message: str) -> None:
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]{escape(message)}[/]")


class AdeptGroup(click.Group):
    """A click group that turns every error into one red line and the right exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        argv = list(args) if args is not None else sys.argv[1:]
        verbose = any(a in ("-v", "--verbose") for a in argv)
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except ConfigurationError as exc:
            _print_error(_error_line(exc))
            code = 2
        except AdeptSageMakerError as exc:
            _print_error(_error_line(exc))
            code = 1
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.UsageError as exc:
            hint = f" -- fix: see `{exc.ctx.command_path} --help`" if exc.ctx else ""
            _print_error(f"error: {exc.format_message()}{hint}")
            code = 2
        except click.ClickException as exc:
            _print_error(f"error: {exc.format_message()}")
            code = exc.exit_code if exc.exit_code else 1
        except click.Abort:
            _print_error("aborted")
            code = 1
        except KeyboardInterrupt:
            _print_error("interrupted")
            code = 130
        except Exception as exc:  # unexpected: still one line, traceback only with -v
            if verbose:
                traceback.print_exc(file=sys.stderr)
            _print_error(_error_line(exc) + ("" if verbose else " (run with -v for details)"))
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _setup_logging(verbose: bool) -> None:
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pkg = logging.getLogger("adeptai_sagemaker")
    pkg.setLevel(logging.DEBUG)
    if not any(getattr(h, "_adeptai_cli", False) for h in pkg.handlers):
        handler._adeptai_cli = True  # type: ignore[attr-defined]
        pkg.addHandler(handler)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@click.group(cls=AdeptGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="DEBUG logging of this package to stderr (never request bodies).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output where it makes sense.")
@click.version_option(package_name="adeptai-sagemaker")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, as_json: bool) -> None:
    """Move AdeptAI's LLM work to SageMaker, module by module (see MIGRATION.md)."""
    _setup_logging(verbose)
    ctx.obj = {"json": as_json, "verbose": verbose}


def _json_mode(ctx: click.Context) -> bool:
    return bool((ctx.find_root().obj or {}).get("json"))


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` -> seconds."""
    match = _DURATION_RE.match(text or "")
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration; use e.g. 90s, 30m, 12h, 7d")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


# --------------------------------------------------------------------------- serve


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--endpoint", "endpoints", multiple=True, metavar="NAME=DIALECT",
              help="Serve endpoint NAME in DIALECT (tgi, lmi, messages, jumpstart, custom). Repeatable.")
@click.option("--default-dialect", default=None, help="Dialect for endpoint names not listed (default: tgi).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Server config file (endpoints, dialects, faults).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(host: str, port: int, endpoints: tuple[str, ...], default_dialect: Optional[str],
          config_file: Optional[str], log_level: str) -> None:
    """Run the local SageMaker endpoint / serving container (reference model) until Ctrl-C."""
    parsed: dict[str, str] = {}
    for item in endpoints:
        name, sep, dialect = item.partition("=")
        if not sep or not name.strip() or not dialect.strip():
            raise click.BadParameter(f"{item!r}: use NAME=DIALECT, e.g. adeptai-job-parser=tgi", param_hint="--endpoint")
        parsed[name.strip()] = dialect.strip()
    from .server.runner import serve as run_server

    if default_dialect is None and not config_file:
        default_dialect = "tgi"
    _console(stderr=True).print(f"serving on http://{host}:{port} (reference model; Ctrl-C to stop)")
    run_server(host=host, port=port, endpoints=parsed or None, default_dialect=default_dialect,
               config_file=config_file, log_level=log_level)


# --------------------------------------------------------------------------- demo


def _summarize_output(output: Any) -> str:
    if isinstance(output, dict):
        keys = list(output)[:6]
        parts = []
        for key in keys:
            value = output[key]
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value[:4]) + (" ..." if len(value) > 4 else "")
            elif isinstance(value, dict):
                value = "{" + ", ".join(list(map(str, value))[:4]) + "}"
            text = str(value)
            parts.append(f"{key}: {text[:70]}{'...' if len(text) > 70 else ''}")
        return "\n".join(parts)
    text = str(output)
    return text[:300] + ("..." if len(text) > 300 else "")


def _metrics_table(snapshot: dict, title: str = "Metrics"):
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("capability", "endpoint", "calls", "ok", "fallback", "error", "retries", "p50 ms", "p95 ms",
                "p99 ms", "cache hit", "tokens in/out", "circuit"):
        table.add_column(col)
    for row in snapshot.get("series", []):
        table.add_row(row["capability"], row["endpoint"], str(row["invocations"]), str(row["successes"]),
                      str(row["fallbacks"]), str(row["errors"]), str(row["retries"]),
                      _fmt(row["latency_p50_ms"]), _fmt(row["latency_p95_ms"]), _fmt(row["latency_p99_ms"]),
                      f"{row['cache_hit_rate']:.0%}", f"{row['input_tokens']}/{row['output_tokens']}",
                      row.get("circuit_state") or "closed")
    return table


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}"


@cli.command()
@click.option("--endpoint-url", default=None, help="Use this runtime URL instead of starting a local endpoint.")
@click.option("--no-adapters", is_flag=True, help="Call every capability through Framework.call only.")
@click.pass_context
def demo(ctx: click.Context, endpoint_url: Optional[str], no_adapters: bool) -> None:
    """Run all eight capabilities once against the reference model (offline; no AWS account needed)."""
    from rich.panel import Panel

    from .demo import run_demo

    as_json = _json_mode(ctx)
    console = _console()

    def show(result) -> None:
        if as_json:
            return
        status = "[green]answered by the model[/]" if result.answered_by_model else f"[red]{result.error or result.outcome}[/]"
        header = (f"via {result.via} -> backend {result.backend or '-'} @ {result.endpoint or '-'}"
                  f" ({result.model_version or 'model version n/a'}), {result.latency_ms} ms")
        body = header + "\n" + (_summarize_output(result.output) if result.ok else "")
        console.print(Panel(body, title=f"{result.capability}: {status}", expand=False))

    report = run_demo(endpoint_url, use_adapters=not no_adapters, on_result=show)
    if as_json:
        _emit_json({"endpoint_url": report.endpoint_url, "local": report.local, "ok": report.ok,
                    "results": [asdict(r) for r in report.results], "metrics": report.metrics})
    else:
        console.print(_metrics_table(report.metrics, title="Metrics summary (this demo)"))
        answered = sum(r.answered_by_model for r in report.results)
        colour = "green" if report.ok else "red"
        console.print(f"[{colour}]{answered}/{len(report.results)} capabilities answered by the model at "
                      f"{report.endpoint_url}{' (local reference endpoint)' if report.local else ''}[/]")
    if not report.ok:
        ctx.exit(1)


# --------------------------------------------------------------------------- run


@cli.command("run")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--input", "input_file", type=click.File("r"), default="-", show_default=True,
              help="Input JSON file ('-' = stdin).")
@click.option("--backend", default="sagemaker", show_default=True, help="Backend to run on (sagemaker, openai, ...).")
@click.option("--endpoint-url", default=None, help="Runtime URL override (e.g. a running `serve`).")
def run_cmd(capability: str, input_file, backend: str, endpoint_url: Optional[str]) -> None:
    """Run CAPABILITY on input JSON and print the validated output JSON.

    With no SageMaker endpoint configured for it, the local endpoint and the
    reference model answer (started for this command, like `demo`).
    """
    raw = input_file.read()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise click.BadParameter(f"input is not JSON ({exc.msg} at line {exc.lineno})", param_hint="--input") from None
    from .settings import load_settings

    settings = load_settings()
    configured = bool(settings.endpoint(capability)) and backend == "sagemaker"
    if endpoint_url or not configured and backend == "sagemaker":
        from .demo import build_framework, local_or_configured_endpoint

        with local_or_configured_endpoint(endpoint_url) as (url, _local):
            fw = build_framework(url, capabilities=(capability,))
            try:
                output = fw.invoke(capability, data)
            finally:
                fw.close()
    else:
        from .framework import Framework

        fw = Framework(settings, cache=False)
        try:
            output = fw.invoke(capability, data, backend=backend)
        finally:
            fw.close()
    click.echo(json.dumps(output.model_dump(mode="json"), indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- status


@cli.command()
@click.option("--metrics", "metrics_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A MetricsRecorder snapshot JSON (recorder.write_snapshot) to show live metrics from.")
@click.pass_context
def status(ctx: click.Context, metrics_file: Optional[str]) -> None:
    """Every capability's mode, endpoint, codec, circuit state and metrics."""
    from rich.table import Table

    from .settings import load_settings

    settings = load_settings()
    snapshot: dict = {"series": [], "circuits": {}}
    if metrics_file:
        with open(metrics_file, encoding="utf-8") as fh:
            snapshot = json.load(fh)
    else:
        from .framework import _default  # the process-wide framework, only if one exists already

        if _default is not None:
            for plugin in _default.pm.get_plugins():
                if hasattr(plugin, "snapshot") and hasattr(plugin, "on_call_finished"):
                    snapshot = plugin.snapshot()
                    break
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
        rows.append({"capability": cap, "mode": str(settings.mode(cap)), "endpoint": endpoint,
                     "codec": settings.capability(cap).codec, "circuit": circuit,
                     "cache": settings.cache_enabled(cap), "invocations": m.get("invocations", 0),
                     "errors": m.get("errors", 0), "fallbacks": m.get("fallbacks", 0), "p95_ms": m.get("p95")})
    try:
        region = settings.region()
    except ConfigurationError:
        region = None
    header = {"kill_switch_enabled": settings.sagemaker_llm_enabled, "fallback": settings.sagemaker_llm_fallback,
              "region": region, "endpoint_url": settings.sagemaker_endpoint_url,
              "metrics_source": metrics_file or ("process" if snapshot.get("series") else None)}
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


# --------------------------------------------------------------------------- cache


@cli.group()
def cache() -> None:
    """Inspect and prune the response cache (ADEPTAI_SAGEMAKER_CACHE_DIR)."""


def _open_cache():
    from .cache import ResponseCache
    from .settings import load_settings

    settings = load_settings()
    return ResponseCache(settings.cache_dir(), settings.adeptai_sagemaker_cache_size_mb * 2**20,
                         settings.adeptai_sagemaker_cache_key)


@cache.command("stats")
@click.pass_context
def cache_stats(ctx: click.Context) -> None:
    """Entries, size and location of the cache."""
    rc = _open_cache()
    try:
        stats = rc.stats()
    finally:
        rc.close()
    if _json_mode(ctx):
        _emit_json(stats)
    else:
        _console().print(f"{stats['entries']} entries, {stats['size_bytes'] / 1024:.1f} KiB in {stats['directory']}"
                         f" ({'encrypted' if stats['encrypted'] else 'not encrypted'})")


@cache.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def cache_clear(ctx: click.Context, yes: bool) -> None:
    """Delete every cached answer."""
    if not yes:
        click.confirm("Delete every cached answer?", abort=True)
    rc = _open_cache()
    try:
        removed = rc.clear()
    finally:
        rc.close()
    _emit_json({"removed": removed}) if _json_mode(ctx) else _console().print(f"removed {removed} entries")


@cache.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age, e.g. 90s, 30m, 12h, 7d.")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Only this capability's entries (repeatable).")
@click.pass_context
def cache_purge(ctx: click.Context, older_than: str, capabilities: tuple[str, ...]) -> None:
    """Delete entries stored longer ago than --older-than (retention)."""
    seconds = parse_duration(older_than)
    rc = _open_cache()
    try:
        removed = rc.purge(older_than_s=seconds, capabilities=capabilities or None)
    finally:
        rc.close()
    if _json_mode(ctx):
        _emit_json({"removed": removed, "older_than_s": seconds, "capabilities": list(capabilities)})
    else:
        _console().print(f"removed {removed} entries older than {older_than}"
                         + (f" ({', '.join(capabilities)})" if capabilities else ""))


# --------------------------------------------------------------------------- deploy / rollback


def _progress_runner(total: int, description: str):
    """A rich progress bar advanced by deploy's on_progress(step, detail) callbacks."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=_console(stderr=True), transient=False)
    task = progress.add_task(description, total=total)

    def on_progress(step: str, detail: str) -> None:
        progress.update(task, description=f"{step}: {detail}", advance=1)

    return progress, on_progress


def _resolve_region(region: Optional[str]):
    from .settings import load_settings

    settings = load_settings()
    return settings, region or settings.region()


@cli.command()
@click.option("--plan-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON DeploymentPlan (variants, async, autoscaling, alarms); overrides the flags below.")
@click.option("--endpoint-name", default=None, help="Endpoint to create or update.")
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--image", default=None, help="Container image URI (TGI or LMI DLC, or your BYOC image).")
@click.option("--role-arn", default=None, help="SageMaker execution role ARN.")
@click.option("--container", type=click.Choice(["tgi", "lmi"]), default="tgi", show_default=True)
@click.option("--model-id", default=None, help="HF_MODEL_ID, e.g. meta-llama/Llama-3.1-8B-Instruct.")
@click.option("--model-data", default=None, help="s3://.../model.tar.gz (optional).")
@click.option("--instance-type", default="ml.g5.2xlarge", show_default=True)
@click.option("--instance-count", default=1, show_default=True, type=int)
@click.option("--num-gpus", default=1, show_default=True, type=int, help="SM_NUM_GPUS / tensor parallel degree.")
@click.option("--max-input-length", default=4096, show_default=True, type=int)
@click.option("--max-total-tokens", default=8192, show_default=True, type=int)
@click.option("--hf-token-env", default="HF_TOKEN", show_default=True,
              help="Name of the env var holding the Hugging Face token (never pass tokens as arguments).")
@click.option("--async-output", default=None, help="s3:// path: deploy as an async inference endpoint.")
@click.option("--success-topic", default=None, help="SNS topic ARN for async successes.")
@click.option("--error-topic", default=None, help="SNS topic ARN for async errors.")
@click.option("--alarm-topic", default=None, help="SNS topic ARN for the CloudWatch alarms.")
@click.option("--no-autoscaling", is_flag=True)
@click.option("--no-alarms", is_flag=True)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--no-wait", is_flag=True, help="Do not wait for InService (autoscaling still needs it).")
@click.pass_context
def deploy(ctx: click.Context, plan_file, endpoint_name, region, image, role_arn, container, model_id, model_data,
           instance_type, instance_count, num_gpus, max_input_length, max_total_tokens, hf_token_env, async_output,
           success_topic, error_topic, alarm_topic, no_autoscaling, no_alarms, dry_run, no_wait) -> None:
    """Create or update an endpoint with autoscaling and alarms (see --dry-run)."""
    import os

    from .deploy import AlarmSpec, AsyncSpec, AutoscalingSpec, DeploymentPlan, check_region, lmi_env, tgi_env

    settings, region = _resolve_region(region)
    if plan_file:
        with open(plan_file, encoding="utf-8") as fh:
            plan = DeploymentPlan.from_dict({"region": region, **json.load(fh)})
    else:
        missing = [name for name, value in (("--endpoint-name", endpoint_name), ("--image", image),
                                            ("--role-arn", role_arn), ("--model-id", model_id)) if not value]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)} (or pass --plan-file)")
        token = os.environ.get(hf_token_env) or None
        if container == "tgi":
            env = tgi_env(model_id, hf_token=token, num_gpus=num_gpus, max_input_length=max_input_length,
                          max_total_tokens=max_total_tokens)
        else:
            env = lmi_env(model_id, hf_token=token, tensor_parallel_degree=num_gpus,
                          max_model_len=max_total_tokens)
        plan = DeploymentPlan.single(
            endpoint_name, region, image_uri=image, role_arn=role_arn, env=env, instance_type=instance_type,
            instance_count=instance_count, model_data_url=model_data,
            async_inference=AsyncSpec(async_output, success_topic_arn=success_topic, error_topic_arn=error_topic)
            if async_output else None,
            autoscaling=None if no_autoscaling else AutoscalingSpec(),
            alarms=None if no_alarms else AlarmSpec(sns_topic_arn=alarm_topic))
    check_region(plan.region, settings)
    if dry_run:
        text = plan.plan()
        _emit_json({"dry_run": True, "plan": text.splitlines()}) if _json_mode(ctx) else _console().print(text)
        return
    total = (len(plan.variants) + 3 + len(plan.scaling_requests()) + len(plan.alarm_requests())
             + (len(plan.variants) if plan.autoscaling else 0))
    progress, on_progress = _progress_runner(total, f"deploying {plan.endpoint_name}")
    with progress:
        result = plan.apply(settings, on_progress=on_progress, wait=not no_wait)
    if _json_mode(ctx):
        _emit_json(asdict(result))
    else:
        _console().print(f"[green]endpoint {result.endpoint_name} {'created' if result.created else 'updated'} "
                         f"on {result.endpoint_config}[/]"
                         + (f" (rollback target: {result.previous_config})" if result.previous_config else ""))


@cli.command()
@click.argument("endpoint_name")
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--no-wait", is_flag=True)
@click.pass_context
def rollback(ctx: click.Context, endpoint_name: str, region: Optional[str], no_wait: bool) -> None:
    """Switch ENDPOINT_NAME back to its previous endpoint config.

    To take traffic off SageMaker entirely instead, set SAGEMAKER_LLM_ENABLED=false
    (or the module's SAGEMAKER_<STEM>_MODE=off) in the monolith's environment.
    """
    from .deploy import rollback as do_rollback

    settings, region = _resolve_region(region)
    progress, on_progress = _progress_runner(6, f"rolling back {endpoint_name}")
    with progress:
        before, after = do_rollback(endpoint_name, region, settings, on_progress=on_progress, wait=not no_wait)
    if _json_mode(ctx):
        _emit_json({"endpoint_name": endpoint_name, "from": before, "to": after})
    else:
        _console().print(f"[green]{endpoint_name}: {before} -> {after}[/]")


# --------------------------------------------------------------------------- cost


@cli.command()
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Capabilities to price (default: all).")
@click.option("--instance-type", default="ml.g5.xlarge", show_default=True)
@click.option("--instance-count", default=1, show_default=True, type=int, help="Minimum instances (always on).")
@click.option("--throughput", type=float, default=None,
              help="Requests/s ONE instance sustains for this work (from `adeptai-sagemaker bench`). Default 1.0, assumed.")
@click.option("--utilization", default=0.7, show_default=True, type=float, help="Target utilization (0..1].")
@click.option("--input-tokens", type=float, default=None, help="Input tokens per request (default: planning estimate).")
@click.option("--output-tokens", type=float, default=None, help="Output tokens per request (default: planning estimate).")
@click.option("--api-model", default="gpt-4o-mini", show_default=True, type=click.Choice(["gpt-4o-mini", "claude-sonnet-4"]))
@click.option("--prices-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON {\"prices\": {instance_type: usd_per_hour}} overriding the shipped list prices.")
@click.pass_context
def cost(ctx: click.Context, capabilities, instance_type, instance_count, throughput, utilization, input_tokens,
         output_tokens, api_model, prices_file) -> None:
    """SageMaker (amortized instance-hours) vs API (per token) cost, and break-even traffic per capability."""
    from rich.table import Table

    from .cost import PLANNING_TOKENS, CostModel, load_prices

    if not 0 < utilization <= 1:
        raise click.BadParameter("must be in (0, 1]", param_hint="--utilization")
    assumed = throughput is None
    throughput = 1.0 if throughput is None else throughput
    if throughput <= 0:
        raise click.BadParameter("must be > 0", param_hint="--throughput")
    prices = load_prices(prices_file)
    rows = []
    for cap in capabilities or CAPABILITIES:
        tin, tout = PLANNING_TOKENS[cap]
        model = CostModel(instance_type, throughput, input_tokens if input_tokens is not None else tin,
                          output_tokens if output_tokens is not None else tout, instance_count, utilization,
                          api_model, capability=cap)
        rows.append({**model.summary(prices), "input_tokens": model.input_tokens, "output_tokens": model.output_tokens})
    if _json_mode(ctx):
        _emit_json({"throughput_assumed": assumed, "rows": rows})
        return
    console = _console()
    first = rows[0]
    console.print(f"{instance_type} x{instance_count}: ${first['price_per_hour_usd']:.3f}/h list price, "
                  f"${first['monthly_endpoint_cost_usd']:,.0f}/month always on; {throughput:g} req/s per instance "
                  f"at {utilization:.0%} utilization" + (" [yellow](throughput assumed: pass --throughput from bench)[/]"
                                                        if assumed else ""))
    table = Table(title=f"SageMaker vs {api_model}")
    for col in ("capability", "tokens in/out", "SageMaker $/req", f"{api_model} $/req", "break-even req/month",
                "sustained break-even"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["capability"], f"{r['input_tokens']:g}/{r['output_tokens']:g}",
                      f"{r['sagemaker_cost_per_request_usd']:.6f}", f"{r['api_cost_per_request_usd']:.6f}",
                      _count(r["break_even_requests_per_month"]), _count(r["sustained_break_even_requests_per_month"]))
    console.print(table)
    console.print("[dim]list prices to verify (see adeptai_sagemaker/data/instance_prices.json); token counts are "
                  "planning estimates unless passed; 'never' = the API stays cheaper at this throughput[/]")


def _count(value: Optional[float]) -> str:
    return "never" if value is None else f"{value:,.0f}"


# --------------------------------------------------------------------------- commands owned by others

try:  # pragma: no cover - depends on another engineer's module
    from .bench.cli import bench as _bench

    cli.add_command(_bench, "bench")
except ImportError:
    pass

try:  # pragma: no cover - depends on another engineer's module
    from .compliance.cli import audit as _audit

    cli.add_command(_audit, "audit")
except ImportError:
    pass


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point (``adeptai-sagemaker``)."""
    cli.main(args=argv, prog_name="adeptai-sagemaker")


if __name__ == "__main__":  # pragma: no cover
    main()
