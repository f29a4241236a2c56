"""MIGRATION.md names only settings that exist.

The valid set is derived from the code, not typed by hand:
- every ``Settings`` field (its env name is the field name, upper-cased);
- ``SAGEMAKER_<STEM>_<FIELD>`` for every stem in ``settings.STEMS`` and every
  ``CapabilitySettings`` field;
- env names the package reads outside ``Settings`` (found with ``ast``): string
  arguments of ``os.environ.get`` / ``os.getenv`` / ``os.environ[...]`` and
  module-level ``*_ENV`` string constants (e.g. ``adapters/installation.py``'s
  ``INSTALL_ENV = "ADEPTAI_SAGEMAKER_INSTALL"``).
A name the doc invents (a doc-only flag that no code reads is exactly
that) fails this test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from adeptai_sagemaker.core.settings import STEMS, CapabilitySettings, Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "MIGRATION.md"
NAME_RE = re.compile(r"(?<![A-Za-z0-9_])(USE_SAGEMAKER(?:_[A-Z0-9]+)*|(?:ADEPTAI_SAGEMAKER|SAGEMAKER|AWS)(?:_[A-Z0-9]+)+)"
                     r"(?![A-Za-z0-9_<])")


def settings_names() -> set[str]:
    names = {field.upper() for field in Settings.model_fields if field != "capabilities"}
    for stem in STEMS.values():
        names |= {f"SAGEMAKER_{stem}_{field.upper()}" for field in CapabilitySettings.model_fields}
    return names


def env_names_read_in_code() -> set[str]:
    found: set[str] = set()
    for folder in (ROOT / "adeptai_sagemaker", ROOT / "adapters"):
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                    func = ast.unparse(node.func)
                    if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                        found.add(str(node.args[0].value))
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
                    if isinstance(node.slice, ast.Constant):
                        found.add(str(node.slice.value))
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                        and isinstance(node.value.value, str):
                    if any(isinstance(t, ast.Name) and t.id.endswith("ENV") for t in node.targets):
                        found.add(node.value.value)
    return found


def doc_names() -> set[str]:
    return set(NAME_RE.findall(DOC.read_text(encoding="utf-8")))


def test_the_pattern_finds_names_and_skips_templates():
    text = "set SAGEMAKER_JOB_PARSER_MODE=on, USE_SAGEMAKER_LLM=false, SAGEMAKER_<STEM>_MODE, AWS/SageMaker"
    assert set(NAME_RE.findall(text)) == {"SAGEMAKER_JOB_PARSER_MODE", "USE_SAGEMAKER_LLM"}


def test_every_name_in_migration_md_exists():
    valid = settings_names() | env_names_read_in_code()
    names = doc_names()
    assert len(names) >= 15, "the doc should name the real settings of every phase"
    unknown = sorted(names - valid)
    assert not unknown, f"MIGRATION.md names settings that do not exist: {unknown}"


def test_doc_covers_every_module_and_the_rollback_switches():
    names = doc_names()
    for stem in STEMS.values():
        assert f"SAGEMAKER_{stem}_MODE" in names and f"SAGEMAKER_{stem}_ENDPOINT" in names, stem
    assert {"SAGEMAKER_LLM_ENABLED", "SAGEMAKER_LLM_FALLBACK", "ADEPTAI_SAGEMAKER_INSTALL"} <= names
    text = DOC.read_text(encoding="utf-8")
    for phase in ("shadow", "canary:10", "canary:50", "Rollback threshold"):
        assert phase in text


def test_metric_names_in_the_doc_are_ones_the_exporters_send():
    from adeptai_sagemaker.observers.metrics import METRIC_NAMES

    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Metrics to watch", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    mentioned = {name for cell in first_cells  # "(`Reason` dimension)" notes are not metric names
                 for name in re.findall(r"`([A-Za-z0-9]+)`", re.sub(r"\([^)]*\)", "", cell))}
    assert len(mentioned) >= 10
    assert mentioned <= METRIC_NAMES, sorted(mentioned - METRIC_NAMES)
