"""Teacher capture: the legacy side's answers, stored as redacted JSONL shards for a student model.

Why it is built like this:

- **Off the request thread.** ``on_legacy_answer`` (``plugin/hookspecs.py``)
  runs in the caller's thread, so it only samples (``SAGEMAKER_<STEM>_CAPTURE_RATE``)
  and puts the lazy ``LegacyAnswer`` on a bounded queue; a full queue drops
  the example and counts it. A single writer thread maps the answer into the
  output schema (the adapter's ``from_legacy``), renders the prompt the
  student will see, redacts and writes. Nothing here can fail a call: every
  error is counted.
- **Only valid teachers.** An answer that does not fit the capability's output
  schema (a rule-based fallback, a canned reply) is counted as ``invalid``
  and never stored; the dataset card reports the count.
- **Redacted before written** (``redact.py``), whatever the capability: a job
  posting carries a recruiter's phone as surely as a resume does.
- **Shards, never an object per call.** Records go to one open shard per
  capability; a shard is closed at ``shard_bytes`` or ``shard_records`` and a
  new one started. Locally the shards are files and the directory is bounded
  (``max_bytes``: the oldest shards go first); on S3 (``s3://bucket/prefix``,
  for a fleet) each host buffers a shard in memory and puts it as one object
  named by host and process, at the size bound, after ``flush_s`` or on
  ``close``.
- **Counts travel with the data.** Each shard ends with a ``counts`` line
  (invalid teacher answers, dropped, sampled out, redactions), so
  ``dataset build`` can report them from the shards alone.
- **Retention** is ``ADEPTAI_SAGEMAKER_CAPTURE_RETENTION_DAYS``: local shards
  older than that are deleted at every rotation, and ``adeptai-sagemaker
  capture purge`` deletes by age and capability on either store.

Record lines (``"kind": "example"``): ``capability``, ``time``, ``input_hash``
(of the unredacted request: the dedupe and split key), ``template_version``,
``schema_hash``, ``mode``, ``system``, ``user``, ``request``, ``output`` and
``redactions`` (per kind).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import queue
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Protocol

from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.plugin.tasks import output_schema
from adeptai_sagemaker.student.redact import redact

log = logging.getLogger("adeptai_sagemaker.student")

RECORD_VERSION = 1
SHARD_BYTES = 8 * 2**20
SHARD_RECORDS = 20_000
MAX_LOCAL_BYTES = 2 * 2**30
FLUSH_S = 60.0
QUEUE_SIZE = 10_000


def schema_hash(model: type) -> str:
    """A short hash of an output model's JSON Schema: records from another schema are told apart."""
    return hashlib.sha256(output_schema(model)[1].encode()).hexdigest()[:12]


def _host_tag() -> str:
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}"


# --------------------------------------------------------------------------- where shards go


class ShardStore(Protocol):
    """Where closed and open shards live: a directory or an S3 prefix."""

    def write(self, capability: str, line: str) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class _Shards:
    """The rotation both stores share: one open shard per capability, a new one past the bounds."""

    def __init__(self, shard_bytes: int, shard_records: int, clock: Callable[[], float]):
        self.shard_bytes, self.shard_records, self.clock = shard_bytes, shard_records, clock
        self._open: dict[str, dict] = {}
        self._seq = 0
        self._tag = _host_tag()

    def _name(self, capability: str) -> str:
        self._seq += 1
        return f"{capability}/{self._tag}-{int(self.clock() * 1000)}-{self._seq:05d}.jsonl"

    def write(self, capability: str, line: str) -> None:
        shard = self._open.get(capability)
        if shard is None:
            shard = self._open[capability] = {"name": self._name(capability), "bytes": 0, "records": 0,
                                              "opened": self.clock()}
            self._start(shard)
        data = line.encode("utf-8") + b"\n"
        self._append(shard, data)
        shard["bytes"] += len(data)
        shard["records"] += 1
        if shard["bytes"] >= self.shard_bytes or shard["records"] >= self.shard_records:
            self._close_shard(capability)

    def _close_shard(self, capability: str) -> None:
        shard = self._open.pop(capability, None)
        if shard is not None:
            self._finish(shard)

    def close(self) -> None:
        for capability in list(self._open):
            self._close_shard(capability)

    def _start(self, shard: dict) -> None: ...
    def _append(self, shard: dict, data: bytes) -> None: ...
    def _finish(self, shard: dict) -> None: ...


