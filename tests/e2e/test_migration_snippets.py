"""MIGRATION.md's phase-0 code runs as written: step 2 (install) then step 5 (metrics export).

The snippets are read out of MIGRATION.md, not copied here, so the document and
the code cannot drift apart. They run in a fresh interpreter (as in a monolith
worker) against the local endpoint; the EMF lines the exporter prints at exit
(the ``atexit`` flush the snippet registers) must count the call.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def phase0_snippets() -> tuple[str, str]:
    text = (ROOT / "MIGRATION.md").read_text(encoding="utf-8")
    phase0 = text[text.index("## Phase 0"):text.index("## Metrics to watch")]
    blocks = [re.sub(r"^   ", "", b, flags=re.M) for b in re.findall(r"```python\n(.*?)```", phase0, re.S)]
    install = next(b for b in blocks if "install_from_env()" in b)
    export = next(b for b in blocks if "PeriodicExport" in b)
    return install, export


def test_step_5_snippet_exports_the_calls_as_emf(local_endpoint, tmp_path):
    install, export = phase0_snippets()
    assert "installation = install_from_env()" in install and "atexit.register(metrics_export.stop)" in export
    program = "\n".join([install, export, (
        "installation.framework.call('job_parser', {'job_description': 'Senior Python engineer, AWS required.'})\n"
        "print('call done', flush=True)\n")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_", "AWS_"))}
    env.update({"ADEPTAI_SAGEMAKER_INSTALL": "true", "SAGEMAKER_ENDPOINT_URL": local_endpoint.url,
                "SAGEMAKER_JOB_PARSER_ENDPOINT": "ref-tgi", "SAGEMAKER_JOB_PARSER_MODE": "on",
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "LOCALENDPOINT",
                "AWS_SECRET_ACCESS_KEY": "LOCALENDPOINT", "ADEPTAI_SAGEMAKER_CACHE_DIR": str(tmp_path / "cache"),
                "ADEPTAI_SAGEMAKER_STATE_DIR": str(tmp_path / "state")})
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    after = result.stdout.split("call done", 1)[1]  # printed by the atexit flush, after the call
    docs = [json.loads(line) for line in after.splitlines() if line.startswith("{")]
    job = [d for d in docs if d.get("Capability") == "job_parser"]
    assert job, result.stdout[-2000:]
    doc = job[0]
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "AdeptAI/SageMakerLLM"
    assert doc["Invocations"] == 1 and doc["Successes"] == 1 and doc["Endpoint"] == "ref-tgi"


class _Ticks:
    """A stop event whose ``wait`` returns at once: ``ticks`` intervals, then "stopped"."""

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks
        self.was_set = threading.Event()

    def wait(self, timeout: float) -> bool:
        if self.ticks:
            self.ticks -= 1
            return False
        return True

    def set(self) -> None:
        self.was_set.set()


class _Exporter:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    def flush(self):
        self.calls += 1
        if self.fail_first and self.calls == 1:
            raise ConnectionError("CloudWatch unreachable")


def test_periodic_export_flushes_every_interval_and_once_more_on_stop():
    from adeptai_sagemaker.observers.metrics import PeriodicExport

    exporter = _Exporter()
    export = PeriodicExport(exporter, interval_s=60, stop_event=_Ticks(2))
    export.stop()
    assert exporter.calls == 3 and export.flushes == 3


def test_a_failed_flush_is_logged_and_the_next_interval_tries_again(caplog):
    from adeptai_sagemaker.observers.metrics import PeriodicExport

    exporter = _Exporter(fail_first=True)
    export = PeriodicExport(exporter, interval_s=60, stop_event=_Ticks(1))
    export.stop()
    assert exporter.calls == 2 and export.flushes == 1
    assert "metrics export failed: ConnectionError" in caplog.text and "unreachable" not in caplog.text
