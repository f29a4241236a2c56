"""The plugin contract: every extension point of adeptai-sagemaker is a hook here.

Plugins are objects or modules with functions marked ``@hookimpl``, loaded from
the ``adeptai_sagemaker`` entry-point group (allow-list:
``ADEPTAI_SAGEMAKER_PLUGINS``) or passed to ``Framework(plugins=[...])``. An
implementation may declare only the arguments it uses.

Three kinds of hooks:

- **registration** (called once, while the framework is built): hand over
  tasks, codecs and backends through a ``register`` callback.
- **serving** (``serve_capability``): answer a capability on the model side.
  The framework asks it only after it has routed the call there; routing (kill
  switch, mode, canary bucket) and fallback are the framework's alone.
- **observers** (broadcast): told about every call, transport attempt, shadow
  comparison and circuit change, through pluggy's hook calling (so pluggy's
  tracing and ``add_hookcall_monitoring`` see them). Each implementation is
  isolated when it is registered (``manager.PluginManager``): one that raises
  is logged once and skipped, the others still run.

Registration order and replacement: built-ins are registered first, then
entry-point plugins, then ``Framework(plugins=...)``. pluggy calls the newest
registration first, and for each task, codec or backend name the first
registration in that order is kept: a plugin that registers a built-in name
(a better ``job_parser`` template or schema, its own ``tgi`` codec, its own
``openai`` backend) replaces the built-in, deterministically. pluggy's
``tryfirst``/``trylast`` marks move an implementation in that order as usual.

pluggy wrappers (``@hookimpl(wrapper=True)`` or ``hookwrapper=True``) are
refused at registration with a ``ConfigurationError`` naming the plugin and
hook: an observer wrapper would run outside the per-implementation isolation,
and ``serve_capability`` is asked one implementation at a time (the framework
records which plugin answered), where a wrapper would silently never run.

Data given to observers carries names, numbers, hashes and reasons only,
never candidate text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from adeptai_sagemaker.plugin.calls import (CallContext, CallRecord, CircuitEvent, InvocationRecord, LegacyAnswer,
                                                ShadowComparison)
    from adeptai_sagemaker.backends.sagemaker.codecs.base import Codec
    from adeptai_sagemaker.core.settings import Settings
    from adeptai_sagemaker.plugin.tasks import TaskSpec

PROJECT = "adeptai_sagemaker"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------- registration


@hookspec
def register_tasks(register: "Callable[[TaskSpec], None]") -> None:
    """Register capabilities: call ``register(TaskSpec(...))`` once per task.

    :param register: takes a ``tasks.TaskSpec`` (name, input and output
        models, template, env stem). The models may be given as
        ``"package.module:Class"`` references, imported by the capability's
        first call (``plugin/refs.py``; how the built-ins are).

    A registered task is a capability: ``Framework.call(name, ...)`` works and
    its ``SAGEMAKER_<STEM>_*`` settings (endpoint, mode, backend, codec, ...)
    are read from the environment at once; nothing else needs editing. A
    plugin registering a built-in name replaces the built-in (see the module
    docstring: the newest-registered plugin wins), so a plugin can ship a
    better template or schema for a built-in capability.

    An implementation may only call ``register``; it must not call the
    framework (it is not built yet).
    """


@hookspec
def register_codecs(register: "Callable[[str, type[Codec] | str], None]") -> None:
    """Register wire codecs: ``register("tgi", TgiCodec)``.

    :param register: takes a name (what ``SAGEMAKER_<STEM>_CODEC`` selects)
        and a ``codecs.base.Codec`` class (instantiated without arguments), or
        a ``"package.module:Class"`` reference to one, imported by the first
        call that uses the codec (``plugin/refs.py``; how the built-ins are).
        A plugin registering a built-in name replaces the built-in codec.
    """


@hookspec
def register_backends(register: "Callable[[str, Callable[[Settings], Any] | str], None]") -> None:
    """Register model backends: ``register("openai", factory)``.

    :param register: takes a name (what ``SAGEMAKER_<STEM>_BACKEND`` and
        ``Framework.invoke(backend=...)`` select) and ``factory(settings)``
        returning an object with ``name`` and
        ``complete(prompt, params, target) -> Completion`` (``backends.Backend``);
        or a ``"package.module:factory"`` reference to one, imported when the
        backend is first built (``plugin/refs.py``).

    A backend only turns a rendered prompt into text; the pipeline around it
    (templates, cache, validation, re-asks, breaker) is the same for all.
    The factory runs when the framework is built if a capability selects the
    backend, else on first use; it may raise ``ConfigurationError``. A plugin
    registering a built-in name (``openai``, ``anthropic``) replaces it.
    """


# --------------------------------------------------------------------------- serving


@hookspec(firstresult=True)
def serve_capability(capability: str, request: "BaseModel", call: "CallContext") -> Optional[Any]:
    """Answer one capability call on the model side, or return ``None`` to pass.

    :param capability: the registered task name, e.g. ``"job_parser"``.
    :param request: the validated input model (``TaskSpec.input_model``).
    :param call: the call's ``CallContext``; routing fields (``route``,
        ``mode``, ``bucket``) are already decided and read-only. An
        implementation may fill in what it did (``endpoint``, ``variant``,
        ``input_tokens``, ``output_tokens``, ``attempts``).

    Asked only when the framework has routed the call to the model side (mode
    ``on``, a canary bucket inside the percentage, or the background half of
    ``shadow``); never when the capability is ``off``, routed to legacy, or the
    kill switch is set. Implementations are asked newest-registered first; the
    first non-``None`` answer wins and is validated against the task's output
    model; ``served_by`` is the plugin's name. When all pass, the capability's
    configured backend answers.

    An implementation may raise: any exception is a model-side failure and
    the framework decides, alone, whether legacy answers (fallback) or the
    error propagates. It must not call the legacy code or route by itself.
    """


# --------------------------------------------------------------------------- observers


@hookspec
def on_call_finished(record: "CallRecord") -> None:
    """One capability call ended: success, fallback or error.

    :param record: the ``calls.CallRecord`` (also returned as ``CallResult.record``).

    Called in the caller's thread before ``Framework.call`` returns, so it must
    be fast; it may not change the answer. An exception is logged once and the
    other observers still run.
    """


@hookspec
def on_invocation(record: "InvocationRecord") -> None:
    """One transport attempt against an endpoint ended (retries are separate records).

    :param record: the ``calls.InvocationRecord``. Same rules as ``on_call_finished``.
    """


@hookspec
def on_shadow_result(comparison: "ShadowComparison") -> None:
    """A shadow model-side call finished and was compared with the legacy answer.

    :param comparison: the ``calls.ShadowComparison``. Called on a shadow-pool
        thread, not the caller's.
    """


@hookspec
def on_circuit_change(event: "CircuitEvent") -> None:
    """An endpoint's circuit breaker changed state.

    :param event: the ``calls.CircuitEvent`` (endpoint, new state, reason).
    """


@hookspec
def on_legacy_answer(answer: "LegacyAnswer") -> None:
    """The legacy side answered a call whose capture is on: a teacher example for a student model.

    :param answer: the ``calls.LegacyAnswer`` (validated request, legacy value,
        lazy ``output()`` in the schema and lazy ``prompt()``).

    Called in the caller's thread after ``on_call_finished``, only for
    capabilities with ``SAGEMAKER_<STEM>_CAPTURE`` on: an implementation must
    hand the work to another thread and return (``student/capture.py``). It
    carries candidate text, unlike every other observer record, so only a
    capture sink that redacts and stores it under the capture settings may
    implement it.
    """


#: The broadcast hooks: each implementation is isolated at registration (``manager.PluginManager``).
OBSERVER_HOOKS = frozenset({"on_call_finished", "on_invocation", "on_shadow_result", "on_circuit_change",
                            "on_legacy_answer"})
