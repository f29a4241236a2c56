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
        for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
            sys.modules.pop(name)


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


BETTER_JOB_PARSER = """
    from adeptai_sagemaker.plugin.hookspecs import hookimpl
    from adeptai_sagemaker.capabilities.schemas import CapabilityOutput, JobParserInput
    from adeptai_sagemaker.plugin.tasks import TaskSpec


    class AcmeJob(CapabilityOutput):
        acme_title: str
        acme_skills: list[str]


    @hookimpl
    def register_tasks(register):
        register(TaskSpec("job_parser", JobParserInput, AcmeJob, "acme_jobs:templates/job.j2", "JOB_PARSER",
                          "ACME's own job parser."))
"""

BETTER_TEMPLATE = """
    {% extends "_base.j2" %}
    {% block role %}ACME job parser, version 2.{% endblock %}
    {% block inputs %}
    {{ data("job_description", job_description) }}
    {% endblock %}
"""


def test_a_plugin_registering_job_parser_replaces_the_built_in_template_and_schema(install_plugin, monkeypatch):
    """pluggy calls the newest registration first and the first registration of a name is kept:
    the plugin (registered after the built-ins) wins, whatever the order entry points are found in."""
    module = install_plugin("acme-jobs", "acme_jobs", BETTER_JOB_PARSER, {"templates/job.j2": BETTER_TEMPLATE})
    fw = env_framework(monkeypatch, SAGEMAKER_JOB_PARSER_ENDPOINT="jp", SAGEMAKER_JOB_PARSER_MODE="on")
    prompts = []

    class Backend(ScriptedBackend):
        def complete(self, prompt, params, target):
            from adeptai_sagemaker.plugin.completion import Completion

            prompts.append(prompt)
            return Completion(text=json.dumps({"acme_title": "Engineer", "acme_skills": ["Python"]}))

    fw.sagemaker = Backend()
    spec = fw.spec("job_parser")
    assert spec.template == "acme_jobs:templates/job.j2" and spec.output_model is sys.modules[module].AcmeJob
    assert fw.route("job_parser").template_version.startswith("acme_jobs:templates/job.j2@")
    result = fw.call("job_parser", {"job_description": "Python engineer"}, legacy=legacy_parse)
    assert result.served_by == "sagemaker" and type(result.value).__name__ == "AcmeJob"
    assert result.value.acme_skills == ["Python"]
    assert "ACME job parser, version 2." in prompts[0].system + prompts[0].user  # the plugin's template
    assert "acme_title" in prompts[0].system + prompts[0].user  # the plugin's schema is what the model is shown


LAZY_PLUGIN = """
    from adeptai_sagemaker.plugin.hookspecs import hookimpl
    from adeptai_sagemaker.plugin.tasks import TaskSpec


    @hookimpl
    def register_tasks(register):
        register(TaskSpec("lazy_echo", "acme_lazy.models:EchoInput", "acme_lazy.models:EchoOutput",
                          "acme_lazy:templates/echo.j2", "LAZY_ECHO", "A capability registered by reference."))


    @hookimpl
    def register_codecs(register):
        register("acme-tgi", "adeptai_sagemaker.backends.sagemaker.codecs.generate:TgiCodec")


    @hookimpl
    def register_backends(register):
        register("acme", "acme_lazy.backend:make")
"""
LAZY_MODELS = """
    from pydantic import BaseModel

    from adeptai_sagemaker.capabilities.schemas import CapabilityOutput


    class EchoInput(BaseModel):
        text: str


    class EchoOutput(CapabilityOutput):
        ok: bool
"""
LAZY_BACKEND = """
    from adeptai_sagemaker.plugin.completion import Completion


    class Backend:
        name = "acme"

        def complete(self, prompt, params, target):
            return Completion(text='{"ok": true}')


    def make(settings):
        return Backend()
"""


