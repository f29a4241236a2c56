"""Search-query enhancement by rules: translate, find, disambiguate, expand.

Order of work for one query:
1. Detect a non-English query (word tables for es/fr/de/pt, script ranges for
   others) and translate known words to English ("desarrollador python" ->
   "python developer"), splitting German compounds ("Softwareentwickler").
2. Find skills, fields, job titles, years, seniority and a place; correct
   single-word typos against the alias table ("kuberentes" -> Kubernetes).
3. Pick a sense for every ambiguous word from the words around it (Java the
   language unless "coffee" is there) and record it; a wrong sense's
   expansions are banned outright.
4. Expand: synonyms (aliases), related skills, title variations consistent
   with the requested seniority, industry terms, nearby places; then order
   the most useful terms first.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional

from adeptai_sagemaker_lab.reference_model import extract, taxonomy
from adeptai_sagemaker_lab.reference_model import taxonomy_data as d

_TOKEN_RE = re.compile(r"[\w+#./&'-]+", re.UNICODE)
_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")), ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")), ("ar", re.compile(r"[\u0600-\u06ff]")), ("hi", re.compile(r"[\u0900-\u097f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")), ("he", re.compile(r"[\u0590-\u05ff]")), ("th", re.compile(r"[\u0e00-\u0e7f]")),
)
_GERMAN_HEADS = {"entwickler": "developer", "entwicklerin": "developer", "ingenieur": "engineer", "ingenieurin": "engineer",
                 "berater": "consultant", "leiter": "manager", "analyst": "analyst", "architekt": "architect",
                 "administrator": "administrator", "manager": "manager", "pfleger": "nurse", "fachkraft": "specialist"}
_ROLE_NOUNS = ("developer", "engineer", "programmer", "analyst", "designer", "architect", "consultant", "administrator", "scientist", "nurse", "manager")
_ROLE_SWAP_RE = re.compile(r"\b(" + "|".join(_ROLE_NOUNS) + r")\s+(?:of\s+)?([a-z0-9+#.]+)\b")
_STOPWORDS = frozenset(
    "a an and or the with in at near for of on to from by experience experienced years year yrs yr candidates candidate "
    "located location based remote hybrid onsite who has have having looking find search people profiles profile resumes "
    "resume skills skill strong good expert knowledge plus minimum least over more than jobs job role roles position "
    "positions open hiring hire area city region".split()
)
_LANG_TITLE_CATEGORIES = {"lang"}
_SENIOR_WORDS = re.compile(r"\b(?:junior|jr|intern|interns|internship|entry[\s-]level|entry|graduate|trainee|praktikant|apprentice|associate)\b", re.I)
_JUNIOR_FORBID = re.compile(r"\b(?:senior|sr|principal|lead|staff|head|director|architect|chief|vp|fellow|distinguished|manager)\b", re.I)
_SENIOR_LEVELS = ("senior", "lead", "principal", "executive")
_JUNIOR_LEVELS = ("intern", "entry", "junior")
_CASING: dict[str, str] = {}
for _name in list(taxonomy.ENTRIES) + [v for t in taxonomy.TITLES.values() for v in (t.name,) + t.variations]:
    for _w in _name.split():
        if any(c.isupper() for c in _w[1:]) or _w.isupper():
            _CASING.setdefault(_w.lower(), _w)
_CASING.update({"ios": "iOS", "devops": "DevOps", "sre": "SRE", "ml": "ML", "ai": "AI", "qa": "QA", "ui": "UI", "ux": "UX",
                "hr": "HR", "it": "IT", "icu": "ICU", "er": "ER", "rn": "RN", "bi": "BI", ".net": ".NET", "sdet": "SDET",
                "iphone": "iPhone", "mle": "MLE", "swe": "SWE", "sfdc": "SFDC", "crm": "CRM", "cpa": "CPA", "cna": "CNA"})


def _display(text: str) -> str:
    words = []
    for w in text.split():
        low = w.lower()
        if low in _CASING:
            words.append(_CASING[low])
        elif low.isalpha() and len(low) <= 4 and not re.search(r"[aeiou]", low[1:]) and low not in _STOPWORDS:
            words.append(low.upper())  # acronyms such as SWE, MLE, SDR
        else:
            words.append(low.capitalize() if low.isalpha() else w)
    return " ".join(words)


def _singular(text: str) -> str:
    if text.lower().endswith("ies"):
        return text[:-3] + "y"
    if text.lower().endswith("s") and not text.lower().endswith("ss"):
        return text[:-1]
    return text


# --------------------------------------------------------------------------- language


def detect_and_translate(query: str) -> tuple[str, str]:
    """(ISO 639-1 language, English rendering of the known words)."""
    for code, pattern in _SCRIPTS:
        if pattern.search(query):
            return code, query
    lowered = query.lower()
    votes: dict[str, float] = {}
    # multi-word phrases first ("al menos", "chef de projet")
    for phrase, (english, lang) in d.FOREIGN_WORDS.items():
        if " " in phrase and phrase in lowered:
            lowered = lowered.replace(phrase, english)
            votes[lang] = votes.get(lang, 0) + 1.0
    out: list[str] = []
    strong = False
    for token in lowered.split():
        bare = token.strip(".,;:!?()")
        hit = d.FOREIGN_WORDS.get(bare)
        if hit:
            english, lang = hit
            weight = 0.3 if bare in d.FOREIGN_WEAK else 1.0
            strong = strong or weight == 1.0
            votes[lang] = votes.get(lang, 0) + weight
            out.append((bare, english))
            continue
        if bare in d.LANGUAGE_MARKERS:
            lang = d.LANGUAGE_MARKERS[bare]
            votes[lang] = votes.get(lang, 0) + 0.3
            out.append((bare, None))
            continue
        compound = None
        for head, english in _GERMAN_HEADS.items():
            if bare.endswith(head) and len(bare) > len(head) + 2:
                compound = f"{bare[: -len(head)]} {english}"
                votes["de"] = votes.get("de", 0) + 1.0
                strong = True
                break
        out.append((bare, compound) if compound else (token, token))
    if not strong or not votes:
        return "en", query
    language = max(sorted(votes), key=lambda k: votes[k])
    english_words = []
    for original, english in out:
        if english is None:
            continue
        if original in d.FOREIGN_WEAK and d.FOREIGN_WORDS.get(original, ("", ""))[1] != language and original not in ("en", "de", "y", "et"):
            english_words.append(original)
        else:
            english_words.append(english)
    text = " ".join(english_words)
    # Romance and German word order puts the role first ("ingeniero de datos", "Entwickler Python"):
    # swap when the swapped phrase is a known title or the modifier is a known skill.
    def swap(m: re.Match) -> str:
        phrase = f"{m.group(2)} {m.group(1)}"
        if taxonomy.title_key_lookup(phrase) or taxonomy.find(m.group(2), query=True):
            return phrase
        return m.group(0)

    text = _ROLE_SWAP_RE.sub(swap, text)
    return language, text


# --------------------------------------------------------------------------- typo correction

_SINGLE_WORD_ALIASES: dict[tuple[str, int], list[str]] = {}
for _alias in list(taxonomy._QUERY_BY_KEY):
    if _alias.isalpha() and len(_alias) >= 5:
        _SINGLE_WORD_ALIASES.setdefault((_alias[0], len(_alias)), []).append(_alias)
#: Words that are never typos: every word of the taxonomy, titles, places and translation tables.
_KNOWN_WORDS: frozenset[str] = frozenset(
    w for text in (
        [a for e in taxonomy.ENTRIES.values() for a in (e.name,) + e.aliases]
        + [a for t in taxonomy.TITLES.values() for a in (t.name,) + t.aliases + t.variations + t.industry_terms]
        + list(d.CITIES) + list(d.COUNTRIES) + list(d.US_STATES.values()) + list(d.FOREIGN_WORDS) + list(_STOPWORDS)
    ) for w in re.findall(r"[a-zà-ÿ]+", text.lower())
) | frozenset(w + "s" for w in ("developer", "engineer", "nurse", "analyst", "manager", "designer", "associate", "accountant",
                                "architect", "scientist", "administrator", "specialist", "coordinator", "representative"))


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=4096)
def correct_typo(token: str) -> Optional[str]:
    """The taxonomy skill a misspelt single word most likely means ("kuberentes" -> Kubernetes), else None."""
    token = token.lower()
    if len(token) < 5 or not token.isalpha() or token in _KNOWN_WORDS or token[:-1] in _KNOWN_WORDS:
        return None
    limit = 1 if len(token) < 8 else 2
    best: Optional[tuple[int, str]] = None
    letters = set(token)
    candidates = [a for n in range(len(token) - limit, len(token) + limit + 1) for a in _SINGLE_WORD_ALIASES.get((token[0], n), ())]
    for alias in candidates:
        if len(letters.symmetric_difference(alias)) > 2 * limit:
            continue
        dist = _osa(token, alias, limit)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, alias)
    return taxonomy._QUERY_BY_KEY.get(best[1]) if best else None


# --------------------------------------------------------------------------- location


def find_location(text: str) -> tuple[Optional[str], list[str]]:
    """('City, ST' or 'City, Country', nearby terms) for a known city named in a query."""
    m = extract.CITY_NAME_RE.search(text)
    if m:
        city, region, nearby = d.CITIES[m.group(0).lower()]
        tail = text[m.end():m.end() + 30].lower()
        t = re.match(r"[\s,]+([a-z][a-z .]*)", tail)
        if t:
            words = t.group(1).split()
            first = words[0].upper() if words else ""
            two = " ".join(words[:2]) if len(words) > 1 else ""
            if first in d.US_STATES and first != region and region in d.US_STATES:
                return f"{city}, {first}", [city]
            if first in d.CA_PROVINCES or (two or first.lower()) in d.CA_PROVINCES.values() or first.lower() in d.CA_PROVINCES.values():
                code = first if first in d.CA_PROVINCES else next(k for k, v in d.CA_PROVINCES.items() if v in (two, first.lower()))
                if region != "Canada":
                    return f"{city}, {code}", [city, f"{city}, {d.CA_PROVINCES[code].title()}"]
        return f"{city}, {region}", [city] + list(taxonomy._split(nearby))
    m = extract.CITY_STATE_RE.search(text)
    if m:
        return f"{m.group('city')}, {m.group('st')}", [m.group("city")]
    return None, []


# --------------------------------------------------------------------------- main


def _ambiguity(key: str, context: str) -> tuple[str, Optional[str], list[str]]:
    """(sense label, taxonomy name or None, forbidden expansions) for an ambiguous word in context."""
    info = d.AMBIGUOUS[key]
    chosen = info["senses"][0]
    for sense in info["senses"][1:]:
        cues = [c for c in sense[2].split("|") if c]
        if any(re.search(r"(?<!\w)" + re.escape(c) + r"(?!\w)", context) for c in cues):
            chosen = sense
            break
    forbid = info.get("forbid", "")
    by_sense = info.get("forbid_by_sense", {})
    forbid = by_sense.get(chosen[0], forbid)
    return chosen[0], chosen[1], [f for f in forbid.split("|") if f]


def enhance(query: str, context: Optional[str] = None) -> dict:
    """The QueryEnhancerOutput fields (without provenance) for one query."""
    raw = re.sub(r"\s+", " ", unicodedata.normalize("NFC", query or "")).strip()[:2000]
    language, english = detect_and_translate(raw)
    text = english.lower()
    ctx = f"{text} {(context or '')[:2000].lower()}"
    # skills and fields
    mentions = taxonomy.find(english, query=True)
    covered = [(m.start, m.end) for m in mentions]
    corrected: list[str] = []
    for tm in _TOKEN_RE.finditer(english):
        if any(s <= tm.start() < e for s, e in covered):
            continue
        fixed = correct_typo(tm.group(0))
        if fixed:
            corrected.append(fixed)
            mentions.append(taxonomy.Mention(fixed, tm.start(), tm.end(), tm.group(0), taxonomy.ENTRIES[fixed].kind))
    mentions.sort(key=lambda m: m.start)
    # titles (longest match) and their spans, with typos already corrected ("pyhton developer")
    for m in mentions:
        if m.surface.lower() != m.name.lower() and m.name in corrected:
            english = english[:m.start] + m.name.lower().ljust(len(m.surface))[: len(m.surface)] + english[m.end:] \
                if len(m.name) <= len(m.surface) else english.replace(m.surface, m.name.lower(), 1)
    titles = taxonomy.find_titles(english)
    title_hit = max(titles, key=lambda t: (t[2] - t[1], -t[1])) if titles else None
    # ambiguity
    disambiguation: dict[str, str] = {}
    forbidden: list[str] = []
    keep: list[taxonomy.Mention] = []
    for m in mentions:
        key = m.surface.lower()
        if key in d.AMBIGUOUS:
            sense, mapped, forbid = _ambiguity(key, ctx)
            disambiguation[key] = sense
            forbidden += forbid
            if mapped is None and d.AMBIGUOUS[key]["senses"][0][1] is not None:
                continue  # the non-job sense was chosen: drop the skill
        keep.append(m)
    mentions = keep
    for key in d.AMBIGUOUS:
        if key not in disambiguation and re.search(r"(?<!\w)" + re.escape(key) + r"s?(?!\w)", text):
            sense, _, forbid = _ambiguity(key, ctx)
            disambiguation[key] = sense
            forbidden += forbid
    skills = [m.name for m in mentions if m.kind == "skill"]
    fields = [m.name for m in mentions if m.kind == "field"]
    skills, fields = _unique(skills), _unique(fields)
    outside_title = [m.name for m in mentions if m.kind == "skill" and not (title_hit and title_hit[1] <= m.start < title_hit[2])]
    # years, seniority, location
    years = [extract._num(m.group("a")) for m in extract.YEARS_RE.finditer(text) if m.group("a").lower() not in ("a", "an")]
    years = [y for y in years if y is not None and y <= 50]
    min_years = years[0] if years else None
    level = extract.seniority_from_title(text)
    if level is None and re.search(r"\b(?:junior|jr)s?\b", text):
        level = "junior"
    location, nearby = find_location(english)
    # title entity
    title_obj = taxonomy.TITLES[title_hit[0]] if title_hit else None
    title_display = None
    if title_hit:
        surface = _singular(title_hit[3])
        title_display = _display(surface)
        if level and level not in ("mid",) and not re.search(level, title_display, re.I):
            prefix = {"intern": "Intern", "entry": "Entry Level", "junior": "Junior", "senior": "Senior", "lead": "Lead",
                      "principal": "Principal", "executive": ""}.get(level, "")
            if prefix and not title_display.lower().startswith(prefix.lower()):
                title_display = f"{prefix} {title_display}"
    # intent
    title_head_is_language = False
    if title_hit:
        head_mentions = [m for m in mentions if title_hit[1] <= m.start < title_hit[2] and m.kind == "skill"]
        title_head_is_language = any(taxonomy.ENTRIES[m.name].category in _LANG_TITLE_CATEGORIES for m in head_mentions)
    if min_years is not None:
        intent = "experience_search"
    elif location and not (title_hit or skills or fields):
        # a place alone is the search ("jobs in denver"); beside a role or skills it filters that search
        # ("senior python developer in austin" looks for developers), kept in entities.location
        intent = "location_search"
    elif title_hit and not title_head_is_language:
        intent = "role_search"
    elif skills or title_head_is_language:
        intent = "skill_search"
    elif level:
        intent = "experience_search"
    elif fields:
        intent = "skill_search"
    else:
        intent = "general_search"
    # seniority-consistent bans
    if level in _SENIOR_LEVELS or (min_years is not None and min_years >= 5):
        forbidden += ["junior", "jr", "intern", "internship", "entry level", "entry-level", "graduate", "trainee", "praktikant", "apprentice", "associate"]
    if level in _JUNIOR_LEVELS or (min_years is not None and min_years <= 2):
        forbidden += ["senior", "sr", "principal", "lead", "staff", "head", "director", "architect", "chief", "fellow", "distinguished", "manager"]
    forbid_re = _forbid_pattern(tuple(_unique([f.lower() for f in forbidden])))

    def allowed(term: str) -> bool:
        return forbid_re is None or not forbid_re.search(term.lower())

    # synonyms
    synonyms: list[str] = []
    for name in skills + fields:
        entry = taxonomy.ENTRIES[name]
        surfaces = {taxonomy.norm_key(m.surface) for m in mentions if m.name == name}
        if taxonomy.norm_key(name) not in surfaces:
            synonyms.append(name)
        synonyms += _good_aliases(entry.aliases, surfaces | {taxonomy.norm_key(name)})[:3]
    if title_obj:
        seen = {taxonomy.norm_key(title_hit[3]), taxonomy.norm_key(_singular(title_hit[3])), taxonomy.norm_key(title_obj.name)}
        synonyms += [_display(a) for a in _good_aliases(title_obj.aliases, seen)[:4]]
    # related skills
    related: list[str] = []
    query_skills = {n.lower() for n in skills}
    pools = [taxonomy.ENTRIES[n].related for n in skills] + [taxonomy.ENTRIES[n].related for n in fields]
    if title_obj:
        pools.insert(0 if not skills else len(pools), title_obj.skills)
    for i in range(6):
        for pool in pools:
            if i < len(pool) and pool[i].lower() not in query_skills:
                related.append(pool[i])
    # job variations
    variations: list[str] = []
    role_titles: list[taxonomy.Title] = [title_obj] if title_obj else []
    if not title_obj:
        for name in skills[:3] + fields[:2]:
            for depth in (0, 1, 3):
                match = next((t for t in taxonomy.TITLES.values() if t not in role_titles and (
                    name in t.skills[:depth] if depth else t.name.lower().startswith(name.lower() + " "))), None)
                if match:
                    role_titles.append(match)
                    break
    for t in role_titles[:3]:
        base = [t.name] + list(t.variations)
        if level in _JUNIOR_LEVELS or (min_years is not None and min_years <= 2):
            prefixes = ("Junior", "Entry Level", "Associate", "Graduate")
            variations += [f"{p} {b}" for b in base[:3] for p in prefixes]
            variations += [b for b in base if not _JUNIOR_FORBID.search(b)]
        elif level in ("senior",) or (min_years is not None and 5 <= min_years < 10 and level is None):
            variations += [f"Senior {b}" for b in base[:3] if not b.lower().startswith(("senior", "principal", "staff", "lead"))]
            variations += base
        else:
            variations += base
    # industry terms
    industry: list[str] = []
    for t in role_titles[:2]:
        industry += list(t.industry_terms)
    industry += fields
    if not industry:
        for name in skills[:3]:
            dom = taxonomy.ENTRIES[name].domain
            industry.append({"tech": "software development", "healthcare": "healthcare", "finance": "accounting and finance",
                             "sales": "B2B sales", "marketing": "digital marketing", "operations": "supply chain",
                             "hr": "human resources", "legal": "legal services", "design": "product design"}.get(dom, dom))
    # entities
    entity_skills = skills[:]
    # expanded terms: most useful first
    expanded: list[str] = []
    for m in mentions:
        if m.kind == "skill" and m.surface.lower() != m.name.lower():
            expanded.append(m.name)
    expanded += [s for s in synonyms[:4]]
    if title_obj:
        expanded += variations[:4]
    expanded += related[:6]
    if location:
        expanded += [location] + nearby[:4]
    if not title_obj:
        expanded += variations[:3]
    expanded += industry[:2]
    if re.search(r"\bremote\b", text):
        expanded += ["remote", "work from home"]
    if len(_unique(expanded)) < 5:
        expanded += skills + related[6:10] + variations[4:8]

    def finish(items: list[str], cap: int) -> list[str]:
        return [i for i in _unique([x.strip() for x in items if x and x.strip() and len(x) <= 200]) if allowed(i)][:cap]

    return {
        "intent": intent,
        "synonyms": finish(synonyms, 20),
        "related_skills": finish(related, 20),
        "job_variations": finish(variations, 20),
        "industry_terms": finish(industry, 12),
        "expanded_terms": finish(expanded, 20),
        "disambiguation": {k[:200]: v[:200] for k, v in disambiguation.items()},
        "entities": {
            "skills": _unique(entity_skills)[:60],
            "location": location,
            "min_years": min_years,
            "title": title_display[:200] if title_display else None,
        },
        "language": language,
    }


@lru_cache(maxsize=256)
def _forbid_pattern(words: tuple[str, ...]) -> Optional[re.Pattern]:
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def _good_aliases(aliases: tuple[str, ...], seen_keys: set[str]) -> list[str]:
    """Aliases worth showing as synonyms: not a spelling variant of what is already there, no version numbers."""
    out = []
    for alias in aliases:
        key = taxonomy.norm_key(alias)
        if key in seen_keys or len(alias) <= 2 or re.search(r"\d", alias) or "/" in alias:
            continue
        seen_keys = seen_keys | {key}
        out.append(alias)
    return out


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
