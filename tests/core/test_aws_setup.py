"""One region resolver for settings and the bare runtime; loopback endpoints signed with dummy keys by the
runtime's own boto3 session (no AWS setup, real keys never sent to a lab server, the environment untouched).

Credentials are resolved by boto3's real chain; the shared fixtures point its config files at /dev/null and
turn the instance metadata service off, so "no credentials" is real here.
"""

from __future__ import annotations

import os

import pytest

from adeptai_sagemaker.backends.sagemaker.runtime import RuntimeConfig, SageMakerRuntime
from adeptai_sagemaker.core.aws_setup import LOOPBACK_REGION, is_loopback, resolve_region
from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.settings import load_settings

LOOPBACK = "http://127.0.0.1:9"
REAL = "https://runtime.sagemaker.eu-west-1.amazonaws.com"


def test_precedence_and_the_loopback_default():
    assert resolve_region({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-central-1"}) == "eu-central-1"
    assert resolve_region({"aws_region": "eu-central-1", "sagemaker_region": "ap-south-1"}) == "ap-south-1"
    assert resolve_region({}, LOOPBACK) == LOOPBACK_REGION and resolve_region({"AWS_REGION": "x"}, LOOPBACK) == "x"
    assert resolve_region({}, REAL) is None and resolve_region({}) is None
    assert is_loopback("http://localhost:1") and is_loopback("http://[::1]:2") and is_loopback("http://127.9.9.9")
    assert not is_loopback(REAL) and not is_loopback("http://[bad") and not is_loopback(None)


@pytest.mark.parametrize("env,url,expected", [
    ({"SAGEMAKER_REGION": "ap-south-1", "AWS_REGION": "eu-west-1"}, None, "ap-south-1"),
    ({"AWS_DEFAULT_REGION": "eu-west-2"}, None, "eu-west-2"),
    ({}, LOOPBACK, LOOPBACK_REGION),
    ({"AWS_REGION": "eu-west-1"}, LOOPBACK, "eu-west-1"),
])
def test_settings_and_the_bare_runtime_resolve_the_same_region(monkeypatch, env, url, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(env_file=None, **({"sagemaker_endpoint_url": url} if url else {}))
    assert settings.region() == RuntimeConfig.from_env(endpoint_url=url).region == expected


def test_a_real_endpoint_without_a_region_is_a_configuration_error_naming_aws_region():
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        load_settings(env_file=None).region()
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        SageMakerRuntime(RuntimeConfig.from_env(endpoint_url=REAL))


def test_a_loopback_runtime_signs_with_dummy_keys_whatever_the_caller_has(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_PROFILE", "a-profile-that-does-not-exist")
    before = dict(os.environ)
    runtime = SageMakerRuntime(RuntimeConfig.from_env(endpoint_url=LOOPBACK))
    runtime.check_credentials()
    assert runtime._boto_session().get_credentials().access_key == "LOCALENDPOINT"
    assert runtime.client.meta.region_name == LOOPBACK_REGION
    assert dict(os.environ) == before


def test_a_real_endpoint_uses_the_callers_credentials_and_says_when_there_are_none(monkeypatch):
    runtime = SageMakerRuntime(RuntimeConfig(region="eu-west-1"))
    with pytest.raises(ConfigurationError, match="no AWS credentials found for region eu-west-1"):
        runtime.check_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    runtime = SageMakerRuntime(RuntimeConfig(region="eu-west-1"))
    runtime.check_credentials()
    assert runtime._boto_session().get_credentials().access_key == "AKIAREALKEY"
