"""The plugin contract, through real entry points: plugins cannot bypass routing, add capabilities
by registering a task, and cannot break observers.

Each plugin is a real distribution in ``tmp_path`` (a ``*.dist-info`` with
``entry_points.txt``) put on ``sys.path``, loaded by ``importlib.metadata`` as
an installed plugin would be.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap

import pytest

from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import load_settings

JOB = {"title": "Engineer", "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 3,
       "education_level": None, "location": None, "work_mode": None, "salary_range": None, "seniority_level": None,
       "employment_type": None}


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Install ``{module: source}`` (plus extra files) as a distribution with one entry point."""
    installed = []

    def install(entry_name: str, module: str, source: str, files: dict[str, str] | None = None):
        site = tmp_path / f"site-{module}"
        package = site / module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(textwrap.dedent(source))
        for rel, text in (files or {}).items():
            (package / rel).parent.mkdir(parents=True, exist_ok=True)
            (package / rel).write_text(textwrap.dedent(text))
        dist = site / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[adeptai_sagemaker]\n{entry_name} = {module}\n")
        monkeypatch.syspath_prepend(str(site))
        installed.append(module)
        return module

    yield install
    for module in installed:
        sys.modules.pop(module, None)


SERVING_PLUGIN = """
    from adeptai_sagemaker.plugin.hookspecs import hookimpl
    from adeptai_sagemaker.capabilities.schemas import JobParserOutput

    asked = []

    @hookimpl
    def serve_capability(capability, request, call):
        asked.append((capability, call.route, call.mode))
        if capability != "job_parser":
            return None
        return JobParserOutput(title="ACME", mandatory_skills=["Cobol"], preferred_skills=[], years_experience=None,
                               education_level=None, location=None, work_mode=None, salary_range=None,
                               seniority_level=None, employment_type=None)
"""


class ScriptedBackend:
    name = "sagemaker"

    def __init__(self):
        self.calls = 0

    def complete(self, prompt, params, target):
        from adeptai_sagemaker.plugin.completion import Completion

        self.calls += 1
        return Completion(text=json.dumps(JOB))


def env_framework(monkeypatch, **env) -> Framework:
    """A framework configured only by environment variables, as in production."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Framework(load_settings(env_file=None), cache=False)


def legacy_parse():
    return {"mandatory_skills": ["Legacy"]}


def test_serving_plugin_answers_when_routed_to_the_model_side(install_plugin, monkeypatch):
    module = install_plugin("acme", "acme_serving", SERVING_PLUGIN)
    fw = env_framework(monkeypatch, SAGEMAKER_JOB_PARSER_ENDPOINT="jp", SAGEMAKER_JOB_PARSER_MODE="on",
                       SAGEMAKER_QUERY_ENHANCER_ENDPOINT="qe", SAGEMAKER_QUERY_ENHANCER_MODE="on")
    backend = fw.sagemaker = ScriptedBackend()
    result = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert (result.value.title, result.served_by, result.record.backend) == ("ACME", "acme", "acme")
    assert sys.modules[module].asked == [("job_parser", "sagemaker", "on")] and backend.calls == 0
    # a plugin that passes (returns None) leaves the capability to its backend
    fw.call("query_enhancer", {"query": "python"}, legacy=lambda: "legacy")
    assert sys.modules[module].asked[-1][0] == "query_enhancer" and backend.calls >= 1


@pytest.mark.parametrize("env", [
    {"SAGEMAKER_LLM_ENABLED": "false", "SAGEMAKER_JOB_PARSER_MODE": "on"},  # kill switch beats the mode
    {"USE_SAGEMAKER_LLM": "true", "SAGEMAKER_JOB_PARSER_MODE": "off"},      # module off beats the master switch
    {"SAGEMAKER_JOB_PARSER_MODE": "canary:0"},                             # canary bucket outside 0%
], ids=["kill-switch", "mode-off", "canary-0"])
def test_serving_plugin_is_never_asked_for_a_module_routed_to_legacy(install_plugin, monkeypatch, env):
    module = install_plugin("acme", "acme_serving", SERVING_PLUGIN)
    fw = env_framework(monkeypatch, SAGEMAKER_JOB_PARSER_ENDPOINT="jp", **env)
    backend = fw.sagemaker = ScriptedBackend()
    result = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert result.served_by == "legacy" and result.value == {"mandatory_skills": ["Legacy"]}
    assert result.record.route == "legacy" and result.record.outcome == "success"
    assert sys.modules[module].asked == [] and backend.calls == 0


def test_allow_list_keeps_an_installed_plugin_out(install_plugin, monkeypatch):
    module = install_plugin("acme", "acme_serving", SERVING_PLUGIN)
    fw = env_framework(monkeypatch, SAGEMAKER_JOB_PARSER_ENDPOINT="jp", SAGEMAKER_JOB_PARSER_MODE="on",
                       ADEPTAI_SAGEMAKER_PLUGINS="")
    fw.sagemaker = ScriptedBackend()
    result = fw.call("job_parser", {"job_description": "x"})
    assert (result.value.title, result.served_by) == ("Engineer", "sagemaker") and module not in sys.modules


def test_raising_serving_plugin_falls_back_through_the_framework(install_plugin, monkeypatch):
    install_plugin("broken", "acme_broken", """
        from adeptai_sagemaker.plugin.hookspecs import hookimpl

        @hookimpl
        def serve_capability(capability, request, call):
            raise RuntimeError("plugin bug")
    """)
    fw = env_framework(monkeypatch, SAGEMAKER_JOB_PARSER_ENDPOINT="jp", SAGEMAKER_JOB_PARSER_MODE="on")
    result = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert result.served_by == "legacy" and result.record.outcome == "fallback"
    assert result.record.fallback_reason == "unexpected_error" and result.record.error_code == "RuntimeError"


NINTH_PLUGIN = """
    from pydantic import BaseModel

    from adeptai_sagemaker.plugin.hookspecs import hookimpl
    from adeptai_sagemaker.capabilities.schemas import CapabilityOutput
    from adeptai_sagemaker.plugin.tasks import TaskSpec


    class EchoInput(BaseModel):
        text: str


    class EchoOutput(CapabilityOutput):
        ok: bool
        prompt_chars: int
        prompt_sha: str


    @hookimpl
    def register_tasks(register):
        register(TaskSpec("prompt_echo", EchoInput, EchoOutput, "acme_ninth:templates/echo.j2", "PROMPT_ECHO",
                          "Describe the prompt (a ninth capability from a plugin)."))
