"""The built-in plugins: rollout (tryfirst), SageMaker, legacy (trylast), registrations.

They use the same hooks a third-party plugin would; nothing here is special-cased
in the framework.
"""

from __future__ import annotations

import logging
import time

from . import codecs as codec_module
from .calls import CallContext, LegacyAnswer, ShadowComparison
from .errors import AdeptSageMakerError, NoAnswerError
from .hookspecs import hookimpl
from .rollout import route_for
from .agreement import compare_answers
from .tasks import BUILTIN_TASKS

log = logging.getLogger("adeptai_sagemaker")


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


class RolloutPlugin:
    """Decides, per call, whether SageMaker answers, shadows, or stays out (tryfirst; never answers)."""

    def __init__(self, framework):
        self.fw = framework

    def _route(self, call: CallContext) -> None:
        mode = self.fw.mode(call.capability)
        call.mode = str(mode)
        call.route, call.bucket = route_for(mode, call.capability, call.bucket_key)

    @hookimpl(tryfirst=True)
    def query_enhancer(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def behavioral_analyzer(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def market_intelligence(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def job_parser(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def explanation_generator(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def resume_summarizer(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def question_generator(self, call): self._route(call)

    @hookimpl(tryfirst=True)
    def candidate_matcher(self, call): self._route(call)


class SageMakerPlugin:
    """Answers on the SageMaker path; on failure records why and lets the legacy code answer."""

    def __init__(self, framework):
        self.fw = framework

    def _answer(self, request, call: CallContext):
        if call.route == "legacy":
            return None
        if call.route == "shadow":
            self._start_shadow(request, call)
            return None
        try:
            return self.fw.run_pipeline(call.capability, request, call)
        except Exception as exc:
            if isinstance(exc, AdeptSageMakerError):
                call.error_code, call.fallback_reason = exc.code, exc.reason
            else:  # a bug on our side must not fail the user's request either
                call.error_code, call.fallback_reason = type(exc).__name__, "unexpected_error"
                log.error("unexpected %s in the SageMaker path of %s", type(exc).__name__, call.capability)
            call.error = exc
            if self.fw.settings.sagemaker_llm_fallback and call.legacy is not None:
                log.warning("sagemaker %s failed (%s); falling back to legacy", call.capability, call.fallback_reason)
                return None
            raise

    def _start_shadow(self, request, call: CallContext) -> None:
        fw = self.fw
        shadow_call = CallContext(capability=call.capability, input_hash=call.input_hash, bucket_key=call.bucket_key,
                                  route="sagemaker", mode=call.mode)

        def run() -> None:
            started = time.perf_counter()
            try:
                output = fw.run_pipeline(call.capability, request, shadow_call)
            except AdeptSageMakerError as exc:
                fw.notify("on_shadow_result", comparison=ShadowComparison(
                    call.capability, call.call_id, None, False, time.perf_counter() - started, exc.reason,
                    mode=call.mode))
                return
            elapsed = time.perf_counter() - started
            try:
                legacy_value = call.legacy_result.result(timeout=60)
                result = compare_answers(call.capability, legacy_value, output, to_legacy=call.to_legacy,
                                         output_model=fw.spec(call.capability).output_model)
            except Exception as exc:  # legacy failed or mapping failed: nothing to compare
                fw.notify("on_shadow_result", comparison=ShadowComparison(
                    call.capability, call.call_id, None, True, elapsed, f"compare_failed:{type(exc).__name__}",
                    mode=call.mode))
                return
            call.finished.wait(timeout=5.0)  # observers hear about the call before its comparison
            fw.notify("on_shadow_result", comparison=ShadowComparison(
                call.capability, call.call_id, result.score, True, elapsed, None, mode=call.mode,
                agree=result.agree, fields=result.fields, not_comparable=result.not_comparable))

        future = fw.shadow_runner().submit(run)
        if future is None:
            fw.notify("on_shadow_result", comparison=ShadowComparison(
                call.capability, call.call_id, None, False, 0.0, "shadow_dropped", mode=call.mode))
        call.shadow_future = future

    @hookimpl
    def query_enhancer(self, request, call): return self._answer(request, call)

    @hookimpl
    def behavioral_analyzer(self, request, call): return self._answer(request, call)

    @hookimpl
    def market_intelligence(self, request, call): return self._answer(request, call)

    @hookimpl
    def job_parser(self, request, call): return self._answer(request, call)

    @hookimpl
    def explanation_generator(self, request, call): return self._answer(request, call)

    @hookimpl
    def resume_summarizer(self, request, call): return self._answer(request, call)

    @hookimpl
    def question_generator(self, request, call): return self._answer(request, call)

    @hookimpl
    def candidate_matcher(self, request, call): return self._answer(request, call)


class LegacyPlugin:
    """Calls the monolith's original implementation the adapter wrapped (trylast)."""

    def _answer(self, call: CallContext):
        if call.legacy is None:
            if call.route == "legacy":
                raise NoAnswerError(f"{call.capability} is off (mode {call.mode}) and no legacy implementation was given",
                                    reasons=["mode_off_no_legacy"])
            return None
        call.backend = "legacy"
        try:
            value = call.legacy()
        except BaseException as exc:
            if not call.legacy_result.done():
                call.legacy_result.set_exception(exc)
            raise
        if not call.legacy_result.done():
            call.legacy_result.set_result(value)
        return LegacyAnswer(value)

    @hookimpl(trylast=True)
    def query_enhancer(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def behavioral_analyzer(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def market_intelligence(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def job_parser(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def explanation_generator(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def resume_summarizer(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def question_generator(self, call): return self._answer(call)

    @hookimpl(trylast=True)
    def candidate_matcher(self, call): return self._answer(call)
