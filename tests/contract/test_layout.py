"""The product path and the lab stay apart: using the product imports no lab module.

The check runs in a fresh interpreter (this test process has the lab loaded for
the local endpoint), which installs the adapters, builds a framework from env
settings and makes a real call over HTTP to the local endpoint running here.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support.env import DUMMY_AWS_ENV

ROOT = Path(__file__).resolve().parents[2]

PRODUCT_SCRIPT = textwrap.dedent("""
    import json, sys
    from adeptai_sagemaker.adapters import install_from_env
    from adeptai_sagemaker.core.framework import Framework

    install_from_env()
    fw = Framework(cache=False)
    fw.call("job_parser", {"job_description": "Senior Python engineer, AWS required."},
            legacy=lambda: {"legacy": True})
    totals = fw.metrics.snapshot()["totals"]
    fw.close()
    lab = sorted(m for m in sys.modules if m.startswith("adeptai_sagemaker_lab"))
    print(json.dumps({"lab": lab, "successes": totals["successes"]}))
""")


def test_using_the_product_path_imports_no_lab_module(local_endpoint, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "ADEPTAI_", "AWS_"))}
    env.update({**DUMMY_AWS_ENV, "SAGEMAKER_ENDPOINT_URL": local_endpoint.url, "SAGEMAKER_JOB_PARSER_ENDPOINT": "ref-tgi",
                "SAGEMAKER_JOB_PARSER_MODE": "on", "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / "cache"),
                "ADEPTAI_SAGEMAKER_PLUGINS": ""})
    proc = subprocess.run([sys.executable, "-c", PRODUCT_SCRIPT], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["successes"] == 1  # the call was answered by the endpoint, not by the legacy lambda
    assert out["lab"] == []


def test_product_modules_never_import_the_lab_at_module_level():
    """A static guard beside the runtime one: no product module has a top-level lab import."""
    offenders = []
    for path in (ROOT / "adeptai_sagemaker").rglob("*.py"):
        rel = path.relative_to(ROOT / "adeptai_sagemaker")
        if rel.parts[0] in ("lab", "cli"):
            continue  # the lab itself; CLI commands import the lab inside the command that needs it
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("from .lab", "from adeptai_sagemaker_lab", "import adeptai_sagemaker_lab", "from ..lab")):
                offenders.append(f"{rel}: {line}")
    for path in (ROOT / "adapters").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "adeptai_sagemaker_lab" in line and line.lstrip().startswith(("from", "import")):
                offenders.append(f"adapters/{path.name}: {line}")
    assert offenders == []


def _documented_tree() -> set[str]:
    """Paths named by docs/architecture.md's tree block: directories end with '/', file lines list modules."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## The tree", 1)[1].split("```", 2)[1]
    paths: set[str] = set()
    stack: list[tuple[int, str]] = []  # (indent, directory path)
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        first = line.split()[0]
        if first.endswith("/"):
            while stack and stack[-1][0] >= indent:
                stack.pop()
            path = (stack[-1][1] if stack else "") + first
            stack.append((indent, path))
            paths.add(path)
        else:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            paths.update(parent + name for name in line.split() if name.endswith(".py"))
    return paths


def _package_tree() -> set[str]:
    found: set[str] = set()
    for top in ("adeptai_sagemaker", "adapters", "prompts"):
        found.add(top + "/")
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if "__pycache__" in rel:
                continue
            if path.is_dir():
                found.add(rel + "/")
            elif path.suffix == ".py":
                found.add(rel)
    return found


def test_the_architecture_doc_tree_matches_the_package():
    documented, actual = _documented_tree(), _package_tree()
    assert not actual - documented, f"in the package, missing from docs/architecture.md: {sorted(actual - documented)}"
    assert not documented - actual, f"in docs/architecture.md, not in the package: {sorted(documented - actual)}"
