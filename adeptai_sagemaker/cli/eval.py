"""``eval``: score a backend on the in-repo golden sets, or compare two backends field by field.

Why it behaves like this:
- Every backend goes through ``Framework.invoke`` (the same render, codec,
  validation and re-ask path production uses), so numbers are comparable.
- ``local`` starts the local endpoint (reference model) for the command only
  (a loopback URL: the runtime needs no AWS setup for it); ``sagemaker`` uses the
  configured endpoint and ambient credentials; ``openai``/``anthropic`` need
  their API keys; any other name is a backend registered by a plugin.
- The lab is imported inside the command: the product path never loads it.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Optional

import click

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option
from adeptai_sagemaker.plugin.tasks import CAPABILITIES

GOLDEN_CAPABILITIES = ("job_parser", "query_enhancer", "candidate_matcher", "resume_summarizer")

SPLIT_CHOICES = ("dev", "test", "all", "captured-test")
CAPTURED = "captured-test"  # the captured teacher answers' test part (student/evaluate.py)


@contextlib.contextmanager
def _framework_for(backend: str, capability: str) -> Iterator[tuple[object, str]]:
    """Yield ``(framework, backend name to invoke)`` for a backend name given on the command line."""
    from adeptai_sagemaker.core.framework import Framework

    if backend == "local" and os.environ.get("ADEPTAI_LAB_MODEL", "reference") != "reference":
        # A real LLM behind the local endpoint: chat template and grammar as README describes
        # (SAGEMAKER_<STEM>_GRAMMAR=false measures it unconstrained).
        from adeptai_sagemaker.cli.lab_hook import require_lab
        local_llm_framework = require_lab("real_llm", '`eval` (its golden sets and local backend)').local_llm_framework
        from adeptai_sagemaker.core.settings import load_settings

        grammar = load_settings().capability(capability).grammar
        with local_llm_framework((capability,), grammar=grammar is not False,
                                 model=os.environ["ADEPTAI_LAB_MODEL"]) as fw:
            yield fw, "sagemaker"
        return
    if backend == "local":
        from adeptai_sagemaker.cli.lab_hook import require_lab
        build_framework = require_lab("demo", '`eval` (its golden sets and local backend)').build_framework
        LocalEndpoint = require_lab("server.runner", '`eval` (its golden sets and local backend)').LocalEndpoint

        with LocalEndpoint(default_dialect="tgi") as ep:
            fw = build_framework(ep.url, capabilities=(capability,))
            try:
                yield fw, "sagemaker"
            finally:
                fw.close()
        return
    plugins: list[object] = []
    if backend in ("openai", "anthropic"):
        from adeptai_sagemaker.backends.external import ExternalBackends

        plugins.append(ExternalBackends())
    fw = Framework(plugins=plugins, cache=False)
    try:
        if backend == "sagemaker":
            endpoint = fw.settings.capability(capability).endpoint
            if not endpoint:
                raise ConfigurationError(f"no SageMaker endpoint configured for {capability} "
                                         f"(set SAGEMAKER_{capability.upper()}_ENDPOINT)")
        else:
            fw.backend(backend)  # fails now, with the factory's message, when a key is missing
        yield fw, backend
    finally:
        fw.close()


def _run(capability: str, backend: str, split: str, limit: Optional[int]):
    from adeptai_sagemaker.cli.lab_hook import require_lab
    evaluation = require_lab("evaluation", '`eval` (its golden sets and local backend)')

    with _framework_for(backend, capability) as (fw, invoke_as):
        result = evaluation.evaluate(fw, capability, backend=invoke_as, split=split, limit=limit)
    result.backend = backend
    if backend == "local":  # priced as what it is: the reference model on this machine
        result.cost_per_1k_usd, result.cost_basis = None, "local reference model: no instance to price"
    return result


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print_metrics(console, metrics: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{metrics['capability']} on the {metrics['split']} set ({metrics['n']} rows), "
                        f"backend {metrics['backend']}")
    table.add_column("field")
    table.add_column("score", justify="right")
    for key, value in metrics["fields"].items():
        if key != "n":
            table.add_row(key, _fmt(value))
    console.print(table)
    lat, tok = metrics["latency_ms"], metrics["tokens"]
    console.print(f"schema-valid first try {_fmt(metrics['schema_valid_first_try'])}, after re-ask "
                  f"{_fmt(metrics['schema_valid_after_reask'])} ({metrics['reasks']} re-asks); latency p50 "
                  f"{_fmt(lat['p50'])} ms, p95 {_fmt(lat['p95'])} ms; tokens in/out {_fmt(tok['mean_input'])}/"
                  f"{_fmt(tok['mean_output'])}; cost per 1k requests "
                  f"{'$' + _fmt(metrics['cost_per_1k_usd']) if metrics['cost_per_1k_usd'] is not None else 'n/a'}"
                  f" ({metrics['cost_basis']})")
    if metrics["errors"]:
        console.print("errors: " + ", ".join(f"{k} x{v}" for k, v in metrics["errors"].items()))
    console.print("model: " + (", ".join(metrics["provenance"]) or "does not name itself"))


def _print_compare(console, report: dict, a: str, b: str) -> None:
    from rich.table import Table

    ma, mb = report[a], report[b if b != a else f"{b} (2)"]
    table = Table(title=f"{report['capability']} on the {report['split']} set ({report['n']} rows): {a} vs {b}")
    for col in ("field", a, b):
        table.add_column(col, justify="left" if col == "field" else "right")
    for key in ma["fields"]:
        if key != "n":
            table.add_row(key, _fmt(ma["fields"].get(key)), _fmt(mb["fields"].get(key)))
    for key in ("schema_valid_first_try", "schema_valid_after_reask", "cost_per_1k_usd"):
        table.add_row(key, _fmt(ma[key]), _fmt(mb[key]))
    table.add_row("latency p50 ms", _fmt(ma["latency_ms"]["p50"]), _fmt(mb["latency_ms"]["p50"]))
    console.print(table)
    agree = Table(title=f"field-level agreement between {a} and {b} ({report['both_answered']} rows both answered)")
    agree.add_column("output field")
    agree.add_column("agreement", justify="right")
    for key, value in report["agreement"].items():
        agree.add_row(key, _fmt(value))
    console.print(agree)
    console.print(("[yellow]" if report["same_model"] else "") + report["note"] + ("[/]" if report["same_model"] else ""))


@cli.command("eval")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--backend", default="local", show_default=True,
              help="local (reference model on a local endpoint), sagemaker (configured endpoint), openai, "
                   "anthropic, or a plugin backend's name.")
@click.option("--set", "split", type=click.Choice(SPLIT_CHOICES), default="dev", show_default=True,
              help="Which part of the golden set to score.")
@click.option("--compare", "compare_with", nargs=2, default=None, metavar="A B",
              help="Score backends A and B on the same rows and report field-level agreement.")
@click.option("--limit", type=int, default=None, help="Only the first N rows (quick checks).")
@click.option("--location", default=None,
              help="With --set captured-test: the captured shards (default: ADEPTAI_SAGEMAKER_CAPTURE_DIR).")
@json_option
@click.pass_context
def eval_command(ctx: click.Context, capability: str, backend: str, split: str, compare_with: Optional[tuple[str, str]],
                 limit: Optional[int], location: Optional[str]) -> None:
    """Score a backend on the golden set for CAPABILITY (per-field metrics, schema-valid rate, latency, cost).

    With --set captured-test --compare legacy B: the student backend B against the teacher's captured answers
    on the captured test part, field by field; the comparisons are stored as offline evidence for the gate.
    """
    if split == CAPTURED:
        _eval_captured(ctx, capability, compare_with, limit, location)
        return
    if capability not in GOLDEN_CAPABILITIES:
        raise click.UsageError(f"no golden set for {capability}; golden sets: {', '.join(GOLDEN_CAPABILITIES)} "
                               "(or use --set captured-test)")
    from adeptai_sagemaker.cli.lab_hook import require_lab
    evaluation = require_lab("evaluation", '`eval` (its golden sets and local backend)')

    as_json, console = _json_mode(ctx), _console()
    if compare_with:
        a, b = compare_with
        report = evaluation.compare(_run(capability, a, split, limit), _run(capability, b, split, limit))
        if as_json:
            _emit_json(report)
        else:
            _print_compare(console, report, a, b)
        return
    metrics = _run(capability, backend, split, limit).metrics()
    if as_json:
        _emit_json(metrics)
    else:
        _print_metrics(console, metrics)


def _eval_captured(ctx: click.Context, capability: str, compare_with: Optional[tuple[str, str]], limit: Optional[int],
                   location: Optional[str]) -> None:
    """``--set captured-test --compare legacy B``: the student on B against the captured teacher answers."""
    from adeptai_sagemaker.student import evaluate

    if not compare_with or compare_with[0] != "legacy":
        raise click.UsageError("--set captured-test compares the captured teacher with a backend: "
                               "--compare legacy sagemaker (or legacy local, legacy <plugin backend>)")
    backend = compare_with[1]
    with _framework_for(backend, capability) as (fw, invoke_as):
        records = evaluate.captured_test(location or fw.settings.capture_location(), capability)
        if not records:
            raise click.UsageError(f"no captured test examples of {capability}: capture first "
                                   f"(SAGEMAKER_{fw.settings.stem(capability)}_CAPTURE=true)")
        report = evaluate.compare_captured(fw, capability, records, backend=invoke_as, limit=limit)
        report.backend = backend
        from adeptai_sagemaker.rollout.state.base import host_id

        evaluate.store_offline(fw.state_store, report, host=host_id(fw.settings))
        decision = evaluate.offline_decision(fw.state_store, fw.settings, capability)
    data = {**report.to_dict(), "gate": {"verdict": decision.verdict, "reasons": decision.reasons}}
    if _json_mode(ctx):
        _emit_json(data)
        return
    from rich.table import Table

    table = Table(title=f"{capability}: {backend} against the captured teacher on the captured test part "
                        f"({report.answered} of {report.n} answered)")
    for col in ("field", "n", "agreement", "mean score"):
        table.add_column(col, justify="left" if col == "field" else "right")
    for name, f in report.fields.items():
        table.add_row(name, str(f["n"]), _fmt(f["agreement"]), _fmt(f["mean_score"]))
    console = _console()
    console.print(table)
    console.print(f"overall agreement {_fmt(data['agreement'])}; failures {report.failed or 'none'}; "
                  f"offline gate (shadow criteria): {decision.verdict}: " + "; ".join(decision.reasons))
