"""Settings: integration-guide names, monolith names, precedence, clear errors."""

import pytest

from adeptai_sagemaker.core.routing import ModeResolver, Resolution

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.settings import Mode, load_settings
from adeptai_sagemaker.plugin.tasks import CAPABILITIES

ALL_VARS = [
    "SAGEMAKER_LLM_ENABLED", "SAGEMAKER_LLM_FALLBACK", "USE_SAGEMAKER_LLM", "USE_SAGEMAKER", "AWS_REGION",
    "SAGEMAKER_REGION", "AWS_DEFAULT_REGION", "SAGEMAKER_LLM_ENHANCER_ENDPOINT", "SAGEMAKER_ENDPOINT_URL",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("SAGEMAKER_") or name in ALL_VARS or name.startswith("ADEPTAI_SAGEMAKER_"):
            monkeypatch.delenv(name, raising=False)


def test_guide_variables_are_read(monkeypatch):
    endpoints = {
        "SAGEMAKER_QUERY_ENHANCER_ENDPOINT": "query_enhancer",
        "SAGEMAKER_BEHAVIORAL_ENDPOINT": "behavioral_analyzer",
        "SAGEMAKER_MARKET_INTEL_ENDPOINT": "market_intelligence",
        "SAGEMAKER_JOB_PARSER_ENDPOINT": "job_parser",
        "SAGEMAKER_EXPLANATION_ENDPOINT": "explanation_generator",
        "SAGEMAKER_RESUME_SUMMARIZER_ENDPOINT": "resume_summarizer",
        "SAGEMAKER_QUESTION_GENERATOR_ENDPOINT": "question_generator",
        "SAGEMAKER_CANDIDATE_MATCHER_ENDPOINT": "candidate_matcher",
    }
    for var, cap in endpoints.items():
        monkeypatch.setenv(var, f"ep-{cap}")
    monkeypatch.setenv("SAGEMAKER_LLM_ENABLED", "true")
    monkeypatch.setenv("SAGEMAKER_LLM_FALLBACK", "false")
    monkeypatch.setenv("USE_SAGEMAKER_LLM", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    s = load_settings(env_file=None)
    assert set(endpoints.values()) == set(CAPABILITIES)
    for cap in CAPABILITIES:
        assert s.endpoint(cap) == f"ep-{cap}"
        assert s.configured_mode(cap) == Mode("on")
    assert s.sagemaker_llm_fallback is False
    assert s.region() == "eu-west-1"


def test_per_capability_options(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "canary:25")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CODEC", "lmi")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_INFERENCE_COMPONENT", "ic-1")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CUSTOM_ATTRIBUTES", "accept_eula=true")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_READ_TIMEOUT", "12.5")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MAX_TOKENS", "300")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_TEMPERATURE", "0.4")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CACHE", "false")
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CACHE_TTL", "60")
    s = load_settings(env_file=None)
    cap = s.capability("job_parser")
    assert s.configured_mode("job_parser") == Mode("canary", 25)
    assert (cap.codec, cap.inference_component, cap.custom_attributes) == ("lmi", "ic-1", "accept_eula=true")
    assert (cap.read_timeout, cap.connect_timeout, cap.max_tokens, cap.temperature) == (12.5, 1.0, 300, 0.4)
    assert s.cache_enabled("job_parser") is False and s.cache_ttl("job_parser") == 60
    assert s.configured_mode("query_enhancer") == Mode("off")  # untouched capability follows the (unset) master switch


def test_dotenv_file_is_read(tmp_path):
    env = tmp_path / ".env"
    env.write_text("AWS_REGION=ap-south-1\nSAGEMAKER_BEHAVIORAL_ENDPOINT=beh-v2\nSAGEMAKER_BEHAVIORAL_MODE=shadow\n")
    s = load_settings(env_file=env)
    assert s.region() == "ap-south-1"
    assert s.endpoint("behavioral_analyzer") == "beh-v2"
    assert s.configured_mode("behavioral_analyzer") == Mode("shadow")


def test_monolith_names_and_precedence(monkeypatch):
    monkeypatch.setenv("USE_SAGEMAKER", "1")
    monkeypatch.setenv("SAGEMAKER_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("SAGEMAKER_LLM_ENHANCER_ENDPOINT", "legacy-enhancer")
    s = load_settings(env_file=None)
    assert s.configured_mode("job_parser") == Mode("on")  # USE_SAGEMAKER turns the master switch on
    assert s.region() == "ap-south-1"  # SAGEMAKER_REGION wins over AWS_REGION
    assert s.endpoint("query_enhancer") == "legacy-enhancer"
    monkeypatch.setenv("SAGEMAKER_QUERY_ENHANCER_ENDPOINT", "new-enhancer")
    monkeypatch.setenv("USE_SAGEMAKER_LLM", "false")  # the guide's name wins over the monolith's
    s = load_settings(env_file=None)
    assert s.endpoint("query_enhancer") == "new-enhancer"
    assert s.configured_mode("job_parser") == Mode("off")


def test_kill_switch_overrides_explicit_modes(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "on")
    monkeypatch.setenv("SAGEMAKER_LLM_ENABLED", "false")
    s = load_settings(env_file=None)
    assert s.configured_mode("job_parser") == Mode("on")  # the env's step is kept...
    resolver = ModeResolver(s)  # ...and the one place that decides holds every module off
    assert all(resolver.resolve(c) == Resolution(Mode("off"), "host-kill-switch", "host", str(s.configured_mode(c)))
               for c in CAPABILITIES)


def test_missing_region_is_a_clear_error():
    s = load_settings(env_file=None)
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        s.region()


@pytest.mark.parametrize("value", ["canary:150", "canary:", "sometimes", "canary:-1", "on:5"])
def test_malformed_mode_names_the_variable_and_allowed_values(monkeypatch, value):
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", value)
    with pytest.raises(ConfigurationError) as info:
        load_settings(env_file=None)
    assert "SAGEMAKER_JOB_PARSER_MODE" in str(info.value)
    assert "canary:N" in str(info.value) and "shadow" in str(info.value)


def test_malformed_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_BEHAVIORAL_READ_TIMEOUT", "soon")
    with pytest.raises(ConfigurationError, match="SAGEMAKER_BEHAVIORAL_READ_TIMEOUT"):
        load_settings(env_file=None)


def test_mode_parsing_round_trip():
    assert Mode.parse(" Canary:10 ") == Mode("canary", 10)
    assert str(Mode.parse("canary:100")) == "canary:100"
    assert Mode.parse("shadow").kind == "shadow"


def test_pii_capabilities_do_not_cache_by_default_and_ttl_is_capped(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_BEHAVIORAL_CACHE", "true")
    monkeypatch.setenv("SAGEMAKER_BEHAVIORAL_CACHE_TTL", str(7 * 24 * 3600))
    s = load_settings(env_file=None)
    assert s.cache_enabled("resume_summarizer") is False
    assert s.cache_enabled("job_parser") is True
    assert s.cache_enabled("behavioral_analyzer") is True
    assert s.cache_ttl("behavioral_analyzer") == 24 * 3600


def test_unknown_codec_is_rejected_with_the_variable(monkeypatch, tmp_path):
    from adeptai_sagemaker.core.framework import Framework

    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_CODEC", "grpc-magic")
    with pytest.raises(ConfigurationError, match="SAGEMAKER_JOB_PARSER_CODEC.*grpc-magic"):
        Framework(load_settings(env_file=None), load_entrypoints=False, cache=False)
