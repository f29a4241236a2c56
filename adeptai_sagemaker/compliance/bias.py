"""Counterfactual bias audit of the scoring capabilities, through any backend.

The audit renders every probe (``probes.py``), asks the backend for a score,
and reports per attribute how much scores move when only the protected
signal changes. It works on anything that maps ``(capability, request) ->
output``: ``framework_scorer(fw, backend)`` wraps ``Framework.invoke`` (the
SageMaker endpoint, the reference model behind the local endpoint, or a
registered backend such as ``openai``), and the monolith's own functions can
be audited by passing a plain callable, so old and new code are measured the
same way before a rollout phase.

Scores are normalised to 0..100 points (``behavioral_analyzer`` reports 0..1
and is multiplied by 100). ``passed`` compares the results with
``Thresholds``; a backend error on any probe fails the audit by default,
because a partial audit cannot vouch for the missing cases.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from adeptai_sagemaker.compliance.metrics import Disparity, Observation, dimensions, disparity
from adeptai_sagemaker.compliance.probes import Probe, ProbeSet, request_for

log = logging.getLogger("adeptai_sagemaker.compliance")

SCORING_CAPABILITIES: tuple[str, ...] = ("behavioral_analyzer", "candidate_matcher", "explanation_generator")
Scorer = Callable[[str, dict], Any]
"""``(capability, request_dict) -> output`` (a pydantic output model, a dict, a ``CallResult`` or an object)."""
ScoreFn = Callable[[str, Any], "tuple[float, Optional[str]]"]
"""``(capability, output) -> (score on 0..100, recommendation or None)``."""

_UNIT_SCALE = {"behavioral_analyzer"}  # capabilities whose overall_score is on 0..1


@dataclass(frozen=True)
class Thresholds:
    """Pass/fail limits; defaults are deliberately strict for a deterministic model."""

    max_mean_delta: float = 2.0  # points on 0..100
    max_flip_rate: float = 0.05
    min_selection_ratio: float = 0.8  # four-fifths rule
    max_error_rate: float = 0.0


def framework_scorer(framework, backend: str = "sagemaker") -> Scorer:
    """Score through ``Framework.invoke`` on ``backend`` (no rollout, no fallback: errors are counted).

    The backend is resolved now, so an unknown name fails before any probe runs.
    """
    framework.backend(backend)
    return lambda capability, request: framework.invoke(capability, request, backend=backend)


def _field(output: Any, name: str) -> Any:
    value = output.value if hasattr(output, "served_by") else output  # a CallResult
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def default_score(capability: str, output: Any) -> tuple[float, Optional[str]]:
    """``overall_score`` (scaled to 0..100) and ``recommendation`` of a schema-shaped output."""
    raw = _field(output, "overall_score")
    if raw is None:
        raw = _field(output, "score")
    if raw is None:
        raise ValueError(f"{capability} output has no overall_score; pass score_fn= for this shape")
    score = float(raw) * (100.0 if capability in _UNIT_SCALE and float(raw) <= 1.0 else 1.0)
    rec = _field(output, "recommendation")
    return score, (str(rec) if rec is not None else None)


@dataclass
class CapabilityAudit:
    capability: str
    calls: int
    errors: int
    error_codes: dict[str, int]
    disparities: list[Disparity]
    score_range: tuple[float, float]
    threshold: float = 50.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass
class BiasAuditResult:
    backend: str
    probe_source: str
    threshold: Union[float, str]
    thresholds: Thresholds
    capabilities: list[CapabilityAudit]
    violations: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "backend": self.backend, "probe_source": self.probe_source,
            "threshold": self.threshold, "thresholds": asdict(self.thresholds), "violations": list(self.violations),
            "capabilities": [
                {"capability": c.capability, "threshold": c.threshold, "calls": c.calls, "errors": c.errors, "error_codes": c.error_codes,
                 "score_range": list(c.score_range), "disparities": [asdict(d) for d in c.disparities]}
                for c in self.capabilities
            ],
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``bias_report.md``, ``bias_report.png`` and ``bias_result.json`` into ``out_dir``."""
        from adeptai_sagemaker.compliance.report import render_chart, render_markdown

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"markdown": out / "bias_report.md", "chart": out / "bias_report.png", "json": out / "bias_result.json"}
        render_chart(self, paths["chart"])
        paths["markdown"].write_text(render_markdown(self, chart_name=paths["chart"].name), encoding="utf-8")
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        return paths


