"""Stand-in for C/behavioural_analysis/__init__.py: its import fallback, DEPLOYMENT_CONFIGS and get_pipeline.

As in the monolith, a ``.pipeline`` that cannot import (the real one needs textstat and the ML stack) leaves
a stub ``BehavioralPipeline`` with ``analyze()`` only, and ``create_multi_source_profile`` returning None.
"""
BehavioralPipeline = None
EnhancedBehavioralPipeline = None
create_enhanced_pipeline = None
create_multi_source_profile = None

try:
    from .pipeline import (BehavioralPipeline, EnhancedBehavioralPipeline, MultiSourceProfile,  # noqa: F401
                           create_enhanced_pipeline, create_multi_source_profile)
except ImportError:
    try:
        from .pipeline import BehavioralPipeline
    except ImportError:
        class BehavioralPipeline:
            """The monolith's minimal fallback class."""

            def __init__(self):
                self.name = "Fallback Behavioral Pipeline"

            def analyze(self, resume_text, job_description):
                return {"final_score": 0.7, "behavioral_score": 0.7, "technical_score": 0.7, "cultural_fit": 0.7,
                        "risk_factors": [], "strengths": ["Basic analysis available"],
                        "recommendations": ["Consider upgrading to enhanced pipeline"], "pipeline_type": "fallback"}

if create_enhanced_pipeline is None:
    def create_enhanced_pipeline(config=None):
        return BehavioralPipeline()

if create_multi_source_profile is None:
    def create_multi_source_profile(resume_text, **kwargs):
        return MultiSourceProfile(resume_text=resume_text) if "MultiSourceProfile" in globals() else None

DEPLOYMENT_CONFIGS = {
    "lightweight": {"enable_gnn": False, "enable_validation": False},
    "domain_enhanced": {"enable_gnn": False, "enable_validation": True},
    "full_featured": {"enable_gnn": True, "enable_validation": True},
    "production": {"enable_gnn": True, "enable_validation": True},
}


def get_pipeline(config_name: str = "lightweight"):
    if config_name not in DEPLOYMENT_CONFIGS:
        raise ValueError(f"Unknown config: {config_name}")
    try:
        return create_enhanced_pipeline(DEPLOYMENT_CONFIGS[config_name])
    except Exception:
        return BehavioralPipeline()
