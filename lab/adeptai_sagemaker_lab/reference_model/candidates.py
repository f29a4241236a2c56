"""Candidate-facing capabilities: matcher, resume summarizer, interview questions.

All three compare what a posting asks for (``job_parser.parse``) with what a
resume shows (``resume.read``). Summaries are built from extracted facts only,
never copied prose, so they cannot carry a name, email or phone number.
"""

from __future__ import annotations

import re
from typing import Optional

from adeptai_sagemaker_lab.reference_model import extract, job_parser, resume, taxonomy

# --------------------------------------------------------------------------- matcher


def job_skills(jd: dict, text: str) -> tuple[list[str], list[str]]:
    """(required, preferred) skills of a parsed posting; a posting that marks none requires every skill it names."""
    mandatory, preferred = jd["mandatory_skills"], jd["preferred_skills"]
    if not mandatory and not preferred:
        mandatory = list(dict.fromkeys(m.name for m in taxonomy.apply_context(taxonomy.find(text))
                                       if taxonomy.ENTRIES[m.name].kind == "skill"))
    return mandatory, preferred


def _implied(have: set[str]) -> set[str]:
    """Languages a resume's frameworks imply: Django work is Python work, Spring Boot work is Java work."""
    out = set()
    for name in have:
        entry = taxonomy.entry(name)
        if entry and entry.category == "web":
            out |= {r.lower() for r in entry.related
                    if (rel := taxonomy.entry(r)) is not None and rel.category == "lang" and entry.name in rel.related}
    return out


def _covered(skills: list[str], have: set[str]) -> list[str]:
    have = have | _implied(have)
    return [s for s in skills if s.lower() in have]


def compare_skills(mandatory: list[str], preferred: list[str], facts: "resume.ResumeFacts") -> tuple[list[str], list[str]]:
    """(matched, missing): the job's skills the resume shows, and the *required* ones it lacks.

    One policy for the matcher and the summarizer: a missing nice-to-have is not a gap.
    """
    have = {s.lower() for s in facts.skills}
    m_hit, p_hit = _covered(mandatory, have), _covered(preferred, have)
    return m_hit + p_hit, [s for s in mandatory if s not in m_hit]


def skill_fit(mandatory: list[str], preferred: list[str], facts: "resume.ResumeFacts") -> tuple[list[str], list[str], float]:
    """(required skills shown, preferred skills shown, fit 0..1): required skills weigh 0.85, nice-to-haves 0.15."""
    have = {s.lower() for s in facts.skills}
    m_hit, p_hit = _covered(mandatory, have), _covered(preferred, have)
    if not (mandatory or preferred):
        return m_hit, p_hit, 1.0
    m_cov = len(m_hit) / len(mandatory) if mandatory else 1.0
    p_cov = len(p_hit) / len(preferred) if preferred else m_cov
    return m_hit, p_hit, 0.85 * m_cov + 0.15 * p_cov


def match(job_description: str, resume_text: str) -> dict:
    jd = job_parser.parse(job_description)
    facts = resume.read(resume_text)
    mandatory, preferred = job_skills(jd, job_description)
    m_hit, p_hit, fit = skill_fit(mandatory, preferred, facts)
    matched, missing = compare_skills(mandatory, preferred, facts)
    skill = 100 * fit
    need = jd["years_experience"]
    years = facts.years
    if need:
        experience = 100.0 * min(1.0, (years or 0) / need)
    else:
        experience = 100.0
    edu_need = jd["education_level"]
    if edu_need in (None, "none"):
        education = 100.0
    else:
        order = extract.EDUCATION_ORDER
        have_edu = facts.education
        if have_edu and order.index(have_edu) >= order.index(edu_need):
            education = 100.0
        elif have_edu and order.index(have_edu) == order.index(edu_need) - 1:
            education = 60.0
        else:
            education = 30.0
    loc = jd["location"]
    if not loc or jd["work_mode"] == "remote":
        location = 100.0
    else:
        city = loc.split(",")[0].strip().lower()
        region = loc.split(",")[-1].strip().lower()
        cv = facts.text.lower()
        if re.search(r"\b" + re.escape(city) + r"\b", cv):
            location = 100.0
        elif region and re.search(r"\b" + re.escape(region) + r"\b", facts.text[:2000].lower() if len(region) > 2 else facts.text[:2000]):
            location = 70.0
        elif re.search(r"\b(?:willing\s+to\s+relocate|open\s+to\s+relocation|relocat)", cv):
            location = 60.0
        else:
            location = 40.0
    overall = round(0.5 * skill + 0.25 * experience + 0.15 * education + 0.10 * location, 1)
    recommendation = "strong_match" if overall >= 80 else "match" if overall >= 65 else "weak_match" if overall >= 45 else "no_match"
    not_shown = [s for s in preferred if s not in p_hit]
    reasoning = (
        f"The resume shows {len(m_hit)} of {len(mandatory)} required skills"
        + (f" (missing: {', '.join(missing[:6])})" if missing else "")
        + f" and {len(p_hit)} of {len(preferred)} preferred skills"
        + (f" (not shown: {', '.join(not_shown[:6])})" if not_shown else "") + ". "
        + (f"The job asks for {need}+ years; the resume shows about {years if years is not None else 'an unknown number of'} years. " if need else "")
        + (f"Education: the job asks for {edu_need.replace('_', ' ')}, the resume shows {(facts.education or 'none stated').replace('_', ' ')}. " if edu_need and edu_need != "none" else "")
        + (f"Location: {loc}{' (remote)' if jd['work_mode'] == 'remote' else ''}. " if loc else "")
        + ("Text in the resume that tried to instruct the evaluator was ignored." if facts.injection else "")
    ).strip()
    return {
        "overall_score": overall, "skill_match": round(skill, 1), "experience_match": round(experience, 1),
        "education_match": education, "location_match": location, "matched_skills": matched[:60],
        "missing_skills": missing[:60], "recommendation": recommendation, "reasoning": reasoning or "No comparable requirements stated.",
    }


