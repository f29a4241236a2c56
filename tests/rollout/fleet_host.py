"""A host process of the fleet tests: a framework built from env like the monolith's, driven over stdin.

Commands (one per line), each answered with one JSON line:
``mode`` -> {"mode": ...}; ``calls N`` -> N job_parser calls with a legacy answer, waits for their shadow
comparisons, flushes the evidence -> {"n": N, "errors": ..., "max_ms": ..., "median_ms": ..., "modes": [...]}
(each call's time on the caller's thread; the modes the calls ran under); ``quit``.
"""

import json
import statistics
import sys
import time

from adeptai_sagemaker.core.framework import Framework

LEGACY = {"title": "Engineer", "mandatory_skills": ["Python"], "preferred_skills": [], "years_experience": 5,
          "education_level": "bachelor", "location": "Austin, TX", "work_mode": "hybrid", "salary_range": None,
          "seniority_level": "senior", "employment_type": "full_time"}

fw = Framework(load_entrypoints=False, cache=False)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "mode":
        out = {"mode": str(fw.mode("job_parser"))}
    elif command == "calls":
        errors, took, modes = 0, [], set()
        for i in range(int(arg)):
            started = time.perf_counter()
            try:
                result = fw.call("job_parser", {"job_description": f"Senior Python engineer {i}, Austin TX"},
                                 legacy=lambda: dict(LEGACY))
                modes.add(result.record.mode)
            except Exception:
                errors += 1
            took.append(time.perf_counter() - started)
        if fw._shadow is not None:  # wait for this batch's shadow comparisons, then write them
            fw._shadow.shutdown(wait=True)
            fw._shadow = None
        fw.evidence.flush()
        out = {"n": int(arg), "errors": errors, "max_ms": max(took) * 1000.0,
               "median_ms": statistics.median(took) * 1000.0, "modes": sorted(modes)}
    elif command == "quit":
        break
    else:
        out = {"error": command}
    print(json.dumps(out), flush=True)
fw.close()
