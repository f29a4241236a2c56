"""Wire the adapters into a running monolith, and take them out again exactly.

``install()`` finds the monolith's modules by their module-name suffixes (adapters/_discovery.py),
or takes them from ``modules=``, and hands each capability's modules to the wiring its adapter
declares (``wirings()``: the ``wire`` function at the end of adapters/query_enhancer.py,
behavioral.py, market_intelligence.py, matcher.py and explainable_ai.py says what it replaces).
Every replacement goes through one undo log (adapters/_patching.py).

Names that caller modules already imported (``from .behavioural_analysis import get_pipeline``)
are rebound too, in loaded modules whose names end with a known caller suffix. Objects callers
constructed *before* ``install()`` (a search system holding a pipeline) keep their old
references: install early, at app start.

Import order: ``install()`` may run before the monolith's imports (what MIGRATION.md asks).
Unless ``modules=`` is given, it also puts an import watcher first on ``sys.meta_path``
(adapters/_import_hook.py) that wires each matching module right after its own code has run,
before anyone binds a name from it; ``uninstall()`` removes it. The installation is a live view:
``patched``/``skipped`` say what is patched at the moment they are read.

Every module is wired whatever its capability's mode: the mode is read per call by
``Framework.call``, which routes ``off`` to the monolith's own code, so a later ``promote`` takes
effect without reinstalling. Only a module disabled by the monolith's own ``enable_*`` flag (when
its pydantic ``Settings`` is passed) is left untouched. ``uninstall()`` restores every replaced
attribute (or removes it, if it did not exist) in reverse order, also in modules imported after
``install()``.

This module is not named ``install`` on purpose: a submodule binds its name on the package when
imported, which would shadow the ``install`` function (``adapters.install(...)``).

One documented switch: ``ADEPTAI_SAGEMAKER_INSTALL=true`` makes ``install_from_env()`` install
once (idempotent); unset, it does nothing.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Dict, Iterable, List, Optional, Tuple

from adeptai_sagemaker.adapters._discovery import ModuleIndex
from adeptai_sagemaker.adapters._import_hook import ModuleWatcher
from adeptai_sagemaker.adapters._patching import PatchLog, Wiring

log = logging.getLogger("adeptai_sagemaker.adapters")

INSTALL_ENV = "ADEPTAI_SAGEMAKER_INSTALL"

#: The adapter modules whose ``WIRING`` is wired, in this order. They are imported by the first ``install()``
#: (``wirings()``), not with this module: ``install_from_env()`` with the switch off, at a monolith's start-up,
#: loads none of them.
ADAPTERS: Tuple[str, ...] = ("query_enhancer", "behavioral", "market_intelligence", "matcher", "explainable_ai")


@functools.lru_cache(maxsize=None)
def wirings() -> Dict[str, Wiring]:
    """capability -> its adapter's wiring, in the order they are wired (the one registry ``install()`` reads)."""
    adapters = [importlib.import_module(f"{__package__}.{name}") for name in ADAPTERS]
    return {adapter.WIRING.capability: adapter.WIRING for adapter in adapters}


@functools.lru_cache(maxsize=None)
def index() -> ModuleIndex:
    """The roles of every wiring's monolith modules (``_discovery.ModuleIndex``)."""
    return ModuleIndex(wirings().values())


def __getattr__(name: str) -> Any:
    """``WIRINGS``, ``CAPABILITIES`` and ``INDEX``, as module attributes (built on first access)."""
    if name == "WIRINGS":
        return wirings()
    if name == "CAPABILITIES":
        return tuple(wirings())
    if name == "INDEX":
        return index()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_lock = threading.RLock()
_current: Optional["Installation"] = None


