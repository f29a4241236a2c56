"""Model backends: what answers behind the local endpoint and the serving container.

A backend turns prompt text into completion text; dialects handle the wire
format around it. The default is the built-in reference model (deterministic,
schema-valid for every task); llama.cpp is optional for a real small LLM.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable


class BackendInputError(ValueError):
    """The prompt cannot be answered; the container reports it as a 400 (surfaced as a 424 ModelError)."""


#: Said in every 400 the reference model answers, so someone sending a plain prompt learns the contract
#: (kept short: the endpoint caps the container's message at 500 characters).
REFERENCE_CONTRACT = ("this endpoint's model is the reference model, a rule-based stand-in that answers only "
                      "prompts rendered by adeptai_sagemaker's templates (a '### TASK: <capability>' line and "
                      "<<<DATA name>>> blocks): send requests through `adeptai-sagemaker run` or the framework, "
                      "or put a real model behind the endpoint for free-form prompts (README: The local endpoint)")


@runtime_checkable
class ModelBackend(Protocol):
    """One method and a version string; ``params`` are the dialect-normalised sampling parameters
    (``max_new_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed``, ``json_schema``)."""

    version: str

    def generate(self, prompt_text: str, params: dict[str, Any]) -> str: ...


class ReferenceBackend:
    """Adapter for ``adeptai_sagemaker.lab.reference_model`` (imported on first use, so the
    server starts even while that package is absent or being edited)."""

    def __init__(self) -> None:
        self._model: Any = None
        self._input_error: type[BaseException] = BackendInputError
        self._version: str | None = None

    def _load(self) -> Any:
        if self._model is None:
            from adeptai_sagemaker.lab import reference_model as rm

            self._model = rm.ReferenceModel()
            self._input_error = getattr(rm, "ReferenceModelInputError", BackendInputError)
            self._version = str(getattr(self._model, "version", None) or getattr(rm, "__version__", None)
                                or "reference-1")
        return self._model

    @property
    def version(self) -> str:
        self._load()
        return f"reference-model/{self._version}"

    def generate(self, prompt_text: str, params: dict[str, Any]) -> str:
        model = self._load()
        try:
            return model.generate(prompt_text)
        except self._input_error as exc:  # type: ignore[misc]
            raise BackendInputError(f"{exc}; {REFERENCE_CONTRACT}") from exc


class EchoBackend:
    """A stub for tests and demos: answers a small JSON object describing the prompt
    (its length and hash only; never the prompt text)."""

    version = "echo-1"

    def generate(self, prompt_text: str, params: dict[str, Any]) -> str:
        import hashlib

        if not prompt_text.strip():
            raise BackendInputError("empty prompt")
        digest = hashlib.sha256(prompt_text.encode("utf-8")).hexdigest()[:12]
        return json.dumps({"ok": True, "prompt_chars": len(prompt_text), "prompt_sha": digest})


class LlamaCppBackend:
    """A real small LLM through ``llama-cpp-python`` and a local GGUF file.

    When ``params["json_schema"]`` is set, decoding is constrained by a grammar
    compiled from that JSON schema, like TGI's ``parameters.grammar``.
    """

    blocking = True  # generation is slow: run it off the event loop

    def __init__(self, model_path: str, n_ctx: int = 4096, **kwargs: Any) -> None:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError("LlamaCppBackend needs llama-cpp-python (pip install llama-cpp-python)") from exc
        import os

        from llama_cpp import Llama

        self._llama = Llama(model_path=model_path, n_ctx=n_ctx, verbose=False, **kwargs)
        self.version = f"llama.cpp/{os.path.basename(model_path)}"

    def generate(self, prompt_text: str, params: dict[str, Any]) -> str:
        from llama_cpp import LlamaGrammar

        grammar = None
        if params.get("json_schema"):
            grammar = LlamaGrammar.from_json_schema(json.dumps(params["json_schema"]))
        out = self._llama(
            prompt_text,
            max_tokens=int(params.get("max_new_tokens") or 512),
            temperature=float(params.get("temperature") or 0.0),
            top_p=float(params.get("top_p") or 1.0),
            stop=list(params.get("stop") or []) or None,
            seed=params.get("seed") if params.get("seed") is not None else -1,
            grammar=grammar,
        )
        return out["choices"][0]["text"]


def default_backend() -> ModelBackend:
    return ReferenceBackend()
