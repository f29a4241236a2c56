"""Settings: env vars and ``.env``, validated once, with errors that name the variable.

Names are this project's (``SAGEMAKER_LLM_ENABLED``,
``SAGEMAKER_LLM_FALLBACK``, ``USE_SAGEMAKER_LLM``, ``AWS_REGION`` and one
``SAGEMAKER_<STEM>_ENDPOINT`` per capability) and also honour the names the
monolith already uses. Precedence, highest first:

- master switch: ``USE_SAGEMAKER_LLM`` > ``USE_SAGEMAKER`` (monolith) > off
- region: ``SAGEMAKER_REGION`` (monolith) > ``AWS_REGION`` > ``AWS_DEFAULT_REGION``
  (``core/aws_setup.py``); never a silent default for a real endpoint: a missing region
  is a ``ConfigurationError`` (a loopback endpoint URL, the lab's ``serve``, answers for any)
- query-enhancer endpoint: ``SAGEMAKER_QUERY_ENHANCER_ENDPOINT`` > ``SAGEMAKER_LLM_ENHANCER_ENDPOINT`` (monolith)
- a capability's mode: ``SAGEMAKER_<STEM>_MODE`` > master switch (``on``/``off``); these are the
  defaults: the effective mode (live overrides, OpenFeature, the kill switches) is decided in
  ``core/routing.py`` alone.

Per capability, under the prefix ``SAGEMAKER_<STEM>_`` (the ``env_stem`` of its
registered ``TaskSpec``; a plugin's task gets its variables the moment it is
registered, see ``Settings.register_capability``):
``ENDPOINT, MODE, BACKEND, CODEC, INFERENCE_COMPONENT, CUSTOM_ATTRIBUTES, TARGET_VARIANT,
TARGET_MODEL, CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS, MAX_TOKENS,
TEMPERATURE, CACHE, CACHE_TTL, MAX_REASKS, INPUT_BUDGET, GRAMMAR, STREAM, SESSION,
PREFIX_AWARE, CAPTURE, CAPTURE_RATE, CAPTURE_PII`` (teacher capture: ``student/capture.py``).
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adeptai_sagemaker.core import transport
from adeptai_sagemaker.core.aws_setup import missing_region_error, resolve_region
from adeptai_sagemaker.core.errors import ConfigurationError, RegionNotAllowedError
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS, CAPABILITIES, PII_CAPABILITIES

MODE_HELP = "off | shadow | canary:N (N = 0..100) | on"
_MODE_RE = re.compile(r"^(off|shadow|on|canary:(\d{1,3}))$")
STEMS: dict[str, str] = {t.name: t.env_stem for t in BUILTIN_TASKS}
PII_CACHE_TTL_CAP_S = 24 * 3600
"""Retention cap for cached answers of PII-bearing capabilities (when their cache is turned on)."""


@dataclass(frozen=True)
class Mode:
    """A parsed rollout mode: ``kind`` is off/shadow/canary/on; ``percent`` matters for canary."""

    kind: Literal["off", "shadow", "canary", "on"]
    percent: int = 0

    @classmethod
    def parse(cls, text: str) -> "Mode":
        match = _MODE_RE.match(text.strip().lower())
        if not match or (match.group(2) is not None and int(match.group(2)) > 100):
            # The value is never echoed (it may be anything an operator pasted); the allowed forms are.
            raise ValueError(f"not a rollout mode; allowed: {MODE_HELP}")
        if match.group(2) is not None:
            return cls("canary", int(match.group(2)))
        return cls(match.group(1))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"canary:{self.percent}" if self.kind == "canary" else self.kind


def _validate_mode(value: Optional[str]) -> Optional[str]:
    return None if value in (None, "") else str(Mode.parse(value))


class CapabilitySettings(BaseModel):
    """One capability's endpoint and call options (env prefix ``SAGEMAKER_<STEM>_``).

    A plain model filled from one scan of the environment (``_capability_from_env``):
    building a settings source per capability cost more than everything else in
    ``Framework()`` together.
    """

    model_config = ConfigDict(extra="ignore")

    endpoint: Optional[str] = None
    mode: Optional[str] = None
    backend: str = "sagemaker"  # a registered backend's name ("openai", ...) serves the model side instead
    codec: str = "tgi"
    inference_component: Optional[str] = None
    custom_attributes: Optional[str] = Field(default=None, max_length=1024)
    target_variant: Optional[str] = None
    target_model: Optional[str] = None
    connect_timeout: float = Field(default=transport.CONNECT_TIMEOUT_S, gt=0, le=60)
    read_timeout: float = Field(default=transport.READ_TIMEOUT_S, gt=0, le=3600)
    max_attempts: int = Field(default=transport.MAX_ATTEMPTS, ge=1, le=10)
    max_tokens: Optional[int] = Field(default=None, ge=1, le=32_768)
    temperature: Optional[float] = Field(default=None, ge=0.0, le=2.0)
    cache: Optional[bool] = None
    cache_ttl: int = Field(default=3600, ge=0, le=30 * 24 * 3600)
    max_reasks: int = Field(default=1, ge=0, le=5)
    input_budget: int = Field(default=24_000, ge=500, le=2_000_000)
    grammar: Optional[bool] = None  # None: the codec's default (on for openai and lmi-chat, off otherwise)
    stream: bool = False
    latency_budget_ms: Optional[float] = Field(default=None, gt=0, le=3_600_000)  # None: budgets.py projection
    session: Literal["off", "sticky"] = "off"  # stateful sessions (sessions.py)
    prefix_aware: bool = False  # prefix-aware routing id / prompt_cache_key (sessions.py)
    # teacher capture for a fine-tuned student (student/capture.py); off by default
    capture: bool = False
    capture_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    capture_pii: bool = False  # the second, explicit opt-in a PII capability needs before anything is captured

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: Optional[str]) -> Optional[str]:
        return _validate_mode(value)

    @field_validator("custom_attributes")
    @classmethod
    def _ascii_attributes(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not all(32 < ord(c) < 127 or c == " " for c in value):
            raise ValueError("must be visible US-ASCII characters")
        return value


class Settings(BaseSettings):
    """Global switches and shared resources; per-capability settings live in ``capabilities``."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_file_encoding="utf-8")

    sagemaker_llm_enabled: bool = True
    sagemaker_llm_fallback: bool = True
    use_sagemaker_llm: Optional[bool] = None
    use_sagemaker: Optional[bool] = None
    sagemaker_region: Optional[str] = None
    aws_region: Optional[str] = None
    aws_default_region: Optional[str] = None
    sagemaker_endpoint_url: Optional[str] = None
    sagemaker_llm_enhancer_endpoint: Optional[str] = None
    sagemaker_allowed_regions: Optional[str] = None
    adeptai_sagemaker_plugins: Optional[str] = None
    adeptai_sagemaker_cache_dir: Optional[Path] = None
    adeptai_sagemaker_cache_size_mb: int = Field(default=512, ge=1, le=1_000_000)
    adeptai_sagemaker_cache_key: Optional[str] = None
    adeptai_sagemaker_shadow_concurrency: int = Field(default=4, ge=1, le=256)
    adeptai_sagemaker_shadow_queue: int = Field(default=64, ge=1, le=100_000)
    adeptai_sagemaker_breaker_failures: int = Field(default=5, ge=1, le=1000)
    adeptai_sagemaker_breaker_failure_rate: float = Field(default=0.5, gt=0, le=1)
    adeptai_sagemaker_breaker_window: int = Field(default=20, ge=2, le=10_000)
    adeptai_sagemaker_breaker_cooldown_s: float = Field(default=30.0, gt=0, le=3600)
    adeptai_sagemaker_max_pool_connections: int = Field(default=transport.MAX_POOL_CONNECTIONS, ge=1, le=1024)
    adeptai_sagemaker_bearer_token_lifetime_s: int = Field(default=900, ge=60, le=43_200)  # OpenAI route tokens
    adeptai_sagemaker_audit_log: Optional[Path] = None
    # migration confidence (evidence store, live modes, promotion gate, OpenTelemetry); defaults in MIGRATION.md
    adeptai_sagemaker_state_dir: Optional[Path] = None
    adeptai_sagemaker_evidence: bool = True
    adeptai_sagemaker_evidence_emf: bool = False  # also print summable evidence counts as CloudWatch EMF (stdout)
    adeptai_sagemaker_evidence_max_rows: int = Field(default=200_000, ge=1_000, le=100_000_000)
    adeptai_sagemaker_evidence_retention_days: float = Field(default=30.0, gt=0, le=3650)
    adeptai_sagemaker_mode_refresh_s: float = Field(default=2.0, ge=0, le=300)
    # a fleet: the shared store, how long last known modes outlive an unreachable store, where modes come from
    adeptai_sagemaker_state_url: Optional[str] = None  # sqlite:///DIR (default: the state dir) | dynamodb://TABLE
    adeptai_sagemaker_mode_stale_s: float = Field(default=300.0, ge=0, le=86_400)
    adeptai_sagemaker_mode_source: Literal["env", "openfeature"] = "env"
    adeptai_sagemaker_evidence_flush_s: float = Field(default=20.0, gt=0, le=3600)  # MIGRATION.md: fleet cost
    adeptai_sagemaker_host_id: Optional[str] = None  # the name evidence is pooled under (default: the host name)
    adeptai_sagemaker_otel: bool = True
    adeptai_sagemaker_auto_demote: bool = False  # a module on canary/on that breaks a budget goes back to shadow
    adeptai_sagemaker_gate_min_comparisons: int = Field(default=200, ge=1, le=10_000_000)
    adeptai_sagemaker_gate_min_calls: int = Field(default=200, ge=1, le=10_000_000)
    adeptai_sagemaker_gate_agreement: float = Field(default=0.85, ge=0, le=1)
    adeptai_sagemaker_gate_field_agreement: float = Field(default=0.80, ge=0, le=1)
    adeptai_sagemaker_gate_error_rate: float = Field(default=0.01, ge=0, le=1)
    adeptai_sagemaker_gate_fallback_rate: float = Field(default=0.02, ge=0, le=1)
    adeptai_sagemaker_gate_confidence: float = Field(default=0.95, gt=0.5, lt=1)
    sagemaker_async_s3_prefix: Optional[str] = None
    # teacher capture (student/capture.py): a directory or s3://bucket/prefix; default <state dir>/capture
    adeptai_sagemaker_capture_dir: Optional[str] = None
    adeptai_sagemaker_capture_retention_days: float = Field(default=90.0, gt=0, le=3650)
    sagemaker_async_timeout_s: float = Field(default=900.0, gt=0, le=3600)
    sagemaker_async_poll_s: float = Field(default=1.0, gt=0, le=60)

    capabilities: dict[str, CapabilitySettings] = Field(default_factory=dict)
    _env_file: Any = PrivateAttr(default=None)
    _stems: dict[str, str] = PrivateAttr(default_factory=lambda: dict(STEMS))

    # ------------------------------------------------------------------ derived views

    def unknown_variables(self) -> list[tuple[str, Optional[str]]]:
        """Variables (env and this settings' ``.env``) that look like misspelt settings, checked against every
        capability registered so far (see the module function ``unknown_variables``)."""
        return unknown_variables(self._env_file, stems=self._stems)

    def capability(self, name: str) -> CapabilitySettings:
        """The settings of ``name``; a capability never configured gets the defaults."""
        return self.capabilities.get(name) or CapabilitySettings.model_construct(**_defaults())

    @property
    def master_on(self) -> bool:
        if self.use_sagemaker_llm is not None:
            return self.use_sagemaker_llm
        return bool(self.use_sagemaker)

    def stem(self, name: str) -> str:
        """The ``<STEM>`` of ``SAGEMAKER_<STEM>_*`` for a capability."""
        return self._stems.get(name, name.upper())

    def register_capability(self, name: str, stem: str) -> None:
        """Load ``SAGEMAKER_<STEM>_*`` for a capability registered after ``load_settings``.

        The framework calls this for every registered task, so a plugin's task
        is configured by env like a built-in one. Settings already given (by
        ``load_settings`` overrides) are kept.
        """
        self._stems[name] = stem
        if name in self.capabilities:
            return
        self.capabilities[name] = _capability_from_env(stem, _environment(self._env_file))

    def configured_mode(self, name: str) -> Mode:
        """The rollout mode the env settings give a capability; ``core/routing.py`` decides the effective one."""
        explicit = self.capability(name).mode
        if explicit:
            return Mode.parse(explicit)
        return Mode("on") if self.master_on else Mode("off")

    def endpoint(self, name: str) -> Optional[str]:
        own = self.capability(name).endpoint
        if own:
            return own
        if name == "query_enhancer":
            return self.sagemaker_llm_enhancer_endpoint
        return None

    def region(self) -> str:
        """The region calls go to (``core/aws_setup.resolve_region``: a loopback endpoint URL needs none)."""
        region = resolve_region({"sagemaker_region": self.sagemaker_region, "aws_region": self.aws_region,
                                 "aws_default_region": self.aws_default_region}, self.sagemaker_endpoint_url)
        if not region:
            raise missing_region_error()
        return region

    def allowed_regions(self) -> Optional[frozenset[str]]:
        if not self.sagemaker_allowed_regions:
            return None
        return frozenset(r.strip() for r in self.sagemaker_allowed_regions.split(",") if r.strip())

    def checked_region(self, region: Optional[str] = None) -> str:
        """``region`` (default: the configured one) if ``SAGEMAKER_ALLOWED_REGIONS`` allows it.

        The data-residency rule, applied before any AWS client is built (runtime
        calls, deploy, rollback, CLI); raises ``RegionNotAllowedError``, or
        ``ConfigurationError`` when no region is set.
        """
        return ensure_region_allowed(region or self.region(), self.allowed_regions())

    def cache_enabled(self, name: str) -> bool:
        own = self.capability(name).cache
        return (name not in PII_CAPABILITIES) if own is None else own

    def cache_ttl(self, name: str) -> int:
        ttl = self.capability(name).cache_ttl
        return min(ttl, PII_CACHE_TTL_CAP_S) if name in PII_CAPABILITIES else ttl

    def cache_dir(self) -> Path:
        if self.adeptai_sagemaker_cache_dir:
            return Path(self.adeptai_sagemaker_cache_dir)
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "adeptai-sagemaker"

    def state_dir(self) -> Path:
        """Where the evidence store and live modes live (shared by every worker process of a host)."""
        if self.adeptai_sagemaker_state_dir:
            return Path(self.adeptai_sagemaker_state_dir)
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        return Path(base) / "adeptai-sagemaker"

    def capturing(self, name: str) -> bool:
        """Whether teacher answers of ``name`` are captured: ``SAGEMAKER_<STEM>_CAPTURE``, plus
        ``SAGEMAKER_<STEM>_CAPTURE_PII`` for a capability whose input is personal data."""
        cap = self.capability(name)
        return cap.capture and cap.capture_rate > 0 and (name not in PII_CAPABILITIES or cap.capture_pii)

    def capture_location(self) -> str:
        """Where captured records go: ``ADEPTAI_SAGEMAKER_CAPTURE_DIR`` (a directory or ``s3://bucket/prefix``)."""
        return self.adeptai_sagemaker_capture_dir or str(self.state_dir() / "capture")

    def plugin_allow_list(self) -> Optional[frozenset[str]]:
        """None = load every installed plugin; an empty set = load none."""
        if self.adeptai_sagemaker_plugins is None:
            return None
        return frozenset(p.strip() for p in self.adeptai_sagemaker_plugins.split(",") if p.strip())


