"""Stand-in for the monolith's app/config.py's pydantic Settings (docs/monolith-interfaces.md §6), without any secret default."""
from functools import lru_cache
from typing import Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", case_sensitive=False, extra="ignore")

    aws_access_key_id: Optional[str] = Field(default=None, alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: Optional[str] = Field(default=None, alias="AWS_SECRET_ACCESS_KEY")
    aws_region: str = Field(default="ap-south-1", alias="AWS_REGION")
    use_sagemaker: bool = Field(default=False, alias="USE_SAGEMAKER")
    sagemaker_region: str = Field(default="ap-south-1", alias="SAGEMAKER_REGION")
    sagemaker_domain_classifier_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_DOMAIN_CLASSIFIER_ENDPOINT")
    sagemaker_ltr_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_LTR_ENDPOINT")
    sagemaker_dense_retrieval_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_DENSE_RETRIEVAL_ENDPOINT")
    sagemaker_llm_enhancer_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_LLM_ENHANCER_ENDPOINT")
    sagemaker_job_fit_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_JOB_FIT_ENDPOINT")
    sagemaker_embedding_endpoint: Optional[str] = Field(default=None, alias="SAGEMAKER_EMBEDDING_ENDPOINT")
    huggingface_model: str = Field(default="meta-llama/Meta-Llama-3.1-8B-Instruct", alias="HUGGINGFACE_MODEL")
    openai_api_key: Optional[str] = Field(default=None, alias="OPENAI_API_KEY")
    anthropic_api_key: Optional[str] = Field(default=None, alias="ANTHROPIC_API_KEY")
    llm_provider: str = Field(default="huggingface", alias="LLM_PROVIDER")
    llm_device: Optional[str] = Field(default=None, alias="LLM_DEVICE")
    enable_instant_search: bool = Field(default=True, alias="ENABLE_INSTANT_SEARCH")
    enable_behavioural_analysis: bool = Field(default=True, alias="ENABLE_BEHAVIOURAL_ANALYSIS")
    enable_bias_prevention: bool = Field(default=True, alias="ENABLE_BIAS_PREVENTION")
    enable_explainable_ai: bool = Field(default=True, alias="ENABLE_EXPLAINABLE_AI")
    enable_market_intelligence: bool = Field(default=True, alias="ENABLE_MARKET_INTELLIGENCE")

    def get_feature_flags(self):
        return {"instant_search": self.enable_instant_search, "behavioural_analysis": self.enable_behavioural_analysis,
                "bias_prevention": self.enable_bias_prevention, "explainable_ai": self.enable_explainable_ai,
                "market_intelligence": self.enable_market_intelligence}

    def get_sagemaker_config(self):
        return {"llm_enhancer_endpoint": self.sagemaker_llm_enhancer_endpoint}


@lru_cache()
def get_settings() -> Settings:
    return Settings()
