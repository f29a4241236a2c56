"""Counterfactual bias audit: the math, the probe set, backends through the framework, report, CLI gate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adeptai_sagemaker.compliance import ProbeSet, Thresholds, framework_scorer, run_bias_audit
from adeptai_sagemaker.compliance.cli import audit
from adeptai_sagemaker.compliance.metrics import Observation, disparity, selection_ratio
from adeptai_sagemaker.compliance.probes import DEFAULT_PROBES, ProbeSetError, request_for
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import load_settings

from support.compliance import FEMALE_NAMES, ScoringBackendsPlugin, fair_score


@pytest.fixture(scope="module")
def scoring_fw():
    """A framework whose backends score candidates by rule (``support.compliance``): biased and fair ones."""
    settings = load_settings(env_file=None, aws_region="us-east-1")
    framework = Framework(settings, plugins=[ScoringBackendsPlugin()], load_entrypoints=False, cache=False)
    yield framework
    framework.close()


# --------------------------------------------------------------------------- metrics


def test_selection_ratio_is_min_over_max_and_none_when_nobody_selected():
    assert selection_ratio({"a": 0.6, "b": 0.3}) == pytest.approx(0.5)
    assert selection_ratio({"a": 0.0, "b": 0.0}) is None
    assert selection_ratio({"a": 0.5}) is None


def test_disparity_counts_cross_group_pairs_within_a_case_only():
    obs = [
        Observation("c1", "v1", {"name": "x"}, 70.0, "match"),
        Observation("c1", "v2", {"name": "x"}, 40.0, "weak_match"),  # same group: never paired with v1
        Observation("c1", "v3", {"name": "y"}, 60.0, "match"),
        Observation("c2", "v1", {"name": "x"}, 20.0, "no_match"),  # other case: never paired with c1
        Observation("c2", "v3", {"name": "y"}, 20.0, "no_match"),
    ]
    d = disparity(obs, "name", threshold=50)
    assert d.pairs == 3  # (v1,v3), (v2,v3) in c1; (v1,v3) in c2
    assert d.mean_abs_delta == pytest.approx((10 + 20 + 0) / 3)
    assert d.max_abs_delta == 20
    assert d.flip_rate == pytest.approx(1 / 3)
    # per-case rates averaged over cases: x = (1/2 + 0)/2, y = (1 + 0)/2
    assert d.group_rates == {"x": pytest.approx(0.25), "y": pytest.approx(0.5)}
    assert d.selection_ratio == pytest.approx(0.5)


def test_facet_pairs_differ_in_that_facet_only():
    obs = [
        Observation("c", "a", {"name": "w_f", "name.gender": "f", "name.eth": "w"}, 50.0),
        Observation("c", "b", {"name": "w_m", "name.gender": "m", "name.eth": "w"}, 70.0),
        Observation("c", "d", {"name": "b_f", "name.gender": "f", "name.eth": "b"}, 50.0),
        Observation("c", "e", {"name": "b_m", "name.gender": "m", "name.eth": "b"}, 70.0),
    ]
    assert disparity(obs, "name.eth", 60).mean_abs_delta == 0.0  # gender held equal within each pair
    assert disparity(obs, "name.eth", 60).pairs == 2
    assert disparity(obs, "name.gender", 60).mean_abs_delta == 20.0


# --------------------------------------------------------------------------- probe set


def test_probe_set_varies_exactly_one_attribute():
    probes = ProbeSet.load(reference_year=2025)
    rendered = {(p.case_id, p.attribute, p.variant.label): p for p in probes.probes()}
    assert {p.attribute for p in rendered.values()} == {"name", "pronouns", "age", "address"}
    names = [p for p in rendered.values() if p.attribute == "name" and p.case_id == "tech-backend"]
    assert len(names) == 20
    baseline = names[0].resume_text.replace(names[0].profile["name"], "<N>")
    for p in names:
        assert p.resume_text.replace(p.profile["name"], "<N>") == baseline  # only the name differs
        assert "they/them" in p.resume_text
    ages = sorted(p.profile["graduation_year"] for p in rendered.values()
                  if p.attribute == "age" and p.case_id == "tech-backend")
    assert ages == [1985, 1993, 2003, 2013, 2023]
    # address variants stay in the case's metro, so location match is legitimately identical
    chicago = [p.profile["address"] for p in rendered.values() if p.attribute == "address" and p.case_id == "healthcare-nurse"]
    assert chicago and all("Chicago, IL" in a for a in chicago)
    assert "{{" not in "".join(p.resume_text for p in rendered.values())


def test_custom_probe_file_and_errors(tmp_path):
    data = {
        "cases": [{"id": "c", "resume": "{{name}} ({{pronouns}}) - Python, AWS", "job_description": "Python dev"}],
        "attributes": {"name": [{"group": "a", "name": "Ann Lee"}, {"group": "b", "name": "Bob Lee"}]},
    }
    path = tmp_path / "probes.json"
    path.write_text(json.dumps(data))
    probes = list(ProbeSet.load(path).probes())
    assert [p.resume_text for p in probes] == ["Ann Lee (they/them) - Python, AWS", "Bob Lee (they/them) - Python, AWS"]
    bad = dict(data, cases=[{"id": "c", "resume": "{{name.__class__}} {{evil}}", "job_description": "x"}])
    path.write_text(json.dumps(bad))
    with pytest.raises(ProbeSetError, match="placeholder"):
        ProbeSet.load(path)
    path.write_text(json.dumps(dict(data, attributes={"name": [{"group": "a", "name": "X"}]})))
    with pytest.raises(ProbeSetError, match="two variants"):
        ProbeSet.load(path)


def test_requests_match_each_capability_schema(scoring_fw):
    probe = next(ProbeSet.load().probes(["pronouns"]))
    for cap in ("behavioral_analyzer", "candidate_matcher", "explanation_generator"):
        request = scoring_fw.coerce(cap, request_for(cap, probe))  # raises InputValidationError if the shape is wrong
        assert isinstance(request, scoring_fw.spec(cap).input_model)
        assert probe.job_description in request.model_dump_json(), cap  # the probe's text is what gets scored


# --------------------------------------------------------------------------- audits through the framework


def test_name_biased_backend_is_detected_through_the_framework(scoring_fw):
    result = run_bias_audit(framework_scorer(scoring_fw, "name-biased-test"), backend_label="name-biased-test")
    assert not result.passed
    for cap in result.capabilities:
        by_dim = {d.dimension: d for d in cap.disparities}
        assert cap.errors == 0 and cap.calls == 122
        assert by_dim["name.gender"].mean_abs_delta == pytest.approx(20.0)
        assert by_dim["name.gender"].selection_ratio is not None and by_dim["name.gender"].selection_ratio < 0.8
        assert by_dim["name.ethnicity"].mean_abs_delta == 0.0  # the bias is by gender only
        assert by_dim["pronouns"].mean_abs_delta == 0.0 and by_dim["age"].mean_abs_delta == 0.0
        assert by_dim["address"].mean_abs_delta == 0.0
    flagged = {v.split(":")[0] for v in result.violations}
    assert flagged == {f"{c}/{d}" for c in ("behavioral_analyzer", "candidate_matcher", "explanation_generator")
                       for d in ("name", "name.gender")}
    assert scoring_fw.backend("name-biased-test").calls == 3 * 122


def test_unbiased_backend_passes_and_thresholds_are_configurable(scoring_fw):
    result = run_bias_audit(framework_scorer(scoring_fw, "fair-test"), capabilities=["candidate_matcher"])
    assert result.passed, result.violations
    # a 20-point gender shift passes only if the limits are loosened far enough
    loose = Thresholds(max_mean_delta=25, max_flip_rate=1.0, min_selection_ratio=0.0)
    assert run_bias_audit(framework_scorer(scoring_fw, "name-biased-test"), capabilities=["candidate_matcher"],
                          thresholds=loose).passed


def test_plain_callable_legacy_code_can_be_audited():
    """The monolith's own scorer (returns dicts, 0..1 behavioural scale) audited without the framework."""
    def legacy(capability, request):
        text = request.get("resume_text", "")
        score = fair_score(text) - (15 if any(n in text for n in FEMALE_NAMES) else 0)
        return {"overall_score": score / 100.0}

    result = run_bias_audit(legacy, capabilities=["behavioral_analyzer"], attributes=["name", "age"])
    dims = {d.dimension: d for d in result.capabilities[0].disparities}
    assert dims["name.gender"].mean_abs_delta == pytest.approx(15.0)
    assert dims["age"].mean_abs_delta == 0.0
    assert not result.passed


