"""Drop-in for ``behavioural_analysis`` (docs/monolith-interfaces.md §2): ``EnhancedBehavioralPipeline``,
its factories, and a substitute ``pipeline`` module for hosts where the real one cannot import.

``analyze_comprehensive_profile(source_data, target_role, job_description)``
returns the monolith's 5-key dict with a real ``BehavioralProfile`` (the
monolith's dataclass when it is loaded, else the 24-field copy in
``_shapes``). Scores come from the ``behavioral_analyzer`` capability and are
clamped to 0..1 when mapped.

Mapping decisions:

- ``candidate_id`` is ``cand_<sha256(resume)[:16]>``: stable across
  processes (B11) and free of resume text (the monolith used ``resume[:50]``).
- ``career_trajectory`` is a ``CareerTrajectory``-shaped object when
  ``enable_gnn`` is on and the model reported a ``current_level``; its other
  fields hold only what the model actually said (development areas as the
  skill path, strengths as success indicators, risk factors, technical fit
  as market alignment) and are empty otherwise — never invented roles or
  timelines. It is ``None`` when ``enable_gnn`` is off or no level was given
  (the monolith always produced ``None``).
- ``validation_results`` is ``None`` when ``enable_validation`` is off, else
  ``{"overall_confidence": <model confidence>, "validation_passed": True}``
  (the answer passed schema validation; a failing one never gets here).
- ``consistency_score`` measures how well the overall score agrees with the
  mean of the component scores (1 - |overall - mean|); ``confidence_score``
  is the model's own confidence — no constant 0.9s (B7).
- The legacy side is the monolith's pipeline; where it could not import or
  be built (a host without the ML stack), it is the monolith's own exception-path shape (all scores 0.5,
  ``['collaborative']``, ``primary_data_sources=['resume']``, domain
  ``'unknown'``) with confidence, completeness and consistency 0.0, so it
  cannot be mistaken for an analysis.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType
from typing import Any, Dict, List, Optional

from adeptai_sagemaker.adapters import _shapes
from adeptai_sagemaker.adapters._common import (LegacySide, clamp, framework_source, guarded_call, safe_text, stable_id,
                                                str_list)
from adeptai_sagemaker.adapters._patching import Found, PatchLog, Wiring, bound_class, forget_module

log = logging.getLogger("adeptai_sagemaker.adapters")

CAPABILITY = "behavioral_analyzer"
RESUME_LIMIT = 60_000
JD_LIMIT = 20_000

#: The monolith's ``behavioural_analysis.DEPLOYMENT_CONFIGS``.
DEPLOYMENT_CONFIGS: Dict[str, Dict[str, Any]] = {
    "lightweight": {"enable_gnn": False, "enable_validation": False},
    "domain_enhanced": {"enable_gnn": False, "enable_validation": True},
    "full_featured": {"enable_gnn": True, "enable_validation": True},
    "production": {"enable_gnn": True, "enable_validation": True},
}

_SCORE_FIELDS = (
    "leadership_score", "collaboration_score", "innovation_score", "adaptability_score", "stability_score",
    "growth_potential", "emotional_intelligence", "stress_resilience", "communication_effectiveness",
    "technical_depth", "learning_agility", "problem_solving_ability", "cultural_alignment",
)
_SOURCE_FIELDS = (
    ("linkedin_data", "linkedin"), ("github_data", "github"), ("portfolio_data", "portfolio"),
    ("reference_data", "references"), ("assessment_results", "assessment"), ("job_site_data", "job_sites"),
)


def _profile_text(source_data: Any) -> tuple[str, str]:
    """(resume text, all text) of a ``MultiSourceProfile`` or anything resembling one. Never raises."""
    if isinstance(source_data, (str, bytes)):
        text = safe_text(source_data)
        return text, text
    resume = safe_text(getattr(source_data, "resume_text", None))
    try:
        all_text = source_data.get_all_text_content() if hasattr(source_data, "get_all_text_content") else None
        all_text = safe_text(all_text) if isinstance(all_text, str) else _shapes.all_text_content(source_data)
    except Exception:
        all_text = _shapes.all_text_content(source_data)
    return resume, safe_text(all_text) or resume


def _career_history(source_data: Any) -> Optional[str]:
    linkedin = getattr(source_data, "linkedin_data", None)
    if isinstance(linkedin, dict):
        items = [safe_text(x, 2000) for x in linkedin.get("experience_descriptions") or [] if isinstance(x, str)]
        if items:
            return safe_text("\n".join(items), 20_000)
    return None


def _sources(source_data: Any) -> List[str]:
    present = ["resume"]
    for attr, name in _SOURCE_FIELDS:
        if getattr(source_data, attr, None):
            present.append(name)
    return present + ["behavioral_analysis"]


class EnhancedBehavioralPipeline:
    """SageMaker-backed behavioural pipeline with the monolith's constructor and method."""

    __adeptai_adapter__ = True

    def __init__(self, lgbm_model_path: Optional[str] = None, enable_gnn: bool = True,
                 enable_validation: bool = True, *, framework: Any = None, legacy: Any = None,
                 config_name: str = "custom", types_module: Any = None):
        self.lgbm_model_path = lgbm_model_path
        self.enable_gnn = bool(enable_gnn)
        self.enable_validation = bool(enable_validation)
        self.config_name = config_name  # optimized_search_system.py:1153 prints it
        self._get_fw = framework_source(framework)
        self._legacy = LegacySide(legacy, "analyze_comprehensive_profile", "behavioural pipeline")
        self._profile_cls = _shapes.legacy_type("BehavioralProfile", types_module)
        self._trajectory_cls = _shapes.legacy_type("CareerTrajectory", types_module)

    # The monolith's component attributes: present (callers may probe them), nothing heavy behind them.
    entities = semantic = emotions = scorer = domain_bert = career_gnn = graph_builder = ensemble_optimizer = None

    # ------------------------------------------------------------------ shapes

    def _degraded(self, source_data: Any) -> Dict[str, Any]:
        resume, _ = _profile_text(source_data)
        profile = _shapes.build(
            self._profile_cls, candidate_id=stable_id("cand", resume), overall_score=0.5,
            **{name: 0.5 for name in _SCORE_FIELDS}, work_style_preferences=["collaborative"],
            confidence_score=0.0, data_completeness=0.0, consistency_score=0.0, strengths=[],
            development_areas=[], behavioral_patterns=[], risk_factors=[], primary_data_sources=["resume"],
        )
        return {
            "behavioral_profile": profile,
            "career_trajectory": None,
            "detected_domain": "unknown",
            "role_fit_analysis": {"technical_fit": 0.5, "cultural_fit": 0.5, "overall_fit": 0.5},
            "validation_results": None,
        }

    def _to_legacy(self, out: Any, source_data: Any) -> Dict[str, Any]:
        resume, _ = _profile_text(source_data)
        scores = {name: clamp(getattr(out, name, None)) for name in _SCORE_FIELDS}
        overall = clamp(out.overall_score)
        mean = sum(scores.values()) / len(scores)
        profile = _shapes.build(
            self._profile_cls,
            candidate_id=stable_id("cand", resume),
            overall_score=overall,
            **scores,
            work_style_preferences=str_list(out.work_style_preferences),
            confidence_score=clamp(out.confidence, default=0.0),
            data_completeness=clamp(out.data_completeness, default=0.0),
            consistency_score=round(clamp(1.0 - abs(overall - mean), default=0.0), 4),
            strengths=str_list(out.strengths),
            development_areas=str_list(out.development_areas),
            behavioral_patterns=str_list(out.behavioral_patterns),
            risk_factors=str_list(out.risk_factors),
            primary_data_sources=_sources(source_data),
        )
        technical_fit = clamp(out.technical_fit)
        trajectory = None
        if self.enable_gnn and getattr(out, "current_level", None):
            trajectory = _shapes.build(
                self._trajectory_cls, current_level=str(out.current_level), predicted_next_roles=[],
                growth_timeline={}, skill_development_path=str_list(out.development_areas), experience_gaps=[],
                development_recommendations=[], success_indicators=str_list(out.strengths),
                risk_factors=str_list(out.risk_factors), market_alignment=technical_fit,
            )
        return {
            "behavioral_profile": profile,
            "career_trajectory": trajectory,
            "detected_domain": str(out.detected_domain),
            "role_fit_analysis": {"technical_fit": technical_fit, "cultural_fit": clamp(out.cultural_fit),
                                  "overall_fit": overall},
            "validation_results": ({"overall_confidence": clamp(out.confidence, default=0.0),
                                    "validation_passed": True} if self.enable_validation else None),
        }

    @staticmethod
    def _from_legacy(value: Any) -> Dict[str, Any]:
        """The reverse of ``_to_legacy``: the 5-key analysis as ``BehavioralOutput`` fields (teacher capture).

        Scores and lists come from the profile, fits from ``role_fit_analysis``, the level from the
        trajectory; the legacy shape has no reasoning, so it is empty. A degraded answer (confidence 0)
        still validates; the dataset card counts what it keeps.
        """
        value = value if isinstance(value, dict) else {}
        profile = value.get("behavioral_profile")
        fit = value.get("role_fit_analysis") if isinstance(value.get("role_fit_analysis"), dict) else {}
        trajectory = value.get("career_trajectory")
        return {
            "overall_score": getattr(profile, "overall_score", None),
            **{name: getattr(profile, name, None) for name in _SCORE_FIELDS},
            "technical_fit": fit.get("technical_fit"), "cultural_fit": fit.get("cultural_fit"),
            "confidence": getattr(profile, "confidence_score", None),
            "data_completeness": getattr(profile, "data_completeness", None),
            **{name: str_list(getattr(profile, name, None)) for name in (
                "work_style_preferences", "strengths", "development_areas", "behavioral_patterns", "risk_factors")},
            "detected_domain": value.get("detected_domain"),
            "current_level": getattr(trajectory, "current_level", None) or None, "reasoning": "",
        }

    def _fallback(self, source_data: Any, target_role: Any, job_description: Any) -> Dict[str, Any]:
        """The legacy side: the monolith's pipeline when there is one (its exceptions propagate), else the
        monolith's own exception-path shape (a host where the pipeline cannot import)."""
        legacy = self._legacy.get()
        if legacy is not None:
            return legacy.analyze_comprehensive_profile(source_data=source_data, target_role=target_role,
                                                        job_description=job_description)
        return self._degraded(source_data)

    # ------------------------------------------------------------------ public API

    def analyze_comprehensive_profile(self, source_data: Any, target_role: str,
                                      job_description: str) -> Dict[str, Any]:
        """The monolith's 5-key analysis; with fallback on, only the monolith's own pipeline can raise."""
        resume, all_text = _profile_text(source_data)
        if not all_text.strip():
            return self._fallback(source_data, target_role, job_description)
        return guarded_call(
            self._get_fw, CAPABILITY,
            lambda: {"resume_text": safe_text(all_text, RESUME_LIMIT),
                     "job_description": safe_text(job_description, JD_LIMIT),
                     "target_role": safe_text(target_role, 300) or None,
                     "career_history": _career_history(source_data)},
            legacy=lambda: self._fallback(source_data, target_role, job_description),
            to_legacy=lambda out: self._to_legacy(out, source_data),
            key=stable_id("cand", resume), from_legacy=self._from_legacy,
        )


