"""The optional llama.cpp backend (needs llama-cpp-python and a GGUF file; neither ships with the project)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (optional backend)")
GGUF = os.environ.get("ADEPTAI_TEST_GGUF")
if not GGUF or not os.path.isfile(GGUF):
    pytest.skip("set ADEPTAI_TEST_GGUF to a small GGUF model file to test the llama.cpp backend",
                allow_module_level=True)

from adeptai_sagemaker.lab.server import LlamaCppBackend  # noqa: E402


def test_llama_backend_follows_json_schema_grammar():
    import json

    backend = LlamaCppBackend(GGUF, n_ctx=512)
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    out = backend.generate("Reply in JSON: what is 2+2?", {"max_new_tokens": 32, "json_schema": schema})
    assert "answer" in json.loads(out)