@dataclass
class Installation:
    """What ``install()`` did, live: the framework used, what is patched now and skipped, and how to undo it.

    ``patched`` and ``skipped`` are computed from the patches in place at the moment they are read:
    a module imported after ``install()`` shows up once the import watcher has wired it, and after
    ``uninstall()`` nothing is patched.
    """

    framework: Any
    _static_skips: Dict[str, str] = field(default_factory=dict, repr=False)  # disabled by the monolith's own flag
    _allowed: Tuple[str, ...] = field(default=(), repr=False)  # capabilities this installation may wire
    _log: PatchLog = field(default_factory=PatchLog, repr=False)
    _watcher: Optional[ModuleWatcher] = field(default=None, repr=False)
    active: bool = True

    @property
    def patched(self) -> Dict[str, List[str]]:
        """capability -> names of the monolith modules patched right now."""
        with _lock:
            return self._log.by_capability()

    @property
    def skipped(self) -> Dict[str, str]:
        """capability -> why it is not patched right now."""
        patched = self.patched
        out = dict(self._static_skips)
        for capability in self._allowed:
            if capability not in patched:
                out[capability] = "monolith module not loaded" if self.active else "uninstalled"
        return out

    @property
    def patch_count(self) -> int:
        return len(self._log.patches)

    def uninstall(self) -> None:
        """Restore every original, newest patch first, and stop watching imports. Safe to call twice."""
        global _current
        with _lock:
            if self._watcher is not None:
                self._watcher.stop()
            self._log.undo()
            self.active = False
            if _current is self:
                _current = None

    # ------------------------------------------------------------------ the engine's steps

    def _wire(self, capability: str, found: Dict[str, List[ModuleType]]) -> None:
        """Hand the not-yet-wired modules of ``capability`` among ``found`` to its wiring."""
        wiring = wirings()[capability]
        fresh = {role: [m for m in found.get(role, ()) if m.__name__ not in self._log.wired] for role in wiring.roles}
        with self._log.tagged(capability):
            wiring.wire(self._log, fresh, self.framework)
        self._log.wired.update(m.__name__ for mods in fresh.values() for m in mods)

    def _rebind(self, callers: Iterable[ModuleType]) -> None:
        """Point the callers' imported names at the replacements, then let each wiring repair its callers."""
        patched = {name for names in self._log.by_capability().values() for name in names}
        with self._log.tagged(None, caller=True):
            for module in callers:
                if module.__name__ in patched:
                    continue
                self._log.rebind(module)
                for capability in self._allowed:
                    fix = wirings()[capability].fix_caller
                    if fix is not None:
                        fix(self._log, module)

    def _on_loaded(self, module: ModuleType) -> None:
        """The watcher's ``on_loaded``: wire a monolith module imported after ``install()``."""
        with _lock:
            if not self.active:
                return
            role = index().role_of(module.__name__)
            capability = index().capability_of[role] if role is not None else None
            if capability in self._allowed and module.__name__ not in self._log.wired:
                self._wire(capability, {role: [module]})
            if index().is_caller(module.__name__):
                self._rebind([module])
            self._log.adopt(module, capability)

    def _substitute(self, module: ModuleType, error: ImportError) -> bool:
        """The watcher's ``substitute``: only for a wired capability whose wiring offers a stand-in."""
        role = index().role_of(module.__name__)
        if not self.active or role is None or index().capability_of[role] not in self._allowed:
            return False
        hook = wirings()[index().capability_of[role]].substitute
        return hook is not None and hook(self._log, role, module, error)


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
        for capability, wiring in wirings().items():
            value = getattr(settings, wiring.monolith_flag, None) if wiring.monolith_flag else None
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
        for capability, wiring in wirings().items():
            if flags.get(capability) is False:
                inst._static_skips[capability] = f"disabled by the monolith's {wiring.monolith_flag}"
        inst._allowed = tuple(c for c in wirings() if c not in inst._static_skips)
        try:
            if modules is None and inst._allowed:
                inst._watcher = ModuleWatcher(index().interesting, inst._on_loaded, inst._substitute)
                inst._watcher.start()
                _current = inst  # the watcher may wire modules while the rest of install() runs
                found, _ = index().discover()
                for capability in inst._allowed:
                    if wirings()[capability].prepare is not None:
                        wirings()[capability].prepare(found)
            found, callers = index().discover(modules)
            for capability in inst._allowed:
                inst._wire(capability, found)
            inst._rebind(callers)
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
