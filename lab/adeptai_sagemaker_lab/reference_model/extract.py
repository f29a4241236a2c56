"""Field extractors shared by the job parser, the matcher and the resume tools.

Each function reads one kind of fact (years, salary, education, location, work
mode, employment type, seniority) from plain text with precompiled patterns.
They are written against how postings and resumes are phrased in general, not
against any particular evaluation text.
"""

from __future__ import annotations

import re
from typing import Optional

from adeptai_sagemaker_lab.reference_model import taxonomy_data as d

# --------------------------------------------------------------------------- numbers

NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "uno": 1, "dos": 2, "tres": 3, "cinco": 5, "diez": 10, "zwei": 2, "drei": 3, "fünf": 5,
    "zehn": 10, "deux": 2, "trois": 3, "cinq": 5, "dix": 10,
}
_NUM = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty|an?)"
YEARS_RE = re.compile(
    r"(?P<pre>at\s+least|minimum(?:\s+of)?|min\.?|a\s+minimum\s+of|over|more\s+than|mindestens|al\s+menos|au\s+moins|pelo\s+menos|m[ií]nimo(?:\s+de)?)?\s*"
    r"\b(?P<a>" + _NUM + r")\s*(?:\+|plus\b)?\s*(?:(?:-|–|—|to|or|a)\s*(?P<b>" + _NUM + r")\s*\+?\s*)?"
    r"(?:years?|yrs?|jahre[n]?|años|anos|ans)\b(?P<plus>\s*\+)?",
    re.IGNORECASE,
)
_YEARS_CONTEXT_AFTER = re.compile(
    r"^[^.;\n]{0,60}?\b(?:experience|exp\b|of\b|in\b|as\b|working|professional|background|track\s+record|hands-on|"
    r"closing|supervis|progressive|post-|relevant|industry|berufserfahrung|erfahrung|experiencia|expérience|experiência|"
    r"[a-z]+ing\b|with\b|using\b|at\b)",
    re.IGNORECASE,
)
_YEARS_REJECT_AFTER = re.compile(
    r"^\s*(?:old|of\s+age|degree|program|contract(?!\s+(?:management|negotiation|review|administration|law))|warranty|ago"
    r"|later|from\s+now|background\s+check)", re.I)
#: "6 months customer service", "6 MONTHS LONG-TERM CARE EXPERIENCE": under a year of experience is 0 years.
_MONTHS_RE = re.compile(r"(?:^|[.;:,|•(\n]\s*|\b(?:at\s+least|minimum(?:\s+of)?|min\.?)\s+)(?P<n>\d{1,2})\s*\+?\s*(?:months?|mos?\.?)\b"
                        r"(?!\s*(?:contract|project|assignment|of\s+hire|probation|from|after|training\s+program))", re.I)
_YEARS_REJECT_BEFORE = re.compile(
    r"(?:within|every|per|in\s+the\s+(?:last|past|next|first)|over\s+the\s+(?:last|past|next)|for\s+the\s+next|after|"
    r"first|next|past|last|under|founded|since|for\s+over|for\s+more\s+than)\s*$",
    re.I,
)


