"""Stand-in for C/behavioural_analysis/__init__.py: DEPLOYMENT_CONFIGS and get_pipeline."""
from .pipeline import (BehavioralPipeline, EnhancedBehavioralPipeline, MultiSourceProfile, create_enhanced_pipeline,  # noqa: F401 (re-exports, as the monolith)
                       create_multi_source_profile)  # noqa: F401

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
        return EnhancedBehavioralPipeline(**DEPLOYMENT_CONFIGS[config_name])
    except Exception:
        return BehavioralPipeline()
