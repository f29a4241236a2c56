"""The dummy AWS environment and free loopback ports, for fixtures and for subprocess environments.

Dummy credentials sign requests for the local endpoint and moto; real AWS rejects them, so a test that
reached AWS by mistake fails instead of spending money.
"""

from __future__ import annotations

import socket

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
