"""Codecs: one per serving-container family (TGI, LMI, Messages API, JumpStart, custom).

``get_codec("tgi")`` returns a ready instance; ``BUILTIN_CODECS`` maps names to
classes so plugins can add or override families. See ``base.Codec`` for the
contract every codec meets.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from adeptai_sagemaker.core.errors import ConfigurationError
from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec, StreamDecoder
from adeptai_sagemaker.backends.sagemaker.codecs.custom import CustomCodec
from adeptai_sagemaker.backends.sagemaker.codecs.generate import PROMPT_TEMPLATES, LmiCodec, TgiCodec
from adeptai_sagemaker.backends.sagemaker.codecs.jumpstart import JumpStartCodec
from adeptai_sagemaker.backends.sagemaker.codecs.messages import MessagesCodec
from adeptai_sagemaker.backends.sagemaker.codecs.openai_chat import LmiChatCodec, OpenAIRouteCodec

__all__ = ["Codec", "StreamDecoder", "BUILTIN_CODECS", "get_codec", "TgiCodec", "LmiCodec", "MessagesCodec",
           "JumpStartCodec", "CustomCodec", "PROMPT_TEMPLATES", "OpenAIRouteCodec", "LmiChatCodec"]

BUILTIN_CODECS: dict[str, type[Codec]] = {
    TgiCodec.name: TgiCodec,
    LmiCodec.name: LmiCodec,
    MessagesCodec.name: MessagesCodec,
    JumpStartCodec.name: JumpStartCodec,
    CustomCodec.name: CustomCodec,
    OpenAIRouteCodec.name: OpenAIRouteCodec,
    LmiChatCodec.name: LmiChatCodec,
}


def get_codec(name: str, registry: Optional[Mapping[str, type[Codec]]] = None, **options: Any) -> Codec:
    """Instantiate the codec called ``name`` (options go to its constructor)."""
    reg = BUILTIN_CODECS if registry is None else registry
    try:
        cls = reg[name]
    except KeyError:
        raise ConfigurationError(f"unknown codec {name!r}; known: {', '.join(sorted(reg))}") from None
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigurationError(f"bad options for codec {name!r}: {exc}") from None
