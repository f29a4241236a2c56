"""Stand-in for matcher/enhanced_matcher.py: a 'heavy' constructor (counted) and the requirement consumers."""
from typing import Any, Dict, List

from .llm_service import LLMService
from .utils import dummy_parser

HEAVY_INITS: List[str] = []


class EnhancedTalentMatcher:
    def __init__(self, openai_api_key, linkedin_username, linkedin_password):
        HEAVY_INITS.append("linkedin-login+selenium+model-files")  # the real one does network and disk I/O
        self.openai_api_key = openai_api_key
        self.llm = LLMService(openai_api_key)

    def extract_job_requirements(self, job_description):
        raw = self.llm(job_description)
        return dummy_parser(raw)

    def _calculate_location_match(self, required, actual):
        return 1.0 if required in actual else 0.0

    def _validate_mandatory_skills(self, required, resume):
        return sum(skill in resume for skill in required) / len(required)

    def _create_feature_vector(self, job, candidate) -> List[Any]:
        r = self.extract_job_requirements(job)
        return [len(job), len(candidate.resume), len(r["mandatory_skills"]), len(r.get("preferred_skills", [])),
                1 if candidate.linkedin_url else 0, 1 if candidate.license_number else 0,
                self._calculate_location_match(r["location"], candidate.current_location),
                r.get("years_experience", 0), len(r.get("education_requirements", [])),
                self._validate_mandatory_skills(r["mandatory_skills"], candidate.resume)]

    def calculate_enhanced_match_score(self, job, candidate) -> Dict[str, Any]:
        r = self.extract_job_requirements(job)
        return {"location_match": self._calculate_location_match(r["location"], candidate.current_location),
                "mandatory_skills_match": self._validate_mandatory_skills(r["mandatory_skills"], candidate.resume),
                "features": self._create_feature_vector(job, candidate)}
