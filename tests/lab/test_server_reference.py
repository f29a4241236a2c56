"""The shared ``local_endpoint`` fixture with the real reference model behind it."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
from adeptai_sagemaker_lab.reference_model import ReferenceModel  # noqa: E402,F401  (part of the package: must import)

from adeptai_sagemaker.capabilities import schemas
from adeptai_sagemaker.core.prompting import render  # noqa: E402
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS  # noqa: E402

SPEC = next(t for t in BUILTIN_TASKS if t.name == "job_parser")
JD = ("Senior Python Engineer. 5+ years of Python, AWS and PostgreSQL required; Kubernetes is a plus. "
      "Remote within the US. Salary $150,000 - $180,000.")


@pytest.fixture(scope="module")
def prompt():
    return render(SPEC.name, SPEC.template, SPEC.variables(schemas.JobParserInput(job_description=JD)),
                  output_schema=SPEC.output_model.model_json_schema())


def _check(text: str) -> None:
    """The answer is schema-valid and read the job description (not a canned reply)."""
    out = SPEC.output_model.model_validate(json.loads(text))
    assert "Python" in out.mandatory_skills and "AWS" in out.mandatory_skills, out


def test_reference_model_through_tgi_and_lmi(local_endpoint, prompt):
    rt = local_endpoint.client()
    resp = rt.invoke_endpoint(EndpointName="ref-tgi", ContentType="application/json",
                              Body=json.dumps({"inputs": prompt.text, "parameters": {"max_new_tokens": 4096}}))
    assert resp["CustomAttributes"].startswith("model_version=reference-model/")
    _check(json.loads(resp["Body"].read())[0]["generated_text"])
    resp = rt.invoke_endpoint(EndpointName="ref-lmi", ContentType="application/json",
                              Body=json.dumps({"inputs": prompt.text}))
    _check(json.loads(resp["Body"].read())["generated_text"])


def test_reference_model_through_messages_stream(local_endpoint, prompt):
    rt = local_endpoint.client()
    payload = {"messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
               "stream": True}
    resp = rt.invoke_endpoint_with_response_stream(EndpointName="ref-messages", ContentType="application/json",
                                                   Body=json.dumps(payload))
    data = b"".join(ev["PayloadPart"]["Bytes"] for ev in resp["Body"]).decode()
    chunks = [json.loads(b[5:]) for b in data.split("\n\n") if b.strip() and b.strip() != "data: [DONE]"]
    _check("".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]))


def test_unusable_prompt_is_a_400_model_error(local_endpoint):
    rt = local_endpoint.client()
    with pytest.raises(rt.exceptions.ModelError) as ei:
        rt.invoke_endpoint(EndpointName="ref-tgi", ContentType="application/json",
                           Body=json.dumps({"inputs": "hello there"}))
    assert ei.value.response["OriginalStatusCode"] == 400
