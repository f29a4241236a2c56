"""The measurements behind ``benchmarks/`` and the ``bench`` report, as plain functions.

Every function returns a JSON-friendly dict (numbers, names, never text) and
takes its sizes as arguments; :func:`sizes` picks full or quick sizes
(``ADEPTAI_BENCH_QUICK=1``). Each ratio is against a baseline measured in the
same run, interleaved with the measured path so machine noise hits both.

What is measured, and against what:

- :func:`framework_overhead`: ``Framework.call`` (render, cache miss + store,
  codec, boto3, parse, validate, observers) vs a raw boto3 ``invoke_endpoint``
  of the *same bytes* to the same endpoint, which answers in ~5 ms (injected).
- :func:`cache_hit`: a full ``Framework.call`` served from the disk cache.
- :func:`import_cost`: ``import adeptai_sagemaker`` + every adapter in a fresh
  interpreter vs a bare interpreter.
- :func:`concurrency`: N calls at concurrency C against 50 ms of injected
  latency, vs the ideal N/C x 50 ms (and vs raw boto3 under the same load).
- :func:`batch_behavioral`: a 1,000-candidate batch with injected failures;
  every candidate must come back with a result or an explicit error record.
- :func:`side_by_side`: SageMaker path vs the OpenAI and Anthropic SDK
  backends (fake servers offline), latency projected to full scale from
  published profiles, cost per 1,000 requests, quality from :func:`quality`.
"""

from __future__ import annotations

import json
import importlib.util
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from adeptai_sagemaker.plugin.hookspecs import hookimpl

REGION = "us-east-1"
FAKE_KEY = "sk-adeptai-bench-offline"
INSTANCE_TYPE = os.environ.get("ADEPTAI_BENCH_INSTANCE_TYPE", "ml.g5.2xlarge")
#: Sequences one SageMaker instance decodes at once (TGI continuous batching). An assumption; see profiles.py.
INSTANCE_CONCURRENCY = int(os.environ.get("ADEPTAI_BENCH_INSTANCE_CONCURRENCY", "8"))


# --------------------------------------------------------------------------- sizes and helpers


def quick() -> bool:
    return os.environ.get("ADEPTAI_BENCH_QUICK", "").strip().lower() in ("1", "true", "yes", "on")


