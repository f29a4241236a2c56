"""Privacy and secrets: candidate text never leaves the call except to the model and back to the caller.

Distinctive canary strings (a name, an email, a phone number, a marker) ride in every user-text
field of every capability; then every log record (DEBUG, our loggers and the local endpoint's),
every observer record, every metric/audit line and every exception a caller can see is searched
for them. botocore's own DEBUG logging is the one known leak (request bodies and the
Authorization header) and is pinned down here so the recommendation in SECURITY.md stays true.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import traceback
from pathlib import Path

import pytest

from adeptai_sagemaker.core.errors import AdeptSageMakerError, InputValidationError
from adeptai_sagemaker.core.settings import load_settings
from adeptai_sagemaker.plugin.tasks import CAPABILITIES, PII_CAPABILITIES

from support.reliability import (
    CANNED,
    CannedBackend,
    framework_for,
    legacy_for,
    request_for,
    settings_for,
)

NAME = "Zyxwvut Canaryson"
EMAIL = "canary.zq7x@example.org"
PHONE = "+1-555-0199-7342"
MARKER = "CANARY-7f3a9e-RESUME"
CANARIES = (NAME, EMAIL, PHONE, MARKER, "Canaryson", "zq7x", "0199-7342", "7f3a9e")
CANARY_TEXT = f"{NAME} <{EMAIL}> tel {PHONE}. {MARKER}. Python and AWS engineer, 7 years, Boston, MA."
THIRD_PARTY = ("botocore", "boto3", "urllib3", "s3transfer")
REPO = Path(__file__).resolve().parents[2]


def canary_request(capability: str) -> dict:
    request = request_for(capability, CANARY_TEXT)
    if capability == "explanation_generator":
        request["candidate_profile"].update(full_name=NAME, email=EMAIL, phone=PHONE)
        request["job_query"] = f"python engineer like {NAME}"
    return request


def leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


class KeepAll(logging.Handler):
    """Keeps every record, formatted with its traceback, at any level."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []
        self.fmt = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record):
        text = self.fmt.format(record)  # includes exc_info / stack_info text
        self.records.append((record.name, text))


@pytest.fixture
def all_logs():
    """Every logger at DEBUG for the duration of the test (restored afterwards)."""
    handler = KeepAll()
    root = logging.getLogger()
    names = ["", "adeptai_sagemaker", "adeptai_sagemaker_lab.server", "botocore", "boto3", "urllib3", "uvicorn",
             "uvicorn.error", "uvicorn.access", *[n for n in logging.root.manager.loggerDict if n.startswith("adeptai")]]
    saved = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


def exception_text(exc: BaseException) -> str:
    return repr(exc) + "\n" + "".join(traceback.format_exception(exc))


def ours(records):
    return [(n, t) for n, t in records if not n.startswith(THIRD_PARTY)]


# ------------------------------------------------------------------ logs, observer records, exceptions


FAULTS = [None, {"kind": "model_error", "original_status": 500, "message": f"container echoed {CANARY_TEXT}"},
          {"kind": "model_error", "original_status": 400, "message": f"bad input: {EMAIL}"},
          {"kind": "malformed_json"}, {"kind": "truncated", "fraction": 0.3}, {"kind": "throttle", "count": 1}]


