"""The fleet state store: one DynamoDB table shared by every host and operator (``dynamodb://TABLE``).

Why DynamoDB: it is already in every AWS account the SageMaker endpoints live
in, on-demand billing costs nothing when idle, and conditional writes give
versioned modes without a lock server. The region comes from the usual
settings (``SAGEMAKER_REGION`` / ``AWS_REGION``); the endpoint from botocore's
own ``AWS_ENDPOINT_URL_DYNAMODB`` (DynamoDB Local, a moto server).

Items (partition key ``pk``, sort key ``sk``, both strings; TTL on ``expires_at``):

- ``control`` / ``mode#<capability>``: a live mode, versioned (``version``,
  bumped with ``ADD`` under a condition on the version read); the fleet kill
  switch is ``mode#__fleet_kill__``. A host reads all of them with one
  eventually consistent ``Query`` per refresh.
- ``history`` / ``<ms>#<id>``: every change, who/when/from/to/verdict/why.
- ``ev#<YYYYMMDD>`` / ``<ms>#<host>#<process>#<seq>``: one host's pooled
  evidence of one flush (``pooling.Pool``, zlib JSON in ``pool``). The key is
  fixed when the batch is made, so a retried ``PutItem`` replaces itself:
  never counted twice. Bounded by the TTL (retention) and, on reading, by
  ``max_items``. DynamoDB deletes expired items within a few days of expiry,
  so reads also skip anything past retention themselves.

Sizes the cost arithmetic in MIGRATION.md rests on (DynamoDB bills reads per
4 KB, writes per 1 KB, by ``item_size``): the control items of every module
and the kill switch together stay under 4 KB (``reason`` and ``by`` are
clipped there; the history item keeps up to ``HISTORY_REASON_BYTES``), so a
host's poll costs half a read unit; an evidence item stays within
``EVIDENCE_ITEM_BYTES`` (``Pool.encode`` coarsens its histograms if needed).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Callable, Optional

from adeptai_sagemaker.core.routing import after_fork_in_child
from adeptai_sagemaker.rollout.state.base import (KILL, EvidenceBatch, ModeRecord, Snapshot, StaleWriteError,
                                                  StateStore, StoreUnavailableError, actor)
from adeptai_sagemaker.rollout.state.pooling import Aggregate, Pool

log = logging.getLogger("adeptai_sagemaker.rollout.state")

ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"
"""Read by botocore itself (not here): the DynamoDB endpoint, for DynamoDB Local or a moto server."""
CONTROL = "control"
HISTORY = "history"
TTL_ATTRIBUTE = "expires_at"
HISTORY_RETENTION_S = 400 * 86400
"""Mode history outlives evidence: it is the record of who moved what, kept a little over a year."""
EVIDENCE_ITEM_BYTES = 4096
"""One evidence item at most: 4 write units (MIGRATION.md, cost at the defaults)."""
CONTROL_REASON_BYTES = 200
CONTROL_BY_BYTES = 64
"""Clips on a control item's ``reason`` and ``by``: nine control items stay under one 4 KB read unit."""
HISTORY_REASON_BYTES = 2000
"""The history keeps the gate's whole reasoning (or an operator's note) up to this size."""


