"""Evidence pooled across hosts: summable counters per (capability, mode), the only form the gate reads.

Why counters and not rows: a fleet's evidence must cost the same to store
whatever the call volume. A host folds every call and shadow comparison of a
flush interval into one ``Pool`` (one ``Aggregate`` per capability and mode)
and writes that as one item; the gate merges the items of every host. The
SQLite store keeps rows (one host, no request cost) and folds them the same
way when asked, so both stores feed the gate through the same code.

Latency is kept as a log-scale histogram (buckets 10 % wide), so percentiles
merge across hosts; a percentile reads as its bucket's upper edge, at most
10 % above the exact value.

Bounded item size: ``Pool.encode(max_bytes)`` keeps a flush within the size
the store's cost arithmetic assumes (MIGRATION.md: 4 KB, 4 write units). A
flush with latencies spread over many buckets, or straddling a mode change
(two parts per module), can exceed it; then the histograms are coarsened
(``coarsen``: each round merges buckets into ones twice as wide, counted at
the upper edge, so a percentile only ever reads high) until it fits.

What is stored (privacy by construction): counts, sums, histograms, and the
names of fields, fallback reasons and error codes. Never text, prompts,
completions, input hashes or bucket keys. Name tables are capped
(``MAX_NAMES``) so a flood of distinct error codes cannot grow an item.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

GROWTH = 1.10
MAX_NAMES = 32
MAX_COARSENING = 64
"""Histograms are never coarsened beyond buckets 64 times as wide (1.1 ** 64: about 450x, nearly one bucket)."""
OTHER = "other"
_COUNTERS = ("calls", "errors", "routed", "fell_back", "tokens_n", "tokens_in", "tokens_out", "dropped",
             "attempted", "shadow_failed", "compared", "agree", "score_n", "score_sum")
_NAMED = ("error_codes", "call_reasons", "shadow_reasons", "not_comparable")
_HISTOGRAMS = ("latency", "routed_latency", "shadow_latency")


def bucket_of(ms: float) -> int:
    """The histogram bucket of a latency in ms (bucket ``i`` holds values up to ``GROWTH ** i``)."""
    return 0 if ms <= 1.0 else math.ceil(math.log(ms) / math.log(GROWTH) - 1e-9)


def percentile(histogram: dict[int, int], p: float) -> Optional[float]:
    """Nearest-rank percentile of a histogram, as its bucket's upper edge; None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(p / 100.0 * total))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return round(GROWTH ** index, 3)
    return round(GROWTH ** max(histogram), 3)


