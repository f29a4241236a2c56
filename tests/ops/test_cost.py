"""cost.py on hand-computed numbers (both views and the break-even staircase)."""

from __future__ import annotations

import json
import math

import pytest

from adeptai_sagemaker.ops import cost
from adeptai_sagemaker.core.errors import ConfigurationError


def test_shipped_prices_cover_the_required_instance_types():
    prices = cost.load_prices()
    for name in ("ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.4xlarge", "ml.g5.12xlarge", "ml.g5.48xlarge",
                 "ml.g6.xlarge", "ml.inf2.xlarge", "ml.p4d.24xlarge"):
        assert prices[name] > 0
    assert prices["ml.g5.xlarge"] == pytest.approx(1.408)


def test_price_overrides_env_file_then_path(tmp_path, monkeypatch):
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"prices": {"ml.g5.xlarge": 1.0, "ml.custom.large": 0.5}}))
    path_file = tmp_path / "path.json"
    path_file.write_text(json.dumps({"ml.g5.xlarge": 0.9}))  # a flat mapping works too
    monkeypatch.setenv(cost.PRICES_FILE_ENV, str(env_file))
    prices = cost.load_prices(path_file)
    assert prices["ml.g5.xlarge"] == 0.9 and prices["ml.custom.large"] == 0.5
    assert prices["ml.g5.2xlarge"] == pytest.approx(1.515)  # untouched entries keep the shipped value


def test_bad_price_file_and_unknown_instance_are_configuration_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"prices": {"ml.g5.xlarge": -1}}))
    with pytest.raises(ConfigurationError, match="non-negative"):
        cost.load_prices(bad)
    with pytest.raises(ConfigurationError, match=cost.PRICES_FILE_ENV):
        cost.instance_price("ml.nope.large", {"ml.g5.xlarge": 1.0})


def test_amortized_and_monthly_costs():
    # 1.408 $/h over 2 req/s * 70 % * 3600 s = 5040 requests per hour
    assert cost.amortized_cost_per_request(1.408, 2.0, 0.7) == pytest.approx(1.408 / 5040)
    assert cost.endpoint_monthly_cost(1.408, 2) == pytest.approx(2055.68)
    assert cost.requests_per_instance_month(2.0, 0.7) == pytest.approx(3_679_200)
    with pytest.raises(ValueError):
        cost.requests_per_instance_month(0, 0.7)
    with pytest.raises(ValueError):
        cost.requests_per_instance_month(1, 1.5)


def test_api_costs_use_the_monoliths_figures():
    assert cost.api_cost_per_request(1000, 300, "gpt-4o-mini") == pytest.approx(0.00033)
    assert cost.api_cost_per_request(1000, 300, "claude-sonnet-4") == pytest.approx(0.0075)
    assert cost.api_cost_per_request(1_000_000, 0, cost.API_PRICES["claude-sonnet-4"]) == pytest.approx(3.0)


def test_break_even_hand_computed():
    be = cost.break_even(1.408, 2.0, 0.7, 0.00033)
    assert be.endpoint_cost_per_instance_month == pytest.approx(1027.84)
    assert be.capacity_per_instance_month == pytest.approx(3_679_200)
    assert be.first == pytest.approx(1027.84 / 0.00033)  # 3,114,666.7 requests/month
    # k0 = ceil(C*c / (C*c - P)) = ceil(1214.136 / 186.296) = 7 -> last API-cheaper step is the 6th instance
    assert be.sustained == pytest.approx(6 * 1027.84 / 0.00033)  # 18,688,000


def test_break_even_sustained_matches_brute_force_staircase():
    P, C, c = 1027.84, 3_679_200.0, 0.00033
    be = cost.break_even(1.408, 2.0, 0.7, c)

    def endpoint(n: float) -> float:
        return max(1, math.ceil(n / C)) * P

    just_below = be.sustained - 1
    assert endpoint(just_below) > just_below * c  # API still cheaper right below
    for n in (be.sustained, be.sustained * 1.01, 6 * C + 1, 10 * C + 1, 100 * C + 1):
        assert endpoint(n) <= n * c + 1e-6, n


def test_break_even_never_when_api_is_cheaper_at_full_use():
    be = cost.break_even(1.408, 2.0, 0.7, 0.0002)  # C*c = 735.8 < P = 1027.8
    assert be.first is None and be.sustained is None


def test_cost_model_summary():
    model = cost.CostModel("ml.g5.xlarge", throughput_rps=2.0, input_tokens=1000, output_tokens=300,
                           capability="job_parser")
    summary = model.summary()
    assert summary["sagemaker_cost_per_request_usd"] == pytest.approx(1.408 / 5040)
    assert summary["api_cost_per_request_usd"] == pytest.approx(0.00033)
    assert summary["monthly_endpoint_cost_usd"] == pytest.approx(1027.84)
    assert summary["break_even_requests_per_month"] == pytest.approx(1027.84 / 0.00033)
    explicit = cost.CostModel("anything", throughput_rps=1.0, price_per_hour=3.6)
    assert explicit.cost_per_request() == pytest.approx(3.6 / (1.0 * 0.7 * 3600))
