"""The promotion gate: read a module's evidence for its current step and decide advance, hold or rollback.

Ladder: ``off -> shadow -> canary:10 -> canary:50 -> on``.

Evidence of a step = the records written while the module was in its current
mode (the ``mode`` column), since that mode was set by ``promote`` (when it
was), within the store's retention.

Definitions (the same at every step):

- ``n``: shadow comparisons (shadow) or calls routed to SageMaker (canary, on).
- ``agreement``: share of comparisons whose overall field-weighted score
  agrees (``agreement.OVERALL_AGREE_AT``); per field: share of comparisons in
  which that field agrees, over the comparisons where it was comparable.
- ``agreement_lower``: the **Wilson score interval**'s lower bound at
  ``ADEPTAI_SAGEMAKER_GATE_CONFIDENCE`` (two-sided, default 95%). Wilson and
  not the normal approximation because agreement sits near 1, where the
  normal interval overshoots 1 and is too narrow at a few hundred samples.
- ``error_rate``: calls whose caller got an exception / calls at this step.
- ``fallback_rate``: SageMaker attempts that failed / SageMaker attempts
  (shadow: failed shadow calls; canary/on: calls that fell back to legacy).
- ``p95_ms``: nearest-rank p95 of SageMaker latency (shadow: the shadow call;
  canary/on: calls SageMaker answered).

Verdicts:

- ``rollback`` when a budget is *broken*: the Wilson lower bound of the error
  or fallback rate is above its budget (so a couple of unlucky calls cannot
  trigger it), or p95 is above the latency budget with at least 20 samples.
  Target: ``shadow`` from canary/on (users stop seeing SageMaker while
  evidence keeps flowing), ``off`` from shadow.
- ``advance`` when there are enough samples, every budget holds (observed
  rates within budget, p95 within budget) and, where comparisons exist for the
  step (always required in shadow), the lower bound of the overall agreement
  and of every field's agreement is at or above its threshold.
- ``hold`` otherwise, with the reasons.

Agreement in canary/on: SageMaker-served calls have no legacy answer to
compare, so comparisons are required only in shadow; at later steps they
are reported (and gated) only if some were recorded at that step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Optional

from adeptai_sagemaker.rollout.budgets import latency_budget_ms
from adeptai_sagemaker.rollout.state.pooling import Aggregate, percentile
from adeptai_sagemaker.core.settings import Mode

LADDER: tuple[str, ...] = ("off", "shadow", "canary:10", "canary:50", "on")
MIN_LATENCY_SAMPLES = 20


@dataclass(frozen=True)
class Thresholds:
    min_comparisons: int = 200
    min_calls: int = 200
    agreement: float = 0.85
    field_agreement: float = 0.80
    error_rate: float = 0.01
    fallback_rate: float = 0.02
    confidence: float = 0.95
    latency_p95_ms: float = 10_000.0

    @classmethod
    def from_settings(cls, settings: Any, capability: str) -> "Thresholds":
        return cls(settings.adeptai_sagemaker_gate_min_comparisons, settings.adeptai_sagemaker_gate_min_calls,
                   settings.adeptai_sagemaker_gate_agreement, settings.adeptai_sagemaker_gate_field_agreement,
                   settings.adeptai_sagemaker_gate_error_rate, settings.adeptai_sagemaker_gate_fallback_rate,
                   settings.adeptai_sagemaker_gate_confidence, latency_budget_ms(capability, settings))


@dataclass
class Decision:
    capability: str
    verdict: str  # advance | hold | rollback
    from_mode: str
    to_mode: str
    reasons: list[str]
    evidence: dict[str, Any]
    budgets: dict[str, Any] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)  # field and budget names at fault
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-host breakdown of the pooled evidence

    def as_dict(self) -> dict[str, Any]:
        return {"capability": self.capability, "verdict": self.verdict, "from_mode": self.from_mode,
                "to_mode": self.to_mode, "reasons": self.reasons, "faults": self.faults,
                "evidence": self.evidence, "budgets": self.budgets, "hosts": self.hosts}


# --------------------------------------------------------------------------- statistics


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def next_mode(mode: str) -> Optional[str]:
    """The next rung; a canary:N set by hand moves to the next listed rung above N."""
    parsed = Mode.parse(mode)
    if parsed.kind == "canary":
        return next((m for m in LADDER[2:4] if Mode.parse(m).percent > parsed.percent), "on")
    step = LADDER.index(str(parsed))
    return LADDER[step + 1] if step + 1 < len(LADDER) else None


# --------------------------------------------------------------------------- evidence


def summarize(calls: list[dict], comparisons: list[dict], mode: str, confidence: float = 0.95) -> dict[str, Any]:
    """The evidence of one step from call and comparison rows (folded as ``summarize_pooled`` reads them)."""
    return summarize_pooled(Aggregate.from_rows(calls, comparisons), mode, confidence)


def summarize_pooled(agg: Aggregate, mode: str, confidence: float = 0.95) -> dict[str, Any]:
    """The evidence of one step as numbers (the ``evidence`` object of ``promote --json``), from pooled counters."""
    kind = Mode.parse(mode).kind
    c = agg.count
    compared, agree_n, calls = int(c("compared")), int(c("agree")), int(c("calls"))
    lower, upper = wilson_interval(agree_n, compared, confidence)
    not_comparable = agg.named.get("not_comparable", {})
    fields = {}
    for name, (n, agree, score_sum) in sorted(agg.fields.items()):
        lo, hi = wilson_interval(int(agree), int(n), confidence)
        fields[name] = {"n": int(n), "agreement": agree / n, "agreement_lower": lo, "agreement_upper": hi,
                        "mean_score": score_sum / n, "not_comparable": not_comparable.get(name, 0)}
    for name, count in not_comparable.items():
        fields.setdefault(name, {"n": 0, "agreement": None, "agreement_lower": None, "agreement_upper": None,
                                 "mean_score": None, "not_comparable": count})
    if kind == "shadow":
        n, failures = int(c("attempted")), int(c("shadow_failed"))
        fallback_reasons, latencies = agg.named.get("shadow_reasons", {}), agg.histograms.get("shadow_latency", {})
    else:
        n, failures = int(c("routed")), int(c("fell_back"))
        fallback_reasons, latencies = agg.named.get("call_reasons", {}), agg.histograms.get("routed_latency", {})
    errors = int(c("errors"))
    return {
        "n": n, "calls": calls, "comparisons": compared, "dropped": int(c("dropped")),
        "agreement": agree_n / compared if compared else None,
        "agreement_lower": lower if compared else None, "agreement_upper": upper if compared else None,
        "mean_score": c("score_sum") / c("score_n") if c("score_n") else None,
        "fields": fields,
        "errors": errors, "error_rate": errors / calls if calls else 0.0,
        "error_rate_lower": wilson_interval(errors, calls, confidence)[0] if calls else 0.0,
        "error_codes": dict(agg.named.get("error_codes", {})),
        "fallbacks": failures, "fallback_rate": failures / n if n else 0.0,
        "fallback_rate_lower": wilson_interval(failures, n, confidence)[0] if n else 0.0,
        "fallback_reasons": dict(fallback_reasons),
        "latency_samples": sum(latencies.values()),
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "p99_ms": percentile(latencies, 99),
    }


# --------------------------------------------------------------------------- the decision


def decide(capability: str, mode: str, evidence: dict[str, Any], t: Thresholds) -> Decision:
    mode = str(Mode.parse(mode))
    budgets = {"min_comparisons": t.min_comparisons, "min_calls": t.min_calls, "agreement": t.agreement,
               "field_agreement": t.field_agreement, "error_rate": t.error_rate, "fallback_rate": t.fallback_rate,
               "latency_p95_ms": t.latency_p95_ms, "confidence": t.confidence}
    if mode == "off":
        return Decision(capability, "advance", mode, "shadow",
                        ["off has no SageMaker evidence to gate on; shadow never changes an answer"], evidence, budgets)
    broken, faults = [], []
    if evidence["error_rate_lower"] > t.error_rate:
        broken.append(f"error_rate {evidence['error_rate']:.1%} breaks its budget {t.error_rate:.1%} "
                      f"(lower bound {evidence['error_rate_lower']:.1%}; {evidence['errors']} of {evidence['calls']})")
        faults.append("error_rate")
    if evidence["fallback_rate_lower"] > t.fallback_rate:
        top = ", ".join(f"{k} {v}" for k, v in sorted(evidence["fallback_reasons"].items(), key=lambda kv: -kv[1])[:3])
        broken.append(f"fallback_rate {evidence['fallback_rate']:.1%} breaks its budget {t.fallback_rate:.1%} "
                      f"(lower bound {evidence['fallback_rate_lower']:.1%}; reasons: {top})")
        faults.append("fallback_rate")
    p95 = evidence["p95_ms"]
    if p95 is not None and evidence["latency_samples"] >= MIN_LATENCY_SAMPLES and p95 > t.latency_p95_ms:
        broken.append(f"p95 latency {p95:,.0f} ms breaks its budget {t.latency_p95_ms:,.0f} ms")
        faults.append("latency_p95_ms")
    if broken:
        target = "off" if mode == "shadow" else "shadow"
        return Decision(capability, "rollback", mode, target, broken, evidence, budgets, faults)

    reasons: list[str] = []
    kind = Mode.parse(mode).kind
    need = t.min_comparisons if kind == "shadow" else t.min_calls
    what = "shadow comparisons" if kind == "shadow" else "calls served on the SageMaker route"
    if evidence["n"] < need:
        reasons.append(f"not enough evidence: {evidence['n']} {what}, need {need}")
        faults.append("n")
    if kind == "shadow" and evidence["comparisons"] < t.min_comparisons:
        if evidence["n"] >= need:
            reasons.append(f"only {evidence['comparisons']} comparable answers, need {t.min_comparisons}")
            faults.append("comparisons")
    if evidence["comparisons"]:
        lower = evidence["agreement_lower"]
        if lower < t.agreement:
            reasons.append(f"overall agreement lower bound {lower:.3f} (observed {evidence['agreement']:.3f}) "
                           f"is below {t.agreement:.2f}")
            faults.append("agreement")
        for name, f in evidence["fields"].items():
            if f["n"] and f["agreement_lower"] < t.field_agreement:
                reasons.append(f"field {name}: agreement lower bound {f['agreement_lower']:.3f} "
                               f"(observed {f['agreement']:.3f}, n={f['n']}) is below {t.field_agreement:.2f}")
                faults.append(f"field:{name}")
    if evidence["error_rate"] > t.error_rate:
        reasons.append(f"error_rate {evidence['error_rate']:.1%} is above its budget {t.error_rate:.1%}")
        faults.append("error_rate")
    if evidence["fallback_rate"] > t.fallback_rate:
        reasons.append(f"fallback_rate {evidence['fallback_rate']:.1%} is above its budget {t.fallback_rate:.1%}")
        faults.append("fallback_rate")
    if p95 is not None and p95 > t.latency_p95_ms:
        reasons.append(f"p95 latency {p95:,.0f} ms is above its budget {t.latency_p95_ms:,.0f} ms")
        faults.append("latency_p95_ms")
    target = next_mode(mode)
    if target is None:
        return Decision(capability, "hold", mode, mode, reasons or ["already on; budgets hold"], evidence, budgets, faults)
    if reasons:
        return Decision(capability, "hold", mode, mode, reasons, evidence, budgets, faults)
    ok = [f"{evidence['n']} {what} (need {need})"]
    if evidence["comparisons"]:
        ok.append(f"agreement lower bound {evidence['agreement_lower']:.3f} >= {t.agreement:.2f}, "
                  f"every field >= {t.field_agreement:.2f}")
    ok.append(f"error_rate {evidence['error_rate']:.1%} <= {t.error_rate:.1%}, fallback_rate "
              f"{evidence['fallback_rate']:.1%} <= {t.fallback_rate:.1%}, p95 "
              + ("n/a" if p95 is None else f"{p95:,.0f} ms") + f" <= {t.latency_p95_ms:,.0f} ms")
    return Decision(capability, "advance", mode, target, ok, evidence, budgets)


def host_summary(evidence: dict[str, Any]) -> dict[str, Any]:
    """The few numbers of one host's evidence that ``promote --json`` shows per host."""
    return {k: evidence[k] for k in ("n", "calls", "comparisons", "agreement", "error_rate", "fallback_rate",
                                     "p95_ms")}