def enforce() -> bool:
    """``ADEPTAI_BENCH_ENFORCE=1``: a missed target fails its benchmark (off by default on shared machines)."""
    return os.environ.get("ADEPTAI_BENCH_ENFORCE", "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Sizes:
    overhead_calls: int
    cache_calls: int
    import_runs: int
    concurrency_calls: int
    concurrency: int
    batch_candidates: int
    side_by_side_repeats: int
    quality_limit: Optional[int]  # None: the whole eval set


OVERHEAD_TARGET_MS = 0.3  # added per Framework.call over raw boto3, median, cache off
FIRST_USE_TARGET_MS = 200.0  # import + Framework(), over a bare interpreter
IMPORT_TARGET_MS = 100.0  # import of the package and every adapter, over a bare interpreter


def sizes(quick_mode: Optional[bool] = None) -> Sizes:
    if quick() if quick_mode is None else quick_mode:
        return Sizes(overhead_calls=40, cache_calls=200, import_runs=3, concurrency_calls=64, concurrency=16,
                     batch_candidates=60, side_by_side_repeats=1, quality_limit=4)
    return Sizes(overhead_calls=300, cache_calls=2000, import_runs=7, concurrency_calls=400, concurrency=32,
                 batch_candidates=1000, side_by_side_repeats=2, quality_limit=None)


def pct(values: list[float], p: float) -> Optional[float]:
    """The p-th percentile, or None when nothing was measured (reported as "not measured", never NaN)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values_s: list[float]) -> dict[str, Optional[float]]:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99),
            "mean_ms": statistics.fmean(ms) if ms else None}


class CallLog:
    """Observer plugin: keeps the CallRecords (names and numbers only)."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self._lock = threading.Lock()

    @hookimpl
    def on_call_finished(self, record):
        with self._lock:
            self.records.append(record)

    def last(self) -> Any:
        with self._lock:
            return self.records[-1] if self.records else None


def make_framework(url: str, endpoints: dict[str, str], *, cache_dir: Optional[str] = None,
                   plugins: Iterable[object] = (), fallback: bool = False, **cap_overrides: Any):
    """A framework pointed at the local endpoint; ``endpoints`` maps capability -> endpoint name."""
    from adeptai_sagemaker.core.framework import Framework
    from adeptai_sagemaker.core.settings import load_settings

    caps = {cap: {"endpoint": name, "mode": "on", "codec": "tgi", **cap_overrides} for cap, name in endpoints.items()}
    overrides: dict[str, Any] = dict(aws_region=REGION, sagemaker_endpoint_url=url, sagemaker_llm_fallback=fallback,
                                     capabilities=caps,
                                     adeptai_sagemaker_state_dir=os.environ.get("ADEPTAI_SAGEMAKER_STATE_DIR")
                                     or _bench_state_dir())
    if cache_dir:
        overrides["adeptai_sagemaker_cache_dir"] = cache_dir
    settings = load_settings(env_file=None, **overrides)
    return Framework(settings, plugins=list(plugins), load_entrypoints=False, cache=bool(cache_dir))


def raw_client(url: str, pool: int = 32):
    """The plain boto3 client a hand-written integration would use (same timeouts, no retries), signed with the
    dummy keys the framework's runtime uses for a loopback endpoint, so both send the same headers."""
    import boto3
    from botocore.config import Config

    from adeptai_sagemaker.core.aws_setup import LOOPBACK_CREDENTIALS

    cfg = Config(connect_timeout=2, read_timeout=70, max_pool_connections=pool,
                 retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name=REGION, config=cfg, **LOOPBACK_CREDENTIALS)


def encoded_body(fw, capability: str, request: dict) -> bytes:
    """Exactly the bytes the framework sends for ``request`` (same template, params and codec)."""
    from adeptai_sagemaker.core.prompting import render

    spec = fw.spec(capability)
    model = fw.coerce(capability, request)
    cap = fw.settings.capability(capability)
    prompt = render(spec.name, spec.template, spec.variables(model), input_budget=cap.input_budget,
                    output_schema=spec.output_model.model_json_schema())
    return fw.sagemaker.codec(cap.codec).encode(prompt, fw.route(capability).params, stream=False)


QUERY_WORDS = ("python", "java", "react", "nurse", "data", "devops", "sales", "finance", "rust", "golang")


def query_request(i: int) -> dict:
    """A distinct, short search query per ``i`` (distinct so the cache always misses)."""
    return {"query": f"senior {QUERY_WORDS[i % len(QUERY_WORDS)]} engineer {i} remote"}


def _unique_dir(prefix: str) -> str:
    """A scratch cache folder; every caller removes it in its ``finally`` (``_remove``)."""
    return tempfile.mkdtemp(prefix=f"adeptai-bench-{prefix}-")


def _remove(path: Optional[str]) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


_STATE_DIR: Optional[str] = None


def _bench_state_dir() -> str:
    """One scratch state folder (evidence store, live modes) per benchmark process, removed at exit,
    so a benchmark never writes into the user's ``~/.local/state``."""
    global _STATE_DIR
    if _STATE_DIR is None:
        import atexit

        _STATE_DIR = _unique_dir("state")
        atexit.register(_remove, _STATE_DIR)
    return _STATE_DIR


# --------------------------------------------------------------------------- a. overhead


#: What the overhead endpoint's model answers to every prompt: a valid query_enhancer output, at once,
#: so the measurement is the client side only (the same for every client measured).
CANNED_QUERY_ANSWER = json.dumps({"intent": "skill_search", "synonyms": ["py"], "related_skills": ["Django"],
                                  "job_variations": ["Python Developer"], "industry_terms": [],
                                  "expanded_terms": ["python"], "disambiguation": {},
                                  "entities": {"skills": ["Python"], "location": None, "min_years": None,
                                               "title": None},
                                  "language": "en"})


class CannedAnswerModel:
    """Lab model backend for overhead runs (``EndpointProcess(backend="...workload:CannedAnswerModel")``)."""

    version = "canned-1"

    def generate(self, prompt_text: str, params: dict[str, Any]) -> str:
        return CANNED_QUERY_ANSWER


def litellm_caller(url: str, endpoint: str) -> Optional[Callable[[int], None]]:
    """One LiteLLM ``sagemaker/`` completion per call against ``endpoint``, or None when LiteLLM is absent."""
    if importlib.util.find_spec("litellm") is None:  # an optional peer (extra 'bench'), not part of this repo
        return None
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: no cost-map download
    import litellm

    from adeptai_sagemaker.core.aws_setup import LOOPBACK_CREDENTIALS

    def once(i: int) -> None:
        litellm.completion(model=f"sagemaker/{endpoint}", messages=[{"role": "user", "content": query_request(i)["query"]}],
                           aws_region_name=REGION, sagemaker_base_url=f"{url}/endpoints/{endpoint}/invocations",
                           max_tokens=256, num_retries=0, **LOOPBACK_CREDENTIALS)

    return once


def framework_overhead(ep, calls: int, *, latency_ms: float = 0.0, warmup: int = 10,
                       with_litellm: bool = True) -> dict[str, Any]:
    """Added time per ``Framework.call`` (cache off) over a raw boto3 call sending the same bytes.

    The clients are interleaved call by call, so machine noise hits them
    alike; ``added_ms_median`` is the difference of medians, ``ratio`` is
    framework median / raw median, and with LiteLLM installed the same loop
    times its ``sagemaker/`` provider too.
    """
    endpoint, url = "bench-overhead", ep.url
    if latency_ms:
        ep.set_faults(endpoint, kind="latency", latency_ms=latency_ms)
    fw = make_framework(url, {"query_enhancer": endpoint})  # no cache_dir: the cache is off
    client = raw_client(url)
    lite = litellm_caller(url, endpoint) if with_litellm else None
    try:
        bodies = [encoded_body(fw, "query_enhancer", query_request(i)) for i in range(calls + warmup)]

        def raw(i: int) -> None:
            resp = client.invoke_endpoint(EndpointName=endpoint, Body=bodies[i], ContentType="application/json",
                                          Accept="application/json")
            resp["Body"].read()

        def full(i: int) -> None:
            fw.call("query_enhancer", query_request(i))

        paths = {"raw_boto3": raw, "framework": full}
        skipped = None
        if lite is not None:
            try:
                lite(0)
                paths["litellm"] = lite
            except Exception as exc:  # a peer's failure is a finding, not a benchmark crash
                skipped = f"litellm call failed: {type(exc).__name__}"
        else:
            skipped = "litellm is not installed (pip install 'adeptai-sagemaker[bench]' adds this row)"
        for i in range(warmup):
            for fn in paths.values():
                fn(i)
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for i in range(warmup, warmup + calls):  # interleaved: noise hits every path alike
            for name, fn in paths.items():
                t0 = time.perf_counter()
                fn(i)
                samples[name].append(time.perf_counter() - t0)
        raw_med = statistics.median(samples["raw_boto3"])
        fw_med = statistics.median(samples["framework"])
        added_ms = (fw_med - raw_med) * 1000
        result = {
            "calls": calls, "injected_latency_ms": latency_ms, "cache": "off",
            "raw_boto3": summary_ms(samples["raw_boto3"]), "framework": summary_ms(samples["framework"]),
            "added_ms_median": added_ms,
            "added_ms_paired_median": statistics.median(
                [f - r for f, r in zip(samples["framework"], samples["raw_boto3"])]) * 1000,
            "ratio": fw_med / raw_med, "target_added_ms": OVERHEAD_TARGET_MS, "met": added_ms <= OVERHEAD_TARGET_MS,
            "framework_cache_hits": fw.metrics.snapshot()["totals"]["cache_hits"],
            "framework_outcomes": {k: fw.metrics.snapshot()["totals"][k] for k in ("successes", "fallbacks", "errors")},
        }
        if "litellm" in samples:
            lite_med = statistics.median(samples["litellm"])
            result["litellm"] = {**summary_ms(samples["litellm"]), "added_ms_median": (lite_med - raw_med) * 1000,
                                 "ratio": lite_med / raw_med}
        else:
            result["litellm"] = {"skipped": skipped}
        return result
    finally:
        fw.close()
        if latency_ms:
            ep.clear_faults(endpoint)


class _CannedCompletionBackend:
    """An in-process backend answering ``CANNED_QUERY_ANSWER`` (no transport): isolates the framework's own work."""

    name = "sagemaker"

    def complete(self, prompt, params, target):
        from adeptai_sagemaker.plugin.completion import Completion

        return Completion(text=CANNED_QUERY_ANSWER)


def framework_cpu(calls: int) -> dict[str, Any]:
    """Median microseconds of ``Framework.call`` work with no transport at all (routing, input hash, render,
    validation, record, observers): the part of the added time that machine load cannot hide."""
    fw = make_framework("http://127.0.0.1:9", {"query_enhancer": "bench-cpu"})
    fw.sagemaker = _CannedCompletionBackend()
    try:
        for i in range(20):
            fw.call("query_enhancer", query_request(i))
        samples = []
        for i in range(20, 20 + calls):
            t0 = time.perf_counter()
            fw.call("query_enhancer", query_request(i))
            samples.append(time.perf_counter() - t0)
        return {"calls": calls, "median_us": statistics.median(samples) * 1e6, "p95_us": pct(samples, 95) * 1e6}
    finally:
        fw.close()


def _fresh_interpreter_env() -> dict[str, str]:
    """The environment of a timed fresh interpreter: bytecode is written and reused, as in a deployed service
    (``PYTHONDONTWRITEBYTECODE`` would recompile every changed module on every run), and no profiler is on."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("PYTHONPROFILE") and k != "PYTHONDONTWRITEBYTECODE"}


#: what first use cannot go below: the settings library the framework is built on (it imports asyncio)
DEPENDENCY_FLOOR_CODE = "import pydantic_settings"


def first_use_cost(runs: int) -> dict[str, Any]:
    """Import plus ``Framework()`` construction in a fresh interpreter, against a bare interpreter and, in the
    same alternation, against an interpreter that only imports pydantic-settings (the floor no change of
    ours can go below): ``own_ms`` is what the framework adds on top of its settings library."""
    scratch = _unique_dir("first-use")
    env = _fresh_interpreter_env()
    env.update(AWS_REGION=REGION, ADEPTAI_SAGEMAKER_CACHE_DIR=os.path.join(scratch, "cache"),
               ADEPTAI_SAGEMAKER_STATE_DIR=os.path.join(scratch, "state"))
    code = "from adeptai_sagemaker.core.framework import Framework; Framework()"

    def run(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, env=env, stdout=subprocess.DEVNULL, cwd=scratch)
        return time.perf_counter() - t0

    try:
        run(["-c", code])  # warm the OS file cache and the bytecode cache
        bare, floor, full = [], [], []
        for _ in range(runs):
            bare.append(run(["-c", "pass"]))
            floor.append(run(["-c", DEPENDENCY_FLOOR_CODE]))
            full.append(run(["-c", code]))
    finally:
        _remove(scratch)
    bare_ms, floor_ms, full_ms = (statistics.median(v) * 1000 for v in (bare, floor, full))
    added = full_ms - bare_ms
    return {"runs": runs, "bare_ms": bare_ms, "first_use_ms": full_ms, "added_ms": added,
            "dependency_floor_added_ms": floor_ms - bare_ms, "own_ms": full_ms - floor_ms,
            "target_added_ms": FIRST_USE_TARGET_MS, "met": added <= FIRST_USE_TARGET_MS}


def framework_phases(url: str, calls: int = 200) -> dict[str, float]:
    """Where the added time goes: median microseconds per step of one cache-miss call (diagnostic)."""
    from adeptai_sagemaker.core.pipeline import render_prompt
    from adeptai_sagemaker.core.structured import parse_output

    cache_dir = _unique_dir("phases")
    fw = make_framework(url, {"query_enhancer": "bench-phases"}, cache_dir=cache_dir)
    try:
        spec = fw.spec("query_enhancer")
        route = fw.route("query_enhancer")
        codec = fw.sagemaker.codec("tgi")
        text = fw.invoke("query_enhancer", query_request(0)).model_dump_json()
        names = ("coerce", "render", "cache_get", "encode", "decode_parse", "cache_put")
        times: dict[str, list[float]] = {k: [] for k in names}
        for i in range(1, calls + 1):
            t = time.perf_counter
            a = t(); model = fw.coerce("query_enhancer", query_request(i)); b = t()
            prompt = render_prompt(route, model); c = t()  # as the pipeline renders (schema text built once)
            fw.cache.get(f"k{i}"); d = t()
            codec.encode(prompt, route.params); e = t()
            parse_output(text, spec.output_model); f = t()
            fw.cache.put(f"k{i}", json.loads(text), ttl=60, capability="query_enhancer"); g = t()
            for key, (s0, s1) in zip(names, ((a, b), (b, c), (c, d), (d, e), (e, f), (f, g))):
                times[key].append(s1 - s0)
        return {k: statistics.median(v) * 1e6 for k, v in times.items()}
    finally:
        fw.close()
        _remove(cache_dir)


# --------------------------------------------------------------------------- LiteLLM peer row


def litellm_row(ep, calls: int, *, latency_ms: float = 5.0) -> dict[str, Any]:
    """LiteLLM's ``sagemaker/`` provider against the same endpoint, or why it was skipped."""
    endpoint = "bench-litellm"
    once = litellm_caller(ep.url, endpoint)
    if once is None:
        return {"skipped": "litellm is not installed (pip install 'adeptai-sagemaker[bench]' adds this row)"}
    ep.set_faults(endpoint, kind="latency", latency_ms=latency_ms)
    try:
        try:
            once(0)
        except Exception as exc:  # a peer's failure is a finding, not a benchmark crash
            return {"skipped": f"litellm call failed: {type(exc).__name__}"}
        samples = []
        for i in range(1, calls + 1):
            t0 = time.perf_counter()
            once(i)
            samples.append(time.perf_counter() - t0)
        return {"litellm": summary_ms(samples)}
    finally:
        ep.clear_faults(endpoint)


# --------------------------------------------------------------------------- b. cache hit


def cache_hit(url: str, calls: int) -> dict[str, Any]:
    cache_dir = _unique_dir("cache")
    fw = make_framework(url, {"query_enhancer": "bench-cache"}, cache_dir=cache_dir)
    try:
        request = query_request(1)
        fw.call("query_enhancer", request)  # prime (the only endpoint call)
        log = CallLog()
        fw.pm.register(log, name="bench-cache-log")
        samples = []
        for _ in range(calls):
            t0 = time.perf_counter()
            fw.call("query_enhancer", request)
            samples.append(time.perf_counter() - t0)
        hits = sum(1 for r in log.records if r.cache_hit)
        out = summary_ms(samples)
        return {"calls": calls, **out, "hits": hits, "target_p50_ms": 0.3, "met": out["p50_ms"] <= 0.3 and hits == calls}
    finally:
        fw.close()
        _remove(cache_dir)


# --------------------------------------------------------------------------- c. import cost


def adapter_modules() -> list[str]:
    import pkgutil

    import adeptai_sagemaker.adapters as pkg

    return [f"adeptai_sagemaker.adapters.{m.name}" for m in pkgutil.iter_modules(pkg.__path__)
            if not m.name.startswith("_")]


def import_cost(runs: int) -> dict[str, Any]:
    modules = ["adeptai_sagemaker", "adeptai_sagemaker.adapters", *adapter_modules()]
    code = "import " + ", ".join(modules)
    env = _fresh_interpreter_env()

    def run(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, env=env, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    run(["-c", code])  # warm the OS file cache and the bytecode cache
    bare, full = [], []
    for _ in range(runs):
        bare.append(run(["-c", "pass"]))
        full.append(run(["-c", code]))
    added = (statistics.median(full) - statistics.median(bare)) * 1000
    return {"runs": runs, "modules": modules, "bare_ms": statistics.median(bare) * 1000,
            "with_package_ms": statistics.median(full) * 1000, "added_ms": added, "target_added_ms": IMPORT_TARGET_MS,
            "met": added <= IMPORT_TARGET_MS}


def import_breakdown(top: int = 8) -> list[tuple[str, float]]:
    """The heaviest imports (cumulative ms, from ``-X importtime``): where to cut if the target is missed."""
    modules = ["adeptai_sagemaker", *adapter_modules()]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import " + ", ".join(modules)],
                          capture_output=True, text=True, check=True, env=_fresh_interpreter_env())
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] and not parts[2].startswith(" "):
            name = parts[2].strip()
            if parts[2] == parts[2].lstrip():  # top-level entries only (no indentation)
                rows.append((name, int(parts[1]) / 1000.0))
    return sorted(rows, key=lambda r: -r[1])[:top]


