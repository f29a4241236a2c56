"""The default container handler: a dialect in front of the reference model (or llama.cpp).

Configuration comes from ``<model_dir>/adeptai-serving.json`` when present
(``{"dialect": "tgi", "backend": "reference" | "llama_cpp", "gguf": "model.gguf"}``),
else from the environment (``ADEPTAI_DIALECT``, ``ADEPTAI_GGUF``), else TGI +
reference model. Streaming follows the dialect's own rule (``"stream": true``
in the body for TGI/LMI/Messages).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model_backends import BackendInputError, LlamaCppBackend, ModelBackend, ReferenceBackend
from .container import HandlerError, request_headers
from .dialects import Dialect, DialectInputError, DialectRequest, get_dialect
from .generation import Generation, finish

CONFIG_FILE = "adeptai-serving.json"
_ACCEPTABLE = {"*/*", "application/json", "text/event-stream", "application/jsonlines"}


@dataclass
class ServedModel:
    dialect: Dialect
    backend: ModelBackend


@dataclass
class Prediction:
    dialect: Dialect
    request: DialectRequest
    generation: Generation


def model_fn(model_dir: str) -> ServedModel:
    cfg: dict[str, Any] = {}
    path = Path(model_dir) / CONFIG_FILE
    if path.is_file():
        cfg = json.loads(path.read_text(encoding="utf-8"))
    dialect = get_dialect(cfg.get("dialect") or os.environ.get("ADEPTAI_DIALECT", "tgi"))
    gguf = cfg.get("gguf") or os.environ.get("ADEPTAI_GGUF")
    if cfg.get("backend") == "llama_cpp" or gguf:
        if not gguf:
            raise ValueError("backend llama_cpp needs a 'gguf' file name")
        gguf_path = gguf if os.path.isabs(gguf) else str(Path(model_dir) / gguf)
        return ServedModel(dialect, LlamaCppBackend(gguf_path))
    return ServedModel(dialect, ReferenceBackend())


def input_fn(body: bytes, content_type: str | None) -> bytes:
    ct = (content_type or "application/json").split(";")[0].strip().lower()
    if ct not in {"application/json", "application/jsonlines"}:
        raise HandlerError(415, f"Content type {ct} is not supported; send application/json.")
    return body  # the dialect parses (and validates) the JSON itself


def predict_fn(data: bytes, model: ServedModel) -> Prediction:
    custom = request_headers.get().get("x-amzn-sagemaker-custom-attributes")
    try:
        req = model.dialect.parse(data, custom)
        raw = model.backend.generate(req.prompt, dict(req.params))
    except DialectInputError as exc:
        raise HandlerError(exc.status, exc.message) from None
    except BackendInputError as exc:
        raise HandlerError(400, str(exc)[:500]) from None
    return Prediction(model.dialect, req, finish(raw, req.prompt, req.params, model.backend.version))


def output_fn(prediction: Prediction, accept: str | None):
    wanted = (accept or "*/*").split(";")[0].strip().lower()
    if wanted not in _ACCEPTABLE:
        raise HandlerError(406, f"Accept {wanted} is not supported; use application/json.")
    dialect, req, gen = prediction.dialect, prediction.request, prediction.generation
    if dialect.body_stream_flag and req.stream:
        return iter(dialect.stream_events(req, gen)), dialect.stream_content_type
    return dialect.render_bytes(req, gen), dialect.content_type
