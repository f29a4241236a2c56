"""``cost``: SageMaker instance cost against per-token API cost, per capability."""

from __future__ import annotations

from typing import Optional

import click

from ..tasks import CAPABILITIES
from ._base import _console, _emit_json, _json_mode, cli


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

    from ..cost import PLANNING_TOKENS, CostModel, load_prices

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