@pytest.mark.parametrize("fallback", [True, False], ids=["fallback_on", "fallback_off"])
def test_no_candidate_text_in_logs_records_or_exceptions_over_real_http(local_endpoint, aws_env, tmp_path,
                                                                        all_logs, fallback):
    fw, rec = framework_for(settings_for(endpoint_url=local_endpoint.url, cache_dir=tmp_path / "c",
                                         sagemaker_llm_fallback=fallback,
                                         cap_options={"max_attempts": 2, "max_reasks": 1}), cache=False)
    raised: list[BaseException] = []
    for fault in FAULTS:
        local_endpoint.clear_faults()
        if fault:
            local_endpoint.set_faults("*", **fault)
        for capability in CAPABILITIES:
            try:
                fw.call(capability, canary_request(capability), legacy=legacy_for(capability))
            except AdeptSageMakerError as exc:
                assert not fallback, f"{capability} raised {exc.code} although fallback is on"
                raised.append(exc)
    assert len(rec.calls) == len(FAULTS) * len(CAPABILITIES)
    if not fallback:
        assert raised, "the injected faults should surface as typed errors with fallback off"
    for record in rec.all_records():
        assert not leaks(repr(record)), f"observer record leaks {leaks(repr(record))}: {type(record).__name__}"
    for exc in raised:
        assert not leaks(exception_text(exc)), f"{type(exc).__name__} leaks {leaks(exception_text(exc))}"
    own = ours(all_logs.records)
    assert any(n.startswith("adeptai_sagemaker") for n, _ in own), "expected our DEBUG logging to be captured"
    bad = [(n, leaks(t)) for n, t in own if leaks(t)]
    assert not bad, f"log records leak candidate text: {bad[:5]}"


def test_invalid_model_output_and_reasks_do_not_leak(tmp_path, all_logs):
    """The model echoes the resume in broken JSON: the re-ask and the final error carry field paths only."""
    backend = CannedBackend(reply=lambda task, prompt: '{"overall_score": "' + CANARY_TEXT + '", "x": [' + EMAIL)
    fw, rec = framework_for(settings_for(cache_dir=tmp_path / "c", sagemaker_llm_fallback=False), backend=backend)
    for capability in CAPABILITIES:
        with pytest.raises(AdeptSageMakerError) as info:
            fw.call(capability, canary_request(capability))
        assert not leaks(exception_text(info.value))
        last_error = getattr(info.value, "last_error", "") or ""
        assert not leaks(last_error)
    backend.reply = lambda task, prompt: json.dumps({**CANNED[task], "overall_score": CANARY_TEXT})
    for capability in ("candidate_matcher", "explanation_generator", "behavioral_analyzer"):
        with pytest.raises(AdeptSageMakerError) as info:
            fw.call(capability, canary_request(capability))
        assert not leaks(exception_text(info.value))
    assert not [t for _, t in ours(all_logs.records) if leaks(t)]
    assert not [r for r in rec.all_records() if leaks(repr(r))]


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_input_validation_errors_name_fields_not_values(tmp_path, capability):
    fw, _ = framework_for(settings_for(cache_dir=tmp_path / "c"), backend=CannedBackend())
    bad = canary_request(capability)
    first = next(iter(bad))
    bad[first] = {"nested": CANARY_TEXT, "n": [EMAIL, PHONE]}  # wrong type for the first field
    bad["ranking_position"] = MARKER
    bad["question_types"] = [NAME]
    with pytest.raises(InputValidationError) as info:
        fw.call(capability, bad)  # no legacy to answer: the typed error reaches the caller
    assert not leaks(exception_text(info.value)), exception_text(info.value)
    result = fw.call(capability, bad, legacy=legacy_for(capability))  # with legacy: a fallback with its reason
    assert result.from_legacy and result.record.fallback_reason == InputValidationError.reason


def test_metric_snapshots_and_emf_lines_never_see_candidate_text(tmp_path, all_logs):
    """The metrics observer sees every call (successes, fallbacks with reasons, typed errors); its
    snapshot and the CloudWatch EMF lines it would print are searched for the canaries."""
    import io

    from adeptai_sagemaker.observers.metrics import EMFExporter, MetricsRecorder

    metrics = MetricsRecorder()
    backend = CannedBackend()
    fw, rec = framework_for(settings_for(cache_dir=tmp_path / "c"), backend=backend, plugins=[metrics])
    for capability in CAPABILITIES:
        fw.call(capability, canary_request(capability), legacy=legacy_for(capability))
    backend.reply = lambda task, prompt: '{"broken": "' + CANARY_TEXT  # invalid output -> fallback with a reason
    for capability in CAPABILITIES:
        fw.call(capability, canary_request(capability), legacy=legacy_for(capability))
    snapshot = metrics.snapshot()
    stream = io.StringIO()
    lines = EMFExporter(metrics, stream=stream).flush()
    assert lines and stream.getvalue(), "the exporter should have written EMF lines"
    texts = [json.dumps(snapshot, default=str), stream.getvalue(), json.dumps(lines, default=str)]
    texts += [t for _, t in ours(all_logs.records)]
    assert "invalid_output" in texts[0], "fallback reasons should be in the snapshot"
    assert not [t[:200] for t in texts if leaks(t)]
    for record in rec.calls:
        assert record.input_hash and not leaks(record.input_hash)


