"""Fleet behaviour that needs no DynamoDB: OpenFeature modes, the reachability hold, prefork workers."""

from __future__ import annotations

import os
import time

import pytest

from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.routing import ModeResolver, OpenFeatureSource
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore
from support.confidence import cli_env, run_cli


def test_modes_follow_an_openfeature_in_memory_provider_and_the_kill_switch_still_wins(tmp_path):
    pytest.importorskip("openfeature", reason="the openfeature extra")
    from openfeature import api
    from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

    key = "adeptai-sagemaker.job_parser.mode"
    api.set_provider(InMemoryProvider({key: InMemoryFlag("shadow", {"shadow": "shadow", "on": "on"})}))
    settings = load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path))
    resolver = ModeResolver(settings, source=OpenFeatureSource())
    assert resolver.resolve("job_parser").source == "openfeature" and str(resolver.mode("job_parser")) == "shadow"
    assert resolver.resolve("query_enhancer").source == "env"  # a flag the provider lacks: the next layer
    api.set_provider(InMemoryProvider({key: InMemoryFlag("on", {"shadow": "shadow", "on": "on"})}))
    assert str(resolver.mode("job_parser")) == "on"  # the provider's new value, no restart
    settings.sagemaker_llm_enabled = False
    assert resolver.resolve("job_parser").switch == "host" and str(resolver.mode("job_parser")) == "off"
    api.set_provider(InMemoryProvider({}))


def test_promote_holds_a_module_without_endpoint_or_region_and_exits_1(tmp_path):
    env = {k: v for k, v in cli_env(tmp_path / "state").items() if k != "AWS_REGION"}
    proc = run_cli(["--json", "promote", "job_parser"], env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    import json

    out = json.loads(proc.stdout)
    assert (out["verdict"], out["to_mode"], out["applied"]) == ("hold", "off", False)
    assert any("no AWS region" in r for r in out["reasons"]) and any("no endpoint" in r for r in out["reasons"])
    assert SqliteStateStore(tmp_path / "state").modes() == {}  # nothing was stored


def test_workers_forked_after_install_follow_a_later_promote_and_count_their_calls_once(tmp_path):
    settings = load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path), adeptai_sagemaker_host_id="w",
                             adeptai_sagemaker_mode_refresh_s=0.05, adeptai_sagemaker_evidence_flush_s=0.05)
    fw = Framework(settings, load_entrypoints=False, cache=False)  # the parent, as gunicorn --preload builds it
    fw.call("job_parser", {"job_description": "x"}, legacy=lambda: {"parent": True})
    store = SqliteStateStore(tmp_path)
    children = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a worker: wait for the promote, make 3 calls, flush its own evidence
            code = 1
            try:
                os.close(write)
                os.read(read, 1)  # the parent promoted
                until = time.monotonic() + 30
                while str(fw.mode("job_parser")) != "canary:0" and time.monotonic() < until:
                    time.sleep(0.02)
                for _ in range(3):
                    fw.call("job_parser", {"job_description": "y"}, legacy=lambda: {"child": True})
                fw.evidence.flush()
                code = 0 if str(fw.mode("job_parser")) == "canary:0" else 2
            finally:
                os._exit(code)
        os.close(read)
        children.append((pid, write))
    store.set_mode("job_parser", "canary:0", verdict="manual")  # canary:0: every call legacy, mode recorded
    for _, write in children:
        os.write(write, b"x")
        os.close(write)
    assert [os.WEXITSTATUS(os.waitpid(pid, 0)[1]) for pid, _ in children] == [0, 0]
    fw.evidence.flush()
    rows = store.calls("job_parser")
    assert sum(r["mode"] == "canary:0" for r in rows) == 6  # each worker's 3 calls, once
    assert sum(r["mode"] == "off" for r in rows) == 1  # the parent's call, never re-written by a child
    fw.close()
    store.close()


