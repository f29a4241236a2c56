"""Cost, in two views, so "is SageMaker cheaper?" has a number instead of a guess.

Why two views: a SageMaker real-time endpoint bills per
instance-hour whether or not requests arrive, while OpenAI/Claude bill per
token. LiteLLM prices SageMaker per second of request time, which ignores idle
hours; llmeter amortizes instance-hours over requests served. We do the latter:

- **SageMaker**: ``price_per_hour x instances`` amortized over the requests one
  instance can serve at a *target utilization* of its *measured* throughput
  (from ``adeptai-sagemaker bench``), giving cost per request and per month.
- **External APIs**: input and output tokens x the list price per million.
- **Break-even**: the monthly request volume from which the endpoint costs no
  more than the API for the same traffic, per capability (tokens per request
  differ a lot between a query expansion and a behavioural analysis).

Instance prices are *data*, not code: ``data/instance_prices.json`` ships in the
wheel (its ``_source`` field names the page and date; they are list prices to
verify), and a JSON file named by ``ADEPTAI_SAGEMAKER_PRICES_FILE`` or passed to
``load_prices(path)`` overrides single entries. Everything here is a pure
function or a frozen dataclass, tested on hand-computed numbers.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping, Optional

from adeptai_sagemaker.core.errors import ConfigurationError

#: Hours in a billing month as AWS calculators use it (365 x 24 / 12).
HOURS_PER_MONTH = 730.0
PRICES_FILE_ENV = "ADEPTAI_SAGEMAKER_PRICES_FILE"


@dataclass(frozen=True)
class ApiPricing:
    """Per-token list price of an external API model, USD per 1M tokens."""

    model: str
    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


#: The vendors' list prices the monolith pays today (per million input/output tokens).
API_PRICES: dict[str, ApiPricing] = {
    "gpt-4o-mini": ApiPricing("gpt-4o-mini", 0.15, 0.60),
    "claude-sonnet-4": ApiPricing("claude-sonnet-4", 3.00, 15.00),
}
#: Rough planning estimates of (input, output) tokens per request, per capability, for
#: `adeptai-sagemaker cost` when nothing was measured. Replace them with `bench` numbers.
PLANNING_TOKENS: dict[str, tuple[float, float]] = {
    "query_enhancer": (350, 250),
    "behavioral_analyzer": (1600, 600),
    "market_intelligence": (1200, 900),
    "job_parser": (900, 350),
    "explanation_generator": (900, 500),
    "resume_summarizer": (1400, 300),
    "question_generator": (1200, 600),
    "candidate_matcher": (1800, 350),
}
#: Which price list a backend name bills against when metrics price a call.
BACKEND_API_MODELS: dict[str, str] = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4"}


# --------------------------------------------------------------------------- instance prices


def _read_price_file(path: Path) -> dict[str, float]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read instance price file {path}: {type(exc).__name__}: {exc}") from None
    table = data.get("prices", data) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ConfigurationError(f"instance price file {path} must be a JSON object {{\"prices\": {{type: usd_per_hour}}}}")
    out: dict[str, float] = {}
    for name, value in table.items():
        if name.startswith("_"):
            continue
        if not isinstance(value, (int, float)) or value < 0:
            raise ConfigurationError(f"instance price file {path}: {name} must be a non-negative number, got {value!r}")
        out[name] = float(value)
    return out


def load_prices(path: Optional[str | os.PathLike] = None) -> dict[str, float]:
    """Instance type -> USD/hour: the shipped table, then ``$ADEPTAI_SAGEMAKER_PRICES_FILE``, then ``path``.

    Later sources override single entries, so a file may list only the types you negotiated.
    """
    shipped = resources.files("adeptai_sagemaker.ops").joinpath("data/instance_prices.json")
    prices = _read_price_file(Path(str(shipped)))
    env_path = os.environ.get(PRICES_FILE_ENV)
    if env_path:
        prices.update(_read_price_file(Path(env_path)))
    if path:
        prices.update(_read_price_file(Path(path)))
    return prices


def instance_price(instance_type: str, prices: Optional[Mapping[str, float]] = None) -> float:
    table = prices if prices is not None else load_prices()
    try:
        return table[instance_type]
    except KeyError:
        raise ConfigurationError(
            f"no price for instance type {instance_type!r}; add it to a JSON file named by {PRICES_FILE_ENV} "
            f"(known: {', '.join(sorted(table))})"
        ) from None


def api_pricing(model: str) -> ApiPricing:
    try:
        return API_PRICES[model]
    except KeyError:
        raise ConfigurationError(f"no API price for {model!r}; known: {', '.join(API_PRICES)}") from None


# --------------------------------------------------------------------------- pure functions


def endpoint_monthly_cost(price_per_hour: float, instance_count: int = 1, hours: float = HOURS_PER_MONTH) -> float:
    """What an always-on endpoint costs in a month, traffic or not."""
    return price_per_hour * instance_count * hours


def requests_per_instance_month(throughput_rps: float, target_utilization: float,
                                hours: float = HOURS_PER_MONTH) -> float:
    """Requests one instance serves in a month when kept at ``target_utilization`` of its measured throughput."""
    if throughput_rps <= 0:
        raise ValueError("throughput_rps must be > 0 (measure it with `adeptai-sagemaker bench`)")
    if not 0 < target_utilization <= 1:
        raise ValueError("target_utilization must be in (0, 1]")
    return throughput_rps * target_utilization * hours * 3600


def amortized_cost_per_request(price_per_hour: float, throughput_rps: float, target_utilization: float) -> float:
    """Instance-hour price spread over the requests the instance serves in that hour at the target utilization."""
    return price_per_hour / (throughput_rps * target_utilization * 3600)


def api_cost_per_request(input_tokens: float, output_tokens: float, pricing: ApiPricing | str) -> float:
    pricing = api_pricing(pricing) if isinstance(pricing, str) else pricing
    return pricing.cost(input_tokens, output_tokens)


def required_throughput(price_per_hour: float, api_cost_per_request_usd: float, target_utilization: float) -> Optional[float]:
    """Requests/s ONE instance must sustain (at the target utilization) for its amortized cost per request to
    equal the API's: below it the API stays cheaper at any traffic. None when the API is free."""
    if api_cost_per_request_usd <= 0:
        return None
    return price_per_hour / (api_cost_per_request_usd * target_utilization * 3600)


