"""``batch --engine transform``: the command side of ``ops/transform.py`` (kept out of ``cli/batch.py``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode

LOCAL_MODEL = "local-reference"


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), console=_console(stderr=True), transient=True)


def run_transform_command(ctx: click.Context, capability: str, input_uri: str, output_uri: str, *, local: bool,
                          endpoint_url: Optional[str], model_name: Optional[str], instance_type: str,
                          chunk_size: int) -> None:
    """Run the transform engine; with ``local`` the lab's endpoint and transform contract stand in for SageMaker."""
    import boto3

    from adeptai_sagemaker.ops.transform import TransformRun, model_for_endpoint

    for name, uri in (("--input", input_uri), ("--output", output_uri)):
        if not uri.startswith("s3://"):
            raise click.BadParameter(f"{uri!r}: --engine transform reads and writes s3:// objects", param_hint=name)

    def execute(fw, executor, region: str) -> object:
        sm, s3 = boto3.client("sagemaker", region_name=region), boto3.client("s3", region_name=region)
        model = model_name or (LOCAL_MODEL if local else model_for_endpoint(sm, _endpoint(fw, capability)))
        with _progress() as progress:
            task = progress.add_task(capability, total=None, status="")
            run = TransformRun(fw, capability, input_uri, output_uri, sm=sm, s3=s3, model_name=model,
                               instance_type=instance_type, chunk_size=chunk_size,
                               executor=executor(s3, model) if executor else None,
                               on_progress=lambda done, total, status: progress.update(
                                   task, completed=done, total=total, status=status))
            return run.run()

    if local:
        from adeptai_sagemaker.cli.lab_hook import require_lab
        _demo = require_lab("demo", "`batch --engine transform --local`")
        build_framework, local_or_configured_endpoint = _demo.build_framework, _demo.local_or_configured_endpoint
        LocalTransform = require_lab("transform", "`batch --engine transform --local`").LocalTransform

        with local_or_configured_endpoint(endpoint_url) as (url, _):
            fw = build_framework(url, capabilities=(capability,))
            try:
                runtime = boto3.client("sagemaker-runtime", endpoint_url=url, region_name=fw.settings.region())
                summary = execute(fw, lambda s3, model: LocalTransform(s3, runtime, model), fw.settings.region())
            finally:
                fw.close()
    else:
        from adeptai_sagemaker.core.framework import Framework
        from adeptai_sagemaker.core.settings import load_settings

        fw = Framework(load_settings(), cache=False)
        try:
            summary = execute(fw, None, fw.settings.checked_region())
        finally:
            fw.close()
    data = {**asdict(summary), "written_this_run": summary.written, "output": output_uri, "engine": "transform"}
    if _json_mode(ctx):
        _emit_json(data)
    else:
        _console().print(f"{summary.total} records: {summary.skipped} already done, {summary.succeeded} answered, "
                         f"{summary.failed} errors {summary.errors or ''} ({len(summary.jobs)} transform job(s))")
    ctx.exit(1 if summary.failed else 0)


def _endpoint(fw, capability: str) -> str:
    from adeptai_sagemaker.core.errors import ConfigurationError

    endpoint = fw.settings.endpoint(capability)
    if not endpoint:
        raise ConfigurationError(f"SAGEMAKER_{fw.settings.stem(capability)}_ENDPOINT is not set: pass --model-name, "
                                 "or set it so the endpoint's model runs the transform")
    return endpoint
