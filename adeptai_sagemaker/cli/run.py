"""``run``: one capability call from the command line."""

from __future__ import annotations

import json
from typing import Optional

import click

from ..tasks import CAPABILITIES
from ._base import cli


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
    from ..settings import load_settings

    settings = load_settings()
    configured = bool(settings.endpoint(capability)) and backend == "sagemaker"
    if endpoint_url or not configured and backend == "sagemaker":
        from ..lab.demo import build_framework, local_or_configured_endpoint

        with local_or_configured_endpoint(endpoint_url) as (url, _local):
            fw = build_framework(url, capabilities=(capability,))
            try:
                output = fw.invoke(capability, data)
            finally:
                fw.close()
    else:
        from ..framework import Framework

        fw = Framework(settings, cache=False)
        try:
            output = fw.invoke(capability, data, backend=backend)
        finally:
            fw.close()
    click.echo(json.dumps(output.model_dump(mode="json"), indent=2, ensure_ascii=False))
