"""OpenAI / Anthropic backends: official SDKs over real HTTP against the loopback fake APIs."""

import json

import pytest

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from adeptai_sagemaker.backends.base import Target  # noqa: E402
from adeptai_sagemaker_lab.bench.fake_apis import FakeAPIServer  # noqa: E402
from adeptai_sagemaker.plugin.completion import GenerationParams  # noqa: E402
from adeptai_sagemaker.core.errors import (  # noqa: E402
    ConfigurationError,
    ConnectionFailedError,
    EndpointTimeoutError,
    EndpointValidationError,
    InternalFailureError,
    ServiceUnavailableError,
    ThrottlingError,
)
from adeptai_sagemaker.backends.external import AnthropicBackend, ExternalBackends, OpenAIBackend  # noqa: E402
from adeptai_sagemaker.core.framework import Framework  # noqa: E402
from adeptai_sagemaker.plugin.hookspecs import hookimpl  # noqa: E402
from adeptai_sagemaker.core.prompting import RenderedPrompt  # noqa: E402
from adeptai_sagemaker.core.settings import load_settings  # noqa: E402

KEY = "sk-test-key"
ANSWER = {"title": "Data Engineer", "mandatory_skills": ["Python", "SQL"], "preferred_skills": ["Airflow"],
          "years_experience": 4, "education_level": None, "location": None, "work_mode": None, "salary_range": None,
          "seniority_level": None, "employment_type": None}


class Scripted:
    """The server's model: records the prompt text it was given, answers a fixed JSON object."""

    def __init__(self):
        self.prompts = []

    def __call__(self, text):
        self.prompts.append(text)
        return json.dumps(ANSWER)


@pytest.fixture(scope="module")
def model():
    return Scripted()


@pytest.fixture(scope="module")
def server(model):
    with FakeAPIServer(time_scale=0.0, api_key=KEY, generate=model) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _reset(server, model):
    server.reset()
    model.prompts.clear()


PROMPT = RenderedPrompt(task="job_parser", system="You extract job requirements as JSON.",
                        user="<<<DATA job_description>>>\nData engineer, Python + SQL\n<<<END job_description>>>",
                        template="job_parser/v1.j2", template_version="v1", template_hash="abc")
PARAMS = GenerationParams(max_new_tokens=256)


def target(**kw):
    base = dict(capability="job_parser", endpoint=None, connect_timeout=2.0, read_timeout=5.0, max_attempts=3)
    base.update(kw)
    return Target(**base)


def backends(server, key=KEY):
    return [OpenAIBackend(key, base_url=server.openai_base_url),
            AnthropicBackend(key, base_url=server.anthropic_base_url)]


@pytest.mark.parametrize("index,api", [(0, "openai"), (1, "anthropic")])
def test_completion_text_and_real_usage(server, model, index, api):
    backend = backends(server)[index]
    completion = backend.complete(PROMPT, PARAMS, target())
    assert json.loads(completion.text) == ANSWER
    (record,) = server.records()
    assert record.api == api
    # usage comes from the API response, not from a local estimate
    assert completion.usage.input_tokens == record.input_tokens > 0
    assert completion.usage.output_tokens == record.output_tokens > 0
    assert completion.usage.source == "api"
    assert completion.finish_reason == "stop"
    assert completion.attempts == 1
    # system and user parts arrive as the provider's system / user fields and reach the model intact
    assert model.prompts == [PROMPT.text]
    assert record.model == ("gpt-4o-mini" if api == "openai" else "claude-sonnet-4-20250514")


@pytest.mark.parametrize("index", [0, 1])
def test_max_tokens_is_sent_and_truncation_reported(server, index):
    completion = backends(server)[index].complete(PROMPT, GenerationParams(max_new_tokens=3), target())
    assert completion.usage.output_tokens == 3
    assert completion.finish_reason == "length"


@pytest.mark.parametrize("index,api", [(0, "openai"), (1, "anthropic")])
def test_throttle_is_retried_once_then_succeeds(server, index, api):
    server.set_fault(api, "throttle", count=1)
    completion = backends(server)[index].complete(PROMPT, PARAMS, target(max_attempts=3))
    assert completion.attempts == 2
    assert [r.status for r in server.records()] == [429, 200]


@pytest.mark.parametrize("index,api", [(0, "openai"), (1, "anthropic")])
def test_persistent_throttle_raises_typed_error_after_bounded_attempts(server, index, api):
    server.set_fault(api, "throttle")
    with pytest.raises(ThrottlingError) as info:
        backends(server)[index].complete(PROMPT, PARAMS, target(max_attempts=2))
    assert info.value.retryable and info.value.status == 429 and info.value.attempts == 2
    assert len(server.records()) == 2  # SDK retries are off: exactly our two attempts hit the server


