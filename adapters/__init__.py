"""Drop-in replacements for the five AdeptAI monolith modules (shipped as ``adeptai_sagemaker.adapters``).

- ``query_enhancer``: ``LLMQueryEnhancer``, ``get_llm_query_enhancer``
- ``behavioral``: ``EnhancedBehavioralPipeline``, ``get_pipeline``, ``create_enhanced_pipeline``, ...
- ``market_intelligence``: ``HybridLLMService``, ``FastLLMService``
- ``matcher``: ``LLMService``, ``JobRequirementsExtractor``, ``attach_to_matcher``
- ``explainable_ai``: ``ExplainableRecruitmentAI``
- ``install``: ``install()``, ``uninstall()``, ``install_from_env()`` (``ADEPTAI_SAGEMAKER_INSTALL=true``)

Names load lazily, so importing the package stays cheap (no pluggy/pydantic until used).
``adeptai_sagemaker.adapters.install`` may be the ``install`` function or the
``install`` submodule depending on import order; the submodule is callable
(it forwards to ``install()``), so ``adapters.install(...)`` works either way.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "install": "install", "uninstall": "install", "install_from_env": "install", "Installation": "install",
    "LLMQueryEnhancer": "query_enhancer", "get_llm_query_enhancer": "query_enhancer",
    "EnhancedBehavioralPipeline": "behavioral", "BehavioralPipeline": "behavioral", "get_pipeline": "behavioral",
    "create_enhanced_pipeline": "behavioral", "create_multi_source_profile": "behavioral",
    "HybridLLMService": "market_intelligence", "FastLLMService": "market_intelligence",
    "LLMService": "matcher", "JobRequirementsExtractor": "matcher", "attach_to_matcher": "matcher",
    "RequirementsMixin": "matcher", "ExplainableRecruitmentAI": "explainable_ai",
}
__all__ = list(sorted(_EXPORTS))


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
