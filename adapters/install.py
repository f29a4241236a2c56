"""Wire the adapters into a running monolith, and take them out again exactly.

``install()`` finds the monolith's modules in ``sys.modules`` by their
module-name suffixes (so copies C, M and the test stand-ins all match), or
takes them from ``modules=``, and replaces what the call sites use:

============================  =====================================================================
capability (module)           what is replaced
============================  =====================================================================
query_enhancer                ``llm_query_enhancer``: ``LLMQueryEnhancer``, ``get_llm_query_enhancer``;
                              an existing ``_llm_query_enhancer`` singleton is wrapped (kept as legacy)
behavioral_analyzer           ``behavioural_analysis``: ``get_pipeline`` and the names it re-exports from
                              ``…pipeline``: ``EnhancedBehavioralPipeline``, ``BehavioralPipeline``,
                              ``create_enhanced_pipeline`` (a substitute when it cannot import)
market_intelligence           ``…hybrid_llm_service``: ``market_intelligence_llm.llm_service`` (the instance
                              the consumers use), ``hybrid_llm_service``, ``HybridLLMService``;
                              ``…fast_llm``: ``FastLLMService``, ``fast_llm_service``;
                              ``…smart_llm_router``: ``smart_router.llm_service``, ``FastLLMService``
job_parser (matcher)          ``matcher.llm_service``/``matcher.enhanced_matcher``: ``LLMService``; the
                              matcher's ``_validate_mandatory_skills``/``_calculate_location_match`` guards
explanation_generator         ``explainable_ai`` and ``…models.recruitment_ai``: ``ExplainableRecruitmentAI``
============================  =====================================================================

Names that caller modules already imported (``from .behavioural_analysis
import get_pipeline``) are rebound too, in loaded modules whose names end
with a known caller suffix (``optimized_search_system``, ``search_system``,
``app.services``, the market-intelligence blueprints...). Objects callers
constructed *before* ``install()`` (an ``OptimizedSearchSystem`` holding a
pipeline) keep their old references: install early, at app start.

Import order: ``install()`` may run before the monolith's imports (what
MIGRATION.md asks). Unless ``modules=`` is given, it also puts an import
watcher first on ``sys.meta_path`` (``_import_hook``) that wires each
matching module right after its own code has run, before anyone binds a
name from it; ``uninstall()`` removes it. The installation is a live view:
``patched``/``skipped`` say what is patched at the moment they are read.

A behavioural pipeline that cannot import (the real ``pipeline.py`` needs
textstat and the ML stack, so on a host without them the package falls back
to a stub with no ``analyze_comprehensive_profile`` and the search system
gets no ``MultiSourceProfile``): while behavioural analysis is wired, the
failed module becomes a substitute serving the names callers import from it
(``behavioral.fill_substitute_pipeline``), the package's names are taken from
it, and a search system imported earlier gets them and its
``BEHAVIOURAL_ANALYSIS_AVAILABLE`` flag. Modules that imported the
substitute's names while it was installed keep them after ``uninstall()``:
there is no original to give back.

A module whose capability mode is ``off`` is left untouched, and so is one
disabled by the monolith's own ``enable_*`` flag when its pydantic
``Settings`` is passed. ``uninstall()`` restores every replaced attribute
(or removes it, if it did not exist) in reverse order, also in modules
imported after ``install()``.

One documented switch: ``ADEPTAI_SAGEMAKER_INSTALL=true`` makes
``install_from_env()`` install once (idempotent); unset, it does nothing.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from adeptai_sagemaker.adapters import behavioral as _beh
from adeptai_sagemaker.adapters import explainable_ai as _xai
from adeptai_sagemaker.adapters import market_intelligence as _mi
from adeptai_sagemaker.adapters import matcher as _match
from adeptai_sagemaker.adapters import query_enhancer as _qe
from adeptai_sagemaker.adapters._common import mode_kind
from adeptai_sagemaker.adapters._import_hook import ModuleWatcher
from adeptai_sagemaker.adapters._shapes import module_matches

log = logging.getLogger("adeptai_sagemaker.adapters")

INSTALL_ENV = "ADEPTAI_SAGEMAKER_INSTALL"

#: role -> (module-name suffixes, capability)
ROLES: Dict[str, Tuple[Tuple[str, ...], str]] = {
    "query_enhancer": (("llm_query_enhancer",), "query_enhancer"),
    "behavioural": (("behavioural_analysis",), "behavioral_analyzer"),
    "behavioural_pipeline": (("behavioural_analysis.pipeline",), "behavioral_analyzer"),
    "hybrid_llm": (("market_intelligence.hybrid_llm_service",), "market_intelligence"),
    "fast_llm": (("market_intelligence.fast_llm",), "market_intelligence"),
    "smart_router": (("market_intelligence.smart_llm_router",), "market_intelligence"),
    "matcher": (("matcher.enhanced_matcher",), "job_parser"),
    "matcher_llm": (("matcher.llm_service",), "job_parser"),
    "explainable": (("explainable_ai",), "explanation_generator"),
    "explainable_models": (("explainable_ai.models.recruitment_ai",), "explanation_generator"),
}
#: Modules that import the replaced names at import time (docs/monolith-interfaces.md §7).
CALLER_SUFFIXES: Tuple[str, ...] = (
    "optimized_search_system", "search_system", "app.services", "main_integrated", "market_intelligence",
    "market_intelligence.api", "market_intelligence.fast_api", "market_intelligence.integration_pipeline",
    "market_intelligence.market_alerts", "market_intelligence.behavior_prediction",
)
#: The monolith's own feature flags (M/app/config.py) per capability.
MONOLITH_FLAGS: Dict[str, str] = {
    "behavioral_analyzer": "enable_behavioural_analysis",
    "market_intelligence": "enable_market_intelligence",
    "explanation_generator": "enable_explainable_ai",
}
CAPABILITIES = ("query_enhancer", "behavioral_analyzer", "market_intelligence", "job_parser",
                "explanation_generator")
_OWN_PREFIX = "adeptai_sagemaker"
_MISSING = object()


@dataclass
class _Patch:
    target: Any
    attr: str
    old: Any  # _MISSING when the attribute did not exist
    where: str  # the module's name
    capability: Optional[str] = None
    caller: bool = False  # a name rebound in a caller module (not a monolith module of the capability)


@dataclass
class Installation:
    """What ``install()`` did, live: the framework used, what is patched now and skipped, and how to undo it.

    ``patched`` and ``skipped`` are computed from the patches in place at the moment they are read:
    a module imported after ``install()`` shows up once the import watcher has wired it, and after
    ``uninstall()`` nothing is patched.
    """

    framework: Any
    _static_skips: Dict[str, str] = field(default_factory=dict, repr=False)  # mode off / monolith flag
    _allowed: Tuple[str, ...] = field(default=(), repr=False)  # capabilities this installation may wire
    _patches: List[_Patch] = field(default_factory=list, repr=False)
    _swaps: Dict[int, Any] = field(default_factory=dict, repr=False)  # id(original) -> replacement
    _originals: Dict[int, Any] = field(default_factory=dict, repr=False)  # id(replacement) -> original
    _wired: set = field(default_factory=set, repr=False)  # names of modules already wired
    _pipelines: Dict[str, type] = field(default_factory=dict, repr=False)  # pipeline module -> bound class
    _substitutes: List[Any] = field(default_factory=list, repr=False)  # substitute modules we created
    _watcher: Any = field(default=None, repr=False)
    _context: Tuple[Optional[str], bool] = field(default=(None, False), repr=False)
    active: bool = True

    @property
    def patched(self) -> Dict[str, List[str]]:
        """capability -> names of the monolith modules patched right now."""
        with _lock:
            out: Dict[str, List[str]] = {}
            for patch in self._patches:
                if patch.capability and not patch.caller:
                    names = out.setdefault(patch.capability, [])
                    if patch.where not in names:
                        names.append(patch.where)
            return {cap: sorted(names) for cap, names in out.items()}

    @property
    def skipped(self) -> Dict[str, str]:
        """capability -> why it is not patched right now."""
        patched = self.patched
        out = dict(self._static_skips)
        for capability in self._allowed:
            if capability not in patched:
                out[capability] = "monolith module not loaded" if self.active else "uninstalled"
        return out

    def _set(self, target: Any, attr: str, value: Any, where: str) -> None:
        old = target.__dict__.get(attr, _MISSING) if hasattr(target, "__dict__") else getattr(target, attr, _MISSING)
        capability, caller = self._context
        self._patches.append(_Patch(target, attr, old, where, capability, caller))
        setattr(target, attr, value)

    def _swap(self, original: Any, replacement: Any) -> None:
        self._swaps[id(original)] = replacement
        self._originals[id(replacement)] = original

    def uninstall(self) -> None:
        """Restore every original, newest patch first, and stop watching imports. Safe to call twice."""
        global _current
        with _lock:
            if self._watcher is not None:
                self._watcher.stop()
            while self._patches:
                patch = self._patches.pop()
                try:
                    if patch.old is _MISSING:
                        if attr_present(patch.target, patch.attr):
                            delattr(patch.target, patch.attr)
                    else:
                        setattr(patch.target, patch.attr, patch.old)
                except Exception as exc:  # keep restoring the rest
                    log.error("could not restore %s.%s (%s)", patch.where, patch.attr, type(exc).__name__)
            for module in self._substitutes:
                _drop_substitute(module)
            self._substitutes.clear()
            self._wired.clear()
            self.active = False
            if _current is self:
                _current = None

    @property
    def patch_count(self) -> int:
        return len(self._patches)


def attr_present(target: Any, attr: str) -> bool:
    return attr in getattr(target, "__dict__", {})


def _drop_substitute(module: Any) -> None:
    """Forget a substitute module: out of ``sys.modules`` and off its package, so a later import retries."""
    name = module.__name__
    if sys.modules.get(name) is module:
        del sys.modules[name]
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and parent.__dict__.get(child) is module:
        delattr(parent, child)


_lock = threading.RLock()
_current: Optional[Installation] = None


# --------------------------------------------------------------------------- settings


def _resolve(settings: Any, framework: Any) -> Tuple[Any, Dict[str, bool]]:
    """(framework, monolith enable flags). Accepts this project's Settings or the monolith's pydantic one."""
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import Settings as OwnSettings
    from adeptai_sagemaker.core.settings import load_settings

    flags: Dict[str, bool] = {}
    own = None
    if settings is None or isinstance(settings, OwnSettings):
        own = settings
    else:  # the monolith's Settings (duck-typed: docs/monolith-interfaces.md §6)
        for capability, flag in MONOLITH_FLAGS.items():
            value = getattr(settings, flag, None)
            if value is not None:
                flags[capability] = bool(value)
        if framework is None:
            overrides: Dict[str, Any] = {}
            if getattr(settings, "use_sagemaker", None) is not None:
                overrides["use_sagemaker"] = bool(settings.use_sagemaker)
            for name in ("sagemaker_region", "aws_region", "sagemaker_llm_enhancer_endpoint"):
                value = getattr(settings, name, None)
                if value:
                    overrides[name] = value
            own = load_settings(**overrides)
    if framework is None:
        framework = Framework(own if own is not None else load_settings())
    return framework, flags


# --------------------------------------------------------------------------- module discovery


#: most specific suffix first: "behavioural_analysis.pipeline" before "behavioural_analysis"
_ROLE_ORDER = sorted(ROLES.items(), key=lambda item: -max(len(s) for s in item[1][0]))


def _classify(name: str) -> Optional[str]:
    for role, (suffixes, _) in _ROLE_ORDER:
        if any(module_matches(name, s) for s in suffixes):
            return role
    return None


def _discover(modules: Any) -> Tuple[Dict[str, List[Any]], List[Any]]:
    roles: Dict[str, List[Any]] = {role: [] for role in ROLES}
    callers: List[Any] = []
    if modules is None:
        items = [(n, m) for n, m in sorted(sys.modules.items()) if m is not None and not n.startswith(_OWN_PREFIX)]
        for name, module in items:
            role = _classify(name)
            if role is not None:
                roles[role].append(module)
            if any(module_matches(name, s) for s in CALLER_SUFFIXES):
                callers.append(module)
        return roles, callers
    if isinstance(modules, Mapping):
        for role, value in modules.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if role == "callers":
                callers.extend(values)
            elif role in ROLES:
                roles[role].extend(values)
            else:
                raise ValueError(f"unknown module role {role!r}; known: callers, {', '.join(ROLES)}")
        return roles, callers
    for module in modules:
        role = _classify(module.__name__)
        if role is not None:
            roles[role].append(module)
        if role is None or any(module_matches(module.__name__, s) for s in CALLER_SUFFIXES):
            callers.append(module)
    return roles, callers


# --------------------------------------------------------------------------- per-capability wiring


def _bound_class(base: type, name: str, **defaults: Any) -> type:
    """A subclass of adapter ``base`` whose keyword-only extras default to ``defaults`` (zero-arg use keeps working)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key, value in defaults.items():
            if key not in kwargs:
                kwargs[key] = value(*args, **kwargs) if key == "legacy" and callable(value) and getattr(
                    value, "_per_instance", False) else value
        base.__init__(self, *args, **kwargs)

    return type(name, (base,), {"__init__": __init__, "__module__": base.__module__, "__qualname__": name})


