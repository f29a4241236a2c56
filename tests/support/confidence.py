"""Helpers for the migration-confidence tests: job postings, a legacy extractor, shadow runs, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

from adeptai_sagemaker.adapters.matcher import requirements_from_output
from adeptai_sagemaker.core.framework import Framework
from adeptai_sagemaker_lab.reference_model.job_parser import parse
from adeptai_sagemaker.capabilities.schemas import JobParserOutput
from adeptai_sagemaker.core.settings import load_settings

TITLES = ["Senior Python Engineer", "Data Engineer", "Backend Developer", "Machine Learning Engineer",
          "DevOps Engineer", "Frontend Developer", "Site Reliability Engineer", "Platform Engineer"]
SKILLS = [["Python", "Django", "PostgreSQL"], ["Java", "Spring", "Kafka"], ["Go", "Kubernetes", "Docker"],
          ["React", "TypeScript", "GraphQL"], ["AWS", "Terraform", "Linux"], ["SQL", "Spark", "Airflow"],
          ["PyTorch", "Python", "MLflow"], ["Node.js", "MongoDB", "Redis"]]
PLACES = ["Austin, TX", "Boston, MA", "Denver, CO", "Seattle, WA", "Chicago, IL"]
DEGREES = ["Bachelor's degree in Computer Science", "Master's degree preferred", "Bachelor's degree required"]


def postings(n: int) -> list[str]:
    """``n`` distinct, deterministic job postings."""
    out = []
    for i in range(n):
        skills = SKILLS[i % len(SKILLS)]
        extra = SKILLS[(i // len(SKILLS) + 3) % len(SKILLS)][0]
        out.append(f"{TITLES[i % len(TITLES)]} (req {i})\n"
                   f"Location: {PLACES[i % len(PLACES)]}\n"
                   "Requirements:\n"
                   f"- {3 + i % 6}+ years of experience with {skills[0]}\n"
                   f"- Strong {skills[1]} and {skills[2]} skills\n"
                   f"- {DEGREES[i % len(DEGREES)]}\n"
                   "Nice to have:\n"
                   f"- Experience with {extra}\n")
    return out


def close_legacy(posting: str, index: int) -> dict:
    """A legacy extractor close to the reference model: the same rules, but only the first skill kept on 1 posting in 25."""
    answer = requirements_from_output(JobParserOutput.model_validate(parse(posting)))
    if index % 25 == 0 and answer["mandatory_skills"]:
        answer["mandatory_skills"] = answer["mandatory_skills"][:1]
    return answer


def wrong_legacy(posting: str, index: int) -> dict:
    """A legacy extractor that disagrees on skills (half the postings) and on years (every third one)."""
    answer = requirements_from_output(JobParserOutput.model_validate(parse(posting)))
    if index % 2 == 0:
        answer["mandatory_skills"] = ["COBOL", "Fortran"]
    if index % 3 == 0:
        answer["years_experience"] = answer["years_experience"] + 7
    return answer


def framework(url: str, state_dir: Path, *, mode: str = "shadow", endpoint: str = "ref-tgi", **global_overrides: Any
              ) -> Framework:
    settings = load_settings(env_file=None, aws_region="us-east-1", sagemaker_endpoint_url=url,
                             adeptai_sagemaker_state_dir=str(state_dir), use_sagemaker_llm=False,
                             capabilities={"job_parser": {"endpoint": endpoint, "mode": mode, "max_attempts": 1}},
                             adeptai_sagemaker_shadow_queue=1000, **global_overrides)
    return Framework(settings, load_entrypoints=False, cache=False)


def shadow_run(url: str, state_dir: Path, n: int, legacy: Callable[[str, int], dict], **kwargs: Any) -> None:
    """``n`` shadow calls of job_parser; returns after every comparison is written to the store."""
    fw = framework(url, state_dir, **kwargs)
    try:
        for i, posting in enumerate(postings(n)):
            result = fw.call("job_parser", {"job_description": posting}, legacy=lambda p=posting, i=i: legacy(p, i),
                             to_legacy=requirements_from_output)
            assert result.value == legacy(posting, i)  # shadow never changes the caller's answer
    finally:
        fw.close()  # waits for the shadow pool, then flushes the evidence


def cli_env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "ADEPTAI_SAGEMAKER_", "USE_SAGEMAKER"))}
    env.update({"ADEPTAI_SAGEMAKER_STATE_DIR": str(state_dir), "AWS_REGION": "us-east-1", **extra})
    return env


def reachable_env(state_dir: Path, **extra: str) -> dict[str, str]:
    """``cli_env`` where job_parser can reach an endpoint (region, name, a runtime URL): ``promote`` may move it."""
    return cli_env(state_dir, SAGEMAKER_JOB_PARSER_ENDPOINT="ref-tgi",
                   **{"SAGEMAKER_ENDPOINT_URL": "http://127.0.0.1:9", **extra})


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The console command in a separate process (its own interpreter: nothing shared with this one)."""
    return subprocess.run([sys.executable, "-c", "from adeptai_sagemaker.cli import main; main()", *args],
                          env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)


def promote_json(args: list[str], env: dict[str, str], cwd: Path) -> dict:
    proc = run_cli(["promote", *args, "--json"], env, cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
