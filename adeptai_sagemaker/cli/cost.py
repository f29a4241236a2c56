"""``cost``: SageMaker instance cost against per-token API cost, per capability."""

from __future__ import annotations

import click

from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option


# --------------------------------------------------------------------------- cost


#: Instance types priced when none is named: the usual single-GPU / Inferentia choices for an 8B model.
DEFAULT_INSTANCE_TYPES = ("ml.g5.xlarge", "ml.g5.2xlarge", "ml.g6.xlarge", "ml.inf2.xlarge")


@cli.command()
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Capabilities to price (default: all).")
@click.option("--instance-type", "instance_types", multiple=True,
              help=f"Instance type to price (repeatable; default: {', '.join(DEFAULT_INSTANCE_TYPES)}).")
@click.option("--instance-count", default=1, show_default=True, type=int, help="Minimum instances (always on).")
@click.option("--throughput", type=float, default=None,
              help="Requests/s ONE instance sustains for this work (from `adeptai-sagemaker bench`). "
                   "Default 1.0, assumed, for every instance type.")
@click.option("--utilization", default=0.7, show_default=True, type=float, help="Target utilization (0..1].")
@click.option("--input-tokens", type=float, default=None, help="Input tokens per request (default: planning estimate).")
@click.option("--output-tokens", type=float, default=None, help="Output tokens per request (default: planning estimate).")
@click.option("--api-model", default="gpt-4o-mini", show_default=True, type=click.Choice(["gpt-4o-mini", "claude-sonnet-4"]))
@click.option("--prices-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON {\"prices\": {instance_type: usd_per_hour}} overriding the shipped list prices.")
@json_option
@click.pass_context
def cost(ctx: click.Context, capabilities, instance_types, instance_count, throughput, utilization, input_tokens,
         output_tokens, api_model, prices_file) -> None:
    """SageMaker (amortized instance-hours) vs API (per token) cost, and break-even traffic.

    For each capability and instance type: the cost per request both ways, the
    traffic (req/s, req/month) from which the endpoint is cheaper, and, where
    the API stays cheaper at any traffic, the per-instance throughput the
    endpoint would need to win. Everything rests on the stated assumptions:
    the per-instance throughput (measure it with `bench`), the target
    utilization, list prices and token counts per request.
    """
    from rich.table import Table

    from adeptai_sagemaker.ops.cost import PLANNING_TOKENS, CostModel, load_prices

    if not 0 < utilization <= 1:
        raise click.BadParameter("must be in (0, 1]", param_hint="--utilization")
    assumed = throughput is None
    throughput = 1.0 if throughput is None else throughput
    if throughput <= 0:
        raise click.BadParameter("must be > 0", param_hint="--throughput")
    prices = load_prices(prices_file)
    rows = []
    for instance_type in instance_types or DEFAULT_INSTANCE_TYPES:
        for cap in capabilities or CAPABILITIES:
            tin, tout = PLANNING_TOKENS[cap]
            model = CostModel(instance_type, throughput, input_tokens if input_tokens is not None else tin,
                              output_tokens if output_tokens is not None else tout, instance_count, utilization,
                              api_model, capability=cap)
            rows.append({**model.summary(prices), "input_tokens": model.input_tokens,
                         "output_tokens": model.output_tokens})
    assumption = (f"one instance sustains {throughput:g} req/s of each capability's requests"
                  + (" (ASSUMED: measure it with `adeptai-sagemaker bench` and pass --throughput)" if assumed
                     else " (--throughput)")
                  + f", autoscaling keeps instances at {utilization:.0%} utilization, at least {instance_count} "
                  f"instance(s) always on, traffic spread evenly over a {730:g}-hour month, {api_model} and "
                  "instance list prices, "
                  + ("token counts passed" if input_tokens is not None or output_tokens is not None
                     else "planning token counts per capability"))
    if _json_mode(ctx):
        _emit_json({"throughput_assumed": assumed, "assumption": assumption, "rows": rows})
        return
    console = _console()
    table = Table(title=f"SageMaker vs {api_model}: break-even traffic per capability and instance type")
    for col in ("instance type", "capability", "tokens in/out", "SageMaker $/req", f"{api_model} $/req",
                "SageMaker cheaper from", "stays cheaper from"):
        table.add_column(col)
    for i, r in enumerate(rows):
        last_of_type = i + 1 == len(rows) or rows[i + 1]["instance_type"] != r["instance_type"]
        table.add_row(f"{r['instance_type']} (${r['price_per_hour_usd']:.3f}/h)", r["capability"],
                      f"{r['input_tokens']:g}/{r['output_tokens']:g}",
                      f"{r['sagemaker_cost_per_request_usd']:.6f}", f"{r['api_cost_per_request_usd']:.6f}",
                      _traffic(r, "break_even"), _traffic(r, "sustained_break_even"), end_section=last_of_type)
    console.print(table)
    console.print(f"[yellow]assumes {assumption}[/]")
    console.print("[dim]'never' = the API stays cheaper at any traffic unless one instance sustains the req/s shown "
                  "(then rerun with that --throughput); list prices to verify "
                  "(adeptai_sagemaker/data/instance_prices.json)[/]")


def _traffic(row: dict, key: str) -> str:
    """A break-even as req/s and req/month, or what throughput it would take."""
    monthly, rps = row[f"{key}_requests_per_month"], row[f"{key}_rps"]
    if monthly is None and key != "break_even":
        return "-"
    if monthly is None:
        need = row["required_throughput_rps"]
        return "never" + (f" (needs >= {need:.2f} req/s per instance)" if need is not None else "")
    return f"{rps:,.2f} req/s ({monthly:,.0f}/month)"
