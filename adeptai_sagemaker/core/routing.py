"""The one place that decides a module's effective mode, and where a request goes under it.

``ModeResolver.resolve(capability)`` answers, highest first:

1. the host's kill switch: ``SAGEMAKER_LLM_ENABLED=false`` in this process's
   env -> ``off`` (it wins on that host whatever the fleet says);
2. the fleet kill switch (``adeptai-sagemaker kill on``), from the state store;
3. with ``ADEPTAI_SAGEMAKER_MODE_SOURCE=openfeature``: the application's
   OpenFeature provider, flag ``adeptai-sagemaker.<capability>.mode``,
   evaluated with the canary key as targeting key (a flag it does not serve
   falls through to 4 and 5);
4. the live override set by ``promote`` in the state store;
5. the env settings (``SAGEMAKER_<STEM>_MODE`` > master switch).

The store is never read on a caller's thread: a daemon thread refreshes a
local snapshot every ``ADEPTAI_SAGEMAKER_MODE_REFRESH_S`` seconds (default 2),
and a call costs dict lookups. When the store cannot be read, the last known
snapshot holds for ``ADEPTAI_SAGEMAKER_MODE_STALE_S`` (default 300 s); after
that the env settings apply until it answers again. Each transition is
logged once. After ``os.fork`` (gunicorn ``--preload``, celery prefork) the
child starts its own refresher on its first call and gets fresh store
clients; it never shares the parent's.

Canary bucketing: a request key maps to a stable bucket 0..99 via SHA-256 of
``"{capability}:{key}"``, so raising a canary from 10% to 50% only adds
requests to the SageMaker side and never reshuffles who was already on it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Union

from adeptai_sagemaker.core.settings import Mode
from adeptai_sagemaker.plugin.calls import Route

log = logging.getLogger("adeptai_sagemaker.core.routing")

OFF = Mode("off")
FLAG_KEY = "adeptai-sagemaker.{capability}.mode"
Key = Union[str, Callable[[], str], None]


def bucket(capability: str, key: str) -> int:
    digest = hashlib.sha256(f"{capability}:{key}".encode("utf-8", errors="replace")).digest()
    return int.from_bytes(digest[:8], "big") % 100


def route_for(mode: Mode, capability: str, key: str) -> tuple[Route, int | None]:
    """Where a request goes under ``mode``: (route, bucket if one was drawn)."""
    if mode.kind == "off":
        return "legacy", None
    if mode.kind == "shadow":
        return "shadow", None
    if mode.kind == "on":
        return "sagemaker", None
    b = bucket(capability, key)
    return ("sagemaker" if b < mode.percent else "legacy"), b


class ModeSource(Protocol):
    """A source of modes that replaces the store and env layers (OpenFeature, a test's own)."""

    def mode(self, capability: str) -> Optional[Mode]: ...


@dataclass(frozen=True)
class Resolution:
    """A module's effective ``mode``, where it came from, and the kill switch holding it off (if any)."""

    mode: Mode
    source: str  # host-kill-switch | fleet-kill-switch | openfeature | state | env | <a given source's name>
    switch: Optional[str] = None  # "host" | "fleet" when a kill switch decided
    step: Optional[str] = None  # the rollout step before the kill switches (what promote gates)


class OpenFeatureSource:
    """Modes from the application's OpenFeature provider (LaunchDarkly, flagd, AWS SSM, ... or InMemoryProvider).

    Flag ``adeptai-sagemaker.<capability>.mode`` (a string mode); the
    evaluation context's targeting key is the request's canary key. A flag the
    provider does not serve, or a value that is not a mode, yields ``None``
    (the next layer decides), logged once per capability.
    """

    name = "openfeature"

    def __init__(self, client: Any = None):
        if client is None:
            from openfeature import api

            client = api.get_client("adeptai-sagemaker")
        self.client = client
        self._warned: set[str] = set()

    def mode(self, capability: str, key: Key = None) -> Optional[Mode]:
        from openfeature.evaluation_context import EvaluationContext
        from openfeature.flag_evaluation import Reason

        targeting = key() if callable(key) else key
        context = EvaluationContext(targeting_key=targeting) if targeting else None
        details = self.client.get_string_details(FLAG_KEY.format(capability=capability), "", context)
        if details.reason in (Reason.ERROR, Reason.DEFAULT) or not details.value:
            return None
        try:
            return Mode.parse(details.value)
        except ValueError:
            if capability not in self._warned:
                self._warned.add(capability)
                log.warning("OpenFeature flag %s is not a rollout mode; the next source applies",
                            FLAG_KEY.format(capability=capability))
            return None


class ModeResolver:
    """Decides every module's effective mode (see the module docstring); cheap on the caller's thread.

    ``store``: a ``rollout.state`` store (None: env and kill switch only).
    ``source``: replaces the store and env layers (e.g. ``OpenFeatureSource``).
    ``clock`` is monotonic seconds (staleness); tests move it instead of sleeping.
    """

    def __init__(self, settings: Any, store: Any = None, *, source: Optional[Any] = None,
                 refresh_s: Optional[float] = None, stale_s: Optional[float] = None,
                 clock: Callable[[], float] = time.monotonic, poll: bool = True, initial_wait_s: float = 1.0):
        self.settings = settings
        self.store = store
        self.source = source
        self.refresh_s = settings.adeptai_sagemaker_mode_refresh_s if refresh_s is None else refresh_s
        self.stale_s = settings.adeptai_sagemaker_mode_stale_s if stale_s is None else stale_s
        self.clock = clock
        self.poll = poll and store is not None
        self._env: dict[str, Mode] = {}
        self._snapshot: Any = None
        self._loaded_at: Optional[float] = None
        self._state = "fresh"  # fresh | holding | stale: for logging each transition once
        self._stop = threading.Event()
        self._loaded = threading.Event()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        after_fork_in_child(self, ModeResolver._after_fork)
        if self.poll:
            self._start()
            self._loaded.wait(initial_wait_s)
        elif store is not None:  # a one-shot reader (the CLI): read once now
            self.refresh_now()

    # ------------------------------------------------------------------ the store snapshot

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=_refresh_loop, args=(weakref.ref(self), self._stop),
                                                name="adeptai-modes", daemon=True)
                self._thread.start()

    def _after_fork(self) -> None:
        """A forked worker has no refresher thread (its store resets its own clients at fork)."""
        self._lock = threading.Lock()
        self._thread = None

    def refresh_now(self) -> bool:
        """Read the store once (the refresher does this every ``refresh_s``); False when it failed."""
        if self.store is None:
            return False
        try:
            snapshot = self.store.snapshot()
        except Exception as exc:  # an unreachable store never fails a call: the last known modes hold
            if self._state == "fresh":
                self._state = "holding"
                log.warning("state store %s unreachable (%s); holding the last known modes for %g s",
                            self.store.describe(), type(exc).__name__, self.stale_s)
            return False
        if self._state != "fresh":
            log.warning("state store %s reachable again; live modes apply", self.store.describe())
        self._snapshot, self._loaded_at, self._state = snapshot, self.clock(), "fresh"
        return True

    def snapshot(self) -> Any:
        """The last known store snapshot, or None when there is none or it is older than ``stale_s``."""
        if self.poll and self._thread is None:
            self._start()  # a forked worker's first call starts its own refresher
        if self._snapshot is None:
            return None
        if self._state != "fresh" and self.clock() - (self._loaded_at or 0.0) > self.stale_s:
            if self._state == "holding":
                self._state = "stale"
                log.warning("live modes older than %g s (state store unreachable); env settings apply",
                            self.stale_s)
            return None
        return self._snapshot

    # ------------------------------------------------------------------ the decision

    def env_mode(self, capability: str) -> Mode:
        found = self._env.get(capability)
        if found is None:
            found = self._env.setdefault(capability, self.settings.configured_mode(capability))
        return found

    def resolve(self, capability: str, key: Key = None) -> Resolution:
        """The effective mode of ``capability`` (``key``: the canary key, or a callable making it)."""
        snapshot = self.snapshot()
        override = snapshot.modes.get(capability) if snapshot is not None else None
        if override is not None:
            try:
                step, source = Mode.parse(override.mode), "state"
            except ValueError:
                step, source = self.env_mode(capability), "env"
        else:
            step, source = self.env_mode(capability), "env"
        if self.source is not None:
            given = self.source.mode(capability, key) if isinstance(self.source, OpenFeatureSource) \
                else self.source.mode(capability)
            if given is not None:
                step, source = given, getattr(self.source, "name", "given")
        if not self.settings.sagemaker_llm_enabled:
            return Resolution(OFF, "host-kill-switch", "host", str(step))
        if snapshot is not None and snapshot.kill_engaged:
            return Resolution(OFF, "fleet-kill-switch", "fleet", str(step))
        return Resolution(step, source, None, str(step))

    def mode(self, capability: str, key: Key = None) -> Mode:
        return self.resolve(capability, key).mode

    def source_of(self, capability: str) -> str:
        return self.resolve(capability).source

    def stop(self) -> None:
        """Ask the refresher to end, without waiting (safe from a finalizer)."""
        self._stop.set()

    def close(self) -> None:
        """Stop the refresher and wait for it, so no read of the store is in flight once this returns
        (``Framework.close`` closes the store right after)."""
        self.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)  # a store read is bounded by its own timeouts