# --------------------------------------------------------------------------- d. concurrency and batch


CONCURRENCY_ROUNDS = 3
CONCURRENCY_TARGET_RATIO = 1.05


def concurrency(ep, calls: int, workers: int, *, latency_ms: float = 50.0,
                rounds: int = CONCURRENCY_ROUNDS) -> dict[str, Any]:
    """``calls`` calls from ``workers`` threads to an endpoint that takes ``latency_ms``: raw boto3 and
    ``Framework.call`` (cache on, every input new) in alternating rounds, so a burst of noise on a shared
    machine lands on both; judged by the ratio of median wall times. The client process's CPU per call
    (all its threads) is reported beside it: on a machine whose cores the endpoint shares, that is what
    the wall time follows."""
    endpoint, url = "bench-concurrency", ep.url
    ep.set_faults(endpoint, kind="latency", latency_ms=latency_ms)
    cache_dir = _unique_dir("concurrency")
    fw = make_framework(url, {"query_enhancer": endpoint}, cache_dir=cache_dir)
    client = raw_client(url, pool=workers)
    total = calls * rounds
    try:
        bodies = [encoded_body(fw, "query_enhancer", query_request(100_000 + i)) for i in range(total)]
        errors: list[str] = []

        def raw(i: int) -> None:
            client.invoke_endpoint(EndpointName=endpoint, Body=bodies[i], ContentType="application/json",
                                   Accept="application/json")["Body"].read()

        def full(i: int) -> None:
            try:
                fw.call("query_enhancer", query_request(100_000 + i))
            except Exception as exc:
                errors.append(type(exc).__name__)

        walls: dict[str, list[float]] = {"raw_boto3": [], "framework": []}
        cpu: dict[str, list[float]] = {"raw_boto3": [], "framework": []}
        with ThreadPoolExecutor(workers) as pool:
            # warm both clients' connection pools and every worker thread (the cache's per-thread SQLite
            # connection included) on inputs the rounds never send
            list(pool.map(raw, range(total - workers, total)))
            list(pool.map(lambda i: fw.call("query_enhancer", query_request(-1 - i)), range(workers)))
            for r in range(rounds):
                for name, fn in (("raw_boto3", raw), ("framework", full)):
                    c0, t0 = time.process_time(), time.perf_counter()
                    list(pool.map(fn, range(r * calls, (r + 1) * calls)))
                    walls[name].append(time.perf_counter() - t0)
                    cpu[name].append((time.process_time() - c0) / calls * 1e6)
        raw_wall, fw_wall = statistics.median(walls["raw_boto3"]), statistics.median(walls["framework"])
        ideal = calls / workers * latency_ms / 1000.0
        return {"calls": calls, "concurrency": workers, "rounds": rounds, "injected_latency_ms": latency_ms,
                "ideal_s": ideal, "framework_wall_s": fw_wall, "raw_boto3_wall_s": raw_wall,
                "walls_s": walls, "framework_vs_raw": fw_wall / raw_wall,
                "client_cpu_us_per_call": {k: statistics.median(v) for k, v in cpu.items()},
                "framework_vs_ideal": fw_wall / ideal, "raw_vs_ideal": raw_wall / ideal, "errors": len(errors),
                "target_vs_raw": CONCURRENCY_TARGET_RATIO,
                "met": fw_wall <= CONCURRENCY_TARGET_RATIO * raw_wall and not errors}
    finally:
        fw.close()
        _remove(cache_dir)
        ep.clear_faults(endpoint)


