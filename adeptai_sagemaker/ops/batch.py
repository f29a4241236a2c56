"""Bulk work: run one capability over a JSON-lines file, losing and repeating nothing.

Each input line is a JSON object: the capability's input plus an optional
``id`` (default: the line number, counting from 1). Each input line yields
exactly one output line, ``{"id": ..., "output": {...}}`` or
``{"id": ..., "error": {"code": ..., "message": ...}}``; blank lines are not
records.

Why it is built like this:

- **Resumable by construction.** Output lines are appended and flushed one
  by one from a single writer; a run that is killed leaves at most one torn
  last line, which the next run cuts off before reading the ids already
  done. Rerunning the same command therefore completes the file without
  repeating or losing a record.
- **Bounded.** At most ``concurrency`` calls are in flight and at most twice
  that many inputs are held in memory, so a million-line file streams.
- **Real-time or async.** Real-time calls go through ``Framework.invoke``
  (the pipeline: render, invoke, validate, re-ask). With an S3 prefix the
  ``sagemaker-async`` backend sends the same request through
  ``InvokeEndpointAsync`` (input in S3, output polled from S3, an
  ``InferenceId`` per record); without ``use_async``, a record whose payload
  is over the real-time limit still goes async when an S3 prefix is given,
  and gets a clear ``input_too_large`` error when none is.
- **Private.** Error messages are the typed errors' own (names, codes,
  limits), never the record's text.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from adeptai_sagemaker.backends.sagemaker.async_inference import ASYNC_BACKEND, inference_id_scope
from adeptai_sagemaker.core.errors import AdeptSageMakerError, InputTooLargeError, InputValidationError

ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: records written so far (this run and earlier ones) and records in the input."""


@dataclass
class BatchSummary:
    """What one run did; ``skipped`` were already in the output file from an earlier run."""

    total: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    sent_async: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.succeeded + self.failed


@dataclass(frozen=True)
class _Record:
    line_no: int
    id: Any
    request: Optional[dict]
    problem: Optional[tuple[str, str]] = None  # (code, message) when the line itself is unusable


def _id_key(value: Any) -> str:
    """Ids compare by their JSON text, so ``1`` and ``"1"`` stay distinct records."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def read_records(path: Path) -> Iterator[_Record]:
    """The input's records in order; a line that is not a JSON object becomes a record with a problem."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield _Record(line_no, line_no, None, ("invalid_json", f"line {line_no} is not JSON: {exc.msg} "
                                                                       f"at column {exc.colno}"))
                continue
            if not isinstance(value, dict):
                yield _Record(line_no, line_no, None, ("not_an_object", f"line {line_no} is a JSON "
                                                                        f"{type(value).__name__}, not an object"))
                continue
            record_id = value.pop("id", line_no)
            if not isinstance(record_id, (str, int)) or isinstance(record_id, bool):
                yield _Record(line_no, line_no, None, ("invalid_id", f"line {line_no}: 'id' must be a string or "
                                                                     "an integer"))
                continue
            yield _Record(line_no, record_id, value)


def check_unique_ids(path: Path) -> int:
    """Count the records, refusing duplicate ids: two records with one id could not both be kept exactly once."""
    seen: dict[str, int] = {}
    count = 0
    for record in read_records(path):
        count += 1
        key = _id_key(record.id)
        if key in seen:
            raise InputValidationError(f"duplicate id {record.id!r} on lines {seen[key]} and {record.line_no} of "
                                       f"{path.name}: every record needs its own id")
        seen[key] = record.line_no
    return count


def completed_ids(path: Path) -> set[str]:
    """Ids already written to ``path``; a torn last line (the run was killed mid-write) is cut off first."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    done = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            done.add(_id_key(json.loads(line)["id"]))
    return done


_SAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")


def inference_id(batch_name: str, record_id: Any) -> str:
    """A SageMaker ``InferenceId`` (≤ 64 printable characters) naming the batch and the record."""
    return _SAFE_ID.sub("_", f"{batch_name}-{record_id}")[:64]


def run_batch(framework: Any, capability: str, input_path: str | os.PathLike, output_path: str | os.PathLike, *,
              concurrency: int = 8, use_async: bool = False, backend: str = "sagemaker",
              on_progress: Optional[ProgressCallback] = None) -> BatchSummary:
    """Run ``capability`` over every record of ``input_path`` into ``output_path`` (see the module docstring).

    ``use_async`` sends every record through ``InvokeEndpointAsync`` (the
    framework's ``sagemaker-async`` backend, which needs an S3 prefix in
    settings); otherwise records go real-time through ``backend``.
    """
    if concurrency < 1:
        raise InputValidationError("concurrency must be at least 1")
    source, sink = Path(input_path), Path(output_path)
    total = check_unique_ids(source)
    done = completed_ids(sink)
    summary = BatchSummary(total=total)
    async_ready = framework.has_backend(ASYNC_BACKEND)
    if use_async and not async_ready:
        framework.backend(ASYNC_BACKEND)  # raises the ConfigurationError that names the missing setting
    batch_name = source.stem or "batch"

    def run_one(record: _Record) -> tuple[dict, bool]:
        """(the output line, whether it went through async inference)."""
        if record.problem is not None:
            code, message = record.problem
            return {"id": record.id, "error": {"code": code, "message": message}}, False
        chosen = ASYNC_BACKEND if use_async else backend
        try:
            with inference_id_scope(inference_id(batch_name, record.id)):
                try:
                    output = framework.invoke(capability, record.request, backend=chosen)
                except InputTooLargeError:
                    if chosen == ASYNC_BACKEND or not async_ready:
                        raise
                    chosen = ASYNC_BACKEND  # over the real-time limit: the same request through S3
                    output = framework.invoke(capability, record.request, backend=chosen)
        except AdeptSageMakerError as exc:
            return {"id": record.id, "error": {"code": exc.code, "message": str(exc)[:500]}}, chosen == ASYNC_BACKEND
        except Exception as exc:  # a bug must cost one record, never the run
            return ({"id": record.id, "error": {"code": type(exc).__name__, "message": "unexpected error"}},
                    chosen == ASYNC_BACKEND)
        return {"id": record.id, "output": output.model_dump(mode="json")}, chosen == ASYNC_BACKEND

    sink.parent.mkdir(parents=True, exist_ok=True)
    written = len(done)
    with open(sink, "a", encoding="utf-8") as out, ThreadPoolExecutor(max_workers=concurrency,
                                                                      thread_name_prefix="adeptai-batch") as pool:
        pending: set[Future] = set()

        def drain(block_until: int) -> None:
            nonlocal written
            while len(pending) > block_until:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    pending.discard(future)
                    line, went_async = future.result()
                    summary.sent_async += went_async
                    if "error" in line:
                        summary.failed += 1
                        code = line["error"]["code"]
                        summary.errors[code] = summary.errors.get(code, 0) + 1
                    else:
                        summary.succeeded += 1
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    out.flush()
                    written += 1
                    if on_progress is not None:
                        on_progress(written, total)

        if on_progress is not None:
            on_progress(written, total)
        for record in read_records(source):
            if _id_key(record.id) in done:
                summary.skipped += 1
                continue
            pending.add(pool.submit(run_one, record))
            drain(2 * concurrency)
        drain(0)
        os.fsync(out.fileno())
    return summary
