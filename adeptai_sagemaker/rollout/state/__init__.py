"""The rollout state store: live modes, the fleet kill switch, mode history and pooled evidence.

``ADEPTAI_SAGEMAKER_STATE_URL`` picks it: ``sqlite:///DIR`` (the default, one
host; ``ADEPTAI_SAGEMAKER_STATE_DIR`` or the XDG state directory when no URL
is given) or ``dynamodb://TABLE`` (a fleet). ``store_for(settings)`` is the
only place that reads the URL.
"""

from __future__ import annotations

from typing import Any

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.rollout.state.base import (KILL, EvidenceBatch, ModeRecord, Snapshot, StaleWriteError,
                                                  StateStore, StoreUnavailableError)

__all__ = ["KILL", "EvidenceBatch", "ModeRecord", "Snapshot", "StaleWriteError", "StateStore",
           "StoreUnavailableError", "store_for", "state_url", "store_error"]


def state_url(settings: Any) -> str:
    """The store's URL: ``ADEPTAI_SAGEMAKER_STATE_URL``, else ``sqlite:///`` + the state directory."""
    url = getattr(settings, "adeptai_sagemaker_state_url", None)
    return url.strip() if url else f"sqlite:///{settings.state_dir()}"


def store_for(settings: Any) -> StateStore:
    """The store ``settings`` name, with the configured bounds; a bad URL is a ``ConfigurationError``."""
    url = state_url(settings)
    max_rows = settings.adeptai_sagemaker_evidence_max_rows
    retention_s = settings.adeptai_sagemaker_evidence_retention_days * 86400
    scheme, sep, rest = url.partition("://")
    if sep and scheme == "sqlite" and rest.startswith("/") and len(rest) > 1:
        from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore

        return SqliteStateStore(rest, max_rows=max_rows, retention_s=retention_s)
    if sep and scheme == "dynamodb" and rest and "/" not in rest:
        from adeptai_sagemaker.rollout.state.dynamodb import DynamoStateStore

        return DynamoStateStore(rest, region=settings.checked_region(), max_items=max_rows, retention_s=retention_s)
    raise ConfigurationError("invalid setting ADEPTAI_SAGEMAKER_STATE_URL: use sqlite:///ABSOLUTE/DIR or "
                             "dynamodb://TABLE")


def store_error(store: StateStore, exc: BaseException) -> str:
    """One line for the CLI when the state store cannot be used (where it is and the cause, never data)."""
    return (f"cannot use the state store {store.describe()}: {type(exc).__name__}: {exc} -- fix: point "
            "ADEPTAI_SAGEMAKER_STATE_URL (or ADEPTAI_SAGEMAKER_STATE_DIR) at a store this process can use "
            "(`adeptai-sagemaker state init` creates it; move a damaged evidence.sqlite3 away)")
