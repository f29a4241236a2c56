"""Stand-in for C/market_intelligence/hybrid_llm_service.py (docs/monolith-interfaces.md §3): no keys, canned fallback."""
import asyncio
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List


class ModelTier(Enum):
    TIER_1_GPT4O_MINI = "gpt-4o-mini"
    TIER_2_CLAUDE_SONNET_4 = "claude-sonnet-4-20250514"


class TaskComplexity(Enum):
    SIMPLE = "simple"
    MODERATE = "moderate"
    COMPLEX = "complex"
    CRITICAL = "critical"


@dataclass
class LLMRequest:
    prompt: str
    system_prompt: str
    max_tokens: int
    temperature: float
    complexity: TaskComplexity
    use_cache: bool = True
    metadata: Dict[str, Any] = None


@dataclass
class LLMResponse:
    content: str
    model_used: str
    tokens_used: int
    cost: float
    processing_time: float
    cached: bool = False
    confidence_score: float = 0.0


class HybridLLMService:
    def __init__(self):
        self.openai_api_key = None
        self.anthropic_api_key = None
        self.models = {}
        self.prompt_cache = {}
        self.usage_stats = {"total_requests": 0}
        self.openai_url = "https://api.openai.com/v1/chat/completions"
        self.anthropic_url = "https://api.anthropic.com/v1/messages"
        self.loops_seen: List[Any] = []  # which event loop each call ran in (tests)
        self.cleared = 0

    async def generate_response(self, request: LLMRequest) -> LLMResponse:
        self.loops_seen.append(asyncio.get_running_loop())
        self.usage_stats["total_requests"] += 1
        await asyncio.sleep(0)
        tier2 = request.complexity in (TaskComplexity.COMPLEX, TaskComplexity.CRITICAL)
        model = ("claude-sonnet-4-20250514" if tier2 else "gpt-4o-mini") + "-fallback"
        lower = request.prompt.lower()
        if "behavior" in lower:
            content = json.dumps({"behavior_analysis": {"job_switch_probability": 0.65, "confidence": 0.75}})
        elif "market" in lower:
            content = json.dumps({"market_analysis": {"trend_direction": "positive", "confidence": 0.7}})
        else:
            content = f"GPT-4o-mini response for: {request.prompt[:50]}"
        return LLMResponse(content=content, model_used=model, tokens_used=len(content) // 4, cost=0.0,
                           processing_time=0.01, cached=False, confidence_score=0.9)

    async def batch_process(self, requests: List[LLMRequest]) -> List[LLMResponse]:
        return list(await asyncio.gather(*(self.generate_response(r) for r in requests)))

    def get_usage_stats(self) -> Dict[str, Any]:
        return {"total_requests": self.usage_stats["total_requests"], "total_tokens": 0, "total_cost": 0.0,
                "tier1_requests": 0, "tier2_requests": 0, "cache_hit_rate": 0.0, "avg_cost_per_request": 0.0,
                "cost_breakdown": {"tier1_percentage": 0.0, "tier2_percentage": 0.0}}

    def clear_cache(self):
        self.cleared += 1

    def optimize_cache(self):
        pass


class MarketIntelligenceLLM:
    def __init__(self):
        self.llm_service = HybridLLMService()

    async def analyze_behavior_patterns(self, candidate_data: Dict) -> Dict:
        simple = LLMRequest(prompt=f"Basic behavior analysis for: {json.dumps(candidate_data)}",
                            system_prompt="You are an HR analyst. Return JSON.", max_tokens=500, temperature=0.3,
                            complexity=TaskComplexity.MODERATE)
        complex_ = LLMRequest(prompt=f"Comprehensive behavior prediction for: {json.dumps(candidate_data)}",
                              system_prompt="You are a senior analyst. Return JSON.", max_tokens=1000,
                              temperature=0.2, complexity=TaskComplexity.COMPLEX)
        s = await self.llm_service.generate_response(simple)
        c = await self.llm_service.generate_response(complex_)
        return {"simple_analysis": json.loads(s.content), "complex_analysis": json.loads(c.content),
                "cost_breakdown": {"simple_cost": s.cost, "complex_cost": c.cost, "total_cost": s.cost + c.cost}}

    async def generate_market_insights(self, market_data: Dict) -> Dict:
        volume = LLMRequest(prompt=f"Summarize market volume trends: {json.dumps(market_data)}",
                            system_prompt="Return JSON.", max_tokens=800, temperature=0.3,
                            complexity=TaskComplexity.MODERATE)
        critical = LLMRequest(prompt=f"Critical market analysis: {json.dumps(market_data)}",
                              system_prompt="Return JSON.", max_tokens=1500, temperature=0.2,
                              complexity=TaskComplexity.CRITICAL)
        v = await self.llm_service.generate_response(volume)
        c = await self.llm_service.generate_response(critical)
        return {"volume_analysis": json.loads(v.content), "critical_analysis": json.loads(c.content),
                "cost_breakdown": {"volume_cost": v.cost, "critical_cost": c.cost, "total_cost": v.cost + c.cost}}

    async def screen_candidates(self, candidates: List[Dict]) -> List[Dict]:
        requests = [LLMRequest(prompt=f"Screen this candidate: {json.dumps(c)}", system_prompt="Return JSON.",
                               max_tokens=300, temperature=0.1, complexity=TaskComplexity.SIMPLE)
                    for c in candidates]
        responses = await self.llm_service.batch_process(requests)
        out = []
        for candidate, response in zip(candidates, responses):
            out.append({**candidate, "screening_result": json.loads(response.content),
                        "screening_cost": response.cost})
        return out

    def get_cost_optimization_report(self) -> Dict:
        return {"usage_stats": self.llm_service.get_usage_stats(), "cost_optimization": {}, "recommendations": []}


hybrid_llm_service = HybridLLMService()
market_intelligence_llm = MarketIntelligenceLLM()
