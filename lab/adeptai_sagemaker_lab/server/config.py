"""Local endpoint configuration: which endpoint names exist, in which dialect, with which faults.

A config file is JSON or TOML (no YAML dependency)::

    default_dialect = "tgi"          # serve unknown endpoint names in this dialect (omit: ValidationError)
    chunking = "mixed"               # PayloadPart splitting: "event" | "mixed" | <bytes>

    [endpoints.adeptai-job-parser]
    dialect = "lmi"
    variant = "AllTraffic"
    faults = [{ kind = "throttle", count = 2 }]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from adeptai_sagemaker_lab.server.dialects import DIALECTS
from adeptai_sagemaker_lab.server.faults import FaultSpec

_ENDPOINT_KEYS = {"dialect", "variant", "variants", "inference_components", "chunking", "faults",
                  "async_output_path", "async_failure_path"}


@dataclass
class EndpointConfig:
    """One named endpoint."""

    name: str
    dialect: str = "tgi"
    variant: str = "AllTraffic"
    variants: Optional[list[str]] = None               # accepted TargetVariant values (default: [variant])
    inference_components: Optional[list[str]] = None   # when set, InferenceComponentName is required
    chunking: Union[str, int, None] = None             # None: the server default
    faults: list[FaultSpec] = field(default_factory=list)
    async_output_path: Optional[str] = None            # s3://bucket/prefix (default: input bucket, async-output/)
    async_failure_path: Optional[str] = None

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"endpoint {self.name!r}: unknown dialect {self.dialect!r}; choose one of {sorted(DIALECTS)}")

    @property
    def allowed_variants(self) -> list[str]:
        return self.variants or [self.variant]

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any] | str) -> "EndpointConfig":
        if isinstance(data, str):
            return cls(name, dialect=data)
        unknown = set(data) - _ENDPOINT_KEYS
        if unknown:
            raise ValueError(f"endpoint {name!r}: unknown keys {sorted(unknown)}")
        faults = [FaultSpec.from_dict(f) for f in data.get("faults", [])]
        return cls(name, **{k: v for k, v in data.items() if k != "faults"}, faults=faults)


@dataclass
class ServerConfig:
    endpoints: dict[str, EndpointConfig] = field(default_factory=dict)
    default_dialect: Optional[str] = None
    chunking: Union[str, int] = "mixed"
    region: str = "us-east-1"
    s3_endpoint_url: Optional[str] = None  # for async invocations against a non-AWS S3

    def __post_init__(self) -> None:
        if self.default_dialect is not None and self.default_dialect not in DIALECTS:
            raise ValueError(f"unknown default dialect {self.default_dialect!r}")

    def resolve(self, name: str) -> Optional[EndpointConfig]:
        """The endpoint's config; unknown names get the default dialect, or None (=> ValidationError)."""
        found = self.endpoints.get(name)
        if found is None and self.default_dialect is not None:
            return EndpointConfig(name, dialect=self.default_dialect)
        return found

    @classmethod
    def build(cls, endpoints: dict[str, Any] | None = None, default_dialect: Optional[str] = None,
              **kwargs: Any) -> "ServerConfig":
        eps = {n: (v if isinstance(v, EndpointConfig) else EndpointConfig.from_dict(n, v))
               for n, v in (endpoints or {}).items()}
        return cls(eps, default_dialect, **kwargs)


def load_config(path: str | Path) -> ServerConfig:
    """Read a JSON (``.json``) or TOML (anything else) config file."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        data = tomllib.loads(text)
    unknown = set(data) - {"endpoints", "default_dialect", "chunking", "region", "s3_endpoint_url"}
    if unknown:
        raise ValueError(f"{p}: unknown keys {sorted(unknown)}")
    return ServerConfig.build(**data)
