"""Every module follows a live promote from another process, without restart, at all five integration points.

The stand-in monolith (``tests/monolith``) is started with every module ``off``; ``install()`` wires all
five anyway (``off`` is routed to legacy by ``Framework.call``). A separate process then runs
``promote CAP --to shadow`` and later ``--to on`` for every module against the shared state store; the
running framework's refresher picks the modes up, and the same call sites go through shadow, then the
model. The real-monolith twin of this test is in ``test_real_monolith.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

from support.adapters import CAPS, endpoint, fw_factory, scripted_endpoint, sm_calls  # noqa: F401  (fixtures)
from test_install import monolith  # noqa: F401  (the stand-in monolith, restored after the test)
from adeptai_sagemaker import adapters
from adeptai_sagemaker.plugin.hookspecs import hookimpl

PROMOTE_ALL = """
import sys
from adeptai_sagemaker.cli import main
for cap in sys.argv[2:]:
    try:
        main(["promote", cap, "--to", sys.argv[1], "--reason", "live-follow test"])
    except SystemExit as exc:
        if exc.code:
            raise
"""


class Routes:
    """Observer: (route, backend) of every finished call, per capability."""

    def __init__(self):
        self.records = []

    @hookimpl
    def on_call_finished(self, record):
        self.records.append(record)

    def take(self):
        seen = {}
        for r in self.records:
            seen.setdefault(r.capability, Counter())[(r.route, r.backend)] += 1
        self.records = []
        return seen


def promote_from_another_process(mode: str, env: dict, cwd) -> None:
    proc = subprocess.run([sys.executable, "-c", PROMOTE_ALL, mode, *CAPS], env=env, cwd=str(cwd),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def wait_for(fw, mode: str, deadline_s: float = 30.0) -> None:
    """Poll (behaviour with a deadline): every module's effective mode reaches ``mode``."""
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        if all(str(fw.mode(c)) == mode for c in CAPS):
            return
        time.sleep(0.05)
    raise AssertionError({c: str(fw.mode(c)) for c in CAPS})


def promote_env(state_dir, url) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "ADEPTAI_SAGEMAKER_"))}
    env.update({"ADEPTAI_SAGEMAKER_STATE_DIR": str(state_dir), "AWS_REGION": "us-east-1",
                "SAGEMAKER_ENDPOINT_URL": url, "SAGEMAKER_QUERY_ENHANCER_ENDPOINT": "ep-query_enhancer",
                "SAGEMAKER_BEHAVIORAL_ENDPOINT": "ep-behavioral_analyzer",
                "SAGEMAKER_MARKET_INTEL_ENDPOINT": "ep-market_intelligence",
                "SAGEMAKER_JOB_PARSER_ENDPOINT": "ep-job_parser",
                "SAGEMAKER_EXPLANATION_ENDPOINT": "ep-explanation_generator"})
    return env


def use_every_point(monolith):
    oss = monolith["optimized_search_system"].OptimizedSearchSystem(provider="openai", model="gpt-4", device="cpu")
    oss.llm_query_enhancer.enhance_query("Python developer", use_llm=True)  # the search system's :1890 call
    oss.behavioral("Senior Python engineer. Led a team.", "Python lead")
    oss.explain({"skills": ["Python"]}, "python", {"overall_score": 0.8}, 0)
    monolith["market_intelligence.api"].screen_candidates_route([{"name": "a"}])
    em = monolith["semantic_function.matcher.enhanced_matcher"]
    em.EnhancedTalentMatcher("sk", "u", "p").extract_job_requirements("Python role in Austin, TX")


def test_started_off_every_point_follows_promote_to_shadow_then_on(monolith, fw_factory, endpoint, tmp_path):
    fw = fw_factory("off", adeptai_sagemaker_mode_refresh_s=0.1)
    routes = Routes()
    fw.pm.register(routes)
    inst = adapters.install(framework=fw)
    assert set(inst.patched) == set(CAPS) and inst.skipped == {}  # off is wired too: Framework.call decides
    use_every_point(monolith)
    off = routes.take()
    assert set(off) == set(CAPS) and all(set(c) == {("legacy", "legacy")} for c in off.values()), off
    assert sum(sm_calls(endpoint, c) for c in CAPS) == 0

    env = promote_env(tmp_path / "state", endpoint.url)
    promote_from_another_process("shadow", env, tmp_path)
    wait_for(fw, "shadow")
    use_every_point(monolith)
    shadow = routes.take()
    assert set(shadow) == set(CAPS) and all(set(c) == {("shadow", "legacy")} for c in shadow.values()), shadow

    promote_from_another_process("on", env, tmp_path)
    wait_for(fw, "on")
    use_every_point(monolith)
    on = routes.take()
    assert set(on) == set(CAPS) and all(("sagemaker", "sagemaker") in c for c in on.values()), on