def evaluate(store: Any, settings: Any, capability: str, mode: Optional[str] = None,
             since: Optional[float] = None, thresholds: Optional[Thresholds] = None) -> Decision:
    """Decide for ``capability`` at ``mode`` (default: its stored step, else the env settings') from the
    evidence every host pooled in the store since that step was set; ``decision.hosts`` breaks it down."""
    override = store.modes().get(capability)
    if mode is None:
        mode = override.mode if override is not None else str(settings.configured_mode(capability))
    mode = str(Mode.parse(mode))
    if since is None:
        since = override.set_at if override is not None and override.mode == mode else 0.0
    t = thresholds or Thresholds.from_settings(settings, capability)
    return decide_pooled(capability, mode, store.evidence(capability, mode, since), t)


def decide_pooled(capability: str, mode: str, per_host: dict[str, Aggregate], t: Thresholds) -> Decision:
    """Decide ``mode``'s step from every host's evidence pooled (``store.evidence``); ``decision.hosts`` breaks
    it down. Shared by ``evaluate`` (the evidence of the live step) and ``student/evaluate.py`` (the offline
    evidence of ``eval --set captured-test``, judged by the shadow step's criteria)."""
    pooled = Aggregate()
    for agg in per_host.values():
        pooled.merge(agg)
    decision = decide(capability, mode, summarize_pooled(pooled, mode, t.confidence), t)
    decision.hosts = {host: host_summary(summarize_pooled(agg, mode, t.confidence))
                      for host, agg in sorted(per_host.items())}
    return decision


