"""``eval --compare legacy sagemaker --set captured-test``: the student against its teacher, field by field.

The captured test part (``dataset.split_of``: never trained on) holds each
input's teacher answer already in the output schema; the student answers the
same request through ``Framework.invoke`` (the production render, codec,
validation and re-ask path). Each pair is compared with the gate's own
metric (``rollout/agreement.py``'s ``compare`` with the capability's field
specs), and the results are written as one evidence batch with mode ``offline``
through the interface every state store implements (``add_evidence``, so on
SQLite and DynamoDB alike), where ``offline_decision`` pools them and applies
the gate's shadow criteria (``gate.decide_pooled``): evidence before a single
live shadow call is made.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from adeptai_sagemaker.core.errors import AdeptSageMakerError
from adeptai_sagemaker.plugin.calls import ShadowComparison
from adeptai_sagemaker.rollout.agreement import CAPABILITY_FIELDS, compare
from adeptai_sagemaker.student.capture import iter_lines
from adeptai_sagemaker.student.dataset import split_of

OFFLINE_MODE = "offline"


def captured_test(location: str, capability: str, *, client: Any = None) -> list[dict]:
    """The captured examples of the test part, one per input (the newest), in input-hash order."""
    latest: dict[str, dict] = {}
    for line in iter_lines(location, capability, client=client):
        if line.get("kind") != "example" or line.get("capability") != capability or not line.get("input_hash"):
            continue
        if split_of(line["input_hash"]) != "test":
            continue
        previous = latest.get(line["input_hash"])
        if previous is None or previous.get("time", 0) <= line.get("time", 0):
            latest[line["input_hash"]] = line
    return [latest[h] for h in sorted(latest)]


@dataclass
class OfflineReport:
    capability: str
    backend: str
    n: int = 0
    answered: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    agree: int = 0
    fields: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> n, agreement, mean_score
    comparisons: list[ShadowComparison] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {"capability": self.capability, "set": "captured-test", "compare": ["legacy", self.backend],
                "n": self.n, "answered": self.answered, "failed": self.failed,
                "agreement": self.agree / self.answered if self.answered else None, "fields": self.fields}


def compare_captured(framework: Any, capability: str, records: list[dict], *, backend: str = "sagemaker",
                     limit: Optional[int] = None) -> OfflineReport:
    """Ask ``backend`` every captured test request and compare with the teacher's answer."""
    report = OfflineReport(capability, backend)
    specs = CAPABILITY_FIELDS.get(capability, {})
    sums: dict[str, list[float]] = {}
    for record in records[:limit] if limit else records:
        report.n += 1
        started = time.perf_counter()
        try:
            student = framework.invoke(capability, record["request"], backend=backend)
        except AdeptSageMakerError as exc:
            report.failed[exc.code] = report.failed.get(exc.code, 0) + 1
            report.comparisons.append(ShadowComparison(capability, record["input_hash"], None, False,
                                                       time.perf_counter() - started, exc.reason, mode=OFFLINE_MODE))
            continue
        elapsed = time.perf_counter() - started
        result = compare(record["output"], student.model_dump(mode="json", exclude={"provenance"}), specs)
        report.answered += 1
        report.agree += bool(result.agree)
        for name, outcome in result.fields.items():
            n_agree_score = sums.setdefault(name, [0, 0, 0.0])
            n_agree_score[0] += 1
            n_agree_score[1] += int(outcome.agree)
            n_agree_score[2] += outcome.score
        report.comparisons.append(ShadowComparison(capability, record["input_hash"], result.score, True, elapsed,
                                                   None, mode=OFFLINE_MODE, agree=result.agree, fields=result.fields,
                                                   not_comparable=result.not_comparable))
    report.fields = {name: {"n": n, "agreement": agree / n, "mean_score": total / n}
                     for name, (n, agree, total) in sorted(sums.items())}
    return report


def store_offline(store: Any, report: OfflineReport, *, host: str = "local", now: Optional[float] = None) -> int:
    """Write the comparisons to the evidence store as one batch under mode ``offline``; returns how many.

    Through ``add_evidence``, the write every store implements (``rollout/state/base.py``): SQLite keeps the
    rows, DynamoDB one pooled item. The batch's key is fixed here, so a retried write counts once.
    """
    from adeptai_sagemaker.observers.evidence import comparison_row
    from adeptai_sagemaker.rollout.state.base import BOOT_ID, EvidenceBatch

    ts = time.time() if now is None else now
    rows = [comparison_row(c, ts) for c in report.comparisons]
    if rows:
        store.add_evidence(EvidenceBatch(f"{host}#{BOOT_ID}#{OFFLINE_MODE}#{uuid.uuid4().hex[:12]}", host, ts,
                                         [], rows))
    return len(rows)


def offline_decision(store: Any, settings: Any, capability: str) -> Any:
    """The gate's shadow verdict over the offline evidence alone (``advance`` = ready for shadow)."""
    return _decide_offline(store.evidence(capability, OFFLINE_MODE), settings, capability)


def offline_verdict(store: Any, settings: Any, capability: str) -> Optional[dict]:
    """``offline_decision`` as a dict when offline evidence of ``capability`` was stored, else ``None``.

    What ``promote MODULE`` shows from ``off``: the student's agreement with its teacher on the captured
    test part, judged by the shadow step's criteria, before a single live shadow call is made.
    """
    per_host = store.evidence(capability, OFFLINE_MODE)
    if not any(agg.count("attempted") for agg in per_host.values()):
        return None
    return _decide_offline(per_host, settings, capability).as_dict()


def _decide_offline(per_host: dict, settings: Any, capability: str) -> Any:
    """The gate's own pooling and decision (``rollout/gate.py``), at the shadow step, over offline evidence."""
    from adeptai_sagemaker.rollout.gate import Thresholds, decide_pooled

    return decide_pooled(capability, "shadow", per_host, Thresholds.from_settings(settings, capability))
