"""The hand-written event-stream encoder, checked by botocore's own decoder."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")

from botocore.eventstream import ChecksumMismatch, EventStreamBuffer  # noqa: E402

from adeptai_sagemaker_lab.server.chunking import split_parts  # noqa: E402
from adeptai_sagemaker_lab.server.eventstream import (  # noqa: E402
    encode_message, internal_stream_failure, model_stream_error, payload_part)


def _decode(data: bytes):
    buf = EventStreamBuffer()
    buf.add_data(data)
    return list(buf)


def test_payload_part_round_trips_through_botocore():
    payload = 'data:{"token":{"text":"héllo"}}\n\n'.encode()
    (msg,) = _decode(payload_part(payload))
    assert msg.payload == payload
    assert msg.headers == {":event-type": "PayloadPart", ":content-type": "application/octet-stream",
                           ":message-type": "event"}
    assert msg.to_response_dict()["status_code"] == 200


def test_many_frames_split_anywhere_decode_in_order():
    frames = b"".join(payload_part(f"part {i}".encode() * i) for i in range(1, 30))
    buf = EventStreamBuffer()
    got = []
    for i in range(0, len(frames), 13):  # feed in awkward 13-byte slices
        buf.add_data(frames[i:i + 13])
        got += [m.payload for m in buf]
    assert got == [f"part {i}".encode() * i for i in range(1, 30)]


def test_empty_payload_and_prelude_layout():
    frame = encode_message({"a": "b"}, b"")
    total, headers_len, prelude_crc = struct.unpack("!III", frame[:12])
    assert total == len(frame)
    assert headers_len == len(b"\x01a\x07\x00\x01b")
    assert prelude_crc == zlib.crc32(frame[:8])
    assert struct.unpack("!I", frame[-4:])[0] == zlib.crc32(frame[:-4])
    assert _decode(frame)[0].payload == b""


def test_corrupted_frame_fails_botocore_crc_check():
    frame = bytearray(payload_part(b"hello"))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))


@pytest.mark.parametrize("code", ["ModelInvocationTimeExceeded", "StreamBroken"])
def test_model_stream_error_frame(code):
    (msg,) = _decode(model_stream_error("boom", code))
    assert msg.headers[":message-type"] == "exception"
    assert msg.headers[":exception-type"] == "ModelStreamError"
    assert json.loads(msg.payload) == {"Message": "boom", "ErrorCode": code}
    assert msg.to_response_dict()["status_code"] == 400


def test_internal_stream_failure_frame():
    (msg,) = _decode(internal_stream_failure("try again"))
    assert msg.headers[":exception-type"] == "InternalStreamFailure"
    assert json.loads(msg.payload) == {"Message": "try again"}


def test_mixed_chunking_splits_mid_json_and_merges_but_keeps_bytes():
    events = [f'data:{{"token":{{"text":"t{i}"}}}}\n\n'.encode() for i in range(12)]
    parts = split_parts(events, "mixed")
    assert b"".join(parts) == b"".join(events)
    assert any(not p.endswith(b"\n\n") for p in parts), "expected at least one mid-event split"
    assert any(p.count(b"data:") >= 2 for p in parts), "expected at least one merged part"
    assert split_parts(events, "event") == events
    fixed = split_parts(events, 10)
    assert all(len(p) == 10 for p in fixed[:-1]) and b"".join(fixed) == b"".join(events)
    with pytest.raises(ValueError):
        split_parts(events, "weird")