# --------------------------------------------------------------------------- summarizer

_LEVEL_WORDS = {"intern": "Intern-level", "entry": "Entry-level", "junior": "Junior", "mid": "Mid-level", "senior": "Senior",
                "lead": "Lead", "principal": "Principal-level", "executive": "Executive-level"}
_EDU_WORDS = {"high_school": "a high school diploma", "associate": "an associate degree", "bachelor": "a bachelor's degree",
              "master": "a master's degree", "phd": "a doctorate", "none": "no formal degree"}


def _limit_words(text: str, max_words: int) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text
    return " ".join(words[:max_words]).rstrip(",;") + "."


def summarize(resume_text: str, job_description: Optional[str] = None, max_words: int = 80) -> dict:
    facts = resume.read(resume_text)
    title = facts.titles[0] if facts.titles else None
    level = facts.seniority
    jd_skills: list[str] = []
    matched: list[str] = []
    missing: list[str] = []
    if job_description and job_description.strip():
        jd = job_parser.parse(job_description)
        m, p = job_skills(jd, job_description)
        jd_skills = list(dict.fromkeys(m + p))
        matched, missing = compare_skills(m, p, facts)
    ordered = matched + [s for s in facts.skills if s not in matched]
    highlighted = []
    for skill in ordered[:12]:
        relevance = "high" if skill in matched else ("medium" if not jd_skills else "low")
        if not jd_skills and len(highlighted) < 4:
            relevance = "high"
        highlighted.append({"skill": skill, "relevance": relevance, "evidence": resume.skill_evidence(facts.text, skill)})
    parts = []
    who = " ".join(x for x in (_LEVEL_WORDS.get(level or "", ""), title or "professional") if x)
    years = facts.years
    parts.append(f"{who} with {'about ' + str(years) + ' years' if years else 'unstated years'} of experience.")
    if facts.skills:
        parts.append("Core skills: " + ", ".join(ordered[:6]) + ".")
    if facts.education:
        parts.append(f"Holds {_EDU_WORDS.get(facts.education, facts.education)}.")
    if jd_skills:
        parts.append(f"Shows {len(matched)} of {len(jd_skills)} job skills" + (f"; missing {', '.join(missing[:4])}." if missing else "."))
    if facts.injection:
        parts.append("Contains text aimed at the screening system, ignored.")
    summary = _limit_words(" ".join(parts), max_words)
    headline = f"{_LEVEL_WORDS.get(level or '', '')} {title}".strip() if title else None
    return {
        "summary": summary, "headline": headline[:200] if headline else None, "years_experience": years if years is None or years <= 60 else 60,
        "seniority_level": level, "highlighted_skills": highlighted, "matched_skills": matched[:60], "missing_skills": missing[:60],
    }


# --------------------------------------------------------------------------- questions

