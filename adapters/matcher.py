"""Drop-in for the ``EnhancedTalentMatcher`` LLM seam (docs/monolith-interfaces.md §4).

Two seams, both backed by the ``job_parser`` capability:

- ``LLMService(api_key)`` — the monolith's callable ``(prompt) -> str``. The
  matcher passes the raw job description as the "prompt" and ``json.loads``
  the answer, so ``__call__`` returns JSON text of the requirements dict.
- ``extract_job_requirements(job_description)`` — returns
  ``{"mandatory_skills": [...], "preferred_skills": [...], "location": str,
  "years_experience": int, "education_requirements": [...]}``. Every key is
  always present; ``location`` is a ``str`` (``""`` when the posting names
  none, ``"Remote"`` for remote roles) because the matcher does
  ``required in actual``; ``years_experience`` is an ``int`` (0 when unstated).

``RequirementsMixin`` / ``attach_to_matcher(instance)`` swap these into an
existing ``EnhancedTalentMatcher`` without running its heavy constructor
(LinkedIn login, Selenium, model files). They also guard two matcher helpers
that the stub's fixed answer never exercised: ``_validate_mandatory_skills``
divided by ``len(required)`` (a posting with no stated skills would raise
``ZeroDivisionError``) and ``_calculate_location_match`` did ``required in
actual`` (``TypeError`` when the candidate has no location).

Fallback: the monolith's own ``LLMService`` answer when given, else a small
deterministic extraction (years, "City, ST" location, education keywords).
Values are coerced field by field, so one odd value never discards the rest (B10).
"""

from __future__ import annotations

import json
import logging
import re
import types
from typing import Any, Callable, Dict, Optional

from adeptai_sagemaker.adapters._common import safe_text, framework_source, guarded_call, str_list
from adeptai_sagemaker.adapters._patching import Found, PatchLog, Wiring, bound_class

log = logging.getLogger("adeptai_sagemaker.adapters")

CAPABILITY = "job_parser"
JD_LIMIT = 100_000
_EDUCATION_LABELS = {
    "none": None, "high_school": "High School", "associate": "Associate's", "bachelor": "Bachelor's",
    "master": "Master's", "phd": "PhD",
}
_YEARS_RE = re.compile(r"(\d{1,2})\s*\+?\s*(?:-|to|–)?\s*(?:\d{1,2})?\s*\+?\s*(?:years|yrs)", re.I)
_LOCATION_RE = re.compile(r"\b((?:[A-Z][a-z]+\.?\s){0,2}[A-Z][a-z]+),\s*([A-Z]{2})\b")
_EDU_RE = (("phd", re.compile(r"\b(ph\.?d|doctorate)\b", re.I)), ("master", re.compile(r"\bmaster'?s?\b", re.I)),
           ("bachelor", re.compile(r"\bbachelor'?s?\b|\bb\.?s\.?\b|\bb\.?a\.?\b", re.I)),
           ("associate", re.compile(r"\bassociate'?s? degree\b", re.I)),
           ("high_school", re.compile(r"\bhigh school\b|\bGED\b", re.I)))


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return max(0, int(value)) if value == value else default
    match = re.search(r"\d+", str(value)) if value is not None else None
    return max(0, int(match.group())) if match else default


def normalize_requirements(data: Any) -> Dict[str, Any]:
    """Any dict-ish answer -> the five keys with the matcher's types (field by field, never raises)."""
    data = data if isinstance(data, dict) else {}
    location = data.get("location")
    education = data.get("education_requirements")
    if isinstance(education, str):
        education = [education]
    return {
        "mandatory_skills": str_list(data.get("mandatory_skills")),
        "preferred_skills": str_list(data.get("preferred_skills")),
        "location": safe_text(location, 200) if isinstance(location, str) else "",
        "years_experience": _int(data.get("years_experience")),
        "education_requirements": str_list(education),
    }


def requirements_from_output(output: Any) -> Dict[str, Any]:
    """Map a validated ``JobParserOutput`` (field names of the golden sets' labelling guide) to the matcher's dict."""
    location = output.location or ("Remote" if output.work_mode == "remote" else "")
    label = _EDUCATION_LABELS.get(output.education_level or "none")
    return {
        "mandatory_skills": str_list(output.mandatory_skills),
        "preferred_skills": str_list(output.preferred_skills),
        "location": str(location),
        "years_experience": int(output.years_experience or 0),
        "education_requirements": [label] if label else [],
    }


