"""Compliance features: counterfactual bias audit, shadow bias watch, region guard, retention, audit trail.

See ``compliance/README.md`` for the policies these implement and their limits.
"""

from .audit_trail import AuditTrail
from .bias import SCORING_CAPABILITIES, BiasAuditResult, Thresholds, framework_scorer, run_bias_audit
from .probes import DEFAULT_PROBES, ProbeSet
from .region import check_region
from .watch import BiasWatch

__all__ = [
    "AuditTrail", "BiasAuditResult", "BiasWatch", "DEFAULT_PROBES", "ProbeSet", "SCORING_CAPABILITIES",
    "Thresholds", "check_region", "framework_scorer", "run_bias_audit",
]
