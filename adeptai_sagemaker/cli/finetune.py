"""``finetune``: upload a student dataset and run the JumpStart Llama 3.x training job, following it to the end."""

from __future__ import annotations

from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option
from adeptai_sagemaker.plugin.tasks import CAPABILITIES


def _hyperparameters(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--hyperparameter")
        found[key.strip()] = value.strip()
    return found


@cli.command("finetune")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--dataset", "dataset_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A directory written by `dataset build` (jumpstart or chat format).")
@click.option("--base-model", required=True, help="JumpStart model id, e.g. meta-textgeneration-llama-3-1-8b-instruct.")
@click.option("--role-arn", required=True, help="SageMaker execution role ARN.")
@click.option("--instance-type", required=True, help="Training instance, e.g. ml.g5.12xlarge.")
@click.option("--s3-prefix", required=True, help="s3://bucket/prefix for the data and the model artifact.")
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--training-image", default=None, help="Training image URI (default: resolved by the sagemaker SDK).")
@click.option("--model-uri", default=None, help="s3:// base model artifacts (default: resolved by the sagemaker SDK).")
@click.option("--source-uri", default=None, help="s3:// JumpStart training script tarball (default: the SDK's).")
@click.option("--hyperparameter", "pairs", multiple=True, metavar="KEY=VALUE",
              help="Override a JumpStart hyperparameter (epoch=5, learning_rate=0.0002, ...); repeatable.")
@click.option("--poll", default=30.0, show_default=True, type=click.FloatRange(0, 600), help="Seconds between checks.")
@click.option("--dry-run", is_flag=True, help="Print the CreateTrainingJob request and the uploads; call nothing.")
@json_option
@click.pass_context
def finetune(ctx: click.Context, capability: str, dataset_dir: str, base_model: str, role_arn: str,
             instance_type: str, s3_prefix: str, region: Optional[str], training_image: Optional[str],
             model_uri: Optional[str], source_uri: Optional[str], pairs: tuple[str, ...], poll: float,
             dry_run: bool) -> None:
    """Fine-tune a student for CAPABILITY on SageMaker (JumpStart Llama 3.x) and print the model artifact."""
    import boto3

    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.ops.deploy import timestamp
    from adeptai_sagemaker.student import finetune as ft

    settings = load_settings()
    region = settings.checked_region(region)
    uris = ft.JumpStartUris.resolve(base_model, region, instance_type, training_image=training_image,
                                    model_uri=model_uri, source_uri=source_uri)
    plan = ft.plan(capability, dataset_dir, base_model=base_model, role_arn=role_arn, instance_type=instance_type,
                   s3_prefix=s3_prefix, uris=uris, stamp=timestamp(), hyperparameters=_hyperparameters(pairs))
    if dry_run:
        data = {**plan.to_dict(), "dry_run": True}
        _emit_json(data) if _json_mode(ctx) else _console().print_json(data=data)
        return
    console = _console(stderr=True)
    job = ft.run(plan, sm=boto3.client("sagemaker", region_name=region), s3=boto3.client("s3", region_name=region),
                 on_progress=lambda status, detail: console.print(f"{plan.request['TrainingJobName']}: {status}"
                                                                   + (f" ({detail})" if detail else "")),
                 poll_s=poll)
    status = job["TrainingJobStatus"]
    artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    ft.record(settings, {"kind": "training", "capability": capability, "dataset_id": plan.dataset_id,
                         "dataset": str(plan.dataset_dir), "format": plan.fmt, "base_model": base_model,
                         "job": plan.request["TrainingJobName"], "status": status, "artifact": artifact})
    if _json_mode(ctx):
        _emit_json({"job": plan.request["TrainingJobName"], "status": status, "artifact": artifact,
                    "dataset_id": plan.dataset_id})
    else:
        _console().print(f"{plan.request['TrainingJobName']} {status}; model artifact: {artifact}")
    if status != "Completed":
        raise click.ClickException(f"training job {plan.request['TrainingJobName']} ended {status}: "
                                   f"{job.get('FailureReason', 'no reason given')}")
