"""``run``: one capability call from the command line."""

from __future__ import annotations

import json
from typing import Optional

import click

from ..errors import ConfigurationError
from ..tasks import CAPABILITIES
from ._base import cli


# --------------------------------------------------------------------------- run


@cli.command("run")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--input", "input_file", type=click.File("r"), default="-", show_default=True,
              help="Input JSON file ('-' = stdin).")
@click.option("--backend", default="sagemaker", show_default=True, help="Backend to run on (sagemaker, openai, ...).")
@click.option("--endpoint-url", default=None, help="Runtime URL override (e.g. a running `serve`).")
@click.option("--local", is_flag=True,
              help="Answer with the lab's local endpoint and its reference model (a rule-based stand-in), started "
                   "for this command (or the one at --endpoint-url). Without it, the capability's "
                   "SAGEMAKER_<STEM>_ENDPOINT must be set.")
def run_cmd(capability: str, input_file, backend: str, endpoint_url: Optional[str], local: bool) -> None:
    """Run CAPABILITY on input JSON and print the validated output JSON.

    The call goes to the SageMaker endpoint configured for CAPABILITY (or to
    --backend); nothing answers silently in its place: with no endpoint
    configured the command fails and names the variable to set, unless
    --local asks for the lab's local endpoint.
    """
    raw = input_file.read()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise click.BadParameter(f"input is not JSON ({exc.msg} at line {exc.lineno})", param_hint="--input") from None
    if local:
        from ..lab.demo import build_framework, local_or_configured_endpoint

        with local_or_configured_endpoint(endpoint_url) as (url, _local):
            fw = build_framework(url, capabilities=(capability,))
            try:
                output = fw.invoke(capability, data)
            finally:
                fw.close()
    else:
        from ..framework import Framework
        from ..settings import STEMS, load_settings

        settings = load_settings(**({"sagemaker_endpoint_url": endpoint_url} if endpoint_url else {}))
        if backend == "sagemaker" and not settings.endpoint(capability):
            raise ConfigurationError(
                f"SAGEMAKER_{STEMS[capability]}_ENDPOINT is not set: no SageMaker endpoint for {capability} "
                "(set it, or pass --local for the lab's local endpoint)")
        fw = Framework(settings, cache=False)
        try:
            output = fw.invoke(capability, data, backend=backend)
        finally:
            fw.close()
    click.echo(json.dumps(output.model_dump(mode="json"), indent=2, ensure_ascii=False))
