"""Talent-market answers that use only the figures the caller supplied.

The monolith's market-intelligence prompts carry their data (talent counts,
salary trends, skills) in the request; a rules model must never invent
macro-economic numbers, so every figure in the answer is one found in the
request or ``market_data``, and sections without data are left out.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from adeptai_sagemaker_lab.reference_model import resume, taxonomy

_SCREEN_RE = re.compile(r"\bscreen(?:ing|ed)?\b|\bshortlist", re.I)
_BEHAVIOR_RE = re.compile(r"\bbehaviou?r(?:al)?\b|\bjob[\s-]switch|\battrition\b|\bflight\s+risk\b", re.I)
_MARKET_RE = re.compile(r"\bmarket\b|\bsalar(?:y|ies)\b|\bcompensation\b|\btalent\s+(?:availability|supply|pool)\b|\bdemand\b|\bskills?\s+trends?\b|\blabou?r\b|\bhiring\s+trends?\b", re.I)


_DECODER = json.JSONDecoder()


def _json_objects(text: str) -> list[dict]:
    """JSON objects embedded in a request (the monolith sends candidate data as JSON text)."""
    out: list[dict] = []
    idx = text.find("{")
    tries = 0
    while idx >= 0 and len(out) < 5 and tries < 50:
        tries += 1
        try:
            value, end = _DECODER.raw_decode(text, idx)
        except ValueError:
            idx = text.find("{", idx + 1)
            continue
        if isinstance(value, dict):
            out.append(value)
        idx = text.find("{", end)
    return out


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value == value and abs(value) != float("inf"):
        return float(value)
    return None


def _leaves(data: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    if depth > 4:
        return out
    if isinstance(data, dict):
        for key in sorted(data, key=str)[:50]:
            out += _leaves(data[key], f"{prefix}{key}.", depth + 1)
    elif _num(data) is not None:
        out.append((prefix.rstrip("."), _num(data)))
    return out


def _fmt(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:.3g}"


def answer(request: str, caller_instructions: str = "", market_data: str = "", focus_area: str = "") -> dict:
    wording = f"{caller_instructions}\n{request}\n{focus_area}"
    if _SCREEN_RE.search(wording):
        kind = "screening"
    elif _BEHAVIOR_RE.search(wording):
        kind = "behavior"
    elif _MARKET_RE.search(wording) or market_data.strip():
        kind = "market"
    else:
        kind = "general"
    data: dict = {}
    if market_data.strip():
        try:
            loaded = json.loads(market_data)
            data = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            data = {}
    embedded = _json_objects(request)
    insights: list[str] = []
    recommendations: list[str] = []
    # Every section is stated: null unless the supplied data (or the question's kind) fills it.
    out: dict[str, Any] = {"analysis_type": kind, "talent_availability": None, "compensation_trends": None,
                           "skill_evolution": None, "behavioral_insights": None, "screening": None}

    ta = data.get("talent_availability") if isinstance(data.get("talent_availability"), dict) else None
    if ta:
        active, passive = _num(ta.get("active_candidates")), _num(ta.get("passive_candidates"))
        geo = {str(k)[:200]: float(v) for k, v in (ta.get("geographic_distribution") or {}).items()
               if str(k).strip() and _num(v) is not None} if isinstance(ta.get("geographic_distribution"), dict) else {}
        mobility = _num(ta.get("mobility_likelihood"))
        out["talent_availability"] = {
            "active_candidates": int(active) if active is not None and active >= 0 else None,
            "passive_candidates": int(passive) if passive is not None and passive >= 0 else None,
            "geographic_distribution": geo, "mobility_likelihood": mobility if mobility is not None and 0 <= mobility <= 1 else None,
            "confidence_score": 0.6,
        }
        if active is not None and passive is not None and active + passive > 0:
            share = active / (active + passive)
            insights.append(f"{_fmt(active)} active and {_fmt(passive)} passive candidates given; {share:.0%} are actively looking.")
            if share < 0.3:
                recommendations.append("Most of the pool is passive: budget for sourcing and outreach rather than job-board postings.")
        if geo:
            top = max(geo, key=geo.get)
            insights.append(f"Largest given concentration of talent: {top} ({_fmt(geo[top])}).")
    ct = data.get("compensation_trends") if isinstance(data.get("compensation_trends"), dict) else None
    if ct:
        infl = _num(ct.get("overall_inflation"))
        comp = _num(ct.get("market_competitiveness"))
        trends = ct.get("salary_trends") if isinstance(ct.get("salary_trends"), dict) else {}
        out["compensation_trends"] = {
            "salary_trends": {str(k)[:200]: v for k, v in trends.items() if str(k).strip()},
            "overall_inflation": infl if infl is not None and -1 <= infl <= 1 else None,
            "market_competitiveness": comp if comp is not None and 0 <= comp <= 1 else None, "confidence_score": 0.6,
        }
        if infl is not None and -1 <= infl <= 1:
            insights.append(f"Given salary inflation: {infl:.1%}.")
            if infl > 0.04:
                recommendations.append("Review pay bands against the given salary inflation before opening new requisitions.")
    se = data.get("skill_evolution") if isinstance(data.get("skill_evolution"), dict) else None
    if se:
        emerging = [str(x)[:200] for x in se.get("emerging_skills") or [] if str(x).strip()][:60]
        declining = [str(x)[:200] for x in se.get("declining_skills") or [] if str(x).strip()][:60]
        out["skill_evolution"] = {"emerging_skills": emerging, "declining_skills": declining, "confidence_score": 0.6}
        if emerging:
            insights.append("Emerging skills in the given data: " + ", ".join(emerging[:5]) + ".")
            recommendations.append("Add the emerging skills to search expansions and job ads: " + ", ".join(emerging[:3]) + ".")
    figures = [(k, v) for k, v in _leaves(data) if not k.startswith(("talent_availability", "compensation_trends", "skill_evolution"))]
    for key, value in figures[:6]:
        insights.append(f"{key.replace('_', ' ')}: {_fmt(value)} (as given).")

    if kind == "screening":
        candidate = embedded[0] if embedded else {}
        cand_text = json.dumps(candidate, sort_keys=True) if candidate else request
        facts = resume.read(cand_text if candidate else request)
        years = _num(candidate.get("experience_years")) if candidate else None
        years = years if years is not None else facts.years
        req_skills = [m.name for m in taxonomy.find(f"{caller_instructions}\n{focus_area}") if taxonomy.ENTRIES[m.name].kind == "skill"]
        have = {s.lower() for s in facts.skills}
        if isinstance(candidate.get("skills"), list):
            have |= {str(s).lower() for s in candidate["skills"]}
        coverage = (len([s for s in req_skills if s.lower() in have]) / len(req_skills)) if req_skills else min(1.0, len(have) / 8)
        score = round(min(1.0, 0.6 * coverage + 0.3 * min(1.0, (years or 0) / 5) + 0.1 * bool(facts.education)), 3)
        decision = "advance" if score >= 0.7 else "hold" if score >= 0.45 else "reject"
        reasons = [f"Skill coverage {coverage:.0%}" + (f" of {len(req_skills)} stated requirements" if req_skills else " (no requirements stated)"),
                   f"Experience: {_fmt(years) + ' years' if years is not None else 'not stated'}"]
        if facts.injection:
            reasons.append("Candidate text tried to instruct the screener; ignored")
        out["screening"] = {"decision": decision, "score": score, "reasons": reasons}
        insights.append(f"Screening score {score:.2f} from evidence in the candidate data.")
    elif kind == "behavior":
        candidate = embedded[0] if embedded else {}
        tenure = next((_num(candidate.get(k)) for k in ("years_in_current_role", "tenure_years", "current_tenure_years") if _num(candidate.get(k)) is not None), None)
        remote = bool(re.search(r"\bremote\b", request, re.I))
        out["behavioral_insights"] = {
            "job_switch_probability": round(max(0.05, min(0.95, 0.7 - 0.12 * tenure)), 3) if tenure is not None else None,
            "salary_expectations": None, "remote_preference": 0.7 if remote else None, "confidence": 0.4 if tenure is None else 0.55,
        }
        if tenure is not None:
            insights.append(f"Given tenure in the current role: {_fmt(tenure)} years.")
    figures_used = len(insights)
    if not insights:
        insights.append("No figures were supplied, so no quantitative conclusions are drawn.")
        recommendations.append("Provide talent, compensation or skill data for a quantitative analysis.")
    if not recommendations:
        recommendations.append("Re-run the analysis when newer figures are available; this answer uses only the supplied data.")
    out.update({
        "summary": (f"{kind.capitalize()} analysis based only on the supplied data"
                    + (f" for {focus_area.strip()[:100]}" if focus_area.strip() else "") + f": {figures_used} data-backed insight(s)."),
        "insights": insights[:20], "recommendations": recommendations[:10],
        "confidence": round(min(0.85, 0.3 + 0.08 * figures_used), 3),
    })
    return out
