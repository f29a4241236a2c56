"""No input text in any log record at DEBUG, for every capability, on success and failure paths.

Every input field carries a unique marker; the container is also made to echo the
marker back in its error message (real containers echo prompts in errors). The
marker must not appear in any captured record (message, args, exception text) nor
in the string of a raised error.

botocore and urllib3 are held at INFO here: at DEBUG they log raw request bodies
(the prompt) by design, which is why the CLI's ``-v`` never enables them
(tests/cli/test_cli.py) and why production must not run them at DEBUG.
"""

from __future__ import annotations

import logging

import pytest

from adeptai_sagemaker.core.errors import AdeptSageMakerError
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.plugin.tasks import CAPABILITIES

MARKER = "Zqx7Marker"
TEXT = f"{MARKER} Jane Roe {MARKER}-resume, Python AWS Docker 7 years {MARKER}. Senior engineer. {MARKER}"
INPUTS = {
    "query_enhancer": {"query": f"python developer {MARKER}"},
    "behavioral_analyzer": {"resume_text": TEXT, "job_description": TEXT, "target_role": f"Engineer {MARKER}"},
    "market_intelligence": {"prompt": f"Market for Python engineers {MARKER}", "system_prompt": MARKER},
    "job_parser": {"job_description": TEXT},
    "explanation_generator": {"candidate_profile": {"full_name": MARKER, "resume_text": TEXT}, "job_query": TEXT,
                              "match_scores": {"skill_match": 0.7}, "ranking_position": 1},
    "resume_summarizer": {"resume_text": TEXT, "job_description": TEXT},
    "question_generator": {"job_description": TEXT, "resume_text": TEXT},
    "candidate_matcher": {"job_description": TEXT, "resume_text": TEXT},
}
NOISY = ("botocore", "boto3", "urllib3", "s3transfer")


def endpoint(cap: str) -> str:
    return f"privacy-{cap.replace('_', '-')}"


@pytest.fixture
def fw(local_endpoint, aws_env, tmp_path):
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=local_endpoint.url,
                             adeptai_sagemaker_cache_dir=str(tmp_path / "cache"),
                             capabilities={c: {"endpoint": endpoint(c), "mode": "on", "max_attempts": 2, "cache": True}
                                           for c in CAPABILITIES})
    framework = Framework(settings, load_entrypoints=False)
    yield framework
    framework.close()


def variant(value, n: int):
    """The same input with every string changed, so the cache cannot answer it."""
    if isinstance(value, str):
        return f"{value} v{n}"
    if isinstance(value, dict):
        return {k: variant(v, n) for k, v in value.items()}
    return value


def leaked(records) -> list[str]:
    found = []
    for record in records:
        parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(str(record.exc_info[1]))
        if any(MARKER in p for p in parts):
            found.append(f"{record.name}:{record.levelname}:{record.getMessage()[:200]}")
    return found


def test_inputs_do_carry_the_marker():
    assert all(MARKER in repr(v) for v in INPUTS.values())


def test_no_input_text_in_logs_for_every_capability(fw, local_endpoint, caplog):
    caplog.set_level(logging.DEBUG)  # root and every package logger
    for name in NOISY:
        caplog.set_level(logging.INFO, logger=name)
    for cap in CAPABILITIES:
        out = fw.call(cap, INPUTS[cap])  # success (and a cache store)
        assert not out.from_legacy
        fw.call(cap, INPUTS[cap])  # cache hit
        # failure paths: the container echoes the input in its error; fallback to legacy, then a raised error
        local_endpoint.set_faults(endpoint(cap), kind="model_error", original_status=400,
                                  message=f"cannot parse input: {TEXT}", count=1)
        legacy = fw.call(cap, variant(INPUTS[cap], 1), legacy=lambda: {"legacy": True})
        assert legacy.from_legacy
        local_endpoint.set_faults(endpoint(cap), kind="malformed_json", count=4)
        fw.settings.sagemaker_llm_fallback = False
        try:
            with pytest.raises(AdeptSageMakerError) as info:
                fw.call(cap, variant(INPUTS[cap], 2))
            assert MARKER not in str(info.value)
        finally:
            fw.settings.sagemaker_llm_fallback = True
            local_endpoint.clear_faults()
    assert len(caplog.records) > 0  # the failure paths did log
    assert leaked(caplog.records) == []


def test_the_leak_detector_detects():
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "body=%s", (TEXT,), None)
    assert leaked([record]) and not leaked([logging.LogRecord("x", 10, __file__, 1, "len=%d", (4,), None)])
