"""Facts read from a resume: skills, tenures, years, titles, education, and injection attempts.

Everything here is evidence-only: a resume's own claims about how it should be
scored are detected (and reported as a risk) but never obeyed, and the lines
that carry them are removed before any score is computed.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Optional

from adeptai_sagemaker_lab.reference_model import extract, taxonomy

_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DATE = r"(?:(?P<m{i}>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+|(?P<n{i}>\d{{1,2}})/)?(?P<y{i}>(?:19|20)\d{{2}})"
DATE_RANGE_RE = re.compile(
    _DATE.format(i=1) + r"\s*(?:-|–|—|to|until)\s*(?:" + _DATE.format(i=2) + r"|(?P<now>present|current|now|today|date))",
    re.IGNORECASE,
)
INJECTION_RE = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|preceding|other)\s+(?:instructions|prompts|rules|directions)"
    r"|disregard\s+(?:all\s+|the\s+|any\s+|your\s+)?(?:previous|prior|above|instructions|rules)|\byou\s+are\s+now\b|\bsystem\s+prompt\b"
    r"|\bnew\s+instructions\b|\b(?:score|rate|rank|mark|evaluate)\s+(?:this\s+|the\s+|me\s+|my\s+)?(?:candidate|resume|profile|applicant)?\s*(?:as|=|:|at|with)?\s*"
    r"(?:a\s+)?(?:1\.0|100\s*%?|10\s*/\s*10|perfect|maximum|max|highest|top)\b|\bassistant\s*:|<\s*/?\s*(?:system|instructions?|im_start|im_end)\s*>"
    r"|\boverride\s+(?:the\s+)?(?:scoring|instructions|evaluation)|\bhire\s+(?:me|this\s+candidate)\s+immediately\b|\bprompt\s+injection\b"
    r"|\breturn\s+(?:only\s+)?(?:a\s+)?(?:score|json)\s+(?:of|with)\b|\bas\s+an\s+ai\s+(?:language\s+)?model\b",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_RE = re.compile(r"(?<![\d/])(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\d/])|\+\d{1,3}(?:[\s.-]?\d{2,4}){3,5}")
_URL_RE = re.compile(r"\b(?:https?://|www\.)\S+|\b(?:linkedin|github)\.com/\S*", re.I)


def scrub(text: str) -> str:
    """Remove contact details (emails, phone numbers, URLs) from a quote."""
    text = _EMAIL_RE.sub("[email]", text)
    text = _URL_RE.sub("[link]", text)
    return _PHONE_RE.sub("[phone]", text)


def reference_year() -> int:
    """The year "Present" means in a date range (the current calendar year)."""
    return _dt.date.today().year


@dataclass
class Tenure:
    start: float  # fractional years
    end: float

    @property
    def years(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass
class ResumeFacts:
    text: str
    skills: list[str]
    fields: list[str]
    tenures: list[Tenure]
    stated_years: Optional[int]
    titles: list[str]
    education: Optional[str]
    location: Optional[str]
    injection: bool
    word_count: int
    seniority: Optional[str] = None
    domains: dict[str, int] = field(default_factory=dict)

    @property
    def years(self) -> Optional[int]:
        if self.stated_years is not None:
            return self.stated_years
        total = merged_years(self.tenures)
        return int(round(total)) if self.tenures else None


def tenures(text: str) -> list[Tenure]:
    now = reference_year() + 0.5
    out = []
    for m in DATE_RANGE_RE.finditer(text):
        def when(i: int) -> float:
            year = int(m.group(f"y{i}"))
            month = m.group(f"m{i}")
            num = m.group(f"n{i}")
            default = 1 if i == 1 else 12  # a bare year starts in January and ends in December
            mon = _MONTHS.get(month[:3].lower(), default) if month else (int(num) if num and 1 <= int(num) <= 12 else default)
            return year + (mon - 1) / 12 + (1 / 12 if i == 2 else 0)

        start = when(1)
        end = now if m.group("now") else when(2)
        if 1950 <= start <= now and start <= end <= now + 1:
            out.append(Tenure(start, end))
    return out


def merged_years(items: list[Tenure]) -> float:
    spans = sorted((t.start, t.end) for t in items)
    total, cur_s, cur_e = 0.0, None, None
    for s, e in spans:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def gaps(items: list[Tenure]) -> list[float]:
    spans = sorted((t.start, t.end) for t in items)
    out = []
    cur_e = None
    for s, e in spans:
        if cur_e is not None and s - cur_e > 0:
            out.append(s - cur_e)
        cur_e = e if cur_e is None else max(cur_e, e)
    return out


def strip_injection(text: str) -> tuple[str, bool]:
    """(text without the lines/sentences that try to instruct the evaluator, whether any did)."""
    if not INJECTION_RE.search(text):
        return text, False
    kept = []
    for line in text.split("\n"):
        if INJECTION_RE.search(line):
            parts = re.split(r"(?<=[.!?])\s+", line)
            line = " ".join(p for p in parts if not INJECTION_RE.search(p))
        kept.append(line)
    return "\n".join(kept), True


#: A credential the person is still working towards is not one they hold ("studying for the PTCB exam").
_NOT_HELD_BEFORE = re.compile(r"\b(?:studying\s+for|preparing\s+for|working\s+towards?|pursuing|sitting\s+for|enrolled\s+in)\s+(?:the\s+|an?\s+)?$", re.I)
_NOT_HELD_AFTER = re.compile(r"^\s*(?:level\s+\w+\s+)?(?:exam\s+)?(?:candidate|in\s+progress|\(in\s+progress\)|expected|pending)\b", re.I)
#: A language counts as a skill only where the resume says the person speaks it.
_LANGUAGE_CONTEXT = re.compile(r"\b(?:fluent|fluency|bilingual|native|speak|speaks|spoken|languages?|proficient|conversational)\b", re.I)


_FOR_YEARS_RE = re.compile(r"\b(?:for|over)\s+(?P<n>\d{1,2})\+?\s+(?:years|yrs)\b", re.I)


def _role_years(text: str) -> list[int]:
    """"Warehouse associate for 5 years", "iOS developer for 5 years": a role held for N years."""
    out = []
    for m in _FOR_YEARS_RE.finditer(text):
        sentence_start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start()), 0)
        if taxonomy.find_titles(text[sentence_start:m.start()]) and 0 < int(m.group("n")) <= 50:
            out.append(int(m.group("n")))
    return out


def _held(text: str, m: taxonomy.Mention) -> bool:
    return not (_NOT_HELD_BEFORE.search(text[max(0, m.start - 40):m.start]) or _NOT_HELD_AFTER.match(text[m.end:m.end + 40]))


def read(text: str) -> ResumeFacts:
    clean, injected = strip_injection(text or "")
    mentions = taxonomy.apply_context(taxonomy.find(clean))
    skills, fields = [], []
    domains: dict[str, int] = {}
    for m in mentions:
        entry = taxonomy.ENTRIES[m.name]
        if not _held(clean, m):
            continue
        if entry.category == "language":
            if _LANGUAGE_CONTEXT.search(clean[max(0, m.start - 40):m.end + 40]):
                skills.append(m.name)
            continue
        domains[entry.domain] = domains.get(entry.domain, 0) + 1
        (skills if entry.kind == "skill" else fields).append(m.name)
    skills = list(dict.fromkeys(skills))
    fields = list(dict.fromkeys(fields))
    spans = tenures(clean)
    stated = extract.years_mentions(clean[:3000]) + _role_years(clean[:3000])
    titles = [t[0] for t in taxonomy.find_titles(clean[:6000])]
    facts = ResumeFacts(
        text=clean, skills=skills, fields=fields, tenures=spans, stated_years=max(stated) if stated else None,
        titles=list(dict.fromkeys(titles)), education=extract.highest_education(clean), location=extract.location(clean[:2000]),
        injection=injected, word_count=len(clean.split()), domains=domains,
    )
    facts.seniority = _seniority(clean, facts.years)
    return facts


_LEVEL_RANK = {level: i for i, level in enumerate(extract.SENIORITY_ORDER)}


def _seniority(text: str, years: Optional[int]) -> Optional[str]:
    """The level the person's own title states ("Senior Software Engineer"), kept when the years agree with it;
    else the level the years give. Only the title and the words just before it count: "Precepted 5 new
    graduate nurses" on the same line says nothing about the writer's level."""
    by_years = extract.seniority_from_years(years)
    for line in text.split("\n")[:8]:
        hits = taxonomy.find_titles(line)
        if not hits:
            continue
        _, start, end, _ = hits[0]
        before = re.split(r"[.,;:|()\-–—]", line[:start])[-1].split()[-3:]
        stated = extract.seniority_from_title(" ".join(before + [line[start:end]]))
        if stated is None or by_years is None:
            return stated or by_years
        if abs(_LEVEL_RANK[stated] - _LEVEL_RANK[by_years]) <= 1 or (_LEVEL_RANK[stated] >= _LEVEL_RANK["lead"] and years >= 5):
            return stated
        return by_years  # "Junior Developer" with 8 years, "Senior Nurse" with 1 year: the years decide
    return by_years


