"""Field-level agreement between the SageMaker answer and the answer it would replace.

Why field by field: one mean score (the old ``shadow.agreement``) cannot tell a
migration owner *which* part of an answer differs, and a promotion gate needs
per-field evidence (skills may agree while the salary parse does not).

Which shape is compared (decision): the shape the caller actually receives.
When the adapter gives ``to_legacy`` (every drop-in adapter does), the
validated SageMaker output is mapped with it and compared with the legacy
answer, which is already in that shape: this is exactly the difference a user
of the monolith would see, and no inverse mapping (legacy -> schema) has to be
invented. Without ``to_legacy`` the legacy answer is validated against the
capability's output schema when it can be, and both are compared as the
schema's fields. Either way the SageMaker side has passed schema validation.

How a field is compared (``FieldSpec.kind``; inferred from the values when a
capability does not name the field):

- ``set``: lists of terms, set F1 over case- and space-normalised items
  (both empty = 1.0);
- ``exact``: enums, booleans, categorical strings (case-insensitive);
- ``number``: agree when ``|a - b| <= max(rel * max(|a|, |b|), abs)``; the
  score falls linearly with the relative difference;
- ``text``: free text, difflib's ratio over lower-cased word sequences
  (capped at ``TEXT_TOKEN_CAP`` words so a long answer stays cheap);
- nested objects are compared field by field under dotted names
  (``salary_range.min``).

A field the legacy answer does not have (missing key or ``None``) is *not
comparable*: it is listed, never counted as a disagreement. A field only
SageMaker leaves empty is a disagreement (score 0).

Each comparable field gets a score in 0..1 and a binary ``agree`` (score at or
above the field's ``agree_at``); the comparison's overall score is the
weighted mean of its fields' scores, and it agrees when that is at or above
``OVERALL_AGREE_AT``. The gate counts the binary outcomes (a proportion has a
proper confidence bound; a mean of arbitrary scores does not).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, Optional

FieldKind = Literal["set", "exact", "number", "text"]
OVERALL_AGREE_AT = 0.8
TEXT_TOKEN_CAP = 400
#: Strings up to this many characters without spaces are treated as categorical (exact match).
_CATEGORICAL_MAX = 40
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_IGNORED = frozenset({"provenance"})


@dataclass(frozen=True)
class FieldSpec:
    """How one field is compared and how much it weighs in the overall score."""

    kind: FieldKind
    weight: float = 1.0
    rel: float = 0.1  # number: relative tolerance
    abs: float = 0.05  # number: absolute tolerance (0..1 scores)
    agree_at: float = 0.8  # set/text: score at or above which the field agrees


@dataclass(frozen=True)
class FieldResult:
    score: float
    agree: bool


@dataclass(frozen=True)
class Comparison:
    """One answer pair: comparable fields with their results, and the fields that could not be compared."""

    fields: dict[str, FieldResult]
    not_comparable: tuple[str, ...] = ()
    score: Optional[float] = None  # weighted mean over comparable fields; None when none was comparable
    agree: Optional[bool] = None


_SET, _EXACT, _TEXT = FieldSpec("set"), FieldSpec("exact"), FieldSpec("text", agree_at=0.6)

#: Per-capability specs. Names are those of the compared shape: the adapter's caller shape
#: where one exists (``job_parser``: the matcher's requirements dict) and the output schema's.
CAPABILITY_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "job_parser": {
        # the matcher's shape (adapters/matcher.py requirements_from_output)
        "mandatory_skills": FieldSpec("set", weight=3.0),
        "preferred_skills": FieldSpec("set", weight=1.0),
        "years_experience": FieldSpec("number", weight=2.0, rel=0.0, abs=0.0),
        "location": FieldSpec("text", weight=1.0, agree_at=0.7),
        "education_requirements": FieldSpec("set", weight=1.0),
        # the schema's own names (Framework.call without to_legacy)
        "title": FieldSpec("text", weight=1.0, agree_at=0.7),
        "education_level": _EXACT, "work_mode": _EXACT, "seniority_level": _EXACT, "employment_type": _EXACT,
        "salary_range.min": FieldSpec("number", rel=0.1), "salary_range.max": FieldSpec("number", rel=0.1),
        "salary_range.currency": _EXACT, "salary_range.period": _EXACT,
    },
    "query_enhancer": {
        "intent": FieldSpec("exact", weight=3.0),
        "synonyms": FieldSpec("set", weight=2.0, agree_at=0.5),
        "related_skills": FieldSpec("set", agree_at=0.5),
        "expanded_terms": FieldSpec("set", weight=2.0, agree_at=0.5),
        "job_variations": FieldSpec("set", agree_at=0.5),
        "industry_terms": FieldSpec("set", agree_at=0.5),
    },
    "behavioral_analyzer": {
        "overall_score": FieldSpec("number", weight=3.0, rel=0.1, abs=0.1),
        "reasoning": FieldSpec("text", weight=0.5, agree_at=0.3),
    },
    "candidate_matcher": {"reasoning": FieldSpec("text", weight=0.5, agree_at=0.3)},
    "explanation_generator": {"summary": FieldSpec("text", agree_at=0.3)},
    "market_intelligence": {"summary": FieldSpec("text", agree_at=0.3), "analysis_type": FieldSpec("exact", weight=2.0)},
}


# --------------------------------------------------------------------------- plain values


def as_plain(value: Any) -> Any:
    """Dataclasses and pydantic models -> dicts and lists of JSON-like values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    return value


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def infer_kind(value: Any) -> Optional[FieldKind]:
    """The comparison kind a value suggests; None when it is not a leaf (a dict) or not comparable."""
    if isinstance(value, bool):
        return "exact"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "exact" if len(value) <= _CATEGORICAL_MAX and " " not in value.strip() else "text"
    if isinstance(value, list):
        return "set" if all(isinstance(v, (str, int, float, bool)) for v in value) else "text"
    return None


