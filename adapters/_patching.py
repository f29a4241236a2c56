"""The patch engine behind ``install()``: every replacement recorded, so ``uninstall()`` undoes it exactly.

``install()`` changes attributes of modules and classes it does not own (the
monolith's). Each change goes through ``PatchLog.set``, which remembers what
was there (or that nothing was), so the undo restores the originals newest
first. ``PatchLog.swap`` remembers which replacement stands for which
original: that table is what lets modules that imported an original by name
(``from .behavioural_analysis import get_pipeline``) be rebound
(``rebind``), and lets a module imported later that bound a replacement be
given its original back on undo (``adopt``).

Nothing here knows an adapter. Each adapter module declares its ``Wiring``
(which monolith modules it wires, and the function that does it) beside its
adapter class; adapters/installation.py registers them in one table.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

log = logging.getLogger("adeptai_sagemaker.adapters")

_MISSING = object()

#: role -> the monolith modules of that role found (and not yet wired), as handed to a ``Wiring.wire``.
Found = Mapping[str, List[ModuleType]]


@dataclass
class Patch:
    """One replaced attribute and what to put back (``_MISSING``: delete it)."""

    target: Any
    attr: str
    old: Any
    where: str  # the module's name, for the live view and error messages
    capability: Optional[str] = None
    caller: bool = False  # a name rebound in a caller module, not a monolith module of the capability


@dataclass(frozen=True)
class Wiring:
    """How one adapter wires itself into the monolith (each adapter module declares its ``WIRING``).

    ``roles`` maps a role name (the key ``install(modules={role: ...})`` accepts) to the module-name
    suffixes of the monolith modules in that role. ``wire(patches, found, framework)`` replaces what the
    call sites use in the modules ``found`` (role -> modules), only through ``patches``. ``monolith_flag``
    is the monolith's own ``enable_*`` setting that leaves the capability untouched when false.
    Optional hooks, for a module that can fail to import (the behavioural pipeline):
    ``substitute(patches, role, module, error)`` may turn a module whose own code raised ``ImportError``
    into a stand-in (True: the import succeeds); ``prepare(found)`` runs once before the loaded
    modules are wired, while the import watcher is on; ``fix_caller(patches, module)`` repairs a
    caller module after the generic rebinding.
    """

    capability: str
    roles: Mapping[str, Tuple[str, ...]]
    wire: Callable[["PatchLog", Found, Any], None]
    monolith_flag: Optional[str] = None
    substitute: Optional[Callable[["PatchLog", str, ModuleType, ImportError], bool]] = None
    prepare: Optional[Callable[[Found], None]] = None
    fix_caller: Optional[Callable[["PatchLog", ModuleType], None]] = None


class PatchLog:
    """The undo log and swap table of one installation. Not thread-safe: the installation holds its lock."""

    def __init__(self) -> None:
        self.patches: List[Patch] = []
        self.wired: set = set()  # names of the modules already wired
        self._swaps: Dict[int, Any] = {}  # id(original) -> replacement
        self._originals: Dict[int, Any] = {}  # id(replacement) -> original
        self._cleanups: List[Callable[[], None]] = []
        self._tag: Tuple[Optional[str], bool] = (None, False)

    @contextmanager
    def tagged(self, capability: Optional[str], caller: bool = False) -> Iterator[None]:
        """Patches made inside are attributed to ``capability`` (or marked as caller rebinds)."""
        outer, self._tag = self._tag, (capability, caller)
        try:
            yield
        finally:
            self._tag = outer

    def set(self, target: Any, attr: str, value: Any, where: str) -> None:
        """``setattr(target, attr, value)``, remembering the previous value (or its absence)."""
        old = target.__dict__.get(attr, _MISSING) if hasattr(target, "__dict__") else getattr(target, attr, _MISSING)
        self.patches.append(Patch(target, attr, old, where, *self._tag))
        setattr(target, attr, value)

    def swap(self, original: Any, replacement: Any) -> None:
        """Declare ``replacement`` the stand-in for ``original`` wherever a caller holds it."""
        self._swaps[id(original)] = replacement
        self._originals[id(replacement)] = original

    def replacement_for(self, original: Any) -> Optional[Any]:
        return self._swaps.get(id(original))

    def is_replacement(self, value: Any) -> bool:
        return id(value) in self._originals

    def patched(self, target: Any, attr: str) -> bool:
        """Whether this log replaced ``target.attr`` (the value there now is ours)."""
        return any(p.target is target and p.attr == attr for p in self.patches)

    def on_undo(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` on undo, after every attribute is restored."""
        self._cleanups.append(cleanup)

    def rebind(self, module: ModuleType) -> None:
        """Point every name of ``module`` that holds a swapped original at its replacement."""
        for name, value in list(vars(module).items()):
            replacement = self._swaps.get(id(value))
            if replacement is not None and replacement is not value:
                self.set(module, name, replacement, module.__name__)

    def adopt(self, module: ModuleType, capability: Optional[str]) -> None:
        """``module`` was imported after the swap and bound replacements by name (``from .llm_service import
        LLMService``): nothing to replace, but undo must give it the originals: record them."""
        for name, value in list(vars(module).items()):
            original = self._originals.get(id(value))
            if original is not None and not self.patched(module, name):
                self.patches.append(Patch(module, name, original, module.__name__, capability, capability is None))

    def by_capability(self) -> Dict[str, List[str]]:
        """capability -> names of the monolith modules patched now (caller rebinds left out)."""
        out: Dict[str, List[str]] = {}
        for patch in self.patches:
            if patch.capability and not patch.caller:
                names = out.setdefault(patch.capability, [])
                if patch.where not in names:
                    names.append(patch.where)
        return {capability: sorted(names) for capability, names in out.items()}

    def undo(self) -> None:
        """Restore every original, newest first, then run the cleanups; a failure is logged and the rest
        still restored. Safe to call twice."""
        while self.patches:
            patch = self.patches.pop()
            try:
                if patch.old is _MISSING:
                    if patch.attr in getattr(patch.target, "__dict__", {}):
                        delattr(patch.target, patch.attr)
                else:
                    setattr(patch.target, patch.attr, patch.old)
            except Exception as exc:  # keep restoring the rest
                log.error("could not restore %s.%s (%s)", patch.where, patch.attr, type(exc).__name__)
        while self._cleanups:
            self._cleanups.pop(0)()
        self.wired.clear()


def forget_module(module: ModuleType) -> None:
    """Take a module we built out of ``sys.modules`` and off its package, so a later import tries again."""
    name = module.__name__
    if sys.modules.get(name) is module:
        del sys.modules[name]
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and parent.__dict__.get(child) is module:
        delattr(parent, child)


def bound_class(base: type, name: str, *, legacy_for: Optional[Callable[..., Any]] = None, **defaults: Any) -> type:
    """A subclass of adapter ``base`` whose keyword-only extras default to ``defaults``, so the monolith's
    zero-argument (or positional) constructor calls keep working on the replacement.

    ``legacy_for(*args, **kwargs)``, when given, builds each instance's ``legacy`` from the constructor's
    own arguments (the monolith's object configured like the caller asked).
    """

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        for key, value in defaults.items():
            kwargs.setdefault(key, value)
        if legacy_for is not None and "legacy" not in kwargs:
            kwargs["legacy"] = legacy_for(*args, **kwargs)
        base.__init__(self, *args, **kwargs)

    return type(name, (base,), {"__init__": __init__, "__module__": base.__module__, "__qualname__": name})