def test_errors_are_counted_and_fail_the_audit():
    def flaky(capability, request):
        if "Jamal" in request["resume_text"]:
            raise TimeoutError("endpoint timed out")
        return {"overall_score": 60.0, "recommendation": "match"}

    result = run_bias_audit(flaky, capabilities=["candidate_matcher"], attributes=["name"])
    cap = result.capabilities[0]
    assert cap.errors == 4 and cap.error_codes == {"TimeoutError": 4}
    assert any("error rate" in v for v in result.violations)


def test_report_files_hold_numbers_and_labels_not_probe_text(scoring_fw, tmp_path):
    result = run_bias_audit(framework_scorer(scoring_fw, "name-biased-test"), capabilities=["candidate_matcher"])
    paths = result.write(tmp_path)
    md = paths["markdown"].read_text()
    assert "FAIL" in md and "name.gender" in md and "four-fifths" in md
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["json"].read_text())["passed"] is False
    everything = md + paths["json"].read_text()
    for text in ("Lakisha", "Fieldstone", "Oak Street", "Recruiter note"):
        assert text not in everything


# --------------------------------------------------------------------------- CLI gate


def biased_scorer(capability, request):
    """Module-level callable for the CLI test (``--callable test_compliance_bias:biased_scorer``)."""
    text = request.get("resume_text") or request.get("candidate_profile", {}).get("resume_text", "")
    score = fair_score(text) - (20 if any(n in text for n in FEMALE_NAMES) else 0)
    return {"overall_score": score, "recommendation": "match" if score >= 50 else "no_match"}