def test_botocore_debug_is_the_only_logger_that_sees_bodies_and_auth_headers(local_endpoint, aws_env, monkeypatch,
                                                                            tmp_path, all_logs):
    """Pins the recommendation "never run botocore at DEBUG in production": botocore logs request
    bodies and the signed Authorization header at DEBUG; our own loggers log neither."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCANARYACCESSKEY")  # aws_env's dummy key, made recognisable
    fw, _ = framework_for(settings_for(endpoint_url=local_endpoint.url, capabilities=["job_parser"],
                                       cache_dir=tmp_path / "c"))
    fw.call("job_parser", canary_request("job_parser"), legacy=legacy_for("job_parser"))
    third = "\n".join(t for n, t in all_logs.records if n.startswith(THIRD_PARTY))
    own = "\n".join(t for _, t in ours(all_logs.records))
    assert "AKIDCANARYACCESSKEY" not in own and "Authorization" not in own and not leaks(own)
    if "AKIDCANARYACCESSKEY" not in third and not leaks(third):
        pytest.fail("botocore DEBUG no longer logs bodies/credentials: revisit the SECURITY.md recommendation")


# ------------------------------------------------------------------ cache: hashed keys, private dir, encryption


def _cache_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


def _echo_reply(task, prompt):
    answer = dict(CANNED[task])
    if task == "job_parser":
        answer["title"] = MARKER  # the model quotes user text back: values on disk would hold it
    if task == "query_enhancer":
        answer["expanded_terms"] = [MARKER]
    return json.dumps(answer)


def test_cache_keys_are_hashes_and_directory_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    settings = settings_for(cache_dir=None)  # default location, as in production
    fw, _ = framework_for(settings, backend=CannedBackend(_echo_reply), cache=True)
    assert fw.cache.directory == tmp_path / "xdg" / "adeptai-sagemaker"
    for capability in ("job_parser", "query_enhancer", "market_intelligence"):  # market intelligence is PII: not cached
        fw.call(capability, canary_request(capability))
    assert stat.S_IMODE(os.stat(fw.cache.directory).st_mode) == 0o700
    fw.cache.flush()  # entries are written by the cache's writer thread; flush puts them on disk now
    keys = list(fw.cache._cache.iterkeys())
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)
    fw.close()


def test_cache_values_are_encrypted_on_disk_with_a_fernet_key(tmp_path, monkeypatch):
    pytest.importorskip("cryptography", reason="encryption at rest needs the 'crypto' extra")
    from cryptography.fernet import Fernet

    plain_fw, _ = framework_for(settings_for(cache_dir=tmp_path / "plain"), backend=CannedBackend(_echo_reply),
                                cache=True)
    plain_fw.call("job_parser", canary_request("job_parser"))
    plain_fw.close()
    assert MARKER.encode() in _cache_bytes(tmp_path / "plain"), "control: without a key the echoed value is on disk"

    monkeypatch.setenv("ADEPTAI_SAGEMAKER_CACHE_KEY", Fernet.generate_key().decode())
    caps = {c: {"endpoint": f"ep-{c}", "mode": "on"} for c in CAPABILITIES}
    settings = load_settings(env_file=None, aws_region="us-east-1", adeptai_sagemaker_cache_dir=tmp_path / "enc",
                             capabilities=caps)
    backend = CannedBackend(_echo_reply)
    fw, rec = framework_for(settings, backend=backend, cache=True)
    assert fw.cache.stats()["encrypted"] is True
    for capability in ("job_parser", "query_enhancer"):
        fw.call(capability, canary_request(capability))
        fw.call(capability, canary_request(capability))
    assert backend.calls == 2 and sum(r.cache_hit for r in rec.calls) == 2  # encrypted entries read back
    raw = _cache_bytes(tmp_path / "enc")
    assert not leaks(raw.decode("latin-1")), "plaintext candidate text found in the encrypted cache"
    assert b"mandatory_skills" not in raw and b"expanded_terms" not in raw
    fw.close()


def test_pii_capabilities_do_not_cache_by_default(tmp_path):
    settings = settings_for(cache_dir=tmp_path / "c")
    backend = CannedBackend()
    fw, rec = framework_for(settings, backend=backend, cache=True)
    for capability in ("behavioral_analyzer", "resume_summarizer", "explanation_generator", "candidate_matcher",
                       "question_generator"):
        assert capability in PII_CAPABILITIES and not settings.cache_enabled(capability)
        before = backend.calls
        fw.call(capability, canary_request(capability))
        fw.call(capability, canary_request(capability))
        assert backend.calls == before + 2, f"{capability} answered from cache"
    assert fw.cache.stats()["entries"] == 0
    assert not leaks(_cache_bytes(tmp_path / "c").decode("latin-1"))
    fw.call("job_parser", canary_request("job_parser"))  # control: a non-PII capability does cache
    assert fw.cache.stats()["entries"] == 1
    fw.close()


# ------------------------------------------------------------------ no credentials in the repository

SECRET_PATTERNS = {
    "aws_access_key_id": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    "aws_secret_assignment": re.compile(r"(?i)aws_?secret_?access_?key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}\b"),
    "private_key_block": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY-----"),
    "openai_key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"),
    "anthropic_key": re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    "github_token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "slack_token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
}
ALLOWED = ("AKIA" + "IOSFODNN7EXAMPLE",)  # AWS's documented example key id


#: Folders that hold installs, builds and caches, never the project's own files (all in .gitignore).
NOT_PROJECT_FILES = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".benchmarks", "htmlcov",
                     "bench-report", "bias-audit", "migration-report"}


def _repository_files() -> list[Path]:
    """Every file of the checkout (tracked or not), without needing git: a clone or an unpacked archive alike."""
    files = []
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in NOT_PROJECT_FILES and not d.endswith(".egg-info")]
        files += [Path(root) / n for n in names if n != ".env"]  # .env is the user's own, git-ignored
    return files


def test_no_credentials_in_repository_files():
    files = _repository_files()
    assert len(files) > 20
    hits = []
    for path in files:
        try:
            text = path.read_text("utf-8", errors="ignore")
        except (OSError, IsADirectoryError):
            continue
        for name, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if match.group(0) not in ALLOWED:
                    hits.append(f"{path.relative_to(REPO)}: {name}")
    assert not hits, "possible credentials committed: " + ", ".join(hits)


def test_secret_scan_patterns_catch_real_shapes():
    """Guards the scan itself: each pattern matches a realistic (fake) credential."""
    samples = {
        "aws_access_key_id": "key = AKIA" + "Q" * 16,
        "aws_secret_assignment": "aws_secret_access_key = " + "a1B2" * 10,
        "private_key_block": "-----BEGIN " + "RSA PRIVATE KEY-----",
        "openai_key": "sk-" + "x1" * 20,
        "anthropic_key": "sk-ant-" + "api03" * 5,
        "github_token": "ghp_" + "A1" * 18,
        "slack_token": "xoxb-" + "1234567890-abc",
    }
    for name, pattern in SECRET_PATTERNS.items():
        assert pattern.search(samples[name]), name
