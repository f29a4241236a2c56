"""Drop-in replacements for the five AdeptAI monolith modules (shipped as ``adeptai_sagemaker.adapters``).

- ``query_enhancer``: ``LLMQueryEnhancer``, ``get_llm_query_enhancer``
- ``behavioral``: ``EnhancedBehavioralPipeline``, ``get_pipeline``, ``create_enhanced_pipeline``, ...
- ``market_intelligence``: ``HybridLLMService``, ``FastLLMService``
- ``matcher``: ``LLMService``, ``JobRequirementsExtractor``, ``attach_to_matcher``
- ``explainable_ai``: ``ExplainableRecruitmentAI``
- ``installation``: ``install()``, ``uninstall()``, ``install_from_env()`` (``ADEPTAI_SAGEMAKER_INSTALL=true``),
  ``current()``; each adapter module ends with its ``WIRING`` (what ``install()`` replaces in the monolith)

Names load lazily, so importing the package stays cheap (no pluggy/pydantic until used).
No submodule is named after a function exported here, so ``adapters.install`` is always the function.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "install": "installation", "uninstall": "installation", "install_from_env": "installation",
    "current": "installation", "Installation": "installation",
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