_EDUCATION_LEVELS = {label: level for level, label in _EDUCATION_LABELS.items() if label}


def output_from_requirements(value: Any) -> Dict[str, Any]:
    """The reverse of ``requirements_from_output``: the matcher's dict as ``JobParserOutput`` fields (teacher capture).

    What the matcher's shape cannot say (title, salary, seniority, employment type) is ``None``;
    ``"Remote"`` becomes ``work_mode="remote"``; 0 years (the matcher's "unstated") becomes ``None``;
    the first education label the schema knows becomes ``education_level``.
    """
    req = normalize_requirements(value)
    location = req["location"].strip()
    remote = location.lower() == "remote"
    levels = [_EDUCATION_LEVELS[e] for e in req["education_requirements"] if e in _EDUCATION_LEVELS]
    return {
        "title": None, "mandatory_skills": req["mandatory_skills"], "preferred_skills": req["preferred_skills"],
        "years_experience": req["years_experience"] or None, "education_level": levels[0] if levels else None,
        "location": None if remote or not location else location, "work_mode": "remote" if remote else None,
        "salary_range": None, "seniority_level": None, "employment_type": None,
    }


def rule_based_requirements(job_description: str) -> Dict[str, Any]:
    """Deterministic last resort: years, a "City, ST" location, an education level; skills unknown."""
    text = safe_text(job_description, JD_LIMIT)
    years = _YEARS_RE.search(text)
    location = _LOCATION_RE.search(text)
    education = next((label for label, rx in _EDU_RE if rx.search(text)), None)
    return {
        "mandatory_skills": [],
        "preferred_skills": [],
        "location": f"{location.group(1).strip()}, {location.group(2)}" if location
        else ("Remote" if re.search(r"\bremote\b", text, re.I) else ""),
        "years_experience": int(years.group(1)) if years else 0,
        "education_requirements": [_EDUCATION_LABELS[education]] if education else [],
    }


class JobRequirementsExtractor:
    """``extract_job_requirements`` over the framework, with a legacy ``(prompt) -> str`` callable as fallback."""

    __adeptai_adapter__ = True

    def __init__(self, *, framework: Any = None, legacy_llm: Optional[Callable[[str], str]] = None):
        self._get_fw = framework_source(framework)
        self._legacy_llm = legacy_llm

    def _fallback(self, job_description: str) -> Dict[str, Any]:
        """The legacy side: the monolith's LLM callable when given (its exceptions propagate), else its rules."""
        if self._legacy_llm is not None:
            return normalize_requirements(json.loads(self._legacy_llm(job_description)))
        return rule_based_requirements(job_description)

    def extract_job_requirements(self, job_description: Any) -> Dict[str, Any]:
        text = safe_text(job_description, JD_LIMIT)
        if not text.strip():
            return self._fallback(text)
        value = guarded_call(self._get_fw, CAPABILITY, lambda: {"job_description": text},
                             legacy=lambda: self._fallback(text), to_legacy=requirements_from_output,
                             from_legacy=output_from_requirements)
        return normalize_requirements(value)


class LLMService:
    """The monolith's ``LLMService(api_key)`` seam: ``(prompt) -> str`` JSON requirements text.

    The API key is accepted for signature compatibility and not stored.
    """

    __adeptai_adapter__ = True

    def __init__(self, api_key: Any = None, *, framework: Any = None, legacy: Any = None):
        legacy_llm = None
        if legacy is not None:
            legacy_llm = legacy if not isinstance(legacy, type) else _lazy_legacy(legacy, api_key)
        self._extractor = JobRequirementsExtractor(framework=framework, legacy_llm=legacy_llm)

    def __call__(self, prompt: Any) -> str:
        return json.dumps(self._extractor.extract_job_requirements(prompt), ensure_ascii=False)


def _lazy_legacy(cls: type, api_key: Any) -> Callable[[str], str]:
    holder: Dict[str, Any] = {}

    def call(prompt: str) -> str:
        if "obj" not in holder:
            holder["obj"] = cls(api_key)
        return holder["obj"](prompt)

    return call


# --------------------------------------------------------------------------- matcher instance seam