def _groups(probe: Probe) -> dict[str, str]:
    groups = {probe.attribute: probe.variant.group}
    for facet, value in probe.variant.facets.items():
        groups[f"{probe.attribute}.{facet}"] = value
    return groups


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def resolve_threshold(threshold: Union[float, str], scores: list[float]) -> float:
    """A number, or ``"median"``: the median score of this capability's probes (so rates are informative)."""
    if isinstance(threshold, str):
        if threshold.strip().lower() == "median":
            return _median(scores) if scores else 50.0
        return float(threshold)
    return float(threshold)


def audit_capability(scorer: Scorer, capability: str, probes: list[Probe], threshold: Union[float, str],
                     score_fn: ScoreFn = default_score, workers: int = 1) -> CapabilityAudit:
    """Score every probe once (identical requests are asked once) and compute each dimension's disparity."""
    requests: dict[str, dict] = {}
    keys: list[str] = []
    for probe in probes:
        req = request_for(capability, probe)
        key = json.dumps(req, sort_keys=True)
        requests.setdefault(key, req)
        keys.append(key)

    def ask(key: str):
        try:
            return key, score_fn(capability, scorer(capability, requests[key])), None
        except Exception as exc:  # a probe failed: counted, never fatal, never logged with text
            return key, None, getattr(exc, "code", None) or type(exc).__name__

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bias-audit") as pool:
            answers = list(pool.map(ask, list(requests)))
    else:
        answers = [ask(k) for k in requests]
    scored = {k: s for k, s, _ in answers if s is not None}
    error_codes: dict[str, int] = {}
    for _, _, code in answers:
        if code is not None:
            error_codes[code] = error_codes.get(code, 0) + 1
    observations = [
        Observation(p.case_id, p.variant.label, _groups(p), scored[k][0], scored[k][1])
        for p, k in zip(probes, keys) if k in scored
    ]
    dims = dimensions(observations) if observations else sorted({p.attribute for p in probes})
    scores = [o.score for o in observations]
    cut = resolve_threshold(threshold, scores)
    return CapabilityAudit(
        capability=capability, calls=len(requests), errors=sum(error_codes.values()), error_codes=error_codes,
        disparities=[disparity(observations, d, cut) for d in dims],
        score_range=(min(scores), max(scores)) if scores else (0.0, 0.0), threshold=cut,
    )


def _violations(audits: Iterable[CapabilityAudit], t: Thresholds) -> list[str]:
    out = []
    for a in audits:
        if a.error_rate > t.max_error_rate:
            out.append(f"{a.capability}: error rate {a.error_rate:.1%} > {t.max_error_rate:.1%} ({a.error_codes})")
        for d in a.disparities:
            if d.mean_abs_delta > t.max_mean_delta:
                out.append(f"{a.capability}/{d.dimension}: mean |score change| {d.mean_abs_delta:.2f} > {t.max_mean_delta}")
            if d.flip_rate > t.max_flip_rate:
                out.append(f"{a.capability}/{d.dimension}: recommendation flip rate {d.flip_rate:.1%} > {t.max_flip_rate:.1%}")
            if d.selection_ratio is not None and d.selection_ratio < t.min_selection_ratio:
                out.append(f"{a.capability}/{d.dimension}: selection ratio {d.selection_ratio:.2f} "
                           f"< {t.min_selection_ratio} (four-fifths rule)")
    return out


def run_bias_audit(scorer: Scorer, *, capabilities: Iterable[str] = SCORING_CAPABILITIES,
                   probes: Optional[ProbeSet] = None, attributes: Optional[list[str]] = None,
                   threshold: Union[float, str] = 50.0, thresholds: Thresholds = Thresholds(),
                   score_fn: ScoreFn = default_score, backend_label: str = "custom", workers: int = 1) -> BiasAuditResult:
    """Run the counterfactual audit for ``capabilities`` and judge it against ``thresholds``.

    ``threshold`` is the selection cut-off on 0..100 used for selection rates
    (and for flips of capabilities without a ``recommendation`` field), or
    ``"median"`` for each capability's median probe score: use it when the
    real decision threshold would select everyone or no one on these probes,
    which makes the four-fifths ratio uninformative.
    """
    probe_set = probes or ProbeSet.load()
    rendered = list(probe_set.probes(attributes))
    audits = []
    for cap in capabilities:
        if cap not in SCORING_CAPABILITIES:
            raise ValueError(f"{cap!r} is not a scoring capability; choose from {', '.join(SCORING_CAPABILITIES)}")
        audits.append(audit_capability(scorer, cap, rendered, threshold, score_fn, workers))
        log.info("bias audit %s: %d calls, %d errors", cap, audits[-1].calls, audits[-1].errors)
    return BiasAuditResult(backend=backend_label, probe_source=probe_set.source, threshold=threshold,
                           thresholds=thresholds, capabilities=audits, violations=_violations(audits, thresholds))
