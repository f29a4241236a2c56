"""Stand-in for C/llm_query_enhancer.py (docs/monolith-interfaces.md §1): no LLM configured, rule-based answers, the cache bug."""
from typing import Any, Dict, List, Optional

CONSTRUCTED: List[Dict[str, Any]] = []  # every constructor call (tests check the adapters build it lazily)


class LLMQueryEnhancer:
    def __init__(self, provider: str = "huggingface", model: str = "meta-llama/Meta-Llama-3.1-8B-Instruct",
                 use_cache: bool = True, cache_size: int = 1000, device: Optional[str] = None):
        CONSTRUCTED.append({"provider": provider, "model": model, "device": device})
        self.provider = provider.lower()
        self.model = model
        self.use_cache = use_cache
        self.cache = {} if use_cache else None
        self.cache_size = cache_size
        self.device = device or "cpu"
        self.hf_tokenizer = None
        self.hf_model = None
        self.hf_pipeline = None  # no transformers here
        self.client = None       # no API keys here
        self.synonyms = {
            "developer": ["programmer", "coder", "engineer", "software engineer"],
            "engineer": ["developer", "programmer", "architect", "software engineer"],
            "python": ["py", "python3", "django", "flask", "fastapi"],
            "javascript": ["js", "node", "nodejs", "react", "vue"],
            "aws": ["amazon web services", "amazon", "cloud computing"],
            "docker": ["containerization", "containers"],
            "kubernetes": ["k8s", "container orchestration"],
            "nurse": ["rn", "registered nurse", "nursing"],
            "doctor": ["physician", "md", "medical doctor"],
        }

    def _fallback(self, query: str) -> Dict[str, Any]:
        lower = query.lower()
        words = lower.split()
        synonyms: List[str] = []
        for word in words:
            synonyms.extend(self.synonyms.get(word, []))
        related: List[str] = []
        if "python" in lower:
            related += ["django", "flask", "fastapi", "numpy", "pandas"]
        if "javascript" in lower:
            related += ["react", "vue", "node", "typescript"]
        if "aws" in lower:
            related += ["ec2", "s3", "lambda", "cloudformation"]
        variations: List[str] = []
        if "developer" in lower:
            variations += [lower.replace("developer", "engineer"), lower.replace("developer", "programmer")]
        return {"original_query": query, "synonyms": list(set(synonyms)), "related_skills": list(set(related)),
                "job_variations": list(set(variations)), "industry_terms": [], "intent": "unknown",
                "expanded_terms": list(set(words + synonyms + related)), "variations": variations,
                "must_terms": [], "should_terms": [], "must_not_terms": []}

    def enhance_query(self, query: str, use_llm: bool = True) -> Dict[str, Any]:
        if not query:
            return self._fallback("")
        if self.use_cache and self.cache:  # the monolith's bug: an empty dict is falsy, nothing is ever stored
            pass
        return self._fallback(query)

    def batch_enhance(self, queries: List[str], use_llm: bool = True) -> List[Dict[str, Any]]:
        return [self.enhance_query(q, use_llm=use_llm) for q in queries]


_llm_query_enhancer = None


def get_llm_query_enhancer(provider: str = "huggingface", model: str = "meta-llama/Meta-Llama-3.1-8B-Instruct",
                           use_cache: bool = True, device: Optional[str] = None) -> LLMQueryEnhancer:
    global _llm_query_enhancer
    if _llm_query_enhancer is None:
        _llm_query_enhancer = LLMQueryEnhancer(provider=provider, model=model, use_cache=use_cache, device=device)
    return _llm_query_enhancer
