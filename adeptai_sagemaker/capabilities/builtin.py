"""The built-in registrations: the eight capabilities' tasks and the container codecs.

They use the same registration hooks a third-party plugin would. Routing,
the SageMaker path and the legacy answer are not plugins: ``Framework.call``
runs them itself, so no plugin can answer for a capability that is off or
killed (see ``framework.py``).
"""

from __future__ import annotations

from adeptai_sagemaker.backends.sagemaker import codecs as codec_module
from adeptai_sagemaker.plugin.hookspecs import hookimpl
from adeptai_sagemaker.plugin.tasks import BUILTIN_TASKS


class Registrations:
    """Registers the built-in tasks and codecs."""

    @hookimpl
    def register_tasks(self, register):
        for spec in BUILTIN_TASKS:
            register(spec)

    @hookimpl
    def register_codecs(self, register):
        for name, codec in codec_module.BUILTIN_CODECS.items():
            register(name, codec)
