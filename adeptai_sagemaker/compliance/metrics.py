"""Disparity math shared by the offline bias audit and the shadow-mode watch.

Pure functions over numbers and group labels, no I/O, so the definitions are
easy to check and the same everywhere:

- *score delta*: absolute score difference between two counterfactuals of the
  same case whose only difference is the probed attribute (0..100 points);
  for a facet (``name.gender``) the pair must agree on the attribute's other
  facets (same perceived ethnicity, different gender);
- *flip*: the two counterfactuals got different recommendations;
- *selection rate*: share of a group scoring at or above the threshold, averaged over
  the cases where every group was probed (so groups are compared on the same resumes);
- *selection ratio* (the four-fifths rule of the US EEOC Uniform Guidelines):
  lowest group selection rate / highest; below 0.8 is the classic red flag.
  ``None`` when no group was selected at all (the ratio says nothing then).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Observation:
    """One scored counterfactual: which case, which variant, which groups it signals, what it got."""

    case_id: str
    variant: str
    groups: Mapping[str, str]  # dimension ("name", "name.gender", ...) -> group label
    score: float  # 0..100
    recommendation: Optional[str] = None


@dataclass(frozen=True)
class Disparity:
    """Disparity of one dimension (an attribute or one facet of it)."""

    dimension: str
    pairs: int
    mean_abs_delta: float
    max_abs_delta: float
    flip_rate: float
    group_rates: dict[str, float]
    group_counts: dict[str, int]
    group_mean_scores: dict[str, float]
    selection_ratio: Optional[float]
    threshold: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def selection_rates(scores_by_group: Mapping[str, Sequence[float]], threshold: float) -> dict[str, float]:
    return {g: (sum(1 for s in xs if s >= threshold) / len(xs)) for g, xs in scores_by_group.items() if xs}


def selection_ratio(rates: Mapping[str, float]) -> Optional[float]:
    """min rate / max rate; None when nobody was selected (or fewer than two groups)."""
    if len(rates) < 2:
        return None
    top = max(rates.values())
    if top <= 0:
        return None
    return min(rates.values()) / top


def disparity(observations: Iterable[Observation], dimension: str, threshold: float) -> Disparity:
    """Counterfactual deltas/flips (cross-group pairs within a case) and selection rates for ``dimension``."""
    obs = [o for o in observations if dimension in o.groups]
    by_case: dict[str, list[Observation]] = defaultdict(list)
    by_group: dict[str, list[float]] = defaultdict(list)
    for o in obs:
        by_case[o.case_id].append(o)
        by_group[o.groups[dimension]].append(o.score)
    attribute, _, facet = dimension.partition(".")
    siblings = ({d for o in obs for d in o.groups if d.startswith(attribute + ".") and d != dimension}
                if facet else set())
    deltas: list[float] = []
    flips = 0
    for items in by_case.values():
        for a, b in itertools.combinations(items, 2):
            if a.groups[dimension] == b.groups[dimension]:
                continue  # same group: not a counterfactual of this dimension
            if any(a.groups.get(s) != b.groups.get(s) for s in siblings):
                continue  # a facet pair must differ in this facet only (e.g. same gender, other ethnicity)
            deltas.append(abs(a.score - b.score))
            flips += int(_recommendation(a, threshold) != _recommendation(b, threshold))
    # Selection rates on balanced cases only: a group's rate is the mean of its per-case rates over the cases
    # where every group of this dimension was probed, so groups tested on different cases (e.g. metro-specific
    # addresses) are not compared on different resumes.
    group_cases: dict[str, set[str]] = defaultdict(set)
    for o in obs:
        group_cases[o.groups[dimension]].add(o.case_id)
    balanced = set.intersection(*group_cases.values()) if group_cases else set()
    notes = []
    rates: dict[str, float] = {}
    means: dict[str, float] = {}
    if balanced:
        per_case: dict[tuple[str, str], list[float]] = defaultdict(list)
        for o in obs:
            if o.case_id in balanced:
                per_case[(o.groups[dimension], o.case_id)].append(o.score)
        for group in group_cases:
            case_rates = [selection_rates({"g": per_case[(group, c)]}, threshold)["g"] for c in sorted(balanced)]
            case_means = [sum(per_case[(group, c)]) / len(per_case[(group, c)]) for c in sorted(balanced)]
            rates[group] = sum(case_rates) / len(case_rates)
            means[group] = sum(case_means) / len(case_means)
        skipped = {o.case_id for o in obs} - balanced
        if skipped:
            notes.append(f"selection rates use the {len(balanced)} case(s) where every group was probed "
                         f"({len(skipped)} case(s) left out)")
    elif len(group_cases) > 1:
        notes.append("no case was probed with every group: selection rates are not comparable")
    ratio = selection_ratio(rates)
    if ratio is None and rates:
        notes.append("no group reached the threshold: the selection ratio is not informative")
    elif rates and min(rates.values()) >= 1.0:
        notes.append("every group was selected: the selection ratio is not informative")
    return Disparity(
        dimension=dimension,
        pairs=len(deltas),
        mean_abs_delta=sum(deltas) / len(deltas) if deltas else 0.0,
        max_abs_delta=max(deltas) if deltas else 0.0,
        flip_rate=flips / len(deltas) if deltas else 0.0,
        group_rates=dict(sorted(rates.items())),
        group_counts={g: len(xs) for g, xs in sorted(by_group.items())},
        group_mean_scores=dict(sorted(means.items())),
        selection_ratio=ratio,
        threshold=threshold,
        notes=tuple(notes),
    )


def _recommendation(o: Observation, threshold: float) -> str:
    """The recommendation the capability gave, or selected/not selected at the threshold when it gives none."""
    if o.recommendation is not None:
        return o.recommendation
    return "selected" if o.score >= threshold else "not_selected"


def dimensions(observations: Iterable[Observation]) -> list[str]:
    seen: dict[str, None] = {}
    for o in observations:
        for d in o.groups:
            seen.setdefault(d, None)
    return list(seen)
