"""Real container bodies, replayed over real HTTP to boto3 and decoded by the runtime and the codecs.

Each fixture in ``tests/data/container_bodies/`` is shaped byte for byte as its
container writes it (manifest.json names the source; docs/wire-formats.md says
why). Streams are replayed under several PayloadPart cuts over HTTP and under
every two-part cut straight into the decoder, since SageMaker may cut anywhere,
even inside a UTF-8 character. Text, finish reason, in-band errors and token
usage (input and output, and whether estimated) must come out right each time.
"""

from __future__ import annotations

import pytest

pytest.importorskip("starlette", reason="the replay server frames streams with the lab's encoder ('serve' extra)")

from adeptai_sagemaker.backends.sagemaker.codecs import get_codec  # noqa: E402
from adeptai_sagemaker.plugin.completion import Completion, TokenUsage  # noqa: E402
from adeptai_sagemaker.core.errors import ModelStreamError  # noqa: E402
from adeptai_sagemaker.core.prompting import RenderedPrompt  # noqa: E402
from adeptai_sagemaker.backends.sagemaker.runtime import RuntimeConfig, SageMakerRuntime  # noqa: E402

from support.container_replay import FIXTURES, MANIFEST, ReplayEndpoint, Reply, body_of, split  # noqa: E402

STREAMS = sorted(n for n, f in FIXTURES.items() if f["stream"])
WHOLE = sorted(n for n, f in FIXTURES.items() if not f["stream"])
CUTS = ["event", "whole", "1", "7", "64"]


def prompt_for(fixture: dict) -> RenderedPrompt:
    p = MANIFEST["prompts"][fixture["prompt"]]
    return RenderedPrompt("job_parser", p["system"], p["user"], "t", "1", "h")


@pytest.fixture(scope="module")
def replay():
    with ReplayEndpoint() as ep:
        yield ep


@pytest.fixture
def runtime(replay, aws_env):
    return SageMakerRuntime(RuntimeConfig(region="us-east-1", endpoint_url=replay.url, max_attempts=3),
                            sleep=lambda _s: None)


def check(completion: Completion, fixture: dict) -> None:
    exp = fixture["expect"]
    assert completion.text == exp["text"]
    assert completion.finish_reason == exp["finish_reason"]
    assert completion.usage == TokenUsage(**exp["usage"])


def decode_stream(codec, prompt, parts) -> Completion:
    decoder = codec.stream_decoder(prompt)
    for part in parts:
        decoder.feed(part)
    return decoder.finish()


def test_manifest_lists_every_fixture_file():
    from support.container_replay import DATA

    on_disk = {p.name for p in DATA.iterdir() if p.name != "manifest.json"}
    assert on_disk == set(FIXTURES)
    assert {f["codec"] for f in FIXTURES.values()} == {"tgi", "lmi", "messages", "jumpstart"}


@pytest.mark.parametrize("name", WHOLE)
def test_whole_body_over_http(name, replay, runtime):
    fixture = FIXTURES[name]
    replay.queue(name, Reply(body_of(name)))
    result = runtime.invoke(name, b"{}")
    assert result.body == body_of(name)  # boto3 hands over the exact bytes
    check(get_codec(fixture["codec"]).decode(result.body, prompt_for(fixture)), fixture)


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("name", STREAMS)
def test_stream_over_http(name, cut, replay, runtime):
    fixture = FIXTURES[name]
    data = body_of(name)
    replay.queue(name, Reply(data, parts=split(data, cut)))
    codec = get_codec(fixture["codec"])
    parts = runtime.invoke_stream(name, b"{}")
    if fixture["expect"]["error"]:
        with pytest.raises(ModelStreamError) as info:
            decode_stream(codec, prompt_for(fixture), parts)
        assert info.value.error_code == fixture["expect"]["error"]
        assert info.value.retryable is False
        assert "CUDA" not in str(info.value) and "engine dead" not in str(info.value)  # container text stays off str()
    else:
        check(decode_stream(codec, prompt_for(fixture), parts), fixture)