class LocalShards(_Shards):
    """Shards as files under ``directory/<capability>/``; the directory is kept under ``max_bytes``."""

    def __init__(self, directory: os.PathLike | str, *, shard_bytes: int = SHARD_BYTES,
                 shard_records: int = SHARD_RECORDS, max_bytes: int = MAX_LOCAL_BYTES,
                 retention_s: Optional[float] = None, clock: Callable[[], float] = time.time):
        super().__init__(shard_bytes, shard_records, clock)
        self.directory, self.max_bytes, self.retention_s = Path(directory), max_bytes, retention_s

    def _start(self, shard: dict) -> None:
        path = self.directory / shard["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        shard["fh"] = open(path, "ab")

    def _append(self, shard: dict, data: bytes) -> None:
        shard["fh"].write(data)

    def flush(self) -> None:
        for shard in self._open.values():
            shard["fh"].flush()

    def _finish(self, shard: dict) -> None:
        shard["fh"].close()
        if self.retention_s is not None:
            purge(str(self.directory), older_than_s=self.retention_s, clock=self.clock)
        self._bound()

    def _bound(self) -> None:
        """Delete the oldest closed shards until the directory is under ``max_bytes``."""
        open_paths = {str(self.directory / s["name"]) for s in self._open.values()}
        shards = sorted((p for p in self.directory.glob("*/*.jsonl") if str(p) not in open_paths),
                        key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in shards)
        while shards and total > self.max_bytes:
            oldest = shards.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)


class S3Shards(_Shards):
    """Shards buffered in memory and put as one object each under ``s3://bucket/prefix/<capability>/``."""

    def __init__(self, url: str, *, client: Any = None, shard_bytes: int = SHARD_BYTES,
                 shard_records: int = SHARD_RECORDS, flush_s: float = FLUSH_S, clock: Callable[[], float] = time.time):
        super().__init__(shard_bytes, shard_records, clock)
        self.bucket, self.prefix = split_s3(url)
        self._client, self.flush_s = client, flush_s

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def _start(self, shard: dict) -> None:
        shard["buffer"] = io.BytesIO()

    def _append(self, shard: dict, data: bytes) -> None:
        shard["buffer"].write(data)

    def flush(self) -> None:
        """Put the shards open longer than ``flush_s`` (a quiet host still delivers within that time)."""
        now = self.clock()
        for capability in [c for c, s in self._open.items() if now - s["opened"] >= self.flush_s]:
            self._close_shard(capability)

    def _finish(self, shard: dict) -> None:
        if shard["records"]:
            self.client.put_object(Bucket=self.bucket, Key=_join(self.prefix, shard["name"]),
                                   Body=shard["buffer"].getvalue(), ContentType="application/jsonl")


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix without slashes at the ends)."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix.strip("/")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def store_for(location: str, *, client: Any = None, retention_s: Optional[float] = None, **bounds: Any) -> _Shards:
    """The shard store for a capture location: ``s3://bucket/prefix`` or a directory."""
    if location.startswith("s3://"):
        return S3Shards(location, client=client, **bounds)
    return LocalShards(location, retention_s=retention_s, **bounds)


# --------------------------------------------------------------------------- the observer


@dataclass
class CaptureCounts:
    """What capture did since the last ``counts`` line, per capability."""

    stored: Counter = field(default_factory=Counter)
    invalid: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    sampled_out: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    redactions: dict[str, Counter] = field(default_factory=dict)


