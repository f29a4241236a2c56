"""sagemaker-runtime error responses, shaped so botocore parses them into its modeled exceptions.

The runtime API is rest-json: botocore reads the error code from the
``x-amzn-ErrorType`` header (``Code:namespace``) and the fields from the JSON
body. Modeled fields (``OriginalStatusCode`` etc. for ``ModelError``) are copied
to the top of ``e.response`` by botocore, which is how clients branch on them.
Messages follow the wording AWS uses, so log-reading and retry logic written
against the local endpoint carries over.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
_NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.sagemaker/"

#: Statuses from botocore's sagemaker-runtime model (ThrottlingException is not modeled;
#: AWS JSON services send it with 400, some front ends with 429).
STATUS = {
    "ValidationError": 400,
    "ModelError": 424,
    "ServiceUnavailable": 503,
    "InternalFailure": 500,
    "ModelNotReadyException": 429,
    "InternalDependencyException": 530,
    "ThrottlingException": 400,
    "MissingAuthenticationToken": 403,
    "IncompleteSignature": 403,
}


class RuntimeAPIError(Exception):
    """Raised inside the app; rendered by :func:`error_response`."""

    def __init__(self, code: str, message: str, status: int | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)
        self.fields = fields


def log_stream_arn(endpoint: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/{endpoint}"


def model_error(endpoint: str, original_status: int, original_message: str, variant: str = "AllTraffic") -> RuntimeAPIError:
    """A 424 ``ModelError`` as SageMaker wraps a container's non-2xx answer."""
    kind = "client" if 400 <= original_status < 500 else "server"
    message = (
        f'Received {kind} error ({original_status}) from primary with message "{original_message}". '
        f"See https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#logEventViewer:"
        f"group=/aws/sagemaker/Endpoints/{endpoint} in account {ACCOUNT_ID} for more information."
    )
    return RuntimeAPIError(
        "ModelError", message, 424,
        ErrorCode="CLIENT_ERROR_FROM_MODEL" if kind == "client" else "SERVER_ERROR_FROM_MODEL",
        OriginalStatusCode=original_status, OriginalMessage=original_message,
        LogStreamArn=log_stream_arn(endpoint),
    )


def container_timeout(endpoint: str) -> RuntimeAPIError:
    """What SageMaker sends when the container misses the 60 s deadline."""
    msg = ("Your invocation timed out while waiting for a response from container primary. Review the latency "
           "metrics for each container in Amazon CloudWatch, resolve the issue, and try again.")
    return model_error(endpoint, 0, msg)


def endpoint_not_found(endpoint: str) -> RuntimeAPIError:
    return RuntimeAPIError("ValidationError", f"Endpoint {endpoint} of account {ACCOUNT_ID} not found.")


def error_response(err: RuntimeAPIError) -> Response:
    body: dict[str, Any] = {"message": err.message} if err.code != "ModelError" else {"Message": err.message}
    body.update(err.fields)
    headers = {
        "x-amzn-ErrorType": f"{err.code}:{_NAMESPACE}",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Response(json.dumps(body).encode(), status_code=err.status, headers=headers,
                    media_type="application/json")
