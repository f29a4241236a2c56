"""A framework wired to a real small LLM behind the local endpoint (SmolLM2 through llama.cpp; extra ``llm``).

One place builds the setup the real-LLM test and the quality measurement share, so both run what the
README describes: the Messages dialect (the model's own chat template applied to the system/user
split), the ``messages`` codec, the JSON-schema grammar on or off, and a token budget that leaves
room for a complete answer but stops a repetition loop.
"""

from __future__ import annotations

import contextlib
import tempfile
from typing import Any, Iterator, Optional

ENDPOINT = "smollm2"
MAX_TOKENS = 256  # a job parse is ~150 tokens, a query expansion ~200


@contextlib.contextmanager
def local_llm_framework(capabilities: tuple[str, ...], *, grammar: bool, backend: Any = None,
                        model: Optional[str] = "smollm2", stream: bool = False, max_tokens: int = MAX_TOKENS,
                        max_reasks: int = 1, plugins: tuple = ()) -> Iterator[Any]:
    """Yield a ``Framework`` whose ``capabilities`` call a local endpoint served by ``backend``
    (default: ``backend_for(model)``); the endpoint is on loopback, so the runtime needs no AWS setup."""
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    from adeptai_sagemaker_lab.server import LocalEndpoint
    from adeptai_sagemaker_lab.server.model_backends import backend_for

    backend = backend if backend is not None else backend_for(model)
    cap = {"endpoint": ENDPOINT, "mode": "on", "codec": "messages", "grammar": grammar, "stream": stream,
           "max_tokens": max_tokens, "max_reasks": max_reasks, "max_attempts": 1, "read_timeout": 600,
           "cache": False}
    with tempfile.TemporaryDirectory() as cache_dir, \
            LocalEndpoint(default_dialect="messages", backend=backend) as ep:
        settings = load_settings(env_file=None, sagemaker_endpoint_url=ep.url,
                                 sagemaker_llm_fallback=False, adeptai_sagemaker_plugins="",
                                 adeptai_sagemaker_cache_dir=cache_dir,
                                 capabilities={c: dict(cap) for c in capabilities})
        fw = Framework(settings, plugins=list(plugins), load_entrypoints=False, cache=False)
        fw.local_endpoint = ep
        try:
            yield fw
        finally:
            fw.close()


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m adeptai_sagemaker_lab.real_llm CAPABILITY [--set dev|test] [--no-grammar] [--limit N]``:
    the golden-set metrics (``lab.evaluation.evaluate``) of SmolLM2 behind the local endpoint, as JSON."""
    import argparse
    import json

    from adeptai_sagemaker_lab import evaluation

    parser = argparse.ArgumentParser(prog="python -m adeptai_sagemaker_lab.real_llm")
    parser.add_argument("capability")
    parser.add_argument("--set", dest="split", default="dev")
    parser.add_argument("--no-grammar", dest="grammar", action="store_false")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default="smollm2", help="'smollm2' or the path of a GGUF file")
    args = parser.parse_args(argv)
    evaluate = getattr(evaluation, "evaluate", None)
    if evaluate is None:
        parser.error("this checkout has no golden-set evaluation (lab.evaluation.evaluate)")
    with local_llm_framework((args.capability,), grammar=args.grammar, model=args.model) as fw:
        result = evaluate(fw, args.capability, backend="sagemaker", split=args.split, limit=args.limit)
    metrics = result.metrics()
    metrics.update(model=args.model, grammar=args.grammar)
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