def test_a_saturated_eight_module_flush_is_one_item_of_at_most_4_kb():
    """The cost arithmetic in MIGRATION.md assumes one item of <= 4 write units per host per flush whatever the
    volume: 5,000 calls and comparisons per module in one flush, every module, every latency bucket touched."""
    import json
    import random

    from adeptai_sagemaker.plugin.tasks import CAPABILITIES
    from adeptai_sagemaker.rollout.state.base import EvidenceBatch

    rng = random.Random(1)
    calls, comparisons = [], []
    for cap in CAPABILITIES:
        for _ in range(5000):
            calls.append({"capability": cap, "mode": "shadow", "route": "shadow", "backend": "legacy",
                          "outcome": rng.choice(["success"] * 20 + ["error"]), "error_code": rng.choice(["A", "B"]),
                          "latency_ms": rng.lognormvariate(6, 0.6), "input_tokens": 900, "output_tokens": 300})
            comparisons.append({"capability": cap, "mode": "shadow", "sagemaker_ok": rng.random() > 0.02,
                                "latency_ms": rng.lognormvariate(7, 0.5), "score": rng.random(),
                                "agree": rng.random() > 0.1, "reason": rng.choice(["throttled", "timeout"]),
                                "fields": json.dumps({f"field_{k}": [rng.random(), rng.random() > 0.2]
                                                      for k in range(8)}),
                                "not_comparable": json.dumps(["salary_range"])})
    batch = EvidenceBatch("host-1#abcd1234#1", "host-1", 1.0, calls, comparisons)
    blob = batch.pool().encode()
    assert len(blob) + 200 <= 4 * 1024  # + the key, host, ts and TTL attributes
    from adeptai_sagemaker.rollout.state.pooling import Pool

    pooled = Pool.decode(blob)
    assert sum(int(a.count("calls")) for a in pooled.parts.values()) == 8 * 5000  # nothing lost in the encoding


def _evidence(store, mode: str, n: int, *, outcome: str = "success") -> None:
    now = time.time()
    if mode == "shadow":
        store.add(host="h1", comparisons=[{"ts": now, "capability": "job_parser", "mode": mode, "sagemaker_ok": 1,
                                           "latency_ms": 100.0, "score": 1.0, "agree": 1} for _ in range(n)])
    else:
        store.add(host="h1", calls=[{"ts": now, "capability": "job_parser", "mode": mode, "route": "sagemaker",
                                     "backend": "sagemaker" if outcome == "success" else "legacy", "outcome": outcome,
                                     "fallback_reason": None if outcome == "success" else "throttled",
                                     "latency_ms": 100.0} for _ in range(n)])


def test_watch_walks_a_short_plan_to_on_and_rolls_back_with_reasons_and_report_shows_the_steps(tmp_path):
    from adeptai_sagemaker.rollout.plan import Plan, Walker
    from adeptai_sagemaker.rollout.report import write_report

    plan = Plan.from_dict({"interval_s": 0.1, "safe_step": "shadow", "steps": [
        {"mode": "shadow", "min_dwell_s": 0, "min_evidence": 20}, {"mode": "canary:5", "min_dwell_s": 0,
                                                                   "min_evidence": 20},
        {"mode": "on", "min_dwell_s": 0, "min_evidence": 20}]})
    settings = load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path))
    store = SqliteStateStore(tmp_path)
    walker = Walker(store, settings, "job_parser", plan, clock=time.time)
    assert walker.tick().to_mode == "shadow"  # off: the plan starts
    assert walker.tick().verdict == "wait"  # no evidence yet: inconclusive waits
    _evidence(store, "shadow", 30)
    assert (walker.tick().verdict, store.modes()["job_parser"].mode) == ("advance", "canary:5")
    _evidence(store, "canary:5", 30)
    assert (walker.tick().verdict, store.modes()["job_parser"].mode) == ("advance", "on")
    assert walker.tick().verdict == "done"
    _evidence(store, "on", 40, outcome="fallback")  # a fault: every call falls back
    tick = walker.tick()
    assert (tick.verdict, tick.to_mode) == ("rollback", "shadow") and any("fallback_rate" in r for r in tick.reasons)
    history = [(h["from_mode"], h["to_mode"], h["verdict"]) for h in store.mode_history("job_parser")]
    assert history == [("off", "shadow", "watch-advance"), ("shadow", "canary:5", "watch-advance"),
                       ("canary:5", "on", "watch-advance"), ("on", "shadow", "watch-rollback")]
    pytest.importorskip("matplotlib", reason="report draws charts")
    text = (tmp_path / "r" / "report.md") if write_report(store, settings, tmp_path / "r") else None
    body = text.read_text(encoding="utf-8")
    assert "Rollout steps:" in body and "on -> shadow (watch-rollback" in body and "throttled" in body
    store.close()


def test_processes_opening_a_fresh_store_at_once_create_its_schema_once(tmp_path):
    """Two first commands on a fresh state directory (two operators' promotes, two workers' first flush) each
    create or upgrade the schema; one at a time, so neither fails on a column the other just added."""
    import subprocess
    import sys

    opener = ("import sys, time\n"
              "from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore\n"
              "while time.time() < float(sys.argv[2]): pass\n"  # start together
              "s = SqliteStateStore(sys.argv[1]); s.set_mode('job_parser', 'shadow', verdict='manual'); s.close()\n")
    for round_ in range(3):
        at = time.time() + 1.5
        procs = [subprocess.Popen([sys.executable, "-c", opener, str(tmp_path / str(round_)), repr(at)],
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
        store = SqliteStateStore(tmp_path / str(round_))
        assert store.modes()["job_parser"].version == 4  # four writes, none lost
        store.close()