ALL_TYPES = ("role", "behavioral", "technical", "cultural_fit", "gap_follow_up")
_BEHAVIORAL = (
    ("Tell me about a time you had to deliver under a tight deadline. What did you prioritise and why?", "Stress handling and prioritisation"),
    ("Describe a disagreement with a colleague about how to do the work. How was it resolved?", "Conflict resolution"),
    ("Tell me about a mistake you made at work and what you changed afterwards.", "Ownership and learning"),
    ("Describe a time you helped a teammate or newer colleague get up to speed.", "Mentoring and collaboration"),
    ("Give an example of a process you improved. How did you measure the result?", "Initiative and impact"),
    ("Tell me about a time requirements changed late. How did you adapt?", "Adaptability"),
)
_CULTURE = (
    ("What kind of team environment helps you do your best work?", "Working-style fit"),
    ("How do you prefer to receive feedback, and how do you give it?", "Feedback culture"),
    ("How do you keep colleagues informed when you work {mode}?", "Communication in the job's work mode"),
    ("What draws you to this kind of role and organisation?", "Motivation"),
)


def _question_types(requested: list[str], has_gaps: bool) -> list[str]:
    types = [t for t in requested if t in ALL_TYPES] or list(ALL_TYPES)
    return types


def questions(job_description: str, resume_text: Optional[str], num: int = 8, types: Optional[list[str]] = None) -> dict:
    num = max(1, min(30, int(num)))
    jd = job_parser.parse(job_description)
    mandatory, preferred = job_skills(jd, job_description)
    key_skills = list(dict.fromkeys(mandatory + preferred)) or ["the core tools of this role"]
    facts = resume.read(resume_text) if resume_text and resume_text.strip() else None
    have = {s.lower() for s in facts.skills} if facts else set()
    # (skill, required by the job?): required gaps first; a missing nice-to-have is asked about as one
    gaps = [(s, s in mandatory) for s in mandatory + preferred if s.lower() not in have] if facts else []
    title = jd["title"] or "this role"
    mode = jd["work_mode"] or "with a distributed team"
    mode_words = {"remote": "remotely", "hybrid": "in a hybrid setup", "onsite": "on site"}.get(jd["work_mode"] or "", "across locations")
    requested = _question_types(types or list(ALL_TYPES), bool(gaps))
    counters = {t: 0 for t in ALL_TYPES}
    out = []
    i = 0
    guard = 0
    while len(out) < num and guard < num * 10:
        guard += 1
        qtype = requested[i % len(requested)]
        i += 1
        k = counters[qtype]
        counters[qtype] += 1
        if qtype == "technical":
            skill = key_skills[k % len(key_skills)]
            variants = (f"Walk me through a recent piece of work where you used {skill}. What was hard about it?",
                        f"How would you explain the trade-offs you weigh when using {skill} to a new teammate?",
                        f"What does good practice with {skill} look like to you, and how do you check your own work?")
            out.append({"question": variants[(k // len(key_skills)) % 3], "type": "technical",
                        "rationale": f"Probes depth in {skill}, a key skill of the job.", "skill": skill if skill in key_skills else None})
        elif qtype == "gap_follow_up":
            if gaps:
                skill, required = gaps[k % len(gaps)]
                if required:
                    out.append({"question": f"The role needs {skill}, which your resume doesn't mention. What related experience do you have, and how would you get up to speed?",
                                "type": "gap_follow_up", "rationale": f"{skill} is required by the job but not shown in the resume.", "skill": skill})
                else:
                    out.append({"question": f"The job lists {skill} as a plus, and your resume doesn't mention it. Have you worked with it, or with something close to it?",
                                "type": "gap_follow_up", "rationale": f"{skill} is listed as a plus by the job (a nice-to-have) and not shown in the resume.",
                                "skill": skill})
            else:
                skill = key_skills[k % len(key_skills)]
                out.append({"question": f"Your resume covers the listed skills. Which of them, for example {skill}, would you most like to deepen in this role?",
                            "type": "gap_follow_up", "rationale": "No skill gaps found; checks self-assessment instead.", "skill": skill if skill in key_skills else None})
        elif qtype == "role":
            variants = (f"What do you expect the first 90 days as {title} to look like?",
                        f"Which part of the {title} responsibilities are you strongest in, and which would stretch you?",
                        f"How would you measure success in the {title} position after a year?")
            out.append({"question": variants[k % 3], "type": "role", "rationale": "Checks understanding of the role's scope.",
                        "skill": None})
        elif qtype == "behavioral":
            q, why = _BEHAVIORAL[k % len(_BEHAVIORAL)]
            out.append({"question": q, "type": "behavioral", "rationale": why, "skill": None})
        else:
            q, why = _CULTURE[k % len(_CULTURE)]
            out.append({"question": q.format(mode=mode_words), "type": "cultural_fit", "rationale": why, "skill": None})
    return {"questions": out[:num]}