class TeacherCapture:
    """The ``on_legacy_answer`` observer: samples on the caller's thread, does everything else on its own."""

    def __init__(self, store: _Shards, rates: Mapping[str, float], *, queue_size: int = QUEUE_SIZE,
                 rng: Callable[[], float] = random.random, clock: Callable[[], float] = time.time):
        self.store, self.rates, self.rng, self.clock = store, dict(rates), rng, clock
        self.counts = CaptureCounts()
        self.totals = CaptureCounts()  # since start, for tests and status
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._thread: Optional[threading.Thread] = None
        self._pid = 0
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------ the caller's thread

    @hookimpl
    def on_legacy_answer(self, answer: Any) -> None:
        capability = answer.capability
        if self._closed:
            return
        rate = self.rates.get(capability, 0.0)
        if rate < 1.0 and self.rng() >= rate:
            self.counts.sampled_out[capability] += 1
            return
        if self._pid != os.getpid():
            self._start()
        try:
            self._queue.put_nowait(answer)
        except queue.Full:
            self.counts.dropped[capability] += 1

    def _start(self) -> None:
        """Start the writer (again after a fork: threads do not survive one)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="adeptai-capture", daemon=True)
                self._thread.start()

    # ------------------------------------------------------------------ the writer thread

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=getattr(self.store, "flush_s", FLUSH_S))
            except queue.Empty:
                self._guarded(self.store.flush)
                if self._closed:  # stopped while the queue was full, so no sentinel got in
                    self._guarded(self.store.close)
                    return
                continue
            try:
                if item is None:  # the last item: write the counts and close the shards (their files) here
                    self._guarded(self._write_counts)
                    self._guarded(self.store.close)
                    return
                if callable(item):  # a flush request
                    self._guarded(self._write_counts)
                    self._guarded(self.store.flush)
                    item()
                    continue
                self._guarded(lambda: self._write(item))
            finally:
                self._queue.task_done()
                item = None  # an answer reaches its framework (its prompt's route): never keep one while idle

    def _guarded(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # capture must never take the process down; the error is counted
            self.counts.failed["_store"] += 1
            log.warning("teacher capture failed (%s); example skipped", type(exc).__name__)

    def _write(self, answer: Any) -> None:
        capability = answer.capability
        try:
            output = answer.output()
        except Exception:  # not in the schema: counted, never stored
            self._count("invalid", capability)
            return
        prompt = answer.prompt()
        redactions: Counter = Counter()
        record = {
            "kind": "example", "v": RECORD_VERSION, "capability": capability, "time": answer.timestamp,
            "input_hash": answer.input_hash, "template_version": answer.template_version,
            "schema_hash": schema_hash(answer.output_model), "mode": answer.mode,
            "system": redact(prompt.system, redactions) if prompt is not None else None,
            "user": redact(prompt.user, redactions) if prompt is not None else None,
            "request": redact(answer.request.model_dump(mode="json"), redactions),
            "output": redact(output.model_dump(mode="json", exclude={"provenance"}), redactions),
        }
        record["redactions"] = dict(redactions)
        self.store.write(capability, json.dumps(record, ensure_ascii=False, sort_keys=True))
        self._count("stored", capability)
        for counts in (self.counts, self.totals):
            counts.redactions.setdefault(capability, Counter()).update(redactions)

    def _count(self, kind: str, capability: str) -> None:
        getattr(self.counts, kind)[capability] += 1
        getattr(self.totals, kind)[capability] += 1

    def _write_counts(self) -> None:
        """One ``counts`` line per capability with news, then the counters start again."""
        counts, self.counts = self.counts, CaptureCounts()
        capabilities = set(counts.stored) | set(counts.invalid) | set(counts.dropped) | set(counts.sampled_out)
        for capability in sorted(capabilities):
            self.totals.dropped[capability] += counts.dropped[capability]
            self.totals.sampled_out[capability] += counts.sampled_out[capability]
            self.store.write(capability, json.dumps({
                "kind": "counts", "capability": capability, "time": self.clock(),
                "stored": counts.stored[capability], "invalid": counts.invalid[capability],
                "dropped": counts.dropped[capability], "sampled_out": counts.sampled_out[capability],
                "redactions": dict(counts.redactions.get(capability, {}))}, sort_keys=True))

    # ------------------------------------------------------------------ control

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything queued so far, then the counts, and make the shards durable (open ones stay open)."""
        if self._thread is None or not self._thread.is_alive():
            self._write_counts()
            self.store.flush()
            return True
        done = threading.Event()
        self._queue.put(done.set)
        return done.wait(timeout)

    def stop(self) -> None:
        """Ask the writer to write what is queued, close the shards and end, without waiting (safe from a
        finalizer: never blocks on a full queue)."""
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put_nowait(None)
            except queue.Full:  # the writer ends after draining, at its next idle wake-up
                pass

    def close(self) -> None:
        """Drain the queue, write the counts and close every shard (S3: put them)."""
        if self._closed:
            return
        self.flush()
        thread = self._thread
        self.stop()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        self._guarded(self.store.close)


