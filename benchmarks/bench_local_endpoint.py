"""Raw boto3 round trips against the local endpoint (run: pytest benchmarks/bench_local_endpoint.py).

Target: median <= 2 ms for ``invoke_endpoint`` with a small reference-model answer
on loopback. The "stub" case measures transport only (SigV4 signing, HTTP,
botocore parsing) with a constant answer; "reference" adds the reference model.
Before TCP_NODELAY was forced on the server side, every call took ~44 ms
(Nagle holding uvicorn's body write for the client's delayed ACK).
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytest_benchmark", reason="needs pytest-benchmark (bench/dev extra)")
pytest.importorskip("starlette", reason="needs the 'serve' extra")

from adeptai_sagemaker_lab.server import LocalEndpoint  # noqa: E402


class StubBackend:
    version = "stub-bench"

    def generate(self, prompt_text: str, params: dict) -> str:
        return '{"expanded_terms": ["python", "django"], "confidence": 0.8}'


def _reference_prompt() -> str:
    from adeptai_sagemaker.capabilities import schemas
    from adeptai_sagemaker.core.prompting import render
    from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS

    spec = next(t for t in BUILTIN_TASKS if t.name == "query_enhancer")
    rendered = render(spec.name, spec.template, spec.variables(schemas.QueryEnhancerInput(query="senior python developer")),
                      output_schema=spec.output_model.model_json_schema())
    return rendered.text


def _backend(kind: str):
    if kind == "stub":
        return StubBackend(), "senior python developer"
    from adeptai_sagemaker_lab.server import ReferenceBackend  # ships with the lab: its absence must fail

    return ReferenceBackend(), _reference_prompt()


@pytest.mark.parametrize("kind", ["stub", "reference"])
def test_bench_invoke_endpoint_raw_boto3(benchmark, kind):
    backend, prompt = _backend(kind)
    with LocalEndpoint({"bench": "tgi"}, default_dialect=None, backend=backend) as ep:
        rt = ep.client()
        body = json.dumps({"inputs": prompt, "parameters": {"max_new_tokens": 512}}).encode()

        def call():
            resp = rt.invoke_endpoint(EndpointName="bench", Body=body, ContentType="application/json")
            return resp["Body"].read()

        json.loads(call())  # warm the connection pool and the backend
        result = benchmark.pedantic(call, rounds=300, iterations=1, warmup_rounds=20)
        assert json.loads(result)[0]["generated_text"]
    benchmark.extra_info["median_ms"] = round(benchmark.stats.stats.median * 1000, 3)


def test_bench_stream_round_trip(benchmark):
    with LocalEndpoint({"bench": "tgi"}, default_dialect=None, backend=StubBackend()) as ep:
        rt = ep.client()
        body = json.dumps({"inputs": "q", "stream": True}).encode()

        def call():
            resp = rt.invoke_endpoint_with_response_stream(EndpointName="bench", Body=body,
                                                           ContentType="application/json")
            return sum(len(ev["PayloadPart"]["Bytes"]) for ev in resp["Body"])

        call()
        assert benchmark.pedantic(call, rounds=200, iterations=1, warmup_rounds=10) > 0
