"""Hand monolith modules to the installation as they are imported, so ``install()`` may come first.

``install()`` can only patch modules that already exist, but MIGRATION.md tells
operators to call ``install_from_env()`` at start-up, before the monolith
imports its modules. So an active installation also puts a ``ModuleWatcher``
first on ``sys.meta_path``. The watcher finds nothing itself: for a module
name the installation cares about it asks the other finders for the real
spec and wraps that spec's loader. The wrapped loader runs the module's own
code unchanged, then hands the module to the installation (``on_loaded``),
which wires it before the importer binds any name from it.

When the module's own code fails with ``ImportError`` (the behavioural
pipeline needs textstat and the ML stack), the installation may turn the
half-built module into a substitute (``substitute`` returns True) and the
import succeeds; otherwise the error propagates exactly as without the watcher.

A problem inside ``on_loaded`` never fails the monolith's import: it is
logged (type only) and the module stays as its own code left it.
"""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import Any, Callable, Optional

log = logging.getLogger("adeptai_sagemaker.adapters")


class ModuleWatcher:
    """A ``sys.meta_path`` finder that wraps the loaders of the modules ``interesting`` names.

    A finder only needs ``find_spec``; it does not derive from ``importlib.abc.MetaPathFinder``, whose module
    imports ``importlib.resources`` (and tempfile, shutil, ...) with the adapters."""

    def __init__(self, interesting: Callable[[str], bool], on_loaded: Callable[[ModuleType], None],
                 substitute: Callable[[ModuleType, ImportError], bool]):
        self.interesting = interesting
        self.on_loaded = on_loaded
        self.substitute = substitute
        self.enabled = True

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Optional[Any]:
        if not self.enabled or not self.interesting(name):
            return None
        spec = None
        for finder in list(sys.meta_path):
            if isinstance(finder, ModuleWatcher):
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        if spec is None:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module") and not isinstance(loader, _WatchingLoader):
            spec.loader = _WatchingLoader(loader, self)
        return spec

    def start(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def stop(self) -> None:
        self.enabled = False
        while self in sys.meta_path:
            sys.meta_path.remove(self)


class _WatchingLoader:
    """Runs the real loader, then tells the watcher; everything else is the real loader's."""

    def __init__(self, loader: Any, watcher: ModuleWatcher):
        self._loader = loader
        self._watcher = watcher

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        try:
            self._loader.exec_module(module)
        except ImportError as exc:
            if not (self._watcher.enabled and self._watcher.substitute(module, exc)):
                raise
        if not self._watcher.enabled:
            return
        try:
            self._watcher.on_loaded(module)
        except Exception as exc:  # wiring must never break the monolith's own import
            log.error("adapters could not wire %s as it loaded (%s)", module.__name__, type(exc).__name__)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, is_package... (tracebacks, inspect)
        if name == "_loader":
            raise AttributeError(name)
        return getattr(self._loader, name)