def batch_behavioral(ep, candidates: int, *, workers: int = 32,
                     failure_probability: float = 0.03, seed: int = 11) -> dict[str, Any]:
    """Every candidate gets a result or an explicit error record, with failures injected on purpose."""
    endpoint, url = "bench-batch", ep.url
    ep.set_faults(endpoint, faults=[
        {"kind": "latency", "latency_ms": 5.0},
        {"kind": "model_error", "original_status": 500, "probability": failure_probability, "seed": seed},
        {"kind": "model_error", "original_status": 400, "probability": failure_probability / 3, "seed": seed + 1},
    ])
    fw = make_framework(url, {"behavioral_analyzer": endpoint})
    records: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    try:
        def one(i: int) -> None:
            cid = f"cand-{i:05d}"
            request = {"resume_text": f"Candidate {i}. Led a team of {i % 9 + 2} engineers; shipped Python services "
                                      f"on AWS; mentored juniors; {i % 7 + 1} years experience.",
                       "job_description": "Senior Python engineer, AWS, leadership.", "target_role": "Senior Engineer"}
            try:
                out = fw.call("behavioral_analyzer", request).value
                rec = {"ok": True, "overall_score": getattr(out, "overall_score", None)}
            except Exception as exc:  # the explicit error record
                rec = {"ok": False, "error_code": getattr(exc, "code", type(exc).__name__),
                       "reason": getattr(exc, "reason", None), "retryable": getattr(exc, "retryable", None)}
            with lock:
                records[cid] = rec

        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(candidates)))
        wall = time.perf_counter() - t0
        ok = sum(1 for r in records.values() if r["ok"])
        errors: dict[str, int] = {}
        for r in records.values():
            if not r["ok"]:
                errors[r["error_code"]] = errors.get(r["error_code"], 0) + 1
        complete = len(records) == candidates and all(r["ok"] or r.get("error_code") for r in records.values())
        return {"candidates": candidates, "records": len(records), "ok": ok, "errors": errors, "wall_s": wall,
                "complete": complete, "met": complete}
    finally:
        fw.close()
        ep.clear_faults(endpoint)


