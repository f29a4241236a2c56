"""The package's public API is lazy: importing it (and the adapters) loads neither boto3 nor the lab, and
neither importing it nor building a framework loads what only a call needs (the module sets are checked,
never times: ``benchmarks/bench_import.py`` measures those)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import adeptai_sagemaker
import adeptai_sagemaker.adapters


def _loaded_after(code: str, cwd=None) -> set[str]:
    """Every module name in ``sys.modules`` after running ``code`` in a fresh interpreter (this test's env)."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=cwd)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _modules_after(code: str) -> set[str]:
    """The top-level names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    return {name.split(".")[0] for name in _loaded_after(code)}


ADAPTERS = sorted(f"adeptai_sagemaker.adapters.{m.name}"
                  for m in pkgutil.iter_modules(adeptai_sagemaker.adapters.__path__) if not m.name.startswith("_"))
IMPORT_EVERYTHING = "import adeptai_sagemaker, adeptai_sagemaker.adapters, " + ", ".join(ADAPTERS)
FIRST_USE = "from adeptai_sagemaker.core.framework import Framework\nfw = Framework()"
#: What a call loads and building the framework must not: the capabilities' models, the codecs, the
#: SageMaker client and its sessions, the external backends and their SDKs, templates, the response cache,
#: the state store's database and the price tables.
CALL_ONLY = {"adeptai_sagemaker.capabilities.schemas", "adeptai_sagemaker.backends.sagemaker.codecs.base",
             "adeptai_sagemaker.backends.sagemaker.runtime", "adeptai_sagemaker.backends.sagemaker.sessions",
             "adeptai_sagemaker.backends.sagemaker.async_inference", "adeptai_sagemaker.backends.external",
             "adeptai_sagemaker.ops.cost", "boto3", "botocore", "openai", "anthropic", "tenacity", "jinja2",
             "diskcache", "sqlite3"}


@pytest.mark.parametrize("code", [
    "import adeptai_sagemaker",
    "import adeptai_sagemaker.adapters",
    "from adeptai_sagemaker.adapters import install, uninstall, install_from_env",
])
def test_importing_the_package_and_its_adapters_loads_neither_boto3_nor_the_lab(code):
    loaded = _modules_after(code)
    assert "adeptai_sagemaker" in loaded
    assert not loaded & {"boto3", "botocore", "adeptai_sagemaker_lab"}


def test_the_public_names_resolve_to_their_modules():
    from adeptai_sagemaker.core import errors, framework
    from adeptai_sagemaker.plugin import calls, hookspecs, tasks

    assert adeptai_sagemaker.Framework is framework.Framework
    assert adeptai_sagemaker.get_framework is framework.get_framework
    assert adeptai_sagemaker.hookimpl is hookspecs.hookimpl
    assert adeptai_sagemaker.TaskSpec is tasks.TaskSpec
    assert adeptai_sagemaker.CallResult is calls.CallResult
    assert adeptai_sagemaker.NoAnswerError is errors.NoAnswerError
    assert issubclass(adeptai_sagemaker.ThrottlingError, adeptai_sagemaker.AdeptSageMakerError)
    assert set(adeptai_sagemaker.__all__) <= set(dir(adeptai_sagemaker))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        adeptai_sagemaker.Nope  # noqa: B018


def test_from_adapters_import_install_is_the_function():
    from adeptai_sagemaker.adapters import install

    assert callable(install) and install.__name__ == "install" and not hasattr(install, "__path__")


def test_importing_the_package_and_every_adapter_loads_no_heavy_dependency():
    loaded = _modules_after(IMPORT_EVERYTHING)
    assert len(ADAPTERS) >= 6 and set(ADAPTERS) <= _loaded_after(IMPORT_EVERYTHING)
    assert not loaded & {"asyncio", "pydantic", "pydantic_settings", "pluggy", "jinja2", "diskcache", "sqlite3",
                         "boto3", "botocore", "adeptai_sagemaker_lab"}


def test_install_from_env_with_the_switch_off_imports_no_adapter():
    loaded = _loaded_after("from adeptai_sagemaker.adapters import install_from_env\n"
                           "assert install_from_env() is None")
    assert "adeptai_sagemaker.adapters.installation" in loaded
    assert not loaded & set(ADAPTERS) - {"adeptai_sagemaker.adapters.installation"}
    assert "pydantic" not in {name.split(".")[0] for name in loaded}


def test_building_the_framework_loads_nothing_that_only_a_call_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path / "state"))
    loaded = _loaded_after(FIRST_USE + "\nassert len(fw.tasks) == 8 and fw.codecs['tgi']", cwd=tmp_path)
    assert "adeptai_sagemaker.core.framework" in loaded
    assert not loaded & CALL_ONLY, sorted(loaded & CALL_ONLY)
    assert not {name for name in loaded if name.startswith("adeptai_sagemaker_lab")}


def test_the_first_call_of_a_capability_loads_its_models(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("ADEPTAI_SAGEMAKER_STATE_DIR", str(tmp_path / "state"))
    loaded = _loaded_after(FIRST_USE + "\nresult = fw.call('job_parser', {'job_description': 'Python'}, "
                           "legacy=lambda: 'legacy')\nassert result.answer == 'legacy'", cwd=tmp_path)
    assert "adeptai_sagemaker.capabilities.schemas" in loaded  # the request was validated against its model
    assert not loaded & {"jinja2", "boto3", "adeptai_sagemaker.backends.sagemaker.codecs.base"}  # legacy answered
