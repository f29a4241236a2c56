"""SageMaker's OpenAI-compatible route end to end: CLI -> framework -> bearer token -> real HTTP -> local endpoint.

The local endpoint records what it received (path, bearer token present and well formed, JSON body),
so these tests assert the wire, not the client's intentions.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")

from adeptai_sagemaker.core import errors as E
from adeptai_sagemaker.backends.sagemaker.bearer import BearerTokenProvider, mint_token  # noqa: E402
from adeptai_sagemaker.cli import cli  # noqa: E402
from adeptai_sagemaker_lab.server import LocalEndpoint  # noqa: E402
from adeptai_sagemaker_lab.server.openai_route import BearerRejected, check_bearer  # noqa: E402
from adeptai_sagemaker.backends.sagemaker.sessions import prefix_aware_id  # noqa: E402
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS  # noqa: E402
from support.reliability import (CannedModel, framework_for, legacy_for, request_for,  # noqa: E402
                                 settings_for)

DEMO_EP = "adeptai-job-parser-demo"
JOB = {"job_description": "Senior Python engineer, 5+ years, AWS required. Remote."}
JOB_SCHEMA = next(t for t in BUILTIN_TASKS if t.name == "job_parser").schema


@pytest.fixture(scope="module")
def server():
    endpoints = {DEMO_EP: "tgi", "ic-ep": {"dialect": "tgi", "inference_components": ["ic-a"]},
                 "adeptai-ic-demo": {"dialect": "tgi", "inference_components": ["ic-jp"]}}
    with LocalEndpoint(endpoints, default_dialect="tgi", backend=CannedModel()) as ep:
        yield ep


@pytest.fixture
def env(monkeypatch, aws_env, tmp_path, server):
    # the autouse fixtures already cleared SAGEMAKER_*/AWS_* and pointed the state dir and HOME at temp folders:
    # deleting every ADEPTAI_SAGEMAKER_* here sent this test's evidence to the user's real state store
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    server.app.state.openai_requests.clear()
    server.reset()
    return monkeypatch


def run_cli(url):
    return CliRunner().invoke(cli, ["run", "job_parser", "--endpoint-url", url], input=json.dumps(JOB),
                              catch_exceptions=False)


def received(server):
    return list(server.app.state.openai_requests)


# ---------------------------------------------------------------- the "Done when" lines


def test_cli_run_sends_a_bearer_chat_completion_with_json_schema_and_prints_validated_output(env, server):
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", DEMO_EP)
    env.setenv("SAGEMAKER_JOB_PARSER_CODEC", "openai")
    result = run_cli(server.url)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["mandatory_skills"] == ["Python", "AWS"] and out["provenance"] == "canned"
    [req] = received(server)
    assert req["path"] == f"/endpoints/{DEMO_EP}/openai/v1/chat/completions"
    assert req["bearer"] is True  # present and shaped like SageMaker's token generator's output
    body = req["body"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": JOB_SCHEMA, "strict": True}}
    assert "model" not in body and not any(k.startswith("guided_") for k in body)
    assert server.stats()["endpoints"][DEMO_EP]["outcomes"] == {"ok": 1}


def test_with_an_inference_component_the_path_names_it(env, server):
    env.setenv("SAGEMAKER_JOB_PARSER_CODEC", "openai")
    env.setenv("SAGEMAKER_JOB_PARSER_INFERENCE_COMPONENT", "ic-jp")
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", "adeptai-ic-demo")
    result = run_cli(server.url)
    assert result.exit_code == 0, result.output
    [req] = received(server)
    assert req["path"] == "/endpoints/adeptai-ic-demo/inference-components/ic-jp/openai/v1/chat/completions"
    assert req["component"] == "ic-jp" and req["bearer"] is True


def test_grammar_can_be_turned_off_for_the_openai_codec(env, server):
    env.setenv("SAGEMAKER_JOB_PARSER_ENDPOINT", DEMO_EP)
    env.setenv("SAGEMAKER_JOB_PARSER_CODEC", "openai")
    env.setenv("SAGEMAKER_JOB_PARSER_GRAMMAR", "false")
    assert run_cli(server.url).exit_code == 0
    assert "response_format" not in received(server)[0]["body"]


# ---------------------------------------------------------------- framework-level behaviour


def framework(server, tmp_path, **cap_options):
    settings = settings_for(endpoint_url=server.url, capabilities=["job_parser"], endpoint_of=lambda c: "ic-ep",
                            cap_options={"codec": "openai", "inference_component": "ic-a", "max_attempts": 3,
                                         "max_reasks": 0, **cap_options},
                            cache_dir=tmp_path / "c", adeptai_sagemaker_breaker_failures=3)
    return framework_for(settings)


def call(fw):
    return fw.call("job_parser", request_for("job_parser", "Python engineer, AWS"), legacy=legacy_for("job_parser"))


def test_streaming_sends_stream_options_and_reads_usage_from_the_last_chunk(env, server, tmp_path):
    fw, rec = framework(server, tmp_path, stream=True)
    out = call(fw)
    assert not out.from_legacy and out.value.provenance == "canned"
    body = received(server)[0]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    record = rec.calls[-1]
    assert record.outcome == "success" and record.input_tokens > 0 and record.output_tokens > 0


def test_prefix_aware_sends_prompt_cache_key_from_the_fixed_prefix(env, server, tmp_path):
    fw, _ = framework(server, tmp_path, prefix_aware=True)
    for text in ("Python engineer, AWS", "Data analyst, SQL"):
        fw.call("job_parser", request_for("job_parser", text), legacy=legacy_for("job_parser"))
    keys = [r["body"].get("prompt_cache_key") for r in received(server)]
    assert keys[0] == keys[1] and keys[0].startswith("adeptai-") and len(keys[0]) <= 64
    assert "Python" not in keys[0]


@pytest.mark.parametrize("fault,reason,requests", [
    ({"kind": "model_not_ready"}, "endpoint_cold", 1),
    ({"kind": "no_capacity"}, "endpoint_cold", 1),
    ({"kind": "throttle", "status": 429}, "throttled", 3),
    ({"kind": "service_unavailable"}, "service_unavailable", 3),
])
def test_route_errors_map_into_the_invoke_endpoint_taxonomy(env, server, tmp_path, fault, reason, requests):
    fw, rec = framework(server, tmp_path)
    server.set_faults("ic-ep", **fault)
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == reason
    assert len(received(server)) == requests  # cold: one attempt; transient: up to max_attempts


def test_read_timeout_on_the_route_is_typed_and_retried_within_the_bound(env, server, tmp_path):
    fw, rec = framework(server, tmp_path, read_timeout=0.2, max_attempts=2)
    server.set_faults("ic-ep", kind="read_timeout", sleep_s=0.6)
    assert call(fw).from_legacy
    assert rec.calls[-1].fallback_reason == "read_timeout" and len(received(server)) == 2
    assert [i.error_code for i in rec.invocations] == ["ReadTimeout", "ReadTimeout"]


def test_container_rejection_is_a_model_error_with_the_containers_status(env, server, tmp_path):
    fw, _ = framework(server, tmp_path, max_tokens=1)
    from adeptai_sagemaker.backends.base import Target

    runtime = fw.sagemaker.runtime_for(Target("job_parser", "ic-ep"))
    with pytest.raises(E.ModelError) as info:
        runtime.invoke_openai("ic-ep", b'{"messages": "not a list"}', inference_component="ic-a")
    assert info.value.original_status_code == 400 and info.value.reason == "model_error_4xx"
    assert not info.value.retryable and info.value.attempts == 1


def test_the_token_never_reaches_the_logs(env, server, tmp_path, caplog):
    fw, _ = framework(server, tmp_path)
    with caplog.at_level(logging.DEBUG):
        call(fw)
        server.set_faults("ic-ep", kind="throttle", status=429, count=1)
        call(fw)
    from adeptai_sagemaker.backends.base import Target

    provider = fw.sagemaker.runtime_for(Target("job_parser", "ic-ep")).bearer
    token = provider.token()
    assert provider.minted == 1  # cached across calls and retries
    assert token not in caplog.text and token[18:40] not in caplog.text
    assert token not in repr(provider) and "testing" not in repr(provider)


# ---------------------------------------------------------------- the route's own checks


def post(url, headers):
    request = urllib.request.Request(url, data=b'{"messages":[{"role":"user","content":"hi"}]}',
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_local_route_requires_a_bearer_token(server):
    url = f"{server.url}/endpoints/{DEMO_EP}/openai/v1/chat/completions"
    assert post(url, {})[0] == 401
    assert post(url, {"Authorization": "Bearer not-a-sagemaker-token"})[0] == 403
    from botocore.credentials import Credentials

    status, body = post(url, {"Authorization": "Bearer " + mint_token(Credentials("AKIDEXAMPLE", "s"), "us-east-1")})
    assert status == 200 and body["object"] == "chat.completion" and body["choices"][0]["message"]["content"]


# ---------------------------------------------------------------- token minting (bearer.py)


def test_token_is_the_documented_presigned_call_with_bearer_token_request():
    from botocore.credentials import Credentials

    token = mint_token(Credentials("AKIDEXAMPLE", "secret", "session-tok"), "eu-west-1", 3600)
    assert token.startswith("sagemaker-api-key-")
    url = base64.b64decode(token[len("sagemaker-api-key-"):]).decode()
    parts = urlsplit("https://" + url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "sagemaker.amazonaws.com" and url.endswith("&Version=1")
    assert query["Action"] == "CallWithBearerToken" and query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/") and "/eu-west-1/sagemaker/aws4_request" in query[
        "X-Amz-Credential"]
    assert query["X-Amz-Expires"] == "3600" and len(query["X-Amz-Signature"]) == 64
    assert query["X-Amz-Security-Token"] == "session-tok"
    check_bearer("Bearer " + token)  # the local route accepts it
    with pytest.raises(E.ConfigurationError):
        mint_token(Credentials("a", "b"), "us-east-1", 43_201)  # over the documented 12 h


def test_provider_caches_then_refreshes_before_expiry_and_an_expired_token_is_refused():
    from botocore.credentials import Credentials

    now = [1_800_000_000.0]
    calls = []

    def creds():
        calls.append(1)
        return Credentials("AKIDEXAMPLE", "secret")

    provider = BearerTokenProvider(creds, "us-east-1", lifetime_s=900, refresh_margin_s=60, clock=lambda: now[0])
    first = provider.token()
    now[0] += 839
    assert provider.token() == first and provider.minted == 1
    now[0] += 1  # within the refresh margin
    assert provider.minted == 1 and provider.token() is not None and provider.minted == 2 and len(calls) == 2
    with pytest.raises(BearerRejected) as info:
        check_bearer("Bearer " + mint_token(Credentials("AKIDEXAMPLE", "s"), "us-east-1", 60), now=4_102_444_800)
    assert info.value.status == 403 and "expired" in info.value.message
    with pytest.raises(E.ConfigurationError) as missing:
        BearerTokenProvider(lambda: None, "us-east-1").token()
    assert missing.value.reason == "auth"


def test_prefix_aware_id_ignores_the_data_blocks():
    from adeptai_sagemaker.core.prompting import render

    spec = next(t for t in BUILTIN_TASKS if t.name == "job_parser")
    a = render("job_parser", spec.template, spec.variables(spec.input_model(job_description="Python, AWS")))
    b = render("job_parser", spec.template, spec.variables(spec.input_model(job_description="Nurse, ICU")))
    assert prefix_aware_id(a) == prefix_aware_id(b) and len(prefix_aware_id(a)) == 40