def per_second(requests_per_month: Optional[float], hours: float = HOURS_PER_MONTH) -> Optional[float]:
    """A monthly volume as the average request rate (traffic spread evenly over the month)."""
    return None if requests_per_month is None else requests_per_month / (hours * 3600)


@dataclass(frozen=True)
class BreakEven:
    """Where an endpoint stops being more expensive than the API (requests per month).

    ``first``: with ``min_instances`` always on, the volume at which the fixed
    monthly bill equals the API bill (``min_instances x P / c``); ``None`` when the API is
    cheaper even with every instance at the target utilization.
    ``sustained``: the volume from which the endpoint stays cheaper at *every*
    higher volume, with instances added in whole steps as traffic grows (each new
    instance is briefly under-used, so the cost is a staircase and can cross the
    API line more than once).
    """

    first: Optional[float]
    sustained: Optional[float]
    capacity_per_instance_month: float
    endpoint_cost_per_instance_month: float
    api_cost_per_request: float


def break_even(price_per_hour: float, throughput_rps: float, target_utilization: float,
               api_cost_per_request_usd: float, *, min_instances: int = 1,
               hours: float = HOURS_PER_MONTH) -> BreakEven:
    """Break-even traffic of an autoscaled endpoint against a per-request API price.

    Endpoint cost for N requests/month: ``max(min_instances, ceil(N / C)) x P`` with
    ``P`` = one instance-month, ``C`` = requests one instance serves at the target
    utilization. API cost: ``N x c``.
    """
    P = endpoint_monthly_cost(price_per_hour, 1, hours)
    C = requests_per_instance_month(throughput_rps, target_utilization, hours)
    c = api_cost_per_request_usd
    if c <= 0 or C * c <= P:  # even a fully used instance costs more than the API for its traffic
        return BreakEven(None, None, C, P, c)
    first = min_instances * P / c  # < min_instances·C because C·c > P
    # Smallest k above the minimum fleet with (k-1)·C·c >= k·P: from instance k on,
    # every volume in ((k-1)C, kC] is cheaper on the endpoint.
    k0 = max(min_instances + 1, math.ceil(C * c / (C * c - P)))
    # The last API-cheaper stretch is in step k0-1, which pays off once N >= (k0-1)·P/c.
    sustained = (k0 - 1) * P / c
    return BreakEven(first, sustained, C, P, c)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class CostModel:
    """One capability's endpoint and its API alternative; all inputs measured or list prices.

    ``throughput_rps`` is what ONE instance sustains for this capability's
    requests (from the benchmark); ``target_utilization`` matches the autoscaling
    target (0.7 by default, like the target-tracking policy).
    """

    instance_type: str
    throughput_rps: float
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    instance_count: int = 1
    target_utilization: float = 0.7
    api_model: str = "gpt-4o-mini"
    price_per_hour: Optional[float] = None  # None: look up instance_type in the price table
    capability: Optional[str] = None

    def hourly_price(self, prices: Optional[Mapping[str, float]] = None) -> float:
        if self.price_per_hour is not None:
            return self.price_per_hour
        return instance_price(self.instance_type, prices)

    def monthly_cost(self, prices: Optional[Mapping[str, float]] = None) -> float:
        return endpoint_monthly_cost(self.hourly_price(prices), self.instance_count)

    def cost_per_request(self, prices: Optional[Mapping[str, float]] = None) -> float:
        """Amortized SageMaker cost of one request at the target utilization."""
        return amortized_cost_per_request(self.hourly_price(prices), self.throughput_rps, self.target_utilization)

    def monthly_capacity(self) -> float:
        return requests_per_instance_month(self.throughput_rps, self.target_utilization) * self.instance_count

    def api_cost_per_request(self) -> float:
        return api_cost_per_request(self.input_tokens, self.output_tokens, self.api_model)

    def break_even(self, prices: Optional[Mapping[str, float]] = None) -> BreakEven:
        return break_even(self.hourly_price(prices), self.throughput_rps, self.target_utilization,
                          self.api_cost_per_request(), min_instances=self.instance_count)

    def summary(self, prices: Optional[Mapping[str, float]] = None) -> dict:
        """A flat, JSON-friendly view for the CLI and reports."""
        be = self.break_even(prices)
        return {
            "capability": self.capability, "instance_type": self.instance_type,
            "instance_count": self.instance_count, "price_per_hour_usd": self.hourly_price(prices),
            "monthly_endpoint_cost_usd": self.monthly_cost(prices),
            "monthly_capacity_requests": self.monthly_capacity(),
            "sagemaker_cost_per_request_usd": self.cost_per_request(prices),
            "api_model": self.api_model, "api_cost_per_request_usd": self.api_cost_per_request(),
            "break_even_requests_per_month": be.first, "sustained_break_even_requests_per_month": be.sustained,
            "break_even_rps": per_second(be.first), "sustained_break_even_rps": per_second(be.sustained),
            "throughput_rps": self.throughput_rps, "target_utilization": self.target_utilization,
            "required_throughput_rps": required_throughput(self.hourly_price(prices), self.api_cost_per_request(),
                                                           self.target_utilization),
        }
