"""AWS event-stream framing, written out by hand.

``InvokeEndpointWithResponseStream`` answers with ``application/vnd.amazon.eventstream``:
a sequence of binary messages that botocore decodes into ``PayloadPart`` events
(and modeled stream exceptions). We encode the frames ourselves so the local
endpoint speaks the real wire format, not an approximation botocore happens to
tolerate. Frame layout (big-endian)::

    total_length:u32 | headers_length:u32 | prelude_crc:u32 (CRC32 of the first 8 bytes)
    headers (headers_length bytes) | payload | message_crc:u32 (CRC32 of everything before it)

Each header: name_len:u8 | name | type:u8 (7 = string) | value_len:u16 | value.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Mapping

_STRING = 7
PRELUDE_LENGTH = 12
CRC_LENGTH = 4


def encode_headers(headers: Mapping[str, str]) -> bytes:
    """Encode string-valued headers (the only type SageMaker stream frames use)."""
    out = bytearray()
    for name, value in headers.items():
        name_b = name.encode("utf-8")
        value_b = value.encode("utf-8")
        if len(name_b) > 255 or len(value_b) > 0xFFFF:
            raise ValueError("event-stream header too long")
        out += struct.pack("!B", len(name_b)) + name_b
        out += struct.pack("!BH", _STRING, len(value_b)) + value_b
    return bytes(out)


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One complete event-stream message with both CRCs."""
    header_bytes = encode_headers(headers)
    total = PRELUDE_LENGTH + len(header_bytes) + len(payload) + CRC_LENGTH
    prelude = struct.pack("!II", total, len(header_bytes))
    prelude += struct.pack("!I", zlib.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + header_bytes + payload
    return body + struct.pack("!I", zlib.crc32(body) & 0xFFFFFFFF)


def payload_part(data: bytes) -> bytes:
    """A ``PayloadPart`` event: botocore yields ``{"PayloadPart": {"Bytes": data}}``."""
    return encode_message(
        {":event-type": "PayloadPart", ":content-type": "application/octet-stream", ":message-type": "event"},
        data,
    )


def _exception(exception_type: str, fields: Mapping[str, str]) -> bytes:
    return encode_message(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
        json.dumps(dict(fields)).encode("utf-8"),
    )


def model_stream_error(message: str, error_code: str) -> bytes:
    """A modeled ``ModelStreamError`` (ErrorCode ``ModelInvocationTimeExceeded`` or ``StreamBroken``)."""
    return _exception("ModelStreamError", {"Message": message, "ErrorCode": error_code})


def internal_stream_failure(message: str = "Internal stream failure. Try your request again.") -> bytes:
    """A modeled ``InternalStreamFailure``."""
    return _exception("InternalStreamFailure", {"Message": message})
