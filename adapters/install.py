"""Wire the adapters into a running monolith, and take them out again exactly.

``install()`` finds the monolith's modules in ``sys.modules`` by their
module-name suffixes (so copies C, M and the test stand-ins all match), or
takes them from ``modules=``, and replaces what the call sites use:

============================  =====================================================================
capability (module)           what is replaced
============================  =====================================================================
query_enhancer                ``llm_query_enhancer``: ``LLMQueryEnhancer``, ``get_llm_query_enhancer``;
                              an existing ``_llm_query_enhancer`` singleton is wrapped (kept as legacy)
behavioral_analyzer           ``behavioural_analysis``: ``get_pipeline``; ``…pipeline``:
                              ``EnhancedBehavioralPipeline``, ``BehavioralPipeline``, ``create_enhanced_pipeline``
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

A module whose capability mode is ``off`` is left untouched, and so is one
disabled by the monolith's own ``enable_*`` flag when its pydantic
``Settings`` is passed. ``uninstall()`` restores every replaced attribute
(or removes it, if it did not exist) in reverse order.

One documented switch: ``ADEPTAI_SAGEMAKER_INSTALL=true`` makes
``install_from_env()`` install once (idempotent); unset, it does nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from . import behavioral as _beh
from . import explainable_ai as _xai
from . import market_intelligence as _mi
from . import matcher as _match
from . import query_enhancer as _qe
from ._shapes import module_matches

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
#: Modules that import the replaced names at import time (fact sheet §7).
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
_OWN_PREFIX = "adeptai_sagemaker"
_MISSING = object()


@dataclass
class _Patch:
    target: Any
    attr: str
    old: Any  # _MISSING when the attribute did not exist
    where: str


@dataclass
class Installation:
    """What ``install()`` did: the framework used, what was patched and skipped, and how to undo it."""

    framework: Any
    patched: Dict[str, List[str]] = field(default_factory=dict)  # capability -> patched module names
    skipped: Dict[str, str] = field(default_factory=dict)  # capability -> why it was left alone
    _patches: List[_Patch] = field(default_factory=list, repr=False)
    active: bool = True

    def _set(self, target: Any, attr: str, value: Any, where: str) -> None:
        old = target.__dict__.get(attr, _MISSING) if hasattr(target, "__dict__") else getattr(target, attr, _MISSING)
        self._patches.append(_Patch(target, attr, old, where))
        setattr(target, attr, value)

    def uninstall(self) -> None:
        """Restore every original, newest patch first. Safe to call twice."""
        global _current
        with _lock:
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
            self.active = False
            if _current is self:
                _current = None

    @property
    def patch_count(self) -> int:
        return len(self._patches)


def attr_present(target: Any, attr: str) -> bool:
    return attr in getattr(target, "__dict__", {})


_lock = threading.RLock()
_current: Optional[Installation] = None


# --------------------------------------------------------------------------- settings


def _resolve(settings: Any, framework: Any) -> Tuple[Any, Dict[str, bool]]:
    """(framework, monolith enable flags). Accepts this project's Settings or the monolith's pydantic one."""
    from adeptai_sagemaker.framework import Framework
    from adeptai_sagemaker.settings import Settings as OwnSettings
    from adeptai_sagemaker.settings import load_settings

    flags: Dict[str, bool] = {}
    own = None
    if settings is None or isinstance(settings, OwnSettings):
        own = settings
    else:  # the monolith's Settings (duck-typed: fact sheet §6)
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


def _classify(name: str) -> Optional[str]:
    # most specific suffix first: "behavioural_analysis.pipeline" before "behavioural_analysis"
    for role, (suffixes, _) in sorted(ROLES.items(), key=lambda item: -max(len(s) for s in item[1][0])):
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
            swaps[id(orig_cls)] = bound
        if orig_get is not None:
            inst._set(m, "get_llm_query_enhancer", getter, m.__name__)
            swaps[id(orig_get)] = getter
        # Always recorded, even when still None: the new getter stores its singleton there, and
        # uninstall() must put back exactly what was there before (None or the legacy instance).
        existing = m.__dict__.get("_llm_query_enhancer")
        value = existing
        if existing is not None and not isinstance(existing, _qe.LLMQueryEnhancer):
            value = _qe.LLMQueryEnhancer(provider=getattr(existing, "provider", _qe.DEFAULT_PROVIDER),
                                         model=getattr(existing, "model", _qe.DEFAULT_MODEL),
                                         use_cache=getattr(existing, "use_cache", True),
                                         device=getattr(existing, "device", None), framework=fw, legacy=existing)
            swaps[id(existing)] = value
        if "_llm_query_enhancer" in m.__dict__ or orig_get is not None:
            inst._set(m, "_llm_query_enhancer", value, m.__name__)
        done.append(m.__name__)
    return done


def _wire_behavioural(inst: Installation, packages: List[Any], pipelines: List[Any], fw: Any,
                      swaps: Dict[int, Any]) -> List[str]:
    done = []
    by_name = {p.__name__: p for p in pipelines}
    for pm in pipelines:
        orig_cls = pm.__dict__.get("EnhancedBehavioralPipeline")
        if orig_cls is None:
            continue

        def legacy_for(lgbm_model_path=None, enable_gnn=True, enable_validation=True, _cls=orig_cls, **_: Any):
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
                swaps[id(original)] = value
        pm.__dict__.setdefault("__adeptai_bound__", bound)
        done.append(pm.__name__)
    for pk in packages:
        pm = by_name.get(pk.__name__ + ".pipeline")
        bound = pm.__dict__.get("__adeptai_bound__") if pm else None
        orig_get = pk.__dict__.get("get_pipeline")
        if bound is None or orig_get is None:
            continue
        configs = pk.__dict__.get("DEPLOYMENT_CONFIGS") or _beh.DEPLOYMENT_CONFIGS

        def get_pipeline(config_name: str = "lightweight", _bound=bound, _orig=orig_get, _configs=configs):
            if config_name not in _configs:
                raise ValueError(f"Unknown config: {config_name}. Available: {list(_configs)}")
            return _bound(**{k: v for k, v in _configs[config_name].items()
                             if k in ("lgbm_model_path", "enable_gnn", "enable_validation")},
                          config_name=config_name, legacy=lambda: _orig(config_name))

        inst._set(pk, "get_pipeline", get_pipeline, pk.__name__)
        swaps[id(orig_get)] = get_pipeline
        for attr in ("EnhancedBehavioralPipeline", "BehavioralPipeline", "create_enhanced_pipeline"):
            original = pk.__dict__.get(attr)
            if original is not None and id(original) in swaps:
                inst._set(pk, attr, swaps[id(original)], pk.__name__)
        done.append(pk.__name__)
    for pm in pipelines:
        pm.__dict__.pop("__adeptai_bound__", None)
    return done


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
                      hm.__name__ + ".market_intelligence_llm")
        shared = hm.__dict__.get("hybrid_llm_service")
        if shared is not None and not isinstance(shared, _mi.HybridLLMService):
            adapter = _mi.HybridLLMService(framework=fw, legacy=shared, types_module=hm)
            inst._set(hm, "hybrid_llm_service", adapter, hm.__name__)
            swaps[id(shared)] = adapter
        if orig_cls is not None:
            inst._set(hm, "HybridLLMService", bound, hm.__name__)
            swaps[id(orig_cls)] = bound
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
            swaps[id(shared)] = adapter
        if orig_cls is not None:
            inst._set(fm, "FastLLMService", fast_bound, fm.__name__)
            swaps[id(orig_cls)] = fast_bound
        done.append(fm.__name__)
    for rm in routers:
        router = rm.__dict__.get("smart_router")
        if router is not None and hasattr(router, "llm_service") and not isinstance(router.llm_service,
                                                                                    _mi.FastLLMService):
            fm = sys.modules.get(rm.__name__.rsplit(".", 1)[0] + ".fast_llm")
            inst._set(router, "llm_service", _mi.FastLLMService(framework=fw, legacy=router.llm_service,
                                                                types_module=fm), rm.__name__ + ".smart_router")
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
            swaps[id(original)] = replacement
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
            swaps[id(original)] = replacement
        inst._set(m, "ExplainableRecruitmentAI", replacement, m.__name__)
        done.append(m.__name__)
    return done


def _rebind_callers(inst: Installation, callers: Iterable[Any], swaps: Dict[int, Any], patched: set) -> None:
    for module in callers:
        if module.__name__ in patched:
            continue
        for name, value in list(vars(module).items()):
            replacement = swaps.get(id(value))
            if replacement is not None and replacement is not value:
                inst._set(module, name, replacement, module.__name__)


# --------------------------------------------------------------------------- public API


def install(settings: Any = None, *, framework: Any = None, modules: Any = None) -> Installation:
    """Swap the SageMaker adapters into the loaded monolith; returns what was done (and ``.uninstall()``).

    ``settings``: this project's ``Settings`` or the monolith's pydantic ``Settings`` (its ``use_sagemaker``,
    ``sagemaker_region``/``aws_region``, ``sagemaker_llm_enhancer_endpoint`` and ``enable_*`` flags apply).
    ``framework``: use this framework (its settings decide the modes). ``modules``: the monolith modules,
    as an iterable (classified by name) or ``{role: module}``; default: found in ``sys.modules``.
    Installing again first uninstalls the previous installation.
    """
    global _current
    with _lock:
        if _current is not None and _current.active:
            _current.uninstall()
        fw, flags = _resolve(settings, framework)
        inst = Installation(framework=fw)
        roles, callers = _discover(modules)
        swaps: Dict[int, Any] = {}
        plan = (
            ("query_enhancer", lambda: _wire_query_enhancer(inst, roles["query_enhancer"], fw, swaps)),
            ("behavioral_analyzer", lambda: _wire_behavioural(inst, roles["behavioural"],
                                                              roles["behavioural_pipeline"], fw, swaps)),
            ("market_intelligence", lambda: _wire_market(inst, roles["hybrid_llm"], roles["fast_llm"],
                                                         roles["smart_router"], fw, swaps)),
            ("job_parser", lambda: _wire_matcher(inst, roles["matcher"], roles["matcher_llm"], fw, swaps)),
            ("explanation_generator", lambda: _wire_explainable(inst, roles["explainable"],
                                                                roles["explainable_models"], fw, swaps)),
        )
        try:
            for capability, wire in plan:
                if flags.get(capability) is False:
                    inst.skipped[capability] = f"disabled by the monolith's {MONOLITH_FLAGS[capability]}"
                    continue
                kind = fw.mode(capability).kind
                if kind == "off":
                    inst.skipped[capability] = "mode off"
                    continue
                names = wire()
                if names:
                    inst.patched[capability] = names
                else:
                    inst.skipped[capability] = "monolith module not loaded"
            patched_modules = {n for names in inst.patched.values() for n in names}
            _rebind_callers(inst, callers, swaps, patched_modules)
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
