"""What reaches a real endpoint carries no lab wording.

Every built-in capability's output schema (sent to the model inside the prompt and part of the
cache key) and every prompt template are product text: a phrase about the lab's stand-in model
there would be sent to production endpoints and change production cache keys.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS

LAB_WORDS = re.compile(r"reference model|stand-in|rule-based|adeptai_sagemaker_lab|\blab\b", re.IGNORECASE)


def test_no_builtin_schema_mentions_the_lab():
    offending = {spec.name: LAB_WORDS.findall(spec.schema_text + spec.schema_outline) for spec in BUILTIN_TASKS}
    assert {name: words for name, words in offending.items() if words} == {}
    assert len(offending) == 8


def test_no_prompt_template_mentions_the_lab():
    root = resources.files("adeptai_sagemaker.prompts")
    templates = [p for d in root.iterdir() if d.is_dir() for p in d.iterdir() if p.name.endswith(".j2")]
    templates += [p for p in root.iterdir() if p.name.endswith(".j2")]
    assert len(templates) >= 9
    offending = {p.name: LAB_WORDS.findall(p.read_text(encoding="utf-8")) for p in templates}
    assert {name: words for name, words in offending.items() if words} == {}
