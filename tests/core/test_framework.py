"""Framework.call: routing (kill switch > mode > canary), fallback, shadow, cache, re-ask, breaker, plugins."""

import json
import threading

import pytest

from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.core.errors import (
    CircuitOpenError,
    InputValidationError,
    InvalidOutputError,
    NoAnswerError,
    ServiceUnavailableError,
)
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.core.settings import load_settings

JOB = {"title": "Engineer", "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 3,
       "education_level": None, "location": None, "work_mode": None, "salary_range": None, "seniority_level": None,
       "employment_type": None}


class ScriptedBackend:
    """Stands in for the SageMaker backend: answers from a script, counts calls."""

    name = "sagemaker"

    def __init__(self, *replies, gate=None):
        self.replies = list(replies)
        self.calls = 0
        self.prompts = []
        self.gate = gate  # a threading.Event the call waits for (no sleeping)
        self.lock = threading.Lock()

    def complete(self, prompt, params, target):
        with self.lock:
            self.calls += 1
            self.prompts.append(prompt)
            reply = self.replies[min(self.calls - 1, len(self.replies) - 1)]
        if self.gate is not None:
            assert self.gate.wait(timeout=30), "the test never released the backend"
        if isinstance(reply, BaseException):
            raise reply
        return Completion(text=reply, usage=TokenUsage(10, 5), variant="AllTraffic", model_version="m/1")


class Recorder:
    def __init__(self):
        self.calls, self.shadows, self.circuits = [], [], []

    @hookimpl
    def on_call_finished(self, record):
        self.calls.append(record)

    @hookimpl
    def on_shadow_result(self, comparison):
        self.shadows.append(comparison)

    @hookimpl
    def on_circuit_change(self, event):
        self.circuits.append(event)


_made: list[Framework] = []


@pytest.fixture(autouse=True)
def _close_made_frameworks():
    """Every framework ``make`` built is closed after its test (its threads, store and cache end with it)."""
    yield
    while _made:
        _made.pop().close()


def make(tmp_path, backend, mode="on", fallback=True, cache=False, **cap):
    settings = load_settings(
        env_file=None, aws_region="us-east-1", sagemaker_llm_fallback=fallback,
        adeptai_sagemaker_cache_dir=tmp_path / "cache", adeptai_sagemaker_breaker_failures=3,
        adeptai_sagemaker_breaker_cooldown_s=60,
        capabilities={"job_parser": {"endpoint": "jp", "mode": mode, "cache": cache, **cap}},
    )
    recorder = Recorder()
    fw = Framework(settings, plugins=[recorder], load_entrypoints=False, cache=cache)
    _made.append(fw)
    fw.sagemaker = backend
    return fw, recorder


def legacy_parse():
    return {"mandatory_skills": ["Legacy"], "location": "Boston, MA"}


def test_on_mode_answers_from_sagemaker(tmp_path):
    fw, rec = make(tmp_path, ScriptedBackend(json.dumps(JOB)))
    out = fw.call("job_parser", {"job_description": "Python engineer"}, legacy=legacy_parse)
    assert out.value.mandatory_skills == ["Python"] and out.served_by == "sagemaker"
    r = rec.calls[-1]
    assert out.record is r
    assert (r.outcome, r.backend, r.route, r.endpoint, r.variant, r.model_version) == (
        "success", "sagemaker", "sagemaker", "jp", "AllTraffic", "m/1")
    assert r.template_version.startswith("job_parser/v1.j2@") and (r.input_tokens, r.output_tokens) == (10, 5)


def test_off_mode_never_touches_sagemaker(tmp_path):
    backend = ScriptedBackend(json.dumps(JOB))
    fw, rec = make(tmp_path, backend, mode="off")
    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert out.from_legacy and out.value["mandatory_skills"] == ["Legacy"]
    assert backend.calls == 0 and rec.calls[-1].outcome == "success" and rec.calls[-1].backend == "legacy"


def test_off_mode_without_legacy_is_a_clear_error(tmp_path):
    fw, _ = make(tmp_path, ScriptedBackend(json.dumps(JOB)), mode="off")
    with pytest.raises(NoAnswerError, match="off"):
        fw.call("job_parser", {"job_description": "x"})


def test_failure_falls_back_with_reason(tmp_path):
    fw, rec = make(tmp_path, ScriptedBackend(ServiceUnavailableError(endpoint="jp", status=503)))
    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert out.from_legacy
    r = rec.calls[-1]
    assert r.outcome == "fallback" and r.fallback_reason == ServiceUnavailableError.reason and r.backend == "legacy"


