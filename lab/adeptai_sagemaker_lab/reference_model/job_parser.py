"""Structured requirements of a job posting, by rules.

How a posting is read:
1. The first line is the title (cleaned of "(m/w/d)", " – Summer 2025" and the like). What the line
   says after it is read too: after a comma or "with" as a list of items ("Line Cook, 2 years experience,
   ServSafe required, knife skills a must"), after a dash as a unit or place ("Registered Nurse - ICU").
2. The rest is cut into units (bullet lines and sentences). Each unit gets the
   kind of the section it sits under (from headings such as "Requirements",
   "Nice to have", "What you'll do", "About us", inline "Must have: ...") and
   its own cue phrases ("is a plus", "you must have", "you'll build").
3. Skills found in required units are mandatory, in preferred units preferred.
   Skills in the company blurb, duties, benefits, education subjects ("degree
   in Finance"), examples of a generic tool class ("a CI/CD tool such as
   Jenkins"), dispreferred alternatives ("preferred over Scala") and negated
   clauses ("no prior Kubernetes experience is needed") are not requirements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from adeptai_sagemaker_lab.reference_model import extract, taxonomy
from adeptai_sagemaker_lab.reference_model import taxonomy_data as d

# --------------------------------------------------------------------------- headings and cues

_HEADING_KINDS: tuple[tuple[str, re.Pattern], ...] = (
    ("preferred", re.compile(r"nice[\s-]to[\s-]have|bonus|preferred|\bplus(?:es)?\b|desirable|desired|would\s+love|we'?d\s+love|great\s+if|advantage|extra\s+credit|good\s+to\s+have|optional|not\s+required|pluspunkte|wünschenswert|deseable|souhaité", re.I)),
    ("meta", re.compile(r"^(?:location|locations|salary|salary\s+range|compensation|pay|pay\s+range|rate|hourly\s+rate|schedule|engagement|ctc|employment(?:\s+type)?|hours|shift|job\s+type|type|base\s+salary|hybrid(?:\s+schedule)?|remote|on-?site|start\s+date|travel|reports\s+to|department|work\s+mode|workplace|contract|duration|benefits|perks|what\s+we\s+offer|we\s+offer|our\s+offer|why\s+join(?:\s+us)?|equal\s+opportunity|eeo|how\s+to\s+apply)\b", re.I)),
    ("required", re.compile(r"requirement|required|qualification|\bmust\b|what\s+you\s+bring|you\s+bring|you(?:'ll|\s+will)\s+(?:have|bring|need)\b|what\s+we\s+need|who\s+you\s+are|your\s+profile|about\s+you|looking\s+for|you\s+have|you'?ll\s+need|you\s+will\s+need|what\s+it\s+takes|ideal\s+candidate|\bskills\b|experience|competenc|need\s+to\s+have|essential|minimum|your\s+background|\byou\s+are\b|profil|anforderungen|requisitos|exigences|qualifikation", re.I)),
    ("duties", re.compile(r"responsibilit|what\s+you'?ll\s+do|what\s+you\s+will\s+do|your\s+tasks|\btasks\b|the\s+work|the\s+role|day[\s-]to[\s-]day|what\s+you'?ll\s+handle|duties|the\s+job|mission|impact|you\s+will|you'?ll|overview|summary|accountabilit|during\s+this|aufgaben|responsabilidades|missions?|in\s+this\s+role", re.I)),
    ("about", re.compile(r"about\s+us|about\s+the\s+company|who\s+we\s+are|our\s+company|company|the\s+team|culture|our\s+story|\babout\b|über\s+uns|sobre\s+nosotros|qui\s+sommes", re.I)),
)

_PREF_CUE = re.compile(
    r"nice[\s-]to[\s-]have|\bbonus\b|\bpreferred\b|\bpreferably\b|\ba\s+(?:big\s+|huge\s+|strong\s+|definite\s+)?plus\b|\bpluses\b"
    r"|\bis\s+(?:also\s+)?a\s+plus\b|would\s+be\s+(?:great|nice|a\s+plus|helpful|an\s+advantage|a\s+bonus|ideal|beneficial)"
    r"|\bideally\b|\bdesirable\b|\bdesired\b|\badvantageous\b|\ban\s+advantage\b|\bwe'?d\s+love\b|\bgreat\s+if\b|\bgood\s+to\s+have\b"
    r"|\bnot\s+required\s+but\b|\bhelpful\b|\bwelcome\b|\bbeneficial\b|\bde\s+preferencia\b|\bvon\s+vorteil\b|\bun\s+plus\b"
    r"|\bpref(?:'d)?\b\.?|\bnice\b|\ban\s+asset\b|\bvaluable\b|\bgood\s+to\s+know\b|\bdesirable\b|\ba\s+\+(?!\w)",
    re.I,
)
_REQ_CUE = re.compile(
    r"\bmust\b|\brequired\b|\brequires?\b|\brequirements?\b|\byou\s+need\b|\byou'?ll\s+need\b|\bwe\s+need\b|\byou\s+have\b|\byou\s+bring\b"
    r"|\byou'?re\s+(?:fluent|comfortable|proficient|skilled|experienced)|\bfluen(?:t|cy)\b|\bproficien|\bessential\b|\bminimum\b|\bat\s+least\b"
    r"|\bexperience\s+(?:with|in|using|designing|building|running|managing)\b|\bknowledge\s+of\b|\bexpertise\b|\bstrong\b|\bsolid\b"
    r"|\bcomfort(?:able)?\s+with\b|\bhands-on\b|\bqualifications?\b|\byou\s+should\b|\bmandatory\b|\bcertification\b|\blicen[sc]e\b"
    r"|\bcandidates?\s+(?:should|will|must)\b|\bwe'?re\s+looking\s+for\s+someone\b|\bdeep\b|\bexcellent\b|\bworking\s+knowledge\b"
    r"|\breq'?d\b|\breq\.|\bmust-haves?\b|\bmust\s+know\b",
    re.I,
)
_DUTY_CUE = re.compile(
    r"^\s*(?:you'?ll|you\s+will|as\s+an?\s|in\s+this\s+role|during|your\s+day|we'?re\s+adopting|help\s+us|here'?s\s+the\s+job)\b"
    r"|\byou'?ll\s+(?:own|build|work|help|take|lead|design|run|track|join|be|learn|support|partner|manage|write|set)\b"
    r"|\byou\s+will\s+(?:own|build|work|help|take|lead|design|run|track|join|be|learn|support|partner|manage|write)\b|\bresponsible\s+for\b",
    re.I,
)
_COMPANY_CUE = re.compile(
    r"^\s*(?:we\s+are|we'?re|our|founded|headquartered|at\s+[A-Z])|\b(?:is\s+a|is\s+an|is\s+one\s+of|are\s+a)\b.{0,80}\b(?:company|startup|provider|manufacturer|bank|leader|service|platform|group|center|team|firm|agency|retailer|broker|union|hospital|network|app)",
    re.I,
)
_NEGATION_RE = re.compile(
    r"\b(?:no|not|without|never|don'?t|do\s+not|doesn'?t|does\s+not|isn'?t|is\s+not|aren'?t|are\s+not|won'?t|will\s+not|n't)\b"
    r"[^.;]{0,80}?\b(?:need(?:ed)?|required|necessary|expected|mandatory|a\s+must|prerequisite|requirement)\b"
    r"|\b(?:need(?:ed)?|required|necessary|expected|mandatory|a\s+must|prerequisite|requirement)\b\W{0,3}(?:not|isn'?t)\b"
    r"|\bwithout\s+(?:any\s+)?(?:prior\s+|previous\s+)?(?:experience|knowledge|background)\b",
    re.I,
)
_CLAUSE_SPLIT_RE = re.compile(r"[,;:()–—]|\s-\s|\bbut\b|\bhowever\b|\bwhile\b", re.I)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(¿¡])"
                                r"|(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bincl\.)(?<!\bapprox\.)\s+(?=[a-z])")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·●▪◦‣–]|\d{1,2}[.)]|[a-z][.)])\s+")
_INLINE_HEADING_RE = re.compile(r"^\s*(?P<label>[A-Za-zÀ-ÿ][\w'’ &/()+.-]{1,48}?)\s*:\s*(?P<rest>.*)$")
_PART_SPLIT_RE = re.compile(r"[^;()]+")
_OVER_RE = re.compile(r"\b(?:preferred\s+over|rather\s+than|instead\s+of|not\s+just|over\s+(?=[A-Z]))\s+[^,;.]*", re.I)
_COMPARABLE_RE = re.compile(
    r"\bor\s+(?:a\s+|an\s+|any\s+)?(?:other\s+)?(?:comparable|similar|equivalent|related|another)\s+(?P<x>[\w/+.&-]+(?:\s+[\w/+.&-]+){0,2})", re.I)
_EXAMPLES_RE = re.compile(r"^[^.;]{0,28}?(?:\(|\bsuch\s+as\b|\be\.g\.?|\blike\b|\bfor\s+example\b|\bincluding\b|\bi\.e\.)", re.I)
_LANGUAGE_CUE = re.compile(r"language|bilingual|fluen|speak|spoken|written|native|proficien|conversational|\bskills\b|idioma|sprach|langue", re.I)
_SPECIALTY_CODING = {
    "orthopedic": "Orthopedic coding", "orthopedics": "Orthopedic coding", "orthopaedics": "Orthopedic coding",
    "cardiology": "Cardiology coding", "oncology": "Oncology coding", "radiology": "Radiology coding",
    "pediatrics": "Pediatric coding", "pediatric": "Pediatric coding", "dermatology": "Dermatology coding",
    "gastroenterology": "Gastroenterology coding", "anesthesia": "Anesthesia coding", "anesthesiology": "Anesthesia coding",
    "emergency medicine": "Emergency medicine coding", "surgery": "Surgical coding", "surgical": "Surgical coding",
    "urology": "Urology coding", "neurology": "Neurology coding", "obstetrics": "OB/GYN coding", "ob/gyn": "OB/GYN coding",
    "inpatient": "Inpatient coding", "risk adjustment": "Risk adjustment coding", "e/m": "E/M coding",
}
_SPECIALTY_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _SPECIALTY_CODING), key=len, reverse=True)) + r")\b", re.I)
_SALES_COMPOUND_RE = re.compile(
    r"\b(?:closing|selling|sales|quota[\s-]carrying|sell)\b[^.;]{0,40}?\bB2B(?:\s+SaaS)?\b|\bB2B(?:\s+SaaS)?\s+(?:sales|selling|closing)\b", re.I)
_TECH_CATEGORIES = {"lang", "web", "mobile", "data", "ml", "cloud", "devops", "db", "tool", "arch", "qa", "security"}
#: Names of licences and certifications in the taxonomy ("CNA certification", "CDL").
_CREDENTIAL_NAME_RE = re.compile(r"\b(?:license|licence|certification|certificate|endorsement|registration)\b|^CDL$")
#: Words that make a clause a requirement on their own ("Excel required", "must know X", "PLC req'd").
_STRONG_REQ = re.compile(r"\brequired\b|\bmust\b|\bmandatory\b|\bessential\b|\breq'?d\b|\breq\.|\bwe\s+need\b|\byou\s+need\b"
                         r"|\bmust-haves?\b|\bneed\s+to\s+have\b", re.I)
#: "X is not required but helps", "X is a plus but not required": a preference, not a negation.
_SOFT_NEGATION = re.compile(
    r"\bnot\s+(?:required|necessary|needed|mandatory|essential)\s*,?\s*but\b"
    r"|\b(?:plus|bonus|helpful|nice\s+to\s+have|preferred|welcome|advantage|asset)\s*,?\s*but\s+(?:is\s+)?not\s+(?:required|necessary|needed|mandatory|essential)\b",
    re.I)


@dataclass
class Unit:
    text: str
    offset: int  # character offset of ``text`` in the posting body
    section: Optional[str]  # heading kind it sits under, None for free prose
    cls: str  # required | preferred | duties | about | meta | unknown
    paragraph: int


def classify_heading(label: str) -> Optional[str]:
    label = label.strip().strip(":").strip()
    if not label or len(label) > 60:
        return None
    for kind, pattern in _HEADING_KINDS:
        if pattern.search(label):
            return kind
    return None


#: The first sentence of a line; "Sr." / "Jr." / "Dr." / "St." and initials do not end it.
_FIRST_SENTENCE_RE = re.compile(r"^\s*(.+?(?<!\bSr)(?<!\bJr)(?<!\bDr)(?<!\bSt)(?<!\s[A-Z]))[.!|](?:\s+|$)")
_PROSE_START_RE = re.compile(r"^\s*(?:we|our|the|as|at|join|are|you|this|in|about)\b", re.I)
_TITLE_WORD = r"(?:[A-Z][\w&/.+'’-]*|II|III|IV|of|and|&|in|for)"
#: "X is hiring a <Title> for ...", "We're looking for a <Title> to ...", "As <Title> at X, you'll ...".
_PROSE_TITLE_RE = re.compile(
    r"(?i:\b(?:is|are|we'?re|we\s+are|now)\s+(?:hiring|seeking|recruiting|looking\s+for)|\bseeks|\bhiring|\blooking\s+for"
    r"|\bjoin\s+(?:our|the)\s+(?:\w+\s+){0,2}as)\s+(?i:an?\s+)?"
    r"(?P<title>[A-Z][\w&/.+'’-]*(?:\s+" + _TITLE_WORD + r"){0,6}?)(?=\s+(?:to|for|at|in|who|with|on|join|covering)\b|[.,;!]|\s*$)"
    r"|^\s*As\s+(?:an?\s+|the\s+)?(?P<title2>[A-Z][\w&/.+'’-]*(?:\s+" + _TITLE_WORD + r"){0,6}?)(?=\s+(?:at|with|for|on|in)\b|,)"
    r"|^\s*(?P<title3>[A-Z][\w&/.+'’-]*(?:\s+" + _TITLE_WORD + r"){0,6}?)\s+(?:wanted|needed)\b",
    re.M,
)
_TITLE_COLON_RE = re.compile(r"^\s*([A-Z][^:.;,]{1,60}?)\s*:\s+")
_TRAILING_SCHEDULE_RE = re.compile(r"\s+(?:PT|FT|F/T|P/T)$")


#: Where the title ends on a title line: "Title - Unit", "Title, 5+ years, remote", "Title @ Co", "Title with 5+ years".
_TITLE_END_RE = re.compile(
    r"\s+[–—|]\s+|\s+-\s+|,\s+|\s+@\s+|\s+at\s+(?=[A-Z])"
    r"|\s+with\s+(?=(?:\d|at\s+least|a\s+minimum|minimum|over|more\s+than)\b)|\s+(?:wanted|needed)\b", re.I)
_TITLE_PREFIX_RE = re.compile(r"^\s*(?:job\s+title|position|role|title|we'?re\s+hiring|hiring|now\s+hiring|urgent)\s*[:!\-–]\s*", re.I)


def _title_and_rest(line: str) -> tuple[str, str, str, bool]:
    """(title, what the line says after it, the title as written with its parentheses, whether the rest is a
    list of requirements: after a comma or "with", not after a dash or bar, which adds a unit or place).

    'Frontend Engineer – React/TypeScript (m/w/d)' -> ('Frontend Engineer', 'React/TypeScript', ...);
    'Backend Engineer (Go), 5+ years, remote' -> ('Backend Engineer', '5+ years, remote', 'Backend Engineer (Go)').
    """
    text = _TITLE_PREFIX_RE.sub("", line)
    masked = re.sub(r"\([^)]*\)|\[[^\]]*\]", lambda m: " " * len(m.group(0)), text)  # offsets stay those of text
    end = _TITLE_END_RE.search(masked)
    cut = end.start() if end else len(masked)
    title = re.sub(r"\s+", " ", masked[:cut]).strip(" -–—:*#.!")
    title = _TRAILING_SCHEDULE_RE.sub("", title)  # "Bartender PT" -> "Bartender"
    rest = re.sub(r"\s+", " ", masked[end.end():]) if end else ""
    listed = bool(end) and bool(re.match(r",|\s+with\b", end.group(0), re.I))
    return title[:200], rest.strip(" -–—|,:;!."), text[:cut], listed


def clean_title(line: str) -> str:
    """'Frontend Engineer – React/TypeScript (m/w/d)' -> 'Frontend Engineer'."""
    return _title_and_rest(line)[0]


def _sentence_class(sentence: str, first_paragraph: bool, terse: bool = False) -> str:
    """``terse``: a posting of short sentences, where a bare "CCH Axcess." or "Typing 40 WPM." is a requirement."""
    pref, req = bool(_PREF_CUE.search(sentence)), bool(_REQ_CUE.search(sentence))
    if pref:
        return "preferred"
    if _DUTY_CUE.search(sentence) and not re.search(r"\byou(?:'ll|\s+will)?\s+(?:must|need|have|should)\b|\bmust\s+have\b",
                                                     sentence, re.I):
        return "duties"
    if req:
        return "required"
    if first_paragraph or _COMPANY_CUE.search(sentence):
        return "about"
    return "required" if terse and len(sentence.split()) <= 8 else "unknown"


#: Independent items of a line: split at ';' and at a spaced dash or bar ("MUST HAVE X - Y A PLUS").
_ITEM_RE = re.compile(r"(?:(?!\s[-–—|]\s)[^;])+")


def _clauses(text: str) -> list[tuple[str, int, bool]]:
    """The clauses of a sentence, split at ';', ' - ', ',' and 'but' (a list "X, Y and Z" becomes its items);
    the flag is True for the first clause after a ';' or ' - ' (a new, independent item)."""
    out = []
    for group in _ITEM_RE.finditer(text):
        first = True
        for m in re.finditer(r"[^,]+", group.group(0)):
            piece, start = m.group(0), group.start() + m.start()
            for sub in re.finditer(r"(?:(?!\bbut\b).)+", piece, re.I):
                if sub.group(0).strip():
                    out.append((sub.group(0), start + sub.start(), first))
                    first = False
    return out


_LIST_MARK_RE = re.compile(r"[;,]|\s[-–—|]\s|\bbut\b", re.I)


def _mixed(text: str, section: Optional[str]) -> bool:
    """A sentence that asks for some skills and only prefers others ("Excel required, SQL nice")."""
    if not _LIST_MARK_RE.search(text) or not _PREF_CUE.search(text) or _SOFT_NEGATION.search(text):
        return False  # cheapest test first: most sentences are not lists
    return bool(_STRONG_REQ.search(text)) or section == "required"


def split_mixed(text: str, default: str, items: bool = False) -> list[tuple[str, int, str]]:
    """Clauses of a mixed sentence, each with its own class.

    A cue word binds the clause it sits in. A clause without one joins the cue
    that reaches it: a leading cue carries forward ("must have X, Y"), a trailing
    cue reaches back over the list before it ("X, Y and Z are required"),
    otherwise the section's default applies. In a list of ``items`` ("PTCB certified,
    1 year retail, Spanish a plus") a cue reaches no other item.
    """
    out: list[tuple[str, int, str]] = []
    pending: list[tuple[str, int]] = []
    forward: Optional[str] = None
    for clause, start, new_item in _clauses(text):
        if new_item:  # a trailing cue never reaches back over a ';'
            out += [(c, s, default) for c, s in pending]
            pending = []
        pref, req = _PREF_CUE.search(clause), _STRONG_REQ.search(clause)
        if not (pref or req):
            if forward:
                out.append((clause, start, forward))
            else:
                pending.append((clause, start))
            continue
        cls = "preferred" if pref else "required"
        cue = pref or req
        mentions = taxonomy.find(clause)
        leading = not mentions or cue.start() < mentions[0].start
        out += [(c, s, default if leading or items else cls) for c, s in pending]
        pending = []
        out.append((clause, start, cls))
        forward = cls if leading and not items else None
    out += [(c, s, default) for c, s in pending]
    return sorted(out, key=lambda x: x[1])


def segment(body: str, single_paragraph: bool = False, items: bool = False, item_default: str = "required") -> list[Unit]:
    """Cut a posting body (title removed) into classified units.

    ``single_paragraph``: the whole posting is one paragraph (terse postings), so its first
    sentences are requirements, not a company blurb.
    ``items``: the text is a comma-separated list of items ("3+ years, ACLS required, CCRN preferred,
    nights"): a cue binds its own item, and an item without one is of class ``item_default``.
    """
    units: list[Unit] = []
    section: Optional[str] = None
    paragraph_section: Optional[str] = None  # inline heading scope: until the paragraph ends
    paragraph = 0
    prose_paragraphs = 0
    in_paragraph = False
    first_prose_paragraph: Optional[int] = None
    pos = 0
    raws = body.split("\n")
    last = max((i for i, raw in enumerate(raws) if raw.strip()), default=-1)
    for i, raw in enumerate(raws):
        line_start = pos
        pos += len(raw) + 1
        line = raw.strip()
        if not line:
            if in_paragraph:
                paragraph += 1
                in_paragraph = False
                paragraph_section = None
            continue
        in_paragraph = True
        lead = len(raw) - len(raw.lstrip())
        bullet = _BULLET_RE.match(raw)
        content = raw[bullet.end():] if bullet else raw[lead:]
        content_offset = line_start + (bullet.end() if bullet else lead)
        inline = _INLINE_HEADING_RE.match(content) if not bullet else None
        line_section = None  # "Location: Spokane, WA" speaks for its own line only
        if inline:
            kind = classify_heading(inline.group("label"))
            if kind:
                rest = inline.group("rest").strip()
                if not rest:
                    section, paragraph_section = kind, None
                    continue
                if kind == "meta":
                    line_section = kind
                else:
                    paragraph_section = kind
                content = rest
                content_offset = line_start + raw.index(rest) if rest in raw else content_offset
        elif i < last and not bullet and len(line) <= 60 and not re.search(r"[.!?]$", line) and len(line.split()) <= 8:
            # a heading heads something and names no skill: the posting's last line ("QuickBooks a must") and
            # "MUST HAVE ACTIVE STATE CNA CERTIFICATION" are content
            kind = classify_heading(line)
            if kind and not any(m.kind == "skill" for m in taxonomy.find(line)):
                section, paragraph_section = kind, None
                continue
        active = line_section or paragraph_section or section
        if bullet or active in ("meta",):
            pieces = [(content, content_offset)]
        else:
            pieces = []
            start = 0
            for m in _SENTENCE_SPLIT_RE.finditer(content):
                pieces.append((content[start:m.start()], content_offset + start))
                start = m.end()
            pieces.append((content[start:], content_offset + start))
        if active is None and not bullet:
            if first_prose_paragraph is None:
                first_prose_paragraph = paragraph
            prose_paragraphs += 1
        for text, offset in pieces:
            if not text.strip():
                continue
            if active in ("about", "meta"):
                cls = active
            elif active == "duties":
                cls = "preferred" if _PREF_CUE.search(text) else "duties"
                if cls == "duties" and re.search(r"\byou\s+(?:must|need)\b|\bmust\s+have\b", text, re.I):
                    cls = "required"
            elif active == "preferred":
                cls = "preferred"
            elif active in ("required", "preferred", None) and (_mixed(text, active) or items and _LIST_MARK_RE.search(text)):
                # "BLS required; ACLS preferred", "Excel required, SQL nice": classify each clause
                for clause, start, clause_cls in split_mixed(text, active or (item_default if items else "required"),
                                                             items=items):
                    units.append(Unit(clause, offset + start, active, clause_cls, paragraph))
                continue
            elif active == "required":
                strong = _STRONG_REQ.search(text)
                aside = any(_PREF_CUE.search(g) for g in re.findall(r"\([^)]*\)", text))
                if _PREF_CUE.search(text) and (strong or aside) and re.search(r"[(]", text):
                    # "Python (Django preferred)", "CRM experience (HubSpot preferred)": classify each part
                    for part in _PART_SPLIT_RE.finditer(text):
                        if part.group(0).strip():
                            units.append(Unit(part.group(0), offset + part.start(), active,
                                              "preferred" if _PREF_CUE.search(part.group(0)) else "required", paragraph))
                    continue
                cls = "preferred" if _PREF_CUE.search(text) and not strong else "required"
            else:
                cls = _sentence_class(text, first_paragraph=(paragraph == first_prose_paragraph and not bullet
                                                             and not single_paragraph),
                                      terse=single_paragraph and (not items or item_default == "required"))
            units.append(Unit(text, offset, active, cls, paragraph))
    return units


def _masked_spans(text: str, mentions: list[taxonomy.Mention]) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in extract.EDUCATION_SPAN_RE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _OVER_RE.finditer(text)]
    spans += [(m.start("x"), m.end("x")) for m in _COMPARABLE_RE.finditer(text)]
    for mention in mentions:
        if mention.name in d.UMBRELLA:
            tail = text[mention.end:]
            ex = _EXAMPLES_RE.match(tail)
            if ex:
                start = mention.end + ex.end()
                close = ")" if ex.group(0).endswith("(") else None
                end_idx = tail.find(")", ex.end()) if close else -1
                if end_idx < 0:
                    stop = re.search(r"[.;]|$", tail[ex.end():])
                    end_idx = ex.end() + (stop.start() if stop else len(tail) - ex.end())
                spans.append((start, mention.end + end_idx))
    return spans


def _negated(unit_text: str, mention: taxonomy.Mention) -> bool:
    if _SOFT_NEGATION.search(unit_text):
        return False  # "not required but helps": a preference
    # find the clause holding the mention
    bounds = [0] + [m.end() for m in _CLAUSE_SPLIT_RE.finditer(unit_text)] + [len(unit_text) + 1]
    for lo, hi in zip(bounds, bounds[1:]):
        if lo <= mention.start < hi:
            clause = unit_text[lo:hi]
            return bool(_NEGATION_RE.search(clause)) and not _PREF_CUE.search(clause)
    return False


def _short_item(unit_text: str, mention: taxonomy.Mention) -> bool:
    """The mention sits in a list item of at most five words, or in a clause that asks for it ("Russian or
    Mandarin is an advantage", "English required"): a language named as a requirement."""
    for clause, start, _ in _clauses(unit_text):
        if start <= mention.start < start + len(clause):
            return len(clause.split()) <= 5 or bool(_PREF_CUE.search(clause) or _STRONG_REQ.search(clause))
    return False


def unit_skills(unit_text: str) -> tuple[list[str], set[str]]:
    """(skills required/wanted by this unit, skills negated in it)."""
    mentions = taxonomy.find(unit_text)
    masked = _masked_spans(unit_text, mentions)
    language_ok = bool(_LANGUAGE_CUE.search(unit_text))
    bilingual = bool(re.search(r"bilingual", unit_text, re.I))
    names: list[str] = []
    negated: set[str] = set()
    for mention in mentions:
        entry = taxonomy.ENTRIES[mention.name]
        if entry.kind != "skill":
            continue
        if any(s <= mention.start < e for s, e in masked):
            continue
        if entry.category == "language" and (not (language_ok or _short_item(unit_text, mention))
                                             or (bilingual and entry.name == "English")):
            continue
        if _negated(unit_text, mention):
            negated.add(entry.name)
            continue
        names.append((mention.start, entry.name, mention))
    # compound rules: sales motion and medical coding specialties
    extra: list[tuple[int, str]] = []
    for m in _SALES_COMPOUND_RE.finditer(unit_text):
        extra.append((m.start(), "B2B SaaS sales"))
    if re.search(r"\bcoding\b", unit_text, re.I) and re.search(r"\b(?:medical|specialty|outpatient|inpatient|pro-fee|coder|cpt|icd)", unit_text, re.I):
        for m in _SPECIALTY_RE.finditer(unit_text):
            extra.append((m.start(), _SPECIALTY_CODING[m.group(1).lower()]))
    ordered = sorted([(pos, name) for pos, name, _ in names] + extra)
    return [name for _, name in ordered], negated


def parse(text: str) -> dict:
    """The JobParserOutput fields (without provenance) for one posting."""
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    title_line = ""
    body_start = 0
    for i, line in enumerate(lines):
        if line.strip():
            title_line = line.strip()
            body_start = sum(len(l) + 1 for l in lines[: i + 1])
            break
    first = _FIRST_SENTENCE_RE.match(title_line)
    more = bool(first) and first.group(0).rstrip().endswith((".", "!")) and bool(title_line[first.end():].strip())
    if len(title_line) > 120 or title_line.endswith(".") and len(title_line.split()) > 8 or more:
        # no title line: a terse one-liner starts with a short title sentence ("Maint Tech II. PLC req'd. ..."),
        # a one-line list with a short title field ("Line Cook, 2 years experience, ServSafe required, ..."),
        # prose names the role in its first sentences ("We're hiring a Quality Engineer at ...")
        head = _TITLE_COLON_RE.match(title_line)
        prose = bool(_PROSE_START_RE.match(title_line)) or bool(_PROSE_TITLE_RE.search(first.group(1) if first else title_line))
        if head and classify_heading(head.group(1)) is None:  # "CNC Machinist: CNC mills, GD&T, Fanuc. 3 years."
            body_start = text.index(title_line) + head.end()
            title_line = head.group(1)
        elif first and 0 < len(clean_title(first.group(1)).split()) <= 6 and not prose:
            body_start = text.index(title_line) + first.end()
            title_line = first.group(1)
        elif not first and 0 < len(clean_title(title_line).split()) <= 6 and not prose:
            pass  # a one-line list: the title is its first field, the other fields are read below
        else:
            title_line, body_start = "", 0
    body = text[body_start:]
    title, rest, title_head, listed = _title_and_rest(title_line) if title_line else (None, "", "", False)
    if not title:
        m = _PROSE_TITLE_RE.search(text[:600])
        if m:
            title = re.sub(r"\s+", " ", m.group("title") or m.group("title2") or m.group("title3")).strip()
            title_line = title_head = title
    if not title:
        hits = taxonomy.find_titles(text[:600])
        title = hits[0][0] if hits else None
    # what the title line says after the title ("..., 5+ years, remote, $150k") is read as a list of items;
    # after a dash ("Registered Nurse - ICU") only what a cue marks is a requirement
    units = [replace(u, paragraph=-1) for u in segment(rest, single_paragraph=True, items=True,
                                                        item_default="required" if listed else "unknown")] if rest else []
    units += segment(body, single_paragraph=not re.search(r"\n\s*\n", body.strip()))

    all_mentions = taxonomy.apply_context(taxonomy.find(text))
    allowed = {m.name for m in all_mentions}

    mandatory: list[str] = []
    preferred: list[str] = []
    fallback: list[str] = []
    blurb: list[str] = []
    negated: set[str] = set()
    for unit in units:
        if unit.cls in ("about", "meta", "duties"):
            names, neg = unit_skills(unit.text)
            negated |= neg
            if unit.cls == "duties":
                fallback += names
            elif unit.cls == "about":
                blurb += names
            continue
        names, neg = unit_skills(unit.text)
        negated |= neg
        names = [n for n in names if n in allowed or n not in d.NEEDS_CONTEXT]
        if unit.cls == "required":
            mandatory += names
        elif unit.cls == "preferred":
            preferred += names
        else:
            fallback = names + fallback
    # technologies and credentials named in the title are requirements ("Backend Engineer (Python)", "CDL-A Driver")
    title_skills = [m.name for m in taxonomy.apply_context(taxonomy.find(title_head))
                    if taxonomy.ENTRIES[m.name].kind == "skill" and (taxonomy.ENTRIES[m.name].category in _TECH_CATEGORIES
                                                                     or _CREDENTIAL_NAME_RE.search(m.name))]
    if not mandatory and not preferred:
        mandatory = fallback
        if not mandatory and len({u.paragraph for u in units}) == 1:
            mandatory = blurb  # a one-paragraph posting has no separate company blurb
    mandatory = _unique([n for n in title_skills + mandatory if n not in negated])
    preferred = _unique([n for n in preferred if n not in negated and n.lower() not in {m.lower() for m in mandatory}])

    requirement_text = [u.text for u in units if u.cls in ("required", "unknown") or u.section == "required"]
    years_candidates = [y for u in units if u.section in ("required", None) and u.cls not in ("about",)
                        for y in extract.years_mentions(u.text)]
    if not years_candidates:
        years_candidates = [y for u in units if u.cls not in ("about", "preferred") for y in extract.years_mentions(u.text)]
    education = extract.minimum_education([t for t in requirement_text if not _PREF_CUE.search(t)] or requirement_text)
    return {
        "title": title or None,
        "mandatory_skills": mandatory[:60],
        "preferred_skills": preferred[:60],
        "years_experience": max(years_candidates) if years_candidates else None,
        "education_level": education,
        "location": extract.location(text),
        "work_mode": extract.work_mode(text),
        "salary_range": extract.salary(text),
        "seniority_level": extract.seniority(title_line, body),
        "employment_type": extract.employment_type(text, title_line),
    }


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out
