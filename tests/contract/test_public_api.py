"""The package's public API is lazy: importing it (and the adapters) loads neither boto3 nor the lab."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import adeptai_sagemaker


def _modules_after(code: str) -> set[str]:
    """The top-level names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


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
