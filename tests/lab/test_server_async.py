"""InvokeEndpointAsync against the local endpoint, with S3 provided in-process by moto."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")
moto = pytest.importorskip("moto", reason="async inference tests need moto (dev extra)")

import boto3  # noqa: E402

BUCKET = "adeptai-async-test"


class FixedBackend:
    version = "fixed-async"

    def generate(self, prompt_text: str, params: dict) -> str:
        return '{"ok": true}'


#: The ``endpoint`` fixture (tests/conftest.py). The server makes its S3 client per request, so each test's moto
#: (``aws``) serves it.
LOCAL_ENDPOINT = {"endpoints": {"bulk": "lmi"}, "default_dialect": None, "backend": FixedBackend}


@pytest.fixture
def aws(aws_env):
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def _async_done(endpoint) -> int:
    """How many async invocations of ``bulk`` the server has finished (it counts one after writing its object)."""
    outcomes = endpoint.stats()["endpoints"].get("bulk", {}).get("outcomes", {})
    return sum(n for kind, n in outcomes.items() if kind.startswith("async_"))


def _wait_for(endpoint, s3, uri: str, done_before: int, timeout: float = 5.0) -> dict:
    """The object at ``uri`` once the server has finished the invocation started after ``done_before``.

    Not as soon as the key appears: moto stores a key before its headers (``ContentType``, ``Metadata``;
    moto/s3/responses.py ``_key_response_put``), so a reader polling beside the write can see moto's
    defaults (``binary/octet-stream``). The server counts an outcome only after its ``put_object`` returned.
    """
    deadline = time.monotonic() + timeout
    while _async_done(endpoint) <= done_before:
        if time.monotonic() > deadline:
            raise AssertionError(f"the invocation writing {uri} did not finish within {timeout}s")
        time.sleep(0.02)
    bucket, key = uri[5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)


def test_async_invocation_writes_output_to_s3(aws, endpoint):
    aws.put_object(Bucket=BUCKET, Key="in/req.json", Body=json.dumps({"inputs": "q", "parameters": {"details": True}}))
    rt = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")
    done = _async_done(endpoint)
    resp = rt.invoke_endpoint_async(EndpointName="bulk", InputLocation=f"s3://{BUCKET}/in/req.json",
                                    ContentType="application/json", InferenceId="job-42")
    # moto let the loopback call through: the answer came from our server, not moto's sagemaker-runtime mock.
    assert resp["ResponseMetadata"]["HTTPHeaders"]["server"] == "uvicorn"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["InferenceId"] == "job-42"
    assert resp["OutputLocation"].startswith(f"s3://{BUCKET}/async-output/")
    assert resp["OutputLocation"].endswith(".out")
    assert resp["FailureLocation"].startswith(f"s3://{BUCKET}/async-failures/")
    obj = _wait_for(endpoint, aws, resp["OutputLocation"], done)
    body = json.loads(obj["Body"].read())
    assert body["generated_text"] == '{"ok": true}'
    assert body["details"]["finish_reason"] == "eos_token"
    assert obj["ContentType"] == "application/json"
    assert obj["Metadata"]["model_version"] == "fixed-async"
    assert endpoint.stats()["endpoints"]["bulk"]["outcomes"] == {"async_ok": 1}


def test_async_failure_goes_to_failure_location(aws, endpoint):
    aws.put_object(Bucket=BUCKET, Key="in/req.json", Body=b'{"inputs": "q"}')
    endpoint.set_faults("bulk", kind="model_error", original_status=400, message="bad input")
    rt = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")
    done = _async_done(endpoint)
    resp = rt.invoke_endpoint_async(EndpointName="bulk", InputLocation=f"s3://{BUCKET}/in/req.json")
    failure = json.loads(_wait_for(endpoint, aws, resp["FailureLocation"], done)["Body"].read())
    assert failure["code"] == "ModelError" and failure["OriginalStatusCode"] == 400
    bucket, key = resp["OutputLocation"][5:].split("/", 1)
    assert "Contents" not in aws.list_objects_v2(Bucket=bucket, Prefix=key)


def test_async_missing_input_object_fails_asynchronously(aws, endpoint):
    rt = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")
    done = _async_done(endpoint)
    resp = rt.invoke_endpoint_async(EndpointName="bulk", InputLocation=f"s3://{BUCKET}/in/missing.json")
    failure = json.loads(_wait_for(endpoint, aws, resp["FailureLocation"], done)["Body"].read())
    assert failure["code"] == "ValidationError"


def test_async_validation_errors(aws, endpoint):
    rt = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1")
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint_async(EndpointName="bulk", InputLocation="https://example.com/x.json")
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint_async(EndpointName="other", InputLocation=f"s3://{BUCKET}/in/x.json")
