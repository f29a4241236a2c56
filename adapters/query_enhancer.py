"""Drop-in for ``llm_query_enhancer`` (docs/monolith-interfaces.md §1): ``LLMQueryEnhancer`` and
``get_llm_query_enhancer``.

Same constructor and getter keywords (``device`` optional, so the older MA
call without it works), ``enhance_query`` always returns the 11 keys with
the monolith's types, ``batch_enhance``, and the attributes callers read
(``hf_pipeline``/``client`` are truthy while SageMaker answers).

Answers come from the ``query_enhancer`` capability. The legacy side is the
monolith's own object when one is given (an instance or a factory), else a
rule-based enhancement equivalent to the monolith's (this wrapping of the
legacy object is all the adapter adds: ``Framework.call`` decides routing and
fallback, and an exception the monolith's ``enhance_query`` raises reaches
the caller unchanged). Repeated queries are answered by the framework's
response cache (``SAGEMAKER_QUERY_ENHANCER_CACHE``), which only ever holds
validated SageMaker answers (B6 in docs/prior-art.md: a fallback result is
never stored) and sits on the model side of the routing decision, so the
mode and kill switch apply to cached answers too; ``use_llm=False`` goes
straight to the legacy side. ``cache``/``use_cache``/``cache_size`` stay as
attributes because callers of the monolith's class read them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from adeptai_sagemaker.adapters._common import LegacySide, safe_text, framework_source, guarded_call, str_list
from adeptai_sagemaker.adapters._patching import Found, PatchLog, Wiring, bound_class

log = logging.getLogger("adeptai_sagemaker.adapters")

CAPABILITY = "query_enhancer"
DEFAULT_PROVIDER = "huggingface"
DEFAULT_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct"
QUERY_LIMIT = 2000  # QueryEnhancerInput.query max_length

#: The monolith's rule table (same facts; docs/monolith-interfaces.md §1 "rule fallback").
RULE_SYNONYMS: Dict[str, List[str]] = {
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
RULE_RELATED = (
    ("python", ["django", "flask", "fastapi", "numpy", "pandas"]),
    ("javascript", ["react", "vue", "node", "typescript"]),
    ("aws", ["ec2", "s3", "lambda", "cloudformation"]),
)


def _dedupe(items: List[str]) -> List[str]:
    return list(dict.fromkeys(items))


def rule_based_enhancement(query: str, synonyms: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    """The monolith's rule fallback, deterministic (ordered dedupe instead of ``set``). Never raises."""
    table = synonyms if isinstance(synonyms, dict) else RULE_SYNONYMS
    query = safe_text(query)
    lower = query.lower()
    words = lower.split()
    syn: List[str] = []
    for word in words:
        syn.extend(table.get(word, []))
    related: List[str] = []
    for needle, skills in RULE_RELATED:
        if needle in lower:
            related.extend(skills)
    variations: List[str] = []
    if "developer" in lower:
        variations.append(lower.replace("developer", "engineer"))
        variations.append(lower.replace("developer", "programmer"))
    return {
        "original_query": query,
        "synonyms": _dedupe(syn),
        "related_skills": _dedupe(related),
        "job_variations": _dedupe(variations),
        "industry_terms": [],
        "intent": "unknown",
        "expanded_terms": _dedupe(words + syn + related),
        "variations": list(variations),
        "must_terms": [],
        "should_terms": [],
        "must_not_terms": [],
    }


def to_legacy_dict(output: Any, query: str) -> Dict[str, Any]:
    """Map a validated ``QueryEnhancerOutput`` to the monolith's 11-key dict."""
    synonyms = str_list(output.synonyms)
    related = str_list(output.related_skills)
    variations = str_list(output.job_variations)
    industry = str_list(output.industry_terms)
    expanded = str_list(output.expanded_terms) or _dedupe(synonyms + related + industry)
    return {
        "original_query": query,
        "synonyms": synonyms,
        "related_skills": related,
        "job_variations": variations,
        "industry_terms": industry,
        "intent": str(output.intent),
        "expanded_terms": expanded,
        "variations": list(variations),
        "must_terms": [],
        "should_terms": [],
        "must_not_terms": [],
    }


def output_from_legacy_dict(value: Any) -> Dict[str, Any]:
    """The reverse of ``to_legacy_dict``: the monolith's 11-key dict as ``QueryEnhancerOutput`` fields (teacher capture).

    The intent is kept as the monolith gave it, so the rule fallback's ``"unknown"`` fails the schema and is
    counted, never stored: only a real model's answer teaches. What the dict cannot say (disambiguation,
    entities, language) is empty.
    """
    value = value if isinstance(value, dict) else {}
    return {
        "intent": value.get("intent"), "synonyms": str_list(value.get("synonyms")),
        "related_skills": str_list(value.get("related_skills")), "job_variations": str_list(value.get("job_variations")),
        "industry_terms": str_list(value.get("industry_terms")), "expanded_terms": str_list(value.get("expanded_terms")),
        "disambiguation": {}, "entities": {"skills": [], "location": None, "min_years": None, "title": None},
        "language": None,
    }