def _num(token: Optional[str]) -> Optional[int]:
    if token is None:
        return None
    token = token.lower()
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def years_mentions(text: str) -> list[int]:
    """Minimum years of experience stated in ``text`` ("5+ years" -> 5, "3-5 years" -> 3)."""
    out: list[int] = []
    low = text.lower()
    if not any(k in low for k in ("yr", "year", "jahr", "año", "ano", "ans", "month", "mo")):
        return out  # cheap pre-check: most sentences name no years
    for m in YEARS_RE.finditer(text):
        a = m.group("a").lower()
        if a in ("a", "an") and not m.group("pre"):
            continue
        before = text[max(0, m.start() - 40):m.start()]
        after = text[m.end():m.end() + 80]
        if _YEARS_REJECT_AFTER.match(after) or (_YEARS_REJECT_BEFORE.search(before) and not m.group("pre")):
            continue
        # "minimum 5 years retail leadership" and a clause that starts with the years ("5 yrs healthcare
        # analytics.", "0-2 yrs.") state experience even without the word
        opens_clause = bool(re.search(r"(?:^|[.;:,|•(\n])\s*$", before))
        # "someone with 8+ years.": a plus sign ending its clause is a minimum of experience
        plus_alone = "+" in m.group(0) and bool(re.match(r"\s*(?:[.;,)!]|$)", after))
        if not (_YEARS_CONTEXT_AFTER.match(after) or re.search(r"experience|erfahrung|experiencia|expérience", before, re.I)
                or m.group("pre") or opens_clause or plus_alone):
            continue
        value = _num(a)
        if value is not None and 0 <= value <= 50:
            out.append(value)
    for m in _MONTHS_RE.finditer(text):
        if re.match(r"[^.;\n]{0,60}?\b(?:experience|exp\b|[a-z]+ing\b|service|care|retail|sales)", text[m.end():m.end() + 80], re.I):
            out.append(int(m.group("n")) // 12)
    return out


# --------------------------------------------------------------------------- salary

_CUR_SYMBOLS = {
    "US$": "USD", "USD$": "USD", "C$": "CAD", "CA$": "CAD", "CAD$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD",
    "S$": "SGD", "R$": "BRL", "HK$": "HKD", "MX$": "MXN", "$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY",
    "Rs.": "INR", "Rs": "INR",
}
_CUR_CODES = "USD|EUR|GBP|CAD|AUD|INR|JPY|CHF|SEK|NOK|DKK|PLN|BRL|MXN|SGD|NZD|ZAR|HKD|AED|KRW|CNY"
_SYM = r"(?:US\$|USD\$|CAD\$|CA\$|C\$|AU\$|A\$|NZ\$|S\$|R\$|HK\$|MX\$|Rs\.?|[$€£₹¥])"
_AMOUNT = (
    r"(?P<cur{i}>(?:(?:" + _CUR_CODES + r")\s?)?" + _SYM + r"|(?:" + _CUR_CODES + r")\s?)?\s*"
    r"(?P<num{i}>\d{{1,3}}(?:[,.\u202f\u00a0 ]\d{{3}})+(?:[.,]\d{{1,2}})?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<mult{i}>[kK](?![a-zA-Z])|thousand|[mM](?![a-zA-Z])|million|lakhs?|LPA|lpa|L(?![a-zA-Z])))?"
    r"(?:\s*(?P<code{i}>(?:" + _CUR_CODES + r")\b|€|£))?"
)
SALARY_RANGE_RE = re.compile(
    _AMOUNT.replace("{i}", "1").replace("{{", "{").replace("}}", "}") + r"\s*(?:-|–|—|to|and|bis|a)\s*"
    + _AMOUNT.replace("{i}", "2").replace("{{", "{").replace("}}", "}")
)
SALARY_SINGLE_RE = re.compile(_AMOUNT.replace("{i}", "1").replace("{{", "{").replace("}}", "}"))
_SALARY_CUE = re.compile(
    r"\b(?:salary|salaries|compensation|pay|paid|rate|wage|wages|base|ctc|ote|earn|earning|stipend|hourly|per\s+hour|"
    r"gehalt|salario|sueldo|salaire|rémunération|remuneração|package|vergütung|lohn|brutto)\b",
    re.I,
)
_NOT_SALARY_AFTER = re.compile(
    r"^\s*(?:in\s+)?(?:new\s+)?(?:arr|revenue|in\s+assets|assets|budget|transactions|funding|raised|valuation|users|customers|"
    r"locations|employees|orders|sales|gmv|b\b|bn\b|billion|deals?|quota|pipeline|spend|portfolio|aum|loans?|members"
    r"|years?\b|yrs?\b|months?\b|weeks?\b"  # "1-3 years retail experience" on a pay line is not pay
    r"|(?:/\s*(?:hr|hour|h)\s+|per\s+hour\s+|an\s+hour\s+)?(?:shift\s+)?(?:differential|premium|raise|increase|sign-on|signing|bonus))",
    re.I,
)
_PERIODS = (
    ("hour", re.compile(r"/\s*(?:hour|hr|h)\b|per\s+hour|an\s+hour|hourly|p/h\b|/std|por\s+hora|de\s+l'heure|pro\s+stunde|stündlich|de\s+l’heure", re.I)),
    ("month", re.compile(r"/\s*(?:month|mo)\b|per\s+month|a\s+month|monthly|mensual", re.I)),
    ("week", re.compile(r"/\s*(?:week|wk)\b|per\s+week|weekly", re.I)),
    ("day", re.compile(r"/\s*day\b|per\s+day|a\s+day\b|daily\s+rate|day\s+rate", re.I)),
    ("year", re.compile(r"/\s*(?:year|yr|annum)\b|per\s+(?:year|annum)|pro\s+jahr|jährlich|a\s+year|annually|annual|p\.?\s?a\.?(?![a-z])|yearly|LPA|per\s+anno|brutto|gross", re.I)),
)


def _parse_number(raw: str) -> Optional[float]:
    raw = raw.replace("\u202f", " ").replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", raw):  # European 65.000 / 1.234,50
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?", raw):
        raw = raw.replace(" ", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return float(raw)
    except ValueError:
        return None


def _multiplier(token: Optional[str]) -> float:
    if not token:
        return 1.0
    t = token.lower()
    if t in ("k", "thousand"):
        return 1_000.0
    if t in ("m", "million"):
        return 1_000_000.0
    if t in ("lakh", "lakhs", "lpa", "l"):
        return 100_000.0
    return 1.0


def _currency(*tokens: Optional[str]) -> Optional[str]:
    for token in tokens:
        if not token:
            continue
        token = token.strip()
        code = re.match(r"(" + _CUR_CODES + r")\b", token)
        if code:  # "CAD $85,000": the code names the dollar
            return code.group(1)
        if token in _CUR_SYMBOLS:
            return _CUR_SYMBOLS[token]
        if token.rstrip(".") in _CUR_SYMBOLS:
            return _CUR_SYMBOLS[token.rstrip(".")]
        if re.fullmatch(_CUR_CODES, token):
            return token
    return None


def _period(context: str, high: float, mult_token: Optional[str]) -> str:
    if mult_token and mult_token.lower() in ("lpa", "lakh", "lakhs", "l"):
        return "year"
    for name, pattern in _PERIODS:
        if pattern.search(context):
            return name
    return "hour" if high < 300 else "year"


_PER_UNIT_PAY = re.compile(r"^\s*(?:/\s*|per\s+)(?:mile|load|piece|unit|delivery|km)\b|^\s*(?:cpm|cents\s+per\s+mile)\b", re.I)
_PERIOD_AFTER = re.compile(r"^\s*(?:/\s*(?:hr|hour|h|day|week|wk|month|mo|year|yr)\b|per\s+(?:hour|day|week|month|year|annum)\b|an\s+hour\b|hourly\b|a\s+day\b)", re.I)
#: "OTE $150,000 ($75,000 base)": the base is the salary.
_BASE_AMOUNT_RE = re.compile(r"(?P<amount>" + _SYM + r"\s?\d[\d,.]*\s*[kK]?)\s*base\b|\bbase(?:\s+salary)?(?:\s+of)?\s*:?\s*(?P<amount2>" + _SYM + r"\s?\d[\d,.]*\s*[kK]?)(?!\s*[-–])", re.I)


def salary(text: str) -> Optional[dict]:
    """The stated pay range: {min, max, currency, period}, or None when none is stated."""
    if re.search(r"\bOTE\b", text):
        m = _BASE_AMOUNT_RE.search(text)
        if m:
            single = SALARY_SINGLE_RE.search(m.group("amount") or m.group("amount2"))
            value = _parse_number(single.group("num1")) if single else None
            cur = _currency(single.group("cur1")) if single else None
            if value:
                value *= _multiplier(single.group("mult1"))
                return {"min": value, "max": value, "currency": cur or "USD", "period": "year"}
    best: Optional[tuple[int, dict]] = None
    for line in text.split("\n"):
        cue = bool(_SALARY_CUE.search(line))
        for m in SALARY_RANGE_RE.finditer(line):
            cur = _currency(m.group("cur1"), m.group("code1"), m.group("cur2"), m.group("code2"))
            mult1, mult2 = m.group("mult1"), m.group("mult2")
            if not (cur or cue or mult2 in ("LPA", "lpa")):
                continue
            if _NOT_SALARY_AFTER.match(line[m.end():]) or _PER_UNIT_PAY.match(line[m.end():]):
                continue
            a, b = _parse_number(m.group("num1")), _parse_number(m.group("num2"))
            if a is None or b is None:
                continue
            if not mult1 and mult2:
                mult1 = mult2
            low, high = a * _multiplier(mult1), b * _multiplier(mult2)
            if high < low or low <= 0:
                continue
            if not cur:
                cur = "INR" if (mult2 or "").lower() in ("lpa", "lakh", "lakhs") else "USD"
            context = line[max(0, m.start() - 30):m.end() + 50]
            period = _period(context[m.end() - max(0, m.start() - 30):] + " " + context, high, mult2 or mult1)
            score = (2 if cue else 0) + (1 if cur else 0)
            found = {"min": low, "max": high, "currency": cur, "period": period}
            if best is None or score > best[0]:
                best = (score, found)
            break
        if best and best[0] >= 3:
            break
    if best:
        return best[1]
    # a single stated amount ("up to $120k per year", "$25/hour") on a pay line
    for line in text.split("\n"):
        cue = bool(_SALARY_CUE.search(line))
        for m in SALARY_SINGLE_RE.finditer(line):
            cur = _currency(m.group("cur1"), m.group("code1"))
            if not cur or _NOT_SALARY_AFTER.match(line[m.end():]) or _PER_UNIT_PAY.match(line[m.end():]):
                continue
            if not (cue or _PERIOD_AFTER.match(line[m.end():])):  # "$140/day", "$12/hr + tips"
                # "Remote, $75,000.": a yearly-sized amount alone, not a bonus, budget or funding figure
                if not (m.group("cur1") and (_parse_number(m.group("num1")) or 0) * _multiplier(m.group("mult1")) >= 20000
                        and not re.search(r"bonus|sign-on|signing|relocation|tuition|raised|funding|revenue|budget",
                                          line[max(0, m.start() - 40):m.end() + 40], re.I)):
                    continue
            value = _parse_number(m.group("num1"))
            if not value:
                continue
            value *= _multiplier(m.group("mult1"))
            before = line[max(0, m.start() - 20):m.start()].lower()
            period = _period(line[m.end():m.end() + 40], value, m.group("mult1"))
            if "up to" in before:
                return {"min": None, "max": value, "currency": cur, "period": period}
            return {"min": value, "max": value, "currency": cur, "period": period}
    return None


# --------------------------------------------------------------------------- education

EDUCATION_ORDER = ("none", "high_school", "associate", "bachelor", "master", "phd")
_EDU_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("none", re.compile(r"\bno\s+(?:college\s+|formal\s+|university\s+)?(?:degree|diploma|education)\s+(?:is\s+)?(?:required|necessary|needed)"
                        r"|\bdegree\s+(?:is\s+)?not\s+(?:required|necessary)|\bno\s+degree\b", re.I)),
    ("high_school", re.compile(r"\bhigh[\s-]school\s+(?:diploma|education|graduate|degree|equivalen|or\s+(?:equivalent|GED))"
                               r"|\bhigh[\s-]school\s*$|\bGED\b|\bsecondary\s+school\b|\bHS\s+diploma\b|\bmatric", re.I | re.M)),
    ("associate", re.compile(r"\bassociate'?s?\s+(?:degree|of|in|or|/)\b|\bassociate\s+degree\b|\bA\.?A\.?S\.?\b|\bADN\b|\btwo-year\s+degree\b", re.I)),
    ("bachelor", re.compile(r"\bbachelor|\bB\.\s?Sc\.?|\bBSc\b|\bB\.S\.(?=\s)|\bB\.A\.(?=\s)|\bB\.\s?Eng\b|\bBEng\b|\bB\.?B\.?A\.?\b|\bB\.Com\b"
                            r"|\bB\.?S\.?c?\.?(?=\s*\(hons\))|\bB\.?\s?S\.?c?\.?(?=\s*(?:in\b|degree|/|or\b|,))|\bB\.?A\.?(?=\s*(?:in\b|degree|/|or\b))|\bB\.E\.|\bB\.?Tech\b"
                            r"|\bBSN\b|\bundergraduate\s+degree|\bB\.?S\.?\s+(?=(?:Chem|ChemE|EE|ME|CS|Bio|Biology|Chemistry|Engineering|Accounting|Finance|Nursing)\b)|\b(?:four|4)-year\s+degree|\bcollege\s+degree|\buniversity\s+degree"
                            r"|\bLicenciatura|\bgrado\s+en|\blicence\s+(?:en|de|professionnelle)\b", re.I)),
    ("degree", re.compile(r"\bdegree\s+in\b|\bdegree\s+required\b|\bdegree\s+from\b", re.I)),
    ("master", re.compile(r"\bmaster'?s|\bmaster\s+of\b|\bM\.\s?Sc\.?|\bMSc\b|\bM\.S\.(?=\s)|\bM\.A\.(?=\s)|\bM\.\s?Eng\b|\bMEng\b"
                          r"|\bM\.?Ed\.?\b|\bMPH\b|\bMPP\b|\bMPA\b|\bMSW\b|\bLL\.?M\b|\bM\.?\s?S\.?c?\.?(?=\s*(?:in\b|degree))|\bMBA\b|\bM\.?Tech\b|\bMSN\b|\bgraduate\s+degree|\bmaestr[ií]a", re.I)),
    ("phd", re.compile(r"\bph\.?\s?d\b|\bDPT\b|\bJ\.D\.|\bjuris\s+doctor|\bDVM\b|\bD\.V\.M\.|\bPharm\.?\s?D\b|\bdoctor\s+of\s+(?:physical\s+therapy|pharmacy|medicine)|\bEd\.?D\b|\bdoctorate\b|\bdoctoral\s+degree|\bdoctor\s+of\s+philosophy", re.I)),
)


_EDU_NEGATED_AFTER = re.compile(r"^[^.;]{0,40}?\b(?:is|are)\s+not\s+(?:required|needed|necessary|mandatory)|^\s*not\s+(?:required|needed)", re.I)
_EDU_NEGATED_BEFORE = re.compile(r"\b(?:no|not|don'?t|do\s+not|doesn'?t|does\s+not|without)\s+(?:\w+\s+){0,3}$", re.I)
_NO_DEGREE_RE = re.compile(r"\b(?:don'?t|do\s+not|does\s+not|doesn'?t|won'?t)\s+(?:need|require)\s+(?:a|any)?\s*(?:college\s+|university\s+|formal\s+|computer\s+science\s+|cs\s+|4-year\s+|four-year\s+)?(?:degree|diploma)", re.I)


def _negated_level(text: str, pattern: re.Pattern) -> bool:
    """Every mention of the level is negated ("a high school diploma is not required", "you don't need a degree")."""
    hits = list(pattern.finditer(text))
    return bool(hits) and all(_EDU_NEGATED_AFTER.match(text[h.end():]) or _EDU_NEGATED_BEFORE.search(text[max(0, h.start() - 40):h.start()])
                              for h in hits)


def education_levels(text: str) -> list[str]:
    """Levels a text names; a bare "degree in X" means a bachelor's only when no level is named.

    A level that is only named to be waived ("a high school diploma is not required") counts as "none".
    """
    levels = []
    for level, pattern in _EDU_PATTERNS:
        if pattern.search(text):
            levels.append("none" if level not in ("none", "degree") and _negated_level(text, pattern) else level)
    if _NO_DEGREE_RE.search(text):
        levels.append("none")
    if "degree" in levels:
        levels.remove("degree")
        if not levels:
            levels.append("bachelor")
    return levels


def minimum_education(texts: list[str]) -> Optional[str]:
    """The lowest level required; "none" only when no level is asked for ("no degree; high school diploma
    required" -> high_school: the waiver is about college)."""
    levels = [lvl for t in texts for lvl in education_levels(t)]
    if not levels:
        return None
    positive = [lvl for lvl in levels if lvl != "none"]
    return min(positive, key=EDUCATION_ORDER.index) if positive else "none"


def highest_education(text: str) -> Optional[str]:
    levels = [lvl for lvl in education_levels(text) if lvl != "none"]
    return max(levels, key=EDUCATION_ORDER.index) if levels else None


EDUCATION_SPAN_RE = re.compile(
    r"\b(?:degree|diploma|bachelor'?s?|master'?s?|mba|ph\.?d\.?|doctorate|b\.?s\.?c?\.?|m\.?s\.?c?\.?|b\.?a\.?|b\.e\.?|b\.?tech|"
    r"associate'?s?|adn|bsn|msn|program(?:me)?|major(?:ing)?|ged)\s+(?:degree\s+)?(?:in|of)\s+[^;\n]*?(?=[;\n]|\.(?:\s|$)|, graduating|$)",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- location

_STATE_CODES = "|".join(sorted(set(d.US_STATES) | set(d.CA_PROVINCES)))
CITY_STATE_RE = re.compile(
    r"\b(?P<city>[A-Z][a-z][a-zA-Z.'’]*(?:[ -][A-Z][a-z][a-zA-Z.'’]*){0,3}),[ \t]*(?P<st>" + _STATE_CODES + r")\b(?![a-z])"
)
_COUNTRY_ALT = "|".join(sorted((re.escape(c) for c in d.COUNTRIES if len(c) > 2), key=len, reverse=True))
CITY_COUNTRY_RE = re.compile(
    r"(?<!\bof )(?<!\bfor )(?<!\band )(?<!\bthe )"  # "Ministry of Transport, ..." is an organisation, not a city
    r"\b(?P<city>[A-Z][a-zäöüßéèàíóúñç][a-zA-Zäöüßéèàíóúñç.'’]*(?:[ -][A-Z][a-zA-Zäöüßéèàíóúñç.'’]+){0,2}?)"
    r"(?:[ \t]+[A-Z]{2,3})?,[ \t]*(?:(?P<region>[A-Z][\w.'’ -]{1,30}?),[ \t]*)?(?P<country>(?i:" + _COUNTRY_ALT + r")|UK|USA|US)\b",
)
_LEADING_NON_CITY = {
    "our", "the", "in", "at", "near", "from", "location", "based", "remote", "hybrid", "onsite", "on-site", "office",
    "headquarters", "hq", "greater", "downtown", "central", "campus", "located", "team", "meet", "meets", "schedule",
    "pay", "salary", "a", "an", "and", "or", "with", "of", "within",
}
CITY_NAME_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted((re.escape(c) for c in d.CITIES), key=len, reverse=True)) + r")(?![\w])",
    re.IGNORECASE,
)
_LOCATION_LINE_RE = re.compile(r"^\s*(?:location|locations|based\s+in|office|work\s+location|where|job\s+location|ort|ubicación|lieu)\s*[:\-–]", re.I)


