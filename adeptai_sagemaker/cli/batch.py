"""``batch``: one capability over a JSON-lines file, real-time or async, resumable.

Why it behaves like this:
- A setup problem (no region, no credentials, no endpoint) stops the run
  before the first record, exit 2 (``ops/batch.preflight``); a loopback
  ``--endpoint-url`` (``serve``) needs no AWS setup at all.
- The exit code and the summary count every error line the output holds
  after the run, those kept from earlier runs included: exit 0 means the
  output is all answers.
- Ctrl-C prints the exact command that resumes the run (``rerun_command``).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Optional

import click

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, _print_error, cli, json_option, rerun_command


@cli.command("batch")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False),
              help="JSON lines: the capability's input per line, plus an optional 'id' (default: line number); "
                   "an s3:// object with --engine transform.")
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False),
              help="JSON lines: one {'id', 'output'} or {'id', 'error'} per input line; rerun to resume.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Real-time calls in flight at once.")
@click.option("--async", "use_async", is_flag=True,
              help="Send every record through InvokeEndpointAsync (needs --s3-prefix or SAGEMAKER_ASYNC_S3_PREFIX).")
@click.option("--s3-prefix", default=None,
              help="s3://bucket/prefix for async inputs; with it, records over the real-time payload limit go async.")
@click.option("--backend", default="sagemaker", show_default=True, help="Real-time backend (sagemaker, openai, ...).")
@click.option("--endpoint-url", default=None, help="Runtime URL override (e.g. a running `serve`).")
@click.option("--local", is_flag=True, help="Use the lab's local endpoint and reference model (as `run --local`).")
@click.option("--engine", type=click.Choice(["realtime", "transform"]), default="realtime", show_default=True,
              help="realtime: calls to the endpoint; transform: SageMaker Batch Transform over s3:// input and "
                   "output (see `ops/transform.py`).")
@click.option("--model-name", default=None,
              help="transform: the SageMaker Model to run (default: the one behind SAGEMAKER_<STEM>_ENDPOINT).")
@click.option("--instance-type", default="ml.g5.xlarge", show_default=True, help="transform: instance type.")
@click.option("--chunk-size", default=10_000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="transform: records per transform job (each finished job is kept; a rerun resumes after it).")
@json_option
@click.pass_context
def batch(ctx: click.Context, capability: str, input_path: str, output_path: str, concurrency: int, use_async: bool,
          s3_prefix: Optional[str], backend: str, endpoint_url: Optional[str], local: bool, engine: str,
          model_name: Optional[str], instance_type: str, chunk_size: int) -> None:
    """Run CAPABILITY over every line of --input into --output.

    Every input line yields exactly one output line. Interrupted? Run the same
    command again: records already in --output are skipped, none is repeated
    or lost; records that failed for a reason a rerun may fix (setup,
    throttling, timeouts, 5xx, connection) are tried again, records that
    failed for good (invalid input) are kept. Exit codes: 0 the output holds
    only answers, 1 it holds error lines (see their 'error'), 2 usage or
    configuration problem (nothing was sent), 130 interrupted.
    """
    if engine == "transform":
        from adeptai_sagemaker.cli.transform import run_transform_command

        run_transform_command(ctx, capability, input_path, output_path, local=local, endpoint_url=endpoint_url,
                              model_name=model_name, instance_type=instance_type, chunk_size=chunk_size)
        return
    if not os.path.isfile(input_path):
        raise click.BadParameter(f"{input_path!r} is not a file", param_hint="--input")
    from adeptai_sagemaker.ops.batch import run_batch

    overrides = {"sagemaker_async_s3_prefix": s3_prefix} if s3_prefix else {}
    if local:
        from adeptai_sagemaker.cli.lab_hook import require_lab
        _demo = require_lab("demo", '`batch --local`')
        build_framework, local_or_configured_endpoint = _demo.build_framework, _demo.local_or_configured_endpoint

        with local_or_configured_endpoint(endpoint_url) as (url, _local):
            fw = build_framework(url, capabilities=(capability,), settings_overrides=overrides)
            summary = _run(ctx, run_batch, fw, capability, input_path, output_path, concurrency, use_async, backend)
    else:
        from adeptai_sagemaker.core.framework import Framework
        from adeptai_sagemaker.core.settings import load_settings

        if endpoint_url:
            overrides["sagemaker_endpoint_url"] = endpoint_url
        settings = load_settings(**overrides)
        if backend == "sagemaker" and not settings.endpoint(capability):
            raise ConfigurationError(
                f"SAGEMAKER_{settings.stem(capability)}_ENDPOINT is not set: no SageMaker endpoint for {capability} "
                "(set it, or pass --local for the lab's local endpoint)")
        fw = Framework(settings, cache=False)
        summary = _run(ctx, run_batch, fw, capability, input_path, output_path, concurrency, use_async, backend)
    data = {**asdict(summary), "written_this_run": summary.written, "errors_in_output": summary.errors_in_output,
            "output": output_path}
    if _json_mode(ctx):
        _emit_json(data)
    else:
        _console().print(_summary_line(summary, output_path))
    ctx.exit(1 if summary.errors_in_output else 0)


def _summary_line(summary, output_path: str) -> str:
    done = f"{summary.skipped} already done" + (f", {summary.retried} earlier errors retried" if summary.retried else "")
    line = (f"{summary.total} records: {done}, {summary.succeeded} answered, {summary.failed} errors"
            + (f" {summary.errors}" if summary.errors else "")
            + (f", {summary.sent_async} through async inference" if summary.sent_async else ""))
    if not summary.errors_in_output:
        return line
    kept = sum(summary.kept_errors.values())
    return (line + f"; {output_path} holds {summary.errors_in_output} error lines"
            + (f" ({kept} kept from earlier runs: {summary.kept_errors}, failed for good)" if kept else ""))


def _run(ctx, run_batch, fw, capability, input_path, output_path, concurrency, use_async, backend):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    written = [0, 0]
    try:
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=_console(stderr=True), transient=True) as progress:
            task = progress.add_task(capability, total=None)

            def on_progress(done: int, total: int) -> None:
                written[:] = [done, total]
                progress.update(task, completed=done, total=total)

            return run_batch(fw, capability, input_path, output_path, concurrency=concurrency, use_async=use_async,
                             backend=backend, on_progress=on_progress)
    except KeyboardInterrupt:
        _print_error(f"interrupted: {written[0]} of {written[1]} records are in {output_path}; resume with: "
                     f"{rerun_command(ctx)}")
        ctx.exit(130)
    finally:
        fw.close()
