"""``deploy`` and ``rollback``: endpoints, autoscaling and alarms through boto3."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Optional

import click

from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option


def _alarms(settings, endpoint_name: str, capability: Optional[str], topic: Optional[str]):
    """Alarm spec with the capability's latency budget (named, or found by the endpoint it is configured with)."""
    from adeptai_sagemaker.ops.deploy import AlarmSpec

    if capability is None:
        capability = next((c for c in CAPABILITIES if settings.endpoint(c) == endpoint_name), None)
    if capability is None:
        return AlarmSpec(sns_topic_arn=topic)
    return AlarmSpec.for_capability(capability, settings, sns_topic_arn=topic)


# --------------------------------------------------------------------------- deploy / rollback

#: Where SageMaker unpacks ``ModelDataUrl`` in the container: TGI/LMI load a fine-tuned model from there.
STUDENT_MODEL_DIR = "/opt/ml/model"


def _student_run(settings, model_data: Optional[str]) -> Optional[dict]:
    """The recorded ``finetune`` run that produced ``model_data``, if any (dataset -> endpoint lineage)."""
    if not model_data:
        return None
    from adeptai_sagemaker.student.finetune import run_for_artifact

    return run_for_artifact(settings, model_data)



def _progress_runner(total: int, description: str):
    """A rich progress bar advanced by deploy's on_progress(step, detail) callbacks."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=_console(stderr=True), transient=False)
    task = progress.add_task(description, total=total)

    def on_progress(step: str, detail: str) -> None:
        progress.update(task, description=f"{step}: {detail}", advance=1)

    return progress, on_progress


def _resolve_region(region: Optional[str]):
    from adeptai_sagemaker.core.settings import load_settings

    settings = load_settings()
    return settings, region or settings.region()


def _plan_data(plan) -> dict:
    """The dry run as data: every AWS request ``apply()`` would send, in order, secrets masked."""
    from adeptai_sagemaker.ops.deploy import timestamp

    names = plan.names(timestamp())
    requests = [{"call": "sagemaker:CreateModel", "request": plan.model_request(v, names[f"model:{v.name}"], masked=True)}
                for v in plan.variants]
    requests.append({"call": "sagemaker:CreateEndpointConfig",
                     "request": plan.endpoint_config_request(names, "<current config>")})
    requests.append({"call": "sagemaker:CreateEndpoint or UpdateEndpoint",
                     "request": {"EndpointName": plan.endpoint_name, "EndpointConfigName": names["config"]}})
    for register, policy in plan.scaling_requests():
        requests.append({"call": "application-autoscaling:RegisterScalableTarget", "request": register})
        requests.append({"call": "application-autoscaling:PutScalingPolicy", "request": policy})
    requests.extend({"call": "cloudwatch:PutMetricAlarm", "request": alarm} for alarm in plan.alarm_requests())
    return {"endpoint_name": plan.endpoint_name, "region": plan.region, "endpoint_config": names["config"],
            "requests": requests}


@cli.command()
@click.option("--plan-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON DeploymentPlan (variants, async, autoscaling, alarms); overrides the flags below.")
@click.option("--endpoint-name", default=None, help="Endpoint to create or update.")
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--image", default=None, help="Container image URI (TGI or LMI DLC, or your BYOC image).")
@click.option("--role-arn", default=None, help="SageMaker execution role ARN.")
@click.option("--container", type=click.Choice(["tgi", "lmi"]), default="tgi", show_default=True)
@click.option("--model-id", default=None, help="HF_MODEL_ID, e.g. meta-llama/Llama-3.1-8B-Instruct.")
@click.option("--model-data", default=None,
              help="s3:// model artifact (model.tar.gz or a prefix), e.g. what `finetune` printed; without "
                   "--model-id the container serves it from /opt/ml/model.")
@click.option("--instance-type", default="ml.g5.2xlarge", show_default=True)
@click.option("--instance-count", default=1, show_default=True, type=int)
@click.option("--num-gpus", default=1, show_default=True, type=int, help="SM_NUM_GPUS / tensor parallel degree.")
@click.option("--max-input-length", default=4096, show_default=True, type=int)
@click.option("--max-total-tokens", default=8192, show_default=True, type=int)
@click.option("--hf-token-env", default="HF_TOKEN", show_default=True,
              help="Name of the env var holding the Hugging Face token (never pass tokens as arguments).")
@click.option("--async-output", default=None, help="s3:// path: deploy as an async inference endpoint.")
@click.option("--success-topic", default=None, help="SNS topic ARN for async successes.")
@click.option("--error-topic", default=None, help="SNS topic ARN for async errors.")
@click.option("--alarm-topic", default=None, help="SNS topic ARN for the CloudWatch alarms.")
@click.option("--capability", type=click.Choice(CAPABILITIES), default=None,
              help="The module this endpoint serves: its p95 latency budget becomes the ModelLatency alarm "
                   "threshold (default: the module whose SAGEMAKER_<STEM>_ENDPOINT names this endpoint).")
@click.option("--no-autoscaling", is_flag=True)
@click.option("--no-alarms", is_flag=True)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--no-wait", is_flag=True, help="Do not wait for InService (autoscaling still needs it).")
@json_option
@click.pass_context
def deploy(ctx: click.Context, plan_file, endpoint_name, region, image, role_arn, container, model_id, model_data,
           instance_type, instance_count, num_gpus, max_input_length, max_total_tokens, hf_token_env, async_output,
           success_topic, error_topic, alarm_topic, capability, no_autoscaling, no_alarms, dry_run, no_wait) -> None:
    """Create or update an endpoint with autoscaling and alarms (see --dry-run)."""
    import os

    from adeptai_sagemaker.ops.deploy import AsyncSpec, AutoscalingSpec, DeploymentPlan, lmi_env, tgi_env

    settings, region = _resolve_region(region)
    student = None
    if plan_file:
        with open(plan_file, encoding="utf-8") as fh:
            plan = DeploymentPlan.from_dict({"region": region, **json.load(fh)})
    else:
        student = _student_run(settings, model_data)
        model_id = model_id or (STUDENT_MODEL_DIR if model_data else None)
        missing = [name for name, value in (("--endpoint-name", endpoint_name), ("--image", image),
                                            ("--role-arn", role_arn), ("--model-id", model_id)) if not value]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)} (or pass --plan-file)")
        token = os.environ.get(hf_token_env) or None
        if container == "tgi":
            env = tgi_env(model_id, hf_token=token, num_gpus=num_gpus, max_input_length=max_input_length,
                          max_total_tokens=max_total_tokens)
        else:
            env = lmi_env(model_id, hf_token=token, tensor_parallel_degree=num_gpus,
                          max_model_len=max_total_tokens)
        plan = DeploymentPlan.single(
            endpoint_name, region, image_uri=image, role_arn=role_arn, env=env, instance_type=instance_type,
            instance_count=instance_count, model_data_url=model_data,
            async_inference=AsyncSpec(async_output, success_topic_arn=success_topic, error_topic_arn=error_topic)
            if async_output else None,
            autoscaling=None if no_autoscaling else AutoscalingSpec(),
            alarms=None if no_alarms else _alarms(settings, endpoint_name, capability, alarm_topic))
    settings.checked_region(plan.region)
    if dry_run:
        lineage = {"student_run": student} if student else {}
        if _json_mode(ctx):
            _emit_json({"dry_run": True, **_plan_data(plan), **lineage})
        else:
            _console().print(plan.plan())
            if student:
                _console().print(f"serves the {student['capability']} student from dataset {student['dataset_id']} "
                                 f"(training job {student['job']})")
        return
    total = (len(plan.variants) + 3 + len(plan.scaling_requests()) + len(plan.alarm_requests())
             + (len(plan.variants) if plan.autoscaling else 0))
    progress, on_progress = _progress_runner(total, f"deploying {plan.endpoint_name}")
    with progress:
        result = plan.apply(settings, on_progress=on_progress, wait=not no_wait)
    if model_data and not plan_file:
        from adeptai_sagemaker.student.finetune import record

        record(settings, {"kind": "deploy", "artifact": model_data, "endpoint": result.endpoint_name,
                          "endpoint_config": result.endpoint_config})  # report's dataset -> endpoint lineage
    if _json_mode(ctx):
        _emit_json(asdict(result))
    else:
        _console().print(f"[green]endpoint {result.endpoint_name} {'created' if result.created else 'updated'} "
                         f"on {result.endpoint_config}[/]"
                         + (f" (rollback target: {result.previous_config})" if result.previous_config else ""))


@cli.command()
@click.argument("endpoint_name")
@click.option("--region", default=None, help="Default: AWS_REGION / SAGEMAKER_REGION.")
@click.option("--no-wait", is_flag=True)
@json_option
@click.pass_context
def rollback(ctx: click.Context, endpoint_name: str, region: Optional[str], no_wait: bool) -> None:
    """Switch ENDPOINT_NAME back to its previous endpoint config.

    To take traffic off SageMaker entirely instead, set SAGEMAKER_LLM_ENABLED=false
    (or the module's SAGEMAKER_<STEM>_MODE=off) in the monolith's environment.
    """
    from adeptai_sagemaker.ops.deploy import rollback as do_rollback

    settings, region = _resolve_region(region)
    progress, on_progress = _progress_runner(6, f"rolling back {endpoint_name}")
    with progress:
        before, after = do_rollback(endpoint_name, region, settings, on_progress=on_progress, wait=not no_wait)
    if _json_mode(ctx):
        _emit_json({"endpoint_name": endpoint_name, "from": before, "to": after})
    else:
        _console().print(f"[green]{endpoint_name}: {before} -> {after}[/]")
