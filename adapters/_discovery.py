"""Find the monolith's modules by name: which role each plays, and which modules are callers.

The monolith exists in more than one copy (two vendored trees, docs/monolith-interfaces.md, and the
test stand-ins), under different package prefixes, so modules are matched by their module-name
suffix (``module_matches``), never by a full name. The roles come from the adapters'
``Wiring`` declarations; the caller suffixes below are the monolith's modules that import the
replaced names at import time (docs/monolith-interfaces.md §7), whichever adapter they use.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from adeptai_sagemaker.adapters._patching import Wiring

CALLER_SUFFIXES: Tuple[str, ...] = (
    "optimized_search_system", "search_system", "app.services", "main_integrated", "market_intelligence",
    "market_intelligence.api", "market_intelligence.fast_api", "market_intelligence.integration_pipeline",
    "market_intelligence.market_alerts", "market_intelligence.behavior_prediction",
)
_OWN_PREFIX = "adeptai_sagemaker"  # our own modules share suffixes with the monolith's (adapters.matcher)


def module_matches(name: str, suffix: str) -> bool:
    """``a.b.behavioural_analysis.pipeline`` matches suffix ``behavioural_analysis.pipeline``."""
    return name == suffix or name.endswith("." + suffix)


class ModuleIndex:
    """The roles of every registered wiring, most specific suffix first (``behavioural_analysis.pipeline``
    is a pipeline, not a ``behavioural_analysis`` package)."""

    def __init__(self, wirings: Iterable[Wiring]):
        self.capability_of: Dict[str, str] = {}  # role -> capability
        suffixes: List[Tuple[str, Tuple[str, ...]]] = []
        for wiring in wirings:
            for role, role_suffixes in wiring.roles.items():
                self.capability_of[role] = wiring.capability
                suffixes.append((role, role_suffixes))
        self._ordered = sorted(suffixes, key=lambda item: -max(len(s) for s in item[1]))

    @property
    def roles(self) -> Tuple[str, ...]:
        return tuple(self.capability_of)

    def role_of(self, name: str) -> Optional[str]:
        for role, suffixes in self._ordered:
            if any(module_matches(name, s) for s in suffixes):
                return role
        return None

    @staticmethod
    def is_caller(name: str) -> bool:
        return any(module_matches(name, s) for s in CALLER_SUFFIXES)

    def interesting(self, name: str) -> bool:
        """What the import watcher hands to the installation: a monolith module or a caller."""
        return not name.startswith(_OWN_PREFIX) and (self.role_of(name) is not None or self.is_caller(name))

    def discover(self, modules: Any = None) -> Tuple[Dict[str, List[ModuleType]], List[ModuleType]]:
        """(role -> modules, callers) from ``sys.modules`` (``modules`` None), an iterable of modules
        (classified by name; an unclassified one is treated as a caller) or ``{role: module(s)}``
        (``"callers"`` allowed; an unknown role is a ``ValueError``)."""
        found: Dict[str, List[ModuleType]] = {role: [] for role in self.capability_of}
        callers: List[ModuleType] = []
        if isinstance(modules, Mapping):
            for role, value in modules.items():
                values = list(value) if isinstance(value, (list, tuple)) else [value]
                if role == "callers":
                    callers.extend(values)
                elif role in found:
                    found[role].extend(values)
                else:
                    raise ValueError(f"unknown module role {role!r}; known: callers, {', '.join(found)}")
            return found, callers
        explicit = modules is not None
        if explicit:
            named = [(m.__name__, m) for m in modules]
        else:
            named = [(n, m) for n, m in sorted(sys.modules.items()) if m is not None and not n.startswith(_OWN_PREFIX)]
        for name, module in named:
            role = self.role_of(name)
            if role is not None:
                found[role].append(module)
            if self.is_caller(name) or (explicit and role is None):
                callers.append(module)
        return found, callers