def test_failure_with_fallback_off_raises_typed_error(tmp_path):
    fw, rec = make(tmp_path, ScriptedBackend(ServiceUnavailableError(endpoint="jp", status=503)), fallback=False)
    with pytest.raises(ServiceUnavailableError):
        fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert rec.calls[-1].outcome == "error"


def test_invalid_output_is_reasked_then_accepted(tmp_path):
    backend = ScriptedBackend("not json at all", json.dumps(JOB))
    fw, rec = make(tmp_path, backend, max_reasks=1)
    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert out.value.title == "Engineer" and backend.calls == 2
    assert "rejected" in backend.prompts[1].user and rec.calls[-1].reasks == 1


def test_invalid_output_after_reasks_falls_back_or_raises(tmp_path):
    bad = json.dumps(dict(JOB, years_experience=-4))
    fw, rec = make(tmp_path, ScriptedBackend(bad), max_reasks=2)
    assert fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse).from_legacy
    assert rec.calls[-1].fallback_reason == "invalid_output"
    fw2, _ = make(tmp_path, ScriptedBackend(bad), max_reasks=0, fallback=False)
    with pytest.raises(InvalidOutputError):
        fw2.call("job_parser", {"job_description": "x"})


def test_kill_switch_returns_to_legacy(tmp_path):
    backend = ScriptedBackend(json.dumps(JOB))
    fw, _ = make(tmp_path, backend)
    fw.settings.sagemaker_llm_enabled = False
    assert fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse).from_legacy
    assert backend.calls == 0


def test_circuit_opens_and_then_costs_nothing(tmp_path):
    backend = ScriptedBackend(ServiceUnavailableError(endpoint="jp", status=503))
    fw, rec = make(tmp_path, backend)
    for _ in range(3):
        fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert backend.calls == 3 and rec.circuits[-1].state == "open"
    fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert backend.calls == 3  # not attempted
    assert rec.calls[-1].fallback_reason == CircuitOpenError.reason


def test_cache_hit_skips_backend_and_is_keyed_by_prompt(tmp_path):
    backend = ScriptedBackend(json.dumps(JOB))
    fw, rec = make(tmp_path, backend, cache=True)
    fw.call("job_parser", {"job_description": "same"})
    fw.call("job_parser", {"job_description": "same"})
    assert backend.calls == 1 and rec.calls[-1].cache_hit
    fw.call("job_parser", {"job_description": "different"})
    assert backend.calls == 2


def test_errors_and_fallbacks_are_never_cached(tmp_path):
    backend = ScriptedBackend(ServiceUnavailableError(endpoint="jp"), json.dumps(JOB))
    fw, _ = make(tmp_path, backend, cache=True)
    assert fw.call("job_parser", {"job_description": "q"}, legacy=legacy_parse).from_legacy
    out = fw.call("job_parser", {"job_description": "q"}, legacy=legacy_parse)
    assert out.value.title == "Engineer" and backend.calls == 2


def test_shadow_returns_legacy_immediately_and_records_agreement(tmp_path):
    release = threading.Event()
    backend = ScriptedBackend(json.dumps(JOB), gate=release)  # the shadow call blocks until released
    fw, rec = make(tmp_path, backend, mode="shadow")
    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse,
                  to_legacy=lambda o: {"mandatory_skills": o.mandatory_skills, "location": o.location or ""})
    assert out.from_legacy and out.value["mandatory_skills"] == ["Legacy"]  # answered while the shadow still waits
    assert rec.shadows == []
    release.set()
    fw.shadow_runner().shutdown(wait=True)
    assert len(rec.shadows) == 1 and rec.shadows[0].sagemaker_ok and backend.calls == 1
    assert rec.shadows[0].agreement is not None and 0 <= rec.shadows[0].agreement < 1


def test_shadow_never_holds_a_pool_thread_waiting_for_legacy(tmp_path):
    """The model side finishes first: its job ends at once (no wait on the legacy answer), and the
    comparison runs on the shadow pool once legacy has answered."""
    backend = ScriptedBackend(json.dumps(JOB))
    fw, rec = make(tmp_path, backend, mode="shadow")
    runner = fw.shadow_runner()
    jobs = []
    submit = runner.submit
    runner.submit = lambda fn: jobs.append(submit(fn)) or jobs[-1]

    def slow_legacy():  # returns only after the shadow job has finished entirely
        assert jobs[0].exception(timeout=30) is None
        assert rec.shadows == []  # nothing to compare with yet
        return legacy_parse()

    out = fw.call("job_parser", {"job_description": "x"}, legacy=slow_legacy,
                  to_legacy=lambda o: {"mandatory_skills": o.mandatory_skills, "location": o.location or ""})
    assert out.from_legacy
    runner.shutdown(wait=True)
    assert len(jobs) == 2  # the shadow call, then the comparison queued when legacy answered
    assert len(rec.shadows) == 1 and rec.shadows[0].sagemaker_ok and rec.shadows[0].agreement is not None


