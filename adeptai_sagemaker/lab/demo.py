"""The offline demo: every capability, end to end, through the same path production uses.

Why it exists: a backend engineer should see, in one command and without an
AWS account, that a call made the way the monolith makes it (through the
drop-in adapter and the hook chain) reached a SageMaker-runtime endpoint,
was answered by a model, validated, and counted in the metrics.

- No ``SAGEMAKER_ENDPOINT_URL``: a ``LocalEndpoint`` (real HTTP, real SigV4,
  the built-in reference model) starts on a loopback port, and dummy AWS
  credentials and region are set *in this process only*, restored afterwards.
- With ``SAGEMAKER_ENDPOINT_URL`` set, that endpoint is used and the ambient
  credentials are left alone.
- The five capabilities with an adapter run through it; the three without
  (resume_summarizer, question_generator, candidate_matcher) through
  ``Framework.call``. Fallback is off, so a failure shows as a failure
  instead of a quiet legacy answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import pkgutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

from adeptai_sagemaker.hookspecs import hookimpl
from adeptai_sagemaker.metrics import MetricsRecorder
from adeptai_sagemaker.tasks import CAPABILITIES

DUMMY_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}

# Synthetic sample inputs (no real person's data).
JOB = ("Senior Python Engineer (Remote, US). We need 5+ years of Python, AWS and PostgreSQL; Docker and "
       "Kubernetes are a plus. Bachelor's degree in Computer Science required. Salary $140,000 - $170,000 per year.")
RESUME = ("Alex Example - Software engineer with 7 years of experience building Python services on AWS. "
          "Led a team of 4 engineers migrating a monolith to microservices with Docker and PostgreSQL. "
          "Mentored juniors, ran design reviews. B.Sc. Computer Science.")
SAMPLES: dict[str, dict[str, Any]] = {
    "query_enhancer": {"query": "senior python developer with aws in austin"},
    "behavioral_analyzer": {"resume_text": RESUME, "job_description": JOB, "target_role": "Senior Python Engineer"},
    "market_intelligence": {"prompt": "Summarize the talent market for senior Python engineers in the US.",
                            "system_prompt": "You are a talent-market analyst.", "focus_area": "market"},
    "job_parser": {"job_description": JOB},
    "explanation_generator": {"candidate_profile": {"name": "Alex Example", "skills": ["Python", "AWS", "Docker"],
                                                    "experience_years": 7},
                              "job_query": "Senior Python Engineer with AWS",
                              "match_scores": {"skill_match": 0.86, "experience_match": 0.9}, "ranking_position": 2},
    "resume_summarizer": {"resume_text": RESUME, "job_description": JOB, "max_words": 60},
    "question_generator": {"job_description": JOB, "resume_text": RESUME, "num_questions": 5},
    "candidate_matcher": {"job_description": JOB, "resume_text": RESUME},
}


@contextlib.contextmanager
def temporary_env(values: dict[str, str]) -> Iterator[None]:
    """Set env vars for the duration of the block and restore them exactly afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def local_or_configured_endpoint(endpoint_url: Optional[str] = None) -> Iterator[tuple[str, bool]]:
    """Yield ``(url, is_local)``: the given/``SAGEMAKER_ENDPOINT_URL`` endpoint, else a started LocalEndpoint."""
    url = endpoint_url or os.environ.get("SAGEMAKER_ENDPOINT_URL")
    if url:
        yield url, False
        return
    from .server.runner import LocalEndpoint

    with temporary_env(DUMMY_AWS_ENV), LocalEndpoint(default_dialect="tgi") as ep:
        yield ep.url, True


def demo_endpoint_name(capability: str) -> str:
    return "adeptai-" + capability.replace("_", "-") + "-demo"


