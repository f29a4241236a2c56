"""Shared fixtures. Other engineers append their fixtures below; keep each one documented."""

from __future__ import annotations

import os

import pytest

#: Environment prefixes the product reads. The developer's own values (a real region, endpoint,
#: kill switch, API key, AWS profile) must never change what a test sees.
ISOLATED_ENV_PREFIXES = ("SAGEMAKER_", "AWS_", "ADEPTAI_", "USE_SAGEMAKER", "OPENAI_", "ANTHROPIC_")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """Every test starts without ``SAGEMAKER_*``, ``AWS_*``, ``ADEPTAI_*``, ``USE_SAGEMAKER*``,
    ``OPENAI_*`` and ``ANTHROPIC_*`` variables; AWS config files and the instance metadata
    service are pointed away, so no developer credential or profile can be picked up either.
    Tests set what they need with ``monkeypatch.setenv``."""
    for name in list(os.environ):
        if name.upper().startswith(ISOLATED_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


LOCAL_ENDPOINT_DIALECTS = ("tgi", "lmi", "messages", "jumpstart", "custom")


@pytest.fixture(scope="session")
def local_endpoint():
    """The local SageMaker runtime on a free loopback port, backed by the reference model.

    Endpoints ``ref-tgi``, ``ref-lmi``, ``ref-messages``, ``ref-jumpstart`` and ``ref-custom``
    speak those dialects; any other endpoint name is served as TGI. Use ``local_endpoint.url``
    with ``boto3.client("sagemaker-runtime", endpoint_url=..., region_name="us-east-1")`` or
    ``local_endpoint.client()``; inject failures with ``local_endpoint.set_faults(name, kind=...)``
    (cleared after each test).
    """
    pytest.importorskip("starlette", reason="the local endpoint needs the 'serve' extra (starlette)")
    pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra (uvicorn)")
    from adeptai_sagemaker_lab.server import LocalEndpoint

    endpoints = {f"ref-{d}": d for d in LOCAL_ENDPOINT_DIALECTS}
    with LocalEndpoint(endpoints, default_dialect="tgi") as ep:
        yield ep


@pytest.fixture(autouse=True)
def _reset_local_endpoint_faults(request):
    """Clear injected faults after each test that used ``local_endpoint`` (and only those)."""
    ep = request.getfixturevalue("local_endpoint") if "local_endpoint" in request.fixturenames else None
    yield
    if ep is not None:
        ep.clear_faults()


@pytest.fixture(autouse=True)
def _isolated_state_dir(_isolated_environment, monkeypatch, tmp_path_factory):
    """Every test gets its own ``ADEPTAI_SAGEMAKER_STATE_DIR`` (evidence store and live modes).

    Without it a framework built from env would read and write the user's
    ``~/.local/state/adeptai-sagemaker``, and a live mode stored by one test
    (``promote``) would change the routing of the next.
    """
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path_factory.mktemp("state")))
