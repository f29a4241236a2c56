"""The plugin manager: built-ins first, then third-party plugins from entry points.

Third-party plugins are distributions that declare an entry point in the
``adeptai_sagemaker`` group. ``ADEPTAI_SAGEMAKER_PLUGINS`` is an allow-list of
entry-point names (comma-separated; empty loads none; unset loads all), so an
operator decides what code sees candidate data.

Two rules are enforced here, at registration, so they hold however a plugin
arrives (entry point, ``Framework(plugins=...)`` or ``pm.register``):

- **Observer isolation.** Each implementation of an observer hook
  (``hookspecs.OBSERVER_HOOKS``) is wrapped when it is registered: an
  exception it raises is logged once per plugin and hook and swallowed, so
  the hook is called through pluggy's own hook calling (tracing and
  ``add_hookcall_monitoring`` see it) and one broken observer cannot stop
  the others, metrics and the audit trail included.
- **No wrappers.** pluggy wrappers (``wrapper=True`` or ``hookwrapper=True``)
  are refused with a ``ConfigurationError``: around an observer they would
  run outside that isolation, and ``serve_capability`` is asked
  implementation by implementation (the framework records which plugin
  answered), where a wrapper would never run.
"""

from __future__ import annotations

import functools
import logging
import threading
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable, Optional

import pluggy

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.plugin import hookspecs

log = logging.getLogger("adeptai_sagemaker")
ENTRY_POINT_GROUP = "adeptai_sagemaker"


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with the two registration rules of this module."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self._failed: set[tuple[str, str]] = set()
        self._failed_lock = threading.Lock()

    def register(self, plugin: object, name: Optional[str] = None) -> Optional[str]:
        registered = super().register(plugin, name)
        if registered is None:
            return None
        impls = [(caller.name, impl) for caller in (self.get_hookcallers(plugin) or ())
                 for impl in caller.get_hookimpls() if impl.plugin is plugin]
        wrappers = sorted(hook for hook, impl in impls if impl.hookwrapper or impl.wrapper)
        if wrappers:
            self.unregister(plugin)
            raise ConfigurationError(
                f"plugin {registered!r} declares a pluggy wrapper on {', '.join(wrappers)}; adeptai-sagemaker "
                "refuses wrappers (observers are isolated one by one, serve_capability is asked one by one): "
                "implement the hook itself instead")
        for hook, impl in impls:
            if hook in hookspecs.OBSERVER_HOOKS:
                impl.function = self._isolated(impl.function, registered, hook)
        return registered

    def _isolated(self, function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def isolated(*args: Any) -> None:
            try:
                function(*args)
            except Exception as exc:
                self.observer_failed(plugin, hook, exc)

        return isolated

    def observer_failed(self, plugin: str, hook: str, exc: BaseException) -> None:
        """Log an observer's failure once per (plugin, hook); never its message (it may quote data)."""
        with self._failed_lock:
            if (plugin, hook) in self._failed:
                return
            self._failed.add((plugin, hook))
        log.error("observer %s failed in %s (%s); skipped", plugin, hook, type(exc).__name__)


def load_entry_point_plugins(pm: pluggy.PluginManager, allow: Optional[frozenset[str]]) -> list[str]:
    loaded = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if allow is not None and ep.name not in allow:
            log.info("plugin %s not in ADEPTAI_SAGEMAKER_PLUGINS; skipped", ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        pm.register(ep.load(), name=ep.name)
        loaded.append(ep.name)
    return loaded


def build_plugin_manager(allow: Optional[frozenset[str]] = None, load_entrypoints: bool = True,
                         builtins: Iterable[tuple[str, object]] = (),
                         extra_plugins: Iterable[object] = ()) -> PluginManager:
    """Built-ins are registered first, then entry-point plugins, then ``extra_plugins``.

    pluggy calls the newest registration first, and a name registered through
    ``register_tasks``/``register_codecs``/``register_backends`` keeps the
    first registration made in that call order (``Framework`` applies it), so
    a plugin that registers a built-in name replaces the built-in, and a
    later plugin replaces an earlier one.
    """
    from adeptai_sagemaker.capabilities.builtin import ExternalBackends

    pm = PluginManager()
    pm.register(ExternalBackends(), name="builtin-external-backends")
    for name, plugin in builtins:
        pm.register(plugin, name=name)
    if load_entrypoints:
        load_entry_point_plugins(pm, allow)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm
