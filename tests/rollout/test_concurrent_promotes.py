"""Two operators promote the same module at the same moment, as two real processes: one wins, the other exits 1.

Each racer is the real console command (``racing_cli.py``) held at a barrier right after it read the module's
record, so both have read the same version before either writes: a true race on the versioned write, every
round, with no timing luck involved. On SQLite the two processes contend for the same file; on DynamoDB (a
moto server, ``support.fleet.MotoDynamo(serial=True)``: DynamoDB applies a conditional write to one item
atomically, moto's threaded server does not, so it is served one request at a time) the conditional
``UpdateItem`` decides. Several rounds, each from the version the last one left.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.confidence import reachable_env, run_cli
from support.fleet import MotoDynamo, fleet_env

RACER = Path(__file__).with_name("racing_cli.py")
ROUNDS = 3
TARGETS = ("shadow", "canary:5")


def race(env: dict, cwd: Path, barrier: Path, targets: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    barrier.mkdir()
    env = {**env, "RACE_BARRIER_DIR": str(barrier), "RACE_PARTIES": str(len(targets))}
    procs = [subprocess.Popen([sys.executable, str(RACER), "--json", "promote", "job_parser", "--to", target],
                              env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for target in targets]
    done = []
    for proc, target in zip(procs, targets):
        out, err = proc.communicate(timeout=240)
        done.append(subprocess.CompletedProcess([target], proc.returncode, out, err))
    return done


def sqlite_fleet(tmp_path: Path):
    from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore

    yield reachable_env(tmp_path / "state"), SqliteStateStore(tmp_path / "state")


def dynamodb_fleet(tmp_path: Path):
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    import boto3

    from adeptai_sagemaker.rollout.state.dynamodb import DynamoStateStore

    server = MotoDynamo(serial=True).start()
    env = fleet_env(tmp_path, server.url, "http://127.0.0.1:9", "operator")
    created = run_cli(["state", "init"], env, tmp_path)
    assert created.returncode == 0, created.stderr
    store = DynamoStateStore(env["ADEPTAI_SAGEMAKER_STATE_URL"].partition("://")[2], client_factory=lambda: boto3.client(
        "dynamodb", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing"))
    yield env, store
    server.stop()


@pytest.fixture(params=["sqlite", "dynamodb"])
def fleet(request, tmp_path):
    make = {"sqlite": sqlite_fleet, "dynamodb": dynamodb_fleet}[request.param]
    parts = make(tmp_path)
    env, store = next(parts)
    yield env, store
    store.close()
    next(parts, None)


def test_of_two_concurrent_promotes_one_wins_and_the_other_exits_1(fleet, tmp_path):
    env, store = fleet
    for round_ in range(ROUNDS):
        before = store.modes().get("job_parser")
        version = before.version if before is not None else 0
        history = len(store.mode_history("job_parser"))
        targets = TARGETS if round_ % 2 == 0 else TARGETS[::-1]
        barrier = tmp_path / f"barrier-{round_}"
        outcomes = race(env, tmp_path, barrier, targets)

        read = [json.loads(p.read_text()).get("job_parser", 0) for p in sorted(barrier.glob("*.json"))]
        assert read == [version, version], read  # both read the same version before either wrote: a real race
        assert sorted(p.returncode for p in outcomes) == [0, 1], [(p.returncode, p.stderr[-500:]) for p in outcomes]
        winner = next(p for p in outcomes if p.returncode == 0)
        loser = next(p for p in outcomes if p.returncode == 1)
        applied = json.loads(winner.stdout)
        assert (applied["verdict"], applied["to_mode"], applied["applied"]) == ("manual", winner.args[0], True)
        assert "job_parser: not applied: job_parser changed since it was read" in loser.stderr, loser.stderr
        assert "look at `state show` and run again" in loser.stderr and not loser.stdout

        after = store.modes()["job_parser"]
        assert (after.mode, after.version) == (winner.args[0], version + 1)  # exactly one write from that version
        added = store.mode_history("job_parser")[history:]
        assert [(h["to_mode"], h["verdict"]) for h in added] == [(winner.args[0], "manual")]