def capture_for(settings: Any, *, client: Any = None) -> TeacherCapture:
    """The capture observer from settings: rates per capturing capability, the store at the capture location."""
    rates = {name: settings.capability(name).capture_rate for name in settings.capabilities
             if settings.capturing(name)}
    retention_s = settings.adeptai_sagemaker_capture_retention_days * 86400
    return TeacherCapture(store_for(settings.capture_location(), client=client, retention_s=retention_s), rates)


# --------------------------------------------------------------------------- reading back, purging


def _local_shards(directory: Path, capability: Optional[str]) -> list[Path]:
    return sorted(directory.glob(f"{capability or '*'}/*.jsonl"))


def _s3_keys(client: Any, bucket: str, prefix: str, capability: Optional[str]) -> Iterator[dict]:
    start = _join(prefix, f"{capability}/" if capability else "")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".jsonl"):
                yield item


def iter_lines(location: str, capability: Optional[str] = None, *, client: Any = None) -> Iterator[dict]:
    """Every JSON line of the shards at ``location`` (one capability, or all), shard by shard in name order.

    A torn last line (a process killed mid-write) is skipped, never fatal.
    """
    if location.startswith("s3://"):
        bucket, prefix = split_s3(location)
        if client is None:
            import boto3

            client = boto3.client("s3")
        sources = ((lambda key=item["Key"]: client.get_object(Bucket=bucket, Key=key)["Body"].read())
                   for item in sorted(_s3_keys(client, bucket, prefix, capability), key=lambda i: i["Key"]))
    else:
        sources = ((lambda path=path: path.read_bytes()) for path in _local_shards(Path(location), capability))
    for read in sources:
        for raw in read().decode("utf-8", errors="replace").splitlines():
            try:
                yield json.loads(raw)
            except ValueError:
                continue


def purge(location: str, *, older_than_s: Optional[float] = None, capabilities: Optional[list[str]] = None,
          client: Any = None, clock: Callable[[], float] = time.time) -> int:
    """Delete shards last written more than ``older_than_s`` ago and/or of ``capabilities``; returns how many.

    With neither given nothing is deleted (the same rule as ``compliance.retention.purge``).
    """
    if older_than_s is None and not capabilities:
        return 0
    cutoff = None if older_than_s is None else clock() - older_than_s
    removed = 0
    for capability in (capabilities or [None]):
        if location.startswith("s3://"):
            bucket, prefix = split_s3(location)
            if client is None:
                import boto3

                client = boto3.client("s3")
            for item in list(_s3_keys(client, bucket, prefix, capability)):
                if cutoff is None or item["LastModified"].timestamp() < cutoff:
                    client.delete_object(Bucket=bucket, Key=item["Key"])
                    removed += 1
        else:
            for path in _local_shards(Path(location), capability):
                if cutoff is None or path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed
