"""Shadow mode: run SageMaker beside the legacy code without touching the user's call.

Scientist/laboratory style: the legacy (control) answer is always the one
returned; the SageMaker (candidate) call runs on a small bounded pool, its
output is validated and compared field by field (``agreement.compare_answers``),
and only the per-field agreement numbers and timings are published. When the pool is saturated the
shadow call is dropped (and counted), never queued without bound.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class ShadowRunner:
    """A bounded pool for shadow calls; ``submit`` never blocks the caller."""

    def __init__(self, max_workers: int, max_pending: int):
        from concurrent.futures import ThreadPoolExecutor  # with the first shadow call, not with the framework

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
