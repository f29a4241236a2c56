"""``deploy-component``: an inference component whose endpoint scales to zero and back."""

from __future__ import annotations

from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option


@cli.command("deploy-component")
@click.argument("endpoint_name")
@click.argument("component_name")
@click.option("--model-name", required=True, help="An existing SageMaker model (create_model) the component serves.")
@click.option("--create-endpoint", is_flag=True,
              help="Also create the endpoint config (MinInstanceCount=0) and endpoint, and wait for InService.")
@click.option("--instance-type", default="ml.g5.2xlarge", show_default=True)
@click.option("--max-instances", default=2, show_default=True, type=click.IntRange(1, 100))
@click.option("--max-copies", default=4, show_default=True, type=click.IntRange(1, 1000))
@click.option("--accelerators-per-copy", default=1.0, show_default=True, type=float)
@click.option("--memory-mb-per-copy", default=8192, show_default=True, type=click.IntRange(128, 2_000_000))
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--dry-run", is_flag=True, help="Print the requests; send nothing.")
@json_option
@click.pass_context
def deploy_component(ctx: click.Context, endpoint_name: str, component_name: str, model_name: str,
                     create_endpoint: bool, instance_type: str, max_instances: int, max_copies: int,
                     accelerators_per_copy: float, memory_mb_per_copy: int, region: Optional[str], dry_run: bool) -> None:
    """Deploy COMPONENT_NAME on ENDPOINT_NAME so that it scales to zero copies when idle.

    Registers the component's copy count (0..--max-copies) with Application
    Auto Scaling, a target-tracking policy to scale in, and the step-scaling
    policy plus NoCapacityInvocationFailures alarm that scale out from zero.
    While a component is at zero, calls fail fast as cold (reason
    endpoint_cold) and callers get the legacy answer. Exit codes: 0 ok,
    1 an AWS call failed, 2 usage or configuration problem.
    """
    from adeptai_sagemaker.ops.scale_to_zero import ComponentPlan

    plan = ComponentPlan(endpoint_name, component_name, model_name, instance_type=instance_type,
                         max_instance_count=max_instances, max_copies=max_copies,
                         accelerators_per_copy=accelerators_per_copy, memory_mb_per_copy=memory_mb_per_copy)
    json_out = _json_mode(ctx)
    if dry_run:
        steps = [{"service": svc, "operation": op, "params": params}
                 for svc, op, params in plan.requests(create_endpoint=create_endpoint)]
        if json_out:
            _emit_json({"dry_run": True, "requests": steps})
        else:
            console = _console()
            for step in steps:
                console.print(f"{step['service']}.{step['operation']}")
        return
    import boto3

    from adeptai_sagemaker.core.settings import load_settings

    region = load_settings().checked_region(region)
    clients = {name: boto3.client(name, region_name=region)
               for name in ("sagemaker", "application-autoscaling", "cloudwatch")}
    result = plan.apply(clients, create_endpoint=create_endpoint)
    if json_out:
        _emit_json(result)
    else:
        _console().print(f"{component_name} on {endpoint_name}: scales 0..{max_copies} copies; "
                         f"scale-from-zero policy {result['scale_from_zero_policy_arn']}")
