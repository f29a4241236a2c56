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


# --------------------------------------------------------------------------- the user's home is never touched
# HOME and every XDG state/cache folder point into one session temp folder, set when this file is imported
# (before any test module imports the settings), so a framework or a CLI subprocess built from env without an
# explicit state or cache dir writes there. The session fails if anything appeared under the real folders.

import tempfile  # noqa: E402  (this block stays apart from the shared fixtures above)

_REAL_HOME = os.path.expanduser("~")
_REAL_DIRS = tuple(os.path.join(_REAL_HOME, *parts) for parts in ((".local", "state", "adeptai-sagemaker"),
                                                                 (".cache", "adeptai-sagemaker")))


def _tree(path: str) -> dict[str, float]:
    """Every file under ``path`` with its modification time ({} when the folder is absent)."""
    found = {}
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            try:
                found[full] = os.stat(full).st_mtime
            except OSError:
                continue
    return found


_REAL_BEFORE = {d: _tree(d) for d in _REAL_DIRS}
_FAKE_HOME = tempfile.mkdtemp(prefix="adeptai-test-home-")
for _name, _sub in (("HOME", ""), ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache"),
                    ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share")):
    os.environ[_name] = os.path.join(_FAKE_HOME, _sub) if _sub else _FAKE_HOME


@pytest.fixture(scope="session", autouse=True)
def _home_is_never_touched():
    """After the session: nothing new or changed under the real ``~/.local/state`` or ``~/.cache`` folders."""
    yield
    changed = sorted(f for d in _REAL_DIRS for f, mtime in _tree(d).items() if _REAL_BEFORE[d].get(f) != mtime)
    assert not changed, f"the test session wrote into the user's home: {changed[:5]}"