BehavioralPipeline = EnhancedBehavioralPipeline


_PIPELINE_ARGS = ("lgbm_model_path", "enable_gnn", "enable_validation")


def _from_config(cls: type, config: Any, **extra: Any) -> Any:
    """``cls`` built from a monolith pipeline config dict (what its ``create_enhanced_pipeline`` reads)."""
    config = config if isinstance(config, dict) else {}
    return cls(lgbm_model_path=config.get("lgbm_model_path"), enable_gnn=config.get("enable_gnn", True),
               enable_validation=config.get("enable_validation", True), **extra)


def _from_config_name(cls: type, configs: Dict[str, Dict[str, Any]], config_name: str, **extra: Any) -> Any:
    """``cls`` for a named deployment config; ``ValueError`` for an unknown name (as the monolith)."""
    if config_name not in configs:
        raise ValueError(f"Unknown config: {config_name}. Available: {list(configs)}")
    return cls(**{k: v for k, v in configs[config_name].items() if k in _PIPELINE_ARGS}, config_name=config_name,
               **extra)


def create_enhanced_pipeline(config: Optional[Dict[str, Any]] = None, *, framework: Any = None,
                             legacy: Any = None) -> EnhancedBehavioralPipeline:
    """The monolith's factory: reads ``lgbm_model_path``, ``enable_gnn``, ``enable_validation``."""
    name = str(config.get("config_name", "custom")) if isinstance(config, dict) else "custom"
    return _from_config(EnhancedBehavioralPipeline, config, framework=framework, legacy=legacy, config_name=name)


