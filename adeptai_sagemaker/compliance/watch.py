"""Shadow/canary bias watch: disparity metrics on a sampled stream of *group labels and scores*.

What it sees, honestly:

- Only what the caller hands it: a capability name, short group labels the
  caller already holds for monitoring (``gender="female"``, ``age_band="50s"``;
  validated as short tokens, so free text or names are rejected and counted),
  and the answer's numeric score (extracted here, then the answer is dropped).
  It never receives resumes, prompts, completions, names or hashes, and it
  stores no per-call rows: only per-group counters (n, sum of scores, number
  selected). Nothing it holds can identify a candidate; with small groups the
  counts themselves can still be revealing, so groups below
  ``min_group_size`` are reported as insufficient, never as rates.
- Which arm answered: ``sagemaker`` (the new model's answer reached the user,
  canary-in or on) or ``legacy`` (a ``CallResult`` served by legacy: canary-out, shadow, off
  or fallback). Comparing the two arms' selection ratios shows whether the
  new model is more or less disparate than the code it replaces.
- In shadow mode, ``on_shadow_result`` gives the agreement (0..1) between the
  shadow SageMaker answer and the legacy answer. The watch joins it to the
  labels of the call (remembered by call id, in a small bounded map, only for
  sampled calls made inside ``with watch.labels(...)``) and reports mean
  agreement per group: a lower agreement for one group is a disparity signal.

What it cannot see: the shadow answer's *score* (the framework publishes only
the agreement; see the report for the needed core change), true group
membership (labels are the caller's, possibly inferred), and anything about
candidates it did not sample. There are no counterfactual pairs in live
traffic, so flip rates come only from the offline audit.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.compliance.bias import SCORING_CAPABILITIES, default_score
from adeptai_sagemaker.compliance.metrics import selection_ratio

log = logging.getLogger("adeptai_sagemaker.compliance")

_LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,31}$")
DEFAULT_ATTRIBUTES = frozenset({"gender", "ethnicity", "age_band", "neighbourhood", "pronouns", "disability", "veteran"})


@dataclass
class _Group:
    n: int = 0
    score_sum: float = 0.0
    selected: int = 0
    agreement_n: int = 0
    agreement_sum: float = 0.0


class BiasWatch:
    """Observer plugin + small API. ``Framework(plugins=[watch])``; ``watch.observe(...)`` after each call."""

    def __init__(self, sample_rate: float = 0.1, threshold: float = 50.0, min_group_size: int = 30,
                 attributes: frozenset[str] = DEFAULT_ATTRIBUTES, seed: Optional[int] = None,
                 capabilities: tuple[str, ...] = SCORING_CAPABILITIES, max_pending: int = 10_000):
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError("sample_rate must be within 0..1")
        self.sample_rate = sample_rate
        self.threshold = threshold
        self.min_group_size = min_group_size
        self.attributes = frozenset(attributes)
        self.capabilities = tuple(capabilities)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._groups: dict[tuple[str, str, str, str], _Group] = {}  # (capability, arm, attribute, group)
        self._pending: "OrderedDict[str, tuple[str, dict[str, str]]]" = OrderedDict()  # call_id -> labels (shadow join)
        self._max_pending = max_pending
        self.seen = 0
        self.sampled = 0
        self.rejected_labels = 0

    # ------------------------------------------------------------------ the caller's API
    def clean_labels(self, groups: Mapping[str, Any]) -> dict[str, str]:
        """Keep known attributes with short token labels; count and drop the rest (never log them)."""
        out = {}
        for attr, value in groups.items():
            label = str(value).strip().lower() if value is not None else ""
            if attr in self.attributes and _LABEL_RE.match(label):
                out[attr] = label
            else:
                self.rejected_labels += 1
        return out

    def _sample(self) -> bool:
        with self._lock:
            self.seen += 1
            hit = self._rng.random() < self.sample_rate
            self.sampled += int(hit)
            return hit

    def observe(self, capability: str, result: Any, groups: Mapping[str, Any], *,
                score: Optional[float] = None) -> bool:
        """Count one answer the user got. ``result`` is what ``Framework.call`` returned (its score is read,
        then dropped); pass ``score`` (0..100) instead for shapes without ``overall_score``. Returns True if sampled."""
        if capability not in self.capabilities or not self._sample():
            return False
        labels = self.clean_labels(groups)
        if not labels:
            return False
        arm = "legacy" if getattr(result, "served_by", None) == "legacy" else "sagemaker"
        if score is None:
            try:
                score, _ = default_score(capability, result)
            except (ValueError, TypeError):
                return False
        with self._lock:
            for attr, label in labels.items():
                g = self._groups.setdefault((capability, arm, attr, label), _Group())
                g.n += 1
                g.score_sum += float(score)
                g.selected += int(score >= self.threshold)
        return True

    @contextmanager
    def labels(self, **groups: Any) -> Iterator[None]:
        """Label calls made in this block (this thread) so shadow agreement can be reported per group."""
        previous = getattr(self._local, "labels", None)
        self._local.labels = self.clean_labels(groups)
        try:
            yield
        finally:
            self._local.labels = previous

    # ------------------------------------------------------------------ hooks (names and numbers only)
    @hookimpl
    def on_call_finished(self, record) -> None:
        labels = getattr(self._local, "labels", None)
        if not labels or record.capability not in self.capabilities or record.mode != "shadow":
            return
        if not self._sample():
            return
        with self._lock:
            self._pending[record.call_id] = (record.capability, dict(labels))
            while len(self._pending) > self._max_pending:
                self._pending.popitem(last=False)

    @hookimpl
    def on_shadow_result(self, comparison) -> None:
        with self._lock:
            item = self._pending.pop(comparison.call_id, None)
            if item is None or comparison.agreement is None:
                return
            capability, labels = item
            for attr, label in labels.items():
                g = self._groups.setdefault((capability, "shadow", attr, label), _Group())
                g.agreement_n += 1
                g.agreement_sum += float(comparison.agreement)

    # ------------------------------------------------------------------ export
    def snapshot(self) -> dict[str, Any]:
        """Nested view plus a flat ``metrics`` list of ``{name, value, dimensions}`` for the metrics exporter."""
        with self._lock:
            groups = {k: _Group(**vars(v)) for k, v in self._groups.items()}
            seen, sampled, rejected = self.seen, self.sampled, self.rejected_labels
        tree: dict[str, Any] = {}
        metrics: list[dict[str, Any]] = []
        for (cap, arm, attr, label), g in sorted(groups.items()):
            node = tree.setdefault(cap, {}).setdefault(arm, {}).setdefault(attr, {"groups": {}})
            enough = (g.n or g.agreement_n) >= self.min_group_size
            entry: dict[str, Any] = {"n": g.n, "sufficient": enough}
            if g.n and enough:
                entry["mean_score"] = g.score_sum / g.n
                entry["selection_rate"] = g.selected / g.n
            if g.agreement_n:
                entry["agreement_n"] = g.agreement_n
                if enough:
                    entry["mean_agreement"] = g.agreement_sum / g.agreement_n
            node["groups"][label] = entry
            dims = {"capability": cap, "arm": arm, "attribute": attr, "group": label}
            for key, name in (("selection_rate", "BiasWatchSelectionRate"), ("mean_score", "BiasWatchMeanScore"),
                              ("mean_agreement", "BiasWatchShadowAgreement")):
                if key in entry:
                    metrics.append({"name": name, "value": entry[key], "dimensions": dims})
        for cap, arms in tree.items():
            for arm, attrs in arms.items():
                for attr, node in attrs.items():
                    rates = {g: e["selection_rate"] for g, e in node["groups"].items() if "selection_rate" in e}
                    means = [e["mean_score"] for e in node["groups"].values() if "mean_score" in e]
                    agree = [e["mean_agreement"] for e in node["groups"].values() if "mean_agreement" in e]
                    node["selection_ratio"] = selection_ratio(rates)
                    node["max_mean_score_gap"] = (max(means) - min(means)) if len(means) >= 2 else None
                    node["max_agreement_gap"] = (max(agree) - min(agree)) if len(agree) >= 2 else None
                    dims = {"capability": cap, "arm": arm, "attribute": attr}
                    for key, name in (("selection_ratio", "BiasWatchSelectionRatio"),
                                      ("max_mean_score_gap", "BiasWatchMeanScoreGap"),
                                      ("max_agreement_gap", "BiasWatchAgreementGap")):
                        if node[key] is not None:
                            metrics.append({"name": name, "value": node[key], "dimensions": dims})
        return {"sample_rate": self.sample_rate, "threshold": self.threshold, "min_group_size": self.min_group_size,
                "seen": seen, "sampled": sampled, "rejected_labels": rejected, "capabilities": tree,
                "metrics": metrics}
