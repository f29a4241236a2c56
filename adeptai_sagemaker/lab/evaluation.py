"""Score any predictor against the labelled development set.

The metrics follow ``shared/data/README.md`` exactly, so a number printed here
means the same for the reference model, a SageMaker endpoint or an external
API: feed ``score_job_parsing`` / ``score_queries`` (label, prediction) pairs,
where a prediction is the output dict or ``None`` when the backend failed
(a failure counts as wrong on every field and as schema-invalid).

Run ``python -m adeptai_sagemaker.lab.evaluation`` for the reference model's table.
The data are for measuring and finding failure classes only; no rule in the
reference model reads them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from pydantic import ValidationError

from adeptai_sagemaker import schemas as s

EVAL_DATA_ENV = "ADEPTAI_EVAL_DATA"
JOB_FILE = "job_descriptions.jsonl"
QUERY_FILE = "queries.jsonl"

Pair = tuple[dict, Optional[dict]]


GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
"""The labelled sets shipped inside the package (``lab/golden``): nothing is read from outside the repo."""


def find_eval_data() -> Optional[Path]:
    """Where the labelled data live: $ADEPTAI_EVAL_DATA (a folder you point at), else the in-package golden sets."""
    env = os.environ.get(EVAL_DATA_ENV)
    path = Path(env) if env else GOLDEN_DIR
    if (path / JOB_FILE).exists() or (path / QUERY_FILE).exists():
        return path
    return None


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


# --------------------------------------------------------------------------- job parsing


def _skill_key(name: str) -> str:
    """Case- and hyphen-insensitive key for skill names ("Six-Sigma" == "six sigma")."""
    return re.sub(r"[\s\-]+", " ", name.strip().lower()).strip()


def skill_f1(gold: Iterable[str], predicted: Iterable[str]) -> float:
    """F1 of two skill lists for one posting; two empty lists agree perfectly (1.0)."""
    g = {_skill_key(x) for x in gold if x and x.strip()}
    p = {_skill_key(x) for x in predicted if x and x.strip()}
    if not g and not p:
        return 1.0
    if not g or not p:
        return 0.0
    tp = len(g & p)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(p), tp / len(g)
    return 2 * precision * recall / (precision + recall)


def _schema_valid(model: type, prediction: Optional[dict]) -> bool:
    if prediction is None:
        return False
    try:
        model.model_validate(prediction)
        return True
    except ValidationError:
        return False


def _num_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return False


def _salary_part(salary: Any, key: str) -> Any:
    return salary.get(key) if isinstance(salary, dict) else None


def score_job_parsing(pairs: list[Pair]) -> dict[str, float]:
    """Mean per-posting skill F1s and exact-match accuracies; predictions of None count as failures."""
    n = len(pairs)
    if n == 0:
        return {"n": 0}
    totals = {k: 0.0 for k in ("mandatory_f1", "preferred_f1", "years", "salary_min", "salary_max", "seniority",
                               "work_mode", "education", "location", "employment_type", "schema_valid")}
    for label, pred in pairs:
        totals["schema_valid"] += _schema_valid(s.JobParserOutput, pred)
        if pred is None:
            continue
        totals["mandatory_f1"] += skill_f1(label.get("mandatory_skills") or [], pred.get("mandatory_skills") or [])
        totals["preferred_f1"] += skill_f1(label.get("preferred_skills") or [], pred.get("preferred_skills") or [])
        totals["years"] += label.get("years_experience") == pred.get("years_experience")
        gold_sal, pred_sal = label.get("salary_range"), pred.get("salary_range")
        totals["salary_min"] += _num_equal(_salary_part(gold_sal, "min"), _salary_part(pred_sal, "min"))
        totals["salary_max"] += _num_equal(_salary_part(gold_sal, "max"), _salary_part(pred_sal, "max"))
        totals["seniority"] += label.get("seniority_level") == pred.get("seniority_level")
        totals["work_mode"] += label.get("work_mode") == pred.get("work_mode")
        totals["education"] += label.get("education_level") == pred.get("education_level")
        totals["location"] += (label.get("location") or "").lower() == (pred.get("location") or "").lower()
        totals["employment_type"] += label.get("employment_type") == pred.get("employment_type")
    out = {k: round(v / n, 4) for k, v in totals.items()}
    out["n"] = n
    return out


# --------------------------------------------------------------------------- query enhancement


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


def score_queries(pairs: list[Pair]) -> dict[str, float]:
    """Intent accuracy, expansion hit rate, forbidden-expansion count, schema-valid rate."""
    n = len(pairs)
    if n == 0:
        return {"n": 0}
    intent = hits = valid = 0
    forbidden = 0
    for label, pred in pairs:
        valid += _schema_valid(s.QueryEnhancerOutput, pred)
        if pred is None:
            continue
        intent += pred.get("intent") == label.get("intent")
        terms = _expansion_terms(pred)
        if any(_contains_word(terms, w) for w in label.get("must_expand_any") or []):
            hits += 1
        forbidden += sum(1 for w in label.get("must_not_expand") or [] if _contains_word(terms, w))
    return {
        "n": n,
        "intent_accuracy": round(intent / n, 4),
        "expansion_hit_rate": round(hits / n, 4),
        "forbidden_expansions": forbidden,
        "schema_valid": round(valid / n, 4),
    }


# --------------------------------------------------------------------------- reference model run


def run_predictor(rows: list[dict], text_key: str, predict: Callable[[str], Optional[dict]]) -> list[Pair]:
    pairs: list[Pair] = []
    for row in rows:
        try:
            pred = predict(row[text_key])
        except Exception:  # a failing backend is scored, not raised
            pred = None
        pairs.append((row["label"], pred))
    return pairs


def evaluate_reference_model(data_dir: Optional[Path] = None) -> dict:
    """Both scores for the built-in reference model, run through real rendered prompts."""
    from adeptai_sagemaker import prompting, tasks
    from .reference_model import ReferenceModel

    data_dir = data_dir or find_eval_data()
    if data_dir is None:
        raise FileNotFoundError(f"no evaluation data; set {EVAL_DATA_ENV}")
    model = ReferenceModel()
    specs = {spec.name: spec for spec in tasks.BUILTIN_TASKS}

    def via_prompt(task: str, field: str) -> Callable[[str], dict]:
        spec = specs[task]
        schema = spec.output_model.model_json_schema()

        def predict(text: str) -> dict:
            request = spec.input_model.model_validate({field: text})
            prompt = prompting.render(spec.name, spec.template, spec.variables(request), output_schema=schema)
            return json.loads(model.generate(prompt.text))

        return predict

    result: dict[str, Any] = {"data_dir": str(data_dir)}
    job_path, query_path = data_dir / JOB_FILE, data_dir / QUERY_FILE
    if job_path.exists():
        result["job_parser"] = score_job_parsing(run_predictor(load_jsonl(job_path), "text", via_prompt("job_parser", "job_description")))
    if query_path.exists():
        result["query_enhancer"] = score_queries(run_predictor(load_jsonl(query_path), "query", via_prompt("query_enhancer", "query")))
    return result


def markdown_table(result: dict) -> str:
    lines = ["| capability | metric | value |", "|---|---|---|"]
    for cap in ("job_parser", "query_enhancer"):
        for key, value in (result.get(cap) or {}).items():
            lines.append(f"| {cap} | {key} | {value} |")
    return "\n".join(lines)


def main() -> int:
    try:
        result = evaluate_reference_model()
    except FileNotFoundError as exc:
        print(str(exc))
        return 1
    print(f"Reference model on the dev set ({result['data_dir']}):\n")
    print(markdown_table(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
