"""What every adapter shares: the guarded framework call, input cleaning, clamping, stable ids.

The one rule all five adapters follow: the monolith's caller
never sees a SageMaker-side problem while ``SAGEMAKER_LLM_FALLBACK`` is on.
``Framework.call`` enforces it, alone: routing, fallback (building the request
and mapping the answer included, since both run inside the call) and the rule
that an exception raised *by the legacy code itself* propagates unchanged,
because the monolith would have raised it too (docs/architecture.md, the
decision table). Adapters map shapes and may wrap the legacy object (each
says how in its docstring); they decide nothing: ``guarded_call`` only adapts
the framework's ``CallResult`` to the caller's shape, and a framework that
cannot be built (bad settings) raises its typed ``ConfigurationError``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.text import safe_text  # the one text cleaner (re-exported for the adapters)

log = logging.getLogger("adeptai_sagemaker.adapters")

FrameworkSource = Callable[[], Any]


def framework_source(framework: Any = None) -> FrameworkSource:
    """A zero-arg getter: the injected framework, else the process-wide one (built lazily)."""
    if framework is not None:
        return lambda: framework

    def default():
        from adeptai_sagemaker.core.framework import get_framework

        return get_framework()

    return default


# --------------------------------------------------------------------------- the guarded call


def guarded_call(get_fw: FrameworkSource, capability: str, build_request: Callable[[], Any], *,
                 legacy: Callable[[], Any], to_legacy: Callable[[Any], Any], key: Optional[str] = None,
                 on_result: Optional[Callable[[Any, bool], None]] = None,
                 on_call: Optional[Callable[[Any], None]] = None,
                 from_legacy: Optional[Callable[[Any], Any]] = None) -> Any:
    """Run ``capability`` through the framework and return the caller-shaped answer.

    ``legacy`` produces the monolith's answer (already caller-shaped) and is the
    fallback; ``to_legacy`` maps a validated output model to the caller's shape;
    ``from_legacy`` is its reverse (a legacy answer into the output schema), run
    only for teacher capture (``student/capture.py``).
    ``on_result(value, from_sagemaker)`` is told what was returned (for caches/stats);
    ``on_call(result)`` gets the framework's ``CallResult`` (its ``record`` has
    tokens, cache hit, endpoint).
    """
    result = get_fw().call(capability, build_request, key=key, legacy=legacy, to_legacy=to_legacy,
                           from_legacy=from_legacy)
    if on_call is not None:
        on_call(result)
    if on_result is not None:
        on_result(result.answer, not result.from_legacy)
    return result.answer


# --------------------------------------------------------------------------- the legacy side


class LegacySide:
    """The monolith's object behind an adapter: the instance given, or one built on first use from the
    zero-argument factory given. Built lazily because the monolith's constructors may need API keys or
    the ML stack that a host without them lacks; a build that fails is logged once (type only) and not
    retried, and ``obj`` stays None, so the adapter's own fallback answers."""

    def __init__(self, legacy: Any, method: str, label: str):
        is_instance = legacy is not None and hasattr(legacy, method) and not isinstance(legacy, type)
        self.obj = legacy if is_instance else None
        self._factory: Optional[Callable[[], Any]] = legacy if (legacy is not None and not is_instance) else None
        self._label = label
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self.obj is None and self._factory is not None:
            with self._lock:
                if self.obj is None and self._factory is not None:
                    factory, self._factory = self._factory, None
                    try:
                        self.obj = factory()
                    except Exception as exc:
                        log.warning("legacy %s could not be built (%s); the adapter's fallback answers",
                                    self._label, type(exc).__name__)
        return self.obj


# --------------------------------------------------------------------------- input cleaning

def clean_json_value(value: Any, depth: int = 0, limit: int = 4000) -> Any:
    """A JSON-safe copy of nested dicts/lists with cleaned strings (bounded depth and size)."""
    if depth > 6:
        return None
    if isinstance(value, (str, bytes, bytearray)):
        return safe_text(value, limit)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {safe_text(k, 200): clean_json_value(v, depth + 1, limit) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple, set)):
        return [clean_json_value(v, depth + 1, limit) for v in list(value)[:200]]
    return safe_text(value, limit)


def clamp(value: Any, low: float = 0.0, high: float = 1.0, default: float = 0.5) -> float:
    """A finite float within [low, high]; non-numbers and NaN become ``default``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if not math.isfinite(number):
        return default
    return min(high, max(low, number))


def str_list(values: Any, limit: int = 60) -> list[str]:
    """A list of non-empty strings (what the callers iterate and join)."""
    if not isinstance(values, (list, tuple)):
        return []
    out = []
    for v in values:
        if isinstance(v, str) and v.strip():
            out.append(v)
        if len(out) >= limit:
            break
    return out


def stable_id(prefix: str, text: str) -> str:
    """Process-independent id from content (B11: ``hash()`` is randomised per process)."""
    return f"{prefix}_{hashlib.sha256(text.encode('utf-8', 'replace')).hexdigest()[:16]}"