# --------------------------------------------------------------------------- e/f. side by side and quality


def eval_data() -> tuple[list[dict], list[dict]]:
    """(job postings, queries) from the dev part of the in-repo golden sets (``lab/golden``)."""
    from adeptai_sagemaker_lab.evaluation import load_golden

    return load_golden("job_parser", "dev"), load_golden("query_enhancer", "dev")


def _score(kind: str, pairs: list[tuple[Any, dict]]) -> dict[str, Any]:
    """Field metrics from ``lab.evaluation`` (the same scorer ``adeptai-sagemaker eval`` prints)."""
    from adeptai_sagemaker_lab.evaluation import score

    return score("job_parser" if kind == "jobs" else "query_enhancer", pairs)


def _provenances(run: "BackendRun") -> list[str]:
    """Distinct model self-descriptions in a run's answers (the reference model names itself)."""
    return sorted({str(pred["provenance"]) for _, pred in run.jobs_pairs + run.query_pairs
                   if isinstance(pred, dict) and pred.get("provenance")})


@dataclass
class BackendRun:
    name: str
    latencies_s: list[float]
    projected_s: list[float]
    input_tokens: list[int]
    output_tokens: list[int]
    calls: int
    first_try_valid: int
    valid_after_reask: int
    reasks: int
    transport_retries: int
    errors: dict[str, int]
    jobs_pairs: list[tuple[Any, dict]]
    query_pairs: list[tuple[Any, dict]]


