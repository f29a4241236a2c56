"""The local SageMaker endpoint in its own process, for measurements.

Why a separate process: a real endpoint runs on other machines. Serving it
from a thread of the benchmark process would make the server's CPU work
compete with the client for the GIL, so the framework's overhead and its
concurrency would be measured against an artificially slow server. Faults
(the injected 5 ms / 50 ms latency) are set through the server's admin API
(``PUT /_admin/faults/{name}``), exactly as an operator would.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from typing import Any, Optional

_CHILD = """
import importlib, sys
from adeptai_sagemaker_lab.server.runner import serve
backend = None
if len(sys.argv) > 2 and sys.argv[2]:
    module, _, attr = sys.argv[2].partition(":")
    backend = getattr(importlib.import_module(module), attr)()
serve(host="127.0.0.1", port=int(sys.argv[1]), default_dialect="tgi", log_level="warning", backend=backend)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EndpointProcess:
    """``with EndpointProcess() as ep: ep.url`` — every endpoint name answers in TGI dialect."""

    def __init__(self, start_timeout: float = 30.0, backend: Optional[str] = None) -> None:
        """``backend``: a ``"module:Class"`` model backend built in the child (default: the reference model)."""
        self.backend = backend
        self.port = _free_port()
        self.host = "127.0.0.1"
        self._timeout = start_timeout
        self._proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"content-type": "application/json"} if data else {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def start(self) -> "EndpointProcess":
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self._proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(self.port), self.backend or ""], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = (self._proc.stderr.read() if self._proc.stderr else b"").decode(errors="replace")[-2000:]
                raise RuntimeError(f"local endpoint process exited during start-up: {err}")
            try:
                if self._request("GET", "/ping")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"local endpoint process did not answer /ping within {self._timeout}s")

    def set_faults(self, endpoint: str, faults: Optional[list[dict]] = None, **spec: Any) -> None:
        items = list(faults or []) + ([spec] if spec else [])
        status, body = self._request("PUT", f"/_admin/faults/{endpoint}", {"faults": items})
        if status != 200:
            raise ValueError(f"fault rejected ({status}): {body[:300]!r}")

    def clear_faults(self, endpoint: Optional[str] = None) -> None:
        self._request("DELETE", f"/_admin/faults/{endpoint}" if endpoint else "/_admin/faults")

    def stats(self) -> dict[str, Any]:
        status, body = self._request("GET", "/_admin/stats")
        return json.loads(body) if status == 200 else {}

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()

    def __enter__(self) -> "EndpointProcess":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
