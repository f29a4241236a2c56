"""The local endpoint's dialects emit what the real containers emit, modulo the generated text.

Expected bodies are the fixtures in ``tests/data/container_bodies/`` (shaped from
each container's source; see docs/wire-formats.md), not our own server's output.
For every event the comparison covers the framing (``data: `` + blank line,
JSON lines, empty lines, ``[DONE]``), the JSON writer's style (serde/pydantic
compact vs Python's ``json.dumps``), every key in order, and the type of every
value; runs of same-shaped token events count as one. The constants the issue
names (finish reasons, error shapes, ``input_length``, ``inputs``) are checked
by value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from adeptai_sagemaker.backends.sagemaker.codecs import get_codec  # noqa: E402
from adeptai_sagemaker_lab.server.tokens import count_tokens  # noqa: E402
from adeptai_sagemaker.core.prompting import RenderedPrompt  # noqa: E402

from support.container_replay import body_of  # noqa: E402

ANSWER = "Bonjour ! Le plat est prêt. STOP puis la suite."
PROMPT = "Say hello in French."
DIALECTS = ("tgi", "messages", "lmi", "lmi-vllm", "vllm", "lmi-chat")


class FixedBackend:
    version = "stub-1"

    def generate(self, prompt_text: str, params: dict) -> str:
        return ANSWER


LOCAL_ENDPOINT = {"endpoints": {d: d for d in DIALECTS}, "default_dialect": None,
                  "backend": FixedBackend}  # the ``endpoint`` fixture (tests/conftest.py)


@pytest.fixture(scope="module")
def rt(endpoint):
    return endpoint.client()


def call(rt, name: str, payload: dict, *, stream: bool = False) -> bytes:
    body = json.dumps(payload)
    if not stream:
        return rt.invoke_endpoint(EndpointName=name, Body=body, ContentType="application/json")["Body"].read()
    resp = rt.invoke_endpoint_with_response_stream(EndpointName=name, Body=body, ContentType="application/json")
    return b"".join(ev["PayloadPart"]["Bytes"] for ev in resp["Body"])


# ------------------------------------------------------------------------------- shapes
def style(raw: str, value: Any) -> str:
    """Which JSON writer produced ``raw``: compact (serde, pydantic) or Python's default separators."""
    if raw == json.dumps(value, ensure_ascii=False, separators=(",", ":")):
        return "compact"
    if raw == json.dumps(value, ensure_ascii=False) or raw == json.dumps(value):
        return "python"
    return "other"


#: Fields the containers declare optional (TGI ``seed: Option<u64>``, vLLM ``stop_reason``): null or a value.
NULLABLE = {"seed", "stop_reason"}


def skeleton(value: Any) -> Any:
    if isinstance(value, dict):
        return ("{}", tuple((k, "optional" if k in NULLABLE else skeleton(v)) for k, v in value.items()))
    if isinstance(value, list):
        seen: list = []
        for item in value:
            if skeleton(item) not in seen:
                seen.append(skeleton(item))
        return ("[]", tuple(seen))
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def events(data: bytes) -> list[tuple]:
    """(framing, style, skeleton) per event; SSE comments (keep-alives) are not events."""
    text = data.decode("utf-8")
    out: list[tuple] = []
    if text.startswith("data:") or text.startswith(":"):
        assert text.endswith("\n\n")
        for block in text[:-2].split("\n\n"):
            if block.startswith(":"):
                continue
            assert block.startswith("data: ") and "\n" not in block, block[:40]
            raw = block[len("data: "):]
            out.append(("sse", "-", "[DONE]") if raw == "[DONE]" else ("sse", style(raw, json.loads(raw)),
                                                                      skeleton(json.loads(raw))))
        return out
    lines = text.split("\n")
    if text.endswith("\n"):
        lines = lines[:-1]
    for line in lines:
        out.append(("line", "-", "empty") if line == "" else ("line", style(line, json.loads(line)),
                                                               skeleton(json.loads(line))))
    return out


def collapse(seq: list) -> list:
    return [e for i, e in enumerate(seq) if i == 0 or e != seq[i - 1]]


def assert_same_shape(ours: bytes, fixture: str) -> None:
    theirs = body_of(fixture)
    assert collapse(events(ours)) == collapse(events(theirs)), fixture


