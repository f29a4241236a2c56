"""``serve``'s contract: what the reference model answers, what it refuses and why, which names it serves."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")

from adeptai_sagemaker.capabilities import schemas
from adeptai_sagemaker.cli import cli  # noqa: E402
from adeptai_sagemaker.core.prompting import render  # noqa: E402
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS  # noqa: E402

SPEC = next(t for t in BUILTIN_TASKS if t.name == "job_parser")


def _prompt() -> str:
    request = schemas.JobParserInput(job_description="Senior Python engineer, AWS required. Remote.")
    return render(SPEC.name, SPEC.template, SPEC.variables(request),
                  output_schema=SPEC.output_model.model_json_schema()).text


def test_a_plain_prompt_gets_a_400_that_states_the_contract(local_endpoint):
    rt = local_endpoint.client()
    with pytest.raises(rt.exceptions.ModelError) as info:
        rt.invoke_endpoint(EndpointName="ref-tgi", ContentType="application/json",
                           Body=json.dumps({"inputs": "Summarize this resume please."}))
    response = info.value.response
    assert response["OriginalStatusCode"] == 400
    message = response["OriginalMessage"]
    assert "reference model" in message and "'### TASK: <capability>'" in message and "<<<DATA name>>>" in message
    assert "adeptai-sagemaker run" in message and "real model" in message
    assert "Summarize this resume" not in message  # the prompt is never echoed


def test_serve_help_documents_the_contract_and_the_names_served():
    text = " ".join(CliRunner().invoke(cli, ["serve", "--help"]).output.split())
    assert "'### TASK: <capability>'" in text and "400" in text
    assert "only the names given are served" in text and "not found" in text


@pytest.fixture(scope="module")
def served(free_port):
    """``adeptai-sagemaker serve --endpoint adeptai-job-parser=lmi`` as a user starts it."""
    port = free_port()
    exe = Path(sys.executable).parent / "adeptai-sagemaker"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port),
                             "--endpoint", "adeptai-job-parser=lmi", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # a subprocess's start-up has no clock to inject: poll the port
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _client(url: str):
    import boto3

    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="LOCALENDPOINT", aws_secret_access_key="LOCALENDPOINT")


def test_serve_refuses_endpoint_names_never_configured(served):
    rt = _client(served)
    with pytest.raises(rt.exceptions.ValidationError, match="Endpoint adeptai-typo-parser .*not found"):
        rt.invoke_endpoint(EndpointName="adeptai-typo-parser", ContentType="application/json",
                           Body=json.dumps({"inputs": _prompt()}))
    ok = rt.invoke_endpoint(EndpointName="adeptai-job-parser", ContentType="application/json",
                            Body=json.dumps({"inputs": _prompt()}))
    answer = json.loads(json.loads(ok["Body"].read())["generated_text"])  # lmi's body shape
    assert "Python" in SPEC.output_model.model_validate(answer).mandatory_skills
