"""Score any backend against the in-repo golden sets (``adeptai_sagemaker/lab/golden``).

A number printed here means the same for the reference model, a SageMaker
endpoint, a real LLM or an external API: every backend is called through the
framework's own pipeline (``Framework.invoke``: render, codec, validate,
re-ask), and every prediction is scored field by field against labels written
by hand from the labelling guide in ``golden/README.md``.

- ``score(capability, pairs)``: per-field metrics from (label, prediction)
  pairs, where a prediction is the output dict or ``None`` when the backend
  failed (a failure is wrong on every field and schema-invalid).
- ``evaluate(framework, capability, backend=..., split=...)``: runs the golden
  rows through ``framework.invoke`` and adds schema-valid rates (first try and
  after re-ask), latency, tokens and cost to the field metrics.
- ``compare(a, b)``: field-level agreement between two backends' answers on the
  same rows, and a plain statement when both are the same model.

Only the golden sets shipped in the package are read; nothing outside the
checkout. The rows carry a ``split``: rules are written from ``dev`` and
``test`` is measured, never tuned on.
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from pydantic import ValidationError

from adeptai_sagemaker.capabilities import schemas as s
from adeptai_sagemaker.plugin.hookspecs import hookimpl

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_FILES = {"job_parser": "job_postings.jsonl", "query_enhancer": "queries.jsonl",
                "candidate_matcher": "candidate_pairs.jsonl", "resume_summarizer": "candidate_pairs.jsonl"}
CAPABILITIES = tuple(GOLDEN_FILES)
#: Further rows of the ``dev`` split, in files of their own: growing the set rules are written from never
#: touches the file that holds the ``test`` rows.
DEV_FILES = {"job_parser": ("job_postings_dev.jsonl",)}
SPLITS = ("dev", "test", "all")
#: candidate_matcher's education_match at or above this counts as "the resume meets the job's education".
EDUCATION_MET_AT = 75.0

Pair = tuple[dict, Optional[dict]]


# --------------------------------------------------------------------------- golden sets


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_golden(capability: str, split: str = "dev") -> list[dict]:
    """The golden rows for ``capability`` in ``split`` (``dev``, ``test`` or ``all``)."""
    if capability not in GOLDEN_FILES:
        raise ValueError(f"no golden set for {capability!r}; sets exist for: {', '.join(CAPABILITIES)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of: {', '.join(SPLITS)}")
    rows = load_jsonl(GOLDEN_DIR / GOLDEN_FILES[capability])
    if split != "test":
        for name in DEV_FILES.get(capability, ()):
            extra = load_jsonl(GOLDEN_DIR / name)
            if any(r["split"] != "dev" for r in extra):
                raise ValueError(f"{name} holds dev rows only")
            rows += extra
    return rows if split == "all" else [r for r in rows if r["split"] == split]


def request_for(capability: str, row: dict) -> dict:
    """The capability input for one golden row."""
    if capability == "job_parser":
        return {"job_description": row["text"]}
    if capability == "query_enhancer":
        return {"query": row["query"]}
    if capability == "candidate_matcher":
        return {"job_description": row["job_description"], "resume_text": row["resume_text"]}
    if capability == "resume_summarizer":
        return {"resume_text": row["resume_text"], "job_description": row["job_description"]}
    raise ValueError(f"no golden set for {capability!r}")


# --------------------------------------------------------------------------- field comparisons


_CREDENTIAL_WORDS = re.compile(r"\b(?:certification|certificate|certified|cert|credential)\b")


def _skill_key(name: str) -> str:
    """Matching key of a skill name, neutral to how any backend spells it.

    Case, spaces, hyphens and underscores are ignored ("Six-Sigma" == "six sigma"), and so are the words
    certification/certificate/certified ("BLS certification" == "BLS") and a plural "s" on the last word
    ("RF scanners" == "RF scanner").
    """
    key = _CREDENTIAL_WORDS.sub(" ", str(name).strip().lower().rstrip("."))
    key = re.sub(r"[\s\-_]+", " ", key).strip()
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key or str(name).strip().lower()


def skill_f1(gold: Iterable[str], predicted: Iterable[str]) -> float:
    """F1 of two skill lists for one row; two empty lists agree perfectly (1.0).

    A gold entry may list accepted spellings joined by ``|`` ("CDL-A|Class A CDL"): it is found when any
    of them is predicted, and each predicted name that matches some spelling counts as correct.
    """
    entries = [{_skill_key(a) for a in str(g).split("|") if a.strip()} for g in gold if g and str(g).strip()]
    pred = {_skill_key(p) for p in predicted if p and str(p).strip()}
    if not entries and not pred:
        return 1.0
    if not entries or not pred:
        return 0.0
    found = sum(1 for e in entries if e & pred)
    correct = sum(1 for p in pred if any(p in e for e in entries))
    if found == 0 or correct == 0:
        return 0.0
    precision, recall = correct / len(pred), found / len(entries)
    return 2 * precision * recall / (precision + recall)


def _num_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return False


def _text_equal(gold: Any, pred: Any) -> bool:
    """Strings equal ignoring case and spacing; the gold may list variants joined by ``|``."""
    if gold is None or pred is None:
        return gold is None and pred is None
    norm = lambda v: re.sub(r"\s+", " ", str(v)).strip().lower()  # noqa: E731
    return norm(pred) in {norm(v) for v in str(gold).split("|")}


_COUNTRY_NAMES = {"uk": "united kingdom", "u.k.": "united kingdom", "uae": "united arab emirates",
                  "usa": "united states", "us": "united states", "u.s.": "united states"}


def _place(value: Any) -> Any:
    """"Leeds, UK" == "Leeds, United Kingdom": country abbreviations spelled out before comparing."""
    if not isinstance(value, str) or "," not in value:
        return value
    head, _, country = value.rpartition(",")
    return f"{head}, {_COUNTRY_NAMES.get(country.strip().lower(), country.strip())}"


def _get(d: Optional[dict], *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _schema_valid(model: type, prediction: Optional[dict]) -> bool:
    if prediction is None:
        return False
    try:
        model.model_validate(prediction)
        return True
    except ValidationError:
        return False


def _expansion_terms(pred: dict) -> list[str]:
    terms: list[str] = []
    for key in ("expanded_terms", "synonyms", "related_skills", "job_variations"):
        value = pred.get(key) or []
        if isinstance(value, list):
            terms += [str(t) for t in value]
    return terms


def _contains_word(terms: list[str], word: str) -> bool:
    pattern = re.compile(r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)")
    return any(pattern.search(t.lower()) for t in terms)


#: Per capability: field name -> fn(label, prediction) -> score in 0..1 for one row (prediction not None).
FIELD_SCORERS: dict[str, dict[str, Callable[[dict, dict], float]]] = {
    "job_parser": {
        "title": lambda g, p: _text_equal(g.get("title"), p.get("title")),
        "mandatory_f1": lambda g, p: skill_f1(g.get("mandatory_skills") or [], p.get("mandatory_skills") or []),
        "preferred_f1": lambda g, p: skill_f1(g.get("preferred_skills") or [], p.get("preferred_skills") or []),
        "years": lambda g, p: g.get("years_experience") == p.get("years_experience"),
        "education": lambda g, p: g.get("education_level") == p.get("education_level"),
        "location": lambda g, p: _text_equal(_place(g.get("location")), _place(p.get("location"))),
        "work_mode": lambda g, p: g.get("work_mode") == p.get("work_mode"),
        "salary_min": lambda g, p: _num_equal(_get(g, "salary_range", "min"), _get(p, "salary_range", "min")),
        "salary_max": lambda g, p: _num_equal(_get(g, "salary_range", "max"), _get(p, "salary_range", "max")),
        "salary_unit": lambda g, p: (_get(g, "salary_range", "currency"), _get(g, "salary_range", "period"))
        == (_get(p, "salary_range", "currency"), _get(p, "salary_range", "period")),
        "seniority": lambda g, p: g.get("seniority_level") == p.get("seniority_level"),
        "employment_type": lambda g, p: g.get("employment_type") == p.get("employment_type"),
    },
    "query_enhancer": {
        "intent_accuracy": lambda g, p: p.get("intent") == g.get("intent"),
        "expansion_hit_rate": lambda g, p: any(_contains_word(_expansion_terms(p), w) for w in g.get("must_expand_any") or []),
        "min_years": lambda g, p: _get(g, "entities", "min_years") == _get(p, "entities", "min_years"),
    },
    "candidate_matcher": {
        "matched_f1": lambda g, p: skill_f1(g.get("matched_skills") or [], p.get("matched_skills") or []),
        "missing_f1": lambda g, p: skill_f1(g.get("missing_skills") or [], p.get("missing_skills") or []),
        "education_met": lambda g, p: bool(g.get("education_met"))
        == ((p.get("education_match") or 0.0) >= EDUCATION_MET_AT),
    },
    "resume_summarizer": {
        "matched_f1": lambda g, p: skill_f1(g.get("matched_skills") or [], p.get("matched_skills") or []),
        "missing_f1": lambda g, p: skill_f1(g.get("missing_skills") or [], p.get("missing_skills") or []),
        "years": lambda g, p: g.get("resume_years") == p.get("years_experience"),
    },
}
_OUTPUT_MODELS = {"job_parser": s.JobParserOutput, "query_enhancer": s.QueryEnhancerOutput,
                  "candidate_matcher": s.CandidateMatcherOutput, "resume_summarizer": s.ResumeSummarizerOutput}


def score(capability: str, pairs: list[Pair]) -> dict[str, Any]:
    """Mean per-row score of every field, plus ``schema_valid`` and ``n``; ``None`` predictions score 0."""
    scorers = FIELD_SCORERS[capability]
    n = len(pairs)
    if n == 0:
        return {"n": 0}
    totals = {name: 0.0 for name in scorers}
    valid = forbidden = 0
    for label, pred in pairs:
        valid += _schema_valid(_OUTPUT_MODELS[capability], pred)
        if pred is None:
            continue
        for name, fn in scorers.items():
            totals[name] += float(fn(label, pred))
        if capability == "query_enhancer":
            terms = _expansion_terms(pred)
            forbidden += sum(1 for w in label.get("must_not_expand") or [] if _contains_word(terms, w))
    out: dict[str, Any] = {name: round(v / n, 4) for name, v in totals.items()}
    if capability == "query_enhancer":
        out["forbidden_expansions"] = forbidden
    out["schema_valid"] = round(valid / n, 4)
    out["n"] = n
    return out


def score_job_parsing(pairs: list[Pair]) -> dict[str, Any]:
    return score("job_parser", pairs)


def score_queries(pairs: list[Pair]) -> dict[str, Any]:
    return score("query_enhancer", pairs)


# --------------------------------------------------------------------------- running a backend


class _LastRecord:
    """Observer: the CallRecord of the call just made (names and numbers only, never text)."""

    def __init__(self) -> None:
        self.record: Any = None

    @hookimpl
    def on_call_finished(self, record) -> None:
        self.record = record


@dataclass
class RowResult:
    id: str
    label: dict
    prediction: Optional[dict]
    latency_s: float
    reasks: int = 0
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    error: Optional[str] = None


@dataclass
class EvalResult:
    capability: str
    backend: str
    split: str
    rows: list[RowResult] = field(default_factory=list)
    cost_per_1k_usd: Optional[float] = None
    cost_basis: str = ""

    @property
    def provenances(self) -> list[str]:
        """Distinct model self-descriptions in the answers (the reference model always names itself)."""
        return sorted({str(r.prediction.get("provenance")) for r in self.rows
                       if r.prediction and r.prediction.get("provenance")})

    def metrics(self) -> dict[str, Any]:
        n = len(self.rows)
        ok = [r for r in self.rows if r.error is None and r.prediction is not None]
        lat = [r.latency_s * 1000 for r in self.rows]
        tok_in = [r.input_tokens for r in ok if r.input_tokens is not None]
        tok_out = [r.output_tokens for r in ok if r.output_tokens is not None]
        return {
            "capability": self.capability, "backend": self.backend, "split": self.split, "n": n,
            "fields": score(self.capability, [(r.label, r.prediction) for r in self.rows]),
            "schema_valid_first_try": round(sum(1 for r in ok if r.reasks == 0) / n, 4) if n else None,
            "schema_valid_after_reask": round(len(ok) / n, 4) if n else None,
            "reasks": sum(r.reasks for r in self.rows),
            "errors": dict(Counter(r.error for r in self.rows if r.error)),
            "latency_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "mean": round(statistics.fmean(lat), 2) if lat else None},
            "tokens": {"mean_input": round(statistics.fmean(tok_in), 1) if tok_in else None,
                       "mean_output": round(statistics.fmean(tok_out), 1) if tok_out else None},
            "cost_per_1k_usd": self.cost_per_1k_usd, "cost_basis": self.cost_basis,
            "provenance": self.provenances,
        }


def _pct(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return round(ordered[k], 2)


def evaluate(framework, capability: str, *, backend: str = "sagemaker", split: str = "dev",
             rows: Optional[list[dict]] = None, limit: Optional[int] = None, warmup: bool = True) -> EvalResult:
    """Run the golden rows through ``framework.invoke(capability, ..., backend=backend)`` and keep the answers.

    ``warmup`` makes one untimed, unscored call first, so client and connection set-up do not land in
    the first row's latency.
    """
    rows = load_golden(capability, split) if rows is None else rows
    if limit is not None:
        rows = rows[:limit]
    if warmup and rows:
        with contextlib.suppress(Exception):  # the scored calls below report any failure
            framework.invoke(capability, request_for(capability, rows[0]), backend=backend)
    last = _LastRecord()
    name = framework.pm.register(last)
    result = EvalResult(capability, backend, split)
    try:
        for row in rows:
            last.record = None
            started = time.perf_counter()
            pred, error = None, None
            try:
                pred = framework.invoke(capability, request_for(capability, row), backend=backend).model_dump(mode="json")
            except Exception as exc:  # a failing backend is scored, not raised
                error = str(getattr(exc, "code", None) or type(exc).__name__)
            rec = last.record
            result.rows.append(RowResult(row["id"], row["label"], pred, time.perf_counter() - started,
                                         reasks=getattr(rec, "reasks", 0) or 0,
                                         input_tokens=getattr(rec, "input_tokens", None),
                                         output_tokens=getattr(rec, "output_tokens", None), error=error))
    finally:
        framework.pm.unregister(name=name)
    result.cost_per_1k_usd, result.cost_basis = _cost(backend, result)
    return result


def _cost(backend: str, result: EvalResult) -> tuple[Optional[float], str]:
    """Cost per 1,000 requests: API list prices for external APIs, amortized instance price for SageMaker."""
    from adeptai_sagemaker.ops import cost

    ok = [r for r in result.rows if r.error is None and r.prediction is not None]
    mean_in = statistics.fmean([r.input_tokens for r in ok if r.input_tokens is not None] or [0])
    mean_out = statistics.fmean([r.output_tokens for r in ok if r.output_tokens is not None] or [0])
    if backend in cost.BACKEND_API_MODELS:
        api_model = cost.BACKEND_API_MODELS[backend]
        return (round(cost.api_cost_per_request(mean_in, mean_out, api_model) * 1000, 4),
                f"{api_model} list price x mean measured tokens")
    if backend == "sagemaker" and ok:
        from adeptai_sagemaker_lab.bench.workload import INSTANCE_CONCURRENCY, INSTANCE_TYPE

        mean_latency = statistics.fmean(r.latency_s for r in ok)
        model = cost.CostModel(instance_type=INSTANCE_TYPE, throughput_rps=INSTANCE_CONCURRENCY / mean_latency)
        try:
            return (round(model.cost_per_request() * 1000, 4),
                    f"{INSTANCE_TYPE} amortized at 70% utilization, {INSTANCE_CONCURRENCY} concurrent sequences / "
                    "mean measured latency")
        except Exception as exc:  # an unknown instance type: say so instead of guessing
            return None, f"no price for {INSTANCE_TYPE}: {exc}"
    return None, "not priced"


# --------------------------------------------------------------------------- comparing two backends


def _set_agreement(a: Any, b: Any) -> float:
    return skill_f1(list(a or []), list(b or []))


#: Per capability: output field -> how two answers are compared ("set": F1 of the lists, else equality).
COMPARE_FIELDS: dict[str, dict[str, str]] = {
    "job_parser": {"title": "text", "mandatory_skills": "set", "preferred_skills": "set", "years_experience": "eq",
                   "education_level": "eq", "location": "text", "work_mode": "eq", "salary_range.min": "num",
                   "salary_range.max": "num", "seniority_level": "eq", "employment_type": "eq"},
    "query_enhancer": {"intent": "eq", "synonyms": "set", "related_skills": "set", "job_variations": "set",
                       "expanded_terms": "set", "entities.skills": "set", "entities.location": "text",
                       "entities.min_years": "eq", "entities.title": "text"},
    "candidate_matcher": {"matched_skills": "set", "missing_skills": "set", "recommendation": "eq",
                          "overall_score": "num10", "education_match": "num10"},
    "resume_summarizer": {"matched_skills": "set", "missing_skills": "set", "years_experience": "eq",
                          "seniority_level": "eq"},
}


def _agree(kind: str, a: Any, b: Any) -> float:
    if kind == "set":
        return _set_agreement(a, b)
    if kind == "text":
        return float(_text_equal(a, b))
    if kind == "num":
        return float(_num_equal(a, b))
    if kind == "num10":  # scores within 10 points out of 100
        return float(a is not None and b is not None and abs(float(a) - float(b)) <= 10.0)
    return float(a == b)


def compare(a: EvalResult, b: EvalResult) -> dict[str, Any]:
    """Field-level agreement of two backends on the same rows (a failed answer disagrees on every field)."""
    if a.capability != b.capability or [r.id for r in a.rows] != [r.id for r in b.rows]:
        raise ValueError("compare needs two runs of the same capability on the same rows")
    fields = COMPARE_FIELDS[a.capability]
    totals = {f: 0.0 for f in fields}
    both = 0
    for ra, rb in zip(a.rows, b.rows):
        if ra.prediction is None or rb.prediction is None:
            continue
        both += 1
        for f, kind in fields.items():
            totals[f] += _agree(kind, _get(ra.prediction, *f.split(".")), _get(rb.prediction, *f.split(".")))
    n = len(a.rows)
    same = a.provenances == b.provenances and len(a.provenances) == 1
    return {
        "capability": a.capability, "split": a.split, "n": n, "both_answered": both,
        "agreement": {f: round(v / n, 4) if n else None for f, v in totals.items()},
        "same_model": same,
        "note": (f"{a.backend} and {b.backend} are the same model ({a.provenances[0]}): agreement shows the "
                 "transport and pipeline agree, not that two models do" if same else
                 "different or unnamed models: agreement is between their answers, not against the labels"),
        a.backend: a.metrics(), b.backend if b.backend != a.backend else f"{b.backend} (2)": b.metrics(),
    }


def same_model_note(provenance_by_backend: dict[str, list[str]]) -> Optional[str]:
    """A plain sentence when several backends answered with one and the same named model, else None."""
    groups: dict[str, list[str]] = {}
    for backend, provs in provenance_by_backend.items():
        if len(provs) == 1:
            groups.setdefault(provs[0], []).append(backend)
    common = {p: names for p, names in groups.items() if len(names) > 1}
    if not common:
        return None
    return " ".join(f"{', '.join(names)} are the same model ({p}), so their quality numbers cannot differ "
                    "by model." for p, names in common.items())


# --------------------------------------------------------------------------- the reference model, directly


def evaluate_reference_model(split: str = "dev", capabilities: Iterable[str] = ("job_parser", "query_enhancer")) -> dict:
    """Field metrics of the built-in reference model through real rendered prompts (no HTTP; for tests)."""
    from adeptai_sagemaker.core import prompting
    from adeptai_sagemaker.plugin import tasks
    from adeptai_sagemaker_lab.reference_model import ReferenceModel

    model = ReferenceModel()
    specs = {spec.name: spec for spec in tasks.BUILTIN_TASKS}
    out: dict[str, Any] = {"split": split}
    for cap in capabilities:
        spec = specs[cap]
        schema = spec.output_model.model_json_schema()
        pairs: list[Pair] = []
        for row in load_golden(cap, split):
            request = spec.input_model.model_validate(request_for(cap, row))
            prompt = prompting.render(spec.name, spec.template, spec.variables(request), output_schema=schema)
            try:
                pred: Optional[dict] = json.loads(model.generate(prompt.text))
            except Exception:  # scored as a failure
                pred = None
            pairs.append((row["label"], pred))
        out[cap] = score(cap, pairs)
    return out


def markdown_table(result: dict) -> str:
    lines = ["| capability | metric | value |", "|---|---|---|"]
    for cap in CAPABILITIES:
        for key, value in (result.get(cap) or {}).items():
            lines.append(f"| {cap} | {key} | {value} |")
    return "\n".join(lines)
