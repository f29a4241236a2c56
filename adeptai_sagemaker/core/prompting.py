"""Render capability prompts from versioned Jinja templates, safely.

Why this module is strict:
- Resumes and job descriptions are untrusted. They reach a template only as
  variables, inside a sandboxed environment with ``StrictUndefined``; Jinja
  never parses user text, so ``{{ 7*7 }}`` in a resume stays literal text.
- Each piece of user text is wrapped in a delimited data block by the
  ``data()`` template function. Delimiter look-alikes inside the text are
  neutralised so a candidate cannot close the block and smuggle instructions.
  The same block format lets the reference model (and tests) read the inputs
  back out of the rendered prompt, exactly as a production endpoint sees it.
- Oversized text is cut to a character budget with a visible marker, so a
  10 MB resume never becomes a 6 MB payload error.

Block format (stable; the reference model parses it)::

    ### TASK: job_parser
    ...instructions...
    <<<DATA job_description>>>
    the text
    <<<END job_description>>>
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

from adeptai_sagemaker.core.text import prompt_text, safe_text  # noqa: F401  (safe_text re-exported)

USER_SPLIT = "<<<USER>>>"
BASE_TEMPLATE = "_base.j2"
TASK_HEADER = "### TASK: "
_OPEN = "<<<DATA {name}>>>"
_CLOSE = "<<<END {name}>>>"
_BLOCK_RE = re.compile(r"<<<DATA (\w+)>>>\n(.*?)\n<<<END \1>>>", re.DOTALL)
_TASK_RE = re.compile(r"^### TASK: (\w+)", re.MULTILINE)
DEFAULT_INPUT_BUDGET = 24_000
TRUNCATION_MARKER = "\n[... truncated {n} characters ...]"


def truncate(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    return text[:budget] + TRUNCATION_MARKER.format(n=len(text) - budget)


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for a codec: system and user parts, and where it came from."""

    task: str
    system: str
    user: str
    template: str
    template_version: str
    template_hash: str

    @property
    def text(self) -> str:
        """System and user parts as one text, for completion-style containers."""
        return f"{self.system}\n\n{self.user}" if self.system else self.user

    def with_feedback(self, feedback: str) -> "RenderedPrompt":
        """The same prompt plus a correction note (used when re-asking)."""
        note = f"\n\nYour previous answer was rejected: {prompt_text(feedback)[:1500]}\nReply again with only the corrected JSON object."
        return RenderedPrompt(self.task, self.system, self.user + note, self.template,
                              self.template_version, self.template_hash)


@dataclass(frozen=True)
class ParsedPrompt:
    task: str | None
    blocks: dict[str, str]


def parse_prompt(text: str) -> ParsedPrompt:
    """Read the task name and data blocks back out of a rendered prompt."""
    first_block = text.find("<<<DATA ")
    head = text if first_block < 0 else text[:first_block]
    task = _TASK_RE.search(head)
    return ParsedPrompt(task.group(1) if task else None, {m.group(1): m.group(2) for m in _BLOCK_RE.finditer(text)})


def _make_data_fn(budget: int):
    def data(name: str, value: Any, limit: int | None = None) -> str:
        if not re.fullmatch(r"\w+", name):
            raise ValueError(f"invalid data block name {name!r}")
        body = truncate(prompt_text(value), limit or budget)
        return f"{_OPEN.format(name=name)}\n{body}\n{_CLOSE.format(name=name)}"

    return data


DEFAULT_TEMPLATE_PACKAGE = "adeptai_sagemaker.prompts"


def template_source(template: str) -> str:
    """The text of ``template``, read through ``importlib.resources`` (a wheel, a zip or a source tree).

    ``job_parser/v1.j2`` is read from this package's ``prompts``; a plugin's task
    names its own package first, ``"my_plugin.prompts:screening/v1.j2"``, and
    may ``{% extends "_base.j2" %}`` like the built-in templates. Raises
    ``LookupError`` (Jinja's ``TemplateNotFound`` once rendering).
    """
    package, sep, name = template.rpartition(":")
    package = package if sep else DEFAULT_TEMPLATE_PACKAGE
    try:
        resource = resources.files(package)
        for part in name.split("/"):
            if part in ("", ".", ".."):
                raise LookupError(template)
            resource = resource.joinpath(part)
        return resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, IsADirectoryError, OSError):
        raise LookupError(template) from None


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    """The sandboxed Jinja environment, built on the first render: Jinja is imported here, not when the
    package is (a framework that only routes to legacy never loads it)."""
    from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class ResourceLoader(BaseLoader):
        def get_source(self, environment, template):  # type: ignore[override]
            try:
                source = template_source(template)
            except LookupError:
                raise TemplateNotFound(template) from None
            return source, None, lambda: True  # package data does not change while the process runs

    env = ImmutableSandboxedEnvironment(
        loader=ResourceLoader(),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,  # package data does not change while the process runs: skip the check per render
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_compact"] = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True)
    return env


@functools.lru_cache(maxsize=256)
def _template(template: str) -> Any:
    """The compiled template, looked up once per name (the package's templates do not change at run time)."""
    return _environment().get_template(template)


@functools.lru_cache(maxsize=64)
def template_identity(template: str) -> tuple[str, str]:
    """(version, sha256[:12]) of a template file such as ``job_parser/v1.j2``."""
    digest = hashlib.sha256()
    for name in (BASE_TEMPLATE, template):  # every template extends the base
        digest.update(template_source(name).encode())
    version = template.rsplit("/", 1)[-1].removesuffix(".j2")
    return version, digest.hexdigest()[:12]


def render(task: str, template: str, variables: Mapping[str, Any], *, input_budget: int = DEFAULT_INPUT_BUDGET,
           output_schema: Mapping[str, Any] | str | None = None, output_outline: str | None = None) -> RenderedPrompt:
    """Render ``template`` for ``task``; user values only ever travel as variables.

    ``output_outline`` (``schema_outline``'s compact shape) replaces the full JSON Schema in the
    instructions; the pipeline passes it when the container enforces the schema as a grammar."""
    tmpl = _template(template)
    text = tmpl.render(
        dict(variables),
        task=task,
        data=_make_data_fn(input_budget),
        output_schema=output_schema if isinstance(output_schema, str)
        else json.dumps(output_schema or {}, separators=(",", ":"), sort_keys=True),
        output_outline=output_outline or "",
    )
    system, sep, user = text.partition(USER_SPLIT)
    if not sep:
        system, user = "", text
    version, digest = template_identity(template)
    return RenderedPrompt(task, system.strip(), user.strip(), template, version, digest)
