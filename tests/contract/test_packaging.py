"""Packaging: a quiet build, a complete wheel, and MIGRATION.md's install path in a fresh venv.

The build runs in a temporary COPY of the repository holding what a fresh clone
holds (tracked files and untracked ones git does not ignore), so nothing is
written into the checkout. It uses this environment's setuptools
(``--no-isolation``: offline and fast); ``make install`` upgrades setuptools to
what ``[build-system]`` requires.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: What setuptools prints when the package configuration is stale (about 420 such lines on install when stale).
NOISE = re.compile(r"Deprecat|absent from the `?packages`? configuration|License classifiers|project\.license",
                   re.IGNORECASE)


def _required_setuptools() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'"setuptools>=([0-9.]+)"', text).group(1)


def _copy_checkout(dest: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


pytestmark = pytest.mark.slow  # every test here builds the wheel (sdist, then wheel) or a fresh venv


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``python -m build`` (sdist, then the wheel from the sdist) and the editable hook ``pip install -e`` uses."""
    import setuptools

    need = _required_setuptools()
    have = tuple(int(p) for p in setuptools.__version__.split(".")[:2])
    assert have >= tuple(int(p) for p in need.split(".")[:2]), (
        f"setuptools {setuptools.__version__} < {need} (pyproject's build-system): run `make install`, "
        "which upgrades it")
    src = _copy_checkout(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
                           capture_output=True, text=True, timeout=300, env=env)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    editable = subprocess.run([sys.executable, "-c", "from setuptools import build_meta as b; "
                               f"print(b.build_editable({str(out / 'editable')!r}))"],
                              cwd=src, capture_output=True, text=True, timeout=300, env=env)
    assert editable.returncode == 0, editable.stderr[-2000:]
    (wheel,) = out.glob("adeptai_sagemaker-*-py3-none-any.whl")
    return {"wheel": wheel, "log": built.stdout + built.stderr + editable.stdout + editable.stderr}


def test_build_and_editable_install_print_no_setuptools_warnings(build):
    noisy = [line for line in build["log"].splitlines() if NOISE.search(line)]
    assert not noisy, "setuptools warnings during the build:\n" + "\n".join(noisy[:20])
    assert "Successfully built" in build["log"]


def test_the_noise_pattern_catches_what_setuptools_printed_before():
    before = ["SetuptoolsDeprecationWarning: `project.license` as a TOML table is deprecated",
              "Package 'adeptai_sagemaker.prompts.job_parser' is absent from the `packages` configuration."]
    assert all(NOISE.search(line) for line in before)


def test_wheel_layout(build):
    names = zipfile.ZipFile(build["wheel"]).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"adeptai_sagemaker"}, tops  # no top-level 'adapters' or 'prompts'
    assert "adeptai_sagemaker/adapters/__init__.py" in names
    assert "adeptai_sagemaker/prompts/job_parser/v1.j2" in names
    assert "adeptai_sagemaker/prompts/_base.j2" in names
    for init in (ROOT / "adeptai_sagemaker").rglob("__init__.py"):  # every subpackage must be listed in pyproject
        rel = init.relative_to(ROOT).as_posix()
        assert rel in names, f"{rel} missing from the wheel: add its package to pyproject's packages list"


