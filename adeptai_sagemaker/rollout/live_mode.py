"""Live rollout modes: what ``promote`` stores, seen by every running process within seconds.

``Framework.mode(capability)`` asks its ``mode_source`` and then applies the
kill switch last, so nothing here can bypass ``SAGEMAKER_LLM_ENABLED=false``.

- ``EnvModeSource``: the env settings (``SAGEMAKER_<STEM>_MODE`` > master
  switch), read once at start: the defaults.
- ``StateModeSource``: a live override layered on another source. It reads
  the ``modes`` table of the evidence store (``ADEPTAI_SAGEMAKER_STATE_DIR``)
  at most once per ``ttl_s`` (``ADEPTAI_SAGEMAKER_MODE_REFRESH_S``, default
  2 s) per process, so a ``promote`` reaches every worker within a few seconds
  without a restart, and a call costs a dict lookup otherwise. A store that
  does not exist is not created by reading; a read that fails keeps the last
  known overrides (logged), so a locked or broken file never fails a call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.settings import Mode

log = logging.getLogger("adeptai_sagemaker.core.routing")


class EnvModeSource:
    """Modes from the env settings (the defaults), each parsed once; the kill switch is read live."""

    name = "env"

    def __init__(self, settings: Any):
        self.settings = settings
        self._modes: dict[str, Mode] = {}

    def mode(self, capability: str) -> Mode:
        if not self.settings.sagemaker_llm_enabled:
            return Mode("off")
        found = self._modes.get(capability)
        if found is None:
            found = self._modes.setdefault(capability, self.settings.configured_mode(capability))
        return found

    def source(self, capability: str) -> str:
        return self.name


class StateModeSource:
    """Live overrides from the state store on top of ``base``; cached for ``ttl_s`` seconds."""

    name = "state"

    def __init__(self, base: Any, store: Any, *, ttl_s: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.base = base
        self.store = store
        self.ttl_s = ttl_s
        self.clock = clock
        self._overrides: dict[str, Mode] = {}
        self._read_at: Optional[float] = None
        self._lock = threading.Lock()

    def _current(self) -> dict[str, Mode]:
        now = self.clock()
        if self._read_at is not None and now - self._read_at < self.ttl_s:
            return self._overrides
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl_s:
                return self._overrides
            try:
                overrides = {}
                for cap, row in self.store.modes().items():
                    try:
                        overrides[cap] = Mode.parse(row.mode)
                    except ValueError:
                        log.warning("ignoring invalid live mode for %s in the state store", cap)
                self._overrides = overrides
            except Exception as exc:  # keep serving with the last known overrides
                log.warning("could not read live modes (%s); keeping the last known ones", type(exc).__name__)
            self._read_at = now
            return self._overrides

    def mode(self, capability: str) -> Mode:
        override = self._current().get(capability)
        return override if override is not None else self.base.mode(capability)

    def source(self, capability: str) -> str:
        return self.name if capability in self._current() else self.base.source(capability)

    def refresh(self) -> None:
        """Forget the cached overrides (the next call reads the store)."""
        self._read_at = None


def configured_mode(settings: Any, store: Any, capability: str) -> tuple[str, str]:
    """(mode, source) before the kill switch: the live override from the store, else the env settings.

    What ``promote`` gates and ``report`` shows: the step the module is on,
    even while the kill switch holds every module at ``off``.
    """
    override = store.modes().get(capability)
    if override is not None:
        return override.mode, "state"
    explicit = settings.capability(capability).mode
    return (explicit or ("on" if settings.master_on else "off")), "env"