def _per_instance(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn._per_instance = True  # type: ignore[attr-defined]
    return fn


def _wire_query_enhancer(inst: Installation, modules: List[Any], fw: Any, swaps: Dict[int, Any]) -> List[str]:
    done = []
    for m in modules:
        orig_cls = m.__dict__.get("LLMQueryEnhancer")
        orig_get = m.__dict__.get("get_llm_query_enhancer")
        if orig_cls is None and orig_get is None:
            continue

        def legacy_for(*args: Any, _cls=orig_cls, **kwargs: Any):
            provider = kwargs.get("provider", args[0] if args else _qe.DEFAULT_PROVIDER)
            model = kwargs.get("model", args[1] if len(args) > 1 else _qe.DEFAULT_MODEL)
            use_cache = kwargs.get("use_cache", args[2] if len(args) > 2 else True)
            device = kwargs.get("device", args[4] if len(args) > 4 else None)
            return _qe.legacy_factory_for(_cls, provider, model, use_cache, device)

        bound = _bound_class(_qe.LLMQueryEnhancer, "LLMQueryEnhancer", framework=fw, legacy=_per_instance(legacy_for))
        getter = _qe.make_getter(m, orig_cls, fw)
        if orig_cls is not None:
            inst._set(m, "LLMQueryEnhancer", bound, m.__name__)
            inst._swap(orig_cls, bound)
        if orig_get is not None:
            inst._set(m, "get_llm_query_enhancer", getter, m.__name__)
            inst._swap(orig_get, getter)
        # Always recorded, even when still None: the new getter stores its singleton there, and
        # uninstall() must put back exactly what was there before (None or the legacy instance).
        existing = m.__dict__.get("_llm_query_enhancer")
        value = existing
        if existing is not None and not isinstance(existing, _qe.LLMQueryEnhancer):
            value = _qe.LLMQueryEnhancer(provider=getattr(existing, "provider", _qe.DEFAULT_PROVIDER),
                                         model=getattr(existing, "model", _qe.DEFAULT_MODEL),
                                         use_cache=getattr(existing, "use_cache", True),
                                         device=getattr(existing, "device", None), framework=fw, legacy=existing)
            inst._swap(existing, value)
        if "_llm_query_enhancer" in m.__dict__ or orig_get is not None:
            inst._set(m, "_llm_query_enhancer", value, m.__name__)
        done.append(m.__name__)
    return done


def _wire_behavioural(inst: Installation, packages: List[Any], pipelines: List[Any], fw: Any,
                      swaps: Dict[int, Any]) -> List[str]:
    """Pipeline modules first (bound class, factories), then each package's names the callers use.

    A substitute pipeline (the real one could not import) has no legacy class: its pipelines fall
    back to the adapter's degraded answer. The package's ``get_pipeline`` builds the bound class
    directly, with the original class as legacy (the original ``get_pipeline`` would look up the
    package's ``create_enhanced_pipeline``, which is ours by then, and call SageMaker twice).
    """
    done = []
    for pm in pipelines:
        orig_cls = pm.__dict__.get("EnhancedBehavioralPipeline")
        if orig_cls is None:
            continue
        legacy_cls = None if getattr(orig_cls, "__adeptai_adapter__", False) else orig_cls

        def legacy_for(lgbm_model_path=None, enable_gnn=True, enable_validation=True, _cls=legacy_cls, **_: Any):
            if _cls is None:
                return None
            return lambda: _cls(lgbm_model_path=lgbm_model_path, enable_gnn=enable_gnn,
                                enable_validation=enable_validation)

        bound = _bound_class(_beh.EnhancedBehavioralPipeline, "EnhancedBehavioralPipeline", framework=fw,
                             legacy=_per_instance(legacy_for), types_module=pm)

        def create_enhanced_pipeline(config: Optional[Dict[str, Any]] = None, _bound=bound):
            config = config if isinstance(config, dict) else {}
            return _bound(lgbm_model_path=config.get("lgbm_model_path"), enable_gnn=config.get("enable_gnn", True),
                          enable_validation=config.get("enable_validation", True))

        for attr, value in (("EnhancedBehavioralPipeline", bound), ("BehavioralPipeline", bound),
                            ("create_enhanced_pipeline", create_enhanced_pipeline)):
            original = pm.__dict__.get(attr)
            if original is not None:
                inst._set(pm, attr, value, pm.__name__)
                if legacy_cls is not None:  # a substitute's names are ours: nothing to give back
                    inst._swap(original, value)
        inst._pipelines[pm.__name__] = bound
        done.append(pm.__name__)
    for pk in packages:
        pm = sys.modules.get(pk.__name__ + ".pipeline")
        bound = inst._pipelines.get(pk.__name__ + ".pipeline")
        orig_get = pk.__dict__.get("get_pipeline")
        if bound is None or pm is None or orig_get is None:
            continue
        configs = pk.__dict__.get("DEPLOYMENT_CONFIGS") or _beh.DEPLOYMENT_CONFIGS

        def get_pipeline(config_name: str = "lightweight", _bound=bound, _configs=configs):
            if config_name not in _configs:
                raise ValueError(f"Unknown config: {config_name}. Available: {list(_configs)}")
            return _bound(**{k: v for k, v in _configs[config_name].items()
                             if k in ("lgbm_model_path", "enable_gnn", "enable_validation")},
                          config_name=config_name)

        inst._set(pk, "get_pipeline", get_pipeline, pk.__name__)
        inst._swap(orig_get, get_pipeline)
        # the names the package re-exports from .pipeline; after a failed pipeline import they are None
        # or the package's stub/fallbacks, so take them from the (possibly substitute) pipeline module
        for attr in _beh.SUBSTITUTE_NAMES:
            value = pm.__dict__.get(attr)
            if value is not None and pk.__dict__.get(attr) is not value:
                original = pk.__dict__.get(attr)
                inst._set(pk, attr, value, pk.__name__)
                if original is not None and id(value) not in inst._originals:
                    inst._swap(original, value)
        done.append(pk.__name__)
    return done


def _substitute_pipeline(inst: Installation, module: Any, error: ImportError) -> bool:
    """The watcher's ``substitute``: only ``…behavioural_analysis.pipeline``, only while behavioural
    analysis is wired, only for a missing dependency (``ImportError``)."""
    if not inst.active or "behavioral_analyzer" not in inst._allowed:
        return False
    if _classify(module.__name__) != "behavioural_pipeline":
        return False
    missing = getattr(error, "name", None) or type(error).__name__
    log.warning("%s cannot import here (missing %s); serving its callers from the SageMaker adapter",
                module.__name__, missing)
    _beh.fill_substitute_pipeline(module, f"missing dependency: {missing}")
    inst._substitutes.append(module)
    return True


def _load_missing_pipelines(inst: Installation, packages: List[Any]) -> None:
    """Behavioural packages loaded before ``install()`` whose ``.pipeline`` failed to import: import it
    again through the watcher, which substitutes it when it still cannot load."""
    for pk in packages:
        name = pk.__name__ + ".pipeline"
        if name in sys.modules or not hasattr(pk, "__path__"):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("%s could not be loaded or substituted (%s)", name, type(exc).__name__)


def _wire_market(inst: Installation, hybrids: List[Any], fasts: List[Any], routers: List[Any], fw: Any,
                 swaps: Dict[int, Any]) -> List[str]:
    done = []
    for hm in hybrids:
        orig_cls = hm.__dict__.get("HybridLLMService")

        def build_legacy(_cls=orig_cls):
            try:
                return _cls() if _cls is not None else None
            except Exception as exc:
                log.warning("legacy HybridLLMService could not be built (%s)", type(exc).__name__)
                return None

        bound = _bound_class(_mi.HybridLLMService, "HybridLLMService", framework=fw,
                             legacy=_per_instance(lambda *a, _b=build_legacy, **k: _b()), types_module=hm)
        mil = hm.__dict__.get("market_intelligence_llm")
        if mil is not None and hasattr(mil, "llm_service") and not isinstance(mil.llm_service, _mi.HybridLLMService):
            inst._set(mil, "llm_service", _mi.HybridLLMService(framework=fw, legacy=mil.llm_service, types_module=hm),
                      hm.__name__)
        shared = hm.__dict__.get("hybrid_llm_service")
        if shared is not None and not isinstance(shared, _mi.HybridLLMService):
            adapter = _mi.HybridLLMService(framework=fw, legacy=shared, types_module=hm)
            inst._set(hm, "hybrid_llm_service", adapter, hm.__name__)
            inst._swap(shared, adapter)
        if orig_cls is not None:
            inst._set(hm, "HybridLLMService", bound, hm.__name__)
            inst._swap(orig_cls, bound)
        done.append(hm.__name__)
    fast_bound: Optional[type] = None
    for fm in fasts:
        orig_cls = fm.__dict__.get("FastLLMService")

        def build_fast(_cls=orig_cls):
            try:
                return _cls() if _cls is not None else None
            except Exception as exc:
                log.warning("legacy FastLLMService could not be built (%s)", type(exc).__name__)
                return None

        fast_bound = _bound_class(_mi.FastLLMService, "FastLLMService", framework=fw,
                                  legacy=_per_instance(lambda *a, _b=build_fast, **k: _b()), types_module=fm)
        shared = fm.__dict__.get("fast_llm_service")
        if shared is not None and not isinstance(shared, _mi.FastLLMService):
            adapter = _mi.FastLLMService(framework=fw, legacy=shared, types_module=fm)
            inst._set(fm, "fast_llm_service", adapter, fm.__name__)
            inst._swap(shared, adapter)
        if orig_cls is not None:
            inst._set(fm, "FastLLMService", fast_bound, fm.__name__)
            inst._swap(orig_cls, fast_bound)
        done.append(fm.__name__)
    for rm in routers:
        router = rm.__dict__.get("smart_router")
        if router is not None and hasattr(router, "llm_service") and not isinstance(router.llm_service,
                                                                                    _mi.FastLLMService):
            fm = sys.modules.get(rm.__name__.rsplit(".", 1)[0] + ".fast_llm")
            inst._set(router, "llm_service", _mi.FastLLMService(framework=fw, legacy=router.llm_service,
                                                                types_module=fm), rm.__name__)
        original = rm.__dict__.get("FastLLMService")
        if original is not None and id(original) in swaps:
            inst._set(rm, "FastLLMService", swaps[id(original)], rm.__name__)
        done.append(rm.__name__)
    return done


def _wire_matcher(inst: Installation, matchers: List[Any], llm_modules: List[Any], fw: Any,
                  swaps: Dict[int, Any]) -> List[str]:
    done = []
    for m in list(llm_modules) + list(matchers):
        original = m.__dict__.get("LLMService")
        if original is not None and not getattr(original, "__adeptai_adapter__", False):
            replacement = swaps.get(id(original)) or _match.make_llm_service_class(original, fw)
            inst._set(m, "LLMService", replacement, m.__name__)
            inst._swap(original, replacement)
            done.append(m.__name__)
    for m in matchers:
        cls = m.__dict__.get("EnhancedTalentMatcher")
        if isinstance(cls, type):
            inst._set(cls, "_validate_mandatory_skills", _match.safe_validate_mandatory_skills, m.__name__)
            inst._set(cls, "_calculate_location_match", _match.safe_location_match, m.__name__)
            if m.__name__ not in done:
                done.append(m.__name__)
    return done


def _wire_explainable(inst: Installation, packages: List[Any], models: List[Any], fw: Any,
                      swaps: Dict[int, Any]) -> List[str]:
    done = []
    for m in list(models) + list(packages):
        original = m.__dict__.get("ExplainableRecruitmentAI")
        if original is None or getattr(original, "__adeptai_adapter__", False):
            continue
        replacement = swaps.get(id(original))
        if replacement is None:
            replacement = _bound_class(_xai.ExplainableRecruitmentAI, "ExplainableRecruitmentAI", framework=fw,
                                       legacy=original, types_module=m)
            inst._swap(original, replacement)
        inst._set(m, "ExplainableRecruitmentAI", replacement, m.__name__)
        done.append(m.__name__)
    return done


#: Caller-module names that come from ``behavioural_analysis[.pipeline]`` (optimized_search_system.py:187-201).
_BEHAVIOURAL_CALLER_NAMES = ("get_pipeline", "MultiSourceProfile", "create_multi_source_profile")


def _rebind_callers(inst: Installation, callers: Iterable[Any], swaps: Dict[int, Any], patched: set) -> None:
    for module in callers:
        if module.__name__ in patched:
            continue
        for name, value in list(vars(module).items()):
            replacement = swaps.get(id(value))
            if replacement is not None and replacement is not value:
                inst._set(module, name, replacement, module.__name__)
        _rebind_failed_behavioural_import(inst, module)


def _rebind_failed_behavioural_import(inst: Installation, module: Any) -> None:
    """A caller imported before ``install()`` whose ``from .behavioural_analysis.pipeline import ...``
    failed holds ``None`` for those names and ``BEHAVIOURAL_ANALYSIS_AVAILABLE = False``: give it the
    names of its sibling package (now wired) and the flag, so a search system built afterwards runs
    the analysis. Only the caller's own sibling package is used, never a guess."""
    parent = module.__name__.rpartition(".")[0]
    package = sys.modules.get(f"{parent}.behavioural_analysis" if parent else "behavioural_analysis")
    if package is None or package.__name__ not in inst._wired or package.__name__ + ".pipeline" not in inst._wired:
        return
    missing = [n for n in _BEHAVIOURAL_CALLER_NAMES if n in module.__dict__ and module.__dict__[n] is None]
    if not missing:
        return
    for name in missing:
        value = package.__dict__.get(name)
        if value is not None:
            inst._set(module, name, value, module.__name__)
    if module.__dict__.get("BEHAVIOURAL_ANALYSIS_AVAILABLE") is False:
        inst._set(module, "BEHAVIOURAL_ANALYSIS_AVAILABLE", True, module.__name__)


def _is_caller(name: str) -> bool:
    return any(module_matches(name, s) for s in CALLER_SUFFIXES)


def _interesting(name: str) -> bool:
    return not name.startswith(_OWN_PREFIX) and (_classify(name) is not None or _is_caller(name))


def _wire_capability(inst: Installation, capability: str, roles: Dict[str, List[Any]]) -> List[str]:
    """Wire the not-yet-wired modules of ``capability`` among ``roles``; names of the modules wired."""
    fw, swaps = inst.framework, inst._swaps
    fresh = {role: [m for m in mods if m.__name__ not in inst._wired] if ROLES[role][1] == capability else []
             for role, mods in roles.items()}
    inst._context = (capability, False)
    try:
        if capability == "query_enhancer":
            names = _wire_query_enhancer(inst, fresh["query_enhancer"], fw, swaps)
        elif capability == "behavioral_analyzer":
            names = _wire_behavioural(inst, fresh["behavioural"], fresh["behavioural_pipeline"], fw, swaps)
        elif capability == "market_intelligence":
            names = _wire_market(inst, fresh["hybrid_llm"], fresh["fast_llm"], fresh["smart_router"], fw, swaps)
        elif capability == "job_parser":
            names = _wire_matcher(inst, fresh["matcher"], fresh["matcher_llm"], fw, swaps)
        else:
            names = _wire_explainable(inst, fresh["explainable"], fresh["explainable_models"], fw, swaps)
    finally:
        inst._context = (None, False)
    for mods in fresh.values():
        inst._wired.update(m.__name__ for m in mods)
    return names


def _rebind(inst: Installation, callers: Iterable[Any]) -> None:
    inst._context = (None, True)
    try:
        _rebind_callers(inst, callers, inst._swaps, {n for names in inst.patched.values() for n in names})
    finally:
        inst._context = (None, False)


def _on_loaded(inst: Installation, module: Any) -> None:
    """The watcher's ``on_loaded``: wire a monolith module imported after ``install()``."""
    with _lock:
        if not inst.active:
            return
        role = _classify(module.__name__)
        if role is not None and module.__name__ not in inst._wired:
            capability = ROLES[role][1]
            if capability in inst._allowed:
                roles: Dict[str, List[Any]] = {r: [] for r in ROLES}
                roles[role].append(module)
                _wire_capability(inst, capability, roles)
        if _is_caller(module.__name__):
            _rebind(inst, [module])
        _adopt_imported_names(inst, module, ROLES[role][1] if role is not None else None)


def _adopt_imported_names(inst: Installation, module: Any, capability: Optional[str]) -> None:
    """A module imported after ``install()`` bound some adapters by name (``from .llm_service import
    LLMService``). Nothing to replace, but ``uninstall()`` must give it the originals back: record them."""
    for name, value in list(vars(module).items()):
        original = inst._originals.get(id(value))
        if original is not None and not any(p.target is module and p.attr == name for p in inst._patches):
            inst._patches.append(_Patch(module, name, original, module.__name__, capability, capability is None))


# --------------------------------------------------------------------------- public API


def install(settings: Any = None, *, framework: Any = None, modules: Any = None) -> Installation:
    """Swap the SageMaker adapters into the monolith; returns the installation (live view, ``.uninstall()``).

    ``settings``: this project's ``Settings`` or the monolith's pydantic ``Settings`` (its ``use_sagemaker``,
    ``sagemaker_region``/``aws_region``, ``sagemaker_llm_enhancer_endpoint`` and ``enable_*`` flags apply).
    ``framework``: use this framework (its modes decide). ``modules``: the monolith modules, as an iterable
    (classified by name) or ``{role: module}``; only those are wired. Default: every matching module in
    ``sys.modules`` now, and, through an import watcher, every matching module imported later, so
    ``install()`` may run before the monolith's imports. Installing again first uninstalls the previous
    installation, so a second call leaves exactly one set of patches.
    """
    global _current
    with _lock:
        if _current is not None and _current.active:
            _current.uninstall()
        fw, flags = _resolve(settings, framework)
        inst = Installation(framework=fw)
        allowed = []
        for capability in CAPABILITIES:
            if flags.get(capability) is False:
                inst._static_skips[capability] = f"disabled by the monolith's {MONOLITH_FLAGS[capability]}"
            else:
                allowed.append(capability)
        inst._allowed = tuple(allowed)
        try:
            if modules is None and allowed:
                inst._watcher = ModuleWatcher(_interesting, lambda m: _on_loaded(inst, m),
                                              lambda m, exc: _substitute_pipeline(inst, m, exc))
                inst._watcher.start()
                _current = inst  # the watcher may wire modules while the rest of install() runs
                if "behavioral_analyzer" in allowed:
                    roles, _ = _discover(None)
                    _load_missing_pipelines(inst, roles["behavioural"])
            roles, callers = _discover(modules)
            for capability in allowed:
                _wire_capability(inst, capability, roles)
            _rebind(inst, callers)
        except BaseException:
            inst.uninstall()
            raise
        _current = inst
        log.info("adeptai-sagemaker adapters installed: %s; skipped: %s", sorted(inst.patched), inst.skipped)
        return inst


def uninstall() -> bool:
    """Undo the current installation; False when nothing was installed."""
    with _lock:
        if _current is None:
            return False
        _current.uninstall()
        return True


def current() -> Optional[Installation]:
    return _current


def install_from_env(settings: Any = None, **kwargs: Any) -> Optional[Installation]:
    """Install when ``ADEPTAI_SAGEMAKER_INSTALL`` is true (1/true/yes/on); idempotent: a second call returns
    the active installation. Returns None when the switch is off."""
    if os.environ.get(INSTALL_ENV, "").strip().lower() not in ("1", "true", "yes", "on"):
        return None
    with _lock:
        if _current is not None and _current.active:
            return _current
        return install(settings, **kwargs)


class _CallableModule(types.ModuleType):
    """Lets ``adeptai_sagemaker.adapters.install(...)`` work even when the name resolves to this submodule
    (Python binds a package attribute to a submodule of the same name when it is first imported)."""

    def __call__(self, settings: Any = None, **kwargs: Any) -> Installation:
        return install(settings, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