def get_pipeline(config_name: str = "lightweight", *, framework: Any = None,
                 legacy: Any = None) -> EnhancedBehavioralPipeline:
    """A pipeline for a named deployment config; ``ValueError`` for an unknown name (as the monolith)."""
    return _from_config_name(EnhancedBehavioralPipeline, DEPLOYMENT_CONFIGS, config_name, framework=framework,
                             legacy=legacy)


def create_multi_source_profile(resume_text: str, types_module: Any = None, **kwargs: Any) -> Any:
    """A ``MultiSourceProfile`` (the monolith's class when loaded) from resume text and optional sources."""
    cls = _shapes.legacy_type("MultiSourceProfile", types_module)
    fields = getattr(cls, "__dataclass_fields__", {})
    return cls(resume_text=resume_text, **{k: v for k, v in kwargs.items() if k in fields})


# -------------------------------------------------------------- substitute ``…behavioural_analysis.pipeline``

#: What the monolith's callers import from ``behavioural_analysis.pipeline`` (docs/monolith-interfaces.md §2, §7).
SUBSTITUTE_NAMES = ("EnhancedBehavioralPipeline", "BehavioralPipeline", "create_enhanced_pipeline",
                    "create_multi_source_profile", "MultiSourceProfile", "BehavioralProfile", "CareerTrajectory",
                    "ProfileDataSource")


