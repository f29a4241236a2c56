"""Latency profiles: how long each backend takes for a given answer length, from published figures.

Why a model and not a constant: the external APIs stream output at a roughly
constant rate after a time-to-first-token (TTFT), so a JSON answer twice as
long takes about twice the generation time. Total latency is modelled as

    latency = TTFT * J1 + output_tokens / (tokens_per_s * J2)

with J1, J2 lognormal jitter factors (median 1) drawn from a seeded RNG, so a
run is repeatable.

Sources (medians; network from the measuring site included; your region and
prompt length will differ, so override with env vars when you have your own):

- gpt-4o-mini (OpenAI API): TTFT 0.40 s ("~0.4s TTFT", apikeyhealth.com "The
  Latency Trade-off: gpt-4o-mini vs. gpt-4o", Mar 2026; Artificial Analysis
  lists OpenAI's GPT-4o at 0.39 s TTFT on its provider page); output 59 tok/s
  (community.openai.com/t/inference-speed-of-different-models/1307310: tacho
  run, avg 59.0, min 46.1, max 69.9 tok/s; Artificial Analysis' GPT-4o mini
  page calls the model "notably slow").
- Claude Sonnet 4 (Anthropic API): output 59.3 tok/s (Artificial Analysis
  figure for "Claude 4 Sonnet (non-reasoning)", quoted by
  shadabchow.com/blogs/ai-models/claude-4-sonnet-non-reasoning); TTFT 1.80 s
  (Artificial Analysis figure for the Sonnet 4.5 successor, quoted by
  lattice.uptownhr.com/claude-opus-4-5/speed-analysis; a Vertex AI run of
  Sonnet 4 showed 2.85 s, lzwjava.github.io 2025-09-03).
- SageMaker (an 8B-class model, TGI on one ml.g5.2xlarge): TTFT 0.20 s,
  40 tok/s. **An assumption, not a published figure** for this exact setup:
  small models on one A10G decode at roughly 25-45 ms/token at concurrency 1
  (Hugging Face, "Llama 2 on Amazon SageMaker a Benchmark", Sept 2023).
  Measure your endpoint and set ``ADEPTAI_BENCH_SAGEMAKER_TTFT_S`` /
  ``ADEPTAI_BENCH_SAGEMAKER_TPS``.

Offline runs multiply every modelled delay by ``time_scale`` (default 0.02 in
the benchmark, env ``ADEPTAI_BENCH_TIME_SCALE``) to keep runtime bounded; the
report states measured (scaled) latency next to the projection at full scale.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class LatencyProfile:
    name: str
    ttft_s: float
    tokens_per_s: float
    ttft_sigma: float = 0.25  # lognormal sigma of the TTFT jitter factor
    tps_sigma: float = 0.12  # lognormal sigma of the throughput jitter factor (46-70 tok/s range around 59)
    source: str = ""

    def modelled_s(self, output_tokens: int, rng: random.Random) -> float:
        """Seconds a real call producing ``output_tokens`` would take (one seeded draw)."""
        ttft = self.ttft_s * rng.lognormvariate(0.0, self.ttft_sigma)
        tps = self.tokens_per_s * rng.lognormvariate(0.0, self.tps_sigma)
        return ttft + max(0, int(output_tokens)) / max(tps, 1e-6)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


GPT_4O_MINI = LatencyProfile("gpt-4o-mini", 0.40, 59.0,
                             source="TTFT ~0.4 s (apikeyhealth.com; AA GPT-4o 0.39 s); 59 tok/s "
                                    "(community.openai.com/t/1307310)")
CLAUDE_SONNET_4 = LatencyProfile("claude-sonnet-4", 1.80, 59.3,
                                 source="59.3 tok/s (Artificial Analysis, Claude 4 Sonnet); TTFT 1.80 s "
                                        "(Artificial Analysis, Sonnet 4.5)")


def sagemaker_profile() -> LatencyProfile:
    # the same assumption the product's latency budgets rest on (one copy, in adeptai_sagemaker/budgets.py)
    from adeptai_sagemaker.rollout.budgets import SAGEMAKER_TOKENS_PER_S, SAGEMAKER_TTFT_S

    return LatencyProfile("sagemaker-8b-g5.2xlarge", _env_float("ADEPTAI_BENCH_SAGEMAKER_TTFT_S", SAGEMAKER_TTFT_S),
                          _env_float("ADEPTAI_BENCH_SAGEMAKER_TPS", SAGEMAKER_TOKENS_PER_S),
                          source="assumption: 8B-class model, TGI, one ml.g5.2xlarge (see module docstring)")


PROFILES: dict[str, LatencyProfile] = {"gpt-4o-mini": GPT_4O_MINI, "claude-sonnet-4-20250514": CLAUDE_SONNET_4}


def profile_for(model: str) -> Optional[LatencyProfile]:
    """The profile of an external model name (prefix match, so dated model ids resolve)."""
    if model in PROFILES:
        return PROFILES[model]
    for key, profile in PROFILES.items():
        if model.startswith(key.split("-2025")[0]):
            return profile
    return None


def time_scale(default: float = 0.02) -> float:
    return _env_float("ADEPTAI_BENCH_TIME_SCALE", default)
