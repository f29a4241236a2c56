"""Codecs against the exact shapes real serving containers return (docs/wire-formats.md).

Includes the docs/prior-art.md regressions: B1 (object response lost generated_text)
and B2 (list response crashed), and streams split at arbitrary byte offsets.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adeptai_sagemaker.backends.sagemaker.codecs import (BUILTIN_CODEC_REFS, BUILTIN_CODECS, GRAMMAR_BY_DEFAULT, Codec,
                                                        CustomCodec, JumpStartCodec, LmiCodec, MessagesCodec, TgiCodec,
                                                        get_codec)
from adeptai_sagemaker.plugin.completion import TokenUsage, GenerationParams
from adeptai_sagemaker.core.errors import ConfigurationError, ModelStreamError, ResponseDecodeError
from adeptai_sagemaker.core.prompting import RenderedPrompt

PROMPT = RenderedPrompt("job_parser", "You are a parser. Return JSON.", "### TASK: job_parser\nParse this.",
                        "job_parser/v1.j2", "v1", "abc123")
SECRET = "SECRET-RESUME-TEXT-jane@example.com"


def body(obj) -> bytes:
    return json.dumps(obj).encode()


def enc(codec: Codec, params: GenerationParams = GenerationParams(), **kw) -> dict:
    return json.loads(codec.encode(PROMPT, params, **kw))


def feed_all(codec: Codec, parts: list[bytes]):
    dec = codec.stream_decoder(PROMPT)
    events = []
    for p in parts:
        events += dec.feed(p)
    return events, dec.finish()


def split_every(data: bytes, n: int) -> list[bytes]:
    return [data[i:i + n] for i in range(0, len(data), n)]


# ---------------------------------------------------------------- registry
def test_registry_has_every_container_family():
    assert set(BUILTIN_CODECS) == {"tgi", "lmi", "messages", "jumpstart", "custom", "openai", "lmi-chat"}
    for name, cls in BUILTIN_CODECS.items():
        codec = get_codec(name)
        assert isinstance(codec, cls) and codec.name == name


def test_the_registered_references_name_the_same_codecs_and_the_grammar_default_follows_the_classes():
    """Registration and the grammar decision read names only (no codec is imported to build a framework)."""
    assert set(BUILTIN_CODEC_REFS) == set(BUILTIN_CODECS)
    declared = {name for name, cls in BUILTIN_CODECS.items() if getattr(cls, "grammar_by_default", False)}
    assert GRAMMAR_BY_DEFAULT == declared == {"openai", "lmi-chat"}


def test_unknown_codec_and_bad_options_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="unknown codec 'nope'.*tgi"):
        get_codec("nope")
    with pytest.raises(ConfigurationError, match="bad options"):
        get_codec("tgi", not_an_option=1)


# ---------------------------------------------------------------- TGI
def test_tgi_encode_greedy_maps_zero_temperature_and_zero_tokens():
    p = enc(TgiCodec(), GenerationParams(max_new_tokens=0, temperature=0.0, top_p=0.9, stop=("</s>",), seed=7))
    assert p["inputs"] == PROMPT.text
    params = p["parameters"]
    assert params["max_new_tokens"] == 1  # TGI rejects 0
    assert "temperature" not in params and params["do_sample"] is False  # TGI rejects temperature 0
    assert "top_p" not in params  # only meaningful when sampling
    assert params["stop"] == ["</s>"] and params["seed"] == 7
    assert params["details"] is True and params["return_full_text"] is False
    assert "grammar" not in params and "stream" not in p


def test_tgi_encode_sampling_grammar_and_stream():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    params = GenerationParams(max_new_tokens=64, temperature=0.7, top_p=1.0, json_schema=schema)
    p = enc(TgiCodec(), params, stream=True)
    params = p["parameters"]
    assert params["temperature"] == 0.7 and params["do_sample"] is True
    assert "top_p" not in params  # TGI rejects top_p >= 1.0
    assert params["grammar"] == {"type": "json", "value": schema}
    assert p["stream"] is True


def test_tgi_decode_list_response_b2():
    """B2: the HF/TGI container answers with a list; it must decode, not crash."""
    raw = body([{"generated_text": '{"a": 1}', "details": {"finish_reason": "eos_token", "generated_tokens": 9,
                                                            "seed": None, "prefill": [], "tokens": []}}])
    c = TgiCodec().decode(raw, PROMPT)
    assert c.text == '{"a": 1}'
    assert c.finish_reason == "eos_token"
    assert c.usage is not None and c.usage.output_tokens == 9
    # no prefill and no input_length: the prompt size is estimated, and marked as such
    assert c.usage.input_tokens == -(-len(PROMPT.text) // 4) and c.usage.source == "estimate"


@pytest.mark.parametrize("codec", [TgiCodec(), LmiCodec()], ids=["tgi", "lmi"])
def test_object_response_keeps_generated_text_b1(codec):
    """B1: an object ``{"generated_text": ...}`` must not come back as ''."""
    c = codec.decode(body({"generated_text": "hello world"}), PROMPT)
    assert c.text == "hello world"
    # the container reported nothing: both sides are estimated, and say so
    assert c.usage == TokenUsage(input_tokens=-(-len(PROMPT.text) // 4), output_tokens=3, source="estimate")


def test_tgi_strips_echoed_prompt_with_return_full_text():
    raw = body([{"generated_text": PROMPT.text + "\n{\"a\": 1}"}])
    assert TgiCodec().decode(raw, PROMPT).text == '{"a": 1}'
    raw = body([{"generated_text": "<s>" + PROMPT.text + '{"b": 2}'}])
    assert TgiCodec().decode(raw, PROMPT).text == '{"b": 2}'


def test_prefill_details_give_input_tokens():
    raw = body([{"generated_text": "x", "details": {"generated_tokens": 1, "prefill": [{"id": 1}, {"id": 2}]}}])
    usage = TgiCodec().decode(raw, PROMPT).usage
    assert (usage.input_tokens, usage.output_tokens) == (2, 1)


def test_prompt_template_substitutes_once_and_strips_echo():
    prompt = RenderedPrompt("t", "SYS", "user says {system} literally", "t/v1.j2", "v1", "h")
    codec = TgiCodec(prompt_template="chatml")
    sent = json.loads(codec.encode(prompt, GenerationParams()))["inputs"]
    assert sent.startswith("<|im_start|>system\nSYS<|im_end|>")
    assert "user says {system} literally" in sent  # user text is never re-read as a template
    assert codec.decode(body([{"generated_text": sent + "OK"}]), prompt).text == "OK"
    with pytest.raises(ConfigurationError):
        TgiCodec(prompt_template="no slots here")


# ---------------------------------------------------------------- LMI
def test_lmi_encode_sends_stops_for_rolling_batch_and_vllm_async_and_no_grammar_by_default():
    schema = {"type": "object"}
    p = enc(LmiCodec(), GenerationParams(stop=("\n\n",), json_schema=schema, temperature=0.2, top_p=0.9))["parameters"]
    assert p["stop_sequences"] == ["\n\n"] == p["stop"]  # rolling batch reads the first, LMI v17+ (vLLM) the second
    assert "grammar" not in p and p["temperature"] == 0.2 and p["top_p"] == 0.9
    p = enc(LmiCodec(json_schema_parameter="guided_json"), GenerationParams(json_schema=schema))["parameters"]
    assert p["guided_json"] == schema


def test_lmi_object_response_with_details():
    raw = body({"generated_text": '{"ok": true}',
                "details": {"finish_reason": "length", "generated_tokens": 30, "inputs": "x", "tokens": []}})
    c = LmiCodec().decode(raw, PROMPT)
    assert c.text == '{"ok": true}' and c.finish_reason == "length" and c.usage.output_tokens == 30


def test_lmi_dynamic_batching_list_response():
    assert LmiCodec().decode(body([{"generated_text": "batched"}]), PROMPT).text == "batched"


def test_lmi_in_band_finish_reason_error_raises_model_stream_error():
    raw = body({"generated_text": SECRET, "details": {"finish_reason": "error", "generated_tokens": 3}})
    with pytest.raises(ModelStreamError) as ei:
        LmiCodec().decode(raw, PROMPT)
    assert ei.value.error_code == "finish_reason_error"
    assert SECRET not in str(ei.value)


def test_lmi_validation_error_body_is_typed_and_content_free():
    raw = body({"error": f"Input {SECRET} too long", "code": 424})
    with pytest.raises(ModelStreamError) as ei:
        LmiCodec().decode(raw, PROMPT)
    assert ei.value.error_code == "container_error"
    assert SECRET not in str(ei.value) and SECRET in ei.value.original_message


# ---------------------------------------------------------------- Messages API
def test_messages_encode_and_decode_with_usage():
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    p = enc(MessagesCodec(), GenerationParams(max_new_tokens=128, temperature=0.0, stop=("END",), json_schema=schema))
    assert p["messages"] == [{"role": "system", "content": PROMPT.system}, {"role": "user", "content": PROMPT.user}]
    assert p["max_tokens"] == 128 and p["temperature"] == 0.0 and p["stop"] == ["END"]
    assert p["response_format"]["type"] == "json_schema"
    assert p["response_format"]["json_schema"]["schema"] == schema
    tgi_style = enc(MessagesCodec(response_format_style="tgi"), GenerationParams(json_schema=schema))
    assert tgi_style["response_format"] == {"type": "json_object", "value": schema}
    streamed = enc(MessagesCodec(), stream=True)
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}

    raw = body({"id": "chatcmpl-1", "object": "chat.completion", "model": "tgi",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"x": 1}'},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 42, "completion_tokens": 5, "total_tokens": 47}})
    c = MessagesCodec().decode(raw, PROMPT)
    assert c.text == '{"x": 1}' and c.finish_reason == "stop" and c.model_version == "tgi"
    assert (c.usage.input_tokens, c.usage.output_tokens) == (42, 5)


def test_messages_without_system_prompt_sends_only_user():
    prompt = RenderedPrompt("t", "", "hi", "t/v1.j2", "v1", "h")
    assert json.loads(MessagesCodec().encode(prompt, GenerationParams()))["messages"] == [
        {"role": "user", "content": "hi"}]


def test_messages_decode_rejects_missing_choices():
    with pytest.raises(ResponseDecodeError, match="no choices"):
        MessagesCodec().decode(body({"object": "chat.completion", "choices": []}), PROMPT)


# ---------------------------------------------------------------- JumpStart
def test_jumpstart_encode_and_eula_attribute():
    codec = JumpStartCodec()
    assert codec.default_custom_attributes == "accept_eula=true"
    p = enc(codec, GenerationParams(max_new_tokens=0, temperature=0.0))
    assert p["inputs"] == [[{"role": "system", "content": PROMPT.system}, {"role": "user", "content": PROMPT.user}]]
    assert p["parameters"]["max_new_tokens"] == 1 and 0 < p["parameters"]["temperature"] <= 0.01


@pytest.mark.parametrize("shape", [
    [{"generation": {"role": "assistant", "content": " {\"a\": 1}"}}],
    [{"generation": " {\"a\": 1}"}],
    {"generation": {"role": "assistant", "content": " {\"a\": 1}"}},
    [[{"generation": {"role": "assistant", "content": " {\"a\": 1}"}}]],
    [{"generated_text": " {\"a\": 1}"}],
], ids=["list-dict", "list-str", "object", "nested", "tgi-backed"])
def test_jumpstart_decode_shapes(shape):
    assert JumpStartCodec().decode(body(shape), PROMPT).text == ' {"a": 1}'


def test_jumpstart_usage_legacy_estimated_tgi_backed_reported():
    """Legacy Llama-2 bodies carry no counts (estimated, marked); TGI-backed JumpStart bodies carry their own."""
    legacy = JumpStartCodec().decode(body([{"generation": {"role": "assistant", "content": "abcdefgh"}}]), PROMPT)
    assert legacy.usage == TokenUsage(-(-len(PROMPT.text) // 4), 2, "estimate")
    tgi = JumpStartCodec().decode(body([{"generated_text": "x", "details": {
        "finish_reason": "eos_token", "generated_tokens": 2, "seed": None, "prefill": [{"id": 1, "text": "<s>",
                                                                                      "logprob": None}] * 7,
        "tokens": []}}]), PROMPT)
    assert tgi.usage == TokenUsage(7, 2, "container") and tgi.finish_reason == "eos_token"


# ---------------------------------------------------------------- custom
def test_custom_codec_roundtrip():
    p = enc(CustomCodec(), GenerationParams(max_new_tokens=50, temperature=0.3))
    assert p == {"prompt": PROMPT.text, "max_length": 50, "temperature": 0.3}
    assert CustomCodec().decode(body({"response": "done"}), PROMPT).text == "done"


# ---------------------------------------------------------------- malformed bodies
@pytest.mark.parametrize("codec", [get_codec(n) for n in BUILTIN_CODECS], ids=list(BUILTIN_CODECS))
@pytest.mark.parametrize("raw", [
    b"<html>" + SECRET.encode() + b"</html>",  # not JSON
    b"\xff\xfe" + SECRET.encode(),  # not UTF-8
    json.dumps({"unexpected": SECRET}).encode(),  # wrong object
    b"[]",  # empty list
    b"42",  # scalar
], ids=["html", "bad-utf8", "wrong-keys", "empty-list", "scalar"])
def test_malformed_bodies_raise_decode_error_without_body_text(codec, raw):
    with pytest.raises(ResponseDecodeError) as ei:
        codec.decode(raw, PROMPT)
    assert SECRET not in str(ei.value)
    assert ei.value.retryable is False and ei.value.reason == "decode_error"


# ---------------------------------------------------------------- streams
TGI_SSE = (
    b'data:{"token":{"id":1,"text":"{\\"na","logprob":-0.1,"special":false},"generated_text":null,"details":null}\n\n'
    b'data:{"token":{"id":2,"text":"me\\": \\"Jos\xc3\xa9 \xf0\x9f\x98\x80\\"}","logprob":-0.2,"special":false},'
    b'"generated_text":null,"details":null}\n\n'
    b'data:{"token":{"id":3,"text":"</s>","logprob":0.0,"special":true},'
    b'"generated_text":"{\\"name\\": \\"Jos\xc3\xa9 \xf0\x9f\x98\x80\\"}",'
    b'"details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null}}\n\n'
)
TGI_TEXT = '{"name": "José 😀"}'


@pytest.mark.parametrize("size", [1, 2, 5, 13, 64, len(TGI_SSE)])
def test_tgi_sse_stream_split_mid_json_and_mid_utf8(size):
    events, c = feed_all(TgiCodec(), split_every(TGI_SSE, size))
    assert c.text == TGI_TEXT  # special </s> token dropped; multi-byte chars intact
    assert c.finish_reason == "eos_token" and c.usage.output_tokens == 3
    assert [e.final for e in events][-1] is True
    assert "".join(e.text for e in events) == TGI_TEXT


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(TGI_SSE)), max_size=12))
def test_any_split_of_a_stream_decodes_identically(cuts):
    points = sorted(set(cuts) | {0, len(TGI_SSE)})
    parts = [TGI_SSE[a:b] for a, b in zip(points, points[1:])]
    _, c = feed_all(TgiCodec(), parts)
    assert c.text == TGI_TEXT and c.usage.output_tokens == 3


def test_lmi_jsonlines_stream_last_line_without_newline():
    data = (b'{"token":{"id":1,"text":"Hel","log_prob":-0.1}}\n'
            b'{"token":{"id":2,"text":"lo","log_prob":-0.1}}\n'
            b'{"token":{"id":3,"text":"!","log_prob":-0.1},"generated_text":"Hello!",'
            b'"details":{"finish_reason":"length","generated_tokens":3}}')
    events, c = feed_all(LmiCodec(), split_every(data, 7))
    assert c.text == "Hello!" and c.finish_reason == "length" and c.usage.output_tokens == 3
    assert events[-1].final


def test_lmi_dynamic_batching_stream_outputs():
    data = b'{"outputs": ["Hel"]}\n{"outputs": ["lo"]}\n'
    _, c = feed_all(LmiCodec(), [data])
    assert c.text == "Hello"


def test_several_objects_on_one_line_and_one_object_per_part_without_newline():
    # "Extra data": objects glued together on one line; and containers that never send newlines
    glued = b'{"token":{"text":"a"}}{"token":{"text":"b"}}data:{"token":{"text":"c"}}\n'
    _, c = feed_all(TgiCodec(), [glued])
    assert c.text == "abc"
    dec = TgiCodec().stream_decoder(PROMPT)
    first = dec.feed(b'{"token":{"text":"x"}}')
    assert [e.text for e in first] == ["x"]  # emitted without waiting for a newline
    dec.feed(b'{"token":{"text":"y"}}')
    assert dec.finish().text == "xy"


def test_messages_sse_with_keepalives_comments_and_done():
    chunk = lambda content, finish=None: json.dumps(  # noqa: E731
        {"object": "chat.completion.chunk", "model": "m",
         "choices": [{"index": 0, "delta": {"content": content} if content is not None else {},
                      "finish_reason": finish}]})
    first = chunk('{"x"')
    data = ("\n\n: keep-alive\n\n"
            f"data: {first}\n\n"
            "\n"
            f"data:{chunk(': 1}')}\n\n"
            f"data: {chunk(None, 'stop')}\n\n"
            'data: {"object":"chat.completion.chunk","choices":[],'
            '"usage":{"prompt_tokens":11,"completion_tokens":4}}\n\n'
            "data: [DONE]\n\n").encode()
    events, c = feed_all(MessagesCodec(), split_every(data, 9))
    assert c.text == '{"x": 1}' and c.finish_reason == "stop"
    assert (c.usage.input_tokens, c.usage.output_tokens) == (11, 4)
    assert c.model_version == "m"
    assert events[-1].final


def test_custom_jsonlines_stream():
    data = b'{"token": "Hi"}\n{"token": " there"}\n{"response": "Hi there", "finish_reason": "stop"}\n'
    _, c = feed_all(CustomCodec(), split_every(data, 4))
    assert c.text == "Hi there" and c.finish_reason == "stop"


def test_tgi_in_band_error_event_raises():
    dec = TgiCodec().stream_decoder(PROMPT)
    dec.feed(b'data:{"token":{"text":"ok","special":false}}\n\n')
    with pytest.raises(ModelStreamError) as ei:
        dec.feed(b'data:{"error":"Request failed during generation: ' + SECRET.encode()
                 + b'","error_type":"generation"}\n\n')
    assert ei.value.error_code == "container_error" and "generation" in str(ei.value)
    assert SECRET not in str(ei.value)


def test_lmi_in_band_finish_reason_error_in_stream():
    dec = LmiCodec().stream_decoder(PROMPT)
    dec.feed(b'{"token":{"text":"par"}}\n')
    with pytest.raises(ModelStreamError, match="finish_reason=error"):
        dec.feed(b'{"token":{"text":"tial"},"generated_text":"partial","details":{"finish_reason":"error"}}\n')


def test_messages_stream_finish_reason_error_raises():
    dec = MessagesCodec().stream_decoder(PROMPT)
    with pytest.raises(ModelStreamError):
        dec.feed(b'data: {"choices":[{"delta":{},"finish_reason":"error"}]}\n\n')


def test_stream_ending_mid_json_is_a_decode_error():
    dec = TgiCodec().stream_decoder(PROMPT)
    dec.feed(b'data:{"token":{"text":"a"}}\n\ndata:{"token":{"te')
    with pytest.raises(ResponseDecodeError, match="ended inside a JSON value"):
        dec.finish()


def test_non_json_stream_line_is_a_decode_error_without_text():
    dec = LmiCodec().stream_decoder(PROMPT)
    with pytest.raises(ResponseDecodeError) as ei:
        dec.feed(f"Internal error {SECRET}\n".encode())
    assert SECRET not in str(ei.value)


def test_stream_buffer_is_bounded(monkeypatch):
    from adeptai_sagemaker.backends.sagemaker.codecs.base import StreamDecoder
    monkeypatch.setattr(StreamDecoder, "max_pending_bytes", 64)
    dec = TgiCodec().stream_decoder(PROMPT)
    with pytest.raises(ResponseDecodeError, match="exceeded"):
        dec.feed(b'data:{"token":{"text":"' + b"a" * 100)
