"""Stand-in for C/optimized_search_system.py: the call expressions of docs/monolith-interfaces.md §7, verbatim in effect."""
try:  # :187-201
    from .behavioural_analysis import get_pipeline
    from .behavioural_analysis.pipeline import MultiSourceProfile, create_multi_source_profile
    BEHAVIOURAL_ANALYSIS_AVAILABLE = True
except ImportError:
    BEHAVIOURAL_ANALYSIS_AVAILABLE = False
    get_pipeline = None
    MultiSourceProfile = None
    create_multi_source_profile = None
from .explainable_ai import ExplainableRecruitmentAI
from .llm_query_enhancer import LLMQueryEnhancer, get_llm_query_enhancer  # noqa: F401


class OptimizedSearchSystem:
    def __init__(self, provider="huggingface", model="meta-llama/Meta-Llama-3.1-8B-Instruct", device=None):
        self.llm_query_enhancer = get_llm_query_enhancer(provider=provider, model=model, device=device)  # :1073
        self.llm_enabled = bool(self.llm_query_enhancer.hf_pipeline or self.llm_query_enhancer.client)  # :1074
        self.behavioral_pipeline = BEHAVIOURAL_ANALYSIS_AVAILABLE and get_pipeline and get_pipeline("lightweight")
        self.behavioral_label = None  # :1150; :1153 prints config_name outside any try
        if self.behavioral_pipeline:
            self.behavioral_label = f"pipeline {self.behavioral_pipeline.config_name}"
        self.explainable_ai = ExplainableRecruitmentAI()  # :1169

    def expand(self, query):  # :1890-1917, :2272
        if not (self.llm_query_enhancer.hf_pipeline or self.llm_query_enhancer.client):
            return query.split()
        enhanced_query = self.llm_query_enhancer.enhance_query(query, use_llm=True)
        if not enhanced_query:
            return query.split()
        return enhanced_query["expanded_terms"][:5] + enhanced_query.get("expanded_terms", query.split())[5:]

    def behavioral(self, resume_text, query, target_role="Engineer"):  # :3259-3279
        try:
            profile_data = create_multi_source_profile(resume_text=resume_text)
        except Exception:
            profile_data = MultiSourceProfile(resume_text=resume_text)
        p = self.behavioral_pipeline
        if hasattr(p, "analyze_comprehensive_profile"):
            results = p.analyze_comprehensive_profile(source_data=profile_data, target_role=target_role,
                                                      job_description=query)
        else:
            results = p.analyze(resume_text, query)
        bp = results["behavioral_profile"]
        read = {k: getattr(bp, k) for k in (
            "overall_score", "leadership_score", "collaboration_score", "innovation_score", "adaptability_score",
            "technical_depth", "problem_solving_ability", "emotional_intelligence", "cultural_alignment",
            "growth_potential", "strengths", "risk_factors", "development_areas", "behavioral_patterns")}
        ct = results["career_trajectory"]
        career = None if ct is None else {k: getattr(ct, k) for k in (
            "current_level", "predicted_next_roles", "growth_timeline", "skill_development_path",
            "development_recommendations")}
        return {"profile": read, "role_fit": results["role_fit_analysis"], "career": career}

    def explain(self, candidate, query, result, idx):  # :2111
        try:
            e = self.explainable_ai.explain_candidate_selection(
                candidate_profile=candidate, job_query=query,
                match_scores={k: v * 100 for k, v in result.items()}, ranking_position=idx + 1)
        except Exception:
            return {"ai_explanation": f"Candidate with score {result.get('overall_score', 0):.2f}",
                    "explanation_details": None}
        return {"ai_explanation": e.decision_summary, "explanation_details": {
            "overall_score": e.overall_score, "confidence_level": e.confidence_level,
            "recommendation": e.recommendation, "top_positive_factors": e.top_positive_factors,
            "top_negative_factors": e.top_negative_factors, "strength_areas": e.strength_areas,
            "risk_factors": e.risk_factors,
            "feature_contributions": [{"feature_name": fc.feature_name, "contribution": fc.contribution,
                                       "percentage": fc.percentage, "direction": fc.direction,
                                       "explanation": fc.explanation} for fc in e.feature_contributions]}}
