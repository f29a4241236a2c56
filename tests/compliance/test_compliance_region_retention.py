"""Region allow-list (invoke and deploy blocked before any request) and cache retention (purge, TTL caps)."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from adeptai_sagemaker.core import cache as cache_module
from adeptai_sagemaker.plugin.completion import Completion, TokenUsage
from adeptai_sagemaker.compliance import retention
from adeptai_sagemaker.compliance.region import check_region
from adeptai_sagemaker.core.errors import ConfigurationError, RegionNotAllowedError
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import PII_CACHE_TTL_CAP_S, load_settings

JOB = json.dumps({"title": "Engineer", "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 3,
                  "education_level": None, "location": None, "work_mode": None, "salary_range": None,
                  "seniority_level": None, "employment_type": None})
MATCH = json.dumps({"overall_score": 70, "skill_match": 70, "experience_match": 70, "education_match": 70,
                    "location_match": 70, "matched_skills": [], "missing_skills": [], "recommendation": "match",
                    "reasoning": "ok"})

# --------------------------------------------------------------------------- region


def test_check_region_unit():
    open_settings = load_settings(env_file=None, aws_region="ap-south-1")
    assert check_region(open_settings) == "ap-south-1"  # no allow-list: everything passes
    eu = load_settings(env_file=None, aws_region="eu-west-1", sagemaker_allowed_regions="eu-west-1, eu-central-1")
    assert check_region(eu) == "eu-west-1"
    assert check_region(eu, "eu-central-1") == "eu-central-1"
    with pytest.raises(RegionNotAllowedError) as info:
        check_region(eu, "us-east-1")
    assert info.value.region == "us-east-1" and info.value.allowed == ("eu-central-1", "eu-west-1")
    with pytest.raises(ConfigurationError, match="region is not set"):
        check_region(load_settings(env_file=None, sagemaker_allowed_regions="eu-west-1"))


def test_disallowed_region_never_reaches_the_endpoint(local_endpoint, aws_env):
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_allowed_regions="eu-west-1",
                             sagemaker_endpoint_url=local_endpoint.url,
                             capabilities={"job_parser": {"endpoint": "region-guard", "mode": "on"}})
    fw = Framework(settings, load_entrypoints=False, cache=False)
    before = local_endpoint.stats()["total"]
    with pytest.raises(RegionNotAllowedError):
        fw.invoke("job_parser", {"job_description": "Python developer"})
    with pytest.raises(RegionNotAllowedError):
        fw.call("job_parser", {"job_description": "Python developer"})  # no legacy: the typed error surfaces
    stats = local_endpoint.stats()
    assert stats["total"] == before and "region-guard" not in stats["endpoints"]
    fw.close()
    # the same endpoint answers once the region is allowed: the guard, not the wiring, blocked it
    allowed = load_settings(env_file=None, aws_region="us-east-1", sagemaker_allowed_regions="us-east-1",
                            sagemaker_endpoint_url=local_endpoint.url, sagemaker_llm_fallback=False,
                            capabilities={"job_parser": {"endpoint": "region-guard", "mode": "on", "max_attempts": 1}})
    fw = Framework(allowed, load_entrypoints=False, cache=False)
    try:
        fw.invoke("job_parser", {"job_description": "Python developer"})
    except Exception:
        pass  # the model's answer does not matter here, only that the request arrived
    assert local_endpoint.stats()["endpoints"]["region-guard"]["requests"] >= 1
    fw.close()


class _RecordingClient:
    def __init__(self, calls):
        self._calls = calls

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self._calls.append(name)
            raise AssertionError(f"AWS call {name} made despite a disallowed region")
        return record


def test_deploy_and_rollback_are_blocked_before_any_aws_call():
    from adeptai_sagemaker.ops import deploy
    settings = load_settings(env_file=None, aws_region="eu-west-1", sagemaker_allowed_regions="eu-west-1")
    plan = deploy.DeploymentPlan.single("adept-llm", "us-east-1", image_uri="123.dkr.ecr/tgi:latest",
                                        role_arn="arn:aws:iam::123456789012:role/sm", env={"HF_MODEL_ID": "m"})
    calls: list[str] = []
    clients = {s: _RecordingClient(calls) for s in ("sagemaker", "application-autoscaling", "cloudwatch")}
    with pytest.raises(RegionNotAllowedError):
        plan.apply(settings, clients=clients, wait=False)
    with pytest.raises(RegionNotAllowedError):
        deploy.rollback("adept-llm", "us-east-1", settings, clients=clients, wait=False)
    assert calls == []


# --------------------------------------------------------------------------- retention


class CountingBackend:
    name = "sagemaker"

    def __init__(self):
        self.calls = 0

    def complete(self, prompt, params, target):
        self.calls += 1
        text = MATCH if target.capability == "candidate_matcher" else JOB
        return Completion(text=text, usage=TokenUsage(5, 5), model_version="m/1")


def _framework(tmp_path, **cm):
    settings = load_settings(env_file=None, aws_region="us-east-1", adeptai_sagemaker_cache_dir=tmp_path / "cache",
                             capabilities={"job_parser": {"endpoint": "jp", "mode": "on", "cache_ttl": 30 * 86400},
                                           "candidate_matcher": {"endpoint": "cm", "mode": "on", **cm}})
    fw = Framework(settings, load_entrypoints=False, cache=True)
    fw.sagemaker = CountingBackend()
    return fw


def _write(fw, monkeypatch, stored_at, capability, text):
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(time=lambda: stored_at))
    request = {"job_description": text} if capability == "job_parser" else {"job_description": text, "resume_text": "r"}
    fw.invoke(capability, request)
    monkeypatch.setattr(cache_module, "time", time)
    return request


def _is_cached(fw, capability, request) -> bool:
    before = fw.sagemaker.calls
    fw.invoke(capability, request)
    return fw.sagemaker.calls == before


def test_purge_by_age_removes_exactly_the_old_entries(tmp_path, monkeypatch):
    fw = _framework(tmp_path, cache=True)
    now = time.time()
    old_jp = _write(fw, monkeypatch, now - 8 * 86400, "job_parser", "old posting")
    new_jp = _write(fw, monkeypatch, now - 3600, "job_parser", "new posting")
    old_cm = _write(fw, monkeypatch, now - 8 * 86400, "candidate_matcher", "old match")
    assert fw.sagemaker.calls == 3 and fw.cache.stats()["entries"] == 3
    assert retention.purge(fw.cache) == 0  # neither age nor capability given: nothing deleted
    assert retention.purge(fw.cache, older_than="7d") == 2
    assert fw.cache.stats()["entries"] == 1
    assert _is_cached(fw, "job_parser", new_jp)
    assert not _is_cached(fw, "job_parser", old_jp)
    assert not _is_cached(fw, "candidate_matcher", old_cm)
    fw.close()


def test_purge_by_capability_and_age(tmp_path, monkeypatch):
    fw = _framework(tmp_path, cache=True)
    now = time.time()
    jp = _write(fw, monkeypatch, now - 2 * 86400, "job_parser", "posting")
    cm_old = _write(fw, monkeypatch, now - 2 * 86400, "candidate_matcher", "match a")
    cm_new = _write(fw, monkeypatch, now - 60, "candidate_matcher", "match b")
    assert retention.purge(fw.cache, older_than="1d", capabilities=["candidate_matcher"]) == 1
    assert _is_cached(fw, "job_parser", jp) and _is_cached(fw, "candidate_matcher", cm_new)
    assert not _is_cached(fw, "candidate_matcher", cm_old)
    assert retention.purge(fw.cache, capabilities=["candidate_matcher"]) == 2  # cm_new and the re-fetched cm_old
    assert _is_cached(fw, "job_parser", jp)
    with pytest.raises(ValueError, match="unknown capability"):
        retention.purge(fw.cache, capabilities=["resume_parser"])
    fw.close()


def test_pii_capabilities_are_uncached_by_default_and_capped_at_24h(tmp_path):
    fw = _framework(tmp_path)  # candidate_matcher: cache not turned on
    fw.invoke("candidate_matcher", {"job_description": "j", "resume_text": "r"})
    assert fw.cache.stats()["entries"] == 0
    fw.close()
    fw = _framework(tmp_path / "on", cache=True, cache_ttl=7 * 86400)
    fw.invoke("candidate_matcher", {"job_description": "j", "resume_text": "r"})
    fw.invoke("job_parser", {"job_description": "j"})
    fw.cache.flush()  # entries are written by the cache's writer thread; flush puts them on disk now
    store = fw.cache._cache  # the diskcache under ResponseCache: check the real expiry of written entries
    expiry = {}
    for key in store.iterkeys():
        _, expire_at, tag = store.get(key, expire_time=True, tag=True)
        expiry[tag] = expire_at - time.time()
    assert expiry["candidate_matcher"] <= PII_CACHE_TTL_CAP_S + 1
    assert expiry["job_parser"] > 29 * 86400  # non-PII keeps its configured 30 days
    policy = retention.policy(fw.settings)
    assert policy["candidate_matcher"] == {"cache": True, "ttl_s": PII_CACHE_TTL_CAP_S, "pii": True,
                                           "cap_s": PII_CACHE_TTL_CAP_S}
    assert policy["behavioral_analyzer"]["cache"] is False
    fw.close()


def test_parse_duration(monkeypatch):
    from adeptai_sagemaker.compliance import timeparse
    from adeptai_sagemaker.compliance.timeparse import parse_duration, parse_time

    monkeypatch.setattr(timeparse.time, "time", lambda: 1_700_000_000.0)

    assert parse_duration("7d") == 7 * 86400 and parse_duration("24h") == 86400 and parse_duration("90m") == 5400
    assert parse_duration("3600") == 3600
    with pytest.raises(ValueError):
        parse_duration("a week")
    assert parse_time("2024-01-01T00:00:00Z") == 1704067200.0
    assert parse_time("1h") == 1_700_000_000.0 - 3600
