"""The offline demo: every capability, end to end, through the same path production uses.

Why it exists: a backend engineer should see, in one command and without an
AWS account, that a call made the way the monolith makes it (through the
drop-in adapter and the hook chain) reached a SageMaker-runtime endpoint,
was answered by a model, validated, and counted in the metrics.

- No ``SAGEMAKER_ENDPOINT_URL``: a ``LocalEndpoint`` (real HTTP, real SigV4,
  the built-in reference model) starts on a loopback port. The runtime calls
  a loopback URL with dummy credentials and a default region of its own
  (``adeptai_sagemaker/core/aws_setup.py``): no AWS account, and the process
  environment is left alone.
- With ``SAGEMAKER_ENDPOINT_URL`` set, that endpoint is used (with the ambient
  credentials unless it is a loopback URL too).
- Four capabilities run through their drop-in adapter; job_parser,
  resume_summarizer, question_generator and candidate_matcher through
  ``Framework.call`` (the monolith's requirements shape has no title or
  seniority, which the reader needs to see). Fallback is off, so a failure
  shows as a failure instead of a quiet legacy answer.
- Every panel shows the values that answer its input and a check that the
  answer is right for it (``verify``): the demo's inputs have known answers,
  and every claim a panel makes (a skill called required, a concern, a risk,
  a level) is checked against what the input states, not only the headline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.observers.metrics import MetricsRecorder
from adeptai_sagemaker.plugin.tasks import CAPABILITIES

# Synthetic sample inputs (no real person's data).
JOB = ("Senior Python Engineer (Remote, US). We need 5+ years of Python, AWS and PostgreSQL; Docker and "
       "Kubernetes are a plus. Bachelor's degree in Computer Science required. Salary $140,000 - $170,000 per year.")
RESUME = ("Alex Example - Software engineer with 7 years of experience building Python services on AWS. "
          "Led a team of 4 engineers migrating a monolith to microservices with Docker and PostgreSQL. "
          "Mentored juniors, ran design reviews. B.Sc. Computer Science.")
#: What the inputs above state, read by hand: the claims every panel makes are checked against these.
JOB_REQUIRES = ("Python", "AWS", "PostgreSQL")
JOB_NICE_TO_HAVE = ("Docker", "Kubernetes")
RESUME_LACKS = ("Kubernetes",)
RESUME_YEARS = 7
SAMPLES: dict[str, dict[str, Any]] = {
    "query_enhancer": {"query": "senior python developer with aws in austin"},
    "behavioral_analyzer": {"resume_text": RESUME, "job_description": JOB, "target_role": "Senior Python Engineer"},
    "market_intelligence": {"prompt": "Summarize the talent market for senior Python engineers in the US.",
                            "system_prompt": "You are a talent-market analyst.", "focus_area": "market"},
    "job_parser": {"job_description": JOB},
    # the monolith's search results call the explainer with its own keys on the 0-100 scale (result[...] * 100)
    "explanation_generator": {"candidate_profile": {"name": "Alex Example", "skills": ["Python", "AWS", "Docker"],
                                                    "experience_years": 7, "seniority_level": "senior"},
                              "job_query": "Senior Python Engineer with AWS",
                              "match_scores": {"overall_score": 86.5, "technical_skills_score": 86.0,
                                               "experience_score": 90.0, "seniority_score": 85.0,
                                               "education_score": 100.0, "soft_skills_score": 70.0,
                                               "location_score": 100.0},
                              "ranking_position": 2},
    "resume_summarizer": {"resume_text": RESUME, "job_description": JOB, "max_words": 60},
    "question_generator": {"job_description": JOB, "resume_text": RESUME, "num_questions": 5},
    "candidate_matcher": {"job_description": JOB, "resume_text": RESUME},
}


@contextlib.contextmanager
def local_or_configured_endpoint(endpoint_url: Optional[str] = None) -> Iterator[tuple[str, bool]]:
    """Yield ``(url, is_local)``: the given/``SAGEMAKER_ENDPOINT_URL`` endpoint, else a started LocalEndpoint."""
    url = endpoint_url or os.environ.get("SAGEMAKER_ENDPOINT_URL")
    if url:
        yield url, False
        return
    from adeptai_sagemaker_lab.server.runner import LocalEndpoint

    with LocalEndpoint(default_dialect="tgi") as ep:
        yield ep.url, True


def demo_endpoint_name(capability: str) -> str:
    return "adeptai-" + capability.replace("_", "-") + "-demo"


def build_framework(url: str, *, plugins: tuple = (), cache_dir: Optional[str] = None, fallback: bool = False,
                    capabilities: tuple[str, ...] = CAPABILITIES, settings_overrides: Optional[dict] = None):
    """A framework with ``capabilities`` mode=on against ``url`` (region resolved as for any endpoint).

    The environment's own settings are validated first (``load_settings()``): a bad value there (a mode of
    ``banana``) is the same error here as in ``status``, although this framework overrides the modes."""
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    load_settings()
    overrides: dict[str, Any] = {"sagemaker_endpoint_url": url,
                                 "sagemaker_llm_fallback": fallback, "sagemaker_llm_enabled": True}
    if cache_dir:
        overrides["adeptai_sagemaker_cache_dir"] = cache_dir
    overrides.update(settings_overrides or {})
    settings = load_settings(env_file=None, **overrides, capabilities={
        cap: {"endpoint": demo_endpoint_name(cap), "mode": "on", "codec": "tgi"} for cap in capabilities})
    return Framework(settings, plugins=plugins, load_entrypoints=False, cache=bool(cache_dir))


class LastCall:
    """Observer: the last ``CallRecord`` per capability (the adapters hide it behind legacy shapes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: dict[str, Any] = {}

    @hookimpl
    def on_call_finished(self, record) -> None:
        with self._lock:
            self.records[record.capability] = record


# --------------------------------------------------------------------------- adapters


def _via_query_enhancer(fw, sample):
    from adeptai_sagemaker.adapters.query_enhancer import LLMQueryEnhancer

    return ("LLMQueryEnhancer.enhance_query",
            lambda: LLMQueryEnhancer(framework=fw, use_cache=False).enhance_query(sample["query"], use_llm=True))


def _via_behavioral(fw, sample):
    from adeptai_sagemaker.adapters.behavioral import create_enhanced_pipeline, create_multi_source_profile

    return ("EnhancedBehavioralPipeline.analyze_comprehensive_profile",
            lambda: create_enhanced_pipeline({}, framework=fw).analyze_comprehensive_profile(
                source_data=create_multi_source_profile(sample["resume_text"]), target_role=sample["target_role"],
                job_description=sample["job_description"]))


def _via_market(fw, sample):
    from adeptai_sagemaker.adapters import _shapes
    from adeptai_sagemaker.adapters.market_intelligence import HybridLLMService

    request = _shapes.LLMRequest(prompt=sample["prompt"], system_prompt=sample["system_prompt"], max_tokens=800,
                                 temperature=0.2, complexity=list(_shapes.TaskComplexity)[0])
    return ("HybridLLMService.generate_response",
            lambda: asyncio.run(HybridLLMService(framework=fw).generate_response(request)))


def _via_explanation(fw, sample):
    from adeptai_sagemaker.adapters.explainable_ai import ExplainableRecruitmentAI

    return ("ExplainableRecruitmentAI.explain_candidate_selection",
            lambda: ExplainableRecruitmentAI(framework=fw).explain_candidate_selection(
                sample["candidate_profile"], sample["job_query"], sample["match_scores"],
                sample["ranking_position"]))


#: capability -> fn(framework, sample) -> (label, zero-arg call): the call through the monolith-facing adapter
ADAPTER_PATHS: dict[str, Callable[[Any, dict], tuple[str, Callable[[], Any]]]] = {
    "query_enhancer": _via_query_enhancer,
    "behavioral_analyzer": _via_behavioral,
    "market_intelligence": _via_market,
    "explanation_generator": _via_explanation,
}


# --------------------------------------------------------------------------- running


# --------------------------------------------------------------------------- what each answer must say


def _content(output: Any) -> dict:
    """market_intelligence answers in the monolith's LLMResponse shape: the JSON sits in ``content``."""
    import json

    if isinstance(output, dict) and isinstance(output.get("content"), str):
        try:
            parsed = json.loads(output["content"])
            return parsed if isinstance(parsed, dict) else {}
        except ValueError:
            return {}
    return output if isinstance(output, dict) else {}


def _profile(output: Any) -> dict:
    return (output or {}).get("behavioral_profile") or {} if isinstance(output, dict) else {}


def _has(items: Any, *names: str) -> bool:
    have = {str(i).lower() for i in items or []}
    return all(n.lower() in have for n in names)


def _names(texts: Any, names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` the texts mention, as whole words."""
    blob = " ".join(str(t) for t in texts or [])
    return {n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", blob, re.I)}


def _called_required(question: dict) -> bool:
    return bool(re.search(r"\brequire[sd]?\b|\bneeds?\b|\bmust\b", f"{question.get('question')} {question.get('rationale')}", re.I))


def _given_factors(match_scores: dict) -> set[str]:
    """The explanation factors the sample gives a score for (its description, as the answer names it)."""
    from adeptai_sagemaker_lab.reference_model import explain

    return {explain.DESCRIPTIONS[f] for f, key in explain.SCORE_KEYS.items() if key in match_scores}


def _stated_concerns(o: dict) -> set[str]:
    summary = str(o.get("decision_summary", ""))
    stated = summary.split("Concerns:", 1)[1].split(".")[0].split(",") if "Concerns:" in summary else []
    return ({c.strip() for c in stated} | set(o.get("top_negative_factors") or [])
            | {r[len("Concern with "):] for r in o.get("risk_factors") or [] if str(r).startswith("Concern with ")})


def _one_sentence(evidence: Any) -> bool:
    text = str(evidence or "")
    return 0 < len(text) < len(RESUME) and not re.search(r"[.!?]\s+[A-Z]", text.rstrip(". "))


#: capability -> fn(output) -> list of (what is checked, passed?) for the sample input above.
CHECKS: dict[str, Callable[[Any], list[tuple[str, bool]]]] = {
    "query_enhancer": lambda o: [
        ("a role/skill search filtered to Austin", o.get("intent") in ("role_search", "skill_search")
         and any("Austin" in str(t) for t in o.get("expanded_terms", []))),
        ("expands Python/AWS", _has(o.get("related_skills"), "Django") or any("aws" in str(t).lower() for t in o.get("expanded_terms", []))),
    ],
    "behavioral_analyzer": lambda o: [
        ("leadership shown (led a team, mentored)", (_profile(o).get("leadership_score") or 0) > 0.6),
        ("no risk from a nice-to-have (Kubernetes is a plus)", not _names(_profile(o).get("risk_factors"), JOB_NICE_TO_HAVE)),
        ("overall score on 0..1", 0 < (_profile(o).get("overall_score") or 0) <= 1),
    ],
    "market_intelligence": lambda o: [
        ("no figures supplied, none invented", _content(o).get("analysis_type") == "market" and bool(_content(o).get("insights"))),
    ],
    "job_parser": lambda o: [
        ("'Senior' kept in the title", "senior" in str(o.get("title", "")).lower() and o.get("seniority_level") == "senior"),
        ("'we need Python, AWS and PostgreSQL' are requirements", _has(o.get("mandatory_skills"), "Python", "AWS", "PostgreSQL")),
        ("Docker, Kubernetes are a plus", _has(o.get("preferred_skills"), "Docker", "Kubernetes")),
        ("5+ years, bachelor's, $140k-$170k", o.get("years_experience") == 5 and o.get("education_level") == "bachelor"
         and (o.get("salary_range") or {}).get("min") == 140000),
    ],
    "explanation_generator": lambda o: [
        ("skills 86, experience 90 -> a good score", (o.get("overall_score") or 0) >= 70),
        ("recommended", str(o.get("recommendation", "")).startswith(("Strongly recommend", "Recommend"))),
        ("concerns only from scores given (no domain score was)",
         _stated_concerns(o) <= _given_factors(SAMPLES["explanation_generator"]["match_scores"])),
    ],
    "resume_summarizer": lambda o: [
        ("7 years of experience", o.get("years_experience") == 7),
        ("Python, AWS, PostgreSQL matched; no required skill missing", _has(o.get("matched_skills"), "Python", "AWS", "PostgreSQL")
         and not o.get("missing_skills")),
        ("reads the B.Sc. line", "bachelor" in str(o.get("summary", "")).lower()),
        (f"a level that fits {RESUME_YEARS} years", o.get("seniority_level") in ("senior", "lead", "principal")
         and not re.search(r"\b(?:Entry|Junior|Intern|Mid)", f"{o.get('headline')} {o.get('summary')}")),
        ("evidence is the sentence naming each skill", all(_one_sentence(h.get("evidence")) for h in o.get("highlighted_skills") or [])),
    ],
    "question_generator": lambda o: [
        ("5 questions", len(o.get("questions") or []) == 5),
        ("asks about the job's skills", any(q.get("skill") for q in o.get("questions") or [])),
        ("no skill called required unless the job requires it",
         all(q.get("skill") in JOB_REQUIRES for q in o.get("questions") or [] if q.get("skill") and _called_required(q))),
    ],
    "candidate_matcher": lambda o: [
        ("reads 'B.Sc. Computer Science' as a bachelor's", o.get("education_match") == 100.0 and "shows bachelor" in str(o.get("reasoning", ""))),
        ("all required skills present", not o.get("missing_skills") and _has(o.get("matched_skills"), "Python", "AWS", "PostgreSQL")),
        ("a strong match", o.get("recommendation") in ("strong_match", "match")),
        ("names the nice-to-have the resume lacks", _names([o.get("reasoning")], RESUME_LACKS) == set(RESUME_LACKS)),
    ],
}


def verify(capability: str, output: Any) -> list[tuple[str, bool]]:
    """What the answer for the demo's sample input must say, and whether it does."""
    check = CHECKS.get(capability)
    if check is None or not isinstance(output, dict):
        return [("an answer", False)]
    try:
        return check(output)
    except Exception as exc:  # a malformed answer fails its check instead of stopping the demo
        return [(f"answer readable ({type(exc).__name__})", False)]


#: The longest value a panel line shows; longer text is cut after its last whole sentence that fits.
PANEL_CHARS = 400


def _shorten(text: str, limit: int = PANEL_CHARS) -> str:
    """``text`` up to ``limit`` characters, never cut inside a sentence (or, with none, inside a word)."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", text[:limit])]
    cut = ends[-1] if ends else text.rfind(" ", 0, limit)
    return text[:cut if cut > 0 else limit].rstrip() + " ..."


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value <= 1 else f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt_value(v) for v in value[:6]) + (" ..." if len(value) > 6 else "") if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt_value(v)}" for k, v in list(value.items())[:5])
    return "-" if value is None else str(value)


#: capability -> the fields a reader needs, as (label, fn(output) -> value).
HIGHLIGHTS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "query_enhancer": [("intent", lambda o: o.get("intent")), ("expanded", lambda o: o.get("expanded_terms")),
                       ("related skills", lambda o: o.get("related_skills")), ("job variations", lambda o: o.get("job_variations"))],
    "behavioral_analyzer": [("overall", lambda o: _profile(o).get("overall_score")),
                            ("leadership", lambda o: _profile(o).get("leadership_score")),
                            ("strengths", lambda o: _profile(o).get("strengths")),
                            ("risks", lambda o: _profile(o).get("risk_factors"))],
    "market_intelligence": [("summary", lambda o: _content(o).get("summary")), ("insights", lambda o: _content(o).get("insights")),
                            ("confidence", lambda o: _content(o).get("confidence"))],
    "job_parser": [("title", lambda o: o.get("title")), ("seniority", lambda o: o.get("seniority_level")),
                   ("required", lambda o: o.get("mandatory_skills")), ("preferred", lambda o: o.get("preferred_skills")),
                   ("years", lambda o: o.get("years_experience")), ("education", lambda o: o.get("education_level")),
                   ("work mode", lambda o: o.get("work_mode")), ("salary", lambda o: o.get("salary_range"))],
    "explanation_generator": [("overall", lambda o: o.get("overall_score")), ("recommendation", lambda o: o.get("recommendation")),
                              ("confidence", lambda o: o.get("confidence_level")), ("summary", lambda o: o.get("decision_summary")),
                              ("strengths", lambda o: o.get("top_positive_factors"))],
    "resume_summarizer": [("headline", lambda o: o.get("headline")), ("summary", lambda o: o.get("summary")),
                          ("matched", lambda o: o.get("matched_skills")),
                          ("missing required", lambda o: o.get("missing_skills"))],
    "question_generator": [(f"Q{i + 1}", (lambda i: lambda o: "[{}] {}".format(
        (o.get("questions") or [{}] * 5)[i].get("type"), (o.get("questions") or [{}] * 5)[i].get("question")))(i))
        for i in range(SAMPLES["question_generator"]["num_questions"])],
    "candidate_matcher": [("overall", lambda o: o.get("overall_score")), ("recommendation", lambda o: o.get("recommendation")),
                          ("skills/experience/education", lambda o: f"{o.get('skill_match')} / {o.get('experience_match')} / {o.get('education_match')}"),
                          ("matched", lambda o: o.get("matched_skills")),
                          ("missing required", lambda o: o.get("missing_skills")),
                          ("reasoning", lambda o: o.get("reasoning"))],
}


def highlights(capability: str, output: Any) -> list[tuple[str, str]]:
    """(label, value) pairs a reader needs to judge the answer."""
    if not isinstance(output, dict):
        return [("answer", _fmt_value(output))]
    out = []
    for label, fn in HIGHLIGHTS.get(capability, []):
        try:
            out.append((label, _shorten(_fmt_value(fn(output)))))
        except Exception:  # a missing field shows as missing
            out.append((label, "-"))
    return out


@dataclass
class DemoResult:
    capability: str
    via: str
    ok: bool
    backend: Optional[str] = None
    endpoint: Optional[str] = None
    outcome: Optional[str] = None
    model_version: Optional[str] = None
    latency_ms: Optional[float] = None
    output: Any = None
    error: Optional[str] = None
    checks: list = field(default_factory=list)  # (what the answer must say, passed?)

    @property
    def answered_by_model(self) -> bool:
        return self.ok and self.backend == "sagemaker" and self.outcome == "success"

    @property
    def correct(self) -> bool:
        return self.answered_by_model and bool(self.checks) and all(ok for _, ok in self.checks)


@dataclass
class DemoReport:
    endpoint_url: str
    local: bool
    results: list[DemoResult] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.answered_by_model and r.correct for r in self.results)


def _jsonable(value: Any) -> Any:
    from dataclasses import asdict, is_dataclass
    from enum import Enum

    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def run_capability(fw, capability: str, sample: dict, last: LastCall, *, use_adapters: bool = True) -> DemoResult:

    started = time.perf_counter()
    via, thunk = "Framework.call", None
    try:
        path = ADAPTER_PATHS[capability](fw, sample) if use_adapters and capability in ADAPTER_PATHS else None
        if path:
            via, thunk = path
        if thunk is not None:
            output = thunk()
        else:
            output = fw.call(capability, sample).value
        ok, error = True, None
    except Exception as exc:  # shown in the table; the demo goes on with the next capability
        output, ok, error = None, False, f"{type(exc).__name__}: {exc}"
    record = last.records.get(capability)
    output = _jsonable(output)
    return DemoResult(capability, via, ok, backend=getattr(record, "backend", None),
                      endpoint=getattr(record, "endpoint", None), outcome=getattr(record, "outcome", None),
                      model_version=getattr(record, "model_version", None),
                      latency_ms=round((time.perf_counter() - started) * 1000, 1), output=output,
                      error=error, checks=verify(capability, output) if ok else [])


def run_demo(endpoint_url: Optional[str] = None, *, capabilities: tuple[str, ...] = CAPABILITIES,
             use_adapters: bool = True, on_result: Optional[Callable[[DemoResult], None]] = None) -> DemoReport:
    """Run every capability once; returns the results and the metrics snapshot."""
    from adeptai_sagemaker.core.framework import set_framework

    recorder, last = MetricsRecorder(), LastCall()
    # the demo's cache, evidence and live modes live in a temporary folder: they never reach the user's store
    with local_or_configured_endpoint(endpoint_url) as (url, local), tempfile.TemporaryDirectory() as scratch:
        fw = build_framework(url, plugins=(recorder, last), cache_dir=os.path.join(scratch, "cache"),
                             capabilities=capabilities,
                             settings_overrides={"adeptai_sagemaker_state_dir": os.path.join(scratch, "state")})
        previous = set_framework(fw)
        report = DemoReport(url, local)
        try:
            for capability in capabilities:
                result = run_capability(fw, capability, SAMPLES[capability], last, use_adapters=use_adapters)
                report.results.append(result)
                if on_result:
                    on_result(result)
        finally:
            set_framework(previous)
            fw.close()
        report.metrics = recorder.snapshot()
    return report
