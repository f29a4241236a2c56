"""A fleet on one machine: a moto DynamoDB server, host processes driven over stdin, operators' environments.

Used by ``tests/rollout/test_fleet_dynamodb.py``, ``tests/rollout/test_concurrent_promotes.py`` and
``benchmarks/bench_fleet.py`` (one copy of the host process and its environment for the claims and the timings).

Where moto stops: the server is a real HTTP endpoint that boto3 reaches through ``AWS_ENDPOINT_URL_DYNAMODB``
(botocore's own setting) and it emulates conditional writes (``ConditionExpression``), ``UpdateItem ... ADD``,
``Query`` and on-demand tables, which is everything the store relies on. It does not expire items by their TTL
attribute, nor model throttling, eventual-consistency lag or per-request billing. Its threaded server also does
not make a conditional write atomic against a concurrent request (DynamoDB does, per item): ``MotoDynamo(serial=
True)`` serves one request at a time, for tests whose claim rests on that atomicity.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from support.env import free_port

HOST_SCRIPT = Path(__file__).resolve().parents[1] / "rollout" / "fleet_host.py"


class _OneAtATime:
    """WSGI middleware: one request inside moto at a time (moto checks a condition and writes without a lock)."""

    def __init__(self, app: Callable[..., Any]):
        self.app, self.lock = app, threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        with self.lock:
            return self.app(environ, start_response)


def _quiet_handler() -> Any:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Quiet(MotoRequestHandler):
        """No access-log line per request (thousands per test: they would bury a failure's output)."""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return Quiet


class MotoDynamo:
    """moto's server app on a free loopback port, in a thread; ``stop()`` takes the store away (an outage)."""

    def __init__(self, *, serial: bool = False):
        self.serial = serial
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> "MotoDynamo":
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        app: Any = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", self.port, _OneAtATime(app) if self.serial else app, threaded=True,
                                   request_handler=_quiet_handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def fleet_env(tmp_path: Path, url: str, endpoint_url: str, name: str, **extra: str) -> dict:
    """A host's (or operator's) env: the shared table (one per test directory: moto's backends outlive a server),
    its own local dirs and cache; ``extra`` overrides (e.g. the refresh interval)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "ADEPTAI_SAGEMAKER_", "AWS_"))}
    env.update({"ADEPTAI_SAGEMAKER_STATE_URL": f"dynamodb://fleet-{tmp_path.name}", "AWS_ENDPOINT_URL_DYNAMODB": url,
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "SAGEMAKER_ENDPOINT_URL": endpoint_url, "SAGEMAKER_JOB_PARSER_ENDPOINT": "ref-tgi",
                "SAGEMAKER_JOB_PARSER_MAX_ATTEMPTS": "1", "SAGEMAKER_JOB_PARSER_CONNECT_TIMEOUT": "1",
                "ADEPTAI_SAGEMAKER_MODE_REFRESH_S": "0.2", "ADEPTAI_SAGEMAKER_EVIDENCE_FLUSH_S": "0.5",
                "ADEPTAI_SAGEMAKER_SHADOW_QUEUE": "1000", "ADEPTAI_SAGEMAKER_HOST_ID": name,
                "ADEPTAI_SAGEMAKER_STATE_DIR": str(tmp_path / name / "state"),
                "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / name / "cache"), "ADEPTAI_SAGEMAKER_PLUGINS": "",
                **extra})
    return env


class Host:
    """One host process (``tests/rollout/fleet_host.py``): a framework built from ``env``, asked over stdin."""

    def __init__(self, env: dict, cwd: Path):
        self.proc = subprocess.Popen([sys.executable, str(HOST_SCRIPT)], env=env, cwd=str(cwd), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"host process ended: {self.proc.stderr.read()[-3000:]}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_until_all_see(hosts: list[Host], mode: str, deadline_s: float = 30.0) -> float:
    """Seconds until every host's framework reports ``mode``, polled; raises with each host's mode after
    ``deadline_s`` (a hung fleet fails instead of hanging; not a speed claim)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        if all(h.ask("mode")["mode"] == mode for h in hosts):
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError({i: h.ask("mode") for i, h in enumerate(hosts)})
