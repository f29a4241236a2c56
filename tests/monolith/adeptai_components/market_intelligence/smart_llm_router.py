"""Stand-in for C/market_intelligence/smart_llm_router.py: keyword complexity -> model string -> FastLLMService."""
from dataclasses import dataclass
from enum import Enum
from typing import Dict, List, Optional

from .fast_llm import FastLLMRequest, FastLLMResponse, FastLLMService


class TaskComplexity(Enum):  # its own enum, as in the monolith
    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"
    CRITICAL = "critical"


class CostOptimization(Enum):
    MINIMIZE_COST = "minimize_cost"
    BALANCE = "balance"
    MAXIMIZE_QUALITY = "maximize_quality"


@dataclass
class SmartRoutingConfig:
    cost_optimization: CostOptimization = CostOptimization.BALANCE
    max_cost_per_request: float = 0.01
    quality_threshold: float = 0.8
    use_caching: bool = True
    fallback_enabled: bool = True


class SmartLLMRouter:
    def __init__(self, config: SmartRoutingConfig = None):
        self.config = config or SmartRoutingConfig()
        self.llm_service = FastLLMService()
        self.routed = 0

    def _complexity(self, text: str) -> TaskComplexity:
        lower = text.lower()
        if any(w in lower for w in ("analyze", "comprehensive", "predict")):
            return TaskComplexity.COMPLEX
        return TaskComplexity.SIMPLE

    async def route_request(self, prompt: str, system_prompt: str = "", max_tokens: int = 1000,
                            temperature: float = 0.7, cache_key: Optional[str] = None) -> FastLLMResponse:
        complexity = self._complexity(prompt + " " + system_prompt)
        model = "claude-sonnet-4-20250514" if complexity == TaskComplexity.COMPLEX else "gpt-4o-mini"
        self.routed += 1
        return await self.llm_service.generate_fast(FastLLMRequest(prompt=prompt, system_prompt=system_prompt,
                                                                   model=model, max_tokens=max_tokens,
                                                                   temperature=temperature, cache_key=cache_key))

    async def batch_route_requests(self, requests: List[Dict]) -> List[FastLLMResponse]:
        out = []
        for r in requests:
            out.append(await self.route_request(**r))
        return out

    def get_usage_stats(self) -> Dict:
        return {"routed": self.routed}


smart_router = SmartLLMRouter()
