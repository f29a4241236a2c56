"""What every state store keeps, whatever it runs on: live modes, the fleet kill switch, history, evidence.

Two implementations share this contract: ``sqlite.py`` (one host, the
default: a file under ``ADEPTAI_SAGEMAKER_STATE_DIR``) and ``dynamodb.py`` (a
fleet: one table every host and operator shares).

- Modes and the kill switch are versioned records. A write names the version
  it read (``expected_version``) and fails with ``StaleWriteError`` when
  someone else wrote in between, so of two operators' concurrent promotes one
  wins and the other is told to look again. Each change is recorded in the
  history with who (user@host), when, from, to, the verdict and why.
- Evidence is written as one pooled batch per host per flush
  (``pooling.Pool``), under a key fixed when the batch was made, so a retried
  write replaces itself and never counts twice.
- Reading never creates a store; ``init()`` does (idempotent).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from adeptai_sagemaker.core.errors import AdeptSageMakerError
from adeptai_sagemaker.rollout.state.pooling import Aggregate, Pool

KILL = "__fleet_kill__"
"""The record name of the fleet kill switch (beside the capabilities' modes)."""
BOOT_ID = uuid.uuid4().hex[:8]
"""Tells apart two processes of one host (and a process before and after a restart) in evidence keys."""


class StaleWriteError(AdeptSageMakerError):
    """A versioned write lost: the record changed since it was read (another operator, another host)."""

    reason = "stale_write"
    code = "StaleWrite"


class StoreUnavailableError(AdeptSageMakerError):
    """The state store could not be reached or used (names the store and the cause, never data)."""

    reason = "state_store_unavailable"
    code = "StateStoreUnavailable"


@dataclass(frozen=True)
class ModeRecord:
    """A live mode (or, under ``KILL``, the kill switch: ``mode`` is ``on`` when engaged)."""

    capability: str
    mode: str
    version: int
    set_at: float
    reason: Optional[str] = None
    by: Optional[str] = None

    @property
    def set_at_or_zero(self) -> float:
        return self.set_at or 0.0


@dataclass
class EvidenceBatch:
    """One host's records of one flush, under a key fixed when the batch was made (a retry reuses it)."""

    key: str
    host: str
    ts: float
    calls: list[dict]
    comparisons: list[dict]

    def __bool__(self) -> bool:
        return bool(self.calls or self.comparisons)

    def pool(self) -> Pool:
        pool = Pool()
        for row in self.calls:
            pool.add_call(row)
        for row in self.comparisons:
            pool.add_comparison(row)
        return pool

    def extend(self, other: "EvidenceBatch") -> None:
        """Take ``other``'s records into this (still unwritten) batch: it keeps its key."""
        self.calls.extend(other.calls)
        self.comparisons.extend(other.comparisons)


@dataclass(frozen=True)
class Snapshot:
    """Everything a host polls, read in one request: every live mode and the fleet kill switch."""

    modes: dict[str, ModeRecord]
    kill: Optional[ModeRecord] = None

    @property
    def kill_engaged(self) -> bool:
        return self.kill is not None and self.kill.mode == "on"


def actor() -> str:
    """``user@host`` of whoever changes a record (recorded in the history)."""
    import getpass  # here: only an operator's change needs it, not every framework's store

    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def host_id(settings: Any = None) -> str:
    """The name a host's evidence is pooled under: ``ADEPTAI_SAGEMAKER_HOST_ID``, else the host name."""
    configured = getattr(settings, "adeptai_sagemaker_host_id", None) if settings is not None else None
    return configured or socket.gethostname()


class StateStore:
    """The interface ``promote``, ``report``, ``status``, the gate and the framework use."""

    url: str = ""

    def describe(self) -> str:
        """Where the store is, for messages (no data)."""
        return self.url

    def exists(self) -> bool:
        raise NotImplementedError

    def init(self) -> dict[str, Any]:
        """Create the store if missing (idempotent); returns what was done."""
        raise NotImplementedError

    def snapshot(self) -> Snapshot:
        raise NotImplementedError

    def modes(self) -> dict[str, ModeRecord]:
        return self.snapshot().modes

    def set_mode(self, capability: str, mode: Optional[str], *, expected_version: Optional[int] = None,
                 from_mode: Optional[str] = None, verdict: Optional[str] = None, reason: Optional[str] = None) -> int:
        """Store ``mode`` for ``capability`` (``None`` clears it: env settings apply); returns the new version.

        ``expected_version``: the version read before deciding (0 = no record);
        ``None`` writes unconditionally. Raises ``StaleWriteError`` when it moved.
        """
        raise NotImplementedError

    def set_kill(self, engaged: bool, *, reason: Optional[str] = None, expected_version: Optional[int] = None) -> int:
        return self.set_mode(KILL, "on" if engaged else "off", expected_version=expected_version,
                             from_mode=None, verdict="kill", reason=reason)

    def mode_history(self, capability: Optional[str] = None) -> list[dict]:
        raise NotImplementedError

    def add_evidence(self, batch: EvidenceBatch) -> None:
        """Write one host's batch; the same ``batch.key`` written twice counts once."""
        raise NotImplementedError

    def evidence(self, capability: str, mode: str, since: float = 0.0) -> dict[str, Aggregate]:
        """``{host: Aggregate}`` of ``capability`` at ``mode`` since ``since`` (epoch seconds)."""
        raise NotImplementedError

    def recent(self, since: float) -> dict[str, Aggregate]:
        """Every capability's evidence since ``since``, all modes and hosts together (``status``)."""
        raise NotImplementedError

    def capabilities(self) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def after_fork(self) -> None:
        """Drop connections and clients inherited from the parent process (called in a forked child)."""