def fill_substitute_pipeline(module: Any, reason: str) -> None:
    """Turn ``module`` (a ``…behavioural_analysis.pipeline`` whose own code failed to import) into a
    substitute that serves the callers' names from this adapter.

    On a host without the ML stack the real module cannot load (it imports textstat, spaCy, SBERT,
    HF models at the top), so the monolith's package falls back to a stub with no
    ``analyze_comprehensive_profile`` and the search system gets no ``MultiSourceProfile``. The
    analysis itself runs on SageMaker, so only the names are needed here. The ML-only classes
    (``SemanticSkillAnalyzer``, ``MultiModelBehavioralValidator``...) are deliberately absent: importing
    them still fails, as before. ``reason`` (the original error's text: a module name) is kept in
    ``__adeptai_substitute__``.
    """
    keep = {k: v for k, v in vars(module).items() if k.startswith("__") and k.endswith("__")}
    module.__dict__.clear()
    module.__dict__.update(keep)
    module.__dict__.update({
        "EnhancedBehavioralPipeline": EnhancedBehavioralPipeline, "BehavioralPipeline": EnhancedBehavioralPipeline,
        "create_enhanced_pipeline": create_enhanced_pipeline,
        "create_multi_source_profile": create_multi_source_profile,
        "MultiSourceProfile": _shapes.MultiSourceProfile, "BehavioralProfile": _shapes.BehavioralProfile,
        "CareerTrajectory": _shapes.CareerTrajectory, "ProfileDataSource": _shapes.ProfileDataSource,
        "__adeptai_substitute__": reason,
    })


# --------------------------------------------------------------------------- wiring into the monolith


def wire(patches: PatchLog, found: Found, framework: Any) -> None:
    """Pipeline modules first (bound class, factories), then each package's names the callers use.

    A substitute pipeline (the real one could not import) has no legacy class: its pipelines fall
    back to the adapter's degraded answer. The package's ``get_pipeline`` builds the bound class
    directly, with the original class as legacy (the original ``get_pipeline`` would look up the
    package's ``create_enhanced_pipeline``, which is ours by then, and call SageMaker twice).
    """
    for pm in found["behavioural_pipeline"]:
        orig_cls = pm.__dict__.get("EnhancedBehavioralPipeline")
        if orig_cls is None:
            continue
        legacy_cls = None if getattr(orig_cls, "__adeptai_adapter__", False) else orig_cls

        def legacy_for(lgbm_model_path=None, enable_gnn=True, enable_validation=True, _cls=legacy_cls, **_: Any):
            if _cls is None:
                return None
            return lambda: _cls(lgbm_model_path=lgbm_model_path, enable_gnn=enable_gnn,
                                enable_validation=enable_validation)

        bound = bound_class(EnhancedBehavioralPipeline, "EnhancedBehavioralPipeline", framework=framework,
                            legacy_for=legacy_for, types_module=pm)

        def create_enhanced_pipeline(config: Optional[Dict[str, Any]] = None, _bound: type = bound) -> Any:
            return _from_config(_bound, config)

        for attr, value in (("EnhancedBehavioralPipeline", bound), ("BehavioralPipeline", bound),
                            ("create_enhanced_pipeline", create_enhanced_pipeline)):
            original = pm.__dict__.get(attr)
            if original is not None:
                patches.set(pm, attr, value, pm.__name__)
                if legacy_cls is not None:  # a substitute's names are ours: nothing to give back
                    patches.swap(original, value)
    for pk in found["behavioural"]:
        pm = sys.modules.get(pk.__name__ + ".pipeline")
        orig_get = pk.__dict__.get("get_pipeline")
        if pm is None or orig_get is None or not patches.patched(pm, "EnhancedBehavioralPipeline"):
            continue
        bound = pm.__dict__["EnhancedBehavioralPipeline"]
        configs = pk.__dict__.get("DEPLOYMENT_CONFIGS") or DEPLOYMENT_CONFIGS

        def get_pipeline(config_name: str = "lightweight", _bound: type = bound, _configs: Any = configs) -> Any:
            return _from_config_name(_bound, _configs, config_name)

        patches.set(pk, "get_pipeline", get_pipeline, pk.__name__)
        patches.swap(orig_get, get_pipeline)
        # the names the package re-exports from .pipeline; after a failed pipeline import they are None
        # or the package's stub/fallbacks, so take them from the (possibly substitute) pipeline module
        for attr in SUBSTITUTE_NAMES:
            value = pm.__dict__.get(attr)
            if value is not None and pk.__dict__.get(attr) is not value:
                original = pk.__dict__.get(attr)
                patches.set(pk, attr, value, pk.__name__)
                if original is not None and not patches.is_replacement(value):
                    patches.swap(original, value)


