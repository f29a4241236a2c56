"""The SageMaker container contract (/ping, /invocations, handler functions) and the BYOC entry script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="server tests need the 'serve' extra")
pytest.importorskip("uvicorn", reason="server tests need the 'serve' extra")

from adeptai_sagemaker_lab.server import LocalEndpoint, handler  # noqa: E402
from adeptai_sagemaker_lab.server.container import HandlerError, create_container_app  # noqa: E402
from adeptai_sagemaker_lab.server.runner import BackgroundServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def post(url, body: bytes, content_type="application/json", accept=None, headers=None):
    h = {"Content-Type": content_type, **(headers or {})}
    if accept:
        h["Accept"] = accept
    req = urllib.request.Request(url, data=body, method="POST", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def make_handler(loaded: list):
    mod = types.ModuleType("toy_handler")

    def model_fn(model_dir):
        loaded.append(model_dir)
        return {"factor": 3}

    def input_fn(body, content_type):
        if content_type != "application/json":
            raise HandlerError(415, "json only")
        return json.loads(body)

    def predict_fn(data, model):
        return {"value": data["x"] * model["factor"]}

    def output_fn(prediction, accept):
        return json.dumps(prediction).encode(), "application/json"

    mod.model_fn, mod.input_fn, mod.predict_fn, mod.output_fn = model_fn, input_fn, predict_fn, output_fn
    return mod


def test_toolkit_handler_functions_over_http(tmp_path):
    loaded: list = []
    app = create_container_app(make_handler(loaded), model_dir=str(tmp_path))
    with BackgroundServer(app) as srv:
        assert get(srv.url + "/ping") == 200
        assert loaded == [str(tmp_path)]  # model_fn ran once, at the first ping
        status, ctype, body = post(srv.url + "/invocations", b'{"x": 14}')
        assert (status, ctype, json.loads(body)) == (200, "application/json", {"value": 42})
        status, _, body = post(srv.url + "/invocations", b"x", content_type="text/csv")
        assert status == 415 and json.loads(body)["message"] == "json only"
        status, _, _ = post(srv.url + "/invocations", b'{"y": 1}')  # KeyError in predict_fn
        assert status == 500
        assert loaded == [str(tmp_path)]


def test_failing_model_fn_makes_ping_unhealthy():
    mod = types.ModuleType("broken")
    mod.model_fn = lambda d: (_ for _ in ()).throw(RuntimeError("no weights"))
    mod.predict_fn = lambda data, model: data
    srv = BackgroundServer(create_container_app(mod, "/nonexistent"))
    with pytest.raises(TimeoutError):
        srv.start(timeout=0.5)  # /ping never turns healthy


class StubBackend:
    version = "stub-c"

    def generate(self, prompt_text, params):
        return "container says hi"


def test_default_handler_functions(tmp_path, monkeypatch):
    (tmp_path / handler.CONFIG_FILE).write_text(json.dumps({"dialect": "lmi", "backend": "reference"}))
    served = handler.model_fn(str(tmp_path))
    assert served.dialect.name == "lmi"
    served = handler.ServedModel(served.dialect, StubBackend())
    data = handler.input_fn(b'{"inputs": "q", "parameters": {"details": true}}', "application/json")
    body, ctype = handler.output_fn(handler.predict_fn(data, served), "application/json")
    assert ctype == "application/json" and json.loads(body)["generated_text"] == "container says hi"
    chunks, ctype = handler.output_fn(handler.predict_fn(b'{"inputs": "q", "stream": true}', served), None)
    assert ctype == "application/jsonlines"
    assert json.loads(b"".join(chunks).splitlines()[-1])["generated_text"] == "container says hi"
    with pytest.raises(HandlerError) as ei:
        handler.input_fn(b"a,b", "text/csv")
    assert ei.value.status == 415
    with pytest.raises(HandlerError) as ei:
        handler.output_fn(handler.predict_fn(data, served), "text/csv")
    assert ei.value.status == 406
    with pytest.raises(HandlerError) as ei:
        handler.predict_fn(b'{"inputs": 3}', served)
    assert ei.value.status == 400
    monkeypatch.setenv("ADEPTAI_DIALECT", "messages")
    with pytest.raises(handler.ModelChoiceError, match="ADEPTAI_ALLOW_REFERENCE_MODEL"):
        handler.model_fn(str(tmp_path / "empty"))  # no model and no leave to use the stand-in
    monkeypatch.setenv(handler.ALLOW_REFERENCE_ENV, "true")
    assert handler.model_fn(str(tmp_path / "empty")).dialect.name == "messages"


def test_runtime_app_also_serves_container_routes(monkeypatch):
    monkeypatch.setattr(handler, "ReferenceBackend", StubBackend)
    monkeypatch.setenv(handler.ALLOW_REFERENCE_ENV, "true")
    with LocalEndpoint({"x": "tgi"}, default_dialect=None, backend=StubBackend(),
                       container_handler="adeptai_sagemaker_lab.server.handler") as ep:
        status, ctype, body = post(ep.url + "/invocations", b'{"inputs": "q"}')
        assert status == 200 and json.loads(body) == [{"generated_text": "container says hi"}]
        status, ctype, body = post(ep.url + "/invocations", b'{"inputs": "q", "stream": true}')
        assert ctype.startswith("text/event-stream")
        assert b'"generated_text":"container says hi"' in body
        status, _, body = post(ep.url + "/invocations", b'{"inputs": "q"}', accept="text/csv")
        assert status == 406


def test_serve_entry_script_refuses_the_reference_model_unless_asked(tmp_path, free_port):
    env = {k: v for k, v in os.environ.items() if k not in (handler.ALLOW_REFERENCE_ENV, "ADEPTAI_GGUF")}
    env.update({"SAGEMAKER_BIND_TO_PORT": str(free_port()), "ADEPTAI_BIND_HOST": "127.0.0.1", "SM_MODEL_DIR": str(tmp_path)})
    proc = subprocess.run([sys.executable, str(ROOT / "serving" / "serve")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "refusing to start" in proc.stderr and handler.ALLOW_REFERENCE_ENV in proc.stderr


def test_serve_entry_script_answers_ping(tmp_path, free_port):
    """serving/serve (the BYOC entry point) starts, loads the model dir and answers /ping."""
    port = free_port()
    env = {**os.environ, "SAGEMAKER_BIND_TO_PORT": str(port), "ADEPTAI_BIND_HOST": "127.0.0.1",
           "SM_MODEL_DIR": str(tmp_path), "ADEPTAI_DIALECT": "custom", handler.ALLOW_REFERENCE_ENV: "true"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "serving" / "serve")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = get(f"http://127.0.0.1:{port}/ping")
            except OSError:
                time.sleep(0.1)
        assert status == 200
        status, _, _ = post(f"http://127.0.0.1:{port}/invocations", b"{}", content_type="text/csv")
        assert status == 415
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dockerfile_runs_serve_entry_point():
    text = (ROOT / "serving" / "Dockerfile").read_text()
    assert "COPY serving/serve /opt/program/serve" in text
    assert 'CMD ["serve"]' in text and "EXPOSE 8080" in text
    assert os.access(ROOT / "serving" / "serve", os.X_OK)