_STATE_BY_NAME = {name: code for code, name in d.US_STATES.items()}
#: "Eugene, Oregon", "Lake Tahoe, California": a city and a US state's name.
CITY_STATE_NAME_RE = re.compile(
    r"\b(?P<city>[A-Z][a-z][a-zA-Z.'’]*(?:[ -][A-Z][a-z][a-zA-Z.'’]*){0,3}),[ \t]*(?P<st>"
    + "|".join(sorted((n.title() for n in d.US_STATES.values()), key=len, reverse=True)) + r")\b")
#: "ONTARIO, CA", "KING OF PRUSSIA, PA" in all-caps postings.
CITY_STATE_CAPS_RE = re.compile(r"(?<![\w$])(?P<city>[A-Z]{3,}(?: (?:[A-Z]{2,}|OF)){0,3}),[ \t]*(?P<st>" + "|".join(sorted(d.US_STATES)) + r")\b(?![a-z])")
#: "Toledo OH." / "Omaha NE," in terse postings: a capitalised place and a US state code ending a field.
CITY_STATE_BARE_RE = re.compile(
    r"(?:^|[,.;|•(]\s*|\bin\s+|\bnear\s+)(?P<city>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}) (?P<st>" + "|".join(sorted(d.US_STATES)) + r")(?=\s*(?:[.,;|)]|$))",
    re.M)