def build_framework(url: str, *, plugins: tuple = (), cache_dir: Optional[str] = None, fallback: bool = False,
                    capabilities: tuple[str, ...] = CAPABILITIES, settings_overrides: Optional[dict] = None):
    """A framework with ``capabilities`` mode=on against ``url`` (region from env or us-east-1)."""
    from adeptai_sagemaker.framework import Framework
    from adeptai_sagemaker.settings import load_settings

    region = os.environ.get("SAGEMAKER_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    overrides: dict[str, Any] = {"aws_region": region, "sagemaker_endpoint_url": url,
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


def find_adapter(name: str) -> Optional[Any]:
    """The adapter class/function ``name`` from ``adeptai_sagemaker.adapters.*``, or None while it is missing."""
    try:
        package = importlib.import_module("adeptai_sagemaker.adapters")
    except ImportError:
        return None
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in ("install",):
            continue
        try:
            module = importlib.import_module(f"adeptai_sagemaker.adapters.{info.name}")
        except Exception:
            continue
        obj = getattr(module, name, None)
        if obj is not None:
            return obj
    return None


def _via_query_enhancer(fw, sample):
    cls = find_adapter("LLMQueryEnhancer")
    return cls and ("LLMQueryEnhancer.enhance_query",
                    lambda: cls(framework=fw, use_cache=False).enhance_query(sample["query"], use_llm=True))


def _via_behavioral(fw, sample):
    create, make_profile = find_adapter("create_enhanced_pipeline"), find_adapter("create_multi_source_profile")
    if create is None or make_profile is None:
        return None
    return ("EnhancedBehavioralPipeline.analyze_comprehensive_profile",
            lambda: create({}, framework=fw).analyze_comprehensive_profile(
                source_data=make_profile(sample["resume_text"]), target_role=sample["target_role"],
                job_description=sample["job_description"]))


def _via_market(fw, sample):
    cls = find_adapter("HybridLLMService")
    if cls is None:
        return None
    from adeptai_sagemaker.adapters import _shapes  # type: ignore[attr-defined]

    request = _shapes.LLMRequest(prompt=sample["prompt"], system_prompt=sample["system_prompt"], max_tokens=800,
                                 temperature=0.2, complexity=list(_shapes.TaskComplexity)[0])
    return "HybridLLMService.generate_response", lambda: asyncio.run(cls(framework=fw).generate_response(request))


def _via_job_parser(fw, sample):
    cls = find_adapter("JobRequirementsExtractor")
    return cls and ("JobRequirementsExtractor.extract_job_requirements",
                    lambda: cls(framework=fw).extract_job_requirements(sample["job_description"]))


def _via_explanation(fw, sample):
    cls = find_adapter("ExplainableRecruitmentAI")
    return cls and ("ExplainableRecruitmentAI.explain_candidate_selection",
                    lambda: cls(framework=fw).explain_candidate_selection(
                        sample["candidate_profile"], sample["job_query"], sample["match_scores"],
                        sample["ranking_position"]))


#: capability -> fn(framework, sample) -> (label, zero-arg call) or None while the adapter is missing
ADAPTER_PATHS: dict[str, Callable[[Any, dict], Optional[tuple[str, Callable[[], Any]]]]] = {
    "query_enhancer": _via_query_enhancer,
    "behavioral_analyzer": _via_behavioral,
    "market_intelligence": _via_market,
    "job_parser": _via_job_parser,
    "explanation_generator": _via_explanation,
}


# --------------------------------------------------------------------------- running


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

    @property
    def answered_by_model(self) -> bool:
        return self.ok and self.backend == "sagemaker" and self.outcome == "success"


@dataclass
class DemoReport:
    endpoint_url: str
    local: bool
    results: list[DemoResult] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.answered_by_model for r in self.results)


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
    from adeptai_sagemaker.calls import LegacyAnswer

    started = time.perf_counter()
    via, thunk = "Framework.call", None
    try:
        path = ADAPTER_PATHS[capability](fw, sample) if use_adapters and capability in ADAPTER_PATHS else None
        if path:
            via, thunk = path
        if thunk is not None:
            output = thunk()
        else:
            output = fw.call(capability, sample)
            if isinstance(output, LegacyAnswer):
                output = output.value
        ok, error = True, None
    except Exception as exc:  # shown in the table; the demo goes on with the next capability
        output, ok, error = None, False, f"{type(exc).__name__}: {exc}"
    record = last.records.get(capability)
    return DemoResult(capability, via, ok, backend=getattr(record, "backend", None),
                      endpoint=getattr(record, "endpoint", None), outcome=getattr(record, "outcome", None),
                      model_version=getattr(record, "model_version", None),
                      latency_ms=round((time.perf_counter() - started) * 1000, 1), output=_jsonable(output),
                      error=error)


def run_demo(endpoint_url: Optional[str] = None, *, capabilities: tuple[str, ...] = CAPABILITIES,
             use_adapters: bool = True, on_result: Optional[Callable[[DemoResult], None]] = None) -> DemoReport:
    """Run every capability once; returns the results and the metrics snapshot."""
    from adeptai_sagemaker.framework import set_framework

    recorder, last = MetricsRecorder(), LastCall()
    with local_or_configured_endpoint(endpoint_url) as (url, local), tempfile.TemporaryDirectory() as cache_dir:
        fw = build_framework(url, plugins=(recorder, last), cache_dir=cache_dir, capabilities=capabilities)
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
