"""Lab commands: ``serve`` (the local endpoint) and ``demo`` (the offline end-to-end run).

The product CLI finds them through the ``adeptai_sagemaker.commands`` entry points in
``lab/pyproject.toml`` (with ``bench``, in ``bench/cli.py``).

``serve`` checks everything it can before its banner (the NAME=DIALECT pairs, the config
file, the model, the port, which it binds then and hands to the server), so a banner means
it is serving what the banner says; every problem is one line with its fix, exit 2.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

import click

from adeptai_sagemaker.cli._base import UsageProblem, _console, _emit_json, _json_mode, _metrics_table, json_option


# --------------------------------------------------------------------------- serve


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--endpoint", "endpoints", multiple=True, metavar="NAME=DIALECT",
              help="Serve endpoint NAME in DIALECT (tgi, lmi, messages, jumpstart, custom). Repeatable. Once any "
                   "is given, only the names given are served: others answer ValidationError 'Endpoint ... not "
                   "found', as on AWS, unless --default-dialect is given too.")
@click.option("--default-dialect", default=None,
              help="Dialect for endpoint names not listed. Default: tgi when no --endpoint (or --config) is given, "
                   "so any name is served; none otherwise.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Server config file (endpoints, dialects, faults).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--model", "model", default=None, envvar="ADEPTAI_LAB_MODEL", show_envvar=True, metavar="MODEL",
              help="What answers: 'reference' (default, the rule-based stand-in), 'smollm2' (SmolLM2-135M "
                   "through llama.cpp; extra 'llm'), or the path of a GGUF file.")
def serve(host: str, port: int, endpoints: tuple[str, ...], default_dialect: Optional[str],
          config_file: Optional[str], log_level: str, model: Optional[str]) -> None:
    """Run the local SageMaker endpoint / serving container until Ctrl-C.

    \b
    Request contract: the body is the container dialect's JSON (tgi, lmi:
    {"inputs": PROMPT, "parameters": {...}}; messages: {"messages": [...]}).
    The default model is the reference model, a rule-based stand-in: it
    answers only prompts rendered by this package's templates (a
    '### TASK: <capability>' line and <<<DATA name>>> blocks), which is what
    `adeptai-sagemaker run` and the framework send. Any other prompt gets a
    400 from the model (a 424 ModelError through the runtime API) that says
    so. A real model behind the endpoint (--model smollm2 or a GGUF) takes
    any prompt (README: The local endpoint; A real small LLM in the loop).
    """
    from adeptai_sagemaker_lab.server.dialects import DIALECTS
    from adeptai_sagemaker_lab.server.model_backends import backend_for
    from adeptai_sagemaker_lab.server.runner import serve as run_server, serve_config
    from adeptai_sagemaker_lab.server.transport import tcp_listen_socket

    dialects = ", ".join(sorted(DIALECTS))
    parsed: dict[str, str] = {}
    for item in endpoints:
        name, sep, dialect = (part.strip() for part in item.partition("="))
        if not sep or not name or not dialect:
            raise UsageProblem(f"--endpoint {item!r} is not NAME=DIALECT", fix="e.g. --endpoint adeptai-job-parser=tgi")
        if dialect not in DIALECTS:
            raise UsageProblem(f"--endpoint {item!r}: unknown dialect {dialect!r}", fix=f"use one of: {dialects}")
        parsed[name] = dialect
    if default_dialect is not None and default_dialect not in DIALECTS:
        raise UsageProblem(f"--default-dialect: unknown dialect {default_dialect!r}", fix=f"use one of: {dialects}")
    if default_dialect is None and not config_file and not parsed:
        default_dialect = "tgi"  # nothing configured: serve every name (said in --help)
    try:
        config = serve_config(parsed or None, default_dialect, config_file)
    except (ValueError, OSError) as exc:  # JSON/TOML syntax, unknown keys or dialects in the file
        raise UsageProblem(f"--config {config_file}: {' '.join(str(exc).split())}",
                           fix="correct the file: keys endpoints, default_dialect, chunking, region, s3_endpoint_url; "
                               f"dialects {dialects}") from None
    try:
        backend = backend_for(model)
    except (RuntimeError, OSError, ValueError) as exc:
        raise UsageProblem(f"--model {model}: {exc}", fix="use --model reference, smollm2, or the path of a GGUF "
                                                          "file") from None
    try:
        sock = tcp_listen_socket(host, port)
    except OSError as exc:
        raise UsageProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                           fix=f"stop what uses port {port}, or pass --port with a free one (e.g. --port "
                               f"{port + 1})") from None
    label = "reference model" if not model or model == "reference" else backend.version
    only = "; other endpoint names: not found" if config.default_dialect is None else ""
    _console(stderr=True).print(f"serving {served_names(config)} on http://{host}:{port} ({label}; Ctrl-C to stop)"
                                + only)
    run_server(host=host, port=port, log_level=log_level, backend=backend, config=config, sock=sock)


def served_names(config) -> str:
    """What a server with ``config`` answers, as the banner says it: the named endpoints, then the rest."""
    named = ", ".join(f"{name} ({ep.dialect})" for name, ep in config.endpoints.items())
    if config.default_dialect is None:
        return named or "no endpoint name"
    rest = f"any endpoint name ({config.default_dialect})"
    return f"{named}, and {rest.replace('any', 'any other')}" if named else rest



@click.command()
@click.option("--endpoint-url", default=None, help="Use this runtime URL instead of starting a local endpoint "
              "(a loopback URL is called with dummy AWS credentials).")
@click.option("--no-adapters", is_flag=True, help="Call every capability through Framework.call only.")
@json_option
@click.pass_context
def demo(ctx: click.Context, endpoint_url: Optional[str], no_adapters: bool) -> None:
    """Run all eight capabilities once against the reference model (offline; no AWS account needed)."""
    from rich.panel import Panel

    from rich.markup import escape

    from adeptai_sagemaker_lab.demo import highlights, run_demo

    as_json = _json_mode(ctx)
    console = _console()

    def show(result) -> None:
        if as_json:
            return
        if not result.answered_by_model:
            status = f"[red]{escape(str(result.error or result.outcome))}[/]"
        else:
            status = "[green]correct answer[/]" if result.correct else "[red]wrong answer[/]"
        header = (f"via {result.via} -> backend {result.backend or '-'} @ {result.endpoint or '-'}"
                  f" ({result.model_version or 'model version n/a'}), {result.latency_ms} ms")
        lines = [header]
        if result.ok:
            # highlights() shortens long values itself, after a whole sentence
            lines += [f"[bold]{escape(label)}[/]: {escape(value)}" for label, value in highlights(result.capability, result.output)]
            lines += [("[green]✓[/] " if passed else "[red]✗[/] ") + escape(what) for what, passed in result.checks]
        console.print(Panel("\n".join(lines), title=f"{result.capability}: {status}", expand=False), soft_wrap=False)  # wrap, never crop

    report = run_demo(endpoint_url, use_adapters=not no_adapters, on_result=show)  # a loopback URL needs no AWS keys
    if as_json:
        _emit_json({"endpoint_url": report.endpoint_url, "local": report.local, "ok": report.ok,
                    "results": [asdict(r) for r in report.results], "metrics": report.metrics})
    else:
        console.print(_metrics_table(report.metrics, title="Metrics summary (this demo)"))
        answered = sum(r.answered_by_model for r in report.results)
        correct = sum(r.correct for r in report.results)
        colour = "green" if report.ok else "red"
        console.print(f"[{colour}]{answered}/{len(report.results)} capabilities answered by the model at "
                      f"{report.endpoint_url}{' (local reference endpoint: rule-based stand-in, not an LLM)' if report.local else ''}; "
                      f"{correct}/{len(report.results)} answers correct for their input[/]")
    if not report.ok:
        ctx.exit(1)