def _clean_city(city: str) -> Optional[str]:
    city = re.split(r"[.!]\s+", city)[-1]  # "Mon-Fri. Omaha" -> "Omaha"
    if city.isupper():  # "KING OF PRUSSIA" -> "King of Prussia"
        city = " ".join(w.lower() if w in ("OF", "THE") else w.capitalize() for w in city.split())
    words = city.replace("-", " ").split()
    while words and words[0].lower().strip(".") in _LEADING_NON_CITY:
        words = words[1:]
    if not words:
        return None
    return " ".join(words)


def city_display(name: str) -> Optional[str]:
    """'chicago' -> 'Chicago, IL'; 'london' -> 'London, UK'."""
    hit = d.CITIES.get(name.lower())
    if not hit:
        return None
    return f"{hit[0]}, {hit[1]}"


def _city_state(m: re.Match) -> Optional[str]:
    city = _clean_city(m.group("city"))
    if not city:
        return None
    st = m.group("st")
    st = _STATE_BY_NAME.get(st.lower(), st)  # "Oregon" -> "OR"
    return f"{city}, Canada" if st in d.CA_PROVINCES and st not in d.US_STATES else f"{city}, {st}"


def _location_in(text: str) -> Optional[str]:
    m = CITY_STATE_RE.search(text) or CITY_STATE_NAME_RE.search(text) or CITY_STATE_CAPS_RE.search(text)
    if m and _city_state(m):
        return _city_state(m)
    m = CITY_COUNTRY_RE.search(text)
    if m:
        city = _clean_city(m.group("city"))
        if city:
            country = d.COUNTRIES.get(m.group("country").lower(), m.group("country"))
            return f"{city}, {country}"
    m = CITY_NAME_RE.search(text)
    if m:
        return city_display(m.group(0))
    return None