class AutoDemotion:
    """Optional automatic rollback (``ADEPTAI_SAGEMAKER_AUTO_DEMOTE=true``).

    At most every ``every_s`` seconds (run by the evidence writer thread, never
    on a caller's thread), every module whose live mode is canary or on is
    gated; when a budget is broken it is stored back at ``shadow`` with the
    gate's reasons and the verdict ``auto-rollback`` (shown by ``report`` and
    ``mode_history``). It only ever steps back; advancing stays a person's
    ``promote``.
    """

    def __init__(self, store: Any, settings: Any, routing: Any, *, every_s: float = 60.0,
                 clock: Any = None):
        import time

        self.store = store
        self.settings = settings
        self.routing = routing
        self.every_s = every_s
        self.clock = clock or time.monotonic
        self._last: Optional[float] = None

    def check(self) -> list[Decision]:
        now = self.clock()
        if self._last is not None and now - self._last < self.every_s:
            return []
        self._last = now
        demoted = []
        for capability in self.settings.capabilities or {}:
            mode = self.routing.mode(capability)
            if mode.kind not in ("canary", "on"):
                continue
            decision = evaluate(self.store, self.settings, capability, mode=str(mode))
            if decision.verdict == "rollback":
                self.store.set_mode(capability, decision.to_mode, from_mode=decision.from_mode,
                                    verdict="auto-rollback", reason="; ".join(decision.reasons)[:500])
                demoted.append(decision)
        if demoted:
            self.routing.refresh_now()
        return demoted