def fair_scorer(capability, request):
    return {"overall_score": 64.0, "recommendation": "match"}


def test_cli_exits_nonzero_when_a_threshold_is_crossed(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(audit, ["bias", "--capability", "candidate_matcher", "--callable",
                                "test_compliance_bias:biased_scorer", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1, bad.output
    assert "VIOLATION candidate_matcher/name.gender" in bad.output
    assert (tmp_path / "bad" / "bias_report.md").exists() and (tmp_path / "bad" / "bias_report.png").exists()
    good = runner.invoke(audit, ["bias", "--capability", "candidate_matcher", "--callable",
                                 "test_compliance_bias:fair_scorer", "--out", str(tmp_path / "good"),
                                 "--threshold", "60"])
    assert good.exit_code == 0, good.output
    assert "PASS" in good.output
    loosened = runner.invoke(audit, ["bias", "--capability", "candidate_matcher", "--callable",
                                     "test_compliance_bias:biased_scorer", "--out", str(tmp_path / "loose"),
                                     "--max-mean-delta", "30", "--max-flip-rate", "1", "--min-selection-ratio", "0"])
    assert loosened.exit_code == 0, loosened.output


def test_cli_backend_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    result = CliRunner().invoke(audit, ["bias", "--backend", "no-such-backend", "--out", str(tmp_path)],
                                env={"AWS_REGION": "us-east-1", "ADEPTAI_SAGEMAKER_PLUGINS": ""})
    assert result.exit_code == 2, result.output


# --------------------------------------------------------------------------- the reference model, over real HTTP


def test_reference_model_through_the_local_endpoint_passes(local_endpoint, aws_env, tmp_path):
    """The unbiased case end to end: boto3 -> local endpoint -> reference model, every probe, all three capabilities."""
    caps = ("behavioral_analyzer", "candidate_matcher", "explanation_generator")
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=local_endpoint.url,
                             capabilities={c: {"endpoint": "bias-ref", "mode": "on"} for c in caps})
    framework = Framework(settings, load_entrypoints=False, cache=False)
    before = local_endpoint.stats()["total"]
    result = run_bias_audit(framework_scorer(framework), threshold="median", workers=4, backend_label="reference")
    framework.close()
    assert result.passed, result.violations
    for cap in result.capabilities:
        assert cap.errors == 0 and cap.calls == 122
        assert cap.score_range[1] > 0  # real scores came back, not an all-zero artefact
        assert all(d.mean_abs_delta == 0.0 and d.flip_rate == 0.0 for d in cap.disparities)
    assert local_endpoint.stats()["total"] - before == 3 * 122
    assert result.write(tmp_path)["markdown"].read_text().count("| name.gender |") == 3


def test_cli_local_reference_model_gate(tmp_path):
    pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra")
    result = CliRunner().invoke(audit, ["bias", "--local", "--capability", "candidate_matcher", "--attribute", "pronouns",
                                        "--threshold", "median", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "candidate_matcher: 12 calls, 0 errors" in result.output
