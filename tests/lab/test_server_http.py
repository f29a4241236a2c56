"""HTTP-level behaviour: SigV4 shape check, validation errors, echoed headers, admin routes, transport."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from adeptai_sagemaker_lab.server import EchoBackend, LocalEndpoint, load_config  # noqa: E402
from adeptai_sagemaker_lab.server.transport import (  # noqa: E402
    NoDelayH11Protocol, set_nodelay, tcp_listen_socket, uvicorn_config)


LOCAL_ENDPOINT = {  # the ``endpoint`` fixture (tests/conftest.py)
    "endpoints": {
        "plain": "tgi",
        "ab": {"dialect": "tgi", "variant": "VariantA", "variants": ["VariantA", "VariantB"]},
        "ic": {"dialect": "lmi", "inference_components": ["ic-small"]},
    },
    "default_dialect": None, "backend": EchoBackend,
}


@pytest.fixture(autouse=True)
def _clean(endpoint):
    endpoint.reset()
    yield


def http(endpoint, method, path, body=None, headers=None):
    req = urllib.request.Request(endpoint.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_unsigned_request_is_missing_authentication_token(endpoint):
    status, headers, body = http(endpoint, "POST", "/endpoints/plain/invocations", b'{"inputs":"x"}',
                                 {"Content-Type": "application/json"})
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("MissingAuthenticationToken:")
    assert json.loads(body)["message"] == "Missing Authentication Token"


@pytest.mark.parametrize("auth", ["Bearer abc", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sagemaker/aws4_request",
                                  "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sagemaker/aws4_request, "
                                  "SignedHeaders=host, Signature=nothex"])
def test_malformed_authorization_is_incomplete_signature(endpoint, auth):
    status, headers, body = http(endpoint, "POST", "/endpoints/plain/invocations", b'{"inputs":"x"}',
                                 {"Content-Type": "application/json", "Authorization": auth, "X-Amz-Date": "20240101T000000Z"})
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("IncompleteSignature:")
    assert "abc" not in body.decode()  # the credential is not echoed back
    assert endpoint.stats()["endpoints"]["plain"]["outcomes"] == {"auth_error": 1}


def test_sigv4_shaped_request_with_wrong_secret_is_accepted(endpoint):
    rt = endpoint.client()  # dummy credentials: a real but unverifiable signature
    resp = rt.invoke_endpoint(EndpointName="plain", Body=b'{"inputs":"x"}', ContentType="application/json")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unknown_endpoint_is_validation_error(endpoint):
    rt = endpoint.client()
    with pytest.raises(rt.exceptions.ValidationError) as ei:
        rt.invoke_endpoint(EndpointName="nope", Body=b"{}", ContentType="application/json")
    assert ei.value.response["Error"]["Message"] == "Endpoint nope of account 123456789012 not found."
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_endpoint_served_with_default_dialect():
    with LocalEndpoint(None, default_dialect="custom", backend=EchoBackend()) as ep2:
        resp = ep2.client().invoke_endpoint(EndpointName="anything", Body=b'{"prompt":"x"}', ContentType="application/json")
        assert "response" in json.loads(resp["Body"].read())


def test_target_variant_is_honoured_and_echoed(endpoint):
    rt = endpoint.client()
    resp = rt.invoke_endpoint(EndpointName="ab", Body=b'{"inputs":"x"}', ContentType="application/json")
    assert resp["InvokedProductionVariant"] == "VariantA"
    resp = rt.invoke_endpoint(EndpointName="ab", Body=b'{"inputs":"x"}', ContentType="application/json",
                              TargetVariant="VariantB", InferenceId="inf-1", Accept="application/json")
    assert resp["InvokedProductionVariant"] == "VariantB"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-sagemaker-inference-id"] == "inf-1"
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint(EndpointName="ab", Body=b'{"inputs":"x"}', ContentType="application/json",
                           TargetVariant="VariantZ")


def test_inference_component_required_and_checked(endpoint):
    rt = endpoint.client()
    with pytest.raises(rt.exceptions.ValidationError) as ei:
        rt.invoke_endpoint(EndpointName="ic", Body=b'{"inputs":"x"}', ContentType="application/json")
    assert "Inference Component Name header is required" in ei.value.response["Error"]["Message"]
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint(EndpointName="ic", Body=b'{"inputs":"x"}', ContentType="application/json",
                           InferenceComponentName="ic-large")
    resp = rt.invoke_endpoint(EndpointName="ic", Body=b'{"inputs":"x"}', ContentType="application/json",
                              InferenceComponentName="ic-small")
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-sagemaker-inference-component"] == "ic-small"
    with pytest.raises(rt.exceptions.ValidationError):  # not allowed on endpoints without components
        rt.invoke_endpoint(EndpointName="plain", Body=b'{"inputs":"x"}', ContentType="application/json",
                           InferenceComponentName="ic-small")


def test_custom_attributes_limit(endpoint):
    rt = endpoint.client()
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint(EndpointName="plain", Body=b'{"inputs":"x"}', ContentType="application/json",
                           CustomAttributes="a" * 1025)


def test_admin_routes(endpoint):
    status, _, body = http(endpoint, "PUT", "/_admin/faults/plain", json.dumps({"kind": "service_unavailable", "count": 1}).encode())
    assert status == 200 and json.loads(body)["faults"][0]["kind"] == "service_unavailable"
    status, _, body = http(endpoint, "GET", "/_admin/faults")
    assert json.loads(body)["plain"][0]["remaining"] == 1
    rt = endpoint.client()
    with pytest.raises(rt.exceptions.ServiceUnavailable):
        rt.invoke_endpoint(EndpointName="plain", Body=b'{"inputs":"x"}', ContentType="application/json")
    rt.invoke_endpoint(EndpointName="plain", Body=b'{"inputs":"x"}', ContentType="application/json")
    status, _, body = http(endpoint, "GET", "/_admin/stats")
    stats = json.loads(body)
    assert stats["endpoints"]["plain"] == {"requests": 2, "outcomes": {"service_unavailable": 1, "ok": 1},
                                           "faults": {"service_unavailable": 1}}
    assert stats["total"] == 2
    status, _, _ = http(endpoint, "PUT", "/_admin/faults/plain", json.dumps({"faults": [{"kind": "throttle"}, {"kind": "latency", "latency_ms": 1}]}).encode())
    assert status == 200 and len(endpoint.faults()["plain"]) == 2
    assert http(endpoint, "DELETE", "/_admin/faults/plain")[0] == 204 and endpoint.faults() == {}
    assert http(endpoint, "PUT", "/_admin/faults/plain", b'{"kind": "nonsense"}')[0] == 400
    assert http(endpoint, "POST", "/_admin/reset")[0] == 204
    assert json.loads(http(endpoint, "GET", "/_admin/stats")[2]) == {"endpoints": {}, "total": 0}


def test_config_files_json_and_toml(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"default_dialect": None, "endpoints": {
        "a": {"dialect": "lmi", "faults": [{"kind": "throttle", "count": 1}]}}}))
    cfg = load_config(tmp_path / "c.json")
    assert cfg.resolve("a").dialect == "lmi" and cfg.resolve("a").faults[0].kind == "throttle"
    assert cfg.resolve("b") is None
    (tmp_path / "c.toml").write_text('default_dialect = "tgi"\nchunking = 32\n[endpoints.x]\ndialect = "messages"\n'
                                     'variant = "Blue"\nfaults = [{ kind = "latency", latency_ms = 5 }]\n')
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.chunking == 32 and cfg.resolve("x").variant == "Blue" and cfg.resolve("y").dialect == "tgi"
    from adeptai_sagemaker_lab.server.runner import serve_config

    merged = serve_config({"y": "lmi"}, None, str(tmp_path / "c.toml"))
    assert merged.resolve("y").dialect == "lmi" and merged.resolve("x").dialect == "messages"
    assert merged.default_dialect == "tgi"  # None keeps the file's default
    assert serve_config(None, "custom", str(tmp_path / "c.toml")).resolve("zzz").dialect == "custom"
    (tmp_path / "bad.json").write_text(json.dumps({"endpoints": {"a": {"dialect": "gpt"}}}))
    with pytest.raises(ValueError):
        load_config(tmp_path / "bad.json")


def test_connections_get_tcp_nodelay():
    """Without TCP_NODELAY the response body waits ~40 ms for a delayed ACK (see transport.py)."""
    listener = tcp_listen_socket("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    conn, _ = listener.accept()

    class FakeTransport:
        def get_extra_info(self, name):
            return conn if name == "socket" else None

    try:
        set_nodelay(FakeTransport())
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (client, conn, listener):
            s.close()
    assert uvicorn_config(object(), "127.0.0.1", 0).http is NoDelayH11Protocol
