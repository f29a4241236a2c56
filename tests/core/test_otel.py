"""OpenTelemetry: one span per call, the GenAI duration and token histograms, feature-flag events, no input text."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.observers.otel import OTelObserver
from adeptai_sagemaker.core.settings import load_settings

SECRET = "Zanzibar-Quokka Staff Engineer"
POSTING = f"{SECRET}\nLocation: Austin, TX\n- 5+ years of experience with Python\n- Strong Django skills\n"


@pytest.fixture
def otel():
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield tracer_provider, meter_provider, spans, reader
    tracer_provider.shutdown()
    meter_provider.shutdown()


def _framework(url, tmp_path, otel, **caps):
    tracer_provider, meter_provider, _, _ = otel
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=url,
                             adeptai_sagemaker_state_dir=str(tmp_path), adeptai_sagemaker_otel=False,
                             capabilities={"job_parser": {"endpoint": "ref-tgi", "mode": "on", **caps}})
    fw = Framework(settings, load_entrypoints=False, cache=False)
    fw.pm.register(OTelObserver(settings, mode_source=fw.routing, tracer_provider=tracer_provider,
                                meter_provider=meter_provider))
    return fw


def _points(reader) -> dict[str, list]:
    out: dict[str, list] = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out.setdefault(metric.name, []).extend((metric.unit, p) for p in metric.data.data_points)
    return out


def _all_values(span) -> list[str]:
    values = [str(v) for v in span.attributes.values()] + [span.name]
    for event in span.events:
        values += [event.name] + [str(v) for v in event.attributes.values()]
    return values


def test_one_call_one_span_and_genai_metrics(local_endpoint, tmp_path, otel, aws_env):
    _, _, spans, reader = otel
    fw = _framework(local_endpoint.url, tmp_path, otel)
    try:
        result = fw.call("job_parser", {"job_description": POSTING})
    finally:
        fw.close()
    assert result.value.location == "Austin, TX"

    finished = spans.get_finished_spans()
    assert len(finished) == 1
    span = finished[0]
    assert span.name == "text_completion ref-tgi" and span.kind.name == "CLIENT"
    a = span.attributes
    assert a["gen_ai.operation.name"] == "text_completion"
    assert a["gen_ai.provider.name"] == "aws.sagemaker"
    assert a["gen_ai.request.model"] == "ref-tgi"
    assert a["gen_ai.usage.input_tokens"] >= 0 and a["gen_ai.usage.output_tokens"] > 0  # TGI reports no prefill count
    assert list(a["gen_ai.response.finish_reasons"]) and "error.type" not in a
    assert span.end_time > span.start_time
    [flag] = [e for e in span.events if e.name == "feature_flag.evaluation"]
    assert flag.attributes["feature_flag.key"] == "adeptai_sagemaker.job_parser.mode"
    assert flag.attributes["feature_flag.result.variant"] == "on"
    assert flag.attributes["feature_flag.provider.name"] == "adeptai-sagemaker"
    assert flag.attributes["feature_flag.result.reason"] == "static"

    points = _points(reader)
    [(unit, duration)] = points["gen_ai.client.operation.duration"]
    assert unit == "s" and duration.count == 1 and duration.sum > 0
    assert duration.attributes["gen_ai.operation.name"] == "text_completion"
    assert duration.attributes["gen_ai.provider.name"] == "aws.sagemaker"
    assert duration.attributes["gen_ai.request.model"] == "ref-tgi"
    usage = {p.attributes["gen_ai.token.type"]: (u, p) for u, p in points["gen_ai.client.token.usage"]}
    assert set(usage) == {"input", "output"}
    assert usage["input"][0] == "{token}" and usage["input"][1].sum == a["gen_ai.usage.input_tokens"]
    assert usage["output"][1].sum == a["gen_ai.usage.output_tokens"]

    # no attribute anywhere holds the input text (or any part of it)
    everything = _all_values(span) + [str(v) for _, p in points["gen_ai.client.token.usage"]
                                      for v in p.attributes.values()]
    assert not any(SECRET.split()[0] in v or "Austin" in v or "Django" in v for v in everything)
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.prompt")) for k in a)


def test_failed_call_has_error_type_and_error_status(local_endpoint, tmp_path, otel, aws_env):
    _, _, spans, reader = otel
    local_endpoint.set_faults("ref-otel-fail", kind="model_error", original_status=400)
    fw = _framework(local_endpoint.url, tmp_path, otel, endpoint="ref-otel-fail", max_attempts=1)
    try:
        answer = fw.call("job_parser", {"job_description": POSTING}, legacy=lambda: {"legacy": True})
    finally:
        fw.close()
    assert answer.value == {"legacy": True}
    [span] = spans.get_finished_spans()
    assert span.attributes["error.type"] == "model_error_4xx"
    assert span.attributes["adeptai_sagemaker.outcome"] == "fallback"
    [(_, duration)] = _points(reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "model_error_4xx"


def test_without_an_sdk_the_observer_is_a_quiet_no_op(tmp_path):
    fw = Framework(load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path)), load_entrypoints=False,
                   cache=False)
    try:
        assert fw.call("job_parser", {"job_description": "x"}, legacy=lambda: {"ok": 1}).value == {"ok": 1}
        assert any(isinstance(p, OTelObserver) for p in fw.pm.get_plugins())
    finally:
        fw.close()


def test_calls_never_import_opentelemetry_when_the_application_did_not(tmp_path):
    import subprocess
    import sys

    code = ("import sys\n"
            "from adeptai_sagemaker.core.framework import Framework\n"
            "from adeptai_sagemaker.core.settings import load_settings\n"
            f"fw = Framework(load_settings(env_file=None, adeptai_sagemaker_state_dir={str(tmp_path)!r}),"
            " load_entrypoints=False, cache=False)\n"
            "fw.call('job_parser', {'job_description': 'x'}, legacy=lambda: {'ok': 1})\n"
            "fw.close()\n"
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
