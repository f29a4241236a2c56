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
- **A rerun retries what may succeed now.** Each error line says whether a
  rerun retries it (``"retry_on_rerun"``, decided by ``retry_on_rerun``):
  setup and configuration, credentials, throttling, timeouts, 5xx,
  connection failures and bugs are retried; a record that failed for good
  (its line is not usable input, its input is invalid or too large, the
  model rejected it with a 4xx) is kept. Before resuming, the retried lines
  are removed from the output by an atomic rewrite, so every id still has
  exactly one line. Lines written before that field existed are retried.
- **Setup problems stop the run before its first record** (``preflight``):
  the region, the residency rule and the credentials are resolved once, so a
  missing one is one ``ConfigurationError``, not an error line per record.
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

#: Failure reasons that belong to the record itself: a rerun would fail the same way (``retry_on_rerun``).
_FOR_GOOD_REASONS = frozenset({"model_error_4xx", "async_failed"})

ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: records written so far (this run and earlier ones) and records in the input."""


@dataclass
class BatchSummary:
    """What one run did; ``skipped`` were already in the output file from an earlier run (answers, and errors
    kept for good: ``kept_errors``), ``retried`` were error lines of earlier runs that this run tried again."""

    total: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    sent_async: int = 0
    retried: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    kept_errors: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.succeeded + self.failed

    @property
    def errors_in_output(self) -> int:
        """Error lines the output file holds after this run (this run's and those kept from earlier runs)."""
        return self.failed + sum(self.kept_errors.values())


@dataclass
class _Resume:
    """What an existing output file means for the next run."""

    done: set[str] = field(default_factory=set)  # id keys not to run again
    retrying: int = 0  # error lines removed so their records run again
    kept_errors: dict[str, int] = field(default_factory=dict)  # code -> error lines kept for good


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


def retry_on_rerun(exc: BaseException) -> bool:
    """Whether a rerun should try the record again: the failure came from the setup or the service
    (configuration, credentials, throttling, timeouts, 5xx, connection, an open circuit, a bug), not from the
    record (invalid or too large input, a 4xx from the model, a failed async inference)."""
    if isinstance(exc, (InputValidationError, InputTooLargeError)):
        return False
    return getattr(exc, "reason", None) not in _FOR_GOOD_REASONS


def _error_line(record_id: Any, code: str, message: str, retry: bool) -> dict:
    return {"id": record_id, "error": {"code": code, "message": message, "retry_on_rerun": retry}}


def resume_output(path: Path) -> _Resume:
    """Prepare ``path`` for the next run: cut a torn last line (a run killed mid-write), remove the error lines
    a rerun retries (atomically: a kill leaves the old file or the new one), and say what is done."""
    resume = _Resume()
    if not path.exists():
        return resume
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    kept: list[str] = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        error = entry.get("error")
        if isinstance(error, dict) and error.get("retry_on_rerun", True):
            resume.retrying += 1
            continue
        if isinstance(error, dict):
            code = str(error.get("code"))
            resume.kept_errors[code] = resume.kept_errors.get(code, 0) + 1
        resume.done.add(_id_key(entry["id"]))
        kept.append(line)
    if resume.retrying:
        fresh = path.with_name(path.name + ".rerun")
        fresh.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(fresh, path)
    return resume


def completed_ids(path: Path) -> set[str]:
    """Ids a rerun skips (see ``resume_output``, which this runs)."""
    return resume_output(path).done


def preflight(framework: Any, backend: str, use_async: bool) -> None:
    """Build the backend the records will use and, for SageMaker, resolve its region and credentials: a setup
    problem raises its ``ConfigurationError`` here, before the first record is sent."""
    framework.backend(ASYNC_BACKEND if use_async else backend)  # a missing setting or API key raises here
    if use_async or backend == "sagemaker":
        check = getattr(framework.backend("sagemaker"), "check_ready", None)
        if check is not None:  # a backend swapped in by a test or the lab has nothing to resolve
            check()


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
    resume = resume_output(sink)
    done = resume.done
    summary = BatchSummary(total=total, retried=resume.retrying, kept_errors=resume.kept_errors)
    if len(done) < total:
        preflight(framework, backend, use_async)
    async_ready = framework.has_backend(ASYNC_BACKEND)
    batch_name = source.stem or "batch"

    def run_one(record: _Record) -> tuple[dict, bool]:
        """(the output line, whether it went through async inference)."""
        if record.problem is not None:
            return _error_line(record.id, *record.problem, retry=False), False
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
            return _error_line(record.id, exc.code, str(exc)[:500], retry_on_rerun(exc)), chosen == ASYNC_BACKEND
        except Exception as exc:  # a bug must cost one record, never the run
            return _error_line(record.id, type(exc).__name__, "unexpected error", True), chosen == ASYNC_BACKEND
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
        try:
            for record in read_records(source):
                if _id_key(record.id) in done:
                    summary.skipped += 1
                    continue
                pending.add(pool.submit(run_one, record))
                drain(2 * concurrency)
            drain(0)
        except BaseException:  # Ctrl-C or a failing callback: queued records never start; the next run does them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        os.fsync(out.fileno())
    return summary
