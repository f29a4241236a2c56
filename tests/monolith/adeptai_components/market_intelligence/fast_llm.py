"""Stand-in for C/market_intelligence/fast_llm.py: canned fallback (no keys), the batch cache-hit bug omitted."""
import asyncio
import json
from dataclasses import dataclass
from typing import List, Optional


@dataclass
class FastLLMRequest:
    prompt: str
    system_prompt: str
    model: str
    max_tokens: int = 1000
    temperature: float = 0.7
    cache_key: Optional[str] = None


@dataclass
class FastLLMResponse:
    content: str
    model: str
    tokens_used: int
    cost: float
    processing_time: float
    cached: bool = False


class FastLLMService:
    def __init__(self):
        self.session = None
        self.openai_api_key = None
        self.anthropic_api_key = None
        self.calls = 0

    async def generate_fast(self, request: FastLLMRequest) -> FastLLMResponse:
        self.calls += 1
        await asyncio.sleep(0)
        if "behavior" in request.prompt.lower():
            content = json.dumps({"behavior_analysis": {"confidence": 0.75}, "model": "fallback"})
        else:
            content = f"Fast fallback response: {request.prompt[:40]}"
        return FastLLMResponse(content=content, model=f"{request.model}-fallback", tokens_used=len(content) // 4,
                               cost=0.0, processing_time=0.01)

    async def batch_generate(self, requests: List[FastLLMRequest]) -> List[FastLLMResponse]:
        return list(await asyncio.gather(*(self.generate_fast(r) for r in requests)))

    async def close(self):
        pass

    def get_performance_stats(self):
        return {"session_active": False}


fast_llm_service = FastLLMService()