def test_migration_install_path_wheel_into_a_fresh_venv_then_install_from_env(build, tmp_path):
    """MIGRATION.md phase 0: ``pip install dist/<wheel>`` into the monolith's environment, then step 2.

    The fresh venv sees this environment's site-packages through a ``.pth`` line, so the wheel's
    dependencies resolve offline as "already satisfied"; the package itself comes from the wheel.
    """
    doc = (ROOT / "MIGRATION.md").read_text(encoding="utf-8")
    assert "python -m build --wheel" in doc and "pip install dist/adeptai_sagemaker-0.1.0-py3-none-any.whl" in doc
    assert build["wheel"].name == "adeptai_sagemaker-0.1.0-py3-none-any.whl"  # the name the doc uses
    env_dir = tmp_path / "monolith-venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "outer_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([str(py), "-m", "pip", "install", "--no-index", str(build["wheel"])],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    code = (
        "import importlib.util, os, adeptai_sagemaker\n"
        "from importlib import resources\n"
        "from adeptai_sagemaker.adapters import install_from_env\n"
        "assert adeptai_sagemaker.__file__.startswith(os.environ['VENV_SITE']), adeptai_sagemaker.__file__\n"
        "t = resources.files('adeptai_sagemaker.prompts').joinpath('job_parser/v1.j2').read_text()\n"
        "assert '{{ data(\"job_description\", job_description) }}' in t\n"
        "assert importlib.util.find_spec('adapters') is None\n"
        "installation = install_from_env()\n"
        "assert installation is not None and installation.active\n"
        "print('installed', sorted(installation.skipped))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_"))}
    env.update({"ADEPTAI_SAGEMAKER_INSTALL": "true", "VENV_SITE": site, "AWS_REGION": "us-east-1",
                "SAGEMAKER_JOB_PARSER_MODE": "shadow", "SAGEMAKER_JOB_PARSER_ENDPOINT": "adeptai-job-parser",
                "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / "cache"),
                "ADEPTAI_SAGEMAKER_STATE_DIR": str(tmp_path / "state")})
    result = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("installed") and "job_parser" in result.stdout


# ------------------------------------------------------------------ the product wheel carries no lab

#: Distributions only the lab needs (its local endpoint server); the product must not require them.
LAB_ONLY_DEPENDENCIES = ("starlette", "uvicorn", "adeptai-sagemaker-lab")


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode("utf-8")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def test_the_product_wheel_holds_no_lab_file_and_requires_no_lab_dependency(build):
    names = zipfile.ZipFile(build["wheel"]).namelist()
    lab_files = [n for n in names if "adeptai_sagemaker_lab" in n or n.startswith("lab/")]
    assert not lab_files, lab_files[:10]
    requires = _requires_dist(build["wheel"])
    assert any(r.startswith("boto3") for r in requires), requires  # the metadata was read
    lab_deps = [r for r in requires
                if re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0].lower().replace("_", "-") in LAB_ONLY_DEPENDENCIES
                and "extra == \"lab\"" not in r]
    assert not lab_deps, lab_deps  # only the 'lab' extra may name the lab distribution


def test_the_product_wheel_alone_runs_status_and_names_the_lab_extra_for_demo(build, tmp_path):
    """A venv holding only the product wheel and the dependencies pip resolves for it (from the configured
    indexes, into a throwaway cache): ``status --json`` works, ``demo`` exits 2 saying how to get the lab."""
    env_dir = tmp_path / "product-only"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_", "AWS_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"PIP_CACHE_DIR": str(tmp_path / "pip-cache"), "AWS_REGION": "us-east-1",
                "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / "cache"),
                "ADEPTAI_SAGEMAKER_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path / "home")})
    installed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(build["wheel"])],
                               capture_output=True, text=True, timeout=900, env=env)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    listed = subprocess.run([str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True, env=env).stdout.lower()
    assert "adeptai-sagemaker==" in listed and "adeptai-sagemaker-lab" not in listed
    assert "starlette" not in listed and "uvicorn" not in listed

    cli = str(bin_dir / "adeptai-sagemaker")
    status = subprocess.run([cli, "status", "--json"], capture_output=True, text=True, timeout=120, env=env,
                            cwd=tmp_path)
    assert status.returncode == 0, status.stdout[-2000:] + status.stderr[-2000:]
    assert isinstance(json.loads(status.stdout), (dict, list))

    demo = subprocess.run([cli, "demo"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert demo.returncode == 2, demo.stdout[-2000:] + demo.stderr[-2000:]
    said = demo.stdout + demo.stderr
    assert "needs the lab" in said and "adeptai-sagemaker[lab]" in said, said

    # a product command's lab-only option goes through lab_hook.require_lab: the same one-line answer
    local = subprocess.run([cli, "run", "query_enhancer", "--local"], input='{"query": "python"}',
                           capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert local.returncode == 2, local.stdout[-2000:] + local.stderr[-2000:]
    said = local.stdout + local.stderr
    assert "`run --local` needs the lab" in said and "adeptai-sagemaker[lab]" in said, said