def last_json(data: bytes) -> dict:
    lines = [x for x in data.decode().replace("data: ", "").split("\n") if x.strip() and x != "[DONE]"]
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------- TGI
def test_tgi_generate_matches_tgi(rt):
    ours = call(rt, "tgi", {"inputs": PROMPT, "parameters": {"details": True, "max_new_tokens": 4}})
    assert_same_shape(ours, "tgi_generate.json")
    assert json.loads(ours)[0]["details"]["prefill"] == []  # TGI 3 computes prefill logprobs only on request


def test_tgi_stream_final_event_reports_input_length_and_counts_eos(rt):
    ours = call(rt, "tgi", {"inputs": PROMPT, "stream": True, "parameters": {"details": True}}, stream=True)
    assert_same_shape(ours, "tgi_generate_stream_eos.sse")
    assert_same_shape(ours, "tgi_generate_stream.sse")  # the length-ended fixture has the same event shapes
    final = last_json(ours)
    n_events = ours.count(b"data: ")
    assert final["token"]["special"] is True and final["token"]["text"] == "</s>"
    assert final["details"]["generated_tokens"] == n_events == count_tokens(ANSWER) + 1
    assert final["details"]["input_length"] == count_tokens(PROMPT)
    assert b"\n:" not in ours  # no keep-alive: TGI sends one only after 15 s without an event


def test_tgi_stream_error_matches_tgi(endpoint, rt):
    endpoint.set_faults("tgi", [{"kind": "inband_error"}])
    try:
        ours = call(rt, "tgi", {"inputs": PROMPT, "stream": True, "parameters": {"details": True}}, stream=True)
    finally:
        endpoint.clear_faults("tgi")
    assert_same_shape(ours, "tgi_generate_stream_error.sse")
    assert last_json(ours)["error_type"] == "generation" and b"[DONE]" not in ours


# ------------------------------------------------------------------------------- TGI Messages API
CHAT = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": PROMPT}]}


def test_tgi_chat_matches_tgi(rt):
    ours = call(rt, "messages", CHAT)
    assert_same_shape(ours, "tgi_chat.json")
    body = json.loads(ours)
    assert next(iter(body)) == "object" and body["id"] == ""
    assert body["usage"]["completion_tokens"] == count_tokens(ANSWER) + 1


def test_tgi_chat_stream_with_usage_matches_tgi(rt):
    ours = call(rt, "messages", {**CHAT, "stream": True, "stream_options": {"include_usage": True}}, stream=True)
    assert_same_shape(ours, "tgi_chat_stream_usage.sse")


def test_tgi_chat_stop_sequence_finish_reason(rt):
    ours = call(rt, "messages", {**CHAT, "stop": ["STOP"]})
    assert json.loads(ours)["choices"][0]["finish_reason"] == "stop_sequence"
    ours = call(rt, "messages", {**CHAT, "stop": ["STOP"], "stream": True, "stream_options": {"include_usage": True}},
                stream=True)
    assert_same_shape(ours, "tgi_chat_stream_stop_sequence.sse")
    chunks = [json.loads(b[6:]) for b in ours.decode().split("\n\n") if b.startswith("data: {")]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop_sequence"


def test_tgi_chat_stream_error_matches_tgi(endpoint, rt):
    endpoint.set_faults("messages", [{"kind": "inband_error"}])
    try:
        ours = call(rt, "messages", {**CHAT, "stream": True}, stream=True)
    finally:
        endpoint.clear_faults("messages")
    assert_same_shape(ours, "tgi_chat_stream_error.sse")
    blocks = ours.decode().split("\n\n")
    assert blocks[-2] == "data: [DONE]"
    assert set(json.loads(blocks[-3][6:])["error"]) == {"message", "http_status_code"}


# ------------------------------------------------------------------------------- LMI rolling batch
LMI = {"inputs": PROMPT, "parameters": {"details": True, "max_new_tokens": 6}}


def test_lmi_matches_lmi_and_echoes_inputs(rt):
    ours = call(rt, "lmi", LMI)
    assert_same_shape(ours, "lmi_rolling_batch.json")
    assert json.loads(ours)["details"]["inputs"] == PROMPT


def test_lmi_stream_matches_lmi(rt):
    ours = call(rt, "lmi", {**LMI, "stream": True}, stream=True)
    assert_same_shape(ours, "lmi_rolling_batch_stream.jsonl")
    assert last_json(ours)["details"]["inputs"] == PROMPT