def location(text: str) -> Optional[str]:
    """'City, ST' or 'City, Country' where the posting says where the job is."""
    for line in text.split("\n"):
        if _LOCATION_LINE_RE.match(line):
            found = _location_in(line)
            if found:
                return found
    for pattern in (CITY_STATE_RE, CITY_STATE_NAME_RE):
        m = pattern.search(text)
        while m:
            if _city_state(m):
                return _city_state(m)
            m = pattern.search(text, m.end())
    m = CITY_COUNTRY_RE.search(text)
    if m and _clean_city(m.group("city")):
        return f"{_clean_city(m.group('city'))}, {d.COUNTRIES.get(m.group('country').lower(), m.group('country'))}"
    m = CITY_STATE_BARE_RE.search(text)
    if m and _clean_city(m.group("city")):
        return f"{_clean_city(m.group('city'))}, {m.group('st')}"
    m = CITY_NAME_RE.search(text)
    if m:
        return city_display(m.group(0))
    m = CITY_STATE_CAPS_RE.search(text)
    if m and _city_state(m):
        return _city_state(m)
    return None


# --------------------------------------------------------------------------- work mode

_DAYNUM = r"(?:[1-4]|one|two|three|four)"
_HYBRID_RE = re.compile(
    r"\bhybrid\b|\b" + _DAYNUM + r"\s+(?:office\s+|in-office\s+|on-?site\s+)?days?\s+(?:a|per|each|/|every)\s*(?:week|wk)\b"
    r"|\b" + _DAYNUM + r"\s+days?\s*/\s*week\s+(?:in[- ](?:the\s+)?office|on-?site)\b|\bon-?site\s+" + _DAYNUM + r"\s+days?\b|\b(?:one|1|two|2)\s+remote\s+days?\b"
    r"|\bremote\s+(?:on\s+)?(?:mondays|fridays)\b|\bin\s+the\s+office\s+(?:on\s+)?(?:mondays|tuesdays|wednesdays|thursdays|fridays)"
    r"(?:\s+(?:and|&)\s+(?:mondays|tuesdays|wednesdays|thursdays|fridays))?\b(?!,\s*(?:wednesdays|thursdays))",
    re.IGNORECASE,
)
_REMOTE_RE = re.compile(
    r"(?<!non-)(?<!not\s)(?<!no\s)\bremote\b(?!\s+(?:patient|monitoring|sensing|access|support|desktop|server|work\s+is\s+not|day|days|control|site))"
    r"|\bwork\s+from\s+(?:home|anywhere)\b|\bwfh\b|\bremote-first\b|\bfully\s+distributed\b|\btelecommut|\bhome-based\b"
    r"|\bremoto\b|\bt[ée]l[ée]travail\b|\bhomeoffice\b",
    re.IGNORECASE,
)
_NOT_REMOTE_RE = re.compile(r"\b(?:not|no|isn't|is\s+not|non)[\s-]+(?:a\s+)?remote\b|\bremote\s+work\s+is\s+not\b", re.I)
_ONSITE_RE = re.compile(
    r"\bon-?site\b|\bon\s+site\b|\bin[- ]office\b|\bin\s+the\s+office\b|\bin[- ]person\b|\boffice-based\b|\bin\s+office\b"
    r"|\b(?:five|5)\s+days\s+(?:a|per)\s+week\b|\bpresencial\b|\bsur\s+site\b|\bvor\s+ort\b|\bon[\s-]campus\b|\bfield-based\b|\bsite-based\b",
    re.IGNORECASE,
)


