"""Compliance features: counterfactual bias audit, shadow bias watch, region guard, retention, audit trail.

See ``compliance/README.md`` for the policies these implement and their limits.
"""

from adeptai_sagemaker.compliance.audit_trail import AuditTrail
from adeptai_sagemaker.compliance.bias import SCORING_CAPABILITIES, BiasAuditResult, Thresholds, framework_scorer, run_bias_audit
from adeptai_sagemaker.compliance.probes import DEFAULT_PROBES, ProbeSet
from adeptai_sagemaker.compliance.region import check_region
from adeptai_sagemaker.compliance.watch import BiasWatch

__all__ = [
    "AuditTrail", "BiasAuditResult", "BiasWatch", "DEFAULT_PROBES", "ProbeSet", "SCORING_CAPABILITIES",
    "Thresholds", "check_region", "framework_scorer", "run_bias_audit",
]
