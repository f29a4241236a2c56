"""The Batch Transform contract, run locally: what SageMaker does with a ``CreateTransformJob`` request.

moto records a transform job's metadata and nothing else, so local runs and
tests hand ``ops.transform.TransformRun`` this executor. It does what the
service does for ``SplitType=Line``, ``BatchStrategy=SingleRecord`` and
``AssembleWith=Line``: every object under the input prefix is split by line,
each line is sent (real HTTP, SigV4-signed by boto3's ``sagemaker-runtime``
client, as the local endpoint requires) to the model, here the local
endpoint serving ``endpoint_name``, and the answers are written, one line each in
input order, to ``<S3OutputPath>/<input object name>.out``. A record the
container fails is an error line in the output (a JSON body with ``error``),
which the product side decodes into that record's error object.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from adeptai_sagemaker.student.capture import split_s3


class LocalTransform:
    """``executor(request)`` for ``TransformRun``: the transform contract against a local endpoint.

    ``runtime`` is a ``sagemaker-runtime`` client whose ``endpoint_url`` is the local endpoint's.
    """

    def __init__(self, s3: Any, runtime: Any, endpoint_name: str):
        self.s3, self.runtime, self.endpoint_name = s3, runtime, endpoint_name
        self.records = 0

    def _invoke(self, body: bytes, content_type: str, accept: str) -> str:
        try:
            response = self.runtime.invoke_endpoint(EndpointName=self.endpoint_name, Body=body,
                                                    ContentType=content_type, Accept=accept)
            text = response["Body"].read().decode("utf-8", errors="replace")
        except ClientError as exc:  # the container failed this record: its line says so
            return json.dumps({"error": exc.response.get("Error", {}).get("Code", "ClientError")})
        try:  # AssembleWith=Line: one answer per line, so a pretty-printed body is compacted
            return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            return text.replace("\n", " ")

    def __call__(self, job: dict) -> None:
        source = job["TransformInput"]
        bucket, prefix = split_s3(source["DataSource"]["S3DataSource"]["S3Uri"])
        out_bucket, out_prefix = split_s3(job["TransformOutput"]["S3OutputPath"])
        content_type = source.get("ContentType", "application/json")
        accept = job["TransformOutput"].get("Accept", "application/json")
        listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        for item in listed:
            lines = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines()
            answers = []
            for line in lines:
                if line.strip():
                    answers.append(self._invoke(line, content_type, accept))
                    self.records += 1
            name = item["Key"].rsplit("/", 1)[-1]
            key = f"{out_prefix}/{name}.out" if out_prefix else f"{name}.out"
            self.s3.put_object(Bucket=out_bucket, Key=key, Body=("\n".join(answers) + "\n").encode("utf-8"))