# --------------------------------------------------------------------------- field comparisons


def set_f1(a: list, b: list) -> float:
    sa, sb = {_norm(x) for x in a}, {_norm(x) for x in b}
    if not sa and not sb:
        return 1.0
    common = len(sa & sb)
    if not common:
        return 0.0
    precision, recall = common / len(sb), common / len(sa)
    return 2 * precision * recall / (precision + recall)


def number_score(a: float, b: float, spec: FieldSpec) -> tuple[float, bool]:
    diff, scale = abs(a - b), max(abs(a), abs(b))
    score = max(0.0, 1.0 - diff / scale) if scale else 1.0
    return score, diff <= max(spec.rel * scale, spec.abs)


def text_score(a: Any, b: Any) -> float:
    import json

    ta = _WORD_RE.findall((a if isinstance(a, str) else json.dumps(a, sort_keys=True)).lower())[:TEXT_TOKEN_CAP]
    tb = _WORD_RE.findall((b if isinstance(b, str) else json.dumps(b, sort_keys=True)).lower())[:TEXT_TOKEN_CAP]
    if not ta and not tb:
        return 1.0
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def compare_field(legacy: Any, candidate: Any, spec: FieldSpec) -> FieldResult:
    """Compare one leaf; ``legacy`` is not None here (None means not comparable, decided by the caller)."""
    if candidate is None:
        return FieldResult(0.0, False)
    if spec.kind == "set":
        a = legacy if isinstance(legacy, list) else [legacy]
        b = candidate if isinstance(candidate, list) else [candidate]
        score = set_f1(a, b)
        return FieldResult(score, score >= spec.agree_at)
    if spec.kind == "number":
        if not (_is_number(legacy) and _is_number(candidate)):
            return FieldResult(0.0, False)
        score, agree = number_score(float(legacy), float(candidate), spec)
        return FieldResult(score, agree)
    if spec.kind == "exact":
        same = _norm(legacy) == _norm(candidate) if isinstance(legacy, str) and isinstance(candidate, str) \
            else legacy == candidate
        return FieldResult(float(same), same)
    score = text_score(legacy, candidate)
    return FieldResult(score, score >= spec.agree_at)


