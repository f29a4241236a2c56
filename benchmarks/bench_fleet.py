"""A fleet's timings: how fast three hosts follow a promote, and what a state-store outage costs a call.

Three host processes (``tests/rollout/fleet_host.py``: a framework built from env, like the monolith's) share
``dynamodb://`` on a moto server (a real HTTP endpoint; see ``tests/support/fleet.py`` for where moto stops),
each with its own local dirs, at the default ``ADEPTAI_SAGEMAKER_MODE_REFRESH_S`` (2 s). The behaviour (the
hosts follow, pool evidence, obey the kill switch, survive the outage) is tested in
``tests/rollout/test_fleet_dynamodb.py``; this file holds the timing claims:

- propagation: from the moment a ``promote --to`` in a fourth process wrote the mode (its ``set_at``) until
  all three hosts report it. Target: at most 3 s, every round.
- outage: each call's time on the caller's thread (mode ``on``: every call goes to the local endpoint), with
  the moto server up, then stopped for at least two refresh intervals. Target: no call more than 100 ms slower
  than the slowest call with the store up; no call raises; the hosts keep their last known mode.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # one copy of the fleet's host and env

from adeptai_sagemaker.core.settings import load_settings  # noqa: E402
from adeptai_sagemaker_lab.bench import workload  # noqa: E402
from support.confidence import run_cli  # noqa: E402
from support.fleet import Host, MotoDynamo, fleet_env, wait_until_all_see  # noqa: E402

PROPAGATION_TARGET_S = 3.0
OUTAGE_TARGET_MS = 100.0
DEFAULT_REFRESH_S = load_settings(env_file=None).adeptai_sagemaker_mode_refresh_s


@pytest.fixture()
def moto():
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    server = MotoDynamo().start()
    yield server
    server.stop()


def _env(tmp_path: Path, url: str, endpoint_url: str, name: str) -> dict:
    env = fleet_env(tmp_path, url, endpoint_url, name)
    del env["ADEPTAI_SAGEMAKER_MODE_REFRESH_S"]  # the default, which the targets are stated at
    return env


def _fleet(tmp_path: Path, url: str, endpoint_url: str) -> tuple[dict, list[Host]]:
    operator = _env(tmp_path, url, endpoint_url, "operator")
    created = run_cli(["state", "init"], operator, tmp_path)
    assert created.returncode == 0, created.stderr
    hosts = [Host(_env(tmp_path, url, endpoint_url, f"host-{i}"), tmp_path) for i in range(3)]
    assert [h.ask("mode")["mode"] for h in hosts] == ["off"] * 3
    return operator, hosts


def _promote(operator: dict, cwd: Path, target: str, hosts: list[Host]) -> tuple[float, float]:
    """(seconds from the write to all three seeing it, seconds from launching the promote process)."""
    launched = time.time()
    proc = subprocess.Popen([sys.executable, "-c", "from adeptai_sagemaker.cli import main; main()", "--json",
                             "promote", "job_parser", "--to", target], env=operator, cwd=str(cwd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until_all_see(hosts, target)  # polled while the promote process may still be exiting
    seen = time.time()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and json.loads(out)["applied"], err
    shown = run_cli(["--json", "state", "show"], operator, cwd)
    set_at = json.loads(shown.stdout)["modes"]["job_parser"]["set_at"]
    return seen - set_at, seen - launched


def bench_mode_propagation(benchmark, moto, tmp_path, board):
    operator, hosts = _fleet(tmp_path, moto.url, "http://127.0.0.1:9")
    rounds = 2 if workload.quick() else 6
    try:
        timings = benchmark.pedantic(lambda: [_promote(operator, tmp_path, ("shadow", "canary:5")[r % 2], hosts)
                                              for r in range(rounds)], rounds=1, iterations=1)
    finally:
        for h in hosts:
            h.close()
    after_write = [t[0] for t in timings]
    result = {"rounds": rounds, "hosts": 3, "refresh_s": DEFAULT_REFRESH_S, "max_s": max(after_write),
              "median_s": statistics.median(after_write), "from_launch_max_s": max(t[1] for t in timings),
              "target_s": PROPAGATION_TARGET_S, "met": max(after_write) <= PROPAGATION_TARGET_S}
    board["fleet_propagation"] = result
    print(f"\n[fleet propagation] 3 hosts, refresh {DEFAULT_REFRESH_S:g} s, {rounds} promotes: after the write "
          f"median {result['median_s']:.2f} s, max {result['max_s']:.2f} s (target <= {PROPAGATION_TARGET_S:g} s); "
          f"from launching the promote process max {result['from_launch_max_s']:.2f} s")
    assert all(t >= 0 for t in after_write)
    if workload.enforce():
        assert result["met"], result


def _calls(hosts: list[Host], n: int) -> list[dict]:
    return [h.ask(f"calls {n}") for h in hosts]


def bench_store_outage(benchmark, moto, endpoint, tmp_path, board):
    operator, hosts = _fleet(tmp_path, moto.url, endpoint.url)
    batch = 25 if workload.quick() else 100
    try:
        assert run_cli(["promote", "job_parser", "--to", "on"], operator, tmp_path).returncode == 0
        wait_until_all_see(hosts, "on")
        _calls(hosts, 10)  # warm: connections, first render

        def measure() -> tuple[list[dict], list[dict]]:
            up = _calls(hosts, batch) + _calls(hosts, batch)
            moto.stop()  # the store goes away
            stopped, down = time.monotonic(), []
            while not down or time.monotonic() - stopped < 2 * DEFAULT_REFRESH_S:  # refreshes fail meanwhile
                down += _calls(hosts, batch)
            return up, down

        up, down = benchmark.pedantic(measure, rounds=1, iterations=1)
        held = [h.ask("mode")["mode"] for h in hosts]
        unreachable = run_cli(["state", "show"], operator, tmp_path).returncode == 1  # the outage was real
    finally:
        for h in hosts:
            h.close()
    result = {"hosts": 3, "calls_up": sum(r["n"] for r in up), "calls_down": sum(r["n"] for r in down),
              "errors_down": sum(r["errors"] for r in down), "modes_down": sorted({m for r in down for m in r["modes"]}),
              "modes_after": held, "up_max_ms": max(r["max_ms"] for r in up),
              "down_max_ms": max(r["max_ms"] for r in down),
              "up_median_ms": statistics.median(r["median_ms"] for r in up),
              "down_median_ms": statistics.median(r["median_ms"] for r in down), "target_ms": OUTAGE_TARGET_MS}
    result["added_max_ms"] = result["down_max_ms"] - result["up_max_ms"]
    result["added_median_ms"] = result["down_median_ms"] - result["up_median_ms"]
    result["met"] = (result["added_max_ms"] <= OUTAGE_TARGET_MS and result["errors_down"] == 0
                     and result["modes_down"] == ["on"] and held == ["on"] * 3)
    board["fleet_outage"] = result
    print(f"\n[fleet store outage] {result['calls_up']} calls up, {result['calls_down']} down: median "
          f"{result['up_median_ms']:.2f} -> {result['down_median_ms']:.2f} ms, slowest {result['up_max_ms']:.1f} -> "
          f"{result['down_max_ms']:.1f} ms ({result['added_max_ms']:+.1f} ms, target <= +{OUTAGE_TARGET_MS:g} ms); "
          f"errors {result['errors_down']}; modes while down {result['modes_down']}, after {held}")
    assert unreachable and result["errors_down"] == 0 and held == ["on"] * 3  # always: no call raised, modes held
    if workload.enforce():
        assert result["met"], result
