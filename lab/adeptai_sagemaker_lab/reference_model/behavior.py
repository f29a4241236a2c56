"""Behavioural analysis of a resume against a job, from evidence only.

Each score starts at the neutral 0.5 and rises with the number of distinct
pieces of evidence for it (cue verbs such as "led", "mentored",
"cross-functional"; tenure from date ranges; skill overlap with the job).
Little evidence keeps scores near 0.5 and lowers confidence and
data_completeness, as the prompt's rules ask. Text that tries to dictate the
scores is removed before scoring and reported as a risk factor.
"""

from __future__ import annotations

import math
import re
from typing import Optional

from adeptai_sagemaker_lab.reference_model import candidates, job_parser, resume, taxonomy

_CUES: dict[str, re.Pattern] = {name: re.compile(pattern, re.I) for name, pattern in {
    "leadership": r"\b(?:led|lead(?:ing)?\s+(?:a|the|teams?|design|development)|managed|manag(?:ing|er\s+of)|mentor(?:ed|ing)?|coach(?:ed|ing)|supervis(?:ed|ing|or)|head(?:ed)?\s+(?:of|up)|directed|oversaw|team\s+of\s+\d+|hired|built\s+(?:a|the)\s+team|charge\s+nurse|precept(?:or|ed|ing|orship)|onboarded|oriented\s+new|trained\s+(?:\d+|new))\b",
    "collaboration": r"\b(?:collaborat\w*|cross[\s-]functional|partner(?:ed|ing)\s+with|worked\s+(?:closely\s+)?with|teamwork|stakeholders?|coordinat\w+|liais\w+|alongside|interdisciplinary|multidisciplinary)\b",
    "innovation": r"\b(?:built|created|designed|invent\w*|patent\w*|launched|pioneer\w*|introduc\w+|prototyp\w+|novel|founded|architected|developed\s+(?:a|the)\s+new|automat(?:ed|ing))\b",
    "adaptability": r"\b(?:migrat\w+|transition\w*|adapt\w*|pivot\w*|cross[\s-]trained|relocat\w+|multiple\s+(?:teams|domains|industries|units|departments)|new\s+technolog\w+|float\s+pool|various)\b",
    "communication": r"\b(?:present(?:ed|ing|ations?)|wrote|writ(?:ing|ten)|documentation|communicat\w+|trained|taught|workshops?|publish\w*|speaker|spoke\s+at|educat(?:ed|ing)|report(?:ed|ing)\s+to|blog)\b",
    "problem_solving": r"\b(?:solv\w+|resolv\w+|troubleshoot\w*|troubleshot|debug\w*|optimi[sz]\w+|improv(?:ed|ing)|reduc(?:ed|ing)|root[\s-]cause|fix(?:ed|ing)|diagnos\w+|streamlin\w+)\b",
    "learning": r"\b(?:certifi(?:ed|cation)|courses?|bootcamp|self[\s-]taught|learn(?:ed|ing)|completed|training|studying|upskill\w*|mooc|coursera|udemy)\b",
    "stress": r"\b(?:on[\s-]call|deadlines?|fast[\s-]paced|high[\s-]pressure|incidents?|crisis|emergenc\w+|trauma|peak\s+season|critical(?:ly)?\s+ill|night\s+shift|under\s+pressure)\b",
    "emotional": r"\b(?:empath\w+|mentor\w*|coach\w*|conflict|listen\w*|patients?|families|customer\s+satisfaction|feedback|de-escalat\w+|rapport|support(?:ed|ing)\s+(?:colleagues|peers|team))\b",
    "growth": r"\b(?:promot(?:ed|ion)|increas(?:ed|ing)|grew|exceed(?:ed|ing)|awards?|top\s+performer|ranked|recogni[sz]ed|\d+\s*%|president'?s\s+club)\b",
}.items()}
_PRACTICES = ("agile", "scrum", "kanban", "remote", "hybrid", "collaborative", "fast-paced", "startup", "ownership", "customer-focused",
              "data-driven", "mentoring", "cross-functional", "autonomy", "on-call", "shift", "lean", "continuous improvement",
              "code review", "documentation", "safety", "patient-centered", "quota", "asynchronous")
_PRACTICE_RE = {p: re.compile(r"\b" + re.escape(p).replace(r"\-", r"[\s-]") + r"\b", re.I) for p in _PRACTICES}
_STYLE = (("remote", r"\bremote\b"), ("collaborative", r"collaborat|cross[\s-]functional|team"), ("independent", r"independent|autonom|self[\s-]directed|freelance"),
          ("fast-paced", r"fast[\s-]paced|startup|high[\s-]growth"), ("structured", r"process|compliance|regulat|standard operating|sop"),
          ("hands-on", r"hands[\s-]on|built|implemented"), ("mentoring", r"mentor|coach|preceptor"))
