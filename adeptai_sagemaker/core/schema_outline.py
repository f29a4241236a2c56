"""A compact, JSON-like outline of an output schema, for prompts whose decoding a grammar constrains.

The full JSON Schema is about three quarters of every prompt, and small models
copy constants out of it (``maxLength`` 200, ``maximum`` 60, example values in
descriptions). When the container enforces the schema as a grammar, the model
needs only the shape: every key, its type, the allowed enum values and the
scale of a score. The outline says exactly that and nothing it could copy::

    {"title": string|null, "mandatory_skills": [string], "work_mode": "onsite"|"hybrid"|"remote"|null,
     "salary_range": {"min": number|null, ...}|null, "overall_score": number 0..1}

Integer bounds, sanity caps, lengths and item counts are left out (the grammar
and the validator still enforce them), and so are optional keys (``provenance``);
a score's range (a float bounded by at most 100) is kept because it is the scale
the answer is read on (0..1 versus 0..100).
"""

from __future__ import annotations

import json
import math
from typing import Any


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _render(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        return _render(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        return "|".join(dict.fromkeys(_render(option, defs) for option in node["anyOf"]))
    if "enum" in node:
        return "|".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties") or {}
        if not props:
            extra = node.get("additionalProperties")
            value = _render(extra, defs) if isinstance(extra, dict) and extra else "any"
            return "{string: " + value + "}"
        required = set(node.get("required") or props)
        return "{" + ", ".join(f"{json.dumps(k)}: {_render(v, defs)}" for k, v in props.items() if k in required) + "}"
    if kind == "array":
        items = node.get("items")
        return "[" + (_render(items, defs) if isinstance(items, dict) and items else "any") + "]"
    if kind == "number" and "minimum" in node and node.get("maximum", math.inf) <= 100:
        return f"number {_fmt(node['minimum'])}..{_fmt(node['maximum'])}"
    if kind in ("string", "integer", "number", "boolean", "null"):
        return kind
    return "any"


def schema_outline(schema: dict[str, Any]) -> str:
    """The outline of a pydantic-generated JSON Schema (``$defs``/``$ref``, ``anyOf``, enums)."""
    return _render(schema, schema.get("$defs") or {})
