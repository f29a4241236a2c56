"""Shadow mode: run SageMaker beside the legacy code without touching the user's call.

Scientist/laboratory style: the legacy (control) answer is always the one
returned; the SageMaker (candidate) call runs on a small bounded pool, its
output is validated, mapped to the legacy shape and compared, and only the
agreement score and timings are published. When the pool is saturated the
shadow call is dropped (and counted), never queued without bound.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional


def _as_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_plain(v) for v in value]
    return value


def _similarity(a: Any, b: Any) -> float | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return float(a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        scale = max(1.0, abs(a), abs(b))
        return max(0.0, 1.0 - abs(a - b) / scale)
    if isinstance(a, str) and isinstance(b, str):
        return float(a.strip().lower() == b.strip().lower())
    if isinstance(a, list) and isinstance(b, list):
        if not all(isinstance(x, (str, int, float)) for x in a + b):
            return None
        sa, sb = {str(x).lower() for x in a}, {str(x).lower() for x in b}
        if not sa and not sb:
            return 1.0
        return len(sa & sb) / len(sa | sb)
    if isinstance(a, dict) and isinstance(b, dict):
        scores = [s for k in a.keys() & b.keys() if (s := _similarity(a[k], b[k])) is not None]
        return sum(scores) / len(scores) if scores else None
    return None


def agreement(legacy_value: Any, shadow_value: Any) -> float | None:
    """0..1 agreement of two answers in the caller's shape (mean over comparable fields)."""
    return _similarity(_as_plain(legacy_value), _as_plain(shadow_value))


def compare(legacy_value: Any, output: Any, to_legacy: Optional[Callable[[Any], Any]]) -> tuple[Optional[float], Optional[str]]:
    """Compare a shadow output with the legacy answer the user got: (agreement 0..1 or None, reason or None).

    ``output`` is the validated output model; ``to_legacy`` maps it to the
    legacy (caller's) shape first when given. The framework's shadow job calls
    only this function, so the comparison policy lives here.
    """
    try:
        mapped = to_legacy(output) if to_legacy is not None else output
        return agreement(legacy_value, mapped), None
    except Exception as exc:  # mapping failed: nothing to compare
        return None, f"compare_failed:{type(exc).__name__}"


class ShadowRunner:
    """A bounded pool for shadow calls; ``submit`` never blocks the caller."""

    def __init__(self, max_workers: int, max_pending: int):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="adeptai-shadow")
        self._slots = threading.BoundedSemaphore(max_pending)

    def submit(self, fn: Callable[[], Any]):
        """Run ``fn`` in the background; returns its future, or None when saturated (dropped)."""
        if not self._slots.acquire(blocking=False):
            return None
        try:
            future = self._pool.submit(fn)
        except RuntimeError:  # pool shut down
            self._slots.release()
            return None
        future.add_done_callback(lambda _f: self._slots.release())
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