#: Where a resume sentence ends: ". " before a capital, a line break, a bullet or a semicolon.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|\n|;\s+|\s[•|]\s")


def skill_evidence(text: str, skill: str, limit: int = 160) -> Optional[str]:
    """A short, contact-free quote: the sentence or phrase that names the first mention of ``skill``."""
    for m in taxonomy.find(text):
        if m.name == skill:
            bounds = [0] + [b.end() for b in _SENTENCE_END_RE.finditer(text)] + [len(text)]
            lo = max(b for b in bounds if b <= m.start)
            hi = min((b for b in bounds if b > m.start), default=len(text))
            raw = text[lo:hi]
            quote = raw.strip(" -•*\t;|")
            at = m.start - lo - (len(raw) - len(raw.lstrip(" -•*\t;|")))
            name = _NAME_LEAD_RE.match(quote)
            if name and name.end() <= at:  # "Alex Example - Software engineer ...": the quote need not name the person
                quote, at = quote[name.end():], at - name.end()
            if len(quote) > limit:  # a long sentence: the words around the mention
                left = quote.rfind(" ", 0, max(0, at - limit // 2)) + 1
                right = quote.find(" ", min(len(quote), at + limit // 2))
                quote = quote[left:right if right > 0 else len(quote)]
            return scrub(quote)[:300] or None
    return None


#: A resume's opening "First Last - " or "First Last | ".
_NAME_LEAD_RE = re.compile(r"^[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s+[-–—|]\s+")
