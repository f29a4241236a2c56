"""Canary bucketing (stable, monotonic) and the circuit breaker state machine."""

from adeptai_sagemaker.core.breaker import BreakerConfig, CircuitBreaker
from adeptai_sagemaker.core.routing import bucket, route_for
from adeptai_sagemaker.core.settings import Mode

KEYS = [f"candidate-{i}" for i in range(10_000)]


def test_canary_share_is_close_to_percent_and_monotonic():
    at10 = {k for k in KEYS if route_for(Mode("canary", 10), "job_parser", k)[0] == "sagemaker"}
    at50 = {k for k in KEYS if route_for(Mode("canary", 50), "job_parser", k)[0] == "sagemaker"}
    assert 900 <= len(at10) <= 1100
    assert 4700 <= len(at50) <= 5300
    assert at10 <= at50  # raising N only adds keys


def test_bucketing_is_sticky_and_per_capability():
    assert [bucket("job_parser", k) for k in KEYS[:100]] == [bucket("job_parser", k) for k in KEYS[:100]]
    differs = sum(bucket("job_parser", k) != bucket("query_enhancer", k) for k in KEYS[:1000])
    assert differs > 900  # independent per module, so one module's canary isn't another's


def test_modes_route():
    assert route_for(Mode("off"), "x", "k") == ("legacy", None)
    assert route_for(Mode("shadow"), "x", "k") == ("shadow", None)
    assert route_for(Mode("on"), "x", "k") == ("sagemaker", None)
    assert route_for(Mode("canary", 0), "x", "k")[0] == "legacy"
    assert route_for(Mode("canary", 100), "x", "k")[0] == "sagemaker"


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_breaker_trips_on_consecutive_failures_and_recovers_via_probe():
    clock = Clock()
    changes = []
    b = CircuitBreaker("ep", BreakerConfig(consecutive_failures=3, failure_rate=1.0, window=100, cooldown_s=10),
                       on_change=lambda n, s, r: changes.append(s), clock=clock)
    for _ in range(2):
        assert b.allow()
        b.record_failure("throttled")
    assert b.state == "closed"
    b.record_failure("throttled")
    assert b.state == "open" and not b.allow()
    clock.t = 9.9
    assert not b.allow()
    clock.t = 10.0
    assert b.allow()  # the single half-open probe
    assert not b.allow()  # a second concurrent probe is refused
    b.record_failure("still down")
    assert b.state == "open"
    clock.t = 20.0
    assert b.allow()
    b.record_success()
    assert b.state == "closed" and b.allow()
    assert changes == ["open", "half_open", "open", "half_open", "closed"]


def test_breaker_trips_on_failure_rate():
    b = CircuitBreaker("ep", BreakerConfig(consecutive_failures=100, failure_rate=0.5, window=10, cooldown_s=5),
                       clock=Clock())
    for i in range(10):
        if b.state == "open":
            break
        (b.record_failure if i % 2 else b.record_success)()
    assert b.state == "open"
