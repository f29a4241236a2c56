"""PII redaction applied to every captured record before it is written.

Emails, phone numbers, URLs and street addresses are replaced by typed
placeholders (``[EMAIL]``, ``[PHONE]``, ``[URL]``, ``[ADDRESS]``) so a student
model learns where such values go without ever seeing one. Patterns, not a
named-entity model: they are deterministic, cost microseconds, and need no
model download on a production host (Microsoft Presidio, the usual library,
pulls spaCy models; this package keeps its install light). What they catch
and miss is pinned by ``tests/student/test_redact.py``; names of people are
not detected, which is why PII modules also need the second opt-in
(``SAGEMAKER_<STEM>_CAPTURE_PII``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|me|co|ai|edu)/[^\s<>\"')\]]*",
                 re.IGNORECASE)
# A run of digits with the usual separators, optional +country code and (area code); at least 7 digits in
# all (checked in _phone) so years, salaries and "2018-2020" ranges stay readable.
PHONE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,3}(?![\w])"
                   r"|(?<![\w.])\+?\d{10,13}(?![\w])")
_STREET_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                  r"Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq)")
ADDRESS = re.compile(rf"\b\d{{1,6}}\s+(?:[A-Z][A-Za-z0-9.'-]*\s+){{1,4}}{_STREET_SUFFIX}\b\.?"
                     r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[A-Za-z0-9-]+)?")

PLACEHOLDERS = {"email": "[EMAIL]", "url": "[URL]", "address": "[ADDRESS]", "phone": "[PHONE]"}


_YEAR_RANGE = re.compile(r"^(?:19|20)\d{2}\s*[-.]\s*(?:19|20)\d{2}$")


def _not_a_phone(match: re.Match) -> bool:
    """Fewer than 7 digits, or a year range such as ``2018-2020`` (work history, not a phone)."""
    text = match.group(0)
    return sum(c.isdigit() for c in text) < 7 or bool(_YEAR_RANGE.match(text))


def redact_text(text: str, counts: Counter) -> str:
    """``text`` with PII replaced; ``counts`` gains one per replacement, by kind.

    Order matters: emails and URLs first (they contain digits and dots a phone
    or address pattern would bite into), then addresses, then phones.
    """
    def sub(kind: str, pattern: re.Pattern, value: str, keep=None) -> str:
        def replace(match: re.Match) -> str:
            if keep is not None and keep(match):
                return match.group(0)
            counts[kind] += 1
            return PLACEHOLDERS[kind]

        return pattern.sub(replace, value)

    text = sub("email", EMAIL, text)
    text = sub("url", URL, text)
    text = sub("address", ADDRESS, text)
    return sub("phone", PHONE, text, keep=_not_a_phone)


def redact(value: Any, counts: Counter) -> Any:
    """A copy of a JSON-like value with every string redacted (keys too: profiles use emails as keys)."""
    if isinstance(value, str):
        return redact_text(value, counts)
    if isinstance(value, dict):
        return {redact_text(str(k), counts): redact(v, counts) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, counts) for v in value]
    return value