def ensure_region_allowed(region: str, allowed: Optional[Iterable[str]]) -> str:
    """The one residency check: ``region`` must be in ``allowed`` (``None`` allows every region)."""
    if allowed is not None and region not in allowed:
        raise RegionNotAllowedError(region, sorted(allowed))
    return region


def _defaults() -> dict[str, Any]:
    return {name: f.default for name, f in CapabilitySettings.model_fields.items()}


def _env_name(loc: tuple, prefix: str = "") -> str:
    field = str(loc[0]) if loc else "?"
    return f"{prefix}{field}".upper()


def _problem_text(err: dict) -> str:
    """pydantic's message without its "Value error, " prefix; our validators' own text as they wrote it."""
    cause = (err.get("ctx") or {}).get("error")
    if err.get("type") == "value_error" and cause is not None:
        return str(cause)
    return str(err.get("msg", "invalid value"))


def _raise_named(exc: ValidationError, prefix: str = "") -> None:
    """One ConfigurationError naming each bad variable; values are never echoed (pydantic's input is dropped)."""
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        name = _env_name(err.get("loc", ()), prefix)
        msg = _problem_text(err)
        if name.endswith("_MODE") and MODE_HELP not in msg:
            msg = f"{msg}; allowed: {MODE_HELP}"
        problems.append(f"{name}: {msg}")
    raise ConfigurationError("invalid setting " + "; ".join(problems)) from None


