"""uvicorn tuned for sub-millisecond loopback round trips.

uvicorn writes the response head and body with separate ``transport.write``
calls. asyncio only sets ``TCP_NODELAY`` on sockets whose ``proto`` is
``IPPROTO_TCP``; a listening socket made with ``socket.socket(AF_INET,
SOCK_STREAM)`` has proto 0, so its connections keep Nagle on, and the body
waits for the client's delayed ACK: ~40 ms per call (measured: 44 ms median).
We set ``TCP_NODELAY`` ourselves on every connection, whatever made the socket.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover - exotic transports
            pass


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` forced on each accepted connection."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def tcp_listen_socket(host: str, port: int) -> socket.socket:
    """A bound listening-ready socket whose accepted connections asyncio also treats as TCP."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def uvicorn_config(app: Any, host: str, port: int, log_level: str = "warning", **overrides: Any):
    import uvicorn

    options: dict[str, Any] = dict(host=host, port=port, log_level=log_level, access_log=False, lifespan="off",
                                   loop="asyncio", http=NoDelayH11Protocol, timeout_graceful_shutdown=1,
                                   timeout_keep_alive=75)  # > the 60 s idle timeout SageMaker's front end uses
    options.update(overrides)
    return uvicorn.Config(app, **options)
