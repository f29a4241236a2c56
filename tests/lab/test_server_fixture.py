"""The shared ``local_endpoint`` fixture: dialect endpoints exist, faults are cleared between tests."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")


def test_fixture_serves_every_dialect_and_default(local_endpoint):
    cfg = local_endpoint.config
    assert {n: e.dialect for n, e in cfg.endpoints.items()} == {
        "ref-tgi": "tgi", "ref-lmi": "lmi", "ref-messages": "messages", "ref-jumpstart": "jumpstart",
        "ref-custom": "custom"}
    assert cfg.resolve("whatever").dialect == "tgi"
    assert local_endpoint.url.startswith("http://127.0.0.1:")


def test_faults_on_the_shared_fixture_are_cleared_between_tests_part1(local_endpoint):
    local_endpoint.set_faults("ref-tgi", kind="service_unavailable")
    assert local_endpoint.faults()["ref-tgi"]


def test_faults_on_the_shared_fixture_are_cleared_between_tests_part2(local_endpoint):
    assert local_endpoint.faults() == {}
