"""Start the local endpoint: in a background thread for tests and notebooks, or blocking for the CLI."""

from __future__ import annotations

import http.client
import threading
import time
from typing import Any, Optional, Union

from adeptai_sagemaker_lab.server.app import ServerState, create_app
from adeptai_sagemaker_lab.server.model_backends import ModelBackend, default_backend
from adeptai_sagemaker_lab.server.config import EndpointConfig, ServerConfig, load_config
from adeptai_sagemaker_lab.server.faults import FaultSpec
from adeptai_sagemaker_lab.server.transport import tcp_listen_socket, uvicorn_config


class BackgroundServer:
    """Any ASGI app under uvicorn in a daemon thread on a loopback port (port 0: a free one)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.app, self.host, self.port, self._log_level = app, host, port, log_level
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "BackgroundServer":
        import uvicorn

        if self._thread is not None:
            return self
        sock = tcp_listen_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn_config(self.app, self.host, self.port, self._log_level))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"adeptai-server-{self.port}", daemon=True)
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("server exited during start-up")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
                conn.request("GET", "/ping")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"server did not answer /ping within {timeout}s")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class LocalEndpoint:
    """A local SageMaker runtime on a free loopback port, answering real boto3 clients.

    >>> with LocalEndpoint({"my-ep": "lmi"}, default_dialect=None) as ep:
    ...     rt = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1")
    ...     ep.set_faults("my-ep", kind="throttle", count=2)
    """

    def __init__(self, endpoints: Optional[dict[str, Union[str, dict, EndpointConfig]]] = None,
                 default_dialect: Optional[str] = "tgi", host: str = "127.0.0.1", port: int = 0,
                 backend: Optional[ModelBackend] = None, *, config: Optional[ServerConfig] = None,
                 chunking: Union[str, int] = "mixed", container_handler: Any = None,
                 log_level: str = "warning") -> None:
        self.config = config or ServerConfig.build(endpoints, default_dialect, chunking=chunking)
        self.state = ServerState(self.config, backend or default_backend())
        self.app = create_app(self.config, state=self.state, container_handler=container_handler)
        self._server = BackgroundServer(self.app, host, port, log_level)

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return self._server.url

    def start(self, timeout: float = 10.0) -> "LocalEndpoint":
        self._server.start(timeout)
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> "LocalEndpoint":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults and stats
    def set_faults(self, endpoint: str, faults: Optional[list[Union[dict, FaultSpec]]] = None, **spec: Any) -> None:
        """Replace ``endpoint``'s fault rules: one rule from keyword fields, or ``faults=[...]``.
        Endpoint ``"*"`` applies to all endpoints."""
        items = list(faults or []) + ([spec] if spec else [])
        self.state.faults.set(endpoint, [f if isinstance(f, FaultSpec) else FaultSpec.from_dict(f) for f in items])

    def add_fault(self, endpoint: str, **spec: Any) -> None:
        self.state.faults.add(endpoint, FaultSpec.from_dict(spec))

    def clear_faults(self, endpoint: Optional[str] = None) -> None:
        self.state.faults.clear(endpoint)

    def faults(self) -> dict[str, list[dict[str, Any]]]:
        return self.state.faults.snapshot()

    def stats(self) -> dict[str, Any]:
        return self.state.stats.snapshot()

    def reset(self) -> None:
        """Clear run-time faults and stats; re-install faults from the config."""
        self.state.faults.clear()
        self.state.stats.reset()
        self.state.install_configured_faults()

    # ------------------------------------------------------------------ convenience
    def client(self, *, read_timeout: float = 10, connect_timeout: float = 2, max_attempts: int = 1,
               region_name: str = "us-east-1", **config: Any):
        """A sagemaker-runtime client for this endpoint with dummy credentials and explicit timeouts."""
        import boto3
        from botocore.config import Config

        cfg = Config(read_timeout=read_timeout, connect_timeout=connect_timeout,
                     retries={"mode": "standard", "total_max_attempts": max_attempts}, **config)
        return boto3.client("sagemaker-runtime", endpoint_url=self.url, region_name=region_name, config=cfg,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            aws_session_token="testing")


def serve_config(endpoints: Optional[dict[str, Any]] = None, default_dialect: Optional[str] = "tgi",
                 config_file: Optional[str] = None) -> ServerConfig:
    """The config ``serve`` runs: a config file's endpoints merged with ``endpoints`` (the latter win);
    ``default_dialect`` overrides the file's unless it is None."""
    if not config_file:
        return ServerConfig.build(endpoints, default_dialect)
    config = load_config(config_file)
    for name, value in (endpoints or {}).items():
        config.endpoints[name] = value if isinstance(value, EndpointConfig) else EndpointConfig.from_dict(name, value)
    if default_dialect is not None:
        config.default_dialect = default_dialect
    return config


def serve(host: str = "127.0.0.1", port: int = 8080, endpoints: Optional[dict[str, Any]] = None,
          default_dialect: Optional[str] = "tgi", config_file: Optional[str] = None,
          backend: Optional[ModelBackend] = None, log_level: str = "info", container_handler: Any = None, *,
          config: Optional[ServerConfig] = None, sock: Any = None) -> None:
    """Blocking server for ``adeptai-sagemaker serve`` (Ctrl-C stops it). See :func:`serve_config`.

    ``config`` (already built and checked) replaces ``endpoints``/``default_dialect``/``config_file``;
    ``sock``, a socket bound by ``tcp_listen_socket``, is served instead of binding ``host:port`` here, so a
    caller can report a busy port before it prints anything."""
    import uvicorn

    config = config if config is not None else serve_config(endpoints, default_dialect, config_file)
    app = create_app(config, backend or default_backend(), container_handler=container_handler)
    uvicorn.Server(uvicorn_config(app, host, port, log_level)).run(sockets=[sock] if sock is not None else None)