class SageMakerHandle:
    """What ``hf_pipeline``/``client`` hold while SageMaker answers: truthy, describes the route."""

    client_backend = "sagemaker"

    def __init__(self, capability: str, endpoint: Optional[str]):
        self.capability = capability
        self.endpoint = endpoint

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"SageMakerHandle(capability={self.capability!r}, endpoint={self.endpoint!r})"


class LLMQueryEnhancer:
    """SageMaker-backed ``LLMQueryEnhancer`` (same public surface as the monolith's)."""

    __adeptai_adapter__ = True

    def __init__(self, provider: str = DEFAULT_PROVIDER, model: str = DEFAULT_MODEL, use_cache: bool = True,
                 cache_size: int = 1000, device: Optional[str] = None, *, framework: Any = None,
                 legacy: Any = None):
        self.provider = safe_text(provider).lower() or DEFAULT_PROVIDER
        self.model = model
        self.use_cache = bool(use_cache)
        self.cache: Optional[Dict[str, Any]] = {} if self.use_cache else None  # read by callers, unused here
        self.cache_size = max(1, int(cache_size)) if isinstance(cache_size, (int, float)) else 1000
        self.device = device
        self.hf_tokenizer = None
        self.hf_model = None
        self.synonyms = {k: list(v) for k, v in RULE_SYNONYMS.items()}
        self.client_backend = "sagemaker"
        self._get_fw = framework_source(framework)
        # legacy: an instance of the monolith's class, or a zero-arg factory building one lazily
        self._legacy = LegacySide(legacy, "enhance_query", "LLMQueryEnhancer")

    # ------------------------------------------------------------------ legacy & status

    def _active(self) -> bool:
        """SageMaker answers at least some calls: mode ``on`` or a canary above 0%."""
        try:
            mode = self._get_fw().mode(CAPABILITY)
        except Exception:
            return False
        return mode.kind == "on" or (mode.kind == "canary" and mode.percent > 0)

    def _handle(self) -> SageMakerHandle:
        try:
            endpoint = self._get_fw().settings.endpoint(CAPABILITY)
        except Exception:
            endpoint = None
        return SageMakerHandle(CAPABILITY, endpoint)

    @property
    def client(self) -> Any:
        if self._active():
            return self._handle()
        return getattr(self._legacy.get(), "client", None)

    @property
    def hf_pipeline(self) -> Any:
        if self._active():
            return self._handle()
        return getattr(self._legacy.get(), "hf_pipeline", None)

    # ------------------------------------------------------------------ the legacy side

    def _fallback(self, query: str, use_llm: bool, raw: Any) -> Dict[str, Any]:
        """The monolith's answer: its own object when there is one, else its rules; its exceptions propagate."""
        legacy = self._legacy.get()
        if legacy is not None:
            return legacy.enhance_query(raw, use_llm=use_llm)
        return rule_based_enhancement(query, self.synonyms)

    # ------------------------------------------------------------------ public API

    def enhance_query(self, query: str, use_llm: bool = True) -> Dict[str, Any]:
        """The 11-key enhancement of ``query``; with fallback on, only the monolith's own code can raise."""
        raw = query
        text = safe_text(query)
        if not text.strip():  # the monolith: empty -> empty lists; blank -> no words, no terms
            return rule_based_enhancement(text)
        legacy_input = raw if isinstance(raw, str) else text
        if not use_llm:
            return self._fallback(text, False, legacy_input)
        return guarded_call(
            self._get_fw, CAPABILITY,
            lambda: {"query": safe_text(text, QUERY_LIMIT)},
            legacy=lambda: self._fallback(text, True, legacy_input),
            to_legacy=lambda out: to_legacy_dict(out, text),
            key=text.strip().lower()[:QUERY_LIMIT], from_legacy=output_from_legacy_dict,
        )

    def batch_enhance(self, queries: List[str], use_llm: bool = True) -> List[Dict[str, Any]]:
        """One enhancement per query, in order. No sleeps: SageMaker has no per-key rate limit to respect
        (the legacy object's own batching still sleeps when it answers)."""
        if not isinstance(queries, (list, tuple)):
            queries = list(queries or [])
        return [self.enhance_query(q, use_llm=use_llm) for q in queries]


def legacy_factory_for(original_cls: Any, provider: str, model: str, use_cache: bool, device: Optional[str],
                       cache_size: Optional[int] = None) -> Optional[Callable[[], Any]]:
    """A zero-arg builder of the monolith's own enhancer, passing only the keywords its class takes
    (the MA copy has no ``device``)."""
    if original_cls is None:
        return None
    import inspect  # here, not at import: only install() wiring a monolith module needs it

    try:
        params = inspect.signature(original_cls).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs: Dict[str, Any] = {"provider": provider, "model": model, "use_cache": use_cache}
    if "device" in params:
        kwargs["device"] = device
    if cache_size is not None and "cache_size" in params:
        kwargs["cache_size"] = cache_size
    return lambda: original_cls(**kwargs)


