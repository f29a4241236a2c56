"""The built wheel ships adapters/ and prompts/ inside the adeptai_sagemaker namespace only."""

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: what a build must not see or leave behind: environments, VCS data, earlier build outputs, caches
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".benchmarks", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build from a temporary copy of the sources, so the checkout gains no build/ or egg-info."""
    src = tmp_path_factory.mktemp("src") / "adeptai-sagemaker"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out)], check=True, capture_output=True, timeout=300)
    (path,) = out.glob("adeptai_sagemaker-*.whl")
    return path


def test_wheel_layout(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"adeptai_sagemaker"}, tops  # no top-level 'adapters' or 'prompts'
    assert "adeptai_sagemaker/adapters/__init__.py" in names
    assert "adeptai_sagemaker/prompts/job_parser/v1.j2" in names
    assert "adeptai_sagemaker/prompts/_base.j2" in names
    for init in (ROOT / "adeptai_sagemaker").rglob("__init__.py"):  # every subpackage must be listed in pyproject
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, f"{rel} missing from the wheel: add its package to pyproject's packages list"


def test_wheel_installs_into_fresh_venv_and_serves_templates(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    code = (
        "import importlib.util, adeptai_sagemaker, adeptai_sagemaker.adapters\n"
        "from importlib import resources\n"
        "t = resources.files('adeptai_sagemaker.prompts').joinpath('job_parser/v1.j2').read_text()\n"
        "assert '{{ data(\"job_description\", job_description) }}' in t\n"
        "assert importlib.util.find_spec('adapters') is None\n"
        "assert 'site-packages' in adeptai_sagemaker.__file__\n"
        "print('ok')\n"
    )
    result = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