"""

NINTH_TEMPLATE = """
    {% extends "_base.j2" %}
    {% block role %}Describe the text.{% endblock %}
    {% block inputs %}
    {{ data("text", text) }}
    {% endblock %}
"""


def test_a_ninth_capability_from_a_plugin_is_configured_by_env_and_served(install_plugin, aws_env, monkeypatch):
    from adeptai_sagemaker_lab.server import LocalEndpoint
    from adeptai_sagemaker_lab.server.model_backends import EchoBackend

    install_plugin("ninth", "acme_ninth", NINTH_PLUGIN, {"templates/echo.j2": NINTH_TEMPLATE})
    with LocalEndpoint({"echo-ep": "tgi"}, default_dialect=None, backend=EchoBackend()) as ep:
        fw = env_framework(monkeypatch, SAGEMAKER_ENDPOINT_URL=ep.url, SAGEMAKER_PROMPT_ECHO_ENDPOINT="echo-ep",
                           SAGEMAKER_PROMPT_ECHO_MODE="on", SAGEMAKER_PROMPT_ECHO_MAX_TOKENS="77")
        assert fw.route("prompt_echo").params.max_new_tokens == 77  # every SAGEMAKER_<STEM>_* variable works
        result = fw.call("prompt_echo", {"text": "hello from a plugin"}, legacy=lambda: "legacy")
        assert result.served_by == "sagemaker" and result.value.ok and result.value.prompt_chars > 0
        assert (result.record.endpoint, result.record.outcome, result.record.mode) == ("echo-ep", "success", "on")
        assert ep.stats()  # the answer came over HTTP from the local endpoint

    off = env_framework(monkeypatch, SAGEMAKER_PROMPT_ECHO_MODE="off")
    assert off.call("prompt_echo", {"text": "x"}, legacy=lambda: "legacy").served_by == "legacy"


def test_a_raising_observer_does_not_stop_metrics_or_others(install_plugin, monkeypatch, caplog):
    module = install_plugin("noisy", "acme_noisy", """
        from adeptai_sagemaker.plugin.hookspecs import hookimpl

        seen = []

        @hookimpl
        def on_call_finished(record):
            seen.append(record.call_id)
            raise RuntimeError("observer bug")
    """)

    class Audit:
        def __init__(self):
            self.records = []

        from adeptai_sagemaker.plugin.hookspecs import hookimpl as _impl

        @_impl
        def on_call_finished(self, record):
            self.records.append(record)

    monkeypatch.setenv("AWS_REGION", "us-east-1")
    audit = Audit()
    fw = Framework(load_settings(env_file=None), plugins=[audit], cache=False)
    with caplog.at_level(logging.ERROR, logger="adeptai_sagemaker"):
        for _ in range(3):
            assert fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse).served_by == "legacy"
    assert len(sys.modules[module].seen) == 3  # the noisy observer was called each time
    assert fw.metrics.snapshot()["totals"]["invocations"] == 3 and len(audit.records) == 3
    failures = [r for r in caplog.records if "acme_noisy" in r.getMessage() or "noisy" in r.getMessage()]
    assert len(failures) == 1  # logged once, not per call
