"""Stand-in for C/behavioural_analysis/pipeline.py (docs/monolith-interfaces.md §2): the constant placeholder outputs."""
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

CONSTRUCTED: List[Dict[str, Any]] = []


class ProfileDataSource(Enum):
    RESUME = "resume"
    LINKEDIN = "linkedin"
    GITHUB = "github"
    PORTFOLIO = "portfolio"
    REFERENCES = "references"
    ASSESSMENT = "assessment"
    JOB_SITES = "job_sites"


@dataclass
class MultiSourceProfile:
    resume_text: str
    linkedin_data: Optional[Dict] = None
    github_data: Optional[Dict] = None
    portfolio_data: Optional[Dict] = None
    reference_data: Optional[List[Dict]] = None
    assessment_results: Optional[Dict] = None
    job_site_data: Optional[Dict] = None

    def get_all_text_content(self) -> str:
        parts = [self.resume_text]
        if self.linkedin_data:
            parts.append(self.linkedin_data.get("summary", ""))
            parts.extend(self.linkedin_data.get("experience_descriptions", []))
        return " ".join(p for p in parts if p)


@dataclass
class BehavioralProfile:
    candidate_id: str
    overall_score: float
    leadership_score: float
    collaboration_score: float
    innovation_score: float
    adaptability_score: float
    stability_score: float
    growth_potential: float
    emotional_intelligence: float
    stress_resilience: float
    communication_effectiveness: float
    technical_depth: float
    learning_agility: float
    problem_solving_ability: float
    cultural_alignment: float
    work_style_preferences: List[str]
    confidence_score: float
    data_completeness: float
    consistency_score: float
    strengths: List[str]
    development_areas: List[str]
    behavioral_patterns: List[str]
    risk_factors: List[str]
    primary_data_sources: List[str]


@dataclass
class CareerTrajectory:
    current_level: str
    predicted_next_roles: List[Tuple[str, float]]
    growth_timeline: Dict[str, int]
    skill_development_path: List[str]
    experience_gaps: List[str]
    development_recommendations: List[str]
    success_indicators: List[str]
    risk_factors: List[str]
    market_alignment: float


class EnhancedBehavioralPipeline:
    def __init__(self, lgbm_model_path: Optional[str] = None, enable_gnn: bool = True, enable_validation: bool = True):
        CONSTRUCTED.append({"enable_gnn": enable_gnn, "enable_validation": enable_validation})
        self.enable_validation = enable_validation
        self.ensemble_optimizer = object() if enable_validation else None
        self.entities = self.semantic = self.emotions = self.scorer = self.domain_bert = None
        self.career_gnn = self.graph_builder = None

    def analyze_comprehensive_profile(self, source_data: MultiSourceProfile, target_role: str,
                                      job_description: str) -> Dict[str, Any]:
        try:
            text = source_data.get_all_text_content()
            profile = BehavioralProfile(
                candidate_id=source_data.resume_text[:50], overall_score=0.5, leadership_score=0.5,
                collaboration_score=0.5, innovation_score=0.5, adaptability_score=0.5, stability_score=0.5,
                growth_potential=0.5, emotional_intelligence=0.5, stress_resilience=0.5,
                communication_effectiveness=0.5, technical_depth=0.5 if not job_description else 0.42,
                learning_agility=0.5, problem_solving_ability=0.5, cultural_alignment=0.5,
                work_style_preferences=["collaborative"], confidence_score=0.7, data_completeness=0.8,
                consistency_score=0.7, strengths=[], development_areas=[], behavioral_patterns=[], risk_factors=[],
                primary_data_sources=["resume", "behavioral_analysis"])
            validation = ({"overall_confidence": 0.8 if self.ensemble_optimizer else 0.6, "validation_passed": True}
                          if self.enable_validation else None)
            return {"behavioral_profile": profile, "career_trajectory": None,
                    "detected_domain": "tech" if "python" in text.lower() else "general",
                    "role_fit_analysis": {"technical_fit": profile.technical_depth, "cultural_fit": 0.5,
                                          "overall_fit": 0.5},
                    "validation_results": validation}
        except Exception:
            profile = BehavioralProfile("unknown", *([0.5] * 14), ["collaborative"], 0.5, 0.5, 0.5, [], [], [], [],
                                        ["resume"])
            return {"behavioral_profile": profile, "career_trajectory": None, "detected_domain": "unknown",
                    "role_fit_analysis": {"technical_fit": 0.5, "cultural_fit": 0.5, "overall_fit": 0.5},
                    "validation_results": None}


BehavioralPipeline = EnhancedBehavioralPipeline


def create_enhanced_pipeline(config: Dict[str, Any] = None) -> EnhancedBehavioralPipeline:
    config = config or {}
    return EnhancedBehavioralPipeline(lgbm_model_path=config.get("lgbm_model_path"),
                                      enable_gnn=config.get("enable_gnn", True),
                                      enable_validation=config.get("enable_validation", True))


def create_multi_source_profile(resume_text: str, **kwargs) -> MultiSourceProfile:
    return MultiSourceProfile(resume_text=resume_text, **kwargs)