def substitute(patches: PatchLog, role: str, module: ModuleType, error: ImportError) -> bool:
    """Only ``…behavioural_analysis.pipeline``, only for a missing dependency (``ImportError``): becomes a
    substitute (``fill_substitute_pipeline``), forgotten again on uninstall so a later import retries."""
    if role != "behavioural_pipeline":
        return False
    missing = getattr(error, "name", None) or type(error).__name__
    log.warning("%s cannot import here (missing %s); serving its callers from the SageMaker adapter",
                 module.__name__, missing)
    fill_substitute_pipeline(module, f"missing dependency: {missing}")
    patches.on_undo(lambda: forget_module(module))
    return True


def load_missing_pipelines(found: Found) -> None:
    """Behavioural packages loaded before ``install()`` whose ``.pipeline`` failed to import: import it
    again (the import watcher is on), which substitutes it when it still cannot load."""
    for pk in found["behavioural"]:
        name = pk.__name__ + ".pipeline"
        if name in sys.modules or not hasattr(pk, "__path__"):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("%s could not be loaded or substituted (%s)", name, type(exc).__name__)


#: Caller-module names that come from ``behavioural_analysis[.pipeline]`` (optimized_search_system.py:187-201).
_CALLER_NAMES = ("get_pipeline", "MultiSourceProfile", "create_multi_source_profile")


def fix_caller(patches: PatchLog, module: ModuleType) -> None:
    """A caller imported before ``install()`` whose ``from .behavioural_analysis.pipeline import ...``
    failed holds ``None`` for those names and ``BEHAVIOURAL_ANALYSIS_AVAILABLE = False``: give it the
    names of its sibling package (now wired) and the flag, so a search system built afterwards runs
    the analysis. Only the caller's own sibling package is used, never a guess."""
    parent = module.__name__.rpartition(".")[0]
    package = sys.modules.get(f"{parent}.behavioural_analysis" if parent else "behavioural_analysis")
    wired = patches.wired
    if package is None or package.__name__ not in wired or package.__name__ + ".pipeline" not in wired:
        return
    missing = [n for n in _CALLER_NAMES if n in module.__dict__ and module.__dict__[n] is None]
    if not missing:
        return
    for name in missing:
        value = package.__dict__.get(name)
        if value is not None:
            patches.set(module, name, value, module.__name__)
    if module.__dict__.get("BEHAVIOURAL_ANALYSIS_AVAILABLE") is False:
        patches.set(module, "BEHAVIOURAL_ANALYSIS_AVAILABLE", True, module.__name__)


WIRING = Wiring(CAPABILITY, roles={"behavioural": ("behavioural_analysis",),
                                   "behavioural_pipeline": ("behavioural_analysis.pipeline",)},
                wire=wire, monolith_flag="enable_behavioural_analysis", substitute=substitute,
                prepare=load_missing_pipelines, fix_caller=fix_caller)