def test_lmi_stream_error_line_matches_lmi(endpoint, rt):
    endpoint.set_faults("lmi", [{"kind": "inband_error"}])
    try:
        ours = call(rt, "lmi", {**LMI, "parameters": {"details": True}, "stream": True}, stream=True)
    finally:
        endpoint.clear_faults("lmi")
    assert_same_shape(ours, "lmi_rolling_batch_stream_error.jsonl")
    last = last_json(ours)
    assert "error" not in last and last["details"]["finish_reason"] == "error"
    assert last["token"]["special_token"] is True and last["token"]["error_msg"]
    assert last["generated_text"] and ANSWER.startswith(last["generated_text"])


# ------------------------------------------------------------------------------- LMI vLLM async
def test_lmi_vllm_matches_djl_serving(rt):
    payload = {"inputs": PROMPT, "parameters": {"details": True, "max_new_tokens": 6}}
    assert_same_shape(call(rt, "lmi-vllm", payload), "lmi_vllm.json")
    ours = call(rt, "lmi-vllm", {**payload, "stream": True}, stream=True)
    assert_same_shape(ours, "lmi_vllm_stream.jsonl")
    final = last_json(ours)
    assert final["details"]["input_length"] == count_tokens(PROMPT)
    assert final["details"]["generated_tokens"] == 6 + 1  # djl-serving adds one to vLLM's running count


def test_lmi_vllm_stream_error_matches_djl_serving(endpoint, rt):
    endpoint.set_faults("lmi-vllm", [{"kind": "inband_error"}])
    try:
        ours = call(rt, "lmi-vllm", {"inputs": PROMPT, "stream": True, "parameters": {"details": True}}, stream=True)
    finally:
        endpoint.clear_faults("lmi-vllm")
    assert_same_shape(ours, "lmi_vllm_stream_error.jsonl")


# ------------------------------------------------------------------------------- vLLM chat
def test_vllm_chat_matches_vllm(rt):
    assert_same_shape(call(rt, "vllm", CHAT), "vllm_chat.json")


def test_vllm_chat_stream_with_continuous_usage_matches_vllm(rt):
    ours = call(rt, "vllm", {**CHAT, "stream": True,
                             "stream_options": {"include_usage": True, "continuous_usage_stats": True}}, stream=True)
    assert_same_shape(ours, "vllm_chat_stream_usage.sse")


def test_vllm_chat_stream_error_matches_vllm(endpoint, rt):
    endpoint.set_faults("vllm", [{"kind": "inband_error"}])
    try:
        ours = call(rt, "vllm", {**CHAT, "stream": True}, stream=True)
    finally:
        endpoint.clear_faults("vllm")
    assert_same_shape(ours, "vllm_chat_stream_error.sse")
    blocks = ours.decode().split("\n\n")
    assert blocks[-2] == "data: [DONE]"
    assert set(json.loads(blocks[-3][6:])["error"]) == {"message", "type", "param", "code"}


def test_lmi_chat_stream_matches_djl_serving(rt):
    ours = call(rt, "lmi-chat", {**CHAT, "stream": True, "stream_options": {"include_usage": True}}, stream=True)
    assert_same_shape(ours, "lmi_chat_stream.jsonl")


# ------------------------------------------------------------------------------- through the codecs
@pytest.mark.parametrize("dialect,codec", [("tgi", "tgi"), ("messages", "messages"), ("lmi-vllm", "lmi"),
                                           ("vllm", "messages"), ("lmi-chat", "messages")])
def test_streamed_usage_from_the_lab_is_the_containers_own(rt, dialect, codec):
    """Each streaming dialect reports both counts in-band, so the codec never has to estimate them."""
    c = get_codec(codec)
    prompt = RenderedPrompt("job_parser", "", PROMPT, "t", "1", "h")
    decoder = c.stream_decoder(prompt)
    from adeptai_sagemaker.plugin.completion import GenerationParams

    for part in rt.invoke_endpoint_with_response_stream(
            EndpointName=dialect, Body=c.encode(prompt, GenerationParams(max_new_tokens=200), stream=True),
            ContentType="application/json")["Body"]:
        decoder.feed(part["PayloadPart"]["Bytes"])
    done = decoder.finish()
    assert done.text == ANSWER
    assert done.usage is not None and done.usage.source == "container"
    assert done.usage.input_tokens == count_tokens(PROMPT)
    assert done.usage.output_tokens in (count_tokens(ANSWER) + 1, count_tokens(ANSWER) + 2)  # EOS (+1 on LMI-vLLM)
