"""The skill taxonomy as indexed objects, and the matcher that finds it in text.

Why a trie-shaped regular expression: a posting can hold a thousand aliases'
worth of candidates; one precompiled pattern whose alternatives share
prefixes scans 24 000 characters in a few milliseconds, finds the longest alias
at each position ("React Testing Library" before "React", "Spring Boot"
before "Spring") and never backtracks pathologically on hostile text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional

from adeptai_sagemaker_lab.reference_model import taxonomy_data as d


@dataclass(frozen=True)
class Entry:
    """A canonical skill (kind "skill") or discipline (kind "field")."""

    name: str
    category: str
    kind: str
    aliases: tuple[str, ...]
    related: tuple[str, ...]

    @property
    def domain(self) -> str:
        return d.CATEGORY_DOMAIN.get(self.category, "general")


@dataclass(frozen=True)
class Title:
    name: str
    domain: str
    aliases: tuple[str, ...]
    variations: tuple[str, ...]
    skills: tuple[str, ...]
    industry_terms: tuple[str, ...]


@dataclass(frozen=True)
class Mention:
    """One occurrence of a taxonomy entry in a text."""

    name: str
    start: int
    end: int
    surface: str
    kind: str  # "skill" | "field"
    case_sensitive: bool = False


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split("|") if item.strip())


def norm_key(text: str) -> str:
    """Lookup key of an alias: lower case, spaces and hyphens removed."""
    return re.sub(r"[\s\-]+", "", text.lower())


ENTRIES: dict[str, Entry] = {}
for _name, _cat, _aliases, _related in d.SKILLS:
    ENTRIES[_name] = Entry(_name, _cat, "skill", _split(_aliases), _split(_related))
for _name, _cat, _aliases, _related in d.FIELDS:
    if _name not in ENTRIES:
        ENTRIES[_name] = Entry(_name, _cat, "field", _split(_aliases), _split(_related))

ENTRY_BY_LOWER: dict[str, Entry] = {name.lower(): entry for name, entry in ENTRIES.items()}

TITLES: dict[str, Title] = {
    row[0]: Title(row[0], row[1], _split(row[2]), _split(row[3]), _split(row[4]), _split(row[5])) for row in d.TITLES
}


def entry(name: str) -> Optional[Entry]:
    return ENTRY_BY_LOWER.get(name.lower())


def domain_of(name: str) -> str:
    found = entry(name)
    return found.domain if found else "general"


# --------------------------------------------------------------------------- trie regex


def _fragment(ch: str) -> str:
    if ch == " ":
        return r"[\s\-]+"
    if ch == "-":
        return r"[\s\-]?"
    return re.escape(ch)


def _trie_pattern(words: Iterable[str]) -> str:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        terminal = "" in node
        branches = [_fragment(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            return "(?:" + body + ")?"
        return body

    return build(trie)


_LEFT = r"(?<![\w+#&@.])"
_RIGHT = r"(?![\w+#]|[.@&]\w)"


def compile_trie(words: Iterable[str], ignore_case: bool) -> re.Pattern:
    words = sorted(set(w for w in words if w))
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(_LEFT + "(?:" + _trie_pattern(words) + ")" + _RIGHT, flags)


# alias key -> (canonical name, case-sensitive alias?)
_CI_ALIASES: dict[str, str] = {}
_CS_ALIASES: dict[str, str] = {}
for _e in ENTRIES.values():
    for _alias in (_e.name.lower(),) + tuple(a.lower() for a in _e.aliases):
        if _e.name in d.CASE_SENSITIVE and _alias in {a.lower() for a in _split(d.CASE_SENSITIVE[_e.name])}:
            continue  # an ambiguous bare word ("Go", "Opera") is matched case-sensitively only
        _CI_ALIASES.setdefault(_alias, _e.name)
for _name, _cs in d.CASE_SENSITIVE.items():
    if _name in ENTRIES:
        for _alias in _split(_cs):
            _CS_ALIASES.setdefault(_alias, _name)

_CI_BY_KEY: dict[str, str] = {norm_key(a): n for a, n in _CI_ALIASES.items()}
_CS_BY_KEY: dict[str, str] = {norm_key(a): n for a, n in _CS_ALIASES.items()}
# query mode: case-sensitive aliases also match lower case (context decides later)
_QUERY_BY_KEY: dict[str, str] = dict(_CI_BY_KEY)
for _k, _n in _CS_BY_KEY.items():
    _QUERY_BY_KEY.setdefault(_k, _n)

CI_RE = compile_trie(_CI_ALIASES, ignore_case=True)
CS_RE = compile_trie(_CS_ALIASES, ignore_case=False)
QUERY_RE = compile_trie(list(_CI_ALIASES) + [a.lower() for a in _CS_ALIASES], ignore_case=True)

#: Text right after a bare ambiguous alias that shows the ordinary-word sense.
NEGATIVE_AFTER: dict[str, re.Pattern] = {
    "Go": re.compile(r"[\s\-]*to[\s\-]*market|\s+(?:above|beyond|live|to|out|ahead|back|through|for\b|the extra|get|green|home)\b", re.I),
    "Spring": re.compile(r"\s+(?:\d{4}|semester|break|term|season|intern|quarter|cohort)\b", re.I),
    "Excel": re.compile(r"\s+(?:at|in|as|when)\s+(?:a|an|the|your|our|this|all|every|helping|working)\b", re.I),
    "Lean": re.compile(r"\s+(?:team|staff|budget|startup|times|and\s+mean|organization|org)\b", re.I),
    "Swift": re.compile(r"\s+(?:code|codes|bic|network|messag|transfer|payment)", re.I),
    "Apache Spark": re.compile(r"\s+(?:plug|plugs|joy|curiosity|innovation|change|conversation|ideas?)\b", re.I),
    "React": re.compile(r"\s+(?:to|quickly|calmly|appropriately|fast)\b", re.I),
    "Outreach": re.compile(r"\s+(?:program|programs|events?|efforts?|activities|to)\b", re.I),
    "Unity": re.compile(r"\s+(?:of|among)\b", re.I),
    "AED": re.compile(r"\s*[\d$]"),  # "AED 12,000": the dirham, not a defibrillator
}
NEGATIVE_BEFORE: dict[str, re.Pattern] = {
    "Go": re.compile(r"(?:\b(?:to|will|can|let's|we|you|and|or|must|should|might|never|always)\s+)$", re.I),
    "Spring": re.compile(r"(?:\b(?:this|next|last|in|the|early|late)\s+)$", re.I),
    "Lean": re.compile(r"(?:\b(?:a|our|is|are|stay|keep|very)\s+)$", re.I),
    "Outreach": re.compile(r"(?:\b(?:community|patient|public|donor|member|customer)\s+)$", re.I),
}


def find(text: str, *, query: bool = False) -> list[Mention]:
    """All taxonomy mentions in ``text``, longest-first, non-overlapping, in text order.

    Document mode (``query=False``) matches ambiguous aliases only with their exact
    casing ("Go", "Excel") and rejects ordinary-word contexts; query mode matches
    everything case-insensitively and leaves sense selection to the caller.
    """
    found: list[Mention] = []
    if query:
        for m in QUERY_RE.finditer(text):
            name = _QUERY_BY_KEY.get(norm_key(m.group(0)))
            if name:
                cs = norm_key(m.group(0)) in _CS_BY_KEY and norm_key(m.group(0)) not in _CI_BY_KEY
                found.append(Mention(name, m.start(), m.end(), m.group(0), ENTRIES[name].kind, cs))
        return found
    spans: list[Mention] = []
    for m in CI_RE.finditer(text):
        name = _CI_BY_KEY.get(norm_key(m.group(0)))
        if name:
            spans.append(Mention(name, m.start(), m.end(), m.group(0), ENTRIES[name].kind, False))
    for m in CS_RE.finditer(text):
        name = _CS_BY_KEY.get(norm_key(m.group(0)))
        if not name:
            continue
        after = NEGATIVE_AFTER.get(name)
        if after and after.match(text, m.end()):
            continue
        before = NEGATIVE_BEFORE.get(name)
        if before and before.search(text[max(0, m.start() - 30):m.start()]):
            continue
        spans.append(Mention(name, m.start(), m.end(), m.group(0), ENTRIES[name].kind, True))
    # resolve overlaps (only case-insensitive vs case-sensitive spans can overlap): the longer span wins
    spans.sort(key=lambda x: (x.start, -(x.end - x.start)))
    for mention in spans:
        if not found or mention.start >= found[-1].end:
            found.append(mention)
        elif (mention.end - mention.start) > (found[-1].end - found[-1].start) and (len(found) < 2 or mention.start >= found[-2].end):
            found[-1] = mention
    return found


def apply_context(mentions: list[Mention]) -> list[Mention]:
    """Drop case-sensitive ambiguous mentions whose document lacks the needed domain context."""
    domains = {ENTRIES[m.name].domain for m in mentions if not (m.case_sensitive and m.name in d.NEEDS_CONTEXT)}
    kept = []
    for m in mentions:
        need = d.NEEDS_CONTEXT.get(m.name)
        if m.case_sensitive and need and not (need & domains):
            continue
        kept.append(m)
    return kept


# --------------------------------------------------------------------------- titles

_TITLE_ALIASES: dict[str, str] = {}
for _t in TITLES.values():
    for _alias in (_t.name.lower(),) + tuple(a.lower() for a in _t.aliases):
        _TITLE_ALIASES.setdefault(_alias, _t.name)
_TITLE_BY_KEY = {norm_key(a): n for a, n in _TITLE_ALIASES.items()}
# plural forms ("accountants", "nurses", "warehouse associates") are common in searches
_TITLE_WORDS = list(_TITLE_ALIASES) + [a + "s" for a in _TITLE_ALIASES if not a.endswith("s")]
TITLE_RE = compile_trie(_TITLE_WORDS, ignore_case=True)


def title_key_lookup(surface: str) -> Optional[str]:
    key = norm_key(surface)
    return _TITLE_BY_KEY.get(key) or (_TITLE_BY_KEY.get(key[:-1]) if key.endswith("s") else None)


def find_titles(text: str) -> list[tuple[str, int, int, str]]:
    """(canonical title, start, end, surface) for each job-title mention, longest first."""
    out = []
    for m in TITLE_RE.finditer(text):
        name = title_key_lookup(m.group(0))
        if name:
            out.append((name, m.start(), m.end(), m.group(0)))
    return out


@lru_cache(maxsize=1)
def alias_stats() -> dict[str, int]:
    """Size of the taxonomy (reported in docs and checked by tests)."""
    return {
        "skills": sum(1 for e in ENTRIES.values() if e.kind == "skill"),
        "fields": sum(1 for e in ENTRIES.values() if e.kind == "field"),
        "titles": len(TITLES),
        "skill_aliases": len(_CI_ALIASES) + len(_CS_ALIASES),
        "title_aliases": len(_TITLE_ALIASES),
        "ambiguous_terms": len(d.AMBIGUOUS),
        "foreign_words": len(d.FOREIGN_WORDS),
        "cities": len(d.CITIES),
    }