def _refresh_loop(ref: "weakref.ref[ModeResolver]", stop: threading.Event) -> None:
    """The refresher's body. It holds the resolver only weakly between reads, so a resolver dropped without
    ``close()`` ends its thread instead of keeping it (and its store connection) alive for good."""
    while not stop.is_set():
        resolver = ref()
        if resolver is None:
            return
        resolver.refresh_now()
        resolver._loaded.set()
        wait_s = max(resolver.refresh_s, 0.05)
        del resolver
        stop.wait(wait_s)


def resolver_for(settings: Any, store: Any, **kwargs: Any) -> ModeResolver:
    """The resolver ``settings`` ask for: OpenFeature when ``ADEPTAI_SAGEMAKER_MODE_SOURCE=openfeature``."""
    source = kwargs.pop("source", None)
    if source is None and settings.adeptai_sagemaker_mode_source == "openfeature":
        source = OpenFeatureSource()
    return ModeResolver(settings, store, source=source, **kwargs)


def after_fork_in_child(obj: Any, method: Callable[[Any], None]) -> None:
    """Run ``method(obj)`` in a forked child while ``obj`` is alive; no reference kept."""
    ref = weakref.ref(obj)

    def hook() -> None:
        alive = ref()
        if alive is not None:
            method(alive)

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=hook)
