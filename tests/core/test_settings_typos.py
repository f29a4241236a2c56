"""Misspelt settings get a warning naming the closest known variable; mode errors read cleanly.

A typo in a variable name (``SAGEMAKER_JOB_PARSR_MODE``) used to leave the module
silently ``off``. The known names are derived from the code (settings fields and
every env name the package reads), so adding a setting never makes it a "typo".
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.core.settings import (FOREIGN_VARIABLES, OUR_PREFIXES, STEMS, known_variables, load_settings,
                                        unknown_variables)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("SAGEMAKER_", "ADEPTAI_SAGEMAKER_", "USE_SAGEMAKER", "SAGEMKER", "AWS_")):
            monkeypatch.delenv(name, raising=False)


def test_typos_from_env_and_dotenv_name_the_closest_variable(monkeypatch, tmp_path, caplog):
    env_file = tmp_path / ".env"
    env_file.write_text("SAGEMAKER_JOB_PARSR_MODE=on\nSAGEMAKER_JOB_PARSER_ENDPIONT=adeptai-jp\n")
    monkeypatch.setenv("SAGEMKER_REGION", "us-east-1")
    monkeypatch.setenv("ADEPTAI_SAGEMAKR_CACHE_DIR", "/somewhere")
    from click.testing import CliRunner

    from adeptai_sagemaker.cli import cli

    CliRunner().invoke(cli, ["cost", "--help"])  # the CLI adds its own handler: logging must still reach others
    with caplog.at_level(logging.WARNING, logger="adeptai_sagemaker.core.settings"):
        settings = load_settings(env_file=env_file)
    assert dict(settings.unknown_variables()) == {
        "SAGEMAKER_JOB_PARSR_MODE": "SAGEMAKER_JOB_PARSER_MODE",
        "SAGEMAKER_JOB_PARSER_ENDPIONT": "SAGEMAKER_JOB_PARSER_ENDPOINT",
        "SAGEMKER_REGION": "SAGEMAKER_REGION",
        "ADEPTAI_SAGEMAKR_CACHE_DIR": "ADEPTAI_SAGEMAKER_CACHE_DIR",
    }
    logged = caplog.text
    assert "unknown setting SAGEMAKER_JOB_PARSR_MODE is ignored: did you mean SAGEMAKER_JOB_PARSER_MODE?" in logged
    assert "adeptai-jp" not in logged and "us-east-1" not in logged and "/somewhere" not in logged


def test_known_names_and_others_are_not_typos(tmp_path):
    environ = {name: "x" for name in known_variables()}
    environ.update({"USE_SAGEMAKER_LLM": "1", "USE_SAGEMAKER": "1", "PATH": "/bin", "ADEPTAI_BENCH_QUICK": "1",
                    "SAGE_HOME": "x", "AWS_REGION": "us-east-1"})
    assert unknown_variables(None, environ) == []


def test_the_monoliths_own_sagemaker_variables_are_not_typos():
    config = (ROOT / "tests/monolith/monolith_app/config.py").read_text(encoding="utf-8")
    theirs = set(re.findall(r'alias="((?:SAGEMAKER|USE_SAGEMAKER)[A-Z_]*)"', config))
    assert len(theirs) >= 6
    assert unknown_variables(None, {name: "x" for name in theirs}) == []
    assert {"SAGEMAKER_LTR_ENDPOINT", "SAGEMAKER_EMBEDDING_ENDPOINT"} <= FOREIGN_VARIABLES


def test_every_env_name_the_code_reads_with_our_prefixes_is_known():
    from tests.e2e.test_migration_doc import env_names_read_in_code

    ours = {name for name in env_names_read_in_code() if name.startswith(OUR_PREFIXES)}
    assert "ADEPTAI_SAGEMAKER_INSTALL" in ours
    missing = sorted(ours - known_variables())
    assert not missing, f"add these to settings.OTHER_VARIABLES (or make them Settings fields): {missing}"


def test_every_capability_stem_has_its_per_capability_names():
    known = known_variables()
    for stem in STEMS.values():
        assert {f"SAGEMAKER_{stem}_ENDPOINT", f"SAGEMAKER_{stem}_MODE", f"SAGEMAKER_{stem}_CODEC"} <= known


def test_mode_error_has_no_pydantic_prefix_no_echo_and_one_allowed_list(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_JOB_PARSER_MODE", "banana")
    with pytest.raises(ConfigurationError) as info:
        load_settings(env_file=None)
    text = str(info.value)
    assert text == ("invalid setting SAGEMAKER_JOB_PARSER_MODE: not a rollout mode; "
                    "allowed: off | shadow | canary:N (N = 0..100) | on")


def test_type_errors_never_echo_the_value(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_BEHAVIORAL_READ_TIMEOUT", "soon-ish")
    with pytest.raises(ConfigurationError) as info:
        load_settings(env_file=None)
    assert "SAGEMAKER_BEHAVIORAL_READ_TIMEOUT" in str(info.value) and "soon-ish" not in str(info.value)


def test_a_plugin_tasks_variables_are_not_typos_but_a_near_miss_of_a_stem_is(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_SALARY_BENCHMARK_ENDPOINT", "ep")  # a plugin task's stem, registered later
    monkeypatch.setenv("SAGEMAKER_JOB_PARSR_ENDPOINT", "ep")  # one letter off a built-in stem
    settings = load_settings(env_file=None)
    assert dict(settings.unknown_variables()) == {"SAGEMAKER_JOB_PARSR_ENDPOINT": "SAGEMAKER_JOB_PARSER_ENDPOINT"}
    settings.register_capability("salary_benchmark", "SALARY_BENCHMARK")
    assert settings.capability("salary_benchmark").endpoint == "ep"
    monkeypatch.setenv("SAGEMAKER_SALARY_BENCHMRK_MODE", "on")  # now a near miss of a registered stem
    assert dict(settings.unknown_variables())["SAGEMAKER_SALARY_BENCHMRK_MODE"] == "SAGEMAKER_SALARY_BENCHMARK_MODE"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ADEGIKMPRST_", max_size=24), st.sampled_from(["SAGEMAKER", "ADEPTAI_SAGEMAKER"]),
       st.sampled_from([0.8, 0.85]))
def test_the_length_shortcut_of_the_near_miss_check_gives_difflibs_answer(name, prefix, cutoff):
    from adeptai_sagemaker.core.settings import _similar

    assert _similar(name, prefix, cutoff) == (difflib.SequenceMatcher(None, name, prefix).ratio() >= cutoff)
