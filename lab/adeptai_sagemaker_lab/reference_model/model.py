"""The reference model: a rendered prompt in, one schema-valid JSON object out.

The local fake endpoint answers with this model so every part of the product
runs offline through the same text-prompt path production TGI/LMI endpoints
use: the model reads the ``### TASK:`` header and the ``<<<DATA name>>>``
blocks back out of the prompt (``prompting.parse_prompt``), runs the rules for
that capability and validates its own answer against the capability's output
model before returning it. It never evaluates or executes anything it reads.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

from adeptai_sagemaker.core import prompting
from adeptai_sagemaker.plugin import tasks
from adeptai_sagemaker_lab.reference_model import behavior, candidates, explain, job_parser, market, query

PROVENANCE = "adeptai-reference-model/1 (deterministic rules, not an LLM)"
#: Inputs are cut upstream (prompting.DEFAULT_INPUT_BUDGET); this second cap keeps a
#: direct caller's 10 MB text from costing seconds.
MAX_BLOCK_CHARS = 100_000

_REQUIRED_BLOCKS: dict[str, tuple[str, ...]] = {
    "query_enhancer": ("query",),
    "behavioral_analyzer": ("resume",),
    "market_intelligence": ("request",),
    "job_parser": ("job_description",),
    "explanation_generator": ("job_query", "ranking_position", "match_scores", "candidate_profile"),
    "resume_summarizer": ("resume",),
    "question_generator": ("job_description",),
    "candidate_matcher": ("job_description", "resume"),
}
_QUESTIONS_RE = re.compile(r"Write (\d{1,3}) questions covering these types: ([a-z_, ]+)\.")
_FIRST_BLOCK_RE = re.compile(r"<<<DATA \w+>>>\n")
_MAX_WORDS_RE = re.compile(r"summary: at most (\d{1,4}) words")
_OUTPUT_MODELS = {spec.name: spec.output_model for spec in tasks.BUILTIN_TASKS}


class ReferenceModelInputError(ValueError):
    """The prompt names no known task or lacks a block the task needs (message never quotes input text)."""


def _instructions(prompt_text: str) -> str:
    """The prompt's own instructions: everything before the first data block (user text cannot reach it)."""
    first = _FIRST_BLOCK_RE.search(prompt_text)
    return prompt_text if first is None else prompt_text[:first.start()]


class ReferenceModel:
    """Deterministic, knowledge-based stand-in for an LLM endpoint."""

    provenance = PROVENANCE

    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[dict[str, str], dict[str, Any]], dict]] = {
            "query_enhancer": lambda b, o: query.enhance(b["query"], b.get("context")),
            "job_parser": lambda b, o: job_parser.parse(b["job_description"]),
            "behavioral_analyzer": lambda b, o: behavior.analyze(b["resume"], b.get("job_description", ""), b.get("target_role"),
                                                                  b.get("career_history")),
            "candidate_matcher": lambda b, o: candidates.match(b["job_description"], b["resume"]),
            "resume_summarizer": lambda b, o: candidates.summarize(b["resume"], b.get("job_description"), o.get("max_words", 80)),
            "question_generator": lambda b, o: candidates.questions(b["job_description"], b.get("resume"), o.get("num_questions", 8),
                                                                     o.get("question_types")),
            "explanation_generator": lambda b, o: explain.explain(b["job_query"], b["ranking_position"], b["match_scores"],
                                                                   b["candidate_profile"]),
            "market_intelligence": lambda b, o: market.answer(b["request"], b.get("caller_instructions", ""),
                                                              b.get("market_data", ""), b.get("focus_area", "")),
        }

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def answer(self, task: str, blocks: dict[str, str], options: Optional[dict[str, Any]] = None) -> dict:
        """The validated output dict for ``task`` given its data blocks (block name -> text)."""
        if not isinstance(task, str) or task not in self._handlers:
            raise ReferenceModelInputError("unknown or missing task; expected one of: " + ", ".join(sorted(self._handlers)))
        if not isinstance(blocks, dict):
            raise ReferenceModelInputError("blocks must be a mapping of block name to text")
        missing = [name for name in _REQUIRED_BLOCKS[task] if not isinstance(blocks.get(name), str)]
        if missing:
            raise ReferenceModelInputError(f"task {task!r} needs data block(s): {', '.join(missing)}")
        clean = {k: v[:MAX_BLOCK_CHARS] for k, v in blocks.items() if isinstance(k, str) and isinstance(v, str)}
        result = self._handlers[task](clean, dict(options or {}))
        result["provenance"] = PROVENANCE
        model = _OUTPUT_MODELS[task]
        return model.model_validate(result).model_dump(mode="json")

    def generate(self, prompt_text: str) -> str:
        """The completion for a rendered prompt: one JSON object as text."""
        if not isinstance(prompt_text, str):
            raise ReferenceModelInputError("prompt must be text")
        parsed = prompting.parse_prompt(prompt_text)
        if parsed.task is None:
            raise ReferenceModelInputError("prompt has no '### TASK: <name>' header")
        head = _instructions(prompt_text)
        options: dict[str, Any] = {}
        m = _QUESTIONS_RE.search(head)
        if m:
            options["num_questions"] = max(1, min(30, int(m.group(1))))
            options["question_types"] = [t.strip() for t in m.group(2).split(",") if t.strip()]
        m = _MAX_WORDS_RE.search(head)
        if m:
            options["max_words"] = max(20, min(400, int(m.group(1))))
        return json.dumps(self.answer(parsed.task, parsed.blocks, options), ensure_ascii=False, separators=(",", ":"))