def work_mode(text: str) -> Optional[str]:
    if _HYBRID_RE.search(text):
        return "hybrid"
    if _REMOTE_RE.search(text) and not _NOT_REMOTE_RE.search(text):
        return "remote"
    if _ONSITE_RE.search(text) or _NOT_REMOTE_RE.search(text):
        return "onsite"
    return None


# --------------------------------------------------------------------------- employment type

_EMPLOYMENT_LINE_RE = re.compile(r"^\s*(?:employment\s+type|job\s+type|type|engagement|contract(?:\s+type)?|position\s+type|schedule)\s*:\s*(.+)$", re.I | re.M)
_INTERN_RE = re.compile(r"\bintern(?:ship)?s?\b|\bco-?op\b|\bpraktikum\b|\bstage\b(?=\s)|\bprácticas\b|\bestágio\b", re.I)
_CONTRACT_RE = re.compile(
    r"\b\d+[\s-]*(?:month|week|year)s?\s+contract\b|\bcontract\s+(?:role|position|basis|engagement|assignment|job|work|opportunity)\b"
    r"|\bcontract[\s-]+to[\s-]+hire\b|\bon\s+(?:a\s+)?contract\b|\bfixed[\s-]term\b|\btemporary\b|\bfreelance\b|\bcontractor\b"
    r"|\b1099\b|\bC2C\b|\(contract\)|\bcontract\)|\bseasonal\b"
    r"|^\s*contract\b(?!\s+(?:manager|administrator|specialist|analyst|coordinator|negotiator|attorney|lawyer|officer|management))",
    re.I | re.M,
)
_PART_RE = re.compile(r"\bpart[\s-]time\b|\bteilzeit\b|\bmedio\s+tiempo\b|\btemps\s+partiel\b", re.I)
_FULL_RE = re.compile(r"\bfull[\s-]time\b|\bpermanent\b|\bvollzeit\b|\btiempo\s+completo\b|\btemps\s+plein\b|\bFTE\b|(?-i:\bFT\b)", re.I)
#: "Bartender PT - Nashville", "PT/FT": the abbreviation as a schedule (not "PT license", "PT, DPT").
_PT_RE = re.compile(r"(?<![\w/])PT(?=\s*(?:[-–|.,]|$))(?!\s*[-–]\s*\w+\s+license)(?!,\s*DPT)|\bP/T\b")


