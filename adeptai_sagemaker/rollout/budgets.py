"""Per-capability p95 latency budgets, from the latency the project itself projects.

Why not one number: a query expansion (about 250 output tokens) and a market
analysis (about 900) cannot share a threshold. The old 500 ms p95 was below
what any generative call here can do: the benchmark projects a SageMaker p50 of
about 6 s for its workload (README, "Benchmarks"), because an LLM's latency is
time-to-first-token plus output tokens over decode speed.

The budget of a capability is the projected p95 of one SageMaker call for its
planned output length, plus headroom:

    p95 = TTFT * exp(1.645 * TTFT_SIGMA) + output_tokens / (TPS * exp(-1.645 * TPS_SIGMA))
    budget = p95 * HEADROOM, rounded up to 100 ms

with the SageMaker latency profile the benchmark uses (``SAGEMAKER_TTFT_S``,
``SAGEMAKER_TOKENS_PER_S``: an assumption for an 8B-class model on one
ml.g5.2xlarge, see ``lab/bench/profiles.py``, which imports these numbers
from here), the lognormal jitter of that profile, and the planning output
tokens of ``cost.PLANNING_TOKENS``. ``SAGEMAKER_<STEM>_LATENCY_BUDGET_MS``
replaces the projection once you have measured your endpoint. The promotion
gate and ``deploy``'s ModelLatency alarm use the same number.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from adeptai_sagemaker.ops.cost import PLANNING_TOKENS

#: SageMaker latency profile (assumption; override via the bench env vars for benchmarks and
#: ``SAGEMAKER_<STEM>_LATENCY_BUDGET_MS`` for budgets).
SAGEMAKER_TTFT_S = 0.20
SAGEMAKER_TOKENS_PER_S = 40.0
TTFT_SIGMA = 0.25
TPS_SIGMA = 0.12
HEADROOM = 1.25
_Z95 = 1.645


def projected_p95_ms(output_tokens: float, ttft_s: float = SAGEMAKER_TTFT_S,
                     tokens_per_s: float = SAGEMAKER_TOKENS_PER_S) -> float:
    """Projected p95 of one call producing ``output_tokens`` (lognormal jitter at its 95th percentile)."""
    ttft = ttft_s * math.exp(_Z95 * TTFT_SIGMA)
    decode = output_tokens / (tokens_per_s * math.exp(-_Z95 * TPS_SIGMA))
    return (ttft + decode) * 1000.0


def projected_budget_ms(capability: str) -> float:
    _, out_tokens = PLANNING_TOKENS.get(capability, (0.0, 512.0))
    return math.ceil(projected_p95_ms(out_tokens) * HEADROOM / 100.0) * 100.0


def latency_budget_ms(capability: str, settings: Optional[Any] = None) -> float:
    """The p95 budget in ms: ``SAGEMAKER_<STEM>_LATENCY_BUDGET_MS`` when set, else the projection."""
    if settings is not None:
        own = settings.capability(capability).latency_budget_ms
        if own:
            return float(own)
    return projected_budget_ms(capability)


def budget_explanation(capability: str) -> str:
    _, out_tokens = PLANNING_TOKENS.get(capability, (0.0, 512.0))
    return (f"projected SageMaker p95 for {out_tokens:g} output tokens at {SAGEMAKER_TTFT_S:g} s TTFT and "
            f"{SAGEMAKER_TOKENS_PER_S:g} tok/s is {projected_p95_ms(out_tokens):,.0f} ms; x{HEADROOM:g} headroom")
