"""The built-in registrations: the eight capabilities' tasks, the container codecs and the external backends.

They use the same registration hooks a third-party plugin would. Routing,
the SageMaker path and the legacy answer are not plugins: ``Framework.call``
runs them itself, so no plugin can answer for a capability that is off or
killed (see ``framework.py``). Everything is registered by reference
(``plugin/refs.py``): the models, codec classes and backend modules are imported
by the first call that needs them, not when the framework is built.
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
        for name, ref in codec_module.BUILTIN_CODEC_REFS.items():  # imported on first use (codecs/__init__.py)
            register(name, ref)


class ExternalBackends:
    """Registers the ``openai`` and ``anthropic`` backends of ``backends/external.py`` (built on first use,
    from env)."""

    @hookimpl
    def register_backends(self, register):
        register("openai", "adeptai_sagemaker.backends.external:openai_from_env")
        register("anthropic", "adeptai_sagemaker.backends.external:anthropic_from_env")