_INTERNSHIP_POSITION_RE = re.compile(
    r"\b(?:this|our|the|a|an|paid|unpaid|summer|fall|spring|winter)\s+(?:[\w-]+\s+){0,3}internship\b(?!\s+(?:experience|background))"
    r"|\binternship\s+(?:program|position|role|opportunity)\b|^\s*internship\b", re.I | re.M)


def _employment_from(text: str) -> Optional[str]:
    if _INTERNSHIP_POSITION_RE.search(text):
        return "internship"
    if _CONTRACT_RE.search(text):
        return "contract"
    if _PART_RE.search(text) or _PT_RE.search(text):
        return "part_time"
    if _FULL_RE.search(text):
        return "full_time"
    return None


def employment_type(text: str, title: str = "") -> Optional[str]:
    if re.search(r"\bintern(?:ship)?\b", title, re.I):
        return "internship"
    line = _EMPLOYMENT_LINE_RE.search(text)
    if line:
        found = _employment_from(line.group(1))
        if found:
            if found == "full_time" and re.search(r"\binternship\b", text, re.I) and re.search(r"\bintern", title, re.I):
                return "internship"
            return found
    return _employment_from(title) or _employment_from(text)


# --------------------------------------------------------------------------- seniority

SENIORITY_ORDER = ("intern", "entry", "junior", "mid", "senior", "lead", "principal", "executive")
_TITLE_SENIORITY: tuple[tuple[str, re.Pattern], ...] = (
    ("intern", re.compile(r"\bintern(?:ship)?\b|\bpraktikant|\bstagiaire\b|\bco-?op\b|\bbecario\b", re.I)),
    ("executive", re.compile(r"\b(?:chief|cto|ceo|cfo|coo|cio|ciso|vp|vice\s+president|svp|evp|head\s+of|director|president)\b", re.I)),
    ("principal", re.compile(r"\bprincipal\b|\bdistinguished\b|\bfellow\b|\bstaff\s+(?:software|engineer|data|machine|ml|scientist|architect|developer|product|designer|site|security|backend|frontend|platform)", re.I)),
    ("lead", re.compile(r"\blead\b(?!\s+generation)|\btech\s+lead\b|\bteam\s+lead\b|\bhead\b(?!\s+of\b)", re.I)),
    ("senior", re.compile(r"\bsenior\b|\bsr\.?\b|\bIII\b|\bIV\b|\bexperienced\b", re.I)),
    ("mid", re.compile(r"\bmid[\s-]?level\b|\bmid[\s-]senior\b|\bII\b|\bintermediate\b", re.I)),
    ("junior", re.compile(r"\bjunior\b|\bjr\.?\b|\bassociate\s+(?:software|engineer|developer|data|product|designer|analyst)\b|\bI\b(?!\s*[-/])", re.I)),
    ("entry", re.compile(r"\bentry[\s-]?level\b|\bgraduate\b|\bnew\s+grad\b|\bearly\s+career\b|\bapprentice\b|\btrainee\b", re.I)),
)
_BODY_SENIORITY_RE = re.compile(
    r"\b(?:a|an|as\s+a|as\s+an|this\s+is\s+a|this\s+is\s+an|hiring\s+a|hiring\s+an|looking\s+for\s+a|looking\s+for\s+an)\s+"
    r"(?P<level>junior|entry[\s-]level|mid[\s-]level|mid-senior|senior[\s-]level|senior|principal|lead|intermediate)\b",
    re.I,
)
#: "Assembler. Entry level. No experience required.": a level stated as its own sentence or list item.
_LEVEL_SENTENCE_RE = re.compile(r"(?:^|[.;|•]\s*)(?P<level>entry[\s-]level|junior|mid[\s-]level|senior[\s-]level)"
                                r"(?:\s+(?:role|position|opening))?\s*(?:[.;|]|$)", re.I | re.M)
_BODY_MAP = {"junior": "junior", "entry level": "entry", "entry-level": "entry", "mid level": "mid", "mid-level": "mid",
             "mid-senior": "senior", "senior level": "senior", "senior-level": "senior", "senior": "senior",
             "principal": "principal", "lead": "lead", "intermediate": "mid"}


def seniority_from_title(title: str) -> Optional[str]:
    for level, pattern in _TITLE_SENIORITY:
        if pattern.search(title):
            return level
    return None


def seniority(title_line: str, body: str) -> Optional[str]:
    """Level from the title's own words, else from how the posting describes the role.

    Years alone do not set a level: "2 years of RN experience" says nothing about seniority.
    """
    found = seniority_from_title(title_line)
    if found:
        return found
    m = _BODY_SENIORITY_RE.search(body) or _LEVEL_SENTENCE_RE.search(body)
    if m:
        return _BODY_MAP.get(re.sub(r"\s+", " ", m.group("level").lower()))
    return None


def seniority_from_years(years: Optional[int]) -> Optional[str]:
    if years is None:
        return None
    if years < 1:
        return "entry"
    if years < 3:
        return "junior"
    if years < 6:
        return "mid"
    return "senior"  # lead/principal need the title's word, not just years
