"""How a stream's bytes are cut into PayloadParts.

Real endpoints do not align PayloadParts with events: SageMaker forwards
whatever the container flushed, so a part can hold two events or end in the
middle of a JSON object. Clients must buffer across parts; the default
``"mixed"`` mode makes sure every stream exercises that.
"""

from __future__ import annotations

from typing import Union

Chunking = Union[str, int]


def split_parts(events: list[bytes], chunking: Chunking = "mixed") -> list[bytes]:
    """Cut the concatenated ``events`` into parts.

    - ``"event"``: one part per event.
    - ``"mixed"`` (default): mostly per event, but every 3rd boundary moves 7 bytes
      into the next event (a mid-JSON split) and every 4th boundary is dropped
      (two events in one part). Deterministic, so tests are repeatable.
    - an ``int`` N: fixed N-byte parts regardless of events.
    """
    data = b"".join(events)
    if not data:
        return []
    if chunking == "event":
        return [e for e in events if e]
    if isinstance(chunking, int) and not isinstance(chunking, bool):
        if chunking <= 0:
            raise ValueError("chunk size must be positive")
        return [data[i:i + chunking] for i in range(0, len(data), chunking)]
    if chunking != "mixed":
        raise ValueError(f"unknown chunking {chunking!r}: use 'event', 'mixed' or a byte count")
    cuts: list[int] = []
    offset = 0
    for i, event in enumerate(events[:-1]):
        offset += len(event)
        if i % 4 == 3:
            continue  # merge this event with the next one
        nxt = len(events[i + 1])
        cuts.append(offset + min(7, nxt - 1) if i % 3 == 1 and nxt > 1 else offset)
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