def run_backend(fw, backend: str, jobs: list[dict], queries: list[dict], *, repeats: int = 1,
                fake=None, sm_profile=None, seed: int = 5) -> BackendRun:
    """Sequential calls through ``fw.invoke`` on ``backend`` (no cache), with per-call projection to full scale."""
    import random

    rng = random.Random(seed)
    log = CallLog()
    fw.pm.register(log, name=f"bench-log-{backend}-{id(log)}")
    run = BackendRun(backend, [], [], [], [], 0, 0, 0, 0, 0, {}, [], [])
    work = [("job_parser", {"job_description": j["text"]}, j) for j in jobs]
    work += [("query_enhancer", {"query": q["query"]}, q) for q in queries]
    for rep in range(repeats):
        for cap, request, item in work:
            before = len(fake.records()) if fake is not None else 0
            t0 = time.perf_counter()
            out, error = None, None
            try:
                out = fw.invoke(cap, request, backend=backend)
            except Exception as exc:
                error = getattr(exc, "code", type(exc).__name__)
            elapsed = time.perf_counter() - t0
            rec = log.last()
            run.calls += 1
            run.latencies_s.append(elapsed)
            reasks = rec.reasks if rec is not None else 0
            run.reasks += reasks
            run.transport_retries += max(0, (rec.attempts if rec is not None else 1) - 1 - reasks)
            if rec is not None and rec.input_tokens is not None:
                run.input_tokens.append(rec.input_tokens)
                run.output_tokens.append(rec.output_tokens or 0)
            if fake is not None:
                new = fake.records()[before:]
                projected = elapsed - sum(r.slept_s for r in new) + sum(r.modelled_s for r in new)
            elif sm_profile is not None:
                projected = elapsed + sm_profile.modelled_s(rec.output_tokens or 0 if rec else 0, rng)
            else:
                projected = elapsed
            run.projected_s.append(projected)
            if rep == 0:  # evaluation pairs are (label, prediction dict or None for a failure)
                pred = out.model_dump(mode="json") if out is not None else None
                (run.jobs_pairs if cap == "job_parser" else run.query_pairs).append((item["label"], pred))
            if error is not None:
                run.errors[error] = run.errors.get(error, 0) + 1
                continue
            run.valid_after_reask += 1
            if reasks == 0:
                run.first_try_valid += 1
    return run


