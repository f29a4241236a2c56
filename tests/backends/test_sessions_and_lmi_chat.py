"""Stateful sessions and prefix-aware ids over real boto3 HTTP, and the lmi-chat codec's wire format."""

from __future__ import annotations

import json
import uuid

import pytest

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")

from adeptai_sagemaker.core import errors as E
from adeptai_sagemaker.backends.sagemaker.codecs import get_codec  # noqa: E402
from adeptai_sagemaker.plugin.completion import GenerationParams  # noqa: E402
from adeptai_sagemaker.core.prompting import RenderedPrompt  # noqa: E402
from adeptai_sagemaker.backends.sagemaker.sessions import parse_new_session_header  # noqa: E402
from support.reliability import (CannedModel, framework_for, legacy_for, request_for,  # noqa: E402
                                 settings_for)

CAP = "job_parser"


LOCAL_ENDPOINT = {"default_dialect": "messages", "backend": CannedModel}  # the ``endpoint`` fixture (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("aws_env")


def make(endpoint, tmp_path, **cap_options):
    name = f"aff-{uuid.uuid4().hex[:10]}"
    settings = settings_for(endpoint_url=endpoint.url, capabilities=[CAP], endpoint_of=lambda c: name,
                            cap_options={"codec": "lmi-chat", "max_attempts": 2, "max_reasks": 0, **cap_options},
                            cache_dir=tmp_path / "c")
    fw, rec = framework_for(settings)
    return fw, rec, name


def sent(endpoint, name):
    return [r for r in endpoint.app.state.affinity_requests if r["endpoint"] == name]


def call(fw, text="Python engineer, AWS"):
    return fw.call(CAP, request_for(CAP, text), legacy=legacy_for(CAP))


def test_sticky_session_opens_once_reuses_the_id_and_closes(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, session="sticky")
    for text in ("Python engineer, AWS", "Data analyst, SQL", "Nurse, ICU"):
        assert not call(fw, text).from_legacy
    requests = sent(endpoint, name)
    assert requests[0]["session_id"] == "NEW_SESSION"
    sid = requests[1]["session_id"]
    assert sid and sid != "NEW_SESSION" and [r["session_id"] for r in requests[1:]] == [sid] * 3
    assert sid in endpoint.app.state.sessions and fw.sagemaker.sessions.open_count() == 1
    fw.close()  # closes the session on the endpoint
    assert sent(endpoint, name)[-1]["session_id"] == sid and sid not in endpoint.app.state.sessions


def test_a_streaming_capability_opens_its_session_with_invoke_endpoint_then_streams_in_it(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, session="sticky", stream=True)
    assert not call(fw).from_legacy
    first, second = sent(endpoint, name)
    assert first["session_id"] == "NEW_SESSION" and second["session_id"] not in (None, "NEW_SESSION")
    assert rec.calls[-1].outcome == "success"


def test_a_session_the_endpoint_forgot_fails_typed_and_is_not_reused_forever(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, session="sticky")
    call(fw)
    endpoint.app.state.sessions.clear()  # the instance went away
    assert call(fw).from_legacy and rec.calls[-1].fallback_reason == "validation_error"
    assert not call(fw).from_legacy  # a new session was opened
    assert [r["session_id"] for r in sent(endpoint, name)].count("NEW_SESSION") == 2


def test_prefix_aware_id_header_is_sent_and_stable_per_template(endpoint, tmp_path):
    fw, _, name = make(endpoint, tmp_path, prefix_aware=True)
    call(fw, "Python engineer, AWS")
    call(fw, "Warehouse manager, forklift")
    ids = [r["prefix_aware_id"] for r in sent(endpoint, name)]
    assert len(ids) == 2 and ids[0] == ids[1] and ids[0].startswith("adeptai-") and len(ids[0]) <= 64


def test_no_affinity_headers_by_default(endpoint, tmp_path):
    fw, _, name = make(endpoint, tmp_path)
    call(fw)
    assert sent(endpoint, name) == [{"endpoint": name, "session_id": None, "prefix_aware_id": None}]


def test_sessions_are_refused_on_the_openai_route(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path, session="sticky", codec="openai")
    fw.settings.sagemaker_llm_fallback = False
    with pytest.raises(E.ConfigurationError, match="OpenAI-compatible route has no session"):
        call(fw)


def test_new_session_header_parsing():
    sid, expires = parse_new_session_header("abc-123; Expires=2026-12-01T22:00:00Z")
    assert sid == "abc-123" and expires == 1796162400.0
    with pytest.raises(E.InvocationError) as info:
        parse_new_session_header(None)
    assert info.value.code == "SessionNotCreated"


# ---------------------------------------------------------------- lmi-chat: LMI v15+ vLLM async handler

PROMPT = RenderedPrompt("job_parser", "You extract JSON.", "<<<DATA job>>>\nPython\n<<<END job>>>", "t", "v1", "h")


def test_lmi_chat_body_is_a_chat_completion_with_response_format_and_no_guided_params():
    codec = get_codec("lmi-chat")
    body = json.loads(codec.encode(PROMPT, GenerationParams(max_new_tokens=64, json_schema={"type": "object"}),
                                   stream=True))
    assert body["messages"][0] == {"role": "system", "content": "You extract JSON."}
    assert body["response_format"]["type"] == "json_schema" and body["stream_options"] == {"include_usage": True}
    assert "model" not in body and not [k for k in body if k.startswith("guided")] and "inputs" not in body
    assert codec.stream_accept == "application/jsonlines"


def test_lmi_chat_decodes_the_async_handlers_json_lines_stream():
    """djl-serving's vLLM async handler strips vLLM's ``data: `` prefix, writes one chunk per line and
    ends with an empty line where vLLM sent ``[DONE]``; SageMaker may cut the bytes anywhere."""
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "model": "lmi",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "c1", "object": "chat.completion.chunk", "model": "lmi",
         "choices": [{"index": 0, "delta": {"content": '{"a": "é'}, "finish_reason": None}]},
        {"id": "c1", "object": "chat.completion.chunk", "model": "lmi",
         "choices": [{"index": 0, "delta": {"content": '"}'}, "finish_reason": "stop"}]},
        {"id": "c1", "object": "chat.completion.chunk", "model": "lmi", "choices": [],
         "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}},
    ]
    wire = b"".join(json.dumps(c, ensure_ascii=False).encode() + b"\n" for c in chunks) + b"\n"
    decoder = get_codec("lmi-chat").stream_decoder(PROMPT)
    for i in range(0, len(wire), 7):  # 7-byte parts split JSON and the UTF-8 'é'
        decoder.feed(wire[i:i + 7])
    done = decoder.finish()
    assert done.text == '{"a": "é"}' and done.finish_reason == "stop"
    assert (done.usage.input_tokens, done.usage.output_tokens) == (12, 5)


def test_lmi_chat_in_band_error_is_typed():
    wire = b'{"error": {"message": "boom", "type": "InternalServerError", "code": 500}}\n'
    decoder = get_codec("lmi-chat").stream_decoder(PROMPT)
    with pytest.raises(E.ModelStreamError):
        decoder.feed(wire)


def test_lmi_chat_round_trip_on_the_local_endpoint(endpoint, tmp_path):
    fw, rec, name = make(endpoint, tmp_path)
    out = call(fw)
    assert not out.from_legacy and out.value.provenance == "canned"
    assert rec.calls[-1].input_tokens and rec.calls[-1].output_tokens
