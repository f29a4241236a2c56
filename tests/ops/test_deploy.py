"""deploy.py end to end against moto: create, update, autoscaling, alarms, rollback, region guard.

moto 5 does not implement ``UpdateEndpoint``; ``moto_aws`` adds a minimal one to moto's
SageMaker responder (switch the endpoint's config, keep it InService), so the update and
rollback paths run through real boto3 request/response handling. moto's instance-type
enum predates g5, so these plans use ml.g4dn.xlarge.
"""

from __future__ import annotations

import pytest

from adeptai_sagemaker.ops.deploy import (PREVIOUS_CONFIG_TAG, AlarmSpec, AsyncSpec, DeploymentPlan, ModelSpec,
                                      VariantSpec, check_env, lmi_env, mask_env, rollback, tgi_env, timestamp)
from adeptai_sagemaker.core.errors import ConfigurationError, RegionNotAllowedError
from adeptai_sagemaker.core.settings import load_settings

moto = pytest.importorskip("moto", reason="moto (dev extra) is needed for the deploy tests")

ROLE = "arn:aws:iam::123456789012:role/sagemaker-exec"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:example"


def _update_endpoint(self):
    from moto.core.responses import ActionResult

    name, config = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
    backend = self.sagemaker_backend
    endpoint = backend.endpoints[name]
    variants = backend.describe_endpoint_config(config)["ProductionVariants"]
    endpoint.endpoint_config_name = config
    endpoint.production_variants = endpoint._process_production_variants(variants)
    return ActionResult({"EndpointArn": endpoint.arn})


@pytest.fixture
def moto_aws(aws_env, monkeypatch):
    from moto.sagemaker.responses import SageMakerResponse

    if not hasattr(SageMakerResponse, "update_endpoint"):
        monkeypatch.setattr(SageMakerResponse, "update_endpoint", _update_endpoint, raising=False)
    with moto.mock_aws():
        import boto3

        yield {s: boto3.client(s, region_name="us-east-1") for s in ("sagemaker", "application-autoscaling", "cloudwatch")}


def settings(**kw):
    return load_settings(env_file=None, aws_region="us-east-1", **kw)


def plan(name="adeptai-job-parser", **kw):
    env = tgi_env("meta-llama/Llama-3.1-8B-Instruct", hf_token="hf_secret_value", max_input_length=3072,
                  max_total_tokens=4096)
    return DeploymentPlan.single(name, "us-east-1", image_uri=IMAGE, role_arn=ROLE, env=env,
                                 instance_type="ml.g4dn.xlarge", **kw)


def test_container_env_uses_the_names_containers_read():
    env = tgi_env("org/model", hf_token="t", num_gpus=4, max_input_length=1000, max_total_tokens=2000)
    assert env == {"HF_MODEL_ID": "org/model", "HF_TOKEN": "t", "SM_NUM_GPUS": "4", "MAX_INPUT_LENGTH": "1000",
                   "MAX_TOTAL_TOKENS": "2000"}
    lmi = lmi_env("org/model", tensor_parallel_degree=2, max_model_len=8192)
    assert lmi["OPTION_TENSOR_PARALLEL_DEGREE"] == "2" and lmi["OPTION_ROLLING_BATCH"] == "lmi-dist"
    assert lmi["OPTION_MAX_MODEL_LEN"] == "8192" and "HF_TOKEN" not in lmi
    with pytest.raises(ConfigurationError, match="HF_TOKEN"):
        check_env({"HUGGINGFACE_TOKEN": "x"})  # B22
    with pytest.raises(ConfigurationError):
        tgi_env("m", max_input_length=4096, max_total_tokens=4096)
    assert mask_env({"HF_TOKEN": "hf_x", "HF_MODEL_ID": "m"}) == {"HF_TOKEN": "***", "HF_MODEL_ID": "m"}


