"""Deploy an LLM endpoint: model, endpoint config, endpoint and autoscaling, checked and repeatable.

One ``DeploymentPlan`` describes the model(s), the endpoint config (variants
with weights for A/B, optional async inference), the target-tracking
autoscaling policy and the CloudWatch alarms. ``plan()`` renders a dry run
without touching AWS; ``apply()`` executes it with boto3 ``sagemaker``,
``application-autoscaling`` and ``cloudwatch``; ``rollback(endpoint)`` puts the
endpoint back on the config it ran before.

Fixes over the monolith's scripts (docs/prior-art.md B22-B24, "-v2" collision):
- the container env uses the names the containers read: ``HF_MODEL_ID``,
  ``HF_TOKEN`` (never ``HUGGINGFACE_TOKEN``), ``SM_NUM_GPUS``,
  ``MAX_INPUT_LENGTH``/``MAX_TOTAL_TOKENS`` for TGI, ``OPTION_*`` for LMI;
  ``HUGGINGFACE_TOKEN`` is rejected with the fix in the message;
- start-up health-check and download timeouts are set (large models);
- every model and endpoint-config name carries a UTC timestamp, so re-running
  never collides, and each new config is tagged with the one it replaces, which
  is what ``rollback`` returns to;
- autoscaling is part of the deploy, and an update deregisters the variants'
  scalable targets first (SageMaker refuses some updates of autoscaled
  variants) and registers them again after;
- the region allow-list (``SAGEMAKER_ALLOWED_REGIONS``) is checked before any
  AWS call: a compliance requirement, not a suggestion.

Alarms (all in the endpoint's region):
- ``p95 ModelLatency > 500 ms``: AWS/SageMaker ``ModelLatency`` is in
  *microseconds*, so the threshold is 500000.
- ``error rate > 5%``: metric math ``100 * (4XX + 5XX) / Invocations``.
- ``daily cost > $500``: OUR metric, ``AdeptAI/SageMakerLLM`` ``CostUSD``
  (dimension ``Endpoint``; published by ``metrics.CloudWatchExporter``), summed
  over one day. It is the amortized cost of requests served, so it catches
  runaway traffic/scale-out per endpoint; it does not see idle instance-hours
  (those are fixed and known from ``cost``) and is not the invoice. We chose it
  over AWS/Billing ``EstimatedCharges`` because that metric exists only in
  us-east-1, is account-wide per service, month-to-date and hours late.
- ``endpoint unhealthy``: OUR metric ``CircuitOpen`` (dimension ``Endpoint``):
  the client-side circuit breaker is open (consecutive failures, throttles,
  timeouts) for 3 of 5 minutes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Optional

from adeptai_sagemaker.core.errors import ConfigurationError

ProgressFn = Callable[[str, str], None]
"""on_progress(step, detail): called before each AWS step (the CLI draws a progress bar from it)."""

PREVIOUS_CONFIG_TAG = "adeptai-sagemaker:previous-config"
MANAGED_TAG = "adeptai-sagemaker:managed"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRICS_NAMESPACE = "AdeptAI/SageMakerLLM"
_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
#: Container env names whose values are secrets, masked in dry runs and logs. A list of names, not a
#: substring match: "TOKEN" would also hide MAX_TOTAL_TOKENS, which an operator must see.
SECRET_ENV_NAMES = frozenset({
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN", "HUGGINGFACE_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
    "ADEPTAI_SAGEMAKER_CACHE_KEY", "WANDB_API_KEY", "DATABASE_URL", "DB_PASSWORD",
})


# --------------------------------------------------------------------------- container env


def tgi_env(model_id: str, *, hf_token: Optional[str] = None, num_gpus: int = 1, max_input_length: int = 4096,
            max_total_tokens: int = 8192, extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Environment for the Hugging Face TGI container (``huggingface-pytorch-tgi-inference``)."""
    if max_total_tokens <= max_input_length:
        raise ConfigurationError("MAX_TOTAL_TOKENS must be greater than MAX_INPUT_LENGTH (it includes the output)")
    env = {"HF_MODEL_ID": model_id, "SM_NUM_GPUS": str(num_gpus), "MAX_INPUT_LENGTH": str(max_input_length),
           "MAX_TOTAL_TOKENS": str(max_total_tokens)}
    if hf_token:
        env["HF_TOKEN"] = hf_token
    env.update(extra or {})
    return env