def _cost_rows(run: BackendRun, sm_profile) -> dict[str, Any]:
    from adeptai_sagemaker.ops import cost

    mean_in = statistics.fmean(run.input_tokens) if run.input_tokens else 0.0
    mean_out = statistics.fmean(run.output_tokens) if run.output_tokens else 0.0
    mean_latency = statistics.fmean(run.projected_s) if run.projected_s else None
    row: dict[str, Any] = {"mean_input_tokens": mean_in, "mean_output_tokens": mean_out}
    if run.name == "sagemaker":
        if not mean_latency:
            row.update({"not_measured": "no SageMaker calls were made (no labelled data or every call failed)"})
            return row
        throughput = INSTANCE_CONCURRENCY / mean_latency  # Little's law, per instance
        model = cost.CostModel(instance_type=INSTANCE_TYPE, throughput_rps=throughput, input_tokens=mean_in,
                               output_tokens=mean_out)
        row.update({"throughput_rps": throughput, "throughput_basis":
                    f"{INSTANCE_CONCURRENCY} concurrent sequences per {INSTANCE_TYPE} / mean projected latency",
                    "cost_per_1k_usd": model.cost_per_request() * 1000, "instance_type": INSTANCE_TYPE,
                    "price_per_hour_usd": model.hourly_price(), "monthly_endpoint_cost_usd": model.monthly_cost(),
                    "target_utilization": model.target_utilization})
    else:
        api_model = cost.BACKEND_API_MODELS[run.name]
        row.update({"api_model": api_model,
                    "cost_per_1k_usd": cost.api_cost_per_request(mean_in, mean_out, api_model) * 1000,
                    "throughput_rps": None, "throughput_basis": "per-token API: bounded by your rate-limit tier"})
    return row


