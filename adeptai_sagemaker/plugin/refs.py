"""Registrations by reference: ``"package.module:name"``, imported on first use.

A task's models, a codec and a backend factory may be registered as such a
reference instead of the object itself (``hookspecs.py``). The built-ins are
registered that way (``capabilities/builtin.py``), so building a framework
imports none of them: a capability's models, its codec and an external backend
are imported by the first call that needs them, and a monolith that builds the
framework at start-up and routes to legacy does not pay for them.
"""

from __future__ import annotations

from typing import Any


def resolve(obj: Any) -> Any:
    """``obj`` itself, or the object a ``"package.module:name"`` string names (``pkgutil.resolve_name``)."""
    if isinstance(obj, str):
        import pkgutil

        return pkgutil.resolve_name(obj)
    return obj