@pytest.mark.parametrize("name", STREAMS)
def test_stream_under_every_two_part_cut(name):
    fixture = FIXTURES[name]
    data = body_of(name)
    codec = get_codec(fixture["codec"])
    for i in range(1, len(data)):
        if fixture["expect"]["error"]:
            with pytest.raises(ModelStreamError):
                decode_stream(codec, prompt_for(fixture), [data[:i], data[i:]])
        else:
            check(decode_stream(codec, prompt_for(fixture), [data[:i], data[i:]]), fixture)


def test_streamed_input_tokens_come_from_input_length_not_prefill():
    """A regression pinned here: real TGI and LMI-vLLM streams report prompt size only as input_length."""
    for name in ("tgi_generate_stream.sse", "lmi_vllm_stream.jsonl"):
        fixture = FIXTURES[name]
        assert b'"prefill"' not in body_of(name)
        usage = decode_stream(get_codec(fixture["codec"]), prompt_for(fixture), [body_of(name)]).usage
        assert usage is not None and usage.source == "container" and usage.input_tokens == 11


# ------------------------------------------------------------------ stream exceptions
# botocore turns a modeled stream exception into EventStreamError (a ClientError) carrying only
# Error.Code (the exception type) and Error.Message: the event's ErrorCode field never reaches us.

def test_model_stream_error_after_first_byte_keeps_only_code_and_message(replay, runtime):
    data = body_of("tgi_generate_stream.sse")
    replay.queue("mse", Reply(data[:200], parts=[data[:100], data[100:200]],
                              exception=("ModelStreamError", "Model invocation time exceeded.",
                                         "ModelInvocationTimeExceeded")))
    got = []
    with pytest.raises(ModelStreamError) as info:
        for part in runtime.invoke_stream("mse", b"{}"):
            got.append(part)
    assert b"".join(got) == data[:200]  # what arrived before the error is delivered
    err = info.value
    assert err.error_code == "ModelStreamError"  # not ModelInvocationTimeExceeded: botocore dropped it
    assert err.service_message == "Model invocation time exceeded."
    assert err.retryable is False and err.reason == "stream_error"
    assert replay.calls("mse") == 1


def test_model_stream_error_before_first_byte_is_not_retried(replay, runtime):
    """StreamBroken and ModelInvocationTimeExceeded look the same to us; a timeout would time out again."""
    replay.queue("mse0", Reply(b"", parts=[], exception=("ModelStreamError", "The stream was broken.", "StreamBroken")))
    with pytest.raises(ModelStreamError) as info:
        list(runtime.invoke_stream("mse0", b"{}"))
    assert info.value.retryable is False and info.value.attempts == 1
    assert replay.calls("mse0") == 1


def test_internal_stream_failure_before_first_byte_is_retried(replay, runtime):
    data = body_of("tgi_generate_stream_eos.sse")
    replay.queue("isf", Reply(b"", parts=[], exception=("InternalStreamFailure", "Try again.", "")),
                 Reply(data, parts=split(data, "event")))
    fixture = FIXTURES["tgi_generate_stream_eos.sse"]
    check(decode_stream(get_codec("tgi"), prompt_for(fixture), runtime.invoke_stream("isf", b"{}")), fixture)
    assert replay.calls("isf") == 2


def test_internal_stream_failure_after_first_byte_is_not_retried(replay, runtime):
    """Output already reached the caller: a retry would duplicate it, so the error goes to the fallback."""
    data = body_of("tgi_generate_stream_eos.sse")
    replay.queue("isf1", Reply(data[:50], parts=[data[:50]], exception=("InternalStreamFailure", "Try again.", "")),
                 Reply(data))
    with pytest.raises(ModelStreamError) as info:
        list(runtime.invoke_stream("isf1", b"{}"))
    assert info.value.error_code == "InternalStreamFailure" and info.value.attempts == 1
    assert replay.calls("isf1") == 1
