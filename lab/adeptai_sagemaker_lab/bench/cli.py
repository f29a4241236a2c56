"""``adeptai-sagemaker bench``: run the side-by-side workload and write the report.

The product CLI finds this command through the lab's ``adeptai_sagemaker.commands`` entry point.
"""

from __future__ import annotations

import click


@click.command("bench")
@click.option("--out", "out_dir", default="bench-report", show_default=True, type=click.Path(file_okay=False),
              help="Directory for report.md, results.json and the PNG charts.")
@click.option("--quick/--full", default=None,
              help="Small sizes (seconds; targets shown as informative, not judged) or full sizes (minutes; a "
                   "missed target is exit 1); default from ADEPTAI_BENCH_QUICK.")
@click.option("--model-backend", default=None, metavar="MODULE:CLASS",
              help="Model behind the local endpoint (default: the built-in reference model).")
def bench(out_dir: str, quick: bool | None, model_backend: str | None) -> None:
    """Measure overhead, cache, import, concurrency, and SageMaker vs OpenAI/Anthropic; write a report.

    Exit 0 when every target is met, or the run used quick sizes (too small to judge: each target is shown
    as informative); exit 1 when a full-size run missed a target.
    """
    from adeptai_sagemaker_lab.bench.report import headline_lines, missed_targets, run_all, write_report

    click.echo("running benchmarks (offline: local endpoint + fake OpenAI/Anthropic servers on 127.0.0.1)...")
    results = run_all(quick, model_backend=model_backend, progress=click.echo)
    command = f"adeptai-sagemaker bench --out {out_dir}"
    if quick is not None:
        command += " --quick" if quick else " --full"
    if model_backend:
        command += f" --model-backend {model_backend}"
    paths = write_report(results, out_dir, command=command)
    for line in headline_lines(results):
        click.echo(line)
    for label, path in paths.items():
        click.echo(f"{label}: {path.resolve()}")
    missed = missed_targets(results)
    if missed:
        click.echo(f"missed {len(missed)} target(s): {'; '.join(missed)}", err=True)
        raise click.exceptions.Exit(1)


if __name__ == "__main__":  # pragma: no cover - python -m adeptai_sagemaker_lab.bench.cli
    bench()
