"""Progressive rollout: walk a module along a plan's steps, gated like Argo Rollouts' analysis steps.

A plan (``plans/default.json``; ``promote --plan FILE`` for another) lists
steps (shadow -> canary:5 -> canary:25 -> canary:50 -> on by default), each
with a minimum dwell time, minimum evidence and optional budget overrides,
plus the ``safe_step`` to roll back to. ``Walker.tick`` runs the gate once
(``gate.evaluate`` on the pooled evidence of the current step):

- a broken budget rolls back to the safe step (``off`` when the module is
  already there), recorded with the reasons; the walk ends, failed;
- enough evidence, budgets held and the dwell time served: the next step
  is stored (a versioned write: another operator's change in between stops
  the walk with ``StaleWriteError``);
- anything else (too little evidence, dwell not served) waits.

Every step taken is in the store's mode history (verdict ``watch-advance``
or ``watch-rollback``), which ``report`` shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.settings import Mode
from adeptai_sagemaker.rollout.gate import Thresholds, evaluate

_BUDGETS = ("agreement", "field_agreement", "error_rate", "fallback_rate", "latency_p95_ms", "confidence")


@dataclass(frozen=True)
class Step:
    mode: str
    min_dwell_s: float
    min_evidence: int
    budgets: dict[str, float]


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    safe_step: str
    interval_s: float

    def index(self, mode: str) -> Optional[int]:
        return next((i for i, s in enumerate(self.steps) if s.mode == mode), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "plan") -> "Plan":
        try:
            steps = tuple(Step(str(Mode.parse(s["mode"])), float(s.get("min_dwell_s", 0)),
                               int(s.get("min_evidence", 200)),
                               {k: float(v) for k, v in (s.get("budgets") or {}).items()})
                          for s in data["steps"])
            safe = str(Mode.parse(data.get("safe_step", "shadow")))
            interval = float(data.get("interval_s", 60))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid rollout {where}: {exc}") from None
        unknown = sorted({k for s in steps for k in s.budgets} - set(_BUDGETS))
        if not steps or unknown or interval <= 0 or any(s.min_evidence < 1 or s.min_dwell_s < 0 for s in steps):
            raise ConfigurationError(f"invalid rollout {where}: needs steps with min_evidence >= 1, min_dwell_s >= 0, "
                                     f"interval_s > 0 and budgets among {', '.join(_BUDGETS)}"
                                     + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
        return cls(steps, safe, interval)


def load_plan(path: Optional[str | Path] = None) -> Plan:
    """The plan in ``path``, else the package's default plan."""
    if path is None:
        text = resources.files("adeptai_sagemaker.rollout").joinpath("plans/default.json").read_text("utf-8")
        return Plan.from_dict(json.loads(text), "default plan")
    try:
        return Plan.from_dict(json.loads(Path(path).read_text("utf-8")), f"plan {path}")
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"cannot read the rollout plan {path}: {exc}") from None


@dataclass
class Tick:
    verdict: str  # advance | wait | rollback | done
    from_mode: str
    to_mode: str
    reasons: list[str]
    decision: Optional[dict] = None


class Walker:
    """Walks ``capability`` along ``plan`` in ``store``; ``clock`` is epoch seconds (dwell times)."""

    def __init__(self, store: Any, settings: Any, capability: str, plan: Plan, *, clock: Callable[[], float]):
        self.store, self.settings, self.capability, self.plan, self.clock = store, settings, capability, plan, clock

    def _thresholds(self, step: Step) -> Thresholds:
        base = Thresholds.from_settings(self.settings, self.capability)
        return replace(base, min_comparisons=step.min_evidence, min_calls=step.min_evidence, **step.budgets)

    def tick(self) -> Tick:
        record = self.store.modes().get(self.capability)
        current = record.mode if record is not None else str(self.settings.configured_mode(self.capability))
        version = record.version if record is not None else 0
        index = self.plan.index(current)
        if index is None:  # off, or a step the plan lacks: start at the plan's first step
            first = self.plan.steps[0].mode
            self._store(first, current, version, "watch-advance", f"start of the rollout plan at {first}")
            return Tick("advance", current, first, [f"start of the rollout plan at {first}"])
        step = self.plan.steps[index]
        decision = evaluate(self.store, self.settings, self.capability, mode=current,
                            thresholds=self._thresholds(step))
        if decision.verdict == "rollback":
            target = self.plan.safe_step if current != self.plan.safe_step else "off"
            self._store(target, current, version, "watch-rollback", "; ".join(decision.reasons))
            return Tick("rollback", current, target, decision.reasons, decision.as_dict())
        if index == len(self.plan.steps) - 1:
            return Tick("done", current, current, [f"{current} is the plan's last step"], decision.as_dict())
        dwelt = self.clock() - (record.set_at if record is not None else 0.0)
        reasons = [] if decision.verdict == "advance" else list(decision.reasons)
        if dwelt < step.min_dwell_s:
            reasons.append(f"dwell {dwelt:,.0f} s of {step.min_dwell_s:,.0f} s at {current}")
        if reasons:
            return Tick("wait", current, current, reasons, decision.as_dict())
        target = self.plan.steps[index + 1].mode
        self._store(target, current, version, "watch-advance", "; ".join(decision.reasons))
        return Tick("advance", current, target, decision.reasons, decision.as_dict())

    def _store(self, target: str, current: str, version: int, verdict: str, reason: str) -> None:
        self.store.set_mode(self.capability, target, expected_version=version, from_mode=current, verdict=verdict,
                            reason=reason[:500])
