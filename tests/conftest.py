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
    """Clear injected faults after each test that used ``local_endpoint`` or ``endpoint`` (and only those):
    both outlive a test."""
    used = [request.getfixturevalue(name) for name in ("local_endpoint", "endpoint") if name in request.fixturenames]
    yield
    for server in used:
        server.clear_faults()


@pytest.fixture(autouse=True)
def _isolated_state_dir(_isolated_environment, monkeypatch, tmp_path_factory):
    """Every test gets its own ``ADEPTAI_SAGEMAKER_STATE_DIR`` (evidence store and live modes).

    Without it a framework built from env would read and write the user's
    ``~/.local/state/adeptai-sagemaker``, and a live mode stored by one test
    (``promote``) would change the routing of the next.
    """
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy AWS credentials and region ``us-east-1`` in the environment (``support.env.DUMMY_AWS_ENV``).

    They sign requests for the local endpoint and for moto; ``_isolated_environment`` has already pointed
    the AWS config files and the instance metadata service away. Modules whose every test needs them say
    ``pytestmark = pytest.mark.usefixtures("aws_env")``. Returns the values set.
    """
    from support.env import DUMMY_AWS_ENV

    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(DUMMY_AWS_ENV)


@pytest.fixture(scope="session")
def free_port():
    """``free_port()`` returns a loopback port nobody listens on (for servers a test starts itself)."""
    from support.env import free_port as pick

    return pick


@pytest.fixture(scope="module")
def endpoint(request):
    """A local SageMaker endpoint configured by the test module, started once per module.

    The module names what it serves in ``LOCAL_ENDPOINT``: the keyword arguments of
    ``adeptai_sagemaker_lab.server.LocalEndpoint`` (``endpoints``, ``default_dialect``...), where
    ``backend`` is either a zero-argument factory of the model backend (a class) or the name of a fixture
    of the module that returns it (when tests inspect the backend). Use ``local_endpoint`` instead for the
    reference model with every dialect.
    """
    options = getattr(request.module, "LOCAL_ENDPOINT", None)
    if options is None:
        pytest.fail(f"{request.module.__name__} uses the 'endpoint' fixture but defines no LOCAL_ENDPOINT")
    pytest.importorskip("uvicorn", reason="the local endpoint needs the 'serve' extra (uvicorn)")
    from adeptai_sagemaker_lab.server import LocalEndpoint

    options = dict(options)
    backend = options.get("backend")
    if isinstance(backend, str):
        options["backend"] = request.getfixturevalue(backend)
    elif callable(backend):
        options["backend"] = backend()
    with LocalEndpoint(**options) as server:
        yield server


@pytest.fixture
def fw(local_endpoint, aws_env, tmp_path):
    """A ``Framework`` on ``local_endpoint`` (the reference model): the five adapter capabilities ``on``,
    fallback off so any failure raises, one attempt each; closed after the test."""
    from support.adapters import make_framework

    framework = make_framework(local_endpoint.url, tmp_path, "on", fallback=False)
    yield framework
    framework.close()


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