def test_legacy_exception_propagates_unchanged_and_legacy_runs_once(tmp_path):
    class MonolithError(Exception):
        pass

    runs = []

    def failing_legacy():
        runs.append(1)
        raise MonolithError("the monolith's own failure")

    for mode, backend in (("off", ScriptedBackend(json.dumps(JOB))),
                          ("on", ScriptedBackend(ServiceUnavailableError(endpoint="jp", status=503)))):
        runs.clear()
        fw, rec = make(tmp_path, backend, mode=mode)
        with pytest.raises(MonolithError, match="own failure"):
            fw.call("job_parser", {"job_description": "x"}, legacy=failing_legacy)
        assert runs == [1] and rec.calls[-1].outcome == "error" and rec.calls[-1].error_code == "MonolithError"


def test_mapping_failure_falls_back_once_in_the_framework(tmp_path):
    runs = []
    fw, rec = make(tmp_path, ScriptedBackend(json.dumps(JOB)))

    def legacy():
        runs.append(1)
        return legacy_parse()

    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy, to_legacy=lambda o: 1 / 0)
    assert out.from_legacy and out.answer == legacy_parse() and runs == [1]
    assert rec.calls[-1].outcome == "fallback" and rec.calls[-1].error_code == "ZeroDivisionError"


def test_mode_source_decides_and_the_kill_switch_still_wins(tmp_path):
    from adeptai_sagemaker.core.settings import Mode

    class Live:
        def mode(self, capability):
            return Mode("on")

    backend = ScriptedBackend(json.dumps(JOB))
    fw, _ = make(tmp_path, backend, mode="off")
    fw.mode_source = Live()
    assert fw.mode("job_parser") == Mode("on")
    assert fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse).served_by == "sagemaker"
    fw.settings.sagemaker_llm_enabled = False
    assert fw.mode("job_parser") == Mode("off")
    assert fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse).from_legacy and backend.calls == 1


def test_canary_routes_by_key(tmp_path):
    backend = ScriptedBackend(json.dumps(JOB))
    fw, rec = make(tmp_path, backend, mode="canary:50")
    routes = {}
    for i in range(40):
        fw.call("job_parser", {"job_description": f"jd {i}"}, key=f"user-{i}", legacy=legacy_parse)
        routes[i] = rec.calls[-1].route
    again = []
    for i in range(40):
        fw.call("job_parser", {"job_description": f"jd {i}"}, key=f"user-{i}", legacy=legacy_parse)
        again.append(rec.calls[-1].route == routes[i])
    assert all(again) and 5 < list(routes.values()).count("sagemaker") < 35


def test_bad_input_is_a_typed_error(tmp_path):
    fw, _ = make(tmp_path, ScriptedBackend(json.dumps(JOB)))
    with pytest.raises(InputValidationError, match="job_description"):
        fw.call("job_parser", {"nope": 1})


def test_unexpected_bug_in_sagemaker_path_still_falls_back(tmp_path):
    fw, rec = make(tmp_path, ScriptedBackend(TypeError("bug")))
    out = fw.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)
    assert out.from_legacy and rec.calls[-1].fallback_reason == "unexpected_error"
    fw2, _ = make(tmp_path, ScriptedBackend(TypeError("bug")), fallback=False)
    with pytest.raises(TypeError):
        fw2.call("job_parser", {"job_description": "x"}, legacy=legacy_parse)


def test_the_call_record_is_derived_from_the_call_context():
    """Every CallRecord field but outcome/latency/timestamp comes from the CallContext by name."""
    from dataclasses import fields

    from adeptai_sagemaker.plugin.calls import CallContext, CallRecord

    ctx = CallContext(capability="job_parser", input_hash="h", bucket_key="k", route="legacy", mode="canary:5",
                      bucket=3, backend="legacy", endpoint="ep", attempts=2, fallback_reason="timeout",
                      finish_reason="stop", input_tokens=7)
    record = ctx.record("fallback")
    own = {"outcome", "latency_s", "timestamp"}
    assert {f.name for f in fields(CallRecord)} - own <= {f.name for f in fields(CallContext)}
    for f in fields(CallRecord):
        if f.name not in own:
            assert getattr(record, f.name) == getattr(ctx, f.name), f.name
    assert record.outcome == "fallback" and record.timestamp == ctx.started_wall and record.latency_s >= 0
