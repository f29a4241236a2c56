"""Teacher capture through Framework.call: what is stored, what is counted, what never leaves the host unredacted."""

from __future__ import annotations

import json
import re

import pytest

from adeptai_sagemaker.adapters.matcher import output_from_requirements
from adeptai_sagemaker.cli import main
from adeptai_sagemaker.student.capture import LocalShards, S3Shards, TeacherCapture, iter_lines, purge
from student_support import ServeFixed, all_text, capture_framework, posting, read_jsonl, teacher

EMAIL_RE = re.compile(r"recruiter\d+@example\.com|alex\.example@mail\.test")
PHONE_RE = re.compile(r"\(555\) 010-\d{4}|\+1 415 555 0199")


def run_job_parser_calls(fw, n=500, distinct=400, invalid_every=50):
    """``n`` shadow calls over ``distinct`` postings; every ``invalid_every``-th teacher answer breaks the schema."""
    for i in range(n):
        text = posting(i % distinct)

        def legacy(text=text, i=i):
            answer = teacher(text)
            if i % invalid_every == 0:
                answer["years_experience"] = 99  # over the schema's 60: counted, never stored
            return answer

        result = fw.call("job_parser", {"job_description": text}, legacy=legacy, from_legacy=output_from_requirements)
        assert result.from_legacy


def test_500_shadow_calls_yield_a_dataset_with_no_input_in_two_parts(tmp_path):
    fw = capture_framework(tmp_path, {"job_parser": {"mode": "shadow", "capture": True}}, plugins=[ServeFixed()])
    run_job_parser_calls(fw)
    fw.close()
    invalid = len([i for i in range(500) if i % 50 == 0])
    stored = fw.capture.totals.stored["job_parser"]
    assert fw.capture.totals.invalid["job_parser"] == invalid
    assert stored == 500 - invalid

    examples = [line for line in iter_lines(str(tmp_path / "capture"), "job_parser") if line["kind"] == "example"]
    assert len(examples) == stored
    first = examples[0]
    assert set(first["output"]) == {"title", "mandatory_skills", "preferred_skills", "years_experience",
                                    "education_level", "location", "work_mode", "salary_range", "seniority_level",
                                    "employment_type"}  # the output schema, not the matcher's shape
    assert first["output"]["work_mode"] == "remote" and first["output"]["education_level"] == "bachelor"
    assert first["template_version"].startswith("job_parser/v1.j2@") and len(first["schema_hash"]) == 12
    assert "job_parser" in first["system"] + first["user"] and first["mode"] == "shadow"

    out = tmp_path / "ds"
    assert main_ok(["dataset", "build", "job_parser", "--out", str(out), "--location", str(tmp_path / "capture")])
    parts = {name: read_jsonl(out / f"{name}.jsonl") for name in ("train", "validation", "test")}
    inputs = {name: {row["input"] for row in rows} for name, rows in parts.items()}
    assert all(parts.values()), {k: len(v) for k, v in parts.items()}
    assert not (inputs["train"] & inputs["validation"] or inputs["train"] & inputs["test"]
                or inputs["validation"] & inputs["test"])
    distinct_valid = len({i % 400 for i in range(500) if i % 50 != 0})
    assert sum(len(rows) for rows in parts.values()) == distinct_valid
    card = json.loads((out / "dataset.json").read_text())
    assert card["duplicates_removed"] == stored - distinct_valid
    assert card["invalid_teacher_answers"] == invalid
    assert card["redactions"]["email"] >= stored and card["redactions"]["phone"] >= stored
    assert (out / "template.json").is_file() and "invalid teacher answers" in (out / "card.md").read_text()
    # recruiters' emails and phones are in every input and in no captured or exported file
    for directory in (tmp_path / "capture", out):
        text = all_text(directory)
        assert not EMAIL_RE.search(text) and not PHONE_RE.search(text)
        assert "[EMAIL]" in text and "[PHONE]" in text


def main_ok(argv) -> bool:
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code == 0
    return True


RESUME = ("Alex Example, alex.example@mail.test, +1 415 555 0199, 12 Market Street, San Francisco. "
          "Seven years of Python on AWS; led a team of four.")
BEHAVIOUR = {"overall_score": 0.7, **{k: 0.6 for k in (
    "leadership_score", "collaboration_score", "innovation_score", "adaptability_score", "stability_score",
    "growth_potential", "emotional_intelligence", "stress_resilience", "communication_effectiveness",
    "technical_depth", "learning_agility", "problem_solving_ability", "cultural_alignment", "technical_fit",
    "cultural_fit", "confidence", "data_completeness")}, "work_style_preferences": ["remote"],
    "strengths": ["Mentoring (alex.example@mail.test)"], "development_areas": [], "behavioral_patterns": [],
    "risk_factors": [], "detected_domain": "tech", "current_level": "senior", "reasoning": "Call +1 415 555 0199."}


def test_a_pii_module_needs_the_second_opt_in(tmp_path):
    fw = capture_framework(tmp_path, {"behavioral_analyzer": {"mode": "off", "capture": True}})
    assert fw.capture is None  # CAPTURE alone is not enough for a module whose input is personal data
    fw.call("behavioral_analyzer", {"resume_text": RESUME}, legacy=lambda: dict(BEHAVIOUR))
    fw.close()
    assert not (tmp_path / "capture").exists()


