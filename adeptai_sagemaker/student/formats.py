"""Export formats for fine-tuning, each in its documented shape (``docs/wire-formats.md``, "Student datasets").

One example is ``(system, user, output)``: the rendered prompt the student
will be sent (the same template the pipeline renders, ``pipeline.render_prompt``)
and the teacher's answer as compact JSON text, the exact text the student
must learn to produce.

- ``jumpstart``: SageMaker JumpStart instruction tuning. ``train.jsonl`` lines
  ``{"instruction", "input", "output"}`` (the migration plan's record shape)
  and a ``template.json`` ``{"prompt", "completion"}`` whose placeholders name
  those fields; trained with ``instruction_tuned="True"``.
- ``chat``: JumpStart chat tuning, ``{"dialog": [user, assistant]}``
  (``chat_dataset="True"``). The dialog alternates user and assistant, so the
  system part leads the user turn.
- ``messages``: ``{"messages": [system, user, assistant]}``, the OpenAI chat
  shape SageMaker's and Hugging Face TRL's SFT trainers take.
- ``bedrock``: Amazon Bedrock's ``bedrock-conversation-2024``
  (``schemaVersion``, ``system: [{"text"}]``, ``messages`` with ``content:
  [{"text"}]``), for Bedrock customisation and distillation.
"""

from __future__ import annotations

import json
from typing import Any, Callable

FORMATS = ("jumpstart", "chat", "messages", "bedrock")
#: The JumpStart instruction template: placeholders are the train.jsonl field names.
JUMPSTART_TEMPLATE = {
    "prompt": "{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    "completion": "{output}",
}
#: Formats a JumpStart training job takes, with the hyperparameter that says which.
JUMPSTART_FLAGS = {"jumpstart": "instruction_tuned", "chat": "chat_dataset"}


def answer_text(output: Any) -> str:
    """The teacher's answer as the student must write it: compact JSON, schema field order."""
    return json.dumps(output, ensure_ascii=False, separators=(",", ":"))


def _joined(system: str, user: str) -> str:
    return f"{system}\n\n{user}" if system else user


def jumpstart(system: str, user: str, output: Any) -> dict:
    return {"instruction": system, "input": user, "output": answer_text(output)}


def chat(system: str, user: str, output: Any) -> dict:
    return {"dialog": [{"role": "user", "content": _joined(system, user)},
                       {"role": "assistant", "content": answer_text(output)}]}


def messages(system: str, user: str, output: Any) -> dict:
    turns = [{"role": "system", "content": system}] if system else []
    return {"messages": turns + [{"role": "user", "content": user},
                                 {"role": "assistant", "content": answer_text(output)}]}


def bedrock(system: str, user: str, output: Any) -> dict:
    line: dict = {"schemaVersion": "bedrock-conversation-2024"}
    if system:
        line["system"] = [{"text": system}]
    line["messages"] = [{"role": "user", "content": [{"text": user}]},
                        {"role": "assistant", "content": [{"text": answer_text(output)}]}]
    return line


WRITERS: dict[str, Callable[[str, str, Any], dict]] = {
    "jumpstart": jumpstart, "chat": chat, "messages": messages, "bedrock": bedrock}


def line_for(fmt: str, system: str, user: str, output: Any) -> str:
    """One JSONL line of ``fmt`` for an example."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown dataset format {fmt!r}; known: {', '.join(FORMATS)}") from None
    return json.dumps(writer(system or "", user or "", output), ensure_ascii=False)
