"""Every export format against a golden file of its documented shape (docs/wire-formats.md, "Student datasets")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adeptai_sagemaker.student import dataset, formats
from adeptai_sagemaker.student.capture import LocalShards

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "student"
EXAMPLES = [  # input hashes chosen so each lands in another part (dataset.split_of)
    ("00000005" + "a" * 56, "You extract job requirements.", "<<<DATA job_description>>>\nPython, 3 years\n<<<END>>>",
     {"title": None, "mandatory_skills": ["Python"], "years_experience": 3}),
    ("0000000f" + "b" * 56, "You extract job requirements.", "<<<DATA job_description>>>\nGo, remote\n<<<END>>>",
     {"title": None, "mandatory_skills": ["Go"], "work_mode": "remote"}),
    ("00000032" + "c" * 56, "", "<<<DATA job_description>>>\nReact\n<<<END>>>",
     {"title": "Frontend", "mandatory_skills": ["React"]}),
]


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    root = tmp_path_factory.mktemp("capture")
    shards = LocalShards(root)
    for i, (input_hash, system, user, output) in enumerate(EXAMPLES):
        shards.write("job_parser", json.dumps({"kind": "example", "capability": "job_parser", "time": i,
                                               "input_hash": input_hash, "template_version": "job_parser/v1.j2@x",
                                               "schema_hash": "s", "system": system, "user": user,
                                               "output": output, "redactions": {}}))
    shards.close()
    return str(root)


def test_the_examples_cover_every_part():
    assert sorted(dataset.split_of(h) for h, *_ in EXAMPLES) == ["test", "train", "validation"]


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_export_matches_its_golden_file(captured, tmp_path, fmt):
    dataset.build(captured, "job_parser", tmp_path, fmt)
    texts = {part: (tmp_path / f"{part}.jsonl").read_text(encoding="utf-8") for part in dataset.SPLITS}
    assert all(text.endswith("\n") and text.count("\n") == 1 for text in texts.values())  # one JSON line each
    got = {part: json.loads(text) for part, text in texts.items()}  # golden files are readable JSON
    if fmt == "jumpstart":
        got["template.json"] = json.loads((tmp_path / "template.json").read_text(encoding="utf-8"))
    golden = GOLDEN / f"{fmt}.json"
    if os.environ.get("UPDATE_GOLDEN_FILES"):
        golden.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))


def _lines(directory):
    return [json.loads(line) for part in dataset.SPLITS
            for line in (directory / f"{part}.jsonl").read_text().splitlines()]


def test_jumpstart_lines_have_exactly_the_template_fields(captured, tmp_path):
    dataset.build(captured, "job_parser", tmp_path, "jumpstart")
    template = json.loads((tmp_path / "template.json").read_text())
    assert set(template) == {"prompt", "completion"}
    for line in _lines(tmp_path):
        assert set(line) == {"instruction", "input", "output"}
        assert template["prompt"].format(**line) and json.loads(template["completion"].format(**line))


def test_chat_dialogs_alternate_user_then_assistant(captured, tmp_path):
    dataset.build(captured, "job_parser", tmp_path, "chat")
    for line in _lines(tmp_path):
        assert list(line) == ["dialog"] and [t["role"] for t in line["dialog"]] == ["user", "assistant"]
        assert json.loads(line["dialog"][1]["content"])


def test_messages_and_bedrock_shapes(captured, tmp_path):
    dataset.build(captured, "job_parser", tmp_path / "m", "messages")
    for line in _lines(tmp_path / "m"):
        assert [t["role"] for t in line["messages"]][-2:] == ["user", "assistant"]
    dataset.build(captured, "job_parser", tmp_path / "b", "bedrock")
    for line in _lines(tmp_path / "b"):
        assert line["schemaVersion"] == "bedrock-conversation-2024"
        assert [m["role"] for m in line["messages"]] == ["user", "assistant"]
        assert all(set(c) == {"text"} for m in line["messages"] for c in m["content"])
        assert "system" not in line or all(set(s) == {"text"} for s in line["system"])


def test_card_without_matplotlib_says_so(captured, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    card = dataset.build(captured, "job_parser", tmp_path, "jumpstart")
    assert card.chart.startswith("no chart: matplotlib is not installed")
    assert "matplotlib is not installed" in (tmp_path / "card.md").read_text()
    assert not (tmp_path / "card.png").exists()