def _environment(env_file: str | os.PathLike | None) -> dict[str, str]:
    """Upper-cased variables of ``env_file`` overlaid by the process environment (which wins)."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        from dotenv import dotenv_values

        values.update({k.upper(): v for k, v in dotenv_values(env_file, encoding="utf-8").items() if v is not None})
    values.update({k.upper(): v for k, v in os.environ.items()})
    return values


def _capability_from_env(stem: str, environment: dict[str, str], given: Optional[dict] = None) -> CapabilitySettings:
    """``SAGEMAKER_<STEM>_<FIELD>`` values, then ``given`` on top; errors name the variable."""
    prefix = f"SAGEMAKER_{stem}_"
    values: dict[str, Any] = {}
    for field in CapabilitySettings.model_fields:
        raw = environment.get(prefix + field.upper())
        if raw is not None:
            values[field] = raw
    values.update(given or {})
    try:
        return CapabilitySettings.model_validate(values)
    except ValidationError as exc:
        _raise_named(exc, prefix)
        raise  # unreachable: _raise_named always raises


# --------------------------------------------------------------------------- typos in variable names

#: Prefixes that mark a variable as meant for this package (``USE_SAGEMAKER*`` are whole known names).
OUR_PREFIXES = ("SAGEMAKER_", "ADEPTAI_SAGEMAKER_")
#: Names with our prefixes read outside ``Settings`` (``tests/core/test_settings_typos.py`` finds every
#: env read in the code and fails when one is missing here, so none of them is ever called a typo).
OTHER_VARIABLES = frozenset({"ADEPTAI_SAGEMAKER_INSTALL", "ADEPTAI_SAGEMAKER_PRICES_FILE"})
#: ``SAGEMAKER_*`` variables that belong to others and share our prefix, so are not typos: the monolith's
#: own (its ``app/config.py``) and the ones SageMaker sets inside its serving containers.
FOREIGN_VARIABLES = frozenset({
    "SAGEMAKER_DOMAIN_CLASSIFIER_ENDPOINT", "SAGEMAKER_LTR_ENDPOINT", "SAGEMAKER_DENSE_RETRIEVAL_ENDPOINT",
    "SAGEMAKER_JOB_FIT_ENDPOINT", "SAGEMAKER_EMBEDDING_ENDPOINT",
    "SAGEMAKER_BIND_TO_PORT", "SAGEMAKER_SAFE_PORT_RANGE", "SAGEMAKER_PROGRAM", "SAGEMAKER_SUBMIT_DIRECTORY",
    "SAGEMAKER_MODEL_SERVER_WORKERS", "SAGEMAKER_MODEL_SERVER_TIMEOUT", "SAGEMAKER_CONTAINER_LOG_LEVEL",
    "SAGEMAKER_ENABLE_CLOUDWATCH_METRICS", "SAGEMAKER_MULTI_MODEL",
})
log = logging.getLogger("adeptai_sagemaker.core.settings")


def known_variables(stems: Optional[Mapping[str, str]] = None) -> frozenset[str]:
    """Every env name this package reads: global fields, each task's ``SAGEMAKER_<STEM>_*`` (``stems``: capability
    -> stem, default the built-in tasks'), and the names read outside ``Settings``."""
    names = {field.upper() for field in Settings.model_fields if field != "capabilities"}
    for stem in (STEMS if stems is None else stems).values():
        names |= {f"SAGEMAKER_{stem}_{field.upper()}" for field in CapabilitySettings.model_fields}
    return frozenset(names | OTHER_VARIABLES)