def test_plan_is_a_readable_dry_run_without_secrets():
    p = plan(async_inference=AsyncSpec("s3://bucket/out", success_topic_arn="arn:aws:sns:us-east-1:1:ok",
                                       error_topic_arn="arn:aws:sns:us-east-1:1:err"))
    text = p.plan(stamp="20250101-000000-000")
    assert "hf_secret_value" not in text and '"HF_TOKEN": "***"' in text
    assert "adeptai-job-parser-cfg-20250101-000000-000" in text and "async inference -> s3://bucket/out" in text
    assert "ApproximateBacklogSizePerInstance" in text  # async endpoints scale on the backlog
    for alarm in ("p95-model-latency", "error-rate", "daily-cost", "unhealthy"):
        assert alarm in text


def test_ab_variants_weights_and_validation():
    model = ModelSpec(IMAGE, ROLE, {"HF_MODEL_ID": "a"})
    p = DeploymentPlan("ab-ep", "us-east-1", [VariantSpec("A", model, "ml.g4dn.xlarge", weight=0.9),
                                              VariantSpec("B", model, "ml.g4dn.xlarge", weight=0.1)])
    text = p.plan()
    assert "weight 0.9 (90% of traffic)" in text and "weight 0.1 (10% of traffic)" in text
    with pytest.raises(ConfigurationError, match="HF_TOKEN"):
        DeploymentPlan("x", "us-east-1", [VariantSpec("A", ModelSpec(IMAGE, ROLE, {"HUGGINGFACE_TOKEN": "t"}))])
    with pytest.raises(ConfigurationError, match="unique"):
        DeploymentPlan("x", "us-east-1", [VariantSpec("A", model), VariantSpec("A", model)])


def test_names_are_unique_per_run():
    from datetime import datetime, timezone

    a = timestamp(datetime(2025, 1, 1, 0, 0, 0, 1000, tzinfo=timezone.utc))
    b = timestamp(datetime(2025, 1, 1, 0, 0, 0, 2000, tzinfo=timezone.utc))
    assert a != b and a < b
    names = plan().names(a)
    assert all(len(n) <= 63 for n in names.values())


def test_region_allow_list_is_checked_before_any_call(moto_aws):
    s = settings(sagemaker_allowed_regions="eu-west-1")
    with pytest.raises(RegionNotAllowedError) as info:
        plan().apply(s, clients=moto_aws, waiter_delay_s=1)
    assert info.value.region == "us-east-1" and info.value.allowed == ("eu-west-1",)
    assert moto_aws["sagemaker"].list_models()["Models"] == []  # nothing was created
    with pytest.raises(RegionNotAllowedError):
        rollback("adeptai-job-parser", "us-east-1", s, clients=moto_aws)


