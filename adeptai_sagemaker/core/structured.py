"""Turn a model's text into a validated pydantic object, or say exactly why not.

Models wrap JSON in prose or code fences, echo the prompt, or drift from the
schema. We extract the first balanced JSON object, reject pathological JSON
quickly (huge documents, deep nesting, absurd numbers: a "JSON bomb" must not
cost seconds), and validate against the capability's schema. The caller
re-asks a bounded number of times with the error text; there are no "neutral
defaults with high confidence" anywhere.
"""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

MAX_OUTPUT_CHARS = 200_000
MAX_DEPTH = 24
MAX_NUMBER_CHARS = 40
_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_LONG_NUMBER_RE = re.compile(r"[-+]?\d[\d.eE+-]{%d,}" % MAX_NUMBER_CHARS)
M = TypeVar("M", bound=BaseModel)


class OutputParseError(ValueError):
    """The text holds no acceptable JSON object; ``str()`` is safe to log (no model text)."""


def _balanced_object(text: str, start: int) -> str | None:
    depth = 0
    in_string = False
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                raise OutputParseError(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, counting objects and arrays as ``_balanced_object`` does."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_DECODER = json.JSONDecoder()


def _decode_at(candidate: str, start: int) -> dict | None:
    """The usual case at C speed: a well-formed object starts at ``start``. ``None`` sends the caller to
    the character scan, which explains what is wrong (truncated, invalid, too deep) and looks further."""
    try:
        value, end = _DECODER.raw_decode(candidate, start)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    brackets = candidate.count("{", start, end) + candidate.count("[", start, end)  # bounds the depth
    if brackets > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        return None
    if _LONG_NUMBER_RE.search(candidate, start, end):
        raise OutputParseError(f"JSON contains a number longer than {MAX_NUMBER_CHARS} characters")
    return value


def extract_json_object(text: str) -> dict:
    """The first JSON object in ``text`` (fenced or bare, surrounded by chatter or not)."""
    if len(text) > MAX_OUTPUT_CHARS:
        raise OutputParseError(f"model output longer than {MAX_OUTPUT_CHARS} characters")
    candidates = [m.group(1) for m in _FENCE_RE.finditer(text)] + [text]
    last_error = "no JSON object found in the model output"
    for candidate in candidates:
        start = candidate.find("{")
        if start != -1:
            value = _decode_at(candidate, start)
            if value is not None:
                return value
        while start != -1:
            blob = _balanced_object(candidate, start)
            if blob is None:
                last_error = "JSON object is truncated (unbalanced braces)"
                break
            if _LONG_NUMBER_RE.search(blob):
                raise OutputParseError(f"JSON contains a number longer than {MAX_NUMBER_CHARS} characters")
            try:
                value = json.loads(blob)
            except json.JSONDecodeError as exc:
                last_error = f"invalid JSON: {exc.msg} at position {exc.pos}"
                start = candidate.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = candidate.find("{", start + 1)
    raise OutputParseError(last_error)


def describe_validation_error(exc: ValidationError, limit: int = 8) -> str:
    """A compact, model-readable summary of what is wrong (field paths and messages, no values)."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def parse_output(text: str, model: type[M]) -> M:
    """Extract and validate; raises ``OutputParseError`` with a loggable, value-free message."""
    data = extract_json_object(text)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise OutputParseError("schema validation failed: " + describe_validation_error(exc)) from None
