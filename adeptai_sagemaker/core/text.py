"""The one text cleaner: every piece of outside text passes ``safe_text``; prompts add ``prompt_text``'s rules.

Kept apart from ``prompting`` (which loads Jinja) so the adapters can clean
the monolith's inputs without importing the template machinery.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_text(value: Any, limit: int | None = None) -> str:
    """Any value as text that encodes to UTF-8; never raises. The one text sanitiser.

    ``None`` -> ``""``; bytes decoded leniently; other objects through ``str()``;
    lone surrogates and invalid sequences become U+FFFD; NULs are dropped; the
    result is cut to ``limit`` characters. The adapters clean the monolith's
    inputs with it; ``prompt_text`` builds the prompt-specific rules on it.
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


def prompt_text(value: Any) -> str:
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
