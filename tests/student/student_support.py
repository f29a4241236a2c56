"""Shared helpers of the student-loop tests: a framework with capture on, and synthetic job postings."""

from __future__ import annotations

import json
from pathlib import Path

from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.plugin.hookspecs import hookimpl

SKILLS = ["Python", "AWS", "PostgreSQL", "Docker", "Kubernetes", "Go", "React", "Terraform", "Spark", "Kafka"]


def posting(i: int) -> str:
    """A synthetic posting with a recruiter's email and phone (no real person's data)."""
    a, b = SKILLS[i % len(SKILLS)], SKILLS[(i * 3 + 1) % len(SKILLS)]
    return (f"Posting {i}: engineer with {a} and {b}, {1 + i % 9} years. Remote. "
            f"Contact recruiter{i}@example.com or call (555) 010-{i % 10000:04d}.")


def teacher(text: str) -> dict:
    """A deterministic "OpenAI" teacher in the matcher's shape (adapters/matcher.py)."""
    words = [w.strip(".,") for w in text.split()]
    skills = [w for w in words if w in SKILLS]
    years = int(next(w for w in words if w.isdigit()))
    return {"mandatory_skills": skills[:1], "preferred_skills": skills[1:], "location": "Remote",
            "years_experience": years, "education_requirements": ["Bachelor's"]}


class ServeFixed:
    """The model side of shadow: a serving plugin answering a fixed valid output (no endpoint needed)."""

    @hookimpl
    def serve_capability(self, capability, request, call):
        return {"title": None, "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 3,
                "education_level": None, "location": None, "work_mode": "remote", "salary_range": None,
                "seniority_level": None, "employment_type": None}


def capture_framework(tmp_path: Path, capabilities: dict, *, plugins=(), **overrides) -> Framework:
    settings = load_settings(env_file=None, aws_region="us-east-1", adeptai_sagemaker_capture_dir=str(tmp_path / "capture"),
                             adeptai_sagemaker_cache_dir=tmp_path / "cache", capabilities=capabilities, **overrides)
    return Framework(settings, plugins=list(plugins), load_entrypoints=False, cache=False)


def all_text(directory: Path) -> str:
    """Every file under ``directory`` as one text (to prove something appears nowhere)."""
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.rglob("*"))
                     if p.is_file() and p.suffix in (".jsonl", ".json", ".md"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