def side_by_side(url: str, *, repeats: int = 1, limit: Optional[int] = None, time_scale: Optional[float] = None,
                 include_real: bool = True) -> dict[str, Any]:
    """SageMaker path vs OpenAI and Anthropic SDK backends on the labelled dev set."""
    from adeptai_sagemaker.backends.external import AnthropicBackend, ExternalBackends, OpenAIBackend
    from adeptai_sagemaker_lab.bench.fake_apis import FakeAPIServer
    from adeptai_sagemaker_lab.bench.profiles import sagemaker_profile
    from adeptai_sagemaker_lab.bench.profiles import time_scale as default_scale

    scale = default_scale() if time_scale is None else time_scale
    jobs, queries = eval_data()
    if limit is not None:
        jobs, queries = jobs[:limit], queries[:limit]
    if not jobs and not queries:
        return {"not_measured": "no labelled evaluation data to score (adeptai_sagemaker/lab/golden is empty or the limit is 0)",
                "backends": {}, "skipped": {}, "break_even": {}}
    sm_profile = sagemaker_profile()
    results: dict[str, Any] = {"time_scale": scale, "jobs": len(jobs), "queries": len(queries), "repeats": repeats,
                               "backends": {}, "skipped": {}}
    fw = make_framework(url, {"job_parser": "bench-sbs-job", "query_enhancer": "bench-sbs-query"},
                        plugins=[ExternalBackends()])
    runs: list[BackendRun] = []
    try:
        runs.append(run_backend(fw, "sagemaker", jobs, queries, repeats=repeats, sm_profile=sm_profile))
        with FakeAPIServer(time_scale=scale, api_key=FAKE_KEY) as fake:
            fw.use_backend("openai", OpenAIBackend(FAKE_KEY, base_url=fake.openai_base_url))
            fw.use_backend("anthropic", AnthropicBackend(FAKE_KEY, base_url=fake.anthropic_base_url))
            for name in ("openai", "anthropic"):
                runs.append(run_backend(fw, name, jobs, queries, repeats=repeats, fake=fake))
        if include_real:
            for name, env in (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")):
                if not os.environ.get(env):
                    results["skipped"][f"{name}-real"] = f"{env} is not set: real {name} service not measured"
                    continue
                from adeptai_sagemaker.backends.base import external

                fw.use_backend(name, getattr(external, f"{name}_from_env")())  # the real service, from env
                real = run_backend(fw, name, jobs, queries, repeats=1)
                real.name = f"{name}-real"
                runs.append(real)
    finally:
        fw.close()

    for run in runs:
        cost_name = run.name.removesuffix("-real")
        entry: dict[str, Any] = {
            "measured": summary_ms(run.latencies_s), "projected": summary_ms(run.projected_s),
            "calls": run.calls, "errors": run.errors,
            "schema_valid_first_try": run.first_try_valid / run.calls if run.calls else None,
            "schema_valid_after_reask": run.valid_after_reask / run.calls if run.calls else None,
            "retries_per_success": ((run.reasks + run.transport_retries) / run.valid_after_reask
                                    if run.valid_after_reask else None),
            "jobs": _score("jobs", run.jobs_pairs) if run.jobs_pairs else {},
            "queries": _score("queries", run.query_pairs) if run.query_pairs else {},
            "provenance": _provenances(run),
        }
        tmp = BackendRun(cost_name, *[getattr(run, f) for f in ("latencies_s", "projected_s", "input_tokens",
                                                                "output_tokens", "calls", "first_try_valid",
                                                                "valid_after_reask", "reasks", "transport_retries",
                                                                "errors", "jobs_pairs", "query_pairs")])
        entry["cost"] = _cost_rows(tmp, sm_profile)
        entry["projected_samples_ms"] = [v * 1000 for v in run.projected_s]
        results["backends"][run.name] = entry
    from adeptai_sagemaker_lab.evaluation import same_model_note

    results["same_model"] = same_model_note({name: e["provenance"] for name, e in results["backends"].items()})
    results["profiles"] = _profile_notes(sm_profile)
    results["break_even"] = break_even_table(results)
    return results


def _profile_notes(sm_profile) -> dict[str, Any]:
    from adeptai_sagemaker_lab.bench.profiles import CLAUDE_SONNET_4, GPT_4O_MINI

    return {p.name: {"ttft_s": p.ttft_s, "tokens_per_s": p.tokens_per_s, "source": p.source}
            for p in (sm_profile, GPT_4O_MINI, CLAUDE_SONNET_4)}


def break_even_table(results: dict[str, Any]) -> dict[str, Any]:
    """Monthly requests from which the SageMaker endpoint is no dearer than each API, for this workload."""
    from adeptai_sagemaker.ops import cost

    sm = results["backends"].get("sagemaker")
    if not sm or "price_per_hour_usd" not in sm["cost"]:
        return {}
    sm_cost = sm["cost"]
    out = {}
    for name in ("openai", "anthropic"):
        api = results["backends"].get(name)
        if not api:
            continue
        be = cost.break_even(sm_cost["price_per_hour_usd"], sm_cost["throughput_rps"], sm_cost["target_utilization"],
                             api["cost"]["cost_per_1k_usd"] / 1000)
        out[name] = {"first_requests_per_month": be.first, "sustained_requests_per_month": be.sustained,
                     "capacity_per_instance_month": be.capacity_per_instance_month,
                     "endpoint_cost_per_instance_month_usd": be.endpoint_cost_per_instance_month,
                     "api_cost_per_request_usd": be.api_cost_per_request}
    return out