# --------------------------------------------------------------------------- whole answers


def _walk(legacy: Mapping, candidate: Mapping, specs: Mapping[str, FieldSpec], prefix: str,
          fields: dict[str, FieldResult], missing: list[str], weights: dict[str, float]) -> None:
    for key in sorted(set(legacy) | set(candidate)):
        name = f"{prefix}{key}"
        if key in _IGNORED and not prefix:
            continue
        spec = specs.get(name)
        if spec is not None and spec.weight <= 0:
            continue
        lv = legacy.get(key)
        cv = candidate.get(key) if isinstance(candidate, Mapping) else None
        if lv is None:  # the legacy answer has no such field: not comparable, never a disagreement
            if cv is not None:
                missing.append(name)
            continue
        if spec is None and isinstance(lv, Mapping):
            _walk(lv, cv if isinstance(cv, Mapping) else {}, specs, name + ".", fields, missing, weights)
            continue
        kind = spec.kind if spec is not None else infer_kind(lv)
        if kind is None:
            missing.append(name)
            continue
        spec = spec or FieldSpec(kind, agree_at=0.6 if kind == "text" else 0.8)
        fields[name] = compare_field(lv, cv, spec)
        weights[name] = spec.weight


def compare(legacy_value: Any, candidate_value: Any, specs: Optional[Mapping[str, FieldSpec]] = None) -> Comparison:
    """Compare two answers of the same shape, field by field (see the module docstring)."""
    legacy, candidate = as_plain(legacy_value), as_plain(candidate_value)
    specs = specs or {}
    if not isinstance(legacy, Mapping):  # a bare value (a string, a list): one field named "value"
        legacy, candidate = {"value": legacy}, {"value": candidate}
    if not isinstance(candidate, Mapping):
        candidate = {}
    fields: dict[str, FieldResult] = {}
    missing: list[str] = []
    weights: dict[str, float] = {}
    _walk(legacy, candidate, specs, "", fields, missing, weights)
    total = sum(weights.values())
    score = sum(fields[n].score * weights[n] for n in fields) / total if fields and total > 0 else None
    return Comparison(fields, tuple(missing), score, None if score is None else score >= OVERALL_AGREE_AT)


def compare_answers(capability: str, legacy_value: Any, output: Any, *,
                    to_legacy: Optional[Callable[[Any], Any]] = None,
                    output_model: Optional[type] = None) -> Comparison:
    """Compare a validated SageMaker ``output`` with the ``legacy_value`` the caller got.

    With ``to_legacy`` the comparison is in the caller's shape; otherwise the
    legacy answer is validated against ``output_model`` when possible so both
    sides are the schema's fields (an answer that does not validate is
    compared as it is, key by key).
    """
    specs = CAPABILITY_FIELDS.get(capability, {})
    if to_legacy is not None:
        return compare(legacy_value, to_legacy(output), specs)
    if output_model is not None and not hasattr(legacy_value, "model_dump"):
        legacy_value = _validated_or_as_is(output_model, legacy_value)
    return compare(legacy_value, output, specs)


def _validated_or_as_is(model: type, value: Any) -> Any:
    try:
        return model.model_validate(as_plain(value))
    except ValueError:  # pydantic's ValidationError: not schema-shaped, compare the keys it has
        return value


def agreement(legacy_value: Any, shadow_value: Any) -> Optional[float]:
    """0..1 overall agreement of two answers of the same shape (kept for callers of the old score)."""
    return compare(legacy_value, shadow_value).score


__all__ = ["CAPABILITY_FIELDS", "Comparison", "FieldResult", "FieldSpec", "OVERALL_AGREE_AT", "agreement",
           "as_plain", "compare", "compare_answers", "compare_field"]
