"""Codecs: one per serving-container family (TGI, LMI, Messages API, JumpStart, custom).

``get_codec("tgi")`` returns a ready instance; ``BUILTIN_CODECS`` maps names to
classes so plugins can add or override families. See ``base.Codec`` for the
contract every codec meets.

The codec modules are imported on first use (PEP 562 ``__getattr__`` for the
names below, ``BUILTIN_CODEC_REFS`` for the registry): the framework registers
the built-in codecs by reference, so building it imports none of them, and a
capability's codec is imported by its first SageMaker call.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping, Optional

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.plugin.refs import resolve

if TYPE_CHECKING:
    from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec

__all__ = ["Codec", "StreamDecoder", "BUILTIN_CODECS", "BUILTIN_CODEC_REFS", "GRAMMAR_BY_DEFAULT", "get_codec",
           "TgiCodec", "LmiCodec", "MessagesCodec", "JumpStartCodec", "CustomCodec", "PROMPT_TEMPLATES",
           "OpenAIRouteCodec", "LmiChatCodec"]

#: name -> ``"module:Class"`` of each built-in codec (what ``capabilities/builtin.py`` registers).
BUILTIN_CODEC_REFS: dict[str, str] = {
    "tgi": f"{__name__}.generate:TgiCodec",
    "lmi": f"{__name__}.generate:LmiCodec",
    "messages": f"{__name__}.messages:MessagesCodec",
    "jumpstart": f"{__name__}.jumpstart:JumpStartCodec",
    "custom": f"{__name__}.custom:CustomCodec",
    "openai": f"{__name__}.openai_chat:OpenAIRouteCodec",
    "lmi-chat": f"{__name__}.openai_chat:LmiChatCodec",
}
#: Codecs whose capabilities get grammar-constrained output unless SAGEMAKER_<STEM>_GRAMMAR says otherwise
#: (the classes that set ``grammar_by_default``; named here so that deciding it imports no codec).
GRAMMAR_BY_DEFAULT = frozenset({"openai", "lmi-chat"})

_EXPORTS = {"Codec": "base", "StreamDecoder": "base", "TgiCodec": "generate", "LmiCodec": "generate",
            "PROMPT_TEMPLATES": "generate", "MessagesCodec": "messages", "JumpStartCodec": "jumpstart",
            "CustomCodec": "custom", "OpenAIRouteCodec": "openai_chat", "LmiChatCodec": "openai_chat"}


def __getattr__(name: str) -> Any:
    if name == "BUILTIN_CODECS":
        value: Any = {codec: resolve(ref) for codec, ref in BUILTIN_CODEC_REFS.items()}
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later accesses skip __getattr__
    return value


def get_codec(name: str, registry: Optional[Mapping[str, type[Codec] | str]] = None, **options: Any) -> Codec:
    """Instantiate the codec called ``name`` (options go to its constructor)."""
    reg = BUILTIN_CODEC_REFS if registry is None else registry
    try:
        cls = resolve(reg[name])
    except KeyError:
        raise ConfigurationError(f"unknown codec {name!r}; known: {', '.join(sorted(reg))}") from None
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigurationError(f"bad options for codec {name!r}: {exc}") from None