_llm_query_enhancer: Optional[LLMQueryEnhancer] = None
_singleton_lock = threading.Lock()


def get_llm_query_enhancer(provider: str = DEFAULT_PROVIDER, model: str = DEFAULT_MODEL, use_cache: bool = True,
                           device: Optional[str] = None, *, framework: Any = None) -> LLMQueryEnhancer:
    """Process-wide singleton; arguments after the first call are ignored (as in the monolith)."""
    global _llm_query_enhancer
    if _llm_query_enhancer is None:
        with _singleton_lock:
            if _llm_query_enhancer is None:
                _llm_query_enhancer = LLMQueryEnhancer(provider=provider, model=model, use_cache=use_cache,
                                                       device=device, framework=framework)
    return _llm_query_enhancer


def make_getter(module: Any, original_cls: Any, framework: Any) -> Callable[..., Any]:
    """A ``get_llm_query_enhancer`` for ``module`` that keeps the singleton in ``module._llm_query_enhancer``
    and wraps an already-built legacy singleton instead of discarding it."""
    lock = threading.Lock()

    def get_llm_query_enhancer(provider: str = DEFAULT_PROVIDER, model: str = DEFAULT_MODEL,
                               use_cache: bool = True, device: Optional[str] = None) -> Any:
        current = getattr(module, "_llm_query_enhancer", None)
        if isinstance(current, LLMQueryEnhancer):
            return current
        with lock:
            current = getattr(module, "_llm_query_enhancer", None)
            if isinstance(current, LLMQueryEnhancer):
                return current
            legacy = current if current is not None else legacy_factory_for(original_cls, provider, model,
                                                                             use_cache, device)
            adapter = LLMQueryEnhancer(provider=provider, model=model, use_cache=use_cache, device=device,
                                       framework=framework, legacy=legacy)
            module._llm_query_enhancer = adapter
            return adapter

    get_llm_query_enhancer.__adeptai_adapter__ = True  # type: ignore[attr-defined]
    return get_llm_query_enhancer


# --------------------------------------------------------------------------- wiring into the monolith


def wire(patches: PatchLog, found: Found, framework: Any) -> None:
    """In each ``llm_query_enhancer`` module: ``LLMQueryEnhancer`` becomes the adapter bound to ``framework``
    (its legacy side the monolith's class, built with the caller's arguments), ``get_llm_query_enhancer``
    the module's own getter (``make_getter``), and an already-built ``_llm_query_enhancer`` singleton is
    wrapped, kept as the legacy side."""
    for m in found["query_enhancer"]:
        orig_cls = m.__dict__.get("LLMQueryEnhancer")
        orig_get = m.__dict__.get("get_llm_query_enhancer")
        if orig_cls is None and orig_get is None:
            continue

        def legacy_for(*args: Any, _cls: Any = orig_cls, **kwargs: Any) -> Optional[Callable[[], Any]]:
            provider = kwargs.get("provider", args[0] if args else DEFAULT_PROVIDER)
            model = kwargs.get("model", args[1] if len(args) > 1 else DEFAULT_MODEL)
            use_cache = kwargs.get("use_cache", args[2] if len(args) > 2 else True)
            device = kwargs.get("device", args[4] if len(args) > 4 else None)
            return legacy_factory_for(_cls, provider, model, use_cache, device)

        if orig_cls is not None:
            bound = bound_class(LLMQueryEnhancer, "LLMQueryEnhancer", framework=framework, legacy_for=legacy_for)
            patches.set(m, "LLMQueryEnhancer", bound, m.__name__)
            patches.swap(orig_cls, bound)
        if orig_get is not None:
            getter = make_getter(m, orig_cls, framework)
            patches.set(m, "get_llm_query_enhancer", getter, m.__name__)
            patches.swap(orig_get, getter)
        # Always recorded, even when still None: the new getter stores its singleton there, and
        # uninstall() must put back exactly what was there before (None or the legacy instance).
        existing = m.__dict__.get("_llm_query_enhancer")
        value = existing
        if existing is not None and not isinstance(existing, LLMQueryEnhancer):
            value = LLMQueryEnhancer(provider=getattr(existing, "provider", DEFAULT_PROVIDER),
                                     model=getattr(existing, "model", DEFAULT_MODEL),
                                     use_cache=getattr(existing, "use_cache", True),
                                     device=getattr(existing, "device", None), framework=framework, legacy=existing)
            patches.swap(existing, value)
        if "_llm_query_enhancer" in m.__dict__ or orig_get is not None:
            patches.set(m, "_llm_query_enhancer", value, m.__name__)


WIRING = Wiring(CAPABILITY, roles={"query_enhancer": ("llm_query_enhancer",)}, wire=wire)
