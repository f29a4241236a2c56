"""Durations ("7d", "24h", "90m", "3600") and points in time ("2024-05-01", ISO, epoch, or a duration ago)."""

from __future__ import annotations

import datetime as _dt
import re
import time
from typing import Optional, Union

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: Union[str, int, float]) -> float:
    """Seconds in ``text``: a number (seconds) or a number with s/m/h/d/w."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (examples: 3600, 90m, 24h, 7d, 2w)")
    return float(match.group(1)) * _UNITS[(match.group(2) or "").lower() or None]


def parse_time(value: Union[None, str, int, float, _dt.datetime]) -> Optional[float]:
    """Epoch seconds for an epoch number, a datetime, an ISO date/time (UTC if naive) or a duration ago."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)).timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    try:
        return time.time() - parse_duration(text) if not text.isdigit() or len(text) < 9 else float(text)
    except ValueError:
        pass
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a time (ISO date/time, epoch seconds, or a duration like 7d)") from None
    return parse_time(parsed)
