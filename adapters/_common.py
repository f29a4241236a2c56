"""What every adapter shares: the guarded framework call, input cleaning, clamping, stable ids.

The one rule all five adapters follow (fact sheet §10): the monolith's caller
never sees a SageMaker-side problem while ``SAGEMAKER_LLM_FALLBACK`` is on.
``guarded_call`` enforces it around ``Framework.call``: whatever goes wrong
before or after the legacy code runs (a typed error, a bug in a codec, a
mapping error, a framework that cannot even be built) becomes a legacy
answer; an exception raised *by the legacy code itself* propagates, because
the monolith would have raised it too. With fallback off the typed error
reaches the caller, as the framework raises it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from typing import Any, Callable, Optional

from adeptai_sagemaker.calls import LegacyAnswer
from adeptai_sagemaker.hookspecs import hookimpl

log = logging.getLogger("adeptai_sagemaker.adapters")

FrameworkSource = Callable[[], Any]


def framework_source(framework: Any = None) -> FrameworkSource:
    """A zero-arg getter: the injected framework, else the process-wide one (built lazily)."""
    if framework is not None:
        return lambda: framework

    def default():
        from adeptai_sagemaker.framework import get_framework

        return get_framework()

    return default


def fallback_enabled(fw: Any) -> bool:
    """Fallback is on unless settings say otherwise (and when no framework could be built)."""
    settings = getattr(fw, "settings", None)
    return True if settings is None else bool(getattr(settings, "sagemaker_llm_fallback", True))


def mode_kind(fw: Any, capability: str) -> str:
    """``off``/``shadow``/``canary``/``on`` for ``capability``; ``off`` when it cannot be read."""
    try:
        return fw.settings.mode(capability).kind
    except Exception:
        return "off"


class _LegacyRaised(Exception):
    """Carries an exception raised by the legacy code out of the framework untouched."""

    def __init__(self, original: BaseException):
        super().__init__(type(original).__name__)
        self.original = original


# --------------------------------------------------------------------------- call observer


class CallObserver:
    """Framework observer: remembers, per thread, the record of the last finished call.

    ``Framework.call`` tells observers synchronously in the calling thread, so
    right after ``fw.call`` returns, ``last()`` is that call's record (tokens,
    cache hit, endpoint) — what the market-intelligence adapter needs for
    ``tokens_used``/``cached`` without any change to the core API.
    """

    NAME = "adeptai-adapters-observer"

    def __init__(self) -> None:
        self._local = threading.local()

    @hookimpl
    def on_call_finished(self, record):
        self._local.record = record

    def reset(self) -> None:
        self._local.record = None

    def last(self):
        return getattr(self._local, "record", None)


def observer_for(fw: Any) -> Optional[CallObserver]:
    pm = getattr(fw, "pm", None)
    if pm is None:
        return None
    plugin = pm.get_plugin(CallObserver.NAME)
    if plugin is None:
        plugin = CallObserver()
        try:
            pm.register(plugin, name=CallObserver.NAME)
        except ValueError:  # registered concurrently
            plugin = pm.get_plugin(CallObserver.NAME)
    return plugin


# --------------------------------------------------------------------------- the guarded call


def guarded_call(get_fw: FrameworkSource, capability: str, build_request: Callable[[], Any], *,
                 legacy: Callable[[], Any], to_legacy: Callable[[Any], Any], key: Optional[str] = None,
                 on_result: Optional[Callable[[Any, bool], None]] = None) -> Any:
    """Run ``capability`` through the framework and return the caller-shaped answer.

    ``legacy`` produces the monolith's answer (already caller-shaped) and is the
    fallback; ``to_legacy`` maps a validated output model to the caller's shape.
    ``on_result(value, from_sagemaker)`` is told what was returned (for caches/stats).
    """
    legacy_ran = False

    def legacy_thunk():
        nonlocal legacy_ran
        legacy_ran = True
        try:
            return legacy()
        except BaseException as exc:  # keep the legacy's own error recognisable through the hook chain
            raise _LegacyRaised(exc) from exc

    fw = None
    try:
        fw = get_fw()
        request = build_request()
        result = fw.call(capability, request, key=key, legacy=legacy_thunk, to_legacy=to_legacy)
        if isinstance(result, LegacyAnswer):
            value, from_sagemaker = result.value, False
        else:
            value, from_sagemaker = to_legacy(result), True
    except _LegacyRaised as wrapped:
        raise wrapped.original from None
    except Exception as exc:
        if fw is not None and not fallback_enabled(fw):
            raise
        if legacy_ran:  # the legacy answered but something after it failed: answer again from legacy
            log.warning("adapter %s: post-processing failed (%s); answering from legacy", capability,
                        type(exc).__name__)
        else:
            log.warning("adapter %s: sagemaker path failed (%s: %s); answering from legacy", capability,
                        type(exc).__name__, getattr(exc, "reason", "unexpected"))
        value, from_sagemaker = legacy(), False
    if on_result is not None:
        on_result(value, from_sagemaker)
    return value


# --------------------------------------------------------------------------- input cleaning

def clean_text(value: Any, limit: Optional[int] = None) -> str:
    """Any input as safe text: None -> "", bytes decoded (invalid bytes replaced), lone surrogates
    replaced with U+FFFD, NULs dropped, cut to ``limit`` characters. Never raises."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        try:
            text = str(value)
        except Exception:
            text = ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = text.encode("utf-8", "replace").decode("utf-8")
    if "\x00" in text:
        text = text.replace("\x00", "")
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def clean_json_value(value: Any, depth: int = 0, limit: int = 4000) -> Any:
    """A JSON-safe copy of nested dicts/lists with cleaned strings (bounded depth and size)."""
    if depth > 6:
        return None
    if isinstance(value, (str, bytes, bytearray)):
        return clean_text(value, limit)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean_text(k, 200): clean_json_value(v, depth + 1, limit) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple, set)):
        return [clean_json_value(v, depth + 1, limit) for v in list(value)[:200]]
    return clean_text(value, limit)


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
