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

from adeptai_sagemaker_lab.server.model_backends import BackendInputError, LlamaCppBackend, ModelBackend, ReferenceBackend
from adeptai_sagemaker_lab.server.container import HandlerError, request_headers
from adeptai_sagemaker_lab.server.dialects import Dialect, DialectInputError, DialectRequest, get_dialect
from adeptai_sagemaker_lab.server.generation import Generation, finish

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


ALLOW_REFERENCE_ENV = "ADEPTAI_ALLOW_REFERENCE_MODEL"
_TRUE = {"1", "true", "yes", "on"}


class ModelChoiceError(RuntimeError):
    """The container was asked to serve without a real model and without explicit leave to use the stand-in."""


def _serving_config(model_dir: str) -> dict[str, Any]:
    path = Path(model_dir) / CONFIG_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def check_model_choice(model_dir: str) -> str:
    """``"llama_cpp"`` or ``"reference"``; refuses a silent fall back to the rule-based stand-in.

    A serving image that quietly answered with the reference model would look
    healthy in SageMaker while giving rule-based answers to production calls,
    so the stand-in must be asked for: ``"backend": "reference"`` in
    ``adeptai-serving.json`` or ``ADEPTAI_ALLOW_REFERENCE_MODEL=true``.
    """
    cfg = _serving_config(model_dir)
    if cfg.get("backend") == "llama_cpp" or cfg.get("gguf") or os.environ.get("ADEPTAI_GGUF"):
        return "llama_cpp"
    if cfg.get("backend") == "reference" or os.environ.get(ALLOW_REFERENCE_ENV, "").strip().lower() in _TRUE:
        return "reference"
    raise ModelChoiceError(
        f"no model configured in {model_dir}: set ADEPTAI_GGUF (or 'gguf' in {CONFIG_FILE}) for a real model, or "
        f"{ALLOW_REFERENCE_ENV}=true (or \"backend\": \"reference\") to serve the rule-based reference model")


def model_fn(model_dir: str) -> ServedModel:
    choice = check_model_choice(model_dir)
    cfg = _serving_config(model_dir)
    dialect = get_dialect(cfg.get("dialect") or os.environ.get("ADEPTAI_DIALECT", "tgi"))
    gguf = cfg.get("gguf") or os.environ.get("ADEPTAI_GGUF")
    if choice == "llama_cpp":
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