def test_apply_update_and_rollback_end_to_end(moto_aws):
    sm, aas, cw = moto_aws["sagemaker"], moto_aws["application-autoscaling"], moto_aws["cloudwatch"]
    s = settings(sagemaker_allowed_regions="us-east-1")
    steps = []
    first = plan(alarms=AlarmSpec.for_capability("job_parser", sns_topic_arn="arn:aws:sns:us-east-1:123456789012:alerts")).apply(
        s, clients=moto_aws, waiter_delay_s=1, stamp="20250101-000000-000",
        on_progress=lambda step, detail: steps.append(step))
    assert first.created and first.previous_config is None
    assert steps[:2] == ["model", "endpoint-config"] and "wait" in steps and steps[-1] == "done"
    endpoint = sm.describe_endpoint(EndpointName="adeptai-job-parser")
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == first.endpoint_config

    model = sm.describe_model(ModelName=first.models[0])
    env = model["PrimaryContainer"]["Environment"]
    assert env["HF_TOKEN"] == "hf_secret_value" and "HUGGINGFACE_TOKEN" not in env
    assert env["SM_NUM_GPUS"] == "1" and env["MAX_TOTAL_TOKENS"] == "4096"

    policy = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"][0]
    cfg = policy["TargetTrackingScalingPolicyConfiguration"]
    assert cfg["TargetValue"] == 70.0 and cfg["ScaleInCooldown"] == 300 and cfg["ScaleOutCooldown"] == 60
    assert cfg["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
    target = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 10)
    assert target["ResourceId"] == "endpoint/adeptai-job-parser/variant/AllTraffic"

    alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
    latency = alarms["adeptai-job-parser-AllTraffic-p95-model-latency"]
    # job_parser's p95 budget (budgets.py: 13,800 ms), in microseconds like ModelLatency
    assert latency["ExtendedStatistic"] == "p95" and latency["Threshold"] == 13_800_000
    assert latency["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"]
    rate = alarms["adeptai-job-parser-AllTraffic-error-rate"]
    expression = next(m for m in rate["Metrics"] if "Expression" in m)["Expression"]
    assert "e4xx + e5xx" in expression and "/ inv" in expression and rate["Threshold"] == 5.0
    assert alarms["adeptai-job-parser-daily-cost"]["MetricName"] == "CostUSD"
    assert alarms["adeptai-job-parser-daily-cost"]["Period"] == 86400
    assert alarms["adeptai-job-parser-unhealthy"]["MetricName"] == "CircuitOpen"

    second = plan(instance_count=2).apply(s, clients=moto_aws, waiter_delay_s=1, stamp="20250102-000000-000")
    assert not second.created and second.previous_config == first.endpoint_config
    assert second.endpoint_config != first.endpoint_config  # no "-v2" collision
    assert sm.describe_endpoint(EndpointName="adeptai-job-parser")["EndpointConfigName"] == second.endpoint_config
    arn = sm.describe_endpoint_config(EndpointConfigName=second.endpoint_config)["EndpointConfigArn"]
    assert {"Key": PREVIOUS_CONFIG_TAG, "Value": first.endpoint_config} in sm.list_tags(ResourceArn=arn)["Tags"]
    assert len(aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]) == 1

    before, after = rollback("adeptai-job-parser", "us-east-1", s, clients=moto_aws, waiter_delay_s=1)
    assert (before, after) == (second.endpoint_config, first.endpoint_config)
    assert sm.describe_endpoint(EndpointName="adeptai-job-parser")["EndpointConfigName"] == first.endpoint_config
    # autoscaling is carried over to the restored variant
    target = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 10)
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]


def test_rollback_without_history_is_a_clear_error(moto_aws):
    s = settings()
    with pytest.raises(ConfigurationError, match="does not exist"):
        rollback("missing-ep", "us-east-1", s, clients=moto_aws)
    plan(autoscaling=None, alarms=None).apply(s, clients=moto_aws, waiter_delay_s=1)
    with pytest.raises(ConfigurationError, match="no previous endpoint config"):
        rollback("adeptai-job-parser", "us-east-1", s, clients=moto_aws)


def test_async_endpoint_config_has_s3_and_sns(moto_aws):
    p = plan(async_inference=AsyncSpec("s3://bucket/out", s3_failure_path="s3://bucket/failed",
                                       success_topic_arn="arn:aws:sns:us-east-1:123456789012:ok",
                                       error_topic_arn="arn:aws:sns:us-east-1:123456789012:err"), alarms=None)
    result = p.apply(settings(), clients=moto_aws, waiter_delay_s=1)
    config = moto_aws["sagemaker"].describe_endpoint_config(EndpointConfigName=result.endpoint_config)
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"] == "s3://bucket/out"
    assert output["NotificationConfig"] == {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:ok",
                                            "ErrorTopic": "arn:aws:sns:us-east-1:123456789012:err"}
    cfg = moto_aws["application-autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker")[
        "ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]
    assert cfg["CustomizedMetricSpecification"]["MetricName"] == "ApproximateBacklogSizePerInstance"
