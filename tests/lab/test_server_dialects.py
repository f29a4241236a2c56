"""Every dialect through a real boto3 client over loopback, streamed and not."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from adeptai_sagemaker_lab.server import BackendInputError, LocalEndpoint  # noqa: E402
from adeptai_sagemaker_lab.server.tokens import count_tokens, tokenize  # noqa: E402

ANSWER = 'The answer: {"city": "Paris", "score": 7}. STOP then more words!'


class RecordingBackend:
    """Fixed answer; remembers what it was asked; rejects prompts containing UNUSABLE."""

    version = "stub-7"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def generate(self, prompt_text: str, params: dict) -> str:
        self.calls.append((prompt_text, params))
        if "UNUSABLE" in prompt_text:
            raise BackendInputError("prompt has no task header")
        return ANSWER


@pytest.fixture(scope="module")
def backend():
    return RecordingBackend()


LOCAL_ENDPOINT = {  # the ``endpoint`` fixture (tests/conftest.py), answered by the ``backend`` fixture
    "endpoints": {"tgi-ep": "tgi", "lmi-ep": "lmi", "chat-ep": "messages", "js-ep": "jumpstart", "custom-ep": "custom"},
    "default_dialect": None, "backend": "backend",
}


@pytest.fixture(scope="module")
def rt(endpoint):
    return endpoint.client()


def invoke(rt, name, payload, **kw):
    resp = rt.invoke_endpoint(EndpointName=name, Body=json.dumps(payload), ContentType="application/json", **kw)
    return resp, json.loads(resp["Body"].read())


def stream(rt, name, payload, **kw):
    resp = rt.invoke_endpoint_with_response_stream(EndpointName=name, Body=json.dumps(payload),
                                                   ContentType="application/json", **kw)
    parts = [ev["PayloadPart"]["Bytes"] for ev in resp["Body"]]
    return resp, parts


def sse(data: bytes) -> list:
    out = []
    for block in data.decode().split("\n\n"):
        if block.strip():
            assert block.startswith("data:")
            body = block[5:].strip()
            out.append(body if body == "[DONE]" else json.loads(body))
    return out


def jsonl(data: bytes) -> list:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


# --------------------------------------------------------------------------------- TGI
def test_tgi_non_stream_list_and_headers(rt):
    resp, body = invoke(rt, "tgi-ep", {"inputs": "Q?", "parameters": {"max_new_tokens": 500}})
    assert body == [{"generated_text": ANSWER}]
    assert resp["ContentType"] == "application/json"
    assert resp["InvokedProductionVariant"] == "AllTraffic"
    assert resp["CustomAttributes"] == "model_version=stub-7"


def test_tgi_details_and_return_full_text(rt):
    _, body = invoke(rt, "tgi-ep", {"inputs": "Q? ", "parameters": {"details": True, "return_full_text": True}})
    item = body[0]
    assert item["generated_text"] == "Q? " + ANSWER
    assert item["details"]["finish_reason"] == "eos_token"
    # TGI counts (and lists) the closing EOS token; its text is not part of the answer
    assert item["details"]["generated_tokens"] == count_tokens(ANSWER) + 1 == len(item["details"]["tokens"])
    assert item["details"]["tokens"][-1]["special"] is True
    assert "".join(t["text"] for t in item["details"]["tokens"] if not t["special"]) == ANSWER


def test_tgi_stop_and_max_new_tokens(rt):
    _, body = invoke(rt, "tgi-ep", {"inputs": "Q", "parameters": {"stop": ["STOP"], "details": True}})
    assert body[0]["generated_text"] == ANSWER[: ANSWER.index("STOP")]
    assert body[0]["details"]["finish_reason"] == "stop_sequence"
    _, body = invoke(rt, "tgi-ep", {"inputs": "Q", "parameters": {"max_new_tokens": 3, "details": True}})
    assert body[0]["generated_text"] == "".join(tokenize(ANSWER)[:3])
    assert body[0]["details"]["finish_reason"] == "length"


def test_tgi_grammar_reaches_backend_as_json_schema(rt, backend):
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    invoke(rt, "tgi-ep", {"inputs": "Q", "parameters": {"grammar": {"type": "json", "value": schema}}})
    assert backend.calls[-1][1]["json_schema"] == schema


def test_tgi_stream_sse_split_across_parts(rt):
    resp, parts = stream(rt, "tgi-ep", {"inputs": "Q", "stream": True, "parameters": {"details": True}})
    assert resp["ContentType"] == "text/event-stream"
    assert resp["CustomAttributes"] == "model_version=stub-7"
    assert len(parts) > 3
    assert any(not p.endswith(b"\n\n") for p in parts), "some PayloadPart must end mid-event"
    events = sse(b"".join(parts))
    assert all(e["generated_text"] is None for e in events[:-1])
    assert events[-1]["generated_text"] == ANSWER
    assert events[-1]["details"]["finish_reason"] == "eos_token"
    assert events[-1]["token"]["special"] is True  # TGI streams the EOS token; its text is not part of the answer
    assert "".join(e["token"]["text"] for e in events if not e["token"]["special"]) == ANSWER
    assert {"id", "text", "logprob", "special"} <= set(events[0]["token"])


def test_tgi_stream_route_without_stream_flag_returns_one_json(rt):
    resp, parts = stream(rt, "tgi-ep", {"inputs": "Q"})
    assert resp["ContentType"] == "application/json"
    assert json.loads(b"".join(parts)) == [{"generated_text": ANSWER}]


def test_tgi_invalid_json_is_a_422_model_error(rt):
    with pytest.raises(rt.exceptions.ModelError) as ei:
        rt.invoke_endpoint(EndpointName="tgi-ep", Body=b"{not json", ContentType="application/json")
    assert ei.value.response["OriginalStatusCode"] == 422
    assert "deserialize" in ei.value.response["OriginalMessage"]
    assert ei.value.response["Error"]["Code"] == "ModelError"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_backend_input_error_is_a_400_model_error(rt):
    with pytest.raises(rt.exceptions.ModelError) as ei:
        invoke(rt, "tgi-ep", {"inputs": "UNUSABLE"})
    assert ei.value.response["OriginalStatusCode"] == 400
    assert ei.value.response["OriginalMessage"] == "prompt has no task header"
    assert ei.value.response["LogStreamArn"].endswith("/aws/sagemaker/Endpoints/tgi-ep")


def test_unsupported_content_type_is_a_415_model_error(rt):
    with pytest.raises(rt.exceptions.ModelError) as ei:
        rt.invoke_endpoint(EndpointName="tgi-ep", Body=b"a,b", ContentType="text/csv")
    assert ei.value.response["OriginalStatusCode"] == 415


# --------------------------------------------------------------------------------- LMI
def test_lmi_object_with_details_and_stop_sequences(rt):
    _, body = invoke(rt, "lmi-ep", {"inputs": "Q", "parameters": {"stop_sequences": ["STOP"], "details": True}})
    assert body["generated_text"] == ANSWER[: ANSWER.index("STOP")]
    assert body["details"]["finish_reason"] == "stop_sequence"
    assert body["details"]["generated_tokens"] == count_tokens(body["generated_text"])
    assert "log_prob" in body["details"]["tokens"][0]
    _, plain = invoke(rt, "lmi-ep", {"inputs": "Q"})
    assert plain == {"generated_text": ANSWER}


def test_lmi_accepts_vllm_stop_parameter(rt):
    """djl-serving's vLLM rolling batch renames stop_sequences to vLLM's ``stop`` and passes ``stop`` through."""
    _, body = invoke(rt, "lmi-ep", {"inputs": "Q", "parameters": {"stop": ["STOP"]}})
    assert body == {"generated_text": ANSWER[: ANSWER.index("STOP")]}


def test_lmi_stream_jsonlines(rt):
    resp, parts = stream(rt, "lmi-ep", {"inputs": "Q", "stream": True, "parameters": {"details": True}})
    assert resp["ContentType"] == "application/jsonlines"
    lines = jsonl(b"".join(parts))
    assert all(set(line) == {"token"} for line in lines[:-1])
    assert {"id", "text", "log_prob"} == set(lines[0]["token"])
    assert lines[-1]["generated_text"] == ANSWER
    assert lines[-1]["details"]["finish_reason"] == "eos_token"
    assert "".join(line["token"]["text"] for line in lines) == ANSWER


# ----------------------------------------------------------------------------- Messages
def test_messages_chat_completion_with_usage(rt, backend):
    payload = {"messages": [{"role": "system", "content": "SYS"}, {"role": "user", "content": "USER"}],
               "max_tokens": 100, "temperature": 0.1,
               "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}
    _, body = invoke(rt, "chat-ep", payload)
    assert backend.calls[-1][0] == "SYS\n\nUSER"
    assert backend.calls[-1][1]["json_schema"] == {"type": "object"}
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": ANSWER}
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] == count_tokens("SYS\n\nUSER")
    assert usage["completion_tokens"] == count_tokens(ANSWER) + 1  # TGI counts the EOS token
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_messages_length_finish_reason(rt):
    _, body = invoke(rt, "chat-ep", {"messages": [{"role": "user", "content": "Q"}], "max_tokens": 2})
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 2


def test_messages_stream_chunks_and_done(rt):
    resp, parts = stream(rt, "chat-ep", {"messages": [{"role": "user", "content": "Q"}], "stream": True,
                                         "stream_options": {"include_usage": True}})
    events = sse(b"".join(parts))
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == ANSWER
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == count_tokens(ANSWER) + 1


def test_messages_missing_field_is_422(rt):
    with pytest.raises(rt.exceptions.ModelError) as ei:
        invoke(rt, "chat-ep", {"prompt": "x"})
    assert ei.value.response["OriginalStatusCode"] == 422


# ---------------------------------------------------------------------------- JumpStart
def test_jumpstart_requires_eula(rt):
    with pytest.raises(rt.exceptions.ModelError) as ei:
        invoke(rt, "js-ep", {"inputs": [[{"role": "user", "content": "Q"}]]})
    assert ei.value.response["OriginalStatusCode"] == 424
    assert "accept_eula=true" in ei.value.response["OriginalMessage"]


def test_jumpstart_generation(rt, backend):
    dialog = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    resp, body = invoke(rt, "js-ep", {"inputs": [dialog], "parameters": {"max_new_tokens": 400}},
                        CustomAttributes="accept_eula=true")
    assert body == [{"generation": {"role": "assistant", "content": ANSWER}}]
    assert backend.calls[-1][0] == "S\n\nU"


def test_jumpstart_stream_is_tgi_sse(rt):
    _, parts = stream(rt, "js-ep", {"inputs": [[{"role": "user", "content": "Q"}]]},
                      CustomAttributes="accept_eula=true")
    events = sse(b"".join(parts))
    assert events[-1]["generated_text"] == ANSWER


# ------------------------------------------------------------------------------ custom
def test_custom_response_and_max_length(rt):
    _, body = invoke(rt, "custom-ep", {"prompt": "Q", "max_length": 512, "temperature": 0.2})
    assert body == {"response": ANSWER}
    _, body = invoke(rt, "custom-ep", {"prompt": "Q", "max_tokens": 1})
    assert body == {"response": tokenize(ANSWER)[0]}


def test_custom_stream_token_lines(rt):
    resp, parts = stream(rt, "custom-ep", {"prompt": "Q"})
    assert resp["ContentType"] == "application/jsonlines"
    lines = jsonl(b"".join(parts))
    assert "".join(line["token"] for line in lines) == ANSWER


def test_fixed_byte_chunking_config(backend):
    with LocalEndpoint({"e": {"dialect": "lmi", "chunking": 16}}, default_dialect=None, backend=backend) as ep2:
        _, parts = stream(ep2.client(), "e", {"inputs": "Q", "stream": True})
    assert all(len(p) == 16 for p in parts[:-1])
    assert jsonl(b"".join(parts))[-1]["generated_text"] == ANSWER