@pytest.mark.parametrize("index,api,kind,error,status", [
    (0, "openai", "overloaded", ServiceUnavailableError, 503),
    (1, "anthropic", "overloaded", ServiceUnavailableError, 529),
    (0, "openai", "server_error", InternalFailureError, 500),
    (1, "anthropic", "server_error", InternalFailureError, 500),
])
def test_5xx_maps_to_retryable_service_errors(server, index, api, kind, error, status):
    server.set_fault(api, kind)
    with pytest.raises(error) as info:
        backends(server)[index].complete(PROMPT, PARAMS, target(max_attempts=1))
    assert info.value.status == status and info.value.retryable


@pytest.mark.parametrize("index,api", [(0, "openai"), (1, "anthropic")])
def test_4xx_is_validation_error_and_never_retried(server, index, api):
    server.set_fault(api, "bad_request")
    with pytest.raises(EndpointValidationError) as info:
        backends(server)[index].complete(PROMPT, PARAMS, target(max_attempts=3))
    assert not info.value.retryable
    assert len(server.records()) == 1
    assert "injected" not in str(info.value)  # provider text stays out of str(exc)
    assert info.value.service_message  # ...but is kept for deliberate debugging


@pytest.mark.parametrize("index", [0, 1])
def test_bad_key_is_configuration_error(server, index):
    with pytest.raises(ConfigurationError) as info:
        backends(server, key="wrong")[index].complete(PROMPT, PARAMS, target())
    assert info.value.reason == "auth"


@pytest.mark.parametrize("index,api", [(0, "openai"), (1, "anthropic")])
def test_read_timeout_is_honoured(server, index, api):
    server.set_fault(api, "slow", count=1, sleep_s=1.5)
    with pytest.raises(EndpointTimeoutError):
        backends(server)[index].complete(PROMPT, PARAMS, target(read_timeout=0.3, max_attempts=1))
    # the server finishes the abandoned request later; wait for it so it cannot land in the next test's records
    assert server.wait_for_records(1, timeout_s=10), "the slow request never finished"


@pytest.mark.parametrize("cls", [OpenAIBackend, AnthropicBackend])
def test_connection_refused_is_connection_failed(cls):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    base = f"http://127.0.0.1:{port}" + ("/v1" if cls is OpenAIBackend else "")
    with pytest.raises(ConnectionFailedError):
        cls(KEY, base_url=base).complete(PROMPT, PARAMS, target(max_attempts=1, connect_timeout=0.5))


def test_plugin_registers_both_backends_from_env(server, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_base_url)
    settings = load_settings(env_file=None, aws_region="us-east-1", adeptai_sagemaker_cache_dir=str(tmp_path))
    fw = Framework(settings, plugins=[ExternalBackends()], load_entrypoints=False, cache=False)
    try:
        for name in ("openai", "anthropic"):
            out = fw.invoke("job_parser", {"job_description": "Data engineer: Python and SQL"}, backend=name)
            assert out.mandatory_skills == ["Python", "SQL"]
            assert fw.backend(name).name == name
        assert [r.api for r in server.records()] == ["openai", "anthropic"]
    finally:
        fw.close()


def test_invalid_json_answer_is_re_asked_through_the_pipeline(server, model, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
    server.set_fault("openai", "not_json", count=1)
    settings = load_settings(env_file=None, aws_region="us-east-1")
    fw = Framework(settings, plugins=[ExternalBackends()], load_entrypoints=False, cache=False)
    try:
        calls = []
        fw.pm.register(type("Calls", (), {"on_call_finished": hookimpl(lambda self, record: calls.append(record))})())
        out = fw.invoke("job_parser", {"job_description": "Data engineer: Python and SQL"}, backend="openai")
        assert out.title == "Data Engineer"
        assert (calls[-1].reasks, calls[-1].attempts) == (1, 2)  # one prose answer, one re-ask
        assert [r.fault for r in server.records()] == ["not_json", None]
        assert "rejected" in model.prompts[-1]  # the re-ask carried the feedback
    finally:
        fw.close()


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings = load_settings(env_file=None, aws_region="us-east-1")
    fw = Framework(settings, plugins=[ExternalBackends()], load_entrypoints=False, cache=False)
    try:
        with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
            fw.backend("anthropic")
    finally:
        fw.close()