def clip(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8 (never inside a character)."""
    data = text.encode("utf-8")
    return text if len(data) <= max_bytes else data[:max_bytes].decode("utf-8", errors="ignore")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (strings and binary by their bytes,
    numbers by about one byte per two significant digits, plus one)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode("utf-8"))
        (kind, raw), = value.items()
        if kind == "S":
            total += len(raw.encode("utf-8"))
        elif kind == "B":
            total += len(raw)
        elif kind == "N":
            digits = raw.lstrip("-").replace(".", "").lstrip("0") or "0"
            total += (len(digits.rstrip("0") or "0") + 1) // 2 + 1
        else:
            total += len(str(raw))
    return total


def _day(ts: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(ts))


def _ms(ts: float) -> str:
    return f"{int(ts * 1000):013d}"


class DynamoStateStore(StateStore):
    """A DynamoDB table (on-demand); safe to share between threads; re-created clients after fork."""

    def __init__(self, table: str, *, region: Optional[str] = None, max_items: int = 200_000,
                 retention_s: float = 30 * 86400, clock: Callable[[], float] = time.time,
                 client_factory: Optional[Callable[[], Any]] = None, timeout_s: float = 2.0):
        self.table = table
        self.url = f"dynamodb://{table}"
        self.region = region
        self.max_items = max_items
        self.retention_s = retention_s
        self.clock = clock
        self.timeout_s = timeout_s
        self._client_factory = client_factory or self._boto3_client
        self._client: Any = None
        after_fork_in_child(self, DynamoStateStore.after_fork)

    def _boto3_client(self) -> Any:
        import boto3
        from botocore.config import Config

        # short timeouts, one retry: the store is read off the request path and a fleet must not wait on it
        config = Config(connect_timeout=self.timeout_s, read_timeout=self.timeout_s,
                        retries={"max_attempts": 2, "mode": "standard"})
        return boto3.client("dynamodb", region_name=self.region, config=config)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def after_fork(self) -> None:
        """A boto3 client must not cross a fork (its connection pool is the parent's): make a new one."""
        self._client = None

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("ConditionalCheckFailedException", "ResourceInUseException", "ResourceNotFoundException"):
                raise
            raise StoreUnavailableError(f"state store {self.url}: {operation} failed ({code})") from exc
        except BotoCoreError as exc:
            raise StoreUnavailableError(f"state store {self.url}: {operation} failed ({type(exc).__name__})") from exc

    @staticmethod
    def _code(exc: BaseException) -> str:
        return getattr(exc, "response", {}).get("Error", {}).get("Code", "")

    # ------------------------------------------------------------------ the table

    def exists(self) -> bool:
        try:
            self._call("describe_table")
        except Exception as exc:
            if self._code(exc) == "ResourceNotFoundException":
                return False
            raise
        return True

    def init(self) -> dict[str, Any]:
        """Create the table (on-demand billing) and its TTL; an existing table is left as it is."""
        created = True
        try:
            self._call("create_table", BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}])
        except Exception as exc:
            if self._code(exc) != "ResourceInUseException":
                raise
            created = False
        self.client.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        ttl = self._call("describe_time_to_live").get("TimeToLiveDescription", {})
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            self._call("update_time_to_live",
                       TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE})
        return {"store": self.url, "created": created, "billing": "PAY_PER_REQUEST", "ttl_attribute": TTL_ATTRIBUTE}

    def _query(self, pk: str, *, lower: Optional[str] = None, consistent: bool = False,
               limit: Optional[int] = None) -> list[dict]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": pk}},
                                  "ConsistentRead": consistent}
        if lower is not None:
            kwargs["KeyConditionExpression"] += " AND sk >= :lo"
            kwargs["ExpressionAttributeValues"][":lo"] = {"S": lower}
        items: list[dict] = []
        while True:
            page = self._call("query", **kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page or (limit is not None and len(items) >= limit):
                return items[:limit] if limit is not None else items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # ------------------------------------------------------------------ live modes

    def snapshot(self, consistent: bool = False) -> Snapshot:
        """Every live mode and the kill switch in one ``Query``; empty when the table does not exist."""
        try:
            items = self._query(CONTROL, consistent=consistent)
        except Exception as exc:
            if self._code(exc) == "ResourceNotFoundException":
                return Snapshot({})
            raise
        records = {}
        for item in items:
            cap = item["sk"]["S"].partition("#")[2]
            records[cap] = ModeRecord(cap, item["mode"]["S"], int(item["version"]["N"]), float(item["set_at"]["N"]),
                                      item.get("reason", {}).get("S"), item.get("by", {}).get("S"))
        kill = records.pop(KILL, None)
        return Snapshot(records, kill)

    def modes(self) -> dict[str, ModeRecord]:
        return self.snapshot(consistent=True).modes

    def set_mode(self, capability: str, mode: Optional[str], *, expected_version: Optional[int] = None,
                 from_mode: Optional[str] = None, verdict: Optional[str] = None, reason: Optional[str] = None) -> int:
        now, who = self.clock(), actor()
        key = {"pk": {"S": CONTROL}, "sk": {"S": f"mode#{capability}"}}
        condition: dict[str, Any] = {}
        if expected_version == 0:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        elif expected_version is not None:
            condition = {"ConditionExpression": "version = :expected",
                         "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}}}
        try:
            if mode is None:
                self._call("delete_item", Key=key, **condition)
                version = 0
            else:
                values = {":m": {"S": mode}, ":t": {"N": repr(now)}, ":by": {"S": clip(who, CONTROL_BY_BYTES)},
                          ":one": {"N": "1"}, ":r": {"S": clip(reason or "", CONTROL_REASON_BYTES)},
                          **condition.pop("ExpressionAttributeValues", {})}
                out = self._call("update_item", Key=key, ReturnValues="UPDATED_NEW",
                                 UpdateExpression="SET #m = :m, set_at = :t, #by = :by, reason = :r ADD version :one",
                                 ExpressionAttributeNames={"#m": "mode", "#by": "by"},
                                 ExpressionAttributeValues=values, **condition)
                version = int(out["Attributes"]["version"]["N"])
        except Exception as exc:
            if self._code(exc) == "ConditionalCheckFailedException":
                raise StaleWriteError(f"{capability} changed since it was read (expected version {expected_version}):"
                                      " someone else changed it; look at `state show` and run again") from None
            raise
        item = {"pk": {"S": HISTORY}, "sk": {"S": f"{_ms(now)}#{uuid.uuid4().hex[:8]}"},
                "capability": {"S": capability}, "ts": {"N": repr(now)}, "to_mode": {"S": mode or "default"},
                "by": {"S": who}, TTL_ATTRIBUTE: {"N": str(int(now + HISTORY_RETENTION_S))}}
        for name, value in (("from_mode", from_mode), ("verdict", verdict),
                            ("reason", clip(reason, HISTORY_REASON_BYTES) if reason else None)):
            if value:
                item[name] = {"S": value}
        self._call("put_item", Item=item)
        return version

    def mode_history(self, capability: Optional[str] = None) -> list[dict]:
        rows = []
        for item in self._query(HISTORY, consistent=True):
            if capability and item["capability"]["S"] != capability:
                continue
            rows.append({"ts": float(item["ts"]["N"]), "capability": item["capability"]["S"],
                         **{k: item.get(k, {}).get("S") for k in ("from_mode", "to_mode", "verdict", "reason", "by")}})
        return rows

    # ------------------------------------------------------------------ evidence

    def add_evidence(self, batch: EvidenceBatch) -> None:
        """One ``PutItem`` for the whole batch (every module); its key makes a retry idempotent."""
        item = {"pk": {"S": f"ev#{_day(batch.ts)}"}, "sk": {"S": f"{_ms(batch.ts)}#{batch.key}"},
                "host": {"S": batch.host}, "ts": {"N": repr(batch.ts)}, "pool": {"B": b""},
                TTL_ATTRIBUTE: {"N": str(int(batch.ts + self.retention_s))}}
        item["pool"] = {"B": batch.pool().encode(max_bytes=EVIDENCE_ITEM_BYTES - item_size(item))}
        self._call("put_item", Item=item)

    def _batches(self, since: float) -> list[tuple[str, Pool]]:
        now = self.clock()
        since = max(since, now - self.retention_s)  # expired items may linger up to days after their TTL
        out: list[tuple[str, Pool]] = []
        day = since
        while day <= now + 86400 and len(out) < self.max_items:
            for item in self._query(f"ev#{_day(day)}", lower=_ms(since), consistent=True,
                                    limit=self.max_items - len(out)):
                out.append((item["host"]["S"], Pool.decode(item["pool"]["B"])))
            if _day(day) == _day(now):
                break
            day += 86400
        return out

    def evidence(self, capability: str, mode: str, since: float = 0.0) -> dict[str, Aggregate]:
        hosts: dict[str, Aggregate] = {}
        for host, pool in self._batches(since):
            part = pool.parts.get((capability, mode))
            if part is not None:
                hosts.setdefault(host, Aggregate()).merge(part)
        return hosts

    def recent(self, since: float) -> dict[str, Aggregate]:
        out: dict[str, Aggregate] = {}
        for _, pool in self._batches(since):
            for (cap, _mode), agg in pool.parts.items():
                out.setdefault(cap, Aggregate()).merge(agg)
        return out

    def capabilities(self) -> list[str]:
        caps = set(self.snapshot(consistent=True).modes)
        for _, pool in self._batches(self.clock() - self.retention_s):
            caps |= {cap for cap, _ in pool.parts}
        return sorted(caps)
