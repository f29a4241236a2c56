"""``run``: one capability call from the command line.

Why it behaves like this:
- Bad input is a usage error (exit 2) named before any endpoint is called:
  JSON syntax with its line and column, a missing or wrong field by name, an
  unknown backend with the registered ones; each with the fix.
- A loopback endpoint URL (``serve`` on this machine) needs no AWS setup:
  the runtime signs it with dummy credentials and a default region
  (``core/aws_setup.py``); the process environment is never written.
- A connection failure names the URL and where it came from (``--endpoint-url``
  or ``SAGEMAKER_ENDPOINT_URL``), so the fix points at what the user typed.
"""

from __future__ import annotations

import contextlib
import json
from typing import Iterator, Optional

import click

from adeptai_sagemaker.core.errors import ConfigurationError, ConnectionFailedError, InputValidationError
from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import CommandFailure, UsageProblem, cli, json_option


@contextlib.contextmanager
def _naming_url(url: Optional[str], flag_value: Optional[str]) -> Iterator[None]:
    """A connection failure to ``url`` becomes an error naming it and the flag or variable it came from
    (``flag_value``: what ``--endpoint-url`` was given; None when the URL came from the environment)."""
    try:
        yield
    except ConnectionFailedError:
        if not url:
            raise
        source = "--endpoint-url" if flag_value else "SAGEMAKER_ENDPOINT_URL"
        raise CommandFailure(f"could not connect to {url} (from {source})",
                             fix=f"start the endpoint there (`adeptai-sagemaker serve --port PORT`) or give "
                                 f"{source} the URL of one that runs") from None


def _read_input(input_file, capability: str) -> dict:
    raw = input_file.read()
    example = '{"job_description": "..."}' if capability == "job_parser" else "{...}"
    try:
        data = json.loads(raw)
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc)).removesuffix(" at").strip()
        where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise UsageProblem(f"--input is not valid JSON: {msg}{where}",
                           fix=f"pass one JSON object, e.g. {example}, with control characters in strings escaped (\\n, \\t)") from None
    if not isinstance(data, dict):
        raise UsageProblem(f"--input must be a JSON object, got a JSON {type(data).__name__}",
                           fix=f"wrap the fields in one object, e.g. {example}")
    return data


def _fields_hint(fw, capability: str) -> str:
    fields = fw.spec(capability).input_model.model_fields
    listed = ", ".join(f"{name}{' (required)' if f.is_required() else ''}" for name, f in fields.items())
    return f"give the input JSON the fields {capability} takes: {listed}"


def _check_backend(fw, backend: str) -> None:
    names = {"sagemaker"}
    fw.hook.register_backends(register=lambda name, _factory: names.add(name))
    if backend not in names:
        raise UsageProblem(f"unknown backend {backend!r}; registered: {', '.join(sorted(names))}",
                           fix="pass --backend with one of those (plugins add more through the "
                               "'adeptai_sagemaker' entry points)")


def _invoke(fw, capability: str, data: dict, backend: str = "sagemaker"):
    _check_backend(fw, backend)
    try:
        request = fw.coerce(capability, data)
    except InputValidationError as exc:
        raise UsageProblem(str(exc), fix=_fields_hint(fw, capability)) from None
    return fw.invoke(capability, request, backend=backend)


@cli.command("run")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--input", "input_file", type=click.File("r"), default="-", show_default=True,
              help="Input JSON file ('-' = stdin).")
@click.option("--backend", default="sagemaker", show_default=True, help="Backend to run on (sagemaker, openai, ...).")
@click.option("--endpoint-url", default=None,
              help="Runtime URL override (e.g. a running `serve`). A loopback URL (127.0.0.1, localhost) is called "
                   "with dummy AWS credentials, so none need to be configured.")
@click.option("--local", is_flag=True,
              help="Answer with the lab's local endpoint and its reference model (a rule-based stand-in), started "
                   "for this command (or the one at --endpoint-url). Without it, the capability's "
                   "SAGEMAKER_<STEM>_ENDPOINT must be set.")
@json_option
def run_cmd(capability: str, input_file, backend: str, endpoint_url: Optional[str], local: bool) -> None:
    """Run CAPABILITY on input JSON and print the validated output JSON.

    The call goes to the SageMaker endpoint configured for CAPABILITY (or to
    --backend); nothing answers silently in its place: with no endpoint
    configured the command fails and names the variable to set, unless
    --local asks for the lab's local endpoint. The output is JSON with or
    without --json.
    """
    data = _read_input(input_file, capability)
    if local:
        from adeptai_sagemaker.cli.lab_hook import require_lab
        _demo = require_lab("demo", '`run --local`')
        build_framework, local_or_configured_endpoint = _demo.build_framework, _demo.local_or_configured_endpoint

        with local_or_configured_endpoint(endpoint_url) as (url, _local), _naming_url(url, endpoint_url):
            fw = build_framework(url, capabilities=(capability,))
            try:
                output = _invoke(fw, capability, data)
            finally:
                fw.close()
    else:
        from adeptai_sagemaker.core.framework import Framework
        from adeptai_sagemaker.core.settings import load_settings

        settings = load_settings(**({"sagemaker_endpoint_url": endpoint_url} if endpoint_url else {}))
        url = settings.sagemaker_endpoint_url if backend == "sagemaker" else None
        with _naming_url(url, endpoint_url):
            fw = Framework(settings, cache=False)
            try:
                _check_backend(fw, backend)
                if backend == "sagemaker" and not settings.endpoint(capability):
                    raise ConfigurationError(
                        f"SAGEMAKER_{settings.stem(capability)}_ENDPOINT is not set: no SageMaker endpoint for {capability} "
                        "(set it, or pass --local for the lab's local endpoint)")
                output = _invoke(fw, capability, data, backend)
            finally:
                fw.close()
    click.echo(json.dumps(output.model_dump(mode="json"), indent=2, ensure_ascii=False))