def _similar(a: str, b: str, cutoff: float) -> bool:
    """``difflib.SequenceMatcher(None, a, b).ratio() >= cutoff``; the lengths alone rule out most names (ratio
    is at most ``2 * min(len) / (len(a) + len(b))``), so every variable of a large environment, checked at
    each ``load_settings``, costs no matcher."""
    if 2 * min(len(a), len(b)) < cutoff * (len(a) + len(b)):
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= cutoff


def _looks_like_ours(name: str) -> bool:
    """Our prefixes, or a near miss of them (``SAGEMKER_REGION``, ``ADEPTAI_SAGEMAKR_CACHE_DIR``)."""
    if name.startswith(OUR_PREFIXES):
        return True
    head = name.split("_", 2)
    first, two = head[0], "_".join(head[:2])
    return _similar(first, "SAGEMAKER", 0.8) or _similar(two, "ADEPTAI_SAGEMAKER", 0.85)


def _plugin_task_variable(name: str, stems: Mapping[str, str]) -> bool:
    """``SAGEMAKER_<STEM>_<FIELD>`` with an exact field and a stem far from every known one: most likely a
    plugin task registered after the settings were read (``Settings.register_capability``), not a typo."""
    for field in CapabilitySettings.model_fields:
        suffix = f"_{field.upper()}"
        if name.startswith("SAGEMAKER_") and name.endswith(suffix):
            stem = name[len("SAGEMAKER_"):-len(suffix)]
            if stem and not difflib.get_close_matches(stem, list(stems.values()), n=1, cutoff=0.8):
                return True
    return False