def test_a_plugin_registering_by_reference_has_its_objects_imported_when_first_needed(install_plugin, monkeypatch):
    """A task's models, a codec and a backend factory may be ``"module:name"`` references (plugin/refs.py)."""
    install_plugin("lazy", "acme_lazy", LAZY_PLUGIN, {"models.py": LAZY_MODELS, "backend.py": LAZY_BACKEND,
                                                      "templates/echo.j2": NINTH_TEMPLATE})
    fw = env_framework(monkeypatch, SAGEMAKER_LAZY_ECHO_MODE="on", SAGEMAKER_LAZY_ECHO_BACKEND="acme")
    assert "acme_lazy.backend" in sys.modules  # the capability's route on it was resolved with the framework
    assert "acme_lazy.models" not in sys.modules  # its models wait for the first call
    result = fw.call("lazy_echo", {"text": "hello"}, legacy=lambda: "legacy")
    assert (result.served_by, result.value.ok) == ("acme", True)
    models = sys.modules["acme_lazy.models"]
    spec = fw.spec("lazy_echo")
    assert (spec.input_model, spec.output_model) == (models.EchoInput, models.EchoOutput)
    assert type(fw.sagemaker.codec("acme-tgi")).__name__ == "TgiCodec"


def test_a_task_spec_given_references_reads_them_as_the_classes_and_equals_one_given_the_classes():
    from dataclasses import FrozenInstanceError

    from adeptai_sagemaker.capabilities import schemas
    from adeptai_sagemaker.plugin.tasks import TaskSpec

    ref = "adeptai_sagemaker.capabilities.schemas:"
    by_ref = TaskSpec("jp", ref + "JobParserInput", ref + "JobParserOutput", "job_parser/v1.j2", "JP", "d")
    by_class = TaskSpec("jp", schemas.JobParserInput, schemas.JobParserOutput, "job_parser/v1.j2", "JP", "d")
    assert by_ref.input_model is schemas.JobParserInput and by_ref.output_model is schemas.JobParserOutput
    assert by_ref == by_class and by_ref.schema_text == by_class.schema_text
    with pytest.raises(FrozenInstanceError):
        by_ref.input_model = schemas.JobParserInput  # type: ignore[misc]
    broken = TaskSpec("jp", ref + "NoSuchInput", ref + "JobParserOutput", "job_parser/v1.j2", "JP", "d")
    for _ in range(2):  # a failed import is not remembered: every read says what is wrong
        with pytest.raises(AttributeError, match="NoSuchInput"):
            broken.input_model  # noqa: B018


def test_threads_reading_a_references_model_at_once_all_get_the_one_class(tmp_path, monkeypatch):
    import threading

    from adeptai_sagemaker.plugin.tasks import TaskSpec

    (tmp_path / "acme_threads_models.py").write_text(textwrap.dedent("""
        from pydantic import BaseModel

        LOADS = []
        LOADS.append(1)  # the module body runs once, however many threads ask


        class Ask(BaseModel):
            text: str
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_threads_models", raising=False)
    spec = TaskSpec("ask", "acme_threads_models:Ask", "adeptai_sagemaker.capabilities.schemas:JobParserOutput",
                    "job_parser/v1.j2", "ASK", "d")
    start, seen = threading.Barrier(16), []

    def read():
        start.wait()
        seen.append(spec.input_model)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    module = sys.modules["acme_threads_models"]
    assert len(seen) == 16 and all(model is module.Ask for model in seen) and module.LOADS == [1]
    assert spec.__dict__["input_model"] is module.Ask  # later reads are plain attribute reads


def test_observers_are_called_through_pluggy_so_its_monitoring_sees_them(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    fw = Framework(load_settings(env_file=None), cache=False, load_entrypoints=False)
    seen = []
    undo = fw.pm.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append(name), lambda *a: None)
    try:
        fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    finally:
        undo()
    assert "on_call_finished" in seen


@pytest.mark.parametrize("marker", ["wrapper=True", "hookwrapper=True"])
def test_a_plugin_declaring_a_pluggy_wrapper_is_refused_with_a_clear_message(install_plugin, monkeypatch, marker):
    from adeptai_sagemaker.core.errors import ConfigurationError

    install_plugin("wrapping", "acme_wrapping", f"""
        from adeptai_sagemaker.plugin.hookspecs import hookimpl

        @hookimpl({marker})
        def on_call_finished(record):
            yield
    """)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with pytest.raises(ConfigurationError, match=r"plugin 'wrapping' declares a pluggy wrapper on on_call_finished"):
        Framework(load_settings(env_file=None), cache=False)
