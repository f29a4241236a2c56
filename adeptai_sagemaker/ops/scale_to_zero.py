"""Inference components that scale to zero copies when idle and back out on the first request.

An endpoint can only drop to zero instances when it hosts inference
components and its variant's managed instance scaling allows
``MinInstanceCount=0``. Scaling in is a target-tracking policy on the
component's copy count (minimum 0); scaling *out from zero* cannot be
target tracking (there is no per-copy metric with zero copies), so it is a
step-scaling policy driven by a CloudWatch alarm on the component's
``NoCapacityInvocationFailures`` metric: the first request that finds no copy
fails (the runtime reports it as a cold endpoint, the caller falls back), the
alarm fires, and one copy is added. This is the procedure SageMaker's
documentation gives for scale-to-zero; the request shapes below follow it and
are validated against botocore's service models in the tests.

``ComponentPlan.apply`` creates the endpoint config, endpoint and component
when asked to, then registers the scalable target, both policies and the
alarm. The plan is data first (``requests()``), so ``--dry-run`` prints
exactly what would be sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from adeptai_sagemaker.core.errors import ConfigurationError

IC_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


@dataclass
class ComponentPlan:
    """One inference component on an endpoint whose instances may scale to zero."""

    endpoint_name: str
    component_name: str
    model_name: str
    instance_type: str = "ml.g5.2xlarge"
    max_instance_count: int = 2
    max_copies: int = 4
    accelerators_per_copy: float = 1
    memory_mb_per_copy: int = 8192
    invocations_per_copy_target: float = 5.0
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60
    variant_name: str = "AllTraffic"
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, name in (("endpoint", self.endpoint_name), ("inference component", self.component_name),
                            ("model", self.model_name)):
            if not _NAME_RE.match(name) or len(name) > 63:
                raise ConfigurationError(f"{label} name {name!r}: letters, digits and hyphens, at most 63 characters")
        if self.max_instance_count < 1 or self.max_copies < 1:
            raise ConfigurationError("max_instance_count and max_copies must be at least 1")

    # ------------------------------------------------------------------ request shapes

    @property
    def config_name(self) -> str:
        return f"{self.endpoint_name}-ic-cfg"

    @property
    def resource_id(self) -> str:
        return f"inference-component/{self.component_name}"

    def endpoint_config_request(self) -> dict[str, Any]:
        """A variant with no model of its own (components bring them) whose instances may scale to 0."""
        return {
            "EndpointConfigName": self.config_name,
            "ProductionVariants": [{
                "VariantName": self.variant_name, "InstanceType": self.instance_type, "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0,
                                           "MaxInstanceCount": self.max_instance_count},
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }],
            "Tags": self._tags(),
        }

    def endpoint_request(self) -> dict[str, Any]:
        return {"EndpointName": self.endpoint_name, "EndpointConfigName": self.config_name, "Tags": self._tags()}

    def component_request(self) -> dict[str, Any]:
        return {
            "InferenceComponentName": self.component_name, "EndpointName": self.endpoint_name,
            "VariantName": self.variant_name,
            "Specification": {"ModelName": self.model_name, "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": float(self.accelerators_per_copy),
                "MinMemoryRequiredInMb": int(self.memory_mb_per_copy)}},
            "RuntimeConfig": {"CopyCount": 1},
            "Tags": self._tags(),
        }

    def scalable_target_request(self) -> dict[str, Any]:
        return {"ServiceNamespace": "sagemaker", "ResourceId": self.resource_id, "ScalableDimension": IC_DIMENSION,
                "MinCapacity": 0, "MaxCapacity": self.max_copies}

    def scale_in_policy_request(self) -> dict[str, Any]:
        """Target tracking on invocations per copy: removes copies when idle, down to zero."""
        return {
            "PolicyName": f"{self.component_name}-target-tracking", "ServiceNamespace": "sagemaker",
            "ResourceId": self.resource_id, "ScalableDimension": IC_DIMENSION, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": float(self.invocations_per_copy_target),
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
                "ScaleInCooldown": self.scale_in_cooldown_s, "ScaleOutCooldown": self.scale_out_cooldown_s},
        }

    def scale_out_from_zero_policy_request(self) -> dict[str, Any]:
        """Step scaling: add one copy whenever the no-capacity alarm fires."""
        return {
            "PolicyName": f"{self.component_name}-scale-from-zero", "ServiceNamespace": "sagemaker",
            "ResourceId": self.resource_id, "ScalableDimension": IC_DIMENSION, "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Maximum",
                "Cooldown": self.scale_out_cooldown_s,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]},
        }

    def no_capacity_alarm_request(self, policy_arn: str) -> dict[str, Any]:
        """The alarm that wakes a component at zero copies: any request that found no capacity."""
        return {
            "AlarmName": f"{self.component_name}-no-capacity",
            "AlarmDescription": "a request found no copy of the component: scale out from zero",
            "Namespace": "AWS/SageMaker", "MetricName": "NoCapacityInvocationFailures",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": self.component_name}],
            "Statistic": "Maximum", "Period": 30, "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing",
            "AlarmActions": [policy_arn],
        }

    def requests(self, *, create_endpoint: bool = True) -> list[tuple[str, str, dict[str, Any]]]:
        """Every request in order as ``(service, operation, params)``; the alarm names the policy ARN symbolically."""
        steps: list[tuple[str, str, dict[str, Any]]] = []
        if create_endpoint:
            steps += [("sagemaker", "create_endpoint_config", self.endpoint_config_request()),
                      ("sagemaker", "create_endpoint", self.endpoint_request())]
        steps += [("sagemaker", "create_inference_component", self.component_request()),
                  ("application-autoscaling", "register_scalable_target", self.scalable_target_request()),
                  ("application-autoscaling", "put_scaling_policy", self.scale_in_policy_request()),
                  ("application-autoscaling", "put_scaling_policy", self.scale_out_from_zero_policy_request()),
                  ("cloudwatch", "put_metric_alarm", self.no_capacity_alarm_request("<scale-from-zero policy ARN>"))]
        return steps

    def apply(self, clients: Mapping[str, Any], *, create_endpoint: bool = True) -> dict[str, Any]:
        """Send the requests with ``clients`` (``{"sagemaker": ..., "application-autoscaling": ..., "cloudwatch": ...}``).

        The endpoint must be InService before the component is created; callers
        that create it here wait with the ``endpoint_in_service`` waiter.
        """
        sm, aas, cw = clients["sagemaker"], clients["application-autoscaling"], clients["cloudwatch"]
        if create_endpoint:
            sm.create_endpoint_config(**self.endpoint_config_request())
            sm.create_endpoint(**self.endpoint_request())
            sm.get_waiter("endpoint_in_service").wait(EndpointName=self.endpoint_name)
        component = sm.create_inference_component(**self.component_request())
        aas.register_scalable_target(**self.scalable_target_request())
        aas.put_scaling_policy(**self.scale_in_policy_request())
        step = aas.put_scaling_policy(**self.scale_out_from_zero_policy_request())
        cw.put_metric_alarm(**self.no_capacity_alarm_request(step["PolicyARN"]))
        return {"inference_component_arn": component.get("InferenceComponentArn"),
                "scale_from_zero_policy_arn": step["PolicyARN"]}

    def _tags(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in {"managed-by": "adeptai-sagemaker", **self.tags}.items()]

