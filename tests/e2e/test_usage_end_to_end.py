"""Token usage from each container dialect reaches the call record and the metrics snapshot ``status`` shows.

Framework.call -> codec -> boto3 -> local endpoint (reference model) and back,
streamed and not. Where the container reports counts in-band they must be its
counts exactly; where it cannot (TGI's non-streamed ``generate``), the prompt side
is estimated from the text, never left at zero.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from adeptai_sagemaker.backends.sagemaker.codecs.base import estimate_tokens  # noqa: E402
from adeptai_sagemaker.core.framework import Framework  # noqa: E402
from adeptai_sagemaker_lab.demo import SAMPLES, LastCall  # noqa: E402
from adeptai_sagemaker_lab.server.model_backends import default_backend  # noqa: E402
from adeptai_sagemaker_lab.server.tokens import count_tokens  # noqa: E402
from adeptai_sagemaker.core.settings import load_settings  # noqa: E402


class Recording:
    """The reference model, remembering the last prompt it saw and the answer it gave."""

    def __init__(self) -> None:
        self.inner = default_backend()
        self.version = self.inner.version
        self.prompt = self.answer = ""

    def generate(self, prompt_text: str, params: dict) -> str:
        self.prompt = prompt_text
        self.answer = self.inner.generate(prompt_text, params)
        return self.answer


@pytest.fixture(scope="module")
def backend():
    return Recording()


LOCAL_ENDPOINT = {"endpoints": {"tgi": "tgi", "messages": "messages", "lmi-vllm": "lmi-vllm", "vllm": "vllm"},
                  "default_dialect": None, "backend": "backend"}  # the ``endpoint`` fixture (tests/conftest.py)


def framework(endpoint, dialect: str, codec: str, stream: bool, observer: LastCall) -> Framework:
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=endpoint.url,
                             sagemaker_llm_fallback=False, sagemaker_llm_enabled=True,
                             capabilities={"job_parser": {"endpoint": dialect, "mode": "on", "codec": codec,
                                                          "stream": stream}})
    return Framework(settings, plugins=[observer], load_entrypoints=False, cache=False)


CASES = [  # dialect, codec, stream, EOS/extra tokens the container adds to the text's tokens, input reported?
    ("tgi", "tgi", False, 1, False),
    ("tgi", "tgi", True, 1, True),
    ("messages", "messages", False, 1, True),
    ("messages", "messages", True, 1, True),
    ("lmi-vllm", "lmi", True, 2, True),
    ("vllm", "messages", False, 1, True),
    ("vllm", "messages", True, 1, True),
]


@pytest.mark.parametrize("dialect,codec,stream,extra,reported", CASES,
                         ids=[f"{d}-{'stream' if s else 'whole'}" for d, _, s, _, _ in CASES])
def test_usage_reaches_record_and_metrics(endpoint, backend, monkeypatch, tmp_path, dialect, codec, stream, extra, reported):
    last = LastCall()  # the CallRecord observers see; no AWS setup: the local endpoint is on loopback
    fw = framework(endpoint, dialect, codec, stream, last)
    fw.call("job_parser", SAMPLES["job_parser"])
    record = last.records["job_parser"]
    assert record.backend == "sagemaker" and record.outcome == "success"
    expected_in = count_tokens(backend.prompt) if reported else estimate_tokens(backend.prompt)
    assert record.input_tokens == expected_in > 0
    assert record.output_tokens == count_tokens(backend.answer) + extra
    path = tmp_path / "metrics.json"
    fw.metrics.write_snapshot(str(path))  # what `adeptai-sagemaker status --metrics` reads
    (series,) = [s for s in json.loads(path.read_text())["series"] if s["capability"] == "job_parser"]
    assert (series["input_tokens"], series["output_tokens"]) == (record.input_tokens, record.output_tokens)
