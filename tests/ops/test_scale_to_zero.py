"""Scale-to-zero inference components: request shapes checked against botocore's service models, then sent.

Where moto stops (moto 5.2): it has no SageMaker CreateInferenceComponent, and
its Application Auto Scaling rejects the ``sagemaker:inference-component:
DesiredCopyCount`` dimension (its enum predates inference components). Those
calls are therefore checked with botocore's Stubber, which validates every
parameter against the real API model shipped with botocore; the CloudWatch
alarm (which must name the step policy's ARN) runs on moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from botocore.validate import ParamValidator

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.ops.scale_to_zero import IC_DIMENSION, ComponentPlan

moto = pytest.importorskip("moto", reason="deploy tests need moto (dev extra)")


def plan() -> ComponentPlan:
    return ComponentPlan("adeptai-jobs", "adeptai-job-parser-ic", "adeptai-job-parser-model", max_copies=3)


def test_every_request_is_valid_for_the_real_api_models(aws_env):
    validator = ParamValidator()
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    for service, operation, params in plan().requests():
        client = session.client(service)
        model = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[operation])
        report = validator.validate(params, model.input_shape)
        assert not report.has_errors(), f"{service}.{operation}: {report.generate_report()}"


def test_the_plan_scales_to_zero_and_out_from_zero():
    p = plan()
    variant = p.endpoint_config_request()["ProductionVariants"][0]
    assert variant["ManagedInstanceScaling"]["MinInstanceCount"] == 0 and "ModelName" not in variant
    assert p.scalable_target_request()["MinCapacity"] == 0
    step = p.scale_out_from_zero_policy_request()
    assert step["PolicyType"] == "StepScaling"
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [{"MetricIntervalLowerBound": 0,
                                                                          "ScalingAdjustment": 1}]
    alarm = p.no_capacity_alarm_request("arn:policy")
    assert alarm["MetricName"] == "NoCapacityInvocationFailures" and alarm["AlarmActions"] == ["arn:policy"]
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "adeptai-job-parser-ic"}]
    with pytest.raises(ConfigurationError):
        ComponentPlan("bad name!", "ic", "m")


def test_apply_on_moto_with_the_sagemaker_calls_stubbed(aws_env):
    p = plan()
    with moto.mock_aws():
        sm = boto3.client("sagemaker", region_name="us-east-1")
        aas = boto3.client("application-autoscaling", region_name="us-east-1")
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        step_arn = ("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/sagemaker/"
                    "inference-component/adeptai-job-parser-ic:policyName/adeptai-job-parser-ic-scale-from-zero")
        with Stubber(sm) as sm_stub, Stubber(aas) as aas_stub:
            sm_stub.add_response("create_inference_component",
                                 {"InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:"
                                                           "inference-component/adeptai-job-parser-ic"},
                                 p.component_request())
            aas_stub.add_response("register_scalable_target", {}, p.scalable_target_request())
            aas_stub.add_response("put_scaling_policy", {"PolicyARN": "arn:target-tracking"},
                                  p.scale_in_policy_request())
            aas_stub.add_response("put_scaling_policy", {"PolicyARN": step_arn},
                                  p.scale_out_from_zero_policy_request())
            result = p.apply({"sagemaker": sm, "application-autoscaling": aas, "cloudwatch": cw},
                             create_endpoint=False)
            sm_stub.assert_no_pending_responses()
            aas_stub.assert_no_pending_responses()
        assert p.scalable_target_request()["ScalableDimension"] == IC_DIMENSION
        alarm = cw.describe_alarms(AlarmNames=["adeptai-job-parser-ic-no-capacity"])["MetricAlarms"][0]
        assert alarm["AlarmActions"] == [step_arn] == [result["scale_from_zero_policy_arn"]]
        assert alarm["MetricName"] == "NoCapacityInvocationFailures" and alarm["Threshold"] == 1.0


def test_cli_dry_run_prints_the_requests_as_json():
    from click.testing import CliRunner

    from adeptai_sagemaker.cli import cli

    result = CliRunner().invoke(cli, ["deploy-component", "adeptai-jobs", "adeptai-job-parser-ic", "--model-name",
                                      "m1", "--create-endpoint", "--dry-run", "--json"], standalone_mode=False)
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output)["requests"]
    assert [s["operation"] for s in steps] == ["create_endpoint_config", "create_endpoint", "create_inference_component",
                                               "register_scalable_target", "put_scaling_policy", "put_scaling_policy",
                                               "put_metric_alarm"]