def lmi_env(model_id: str, *, hf_token: Optional[str] = None, tensor_parallel_degree: int = 1,
            rolling_batch: str = "lmi-dist", max_rolling_batch_size: int = 32, max_model_len: Optional[int] = None,
            extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """Environment for the DJL LMI container (``djl-inference``); options are ``OPTION_*`` variables."""
    env = {"HF_MODEL_ID": model_id, "OPTION_ROLLING_BATCH": rolling_batch,
           "OPTION_TENSOR_PARALLEL_DEGREE": str(tensor_parallel_degree),
           "OPTION_MAX_ROLLING_BATCH_SIZE": str(max_rolling_batch_size)}
    if max_model_len:
        env["OPTION_MAX_MODEL_LEN"] = str(max_model_len)
    if hf_token:
        env["HF_TOKEN"] = hf_token
    env.update(extra or {})
    return env


def check_env(env: Mapping[str, str]) -> None:
    """Reject the variable names that silently break gated-model downloads (B22)."""
    if "HUGGINGFACE_TOKEN" in env:
        raise ConfigurationError("container env sets HUGGINGFACE_TOKEN, which TGI/LMI ignore: use HF_TOKEN")
    if "HF_API_TOKEN" in env and "HF_TOKEN" not in env:
        raise ConfigurationError("container env sets HF_API_TOKEN only: TGI and LMI read HF_TOKEN")


def mask_env(env: Mapping[str, str]) -> dict[str, str]:
    """The env with secret values masked, for dry runs and logs."""
    return {k: ("***" if k.upper() in SECRET_ENV_NAMES and v else v) for k, v in env.items()}


# --------------------------------------------------------------------------- the plan


@dataclass
class ModelSpec:
    image_uri: str
    execution_role_arn: str
    env: dict[str, str] = field(default_factory=dict)
    model_data_url: Optional[str] = None  # s3://.../model.tar.gz, or None when HF_MODEL_ID downloads it


@dataclass
class VariantSpec:
    name: str
    model: ModelSpec
    instance_type: str = "ml.g5.2xlarge"
    initial_instance_count: int = 1
    weight: float = 1.0
    startup_health_check_timeout_s: int = 900
    model_data_download_timeout_s: int = 1800


@dataclass
class AsyncSpec:
    """Async inference (bulk work: market-intelligence batches): results land in S3, SNS says when."""

    s3_output_path: str
    s3_failure_path: Optional[str] = None
    success_topic_arn: Optional[str] = None
    error_topic_arn: Optional[str] = None
    max_concurrent_invocations_per_instance: Optional[int] = None


@dataclass
class AutoscalingSpec:
    """Target tracking: 1..10 instances, 70 invocations per instance per minute."""

    min_capacity: int = 1
    max_capacity: int = 10
    target_invocations_per_instance: float = 70.0
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60
    async_backlog_per_instance: float = 5.0  # used instead for async endpoints (ApproximateBacklogSizePerInstance)


def _default_latency_budget_ms() -> float:
    """No capability named: the most generous per-capability budget (see budgets.py)."""
    from adeptai_sagemaker.rollout.budgets import projected_budget_ms
    from adeptai_sagemaker.plugin.tasks import CAPABILITIES

    return max(projected_budget_ms(c) for c in CAPABILITIES)


@dataclass
class AlarmSpec:
    """Alarm thresholds; the p95 latency one is the capability's budget, the same the promotion gate uses."""

    latency_p95_ms: float = field(default_factory=_default_latency_budget_ms)
    error_rate_percent: float = 5.0
    daily_cost_usd: float = 500.0
    sns_topic_arn: Optional[str] = None  # alarm actions; None = alarms only change state

    @classmethod
    def for_capability(cls, capability: str, settings: Any = None, **kwargs: Any) -> "AlarmSpec":
        """Alarms whose latency threshold is ``capability``'s p95 budget (``budgets.latency_budget_ms``)."""
        from adeptai_sagemaker.rollout.budgets import latency_budget_ms

        return cls(latency_p95_ms=latency_budget_ms(capability, settings), **kwargs)


@dataclass
class DeploymentPlan:
    endpoint_name: str
    region: str
    variants: list[VariantSpec]
    async_inference: Optional[AsyncSpec] = None
    autoscaling: Optional[AutoscalingSpec] = field(default_factory=AutoscalingSpec)
    alarms: Optional[AlarmSpec] = field(default_factory=AlarmSpec)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.endpoint_name) or len(self.endpoint_name) > 40:
            raise ConfigurationError(
                f"endpoint name {self.endpoint_name!r}: use letters, digits and hyphens, at most 40 characters "
                "(23 are reserved for the timestamped config and model names)")
        if not self.variants:
            raise ConfigurationError("a deployment needs at least one variant")
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"variant names must be unique: {names}")
        for v in self.variants:
            check_env(v.model.env)
            if v.weight < 0 or v.initial_instance_count < 1:
                raise ConfigurationError(f"variant {v.name}: weight must be >= 0 and instance count >= 1")
        if sum(v.weight for v in self.variants) <= 0:
            raise ConfigurationError("at least one variant needs a positive weight")
        if self.autoscaling and self.autoscaling.min_capacity > self.autoscaling.max_capacity:
            raise ConfigurationError("autoscaling min_capacity is above max_capacity")

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def single(cls, endpoint_name: str, region: str, *, image_uri: str, role_arn: str, env: Mapping[str, str],
               instance_type: str = "ml.g5.2xlarge", instance_count: int = 1, model_data_url: Optional[str] = None,
               **kwargs: Any) -> "DeploymentPlan":
        variant = VariantSpec("AllTraffic", ModelSpec(image_uri, role_arn, dict(env), model_data_url),
                              instance_type, instance_count)
        return cls(endpoint_name, region, [variant], **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DeploymentPlan":
        """Build from JSON (``adeptai-sagemaker deploy --plan-file plan.json``)."""
        try:
            variants = [VariantSpec(**{**v, "model": ModelSpec(**v["model"])}) for v in data["variants"]]
            extra = {k: data[k] for k in ("tags",) if k in data}
            return cls(
                data["endpoint_name"], data["region"], variants,
                async_inference=AsyncSpec(**data["async_inference"]) if data.get("async_inference") else None,
                autoscaling=(AutoscalingSpec(**data["autoscaling"]) if data.get("autoscaling") is not None
                             else AutoscalingSpec()) if data.get("autoscaling", {}) is not False else None,
                alarms=(AlarmSpec(**data["alarms"]) if data.get("alarms") is not None else AlarmSpec())
                if data.get("alarms", {}) is not False else None,
                **extra,
            )
        except (KeyError, TypeError) as exc:
            raise ConfigurationError(f"invalid deployment plan: {type(exc).__name__}: {exc}") from None

    # ------------------------------------------------------------------ AWS request shapes

    def names(self, stamp: str) -> dict[str, str]:
        return {"config": f"{self.endpoint_name}-cfg-{stamp}",
                **{f"model:{v.name}": _model_name(self.endpoint_name, v.name, stamp) for v in self.variants}}

    def model_request(self, variant: VariantSpec, model_name: str, *, masked: bool = False) -> dict[str, Any]:
        container: dict[str, Any] = {"Image": variant.model.image_uri,
                                     "Environment": mask_env(variant.model.env) if masked else dict(variant.model.env)}
        if variant.model.model_data_url:
            container["ModelDataUrl"] = variant.model.model_data_url
        return {"ModelName": model_name, "PrimaryContainer": container,
                "ExecutionRoleArn": variant.model.execution_role_arn, "Tags": self._tags()}

    def endpoint_config_request(self, names: Mapping[str, str], previous: Optional[str]) -> dict[str, Any]:
        variants = [{
            "VariantName": v.name, "ModelName": names[f"model:{v.name}"], "InstanceType": v.instance_type,
            "InitialInstanceCount": v.initial_instance_count, "InitialVariantWeight": float(v.weight),
            "ContainerStartupHealthCheckTimeoutInSeconds": v.startup_health_check_timeout_s,
            "ModelDataDownloadTimeoutInSeconds": v.model_data_download_timeout_s,
        } for v in self.variants]
        request: dict[str, Any] = {"EndpointConfigName": names["config"], "ProductionVariants": variants,
                                   "Tags": self._tags() + [{"Key": PREVIOUS_CONFIG_TAG, "Value": previous or "none"}]}
        if self.async_inference:
            a = self.async_inference
            output: dict[str, Any] = {"S3OutputPath": a.s3_output_path}
            if a.s3_failure_path:
                output["S3FailurePath"] = a.s3_failure_path
            notify = {k: v for k, v in (("SuccessTopic", a.success_topic_arn), ("ErrorTopic", a.error_topic_arn)) if v}
            if notify:
                output["NotificationConfig"] = notify
            request["AsyncInferenceConfig"] = {"OutputConfig": output}
            if a.max_concurrent_invocations_per_instance:
                request["AsyncInferenceConfig"]["ClientConfig"] = {
                    "MaxConcurrentInvocationsPerInstance": a.max_concurrent_invocations_per_instance}
        return request

    def scaling_requests(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(register_scalable_target, put_scaling_policy) per variant."""
        if not self.autoscaling:
            return []
        s = self.autoscaling
        out = []
        for v in self.variants:
            resource = f"endpoint/{self.endpoint_name}/variant/{v.name}"
            if self.async_inference:  # invocations/instance means nothing for a queue: track the backlog
                metric = {"CustomizedMetricSpecification": {
                    "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker",
                    "Dimensions": [{"Name": "EndpointName", "Value": self.endpoint_name}], "Statistic": "Average"}}
                target = s.async_backlog_per_instance
            else:
                metric = {"PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
                target = s.target_invocations_per_instance
            out.append((
                {"ServiceNamespace": "sagemaker", "ResourceId": resource, "ScalableDimension": SCALABLE_DIMENSION,
                 "MinCapacity": s.min_capacity, "MaxCapacity": s.max_capacity},
                {"PolicyName": f"{self.endpoint_name}-{v.name}-target-tracking", "ServiceNamespace": "sagemaker",
                 "ResourceId": resource, "ScalableDimension": SCALABLE_DIMENSION, "PolicyType": "TargetTrackingScaling",
                 "TargetTrackingScalingPolicyConfiguration": {
                     "TargetValue": float(target), **metric,
                     "ScaleInCooldown": s.scale_in_cooldown_s, "ScaleOutCooldown": s.scale_out_cooldown_s}},
            ))
        return out

    def alarm_requests(self) -> list[dict[str, Any]]:
        if not self.alarms:
            return []
        a, ep = self.alarms, self.endpoint_name
        actions = {"AlarmActions": [a.sns_topic_arn], "OKActions": [a.sns_topic_arn]} if a.sns_topic_arn else {}
        ep_dim = [{"Name": "EndpointName", "Value": ep}]
        requests = []
        for v in self.variants:
            dims = ep_dim + [{"Name": "VariantName", "Value": v.name}]
            requests.append({
                "AlarmName": f"{ep}-{v.name}-p95-model-latency",
                "AlarmDescription": f"p95 ModelLatency above {a.latency_p95_ms:g} ms (metric is in microseconds)",
                "Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Dimensions": dims,
                "ExtendedStatistic": "p95", "Period": 60, "EvaluationPeriods": 5, "DatapointsToAlarm": 3,
                "Threshold": a.latency_p95_ms * 1000.0, "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching", **actions})

            def stat(metric_id: str, name: str) -> dict[str, Any]:
                return {"Id": metric_id, "ReturnData": False, "MetricStat": {
                    "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims},
                    "Period": 60, "Stat": "Sum"}}

            requests.append({
                "AlarmName": f"{ep}-{v.name}-error-rate",
                "AlarmDescription": f"(Invocation4XXErrors + Invocation5XXErrors) / Invocations above {a.error_rate_percent:g}%",
                "Metrics": [stat("inv", "Invocations"), stat("e4xx", "Invocation4XXErrors"),
                            stat("e5xx", "Invocation5XXErrors"),
                            {"Id": "error_rate", "Label": "error rate %", "ReturnData": True,
                             "Expression": "IF(inv > 0, 100 * (e4xx + e5xx) / inv, 0)"}],
                "EvaluationPeriods": 5, "DatapointsToAlarm": 3, "Threshold": a.error_rate_percent,
                "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", **actions})
        own_dim = [{"Name": "Endpoint", "Value": ep}]
        requests.append({
            "AlarmName": f"{ep}-daily-cost",
            "AlarmDescription": (f"amortized request cost (our CostUSD metric) above ${a.daily_cost_usd:g}/day; "
                                 "idle instance-hours are not included"),
            "Namespace": METRICS_NAMESPACE, "MetricName": "CostUSD", "Dimensions": own_dim, "Statistic": "Sum",
            "Period": 86400, "EvaluationPeriods": 1, "Threshold": a.daily_cost_usd,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching", **actions})
        requests.append({
            "AlarmName": f"{ep}-unhealthy",
            "AlarmDescription": "client-side circuit breaker open (our CircuitOpen metric) 3 of 5 minutes",
            "Namespace": METRICS_NAMESPACE, "MetricName": "CircuitOpen", "Dimensions": own_dim, "Statistic": "Maximum",
            "Period": 60, "EvaluationPeriods": 5, "DatapointsToAlarm": 3, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching", **actions})
        return requests

    def _tags(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in sorted({MANAGED_TAG: "true", **self.tags}.items())]

    # ------------------------------------------------------------------ dry run and apply

    def plan(self, stamp: Optional[str] = None) -> str:
        """A readable dry run of every AWS call ``apply()`` would make (secrets masked; no AWS calls)."""
        stamp = stamp or timestamp()
        names = self.names(stamp)
        lines = [f"Deployment plan for endpoint {self.endpoint_name!r} in {self.region} (dry run: nothing is changed)"]
        step = 0

        def add(text: str) -> None:
            nonlocal step
            step += 1
            lines.append(f"{step:>2}. {text}")

        for v in self.variants:
            req = self.model_request(v, names[f"model:{v.name}"], masked=True)
            add(f"sagemaker:CreateModel {req['ModelName']}\n      image {v.model.image_uri}"
                + (f"\n      model data {v.model.model_data_url}" if v.model.model_data_url else "")
                + f"\n      env {json.dumps(req['PrimaryContainer']['Environment'], sort_keys=True)}")
        total = sum(v.weight for v in self.variants)
        variant_lines = "".join(
            f"\n      variant {v.name}: {v.initial_instance_count} x {v.instance_type}, "
            f"weight {v.weight:g} ({100 * v.weight / total:.0f}% of traffic)" for v in self.variants)
        async_line = (f"\n      async inference -> {self.async_inference.s3_output_path}"
                      + (f", SNS success {self.async_inference.success_topic_arn}" if self.async_inference.success_topic_arn else "")
                      + (f", SNS error {self.async_inference.error_topic_arn}" if self.async_inference.error_topic_arn else "")
                      ) if self.async_inference else ""
        add(f"sagemaker:CreateEndpointConfig {names['config']}{variant_lines}{async_line}\n"
            f"      tagged {PREVIOUS_CONFIG_TAG}=<current config> for rollback")
        if self.autoscaling:
            add("application-autoscaling:DeregisterScalableTarget for each variant (only if the endpoint exists)")
        add(f"sagemaker:CreateEndpoint or UpdateEndpoint {self.endpoint_name} -> {names['config']}, "
            "then wait until InService")
        for register, policy in self.scaling_requests():
            cfg = policy["TargetTrackingScalingPolicyConfiguration"]
            metric = (cfg.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
                      or cfg["CustomizedMetricSpecification"]["MetricName"])
            add(f"application-autoscaling: {register['ResourceId']} min {register['MinCapacity']} max "
                f"{register['MaxCapacity']}, target {cfg['TargetValue']:g} {metric}, "
                f"scale-in cooldown {cfg['ScaleInCooldown']}s, scale-out {cfg['ScaleOutCooldown']}s")
        for alarm in self.alarm_requests():
            add(f"cloudwatch:PutMetricAlarm {alarm['AlarmName']}: {alarm['AlarmDescription']}")
        return "\n".join(lines)

    def apply(self, settings=None, *, clients: Optional[Mapping[str, Any]] = None,
              on_progress: Optional[ProgressFn] = None, wait: bool = True, waiter_delay_s: int = 30,
              waiter_max_attempts: int = 120, stamp: Optional[str] = None) -> "DeployResult":
        """Create the models and config, create or update the endpoint, wait, then autoscaling and alarms."""
        _settings(settings).checked_region(self.region)
        aws = _Clients(self.region, clients)
        progress = on_progress or (lambda step, detail: None)
        stamp = stamp or timestamp()
        names = self.names(stamp)
        sm = aws.get("sagemaker")
        previous = current_config(sm, self.endpoint_name)
        for v in self.variants:
            progress("model", names[f"model:{v.name}"])
            sm.create_model(**self.model_request(v, names[f"model:{v.name}"]))
        progress("endpoint-config", names["config"])
        sm.create_endpoint_config(**self.endpoint_config_request(names, previous))
        old_variants: list[str] = []
        if previous:
            old_variants = [v["VariantName"] for v in sm.describe_endpoint(EndpointName=self.endpoint_name)
                            .get("ProductionVariants", [])]
        _switch(aws, self.endpoint_name, names["config"], previous is not None, old_variants, progress,
                wait, waiter_delay_s, waiter_max_attempts)
        aas = aws.get("application-autoscaling")
        for register, policy in self.scaling_requests():
            progress("autoscaling", register["ResourceId"])
            aas.register_scalable_target(**register)
            aas.put_scaling_policy(**policy)
        cw = aws.get("cloudwatch")
        alarms = self.alarm_requests()
        for alarm in alarms:
            progress("alarm", alarm["AlarmName"])
            cw.put_metric_alarm(**alarm)
        progress("done", self.endpoint_name)
        return DeployResult(self.endpoint_name, names["config"], previous,
                            [names[f"model:{v.name}"] for v in self.variants], [a["AlarmName"] for a in alarms],
                            created=previous is None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DeployResult:
    endpoint_name: str
    endpoint_config: str
    previous_config: Optional[str]
    models: list[str]
    alarms: list[str]
    created: bool


# --------------------------------------------------------------------------- rollback and helpers


def rollback(endpoint_name: str, region: str, settings=None, *, clients: Optional[Mapping[str, Any]] = None,
             on_progress: Optional[ProgressFn] = None, wait: bool = True, waiter_delay_s: int = 30,
             waiter_max_attempts: int = 120) -> tuple[str, str]:
    """Switch ``endpoint_name`` back to the config it ran before the current one; returns (from, to).

    The previous config is the one recorded in the current config's
    ``adeptai-sagemaker:previous-config`` tag at deploy time; for configs made
    elsewhere, the newest older ``<endpoint>-cfg-<timestamp>`` config.
    The scalable targets and policies are carried over to the restored variants.
    """
    _settings(settings).checked_region(region)
    aws = _Clients(region, clients)
    progress = on_progress or (lambda step, detail: None)
    sm = aws.get("sagemaker")
    current = current_config(sm, endpoint_name)
    if current is None:
        raise ConfigurationError(f"endpoint {endpoint_name!r} does not exist in {region}; nothing to roll back")
    target = previous_config(sm, endpoint_name, current)
    if target is None:
        raise ConfigurationError(f"endpoint {endpoint_name!r} has no previous endpoint config to roll back to "
                                 f"(current: {current})")
    endpoint = sm.describe_endpoint(EndpointName=endpoint_name)
    old_variants = [v["VariantName"] for v in endpoint.get("ProductionVariants", [])]
    aas = aws.get("application-autoscaling")
    saved = _scaling_state(aas, endpoint_name, old_variants)
    _switch(aws, endpoint_name, target, True, old_variants, progress, wait, waiter_delay_s, waiter_max_attempts)
    new_variants = {v["VariantName"] for v in sm.describe_endpoint_config(EndpointConfigName=target)["ProductionVariants"]}
    for variant, (register, policies) in saved.items():
        if variant not in new_variants:
            continue
        progress("autoscaling", register["ResourceId"])
        aas.register_scalable_target(**register)
        for policy in policies:
            aas.put_scaling_policy(**policy)
    progress("done", endpoint_name)
    return current, target


def _settings(settings=None):
    if settings is None:
        from adeptai_sagemaker.core.settings import load_settings

        settings = load_settings()
    return settings


def timestamp(now: Optional[datetime] = None) -> str:
    """UTC, to the millisecond: ``20250601-120301-123`` (unique per run, sorts by time)."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%d-%H%M%S-") + f"{now.microsecond // 1000:03d}"


def _model_name(endpoint: str, variant: str, stamp: str) -> str:
    base = f"{endpoint}-{variant}".lower()
    base = re.sub(r"[^a-z0-9-]+", "-", base)[: 63 - len(stamp) - 1].strip("-")
    return f"{base}-{stamp}"


def current_config(sm, endpoint_name: str) -> Optional[str]:
    try:
        return sm.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    except Exception as exc:  # botocore ClientError: ValidationException "Could not find endpoint"
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        message = str(exc)
        if code in ("ValidationException", "ValidationError") and "not find" in message.lower():
            return None
        raise


def previous_config(sm, endpoint_name: str, current: str) -> Optional[str]:
    try:
        arn = sm.describe_endpoint_config(EndpointConfigName=current)["EndpointConfigArn"]
        for tag in sm.list_tags(ResourceArn=arn).get("Tags", []):
            if tag["Key"] == PREVIOUS_CONFIG_TAG and tag["Value"] not in ("", "none"):
                return tag["Value"]
    except Exception:  # tags unreadable: fall back to the naming scheme
        pass
    prefix = f"{endpoint_name}-cfg-"
    names: list[str] = []
    kwargs: dict[str, Any] = {"NameContains": prefix, "MaxResults": 100}
    while True:
        page = sm.list_endpoint_configs(**kwargs)
        names += [c["EndpointConfigName"] for c in page.get("EndpointConfigs", [])
                  if c["EndpointConfigName"].startswith(prefix)]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    older = sorted(n for n in names if n < current)
    return older[-1] if older else None


def _scaling_state(aas, endpoint_name: str, variants: list[str]) -> dict[str, tuple[dict, list[dict]]]:
    out: dict[str, tuple[dict, list[dict]]] = {}
    for variant in variants:
        resource = f"endpoint/{endpoint_name}/variant/{variant}"
        targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource],
                                                ScalableDimension=SCALABLE_DIMENSION).get("ScalableTargets", [])
        if not targets:
            continue
        t = targets[0]
        register = {"ServiceNamespace": "sagemaker", "ResourceId": resource, "ScalableDimension": SCALABLE_DIMENSION,
                    "MinCapacity": t["MinCapacity"], "MaxCapacity": t["MaxCapacity"]}
        policies = []
        for p in aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource,
                                               ScalableDimension=SCALABLE_DIMENSION).get("ScalingPolicies", []):
            if p.get("PolicyType") == "TargetTrackingScaling":
                policies.append({k: p[k] for k in ("PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension",
                                                   "PolicyType", "TargetTrackingScalingPolicyConfiguration")})
        out[variant] = (register, policies)
    return out