def unknown_variables(env_file: str | os.PathLike | None = ".env", environ: Optional[Mapping[str, str]] = None,
                      stems: Optional[Mapping[str, str]] = None) -> list[tuple[str, Optional[str]]]:
    """``(name, closest known name or None)`` for every variable in the environment or ``env_file`` that looks
    meant for this package but is not one it reads: a typo there silently leaves a module off.

    Names only: values are never read into the result.
    """
    names = {k.upper() for k in (os.environ if environ is None else environ)}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        names |= {k.upper() for k in dotenv_values(env_file)}
    stems = STEMS if stems is None else stems
    known = known_variables(stems)
    found = []
    for name in sorted(names):
        if name in known or name in FOREIGN_VARIABLES or name.startswith("USE_SAGEMAKER") or not _looks_like_ours(name):
            continue
        if _plugin_task_variable(name, stems):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        found.append((name, close[0] if close else None))
    return found


def unknown_variable_message(name: str, suggestion: Optional[str]) -> str:
    hint = f"did you mean {suggestion}?" if suggestion else "see the variables in README's Configuration table"
    return f"unknown setting {name} is ignored: {hint}"


def load_settings(env_file: str | os.PathLike | None = ".env", **overrides: Any) -> Settings:
    """Read the global and every capability's settings from env vars and ``env_file``.

    ``overrides`` set global fields directly (tests, ``install()``); a
    ``capabilities`` override maps names to dicts or ``CapabilitySettings``.
    """
    cap_overrides = overrides.pop("capabilities", {}) or {}
    unknown = set(cap_overrides) - set(CAPABILITIES)
    if unknown:
        raise ConfigurationError(f"unknown capability {sorted(unknown)}; known: {', '.join(CAPABILITIES)}")
    try:
        settings = Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        _raise_named(exc)
    caps: dict[str, CapabilitySettings] = {}
    environment = _environment(env_file)
    for name in CAPABILITIES:
        given = cap_overrides.get(name)
        if isinstance(given, CapabilitySettings):
            caps[name] = given
        else:
            caps[name] = _capability_from_env(STEMS[name], environment, given or {})
    settings.capabilities = caps
    settings._env_file = env_file
    for name, suggestion in settings.unknown_variables():
        log.warning("%s", unknown_variable_message(name, suggestion))
    return settings


def codec_error(stem: str, codec: str, known: list[str]) -> ConfigurationError:
    """The error for a codec name no plugin registered (checked where codecs are known)."""
    return ConfigurationError(f"invalid setting SAGEMAKER_{stem}_CODEC: {codec!r}; allowed: {', '.join(sorted(known))}")
