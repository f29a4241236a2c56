"""The plugin manager: built-ins first, then third-party plugins from entry points.

Third-party plugins are distributions that declare an entry point in the
``adeptai_sagemaker`` group. ``ADEPTAI_SAGEMAKER_PLUGINS`` is an allow-list of
entry-point names (comma-separated; empty loads none; unset loads all), so an
operator decides what code sees candidate data.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Iterable, Optional

import pluggy

from adeptai_sagemaker.plugin import hookspecs
from adeptai_sagemaker.backends.external import ExternalBackends

log = logging.getLogger("adeptai_sagemaker")
ENTRY_POINT_GROUP = "adeptai_sagemaker"


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
                         extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """Built-ins are registered first, so an outside plugin's registrations (run later)
    replace theirs, and an outside ``serve_capability`` is asked newest first."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(ExternalBackends(), name="builtin-external-backends")
    for name, plugin in builtins:
        pm.register(plugin, name=name)
    if load_entrypoints:
        load_entry_point_plugins(pm, allow)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm
