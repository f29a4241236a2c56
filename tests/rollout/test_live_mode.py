"""Live rollout: a mode set by `promote` reaches a running framework in another process within 5 s; the kill switch wins."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.routing import ModeResolver
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.rollout.state.base import ModeRecord, Snapshot
from adeptai_sagemaker.rollout.state.sqlite import SqliteStateStore as EvidenceStore
from support.confidence import cli_env, close_legacy, promote_json, reachable_env, run_cli, shadow_run

# A worker process: builds the framework from env like the monolith does, then prints every mode change it sees.
WATCHER = """
import sys, time
from adeptai_sagemaker.core.framework import Framework
fw = Framework(load_entrypoints=False, cache=False)
last = None
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    mode = str(fw.mode("job_parser"))
    if mode != last:
        print(f"{time.time():.3f} {mode}", flush=True)
        last = mode
        if mode == sys.argv[2]:
            break
    time.sleep(0.05)
fw.close()
"""


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _watch(env, cwd, seconds: float, stop_at: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WATCHER, str(seconds), stop_at], env=env, cwd=str(cwd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _next_line(proc: subprocess.Popen) -> tuple[float, str]:
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    stamp, mode = line.split()
    return float(stamp), mode


def test_promote_reaches_a_running_process_and_to_off_takes_it_back(local_endpoint, tmp_path, aws_env):
    state = tmp_path / "state"
    shadow_run(local_endpoint.url, state, 200, close_legacy)
    env = cli_env(state, SAGEMAKER_JOB_PARSER_MODE="shadow", SAGEMAKER_JOB_PARSER_ENDPOINT="ref-tgi",
                  SAGEMAKER_ENDPOINT_URL=local_endpoint.url)

    worker = _watch(env, tmp_path, 60, "off")
    try:
        assert _next_line(worker)[1] == "shadow"  # the env default
        applied = promote_json(["job_parser"], env, tmp_path)
        changed_at = time.time()
        assert (applied["verdict"], applied["to_mode"], applied["applied"]) == ("advance", "canary:10", True)
        seen_at, mode = _next_line(worker)
        assert mode == "canary:10" and seen_at - changed_at < 5.0

        off = promote_json(["job_parser", "--to", "off", "--reason", "TICKET-1"], env, tmp_path)
        changed_at = time.time()
        assert (off["verdict"], off["from_mode"], off["to_mode"], off["applied"]) == ("manual", "canary:10", "off", True)
        seen_at, mode = _next_line(worker)
        assert mode == "off" and seen_at - changed_at < 5.0
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_kill_switch_beats_a_stored_mode_in_another_process(tmp_path):
    state = tmp_path / "state"
    env = reachable_env(state)
    assert promote_json(["job_parser", "--to", "on"], env, tmp_path)["applied"] is True
    worker = _watch({**env, "SAGEMAKER_LLM_ENABLED": "false"}, tmp_path, 3, "never")
    out, err = worker.communicate(timeout=60)
    assert [line.split()[1] for line in out.splitlines()] == ["off"], err
    worker = _watch(env, tmp_path, 10, "on")
    out, err = worker.communicate(timeout=60)
    assert [line.split()[1] for line in out.splitlines()] == ["on"], err


def test_resolver_reads_the_store_off_the_request_path_and_never_creates_it(tmp_path):
    store = EvidenceStore(tmp_path)
    settings = load_settings(env_file=None, capabilities={"job_parser": {"mode": "shadow"}})
    resolver = ModeResolver(settings, store, poll=False)  # no refresher thread: refreshed by hand below
    assert str(resolver.mode("job_parser")) == "shadow" and resolver.resolve("job_parser").source == "env"
    assert not store.exists()  # reading never creates the store
    store.set_mode("job_parser", "canary:50", from_mode="shadow", verdict="manual")
    assert str(resolver.mode("job_parser")) == "shadow"  # a call reads the local snapshot, not the store
    resolver.refresh_now()
    assert str(resolver.mode("job_parser")) == "canary:50" and resolver.resolve("job_parser").source == "state"
    store.set_mode("job_parser", None)  # back to the env default
    resolver.refresh_now()
    assert str(resolver.mode("job_parser")) == "shadow"
    store.close()


def test_unreadable_store_keeps_the_last_known_modes_then_env_applies(tmp_path, caplog):
    class Broken:
        calls = 0

        def describe(self):
            return "broken://"

        def after_fork(self):
            pass

        def snapshot(self):
            Broken.calls += 1
            if Broken.calls > 1:
                raise OSError("disk gone")
            return Snapshot({"job_parser": ModeRecord("job_parser", "canary:10", 1, 0.0)})

    settings = load_settings(env_file=None)
    clock = Clock()
    resolver = ModeResolver(settings, Broken(), poll=False, stale_s=300.0, clock=clock)
    assert str(resolver.mode("job_parser")) == "canary:10"
    for _ in range(3):
        clock.t += 100
        assert resolver.refresh_now() is False
    assert str(resolver.mode("job_parser")) == "canary:10"  # 300 s: the last known mode holds
    clock.t += 1
    assert str(resolver.mode("job_parser")) == "off" and resolver.resolve("job_parser").source == "env"
    assert str(resolver.mode("job_parser")) == "off"
    messages = [r.getMessage() for r in caplog.records if r.name == "adeptai_sagemaker.core.routing"]
    assert len(messages) == 2 and "holding the last known modes" in messages[0] and "env settings apply" in messages[1]


def test_framework_mode_applies_the_kill_switch_last(tmp_path):
    store = EvidenceStore(tmp_path)
    store.set_mode("job_parser", "on")
    store.close()
    on = Framework(load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path)), load_entrypoints=False,
                   cache=False)
    killed = Framework(load_settings(env_file=None, adeptai_sagemaker_state_dir=str(tmp_path),
                                     sagemaker_llm_enabled=False), load_entrypoints=False, cache=False)
    try:
        assert str(on.mode("job_parser")) == "on" and str(on.mode("query_enhancer")) == "off"
        assert str(killed.mode("job_parser")) == "off"
        answer = killed.call("job_parser", {"job_description": "x"}, legacy=lambda: {"legacy": True})
        assert answer.value == {"legacy": True}
    finally:
        on.close()
        killed.close()


@pytest.mark.parametrize("bad", ["banana", "canary:300"])
def test_promote_to_rejects_a_bad_mode(tmp_path, bad):
    proc = run_cli(["promote", "job_parser", "--to", bad], cli_env(tmp_path / "state"), tmp_path)
    assert proc.returncode == 2 and "not a rollout mode" in proc.stderr
    assert not (tmp_path / "state" / "evidence.sqlite3").exists()


def test_status_shows_live_modes_and_every_workers_evidence(tmp_path):
    import json

    state = tmp_path / "state"
    # canary:10 sends traffic to SageMaker: status exits 2 unless the module can reach it (region + endpoint)
    env = reachable_env(state)
    store = EvidenceStore(state)
    store.add(host="web-1", calls=[{"ts": time.time() - 10, "capability": "job_parser", "mode": "canary:10", "route": "sagemaker",
                      "backend": "sagemaker", "outcome": o, "latency_ms": 900.0} for o in ("success", "fallback")])
    store.close()
    assert promote_json(["job_parser", "--to", "canary:10"], env, tmp_path)["applied"]
    out = run_cli(["--json", "status"], env, tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    row = next(r for r in data["capabilities"] if r["capability"] == "job_parser")
    assert (row["mode"], row["mode_source"], row["invocations"], row["fallbacks"]) == ("canary:10", "state", 2, 1)
    assert data["metrics_source"] == "evidence store (24 h)"
    killed = json.loads(run_cli(["--json", "status"], {**env, "SAGEMAKER_LLM_ENABLED": "false"}, tmp_path).stdout)
    assert next(r for r in killed["capabilities"] if r["capability"] == "job_parser")["mode"] == "off"


def test_a_damaged_state_store_is_one_error_line(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "evidence.sqlite3").write_bytes(b"this is not a database" * 100)
    proc = run_cli(["promote", "job_parser", "--dry-run"], cli_env(state), tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot use the state store" in proc.stderr and "ADEPTAI_SAGEMAKER_STATE_DIR" in proc.stderr