def _switch(aws: "_Clients", endpoint_name: str, config_name: str, exists: bool, old_variants: list[str],
            progress: ProgressFn, wait: bool, delay: int, max_attempts: int) -> None:
    sm = aws.get("sagemaker")
    if exists:
        aas = aws.get("application-autoscaling")
        for variant in old_variants:
            resource = f"endpoint/{endpoint_name}/variant/{variant}"
            found = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource],
                                                  ScalableDimension=SCALABLE_DIMENSION).get("ScalableTargets")
            if found:
                progress("deregister-autoscaling", resource)
                aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                               ScalableDimension=SCALABLE_DIMENSION)
        progress("update-endpoint", f"{endpoint_name} -> {config_name}")
        sm.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)
    else:
        progress("create-endpoint", f"{endpoint_name} -> {config_name}")
        sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)
    if wait:
        progress("wait", f"{endpoint_name} InService")
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName=endpoint_name, WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts})


class _Clients:
    """boto3 clients for one region, created on first use (tests pass their own)."""

    def __init__(self, region: str, given: Optional[Mapping[str, Any]] = None):
        self.region = region
        self._clients = dict(given or {})

    def get(self, service: str):
        client = self._clients.get(service)
        if client is None:
            import boto3

            client = self._clients[service] = boto3.client(service, region_name=self.region)
        return client
