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
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

USER_SPLIT = "<<<USER>>>"
BASE_TEMPLATE = "_base.j2"
TASK_HEADER = "### TASK: "
_OPEN = "<<<DATA {name}>>>"
_CLOSE = "<<<END {name}>>>"
_BLOCK_RE = re.compile(r"<<<DATA (\w+)>>>\n(.*?)\n<<<END \1>>>", re.DOTALL)
_TASK_RE = re.compile(r"^### TASK: (\w+)", re.MULTILINE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_INPUT_BUDGET = 24_000
TRUNCATION_MARKER = "\n[... truncated {n} characters ...]"


def safe_text(value: Any, limit: int | None = None) -> str:
    """Any value as text that encodes to UTF-8; never raises. The one text sanitiser.

    ``None`` -> ``""``; bytes decoded leniently; other objects through ``str()``;
    lone surrogates and invalid sequences become U+FFFD; NULs are dropped; the
    result is cut to ``limit`` characters. The adapters clean the monolith's
    inputs with it; ``clean_text`` builds the prompt-specific rules on it.
    """
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        try:
            text = str(value)
        except Exception:
            text = ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = text.encode("utf-8", "replace").decode("utf-8")
    if "\x00" in text:
        text = text.replace("\x00", "")
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def clean_text(value: Any) -> str:
    """Make arbitrary input safe to put in a prompt: ``safe_text`` plus the prompt's rules.

    Structured values are rendered as JSON, control characters (other than
    newline/tab) are dropped, text is NFC-normalised and delimiter look-alikes
    are neutralised.
    """
    if value is not None and not isinstance(value, (str, bytes, bytearray, memoryview)):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    text = safe_text(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return text.replace("<<<", "< < <").replace(">>>", "> > >")


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
        note = f"\n\nYour previous answer was rejected: {clean_text(feedback)[:1500]}\nReply again with only the corrected JSON object."
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
        body = truncate(clean_text(value), limit or budget)
        return f"{_OPEN.format(name=name)}\n{body}\n{_CLOSE.format(name=name)}"

    return data


DEFAULT_TEMPLATE_PACKAGE = "adeptai_sagemaker.prompts"


class ResourceLoader(BaseLoader):
    """Templates read through ``importlib.resources``, so they load from a wheel, a zip or a source tree.

    ``job_parser/v1.j2`` is read from this package's ``prompts``; a plugin's task
    names its own package first, ``"my_plugin.prompts:screening/v1.j2"``, and
    may ``{% extends "_base.j2" %}`` like the built-in templates.
    """

    def get_source(self, environment, template):  # type: ignore[override]
        package, sep, name = template.rpartition(":")
        package = package if sep else DEFAULT_TEMPLATE_PACKAGE
        try:
            resource = resources.files(package)
            for part in name.split("/"):
                if part in ("", ".", ".."):
                    raise TemplateNotFound(template)
                resource = resource.joinpath(part)
            source = resource.read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, IsADirectoryError, OSError):
            raise TemplateNotFound(template) from None
        return source, None, lambda: True  # package data does not change while the process runs


@functools.lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=ResourceLoader(),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_compact"] = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True)
    return env


@functools.lru_cache(maxsize=64)
def template_identity(template: str) -> tuple[str, str]:
    """(version, sha256[:12]) of a template file such as ``job_parser/v1.j2``."""
    env = _environment()
    digest = hashlib.sha256()
    for name in (BASE_TEMPLATE, template):  # every template extends the base
        digest.update(env.loader.get_source(env, name)[0].encode())
    version = template.rsplit("/", 1)[-1].removesuffix(".j2")
    return version, digest.hexdigest()[:12]


def render(task: str, template: str, variables: Mapping[str, Any], *, input_budget: int = DEFAULT_INPUT_BUDGET,
           output_schema: Mapping[str, Any] | str | None = None, output_outline: str | None = None) -> RenderedPrompt:
    """Render ``template`` for ``task``; user values only ever travel as variables.

    ``output_outline`` (``schema_outline``'s compact shape) replaces the full JSON Schema in the
    instructions; the pipeline passes it when the container enforces the schema as a grammar."""
    env = _environment()
    tmpl = env.get_template(template)
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