_STYLE_RE = tuple((name, re.compile(p, re.I)) for name, p in _STYLE)
_RESEARCH_RE = re.compile(r"\b(?:publications?|peer[\s-]reviewed|journal|ph\.?d|postdoc|laborator(?:y|ies)|principal\s+investigator|grant)\b", re.I)
_LEGAL_RE = re.compile(r"\b(?:attorney|litigation|paralegal|counsel|bar\s+admission|legal\s+research|contracts?\s+law)\b", re.I)


#: People someone led, taught or precepted, counted ("Led a team of 4", "Precepted 5 new graduate nurses"):
#: a number of people is further evidence on top of the verb.
_PEOPLE_LED_RE = re.compile(r"\b(?:led|managed|supervised|precepted|mentored|trained|coached|onboarded|oriented)\s+"
                            r"(?:a\s+team\s+of\s+)?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\b", re.I)


def _score(hits: int) -> float:
    return round(0.5 + 0.45 * (1 - math.exp(-hits / 3)), 3)


def _hits(pattern: re.Pattern, text: str) -> int:
    return len({m.group(0).lower() for m in pattern.finditer(text)}) + max(0, len(pattern.findall(text)) // 4)


def _detect_domain(facts: resume.ResumeFacts, jd_text: str) -> str:
    text = facts.text + " " + jd_text
    if len(_RESEARCH_RE.findall(text)) >= 3:
        return "research"
    if len(_LEGAL_RE.findall(text)) >= 2:
        return "legal"
    counts = dict(facts.domains)
    for m in taxonomy.find(jd_text):
        dom = taxonomy.ENTRIES[m.name].domain
        counts[dom] = counts.get(dom, 0) + 1
    mapping = {"tech": "tech", "healthcare": "healthcare", "finance": "finance", "legal": "legal"}
    best = max((c, d) for d, c in counts.items() if d in mapping) if any(d in mapping for d in counts) else None
    return mapping[best[1]] if best and best[0] >= 2 else "general"


def analyze(resume_text: str, job_description: str = "", target_role: Optional[str] = None,
            career_history: Optional[str] = None) -> dict:
    facts = resume.read(resume_text + ("\n" + career_history if career_history else ""))
    text = facts.text
    jd = job_parser.parse(job_description) if job_description.strip() else None
    required, nice = candidates.job_skills(jd, job_description) if jd else ([], [])
    jd_skills = list(dict.fromkeys(required + nice))
    m_hit, p_hit, fit = candidates.skill_fit(required, nice, facts)
    matched = m_hit + p_hit
    missing = [s for s in required if s not in m_hit]  # a missing nice-to-have is no risk
    nice_missing = [s for s in nice if s not in p_hit]
    technical_fit = round(fit, 3) if jd_skills else 0.5

    hits = {name: _hits(pattern, text) for name, pattern in _CUES.items()}
    hits["leadership"] += len(_PEOPLE_LED_RE.findall(text))
    leadership = _score(hits["leadership"])
    collaboration = _score(hits["collaboration"])
    innovation = _score(hits["innovation"])
    adaptability = _score(hits["adaptability"] + max(0, len(facts.tenures) - 2))
    communication = _score(hits["communication"])
    problem_solving = _score(hits["problem_solving"])
    learning = _score(hits["learning"])
    stress = _score(hits["stress"])
    emotional = _score(hits["emotional"])
    growth = _score(hits["growth"] + hits["learning"] // 2)

    # stability from tenure
    risk: list[str] = []
    patterns: list[str] = []
    if facts.tenures:
        avg = sum(t.years for t in facts.tenures) / len(facts.tenures)
        stability = round(min(0.95, max(0.2, 0.25 + 0.18 * avg)), 3)
        if len(facts.tenures) >= 3 and avg < 1.5:
            risk.append(f"Frequent job changes (average tenure {avg:.1f} years)")
            patterns.append("Short tenures across several roles")
        elif avg >= 3:
            patterns.append(f"Long tenures (average {avg:.1f} years)")
        long_gaps = [g for g in resume.gaps(facts.tenures) if g >= 1.0]
        if long_gaps:
            risk.append(f"Employment gap of about {max(long_gaps):.1f} years")
    else:
        stability = 0.5
    years = facts.years
    depth_evidence = len(facts.skills) + (years or 0) / 2
    technical_depth = round(min(0.95, 0.3 + 0.035 * depth_evidence), 3) if facts.skills or years else 0.5

    # cultural fit: shared working practices only
    jd_practices = {p for p, r in _PRACTICE_RE.items() if r.search(job_description)}
    cv_practices = {p for p, r in _PRACTICE_RE.items() if r.search(text)}
    cultural_fit = round(0.4 + 0.6 * len(jd_practices & cv_practices) / len(jd_practices), 3) if jd_practices else 0.5

    if facts.injection:
        risk.append("Resume contains text that tries to instruct the evaluator (possible prompt injection); ignored")
    if missing:
        risk.append("Required job skills not shown in the resume: " + ", ".join(missing[:5]))
    if facts.word_count < 60:
        risk.append("Very little resume text to assess")
    if hits["growth"] >= 2 and re.search(r"promot", text, re.I):
        patterns.append("Progressive career growth (promotions)")
    if hits["collaboration"] >= 2:
        patterns.append("Works across teams and functions")
    if hits["leadership"] >= 2:
        patterns.append("Takes on people or project leadership")
    if hits["learning"] >= 2:
        patterns.append("Keeps learning (courses, certifications)")

    dims = {
        "Leadership (led or mentored people)": leadership, "Collaboration across teams": collaboration,
        "Innovation (built or launched new things)": innovation, "Adaptability": adaptability, "Communication": communication,
        "Problem solving": problem_solving, "Learning agility": learning, "Stability (tenure)": stability,
        "Technical fit with the job": technical_fit if jd_skills else 0.5,
    }
    strengths = [f"{name}" for name, v in sorted(dims.items(), key=lambda kv: -kv[1]) if v >= 0.7][:5]
    if matched:
        strengths.append("Shows job skills: " + ", ".join(matched[:5]))
    development = [f"Little evidence of {name.split(' (')[0].lower()}" for name, v in dims.items() if v <= 0.5 and "Technical" not in name][:4]
    if jd_skills and technical_fit < 0.5:
        development.append("Covers fewer than half of the job's skills")
    if nice_missing:
        development.append("Nice-to-have skills not shown: " + ", ".join(nice_missing[:5]))

    evidence_total = sum(hits.values())
    sections = sum(bool(x) for x in (facts.tenures, facts.skills, facts.education, facts.titles, facts.word_count >= 150))
    data_completeness = round(min(1.0, 0.2 + 0.16 * sections), 3)
    confidence = round(min(0.95, 0.3 + 0.04 * min(evidence_total, 10) + 0.1 * bool(jd_skills) + 0.05 * sections), 3)
    if facts.word_count < 60:
        confidence = min(confidence, 0.35)
        data_completeness = min(data_completeness, 0.3)
    core = [leadership, collaboration, innovation, adaptability, stability, communication, problem_solving, learning]
    behavioural = sum(core) / len(core)
    overall = round(0.6 * behavioural + 0.4 * (technical_fit if jd_skills else behavioural), 3)
    styles = [name for name, r in _STYLE_RE if r.search(text)][:5] or ["not stated"]
    level = facts.seniority
    reasoning = (
        f"Scores are based on {evidence_total} behavioural evidence phrases in the resume"
        + (f" and {len(facts.tenures)} dated roles" if facts.tenures else " and no dated roles")
        + ". "
        + (f"The resume shows {len(matched)} of the job's {len(jd_skills)} skills, giving technical fit {technical_fit:.2f}. "
           if jd_skills else "No job skills were given, so technical fit stays neutral. ")
        + (f"Stability reflects an average tenure of {sum(t.years for t in facts.tenures) / len(facts.tenures):.1f} years. " if facts.tenures else "")
        + ("Text that tried to dictate the result was ignored. " if facts.injection else "")
        + ("Little evidence overall, so scores stay near 0.5 with low confidence." if evidence_total < 4 else "")
    ).strip()
    return {
        "overall_score": overall, "leadership_score": leadership, "collaboration_score": collaboration,
        "innovation_score": innovation, "adaptability_score": adaptability, "stability_score": stability,
        "growth_potential": growth, "emotional_intelligence": emotional, "stress_resilience": stress,
        "communication_effectiveness": communication, "technical_depth": technical_depth, "learning_agility": learning,
        "problem_solving_ability": problem_solving, "cultural_alignment": round((cultural_fit + collaboration) / 2, 3),
        "technical_fit": technical_fit, "cultural_fit": cultural_fit, "confidence": confidence,
        "data_completeness": data_completeness, "work_style_preferences": styles, "strengths": strengths[:8],
        "development_areas": development[:6], "behavioral_patterns": patterns[:6], "risk_factors": risk[:8],
        "detected_domain": _detect_domain(facts, job_description), "current_level": level, "reasoning": reasoning[:4000],
    }
