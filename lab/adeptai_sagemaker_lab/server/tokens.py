"""A tiny deterministic tokenizer so token counts and stream tokens are stable.

Real containers count with the model's BPE tokenizer; clients only need counts
that are deterministic and roughly proportional to text length, and stream
tokens that concatenate back to exactly the generated text. A token here is an
optional run of whitespace followed by one word or one punctuation mark.
"""

from __future__ import annotations

import re
import zlib

_TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
VOCAB_SIZE = 32000
EOS_ID = 2
EOS_TEXT = "</s>"


def tokenize(text: str) -> list[str]:
    """Pieces whose concatenation is exactly ``text``."""
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


def token_id(piece: str) -> int:
    """Stable id in [3, VOCAB_SIZE) (0-2 are reserved for special tokens)."""
    return 3 + zlib.crc32(piece.encode("utf-8")) % (VOCAB_SIZE - 3)


def token_logprob(piece: str) -> float:
    return -round((zlib.crc32(piece.encode("utf-8")[::-1]) % 2000) / 1000.0, 3)
