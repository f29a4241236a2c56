"""eval --compare legacy local --set captured-test: per-field agreement of the student with its captured teacher."""

from __future__ import annotations

import json

from adeptai_sagemaker.adapters.matcher import output_from_requirements
from adeptai_sagemaker.cli import main
from adeptai_sagemaker.student.dataset import split_of
from adeptai_sagemaker.plugin.tasks import input_fingerprint
from adeptai_sagemaker.capabilities.schemas import JobParserInput
from student_support import capture_framework, posting, teacher


def test_eval_prints_per_field_agreement_and_stores_offline_evidence(tmp_path, capsys, monkeypatch):
    fw = capture_framework(tmp_path, {"job_parser": {"mode": "off", "capture": True}})
    texts = [posting(i) for i in range(120)]
    for text in texts:
        fw.call("job_parser", {"job_description": text}, legacy=lambda t=text: teacher(t),
                from_legacy=output_from_requirements)
    fw.close()
    in_test = [t for t in texts if split_of(input_fingerprint(JobParserInput(job_description=t))) == "test"]
    assert in_test

    monkeypatch.setenv("ADEPTAI_LAB_MODEL", "reference")
    try:
        main(["--json", "eval", "job_parser", "--set", "captured-test", "--compare", "legacy", "local",
              "--location", str(tmp_path / "capture")])
    except SystemExit as exc:
        assert exc.code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == len(in_test) and report["compare"] == ["legacy", "local"]
    assert {"mandatory_skills", "preferred_skills", "years_experience"} <= set(report["fields"])
    for field in report["fields"].values():
        assert 0.0 <= field["agreement"] <= 1.0 and field["n"] >= 1
    assert report["gate"]["verdict"] in ("advance", "hold", "rollback")

    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.observers.evidence import store_for

    store = store_for(load_settings(env_file=None))
    stored = store.comparisons("job_parser", mode="offline")
    assert len(stored) == len(in_test) and all(row["fields"] for row in stored if row["sagemaker_ok"])
    store.close()