def safe_validate_mandatory_skills(self: Any, required: Any, resume: Any) -> float:
    """Share of required skills found in the resume; 1.0 when nothing is required (no division by zero)."""
    required = [s for s in (required or []) if isinstance(s, str)]
    if not required:
        return 1.0
    text = resume if isinstance(resume, str) else safe_text(resume)
    return sum(skill in text for skill in required) / len(required)


def safe_location_match(self: Any, required: Any, actual: Any) -> float:
    """1.0 when the required location appears in the candidate's; a missing value never raises."""
    if not isinstance(required, str) or not isinstance(actual, str):
        return 1.0 if not required else 0.0
    return 1.0 if required in actual else 0.0


class RequirementsMixin:
    """Mix into (or graft onto) an ``EnhancedTalentMatcher``: SageMaker requirement extraction + guards."""

    _adeptai_extractor: Optional[JobRequirementsExtractor] = None

    def extract_job_requirements(self, job_description: Any) -> Dict[str, Any]:
        extractor = self._adeptai_extractor or JobRequirementsExtractor(legacy_llm=getattr(self, "llm", None))
        return extractor.extract_job_requirements(job_description)

    _validate_mandatory_skills = safe_validate_mandatory_skills
    _calculate_location_match = safe_location_match


_ATTACHED = ("extract_job_requirements", "_validate_mandatory_skills", "_calculate_location_match", "llm",
             "_adeptai_extractor")


def attach_to_matcher(matcher: Any, *, framework: Any = None) -> Callable[[], None]:
    """Swap the SageMaker seams into an existing matcher instance (no constructor runs).

    Returns a zero-arg ``detach`` that restores the instance exactly.
    """
    saved = {name: matcher.__dict__[name] for name in _ATTACHED if name in matcher.__dict__}
    legacy_llm = getattr(matcher, "llm", None)
    extractor = JobRequirementsExtractor(framework=framework,
                                         legacy_llm=legacy_llm if callable(legacy_llm) else None)
    matcher._adeptai_extractor = extractor
    matcher.llm = _ExtractorLLM(extractor)
    matcher.extract_job_requirements = types.MethodType(RequirementsMixin.extract_job_requirements, matcher)
    matcher._validate_mandatory_skills = types.MethodType(safe_validate_mandatory_skills, matcher)
    matcher._calculate_location_match = types.MethodType(safe_location_match, matcher)

    def detach() -> None:
        for name in _ATTACHED:
            matcher.__dict__.pop(name, None)
        matcher.__dict__.update(saved)

    return detach


class _ExtractorLLM:
    """``(prompt) -> str`` over an existing extractor (what ``matcher.llm`` holds once attached)."""

    __adeptai_adapter__ = True

    def __init__(self, extractor: JobRequirementsExtractor):
        self._extractor = extractor

    def __call__(self, prompt: Any) -> str:
        return json.dumps(self._extractor.extract_job_requirements(prompt), ensure_ascii=False)


# --------------------------------------------------------------------------- wiring into the monolith


def wire(patches: PatchLog, found: Found, framework: Any) -> None:
    """``…matcher.llm_service`` and ``…matcher.enhanced_matcher``: ``LLMService`` becomes the adapter bound
    to ``framework`` (the monolith's class, a stub, as its legacy side); ``EnhancedTalentMatcher`` gets
    the guards ``safe_validate_mandatory_skills`` and ``safe_location_match``."""
    for m in found["matcher_llm"] + found["matcher"]:
        original = m.__dict__.get("LLMService")
        if original is not None and not getattr(original, "__adeptai_adapter__", False):
            replacement = patches.replacement_for(original) or bound_class(
                LLMService, "LLMService", framework=framework, legacy=original)
            patches.set(m, "LLMService", replacement, m.__name__)
            patches.swap(original, replacement)
    for m in found["matcher"]:
        cls = m.__dict__.get("EnhancedTalentMatcher")
        if isinstance(cls, type):
            patches.set(cls, "_validate_mandatory_skills", safe_validate_mandatory_skills, m.__name__)
            patches.set(cls, "_calculate_location_match", safe_location_match, m.__name__)


WIRING = Wiring(CAPABILITY, roles={"matcher": ("matcher.enhanced_matcher",), "matcher_llm": ("matcher.llm_service",)},
                wire=wire)
