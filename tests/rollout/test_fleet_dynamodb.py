"""A fleet on DynamoDB: three host processes and operators' CLI processes sharing ``dynamodb://`` on a moto server.

Where moto stops is said once, in ``tests/support/fleet.py``: conditional writes, ``UpdateItem ... ADD``,
``Query`` and on-demand tables are emulated; TTL expiry, throttling, eventual-consistency lag and billing are
not, so the TTL bound is checked only as the attribute written (and the store's own read-side retention cut),
and the cost arithmetic is in MIGRATION.md. The timings of the same fleet (how fast hosts follow a promote, a
call's latency with the store down) are in ``benchmarks/bench_fleet.py``.
"""

from __future__ import annotations

import json

import pytest

from support.confidence import run_cli
from support.fleet import Host, MotoDynamo, fleet_env, wait_until_all_see


@pytest.fixture()
def moto_server():
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    server = MotoDynamo().start()
    yield server, server.url
    server.stop()


def test_three_hosts_follow_promote_pool_evidence_obey_kill_and_survive_an_outage(moto_server, local_endpoint,
                                                                                  tmp_path):
    server, url = moto_server
    operator = fleet_env(tmp_path, url, local_endpoint.url, "operator")
    created = run_cli(["--json", "state", "init"], operator, tmp_path)
    assert created.returncode == 0 and json.loads(created.stdout)["created"] is True, created.stderr
    again = run_cli(["--json", "state", "init"], operator, tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False  # idempotent

    hosts = [Host(fleet_env(tmp_path, url, local_endpoint.url, f"host-{i}"), tmp_path) for i in range(3)]
    try:
        assert [h.ask("mode")["mode"] for h in hosts] == ["off"] * 3
        promoted = run_cli(["promote", "job_parser", "--to", "shadow", "--reason", "fleet test"], operator, tmp_path)
        assert promoted.returncode == 0, promoted.stderr
        wait_until_all_see(hosts, "shadow")

        for h in hosts:
            assert h.ask("calls 100")["errors"] == 0
        gate = run_cli(["--json", "promote", "job_parser", "--dry-run"], operator, tmp_path)
        assert gate.returncode == 0, gate.stderr
        out = json.loads(gate.stdout)
        assert out["evidence"]["n"] == 300 and out["applied"] is False
        assert {name: h["n"] for name, h in out["hosts"].items()} == {"host-0": 100, "host-1": 100, "host-2": 100}

        killed = run_cli(["kill", "on", "--reason", "incident"], operator, tmp_path)
        assert killed.returncode == 0, killed.stderr
        wait_until_all_see(hosts, "off")
        shown = json.loads(run_cli(["--json", "state", "show"], operator, tmp_path).stdout)
        assert shown["fleet_kill_switch"]["engaged"] is True and shown["fleet_kill_switch"]["reason"] == "incident"
        status = json.loads(run_cli(["--json", "status"], operator, tmp_path).stdout)
        assert status["kill_switch"] == "fleet"
        assert run_cli(["kill", "off"], operator, tmp_path).returncode == 0
        wait_until_all_see(hosts, "shadow")

        baseline = max(h.ask("calls 20")["max_ms"] for h in hosts)
        server.stop()  # the store goes away mid-run
        during = [h.ask("calls 20") for h in hosts]
        assert all(r["errors"] == 0 for r in during)  # no call raises
        assert [h.ask("mode")["mode"] for h in hosts] == ["shadow"] * 3  # last known modes hold
        # a sanity bound far above any store timeout (refreshes and writes run off the request path); the
        # "no more than 100 ms slower" comparison is not asserted here (no wall-clock bounds in tests/)
        assert max(r["max_ms"] for r in during) < baseline + 5_000
    finally:
        for h in hosts:
            h.close()


def _raw(server: MotoDynamo, table: str, pk: str) -> list[dict]:
    import boto3

    client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client.query(TableName=table, KeyConditionExpression="pk = :pk",
                        ExpressionAttributeValues={":pk": {"S": pk}})["Items"]


@pytest.fixture()
def table(moto_server, tmp_path):
    import boto3

    from adeptai_sagemaker.rollout.state.dynamodb import DynamoStateStore

    server, url = moto_server
    store = DynamoStateStore(f"sizes-{tmp_path.name}", client_factory=lambda: boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing"))
    store.init()
    yield server, store
    store.close()


def test_every_control_item_together_is_one_read_unit_whatever_the_reasons(table, monkeypatch):
    """MIGRATION.md's cost arithmetic: a host's poll (one eventually consistent Query of the control items) costs
    half a read unit, i.e. every module's mode and the kill switch together are at most 4 KB."""
    import adeptai_sagemaker.rollout.state.dynamodb as dynamodb
    from adeptai_sagemaker.plugin.tasks import CAPABILITIES

    server, store = table
    monkeypatch.setattr(dynamodb, "actor", lambda: "operator-with-a-long-name@" + "h" * 250)
    note = "é" * 5000  # an operator's --reason has no length limit; 2 bytes a character
    for cap in CAPABILITIES:
        store.set_mode(cap, "canary:100", expected_version=0, from_mode="canary:50", verdict="manual", reason=note)
    store.set_kill(True, reason=note, expected_version=0)
    items = _raw(server, store.table, dynamodb.CONTROL)
    assert len(items) == len(CAPABILITIES) + 1
    assert sum(dynamodb.item_size(i) for i in items) <= 4096
    assert store.snapshot().modes["job_parser"].reason == "é" * 100  # clipped to 200 bytes, whole characters
    kept = store.mode_history("job_parser")[-1]["reason"]
    assert kept == "é" * 1000 and all(dynamodb.item_size(i) < 4096 for i in _raw(server, store.table, "history"))


def test_an_evidence_item_stays_within_4_kb_when_latencies_spread_and_a_flush_straddles_a_mode_change(table):
    """The worst flush: every module in two modes, latencies spread from 1 ms to a minute (unbounded, the item
    would be over 8 KB): written as one item of at most 4 KB, its counts whole, its percentiles reading high, never low."""
    import json
    import math
    import random
    import time

    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.plugin.tasks import CAPABILITIES
    from adeptai_sagemaker.rollout.gate import evaluate
    from adeptai_sagemaker.rollout.state.base import EvidenceBatch
    from adeptai_sagemaker.rollout.state.dynamodb import EVIDENCE_ITEM_BYTES, item_size

    server, store = table
    rng = random.Random(7)
    calls, comparisons, routed = [], [], []
    now = store.clock()
    for cap in CAPABILITIES:
        for mode in ("shadow", "canary:5"):
            for _ in range(3000):
                latency = math.exp(rng.uniform(0, math.log(60_000)))
                calls.append({"capability": cap, "mode": mode, "route": "sagemaker", "backend": "sagemaker",
                              "outcome": "success", "latency_ms": latency})
                if (cap, mode) == ("job_parser", "canary:5"):
                    routed.append(latency)
                comparisons.append({"capability": cap, "mode": mode, "sagemaker_ok": 1, "score": 1.0, "agree": 1,
                                    "latency_ms": math.exp(rng.uniform(0, math.log(60_000))),
                                    "fields": json.dumps({f"field_{k}": [1.0, 1] for k in range(8)})})
    batch = EvidenceBatch("host-1#abcd1234#1", "host-1", now, calls, comparisons)
    assert len(batch.pool().encode()) > 2 * EVIDENCE_ITEM_BYTES  # what an unbounded item would be
    store.add_evidence(batch)
    (item,) = _raw(server, store.table, "ev#" + time.strftime("%Y%m%d", time.gmtime(now)))
    assert item_size(item) <= EVIDENCE_ITEM_BYTES
    decision = evaluate(store, load_settings(env_file=None), "job_parser", mode="canary:5", since=now - 1)
    assert decision.evidence["n"] == 3000 and decision.evidence["calls"] == 3000  # nothing lost
    exact_p95 = sorted(routed)[math.ceil(0.95 * len(routed)) - 1]
    assert decision.evidence["p95_ms"] >= exact_p95  # a coarsened bucket reads at its upper edge
