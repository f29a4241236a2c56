"""``serve`` checks before its banner: a banner means it serves what the banner says.

Problems (a busy port, an unknown dialect, a bad config file) are one line with a fix, exit 2, and
no banner. The server itself is replaced by a recorder where a test only needs what ``serve`` would
run; the busy port is a real socket listening on a free loopback port.
"""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="serve needs the lab's 'serve' extra")

from adeptai_sagemaker.cli import cli  # noqa: E402


def invoke(*args):
    return CliRunner().invoke(cli, ["serve", *args], prog_name="adeptai-sagemaker", catch_exceptions=False)


def only_line(result) -> str:
    (line,) = [ln for ln in result.output.splitlines() if ln.strip()]
    return line


@pytest.fixture
def recorded(monkeypatch):
    """What ``serve`` would run, instead of running it."""
    import adeptai_sagemaker_lab.server.runner as runner

    calls = []

    def record(**kwargs):
        kwargs["sock"].close()
        calls.append(kwargs)

    monkeypatch.setattr(runner, "serve", record)
    return calls


def test_a_busy_port_is_reported_before_the_banner():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = invoke("--port", str(port))
    assert result.exit_code == 2
    line = only_line(result)  # no banner before it
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}") and f"-- fix: stop what uses port {port}" in line


@pytest.mark.parametrize("args,expected", [
    (("--endpoint", "foo=banana"), "error: --endpoint 'foo=banana': unknown dialect 'banana'"),
    (("--endpoint", "foo"), "error: --endpoint 'foo' is not NAME=DIALECT"),
    (("--default-dialect", "banana"), "error: --default-dialect: unknown dialect 'banana'"),
])
def test_bad_endpoint_dialects_are_one_line_with_the_choices(recorded, args, expected):
    result = invoke(*args)
    assert result.exit_code == 2 and not recorded
    line = only_line(result)
    assert line.startswith(expected) and "-- fix:" in line
    if "unknown dialect" in expected:
        assert "tgi" in line.split("-- fix:")[1] and "messages" in line.split("-- fix:")[1]


def test_a_bad_config_file_is_one_line_naming_the_file(recorded, tmp_path):
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"endpoints": {"job-ep": "banana"}}), encoding="utf-8")
    result = invoke("--config", str(config))
    assert result.exit_code == 2 and not recorded
    line = only_line(result)
    assert line.startswith(f"error: --config {config}:") and "banana" in line and "-- fix:" in line


def test_the_banner_names_the_endpoints_a_config_file_serves(recorded, tmp_path):
    config = tmp_path / "serve.json"
    config.write_text(json.dumps({"endpoints": {"job-ep": "lmi"}}), encoding="utf-8")
    result = invoke("--config", str(config), "--port", "0")
    assert result.exit_code == 0, result.output
    banner = only_line(result)
    assert banner.startswith("serving job-ep (lmi) on http://127.0.0.1:0")
    assert banner.endswith("; other endpoint names: not found")
    assert "any endpoint name" not in banner
    (call,) = recorded
    assert list(call["config"].endpoints) == ["job-ep"] and call["config"].default_dialect is None


def test_the_banner_without_configuration_says_every_name_is_served(recorded):
    result = invoke("--port", "0")
    assert result.exit_code == 0
    assert only_line(result).startswith("serving any endpoint name (tgi) on")
    result = invoke("--port", "0", "--endpoint", "a=lmi", "--default-dialect", "tgi")
    assert only_line(result).startswith("serving a (lmi), and any other endpoint name (tgi) on")
