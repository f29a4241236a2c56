"""``batch --engine transform``: bulk work on SageMaker Batch Transform, resumable, each id once.

The same contract as ``ops/batch.py`` (one output line per input record,
``{"id", "output"}`` or ``{"id", "error"}``), on SageMaker's engine for
offline work instead of an endpoint's real-time path:

1. The input (``s3://`` JSONL: the capability's input per line plus an
   optional ``id``) is read with ``ops.batch.read_records``; records not yet
   in the output are taken in chunks of ``chunk_size``.
2. Each record is validated and rendered exactly as the real-time pipeline
   renders it (``pipeline.render_prompt``), then encoded into the codec's
   request body: one body per line of a JSONL object on S3. A record that
   fails here gets its error line at once and is not sent.
3. ``CreateTransformJob`` runs the chunk with ``SplitType=Line`` (each line
   one request to the container's ``/invocations``), ``BatchStrategy=
   SingleRecord`` and ``AssembleWith=Line`` (the answers in input order, one
   per line); its progress is followed with ``DescribeTransformJob``.
4. Every answer line is decoded by the codec, parsed and validated against
   the output schema, and joined to its record's id by position; a line that
   does not decode or validate becomes an error object for that record alone.

Resumable: the job name is a hash of the chunk's ids, so a rerun after a kill
finds the job it had started (and waits for it) instead of paying for it
twice; every finished chunk is its own ``<output>.parts/<job>.jsonl`` object,
and the output object is assembled from the parts at the end of every run.
Ids already in a part are never sent again. A job that ended ``Failed`` or
``Stopped`` stops the run before its chunk's part is written, so none of its
records counts as done; the rerun sends them again as a new job
(``<job>-r1``, ``-r2``, ...: SageMaker never reuses a job name).

Where the job runs: on AWS, SageMaker runs it. moto keeps only a transform
job's metadata, so for local runs and tests ``executor`` (the lab's
``adeptai_sagemaker_lab.transform``) is called after ``CreateTransformJob``
and performs the job's contract against a local endpoint.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from adeptai_sagemaker.core import pipeline
from adeptai_sagemaker.core.errors import AdeptSageMakerError, ConfigurationError
from adeptai_sagemaker.core.structured import OutputParseError, parse_output
from adeptai_sagemaker.ops.batch import _id_key, check_unique_ids, read_records
from adeptai_sagemaker.student.capture import split_s3

DEFAULT_CHUNK = 10_000
TERMINAL = ("Completed", "Failed", "Stopped")
Executor = Callable[[dict], None]
"""``executor(create_transform_job_request)``: runs the job where AWS would (the lab's local transform)."""


@dataclass
class TransformSummary:
    total: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    jobs: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.succeeded + self.failed


def _error(record_id: Any, code: str, message: str) -> dict:
    return {"id": record_id, "error": {"code": code, "message": message[:500]}}


def transform_job_name(capability: str, ids: list[str]) -> str:
    digest = hashlib.sha256((capability + "\n" + "\n".join(ids)).encode()).hexdigest()[:16]
    return f"{capability.replace('_', '-')}-transform-{digest}"


def model_for_endpoint(sm: Any, endpoint: str) -> str:
    """The SageMaker Model behind an endpoint (its first production variant's), which a transform job runs."""
    config = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    variants = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
    return variants[0]["ModelName"]


class TransformRun:
    """One ``batch --engine transform`` run (see the module docstring)."""

    def __init__(self, framework: Any, capability: str, input_uri: str, output_uri: str, *, sm: Any, s3: Any,
                 model_name: str, instance_type: str = "ml.g5.xlarge", instance_count: int = 1,
                 chunk_size: int = DEFAULT_CHUNK, executor: Optional[Executor] = None,
                 sleep: Callable[[float], None] = time.sleep, poll_s: float = 30.0,
                 on_progress: Optional[Callable[[int, int, str], None]] = None):
        if chunk_size < 1:
            raise ConfigurationError("--chunk-size must be at least 1")
        self.fw, self.capability = framework, capability
        self.route = framework.route(capability)
        self.codec = framework.sagemaker.codec(self.route.target.codec)
        self.input_uri, self.output_uri = input_uri, output_uri
        self.out_bucket, self.out_key = split_s3(output_uri)
        self.sm, self.s3, self.model_name = sm, s3, model_name
        self.instance_type, self.instance_count, self.chunk_size = instance_type, instance_count, chunk_size
        self.executor, self.sleep, self.poll_s, self.on_progress = executor, sleep, poll_s, on_progress

    # ------------------------------------------------------------------ S3 layout

    def _parts_prefix(self) -> str:
        return f"{self.out_key}.parts/"

    def _work_prefix(self, job: str) -> str:
        return f"{self.out_key}.work/{job}"

    def _done(self) -> tuple[set[str], list[str]]:
        """Ids in the finished parts, and the part keys in name order."""
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.out_bucket,
                                                                     Prefix=self._parts_prefix()):
            keys += [item["Key"] for item in page.get("Contents", [])]
        done: set[str] = set()
        for key in sorted(keys):
            for line in self._read(self.out_bucket, key).splitlines():
                if line.strip():
                    done.add(_id_key(json.loads(line)["id"]))
        return done, sorted(keys)

    def _read(self, bucket: str, key: str) -> str:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ the run

    def run(self) -> TransformSummary:
        in_bucket, in_key = split_s3(self.input_uri)
        with tempfile.TemporaryDirectory(prefix="adeptai-transform-") as tmp:
            source = Path(tmp) / "input.jsonl"
            self.s3.download_file(in_bucket, in_key, str(source))
            summary = TransformSummary(total=check_unique_ids(source))
            done, _ = self._done()
            chunk: list = []
            written = len(done)
            self._progress(written, summary.total, "starting")
            for record in read_records(source):
                if _id_key(record.id) in done:
                    summary.skipped += 1
                    continue
                chunk.append(record)
                if len(chunk) >= self.chunk_size:
                    written += self._chunk(chunk, summary, written)
                    chunk = []
            if chunk:
                written += self._chunk(chunk, summary, written)
        self._assemble()
        return summary

    def _progress(self, done: int, total: int, status: str) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, status)

    def _chunk(self, records: list, summary: TransformSummary, written_before: int) -> int:
        spec = self.route.spec
        lines: list[Optional[dict]] = []
        sent: list[tuple[int, Any, Any]] = []  # (position in lines, id, prompt)
        bodies: list[bytes] = []
        for record in records:
            if record.problem is not None:
                lines.append(_error(record.id, *record.problem))
                continue
            try:
                request = self.fw.coerce(self.capability, record.request)
                prompt = pipeline.render_prompt(self.route, request)
                body = self.codec.encode(prompt, self.route.params)
            except AdeptSageMakerError as exc:
                lines.append(_error(record.id, exc.code, str(exc)))
                continue
            if b"\n" in body:  # SplitType=Line: a body must be one line (JSON encoders never emit raw newlines)
                lines.append(_error(record.id, "encode_failed", "the request body spans several lines"))
                continue
            sent.append((len(lines), record.id, prompt))
            lines.append(None)
            bodies.append(body)
        job = transform_job_name(self.capability, [_id_key(r.id) for r in records])
        if bodies:
            ran, answers = self._transform(job, bodies, summary.total, written_before)
            for (position, record_id, prompt), answer in zip(sent, answers + [None] * (len(sent) - len(answers))):
                lines[position] = self._decode(record_id, answer, prompt, spec.output_model)
        for line in lines:
            if "error" in line:
                summary.failed += 1
                summary.errors[line["error"]["code"]] = summary.errors.get(line["error"]["code"], 0) + 1
            else:
                summary.succeeded += 1
        body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        self.s3.put_object(Bucket=self.out_bucket, Key=f"{self._parts_prefix()}{job}.jsonl", Body=body.encode())
        summary.jobs.append(ran if bodies else job)
        self._progress(written_before + len(lines), summary.total, f"{job} written")
        return len(lines)

    def _decode(self, record_id: Any, answer: Optional[str], prompt: Any, output_model: type) -> dict:
        if answer is None:
            return _error(record_id, "no_output", "the transform job returned no line for this record")
        try:
            completion = self.codec.decode(answer.encode("utf-8"), prompt)
            output = parse_output(completion.text, output_model)
        except OutputParseError as exc:
            return _error(record_id, "invalid_output", str(exc))
        except AdeptSageMakerError as exc:
            return _error(record_id, exc.code, str(exc))
        except Exception as exc:  # one odd line costs one record, never the run
            return _error(record_id, "decode_failed", type(exc).__name__)
        return {"id": record_id, "output": output.model_dump(mode="json")}

    def _attempt(self, job: str) -> tuple[str, Optional[str]]:
        """The chunk's job name to use and its status: the first attempt that did not end Failed or Stopped."""
        name, retry = job, 0
        while True:
            status = self._status(name)
            if status not in ("Failed", "Stopped"):
                return name, status
            retry += 1
            name = f"{job}-r{retry}"

    def _transform(self, chunk_job: str, bodies: list[bytes], total: int, written_before: int) -> tuple[str, list[str]]:
        """Run (or find) the job for these bodies; its name and output lines, in input order."""
        job, status = self._attempt(chunk_job)
        work = self._work_prefix(job)
        input_key, output_prefix = f"{work}/input/records.jsonl", f"{work}/output"
        request = {
            "TransformJobName": job,
            "ModelName": self.model_name,
            "BatchStrategy": "SingleRecord",
            "MaxPayloadInMB": 6,
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{self.out_bucket}/{input_key}"}},
                "ContentType": self.codec.content_type, "SplitType": "Line", "CompressionType": "None"},
            "TransformOutput": {"S3OutputPath": f"s3://{self.out_bucket}/{output_prefix}", "AssembleWith": "Line",
                                "Accept": self.codec.accept},
            "TransformResources": {"InstanceType": self.instance_type, "InstanceCount": self.instance_count},
            "Tags": [{"Key": "adeptai-sagemaker:capability", "Value": self.capability}],
        }
        if status is None:
            self.s3.put_object(Bucket=self.out_bucket, Key=input_key, Body=b"\n".join(bodies) + b"\n")
            self.sm.create_transform_job(**request)
            if self.executor is not None:
                self.executor(request)
        elif self.executor is not None and not self._has_output(output_prefix):
            self.executor(request)  # the job was created by a run killed before the local engine finished it
        while True:
            status = self._status(job)
            self._progress(written_before, total, f"{job} {status}")
            if status in TERMINAL:
                break
            self.sleep(self.poll_s)
        if status != "Completed":
            raise AdeptSageMakerError(f"transform job {job} ended {status}; its {len(bodies)} records are not "
                                      "written: rerun to send them again as a new job", code=f"Transform{status}")
        text = self._read(self.out_bucket, f"{output_prefix}/records.jsonl.out")
        return job, text.splitlines()

    def _has_output(self, output_prefix: str) -> bool:
        listed = self.s3.list_objects_v2(Bucket=self.out_bucket, Prefix=f"{output_prefix}/records.jsonl.out")
        return bool(listed.get("KeyCount"))

    def _status(self, job: str) -> Optional[str]:
        try:
            return self.sm.describe_transform_job(TransformJobName=job)["TransformJobStatus"]
        except Exception as exc:
            if "ValidationException" in str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) \
                    or "not found" in str(exc).lower() or "Could not find" in str(exc):
                return None
            raise

    def _assemble(self) -> None:
        """The output object: every part's lines, in part-name order (idempotent; rerun after any kill)."""
        _, keys = self._done()
        body = "".join(self._read(self.out_bucket, key) for key in keys)
        self.s3.put_object(Bucket=self.out_bucket, Key=self.out_key, Body=body.encode("utf-8"))
