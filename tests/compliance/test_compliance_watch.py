"""Shadow/canary bias watch: per-group rates from labels + scores only, sampling, shadow agreement by group."""

from __future__ import annotations

import json

import pytest

from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.compliance.watch import BiasWatch
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.capabilities.schemas import CandidateMatcherOutput
from adeptai_sagemaker.core.settings import load_settings


def _match(score: float) -> CandidateMatcherOutput:
    return CandidateMatcherOutput(overall_score=score, skill_match=score, experience_match=score,
                                  education_match=score, location_match=score, matched_skills=[], missing_skills=[],
                                  recommendation="match", reasoning="r")


def _legacy(value):
    """What ``Framework.call`` returns when legacy answered."""
    from adeptai_sagemaker.plugin.calls import CallResult

    return CallResult(value, "legacy", record=None, answer=value)


def test_selection_ratio_per_arm_from_observed_answers():
    watch = BiasWatch(sample_rate=1.0, threshold=60, min_group_size=5)
    for _ in range(10):
        watch.observe("candidate_matcher", _match(70), {"gender": "male"})
        watch.observe("candidate_matcher", _match(70 if _ < 4 else 50), {"gender": "female"})
        watch.observe("candidate_matcher", _legacy({"overall_score": 65}), {"gender": "female"})
        watch.observe("candidate_matcher", _legacy({"overall_score": 65}), {"gender": "male"})
    snap = watch.snapshot()
    sm = snap["capabilities"]["candidate_matcher"]["sagemaker"]["gender"]
    assert sm["groups"]["male"]["selection_rate"] == 1.0 and sm["groups"]["female"]["selection_rate"] == 0.4
    assert sm["selection_ratio"] == pytest.approx(0.4)
    assert sm["max_mean_score_gap"] == pytest.approx(70 - 58)
    legacy = snap["capabilities"]["candidate_matcher"]["legacy"]["gender"]
    assert legacy["selection_ratio"] == 1.0
    names = {(m["name"], m["dimensions"]["arm"]) for m in snap["metrics"]}
    assert ("BiasWatchSelectionRatio", "sagemaker") in names and ("BiasWatchSelectionRate", "legacy") in names
    json.dumps(snap)  # exportable as is


def test_sampling_is_bounded_and_reproducible():
    a = BiasWatch(sample_rate=0.25, seed=7)
    b = BiasWatch(sample_rate=0.25, seed=7)
    got_a = [a.observe("candidate_matcher", _match(60), {"gender": "female"}) for _ in range(400)]
    got_b = [b.observe("candidate_matcher", _match(60), {"gender": "female"}) for _ in range(400)]
    assert got_a == got_b
    assert 70 <= sum(got_a) <= 130 and a.snapshot()["sampled"] == sum(got_a) and a.snapshot()["seen"] == 400
    assert BiasWatch(sample_rate=0.0).observe("candidate_matcher", _match(60), {"gender": "x"}) is False
    assert BiasWatch(sample_rate=1.0).observe("job_parser", _match(60), {"gender": "x"}) is False  # not a scorer
    with pytest.raises(ValueError):
        BiasWatch(sample_rate=1.5)


def test_free_text_labels_are_refused_and_small_groups_are_not_reported():
    watch = BiasWatch(sample_rate=1.0, min_group_size=3)
    watch.observe("candidate_matcher", _match(80), {"gender": "Emily Walsh", "name": "emily", "age_band": "40s"})
    snap = watch.snapshot()
    assert snap["rejected_labels"] == 2
    assert "Emily" not in json.dumps(snap) and "emily" not in json.dumps(snap)
    group = snap["capabilities"]["candidate_matcher"]["sagemaker"]["age_band"]["groups"]["40s"]
    assert group == {"n": 1, "sufficient": False}  # below min_group_size: counts only, no rates


class GenderSkewedShadow:
    """The new model: scores lower when a female pronoun is in the prompt (the watch never sees the prompt)."""

    name = "sagemaker"

    def complete(self, prompt, params, target):
        score = 40.0 if "she/her" in prompt.text else 80.0
        return Completion(text=_match(score).model_dump_json(), usage=TokenUsage(5, 5))


def test_shadow_agreement_is_reported_per_group():
    watch = BiasWatch(sample_rate=1.0, min_group_size=5)
    settings = load_settings(env_file=None, aws_region="us-east-1",
                             capabilities={"candidate_matcher": {"endpoint": "cm", "mode": "shadow"}})
    fw = Framework(settings, plugins=[watch], load_entrypoints=False, cache=False)
    fw.sagemaker = GenderSkewedShadow()
    legacy = {"overall_score": 80.0, "recommendation": "match"}
    for i in range(6):
        for gender, pronouns in (("female", "she/her"), ("male", "he/him")):
            with watch.labels(gender=gender):
                answer = fw.call("candidate_matcher", {"job_description": "Python", "resume_text": f"{pronouns} {i}"},
                                 legacy=lambda: legacy, to_legacy=lambda out: out.model_dump(mode="json"))
            assert answer.from_legacy  # shadow: the user always gets the legacy answer
    fw.close()  # waits for the shadow pool
    node = watch.snapshot()["capabilities"]["candidate_matcher"]["shadow"]["gender"]
    female, male = node["groups"]["female"]["mean_agreement"], node["groups"]["male"]["mean_agreement"]
    assert node["groups"]["female"]["agreement_n"] == 6
    assert male > female
    assert node["max_agreement_gap"] == pytest.approx(male - female)


def test_calls_outside_labels_or_not_in_shadow_are_ignored():
    watch = BiasWatch(sample_rate=1.0)
    settings = load_settings(env_file=None, aws_region="us-east-1",
                             capabilities={"candidate_matcher": {"endpoint": "cm", "mode": "shadow"}})
    fw = Framework(settings, plugins=[watch], load_entrypoints=False, cache=False)
    fw.sagemaker = GenderSkewedShadow()
    fw.call("candidate_matcher", {"job_description": "j", "resume_text": "r"}, legacy=lambda: {"overall_score": 1})
    fw.close()
    assert watch.snapshot()["capabilities"] == {} and watch.snapshot()["seen"] == 0
