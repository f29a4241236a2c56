"""What redaction replaces, and what it deliberately leaves readable."""

from collections import Counter

import pytest

from adeptai_sagemaker.student.redact import redact, redact_text


@pytest.mark.parametrize("text,kind", [
    ("mail jane.doe+jobs@example.co.uk today", "email"),
    ("call (555) 010-4477 now", "phone"),
    ("call +44 20 7946 0958 now", "phone"),
    ("call 4155550199 now", "phone"),
    ("see https://linkedin.com/in/jane-doe?x=1 for more", "url"),
    ("see www.janedoe.dev and", "url"),
    ("portfolio github.com/janedoe here", "url"),
    ("lives at 221 Baker Street, Apt 4B in town", "address"),
    ("office: 1600 Amphitheatre Pkwy.", "address"),
])
def test_pii_is_replaced_by_its_placeholder(text, kind):
    counts = Counter()
    out = redact_text(text, counts)
    assert counts[kind] == 1 and f"[{kind.upper()}]" in out


@pytest.mark.parametrize("text", [
    "5+ years, 2018-2020 at Acme, salary $140,000 - $170,000",
    "Python 3.11, AWS, 99.9% uptime, team of 12",
    "Bachelor's degree; Senior Engineer (Remote, US)",
])
def test_ordinary_numbers_and_text_stay_readable(text):
    counts = Counter()
    assert redact_text(text, counts) == text and not counts


def test_nested_values_and_keys_are_redacted():
    counts = Counter()
    out = redact({"a@b.io": ["x", {"phone": "+1 415 555 0199"}], "n": 3}, counts)
    assert out == {"[EMAIL]": ["x", {"phone": "[PHONE]"}], "n": 3} and counts == Counter(email=1, phone=1)