def test_a_pii_module_with_both_opt_ins_is_captured_redacted_and_exported_redacted(tmp_path):
    fw = capture_framework(tmp_path, {"behavioral_analyzer": {"mode": "off", "capture": True, "capture_pii": True}})
    for i in range(30):
        fw.call("behavioral_analyzer", {"resume_text": f"{RESUME} Case {i}."}, legacy=lambda: dict(BEHAVIOUR))
    fw.close()
    assert fw.capture.totals.stored["behavioral_analyzer"] == 30
    for fmt in ("jumpstart", "chat", "messages", "bedrock"):
        assert main_ok(["dataset", "build", "behavioral_analyzer", "--out", str(tmp_path / fmt), "--format", fmt,
                        "--location", str(tmp_path / "capture")])
    text = all_text(tmp_path)
    assert "alex.example@mail.test" not in text and "415 555 0199" not in text and "12 Market Street" not in text
    assert "[ADDRESS]" in text


class Exploding:
    def write(self, capability, line):
        raise OSError("disk full")

    def flush(self):
        raise OSError("disk full")

    def close(self):
        raise OSError("disk full")


def test_capture_never_fails_a_call(tmp_path):
    fw = capture_framework(tmp_path, {"job_parser": {"mode": "off", "capture": True}})
    fw.capture.store = Exploding()
    for i in range(5):
        result = fw.call("job_parser", {"job_description": posting(i)}, legacy=lambda i=i: teacher(posting(i)),
                         from_legacy=lambda value: 1 / 0 if value["years_experience"] == 2 else
                         output_from_requirements(value))
        assert result.answer["mandatory_skills"]
    fw.close()
    assert fw.capture.totals.invalid["job_parser"] == 1  # the from_legacy that raised
    assert fw.capture.counts.failed["_store"] >= 1  # the store that raised, counted


def test_rate_samples_on_the_callers_thread_and_a_full_queue_drops(tmp_path):
    draws = iter([0.05, 0.5, 0.2, 0.9])
    capture = TeacherCapture(LocalShards(tmp_path), {"job_parser": 0.3}, rng=lambda: next(draws), queue_size=1)
    capture._pid = -1  # noqa: SLF001  (no writer thread: the queue stays full after one example)
    capture._start = lambda: None  # noqa: SLF001

    class Answer:
        capability = "job_parser"

    for _ in range(4):
        capture.on_legacy_answer(Answer())
    assert capture.counts.sampled_out["job_parser"] == 2  # 0.5 and 0.9 are at or over the rate 0.3
    assert capture.counts.dropped["job_parser"] == 1  # 0.05 queued, 0.2 found the queue full


def test_local_shards_rotate_and_stay_bounded(tmp_path):
    shards = LocalShards(tmp_path, shard_records=10, max_bytes=2500)
    for i in range(100):
        shards.write("job_parser", json.dumps({"kind": "example", "i": i, "pad": "x" * 40}))
    shards.close()
    files = sorted((tmp_path / "job_parser").glob("*.jsonl"))
    # rotated every 10 records; a shard of the last records is 10 lines of 80 bytes, and the oldest shards are
    # deleted once the folder passes 2500 bytes: 3 whole shards (2400 bytes) are what stays
    shard_bytes = 10 * (len(json.dumps({"kind": "example", "i": 99, "pad": "x" * 40})) + 1)
    assert len(files) == 2500 // shard_bytes == 3
    assert sum(f.stat().st_size for f in files) <= 2500
    kept = [line["i"] for line in iter_lines(str(tmp_path), "job_parser")]
    assert kept == list(range(70, 100))  # the newest 30 survive, in order


def test_s3_shards_put_one_object_per_shard_never_per_call(tmp_path):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="capture")
        shards = S3Shards("s3://capture/fleet", client=s3, shard_records=40)
        for i in range(100):
            shards.write("job_parser", json.dumps({"kind": "example", "i": i}))
        shards.close()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="capture")["Contents"]]
        assert len(keys) == 3 and all(k.startswith("fleet/job_parser/") for k in keys)
        assert [line["i"] for line in iter_lines("s3://capture/fleet", "job_parser", client=s3)] == list(range(100))
        assert purge("s3://capture/fleet", capabilities=["job_parser"], client=s3) == 3
        assert s3.list_objects_v2(Bucket="capture").get("KeyCount") == 0


def test_purge_by_age_keeps_recent_shards(tmp_path):
    import os

    shards = LocalShards(tmp_path, shard_records=1)
    for i in range(3):
        shards.write("job_parser", json.dumps({"kind": "example", "i": i}))
    old = sorted((tmp_path / "job_parser").glob("*.jsonl"))[0]
    os.utime(old, (0, 0))
    assert purge(str(tmp_path), older_than_s=86400) == 1
    assert purge(str(tmp_path)) == 0  # neither age nor module: nothing
    assert len(list((tmp_path / "job_parser").glob("*.jsonl"))) == 2
