"""Stateful sessions and prefix-aware routing ids on the local endpoint's InvokeEndpoint route.

- ``X-Amzn-SageMaker-Session-Id: NEW_SESSION`` with the LMI body
  ``{"requestType": "NEW_SESSION"}`` opens a session: the answer carries
  ``X-Amzn-SageMaker-New-Session-Id: <id>; Expires=<UTC>`` (what SageMaker maps
  the container's session header to). ``{"requestType": "CLOSE"}`` with a
  session id closes it (``X-Amzn-SageMaker-Closed-Session-Id``). An inference
  request naming an unknown session is refused with a ValidationError.
- Every InvokeEndpoint request's session id and ``X-Amzn-SageMaker-Prefix-Aware-Id``
  are appended to ``app.state.affinity_requests`` so tests can assert what boto3
  really sent.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from typing import Any, Optional

from starlette.responses import JSONResponse, Response

from adeptai_sagemaker_lab.server import error_responses as E

SESSION_TTL_S = 20 * 60


def install(app: Any, maxlen: int = 256) -> None:
    app.state.affinity_requests = deque(maxlen=maxlen)
    app.state.sessions = {}


def observe(request: Any, name: str, body: bytes) -> Optional[Response]:
    """Record the routing headers; answer session open/close requests (None: an ordinary inference)."""
    app_state = request.app.state
    session = request.headers.get("x-amzn-sagemaker-session-id")
    app_state.affinity_requests.append({"endpoint": name, "session_id": session,
                                        "prefix_aware_id": request.headers.get("x-amzn-sagemaker-prefix-aware-id")})
    if session is None:
        return None
    try:
        kind = json.loads(body.decode("utf-8")).get("requestType")
    except (ValueError, UnicodeDecodeError, AttributeError):
        kind = None
    sessions: dict[str, float] = app_state.sessions
    if session == "NEW_SESSION":
        if kind != "NEW_SESSION":
            raise E.RuntimeAPIError("ValidationError", "A NEW_SESSION request must open a session.")
        sid = uuid.uuid4().hex
        expires = time.time() + SESSION_TTL_S
        sessions[sid] = expires
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        return JSONResponse({"result": f"Session {sid} created"},
                            headers={"X-Amzn-SageMaker-New-Session-Id": f"{sid}; Expires={stamp}"})
    if sessions.get(session, 0) < time.time():
        raise E.RuntimeAPIError("ValidationError", f"Session {session} is not valid.")
    if kind == "CLOSE":
        sessions.pop(session, None)
        return JSONResponse({"result": f"Session {session} closed"},
                            headers={"X-Amzn-SageMaker-Closed-Session-Id": session})
    return None