def coarsen(histogram: dict[int, int], factor: int) -> dict[int, int]:
    """``histogram`` with buckets ``factor`` times as wide: bucket ``i`` moves up to the next multiple of ``factor``
    (its upper edge only grows, so percentiles read at most ``GROWTH ** factor`` above the exact value)."""
    out: dict[int, int] = {}
    for index, count in histogram.items():
        wide = -(-index // factor) * factor
        out[wide] = out.get(wide, 0) + count
    return out


def _bump(table: dict, key: Any, by: float = 1) -> None:
    if key not in table and len(table) >= MAX_NAMES:
        key = OTHER
    table[key] = table.get(key, 0) + by


@dataclass
class Aggregate:
    """The evidence of one capability at one mode: counters that add up across flushes and hosts."""

    counts: dict[str, float] = field(default_factory=dict)
    named: dict[str, dict[str, int]] = field(default_factory=dict)
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)
    fields: dict[str, list[float]] = field(default_factory=dict)  # name -> [n, agree, score_sum]

    def count(self, name: str) -> float:
        return self.counts.get(name, 0)

    def _add(self, name: str, by: float = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    def _name(self, table: str, key: Optional[str]) -> None:
        _bump(self.named.setdefault(table, {}), key or "unknown")

    def _latency(self, table: str, ms: Optional[float]) -> None:
        if ms is not None:  # log buckets bound the table on their own (about 280 up to an hour)
            histogram = self.histograms.setdefault(table, {})
            index = bucket_of(float(ms))
            histogram[index] = histogram.get(index, 0) + 1

    def add_call(self, row: dict) -> None:
        """Fold one call row (``observers.evidence.call_row``)."""
        self._add("calls")
        self._latency("latency", row.get("latency_ms"))
        if row.get("outcome") == "error":
            self._add("errors")
            self._name("error_codes", row.get("error_code"))
        if row.get("input_tokens") and row.get("output_tokens"):
            self._add("tokens_n")
            self._add("tokens_in", row["input_tokens"])
            self._add("tokens_out", row["output_tokens"])
        if row.get("route") == "sagemaker":
            self._add("routed")
            if row.get("outcome") == "fallback":
                self._add("fell_back")
                self._name("call_reasons", row.get("fallback_reason"))
            elif row.get("outcome") == "success" and row.get("backend") != "legacy":
                self._latency("routed_latency", row.get("latency_ms"))

    def add_comparison(self, row: dict) -> None:
        """Fold one comparison row (``observers.evidence.comparison_row``; fields/not_comparable decoded)."""
        if row.get("reason") == "shadow_dropped":
            self._add("dropped")
            return
        self._add("attempted")
        if not row.get("sagemaker_ok"):
            self._add("shadow_failed")
            self._name("shadow_reasons", row.get("reason"))
        elif row.get("latency_ms") is not None:
            self._latency("shadow_latency", row["latency_ms"])
        if row.get("agree") is None:
            return
        self._add("compared")
        self._add("agree", int(bool(row["agree"])))
        if row.get("score") is not None:
            self._add("score_n")
            self._add("score_sum", float(row["score"]))
        for name, (score, agree) in (row.get("fields") or {}).items():
            f = self.fields.setdefault(name, [0, 0, 0.0])
            f[0] += 1
            f[1] += int(agree)
            f[2] += float(score)
        for name in row.get("not_comparable") or []:
            self._name("not_comparable", name)

    def merge(self, other: "Aggregate") -> "Aggregate":
        """Add ``other`` into this one (returns self)."""
        for name, value in other.counts.items():
            self._add(name, value)
        for table, values in other.named.items():
            mine = self.named.setdefault(table, {})
            for key, value in values.items():
                _bump(mine, key, value)
        for table, values in other.histograms.items():
            mine_h = self.histograms.setdefault(table, {})
            for index, value in values.items():
                mine_h[index] = mine_h.get(index, 0) + value
        for name, (n, agree, score) in other.fields.items():
            f = self.fields.setdefault(name, [0, 0, 0.0])
            f[0] += n
            f[1] += agree
            f[2] += score
        return self

    def as_dict(self) -> dict[str, Any]:
        """Compact JSON-able form (only what is non-zero)."""
        out: dict[str, Any] = {}
        if self.counts:
            out["c"] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.counts.items() if v}
        if self.named:
            out["n"] = {k: v for k, v in self.named.items() if v}
        if self.histograms:
            out["h"] = {k: {str(i): c for i, c in v.items()} for k, v in self.histograms.items() if v}
        if self.fields:
            out["f"] = {k: [v[0], v[1], round(v[2], 2)] for k, v in self.fields.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Aggregate":
        return cls(counts=dict(data.get("c", {})), named={k: dict(v) for k, v in data.get("n", {}).items()},
                   histograms={k: {int(i): c for i, c in v.items()} for k, v in data.get("h", {}).items()},
                   fields={k: list(v) for k, v in data.get("f", {}).items()})

    @classmethod
    def from_rows(cls, calls: Iterable[dict] = (), comparisons: Iterable[dict] = ()) -> "Aggregate":
        agg = cls()
        for row in calls:
            agg.add_call(row)
        for row in comparisons:
            agg.add_comparison(row)
        return agg


class Pool:
    """One host's evidence of a flush: an ``Aggregate`` per (capability, mode)."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, str], Aggregate] = {}

    def __bool__(self) -> bool:
        return bool(self.parts)

    def part(self, capability: str, mode: str) -> Aggregate:
        return self.parts.setdefault((capability, mode), Aggregate())

    def add_call(self, row: dict) -> None:
        self.part(row["capability"], row["mode"]).add_call(row)

    def add_comparison(self, row: dict) -> None:
        decoded = dict(row)
        for key, empty in (("fields", {}), ("not_comparable", [])):
            value = decoded.get(key)
            decoded[key] = json.loads(value) if isinstance(value, str) else (value or empty)
        self.part(row["capability"], row["mode"]).add_comparison(decoded)

    def merge(self, other: "Pool") -> "Pool":
        for key, agg in other.parts.items():
            self.part(*key).merge(agg)
        return self

    def encode(self, max_bytes: Optional[int] = None) -> bytes:
        """zlib-compressed JSON: what a store writes as one item; with ``max_bytes``, histograms coarsened until it
        fits (a pool whose counters alone exceed it is returned at its coarsest)."""
        blob = self._encode(1)
        factor = 1
        while max_bytes is not None and len(blob) > max_bytes and factor < MAX_COARSENING:
            factor *= 2
            blob = self._encode(factor)
        return blob

    def _encode(self, factor: int) -> bytes:
        doc = []
        for (cap, mode), agg in sorted(self.parts.items()):
            if factor > 1:
                agg = Aggregate(agg.counts, agg.named, {k: coarsen(v, factor) for k, v in agg.histograms.items()},
                                agg.fields)
            doc.append([cap, mode, agg.as_dict()])
        return zlib.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 9)

    @classmethod
    def decode(cls, blob: bytes) -> "Pool":
        pool = cls()
        for cap, mode, data in json.loads(zlib.decompress(bytes(blob)).decode("utf-8")):
            pool.parts[(cap, mode)] = Aggregate.from_dict(data)
        return pool
