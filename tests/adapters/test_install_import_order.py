"""install() before or after the monolith's imports, and a behavioural pipeline that cannot import.

Runs on the stand-in monolith, so it runs everywhere (the same behaviour against the real monolith is in
test_real_monolith.py, which needs a snapshot). Each test imports the stand-ins afresh: the modules other
tests imported are set aside and put back afterwards.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys

import pytest

from support.adapters import CAPS, endpoint, fw_factory, scripted_endpoint, sm_calls  # noqa: F401
from adeptai_sagemaker import adapters
from adeptai_sagemaker.adapters import installation
from adeptai_sagemaker.adapters._import_hook import ModuleWatcher

STANDIN = "adeptai_components"
PIPELINE = f"{STANDIN}.behavioural_analysis.pipeline"
MONOLITH = (f"{STANDIN}.optimized_search_system", f"{STANDIN}.market_intelligence.api",
            f"{STANDIN}.market_intelligence.smart_llm_router",
            f"{STANDIN}.semantic_function.matcher.enhanced_matcher")


class _NeedsTextstat:
    """Loader of a module whose first line is ``from textstat import textstat`` on a host without it."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise ModuleNotFoundError("No module named 'textstat'", name="textstat")


class NoMLHost(importlib.abc.MetaPathFinder):
    """Makes the stand-in behavioural pipeline fail to import the way the real one does without the ML stack."""

    def find_spec(self, name, path=None, target=None):
        if name == PIPELINE:
            return importlib.machinery.ModuleSpec(name, _NeedsTextstat(), origin="pipeline.py")
        return None


@pytest.fixture()
def fresh():
    """The stand-in monolith not imported yet; the previous modules are restored afterwards."""
    saved = {n: m for n, m in sys.modules.items() if n == STANDIN or n.startswith(STANDIN + ".")}
    for name in saved:
        del sys.modules[name]
    yield
    adapters.uninstall()
    for name in [n for n in sys.modules if n == STANDIN or n.startswith(STANDIN + ".")]:
        del sys.modules[name]
    sys.modules.update(saved)


@pytest.fixture()
def no_ml(fresh):
    finder = NoMLHost()
    sys.meta_path.insert(0, finder)  # before the file finder (the install's watcher goes before both)
    yield
    sys.meta_path.remove(finder)


def standin_patched(inst):
    """``inst.patched`` restricted to the stand-ins (another test may have left other monolith-like modules)."""
    out = {c: [n for n in names if n.startswith(STANDIN + ".")] for c, names in inst.patched.items()}
    return {c: names for c, names in out.items() if names}


def watchers():
    return [f for f in sys.meta_path if isinstance(f, ModuleWatcher)]


def import_monolith():
    return {name.rsplit(".", 1)[-1]: importlib.import_module(name) for name in MONOLITH}


def test_on_a_host_with_everything_the_stand_ins_take_no_import_fallback(fresh):
    """The stand-ins copy the monolith's ``except ImportError`` fallbacks, which only ``NoMLHost`` should
    trigger: a broken import inside the stand-ins would take the same branch, so it fails here instead."""
    oss_module = importlib.import_module(f"{STANDIN}.optimized_search_system")
    assert PIPELINE in sys.modules, "the stand-in pipeline did not import; the copied monolith fallback hid why"
    pipeline = sys.modules[PIPELINE]
    package = sys.modules[f"{STANDIN}.behavioural_analysis"]
    assert oss_module.BEHAVIOURAL_ANALYSIS_AVAILABLE is True
    assert oss_module.create_multi_source_profile is pipeline.create_multi_source_profile
    assert package.BehavioralPipeline is pipeline.BehavioralPipeline
    assert package.create_enhanced_pipeline is pipeline.create_enhanced_pipeline
    assert package.EnhancedBehavioralPipeline is pipeline.EnhancedBehavioralPipeline


def test_install_from_env_before_the_imports_patches_each_module_as_it_loads(fresh, fw_factory, endpoint,
                                                                            monkeypatch):
    monkeypatch.setenv(installation.INSTALL_ENV, "true")
    inst = adapters.install_from_env(framework=fw_factory("on"))
    assert standin_patched(inst) == {} and len(watchers()) == 1
    mods = import_monolith()
    assert set(standin_patched(inst)) == set(CAPS) and inst.skipped == {}  # a live view
    oss = mods["optimized_search_system"].OptimizedSearchSystem(provider="openai", model="gpt-4", device="cpu")
    assert oss.llm_enabled and oss.behavioral_label == "pipeline lightweight"
    assert oss.expand("Python developer")[:3] == ["python", "django", "flask"]
    assert oss.behavioral("Led a team of five.", "Python lead")["profile"]["leadership_score"] == 0.8
    api = mods["api"]
    assert api.screen_candidates_route([{"name": "a"}])[0]["screening_result"]["analysis_type"] == "market"
    matcher = mods["enhanced_matcher"].EnhancedTalentMatcher("sk", "u", "p")
    assert matcher.extract_job_requirements("Python role in Austin, TX")["location"] == "Austin, TX"
    for capability in ("query_enhancer", "behavioral_analyzer", "market_intelligence", "job_parser"):
        assert sm_calls(endpoint, capability) >= 1, capability
    assert adapters.install_from_env(framework=inst.framework) is inst  # idempotent
    adapters.uninstall()
    assert inst.patched == {} and watchers() == []
    assert not issubclass(mods["enhanced_matcher"].LLMService, adapters.LLMService)


def test_modules_imported_after_uninstall_are_left_alone(fresh, fw_factory, endpoint):
    inst = adapters.install(framework=fw_factory("on"))
    adapters.uninstall()
    qe = importlib.import_module(f"{STANDIN}.llm_query_enhancer")
    assert inst.patched == {} and not issubclass(qe.LLMQueryEnhancer, adapters.LLMQueryEnhancer)


def test_explicit_modules_install_no_watcher(fresh, fw_factory, endpoint):
    xai = importlib.import_module(f"{STANDIN}.explainable_ai.models.recruitment_ai")
    adapters.install(framework=fw_factory("on"), modules=[xai])
    assert watchers() == []


@pytest.mark.parametrize("order", ["install_first", "import_first"])
def test_behavioural_is_served_when_the_pipeline_cannot_import(no_ml, fw_factory, endpoint, order):
    fw = fw_factory("on")
    if order == "install_first":
        inst = adapters.install(framework=fw)
        oss_module = importlib.import_module(f"{STANDIN}.optimized_search_system")
    else:
        oss_module = importlib.import_module(f"{STANDIN}.optimized_search_system")
        package = sys.modules[f"{STANDIN}.behavioural_analysis"]
        assert oss_module.BEHAVIOURAL_ANALYSIS_AVAILABLE is False and oss_module.get_pipeline is None
        assert package.create_multi_source_profile("r") is None  # the monolith's fallback on this host
        assert not hasattr(package.get_pipeline("lightweight"), "config_name")
        inst = adapters.install(framework=fw)
    assert sys.modules[PIPELINE].__adeptai_substitute__ == "missing dependency: textstat"
    assert "behavioral_analyzer" in inst.patched
    assert oss_module.BEHAVIOURAL_ANALYSIS_AVAILABLE is True
    oss = oss_module.OptimizedSearchSystem()
    assert oss.behavioral_label == "pipeline lightweight"
    profile = oss_module.create_multi_source_profile(resume_text="Led a team of five.")
    assert profile.get_all_text_content() == "Led a team of five."
    assert oss.behavioral("Led a team of five.", "Python lead")["profile"]["leadership_score"] == 0.8
    assert sm_calls(endpoint, "behavioral_analyzer") == 1
    package = sys.modules[f"{STANDIN}.behavioural_analysis"]
    assert package.get_pipeline("production").enable_gnn is True
    with pytest.raises(ImportError):  # the ML-only classes stay absent
        exec(f"from {PIPELINE} import SemanticSkillAnalyzer", {})
    adapters.uninstall()
    assert PIPELINE not in sys.modules and inst.patched == {}
    if order == "import_first":  # everything the installation changed is given back
        assert not hasattr(package.get_pipeline("lightweight"), "config_name")
        assert oss_module.BEHAVIOURAL_ANALYSIS_AVAILABLE is False and oss_module.get_pipeline is None
    # install_first: the package and the search system were built from the substitute's names; there is no
    # original to give back (the real pipeline never loaded), so they keep serving through the adapter


def test_behavioural_pipeline_fallback_without_endpoint_is_the_degraded_shape(no_ml, fw_factory, endpoint):
    from support.adapters import fail

    fail(endpoint, "behavioral_analyzer")
    adapters.install(framework=fw_factory("on"))
    oss_module = importlib.import_module(f"{STANDIN}.optimized_search_system")
    read = oss_module.OptimizedSearchSystem().behavioral("Resume text", "q")["profile"]
    assert read["overall_score"] == 0.5 and read["strengths"] == []


def test_mode_off_wires_the_substitute_and_answers_the_degraded_shape(no_ml, fw_factory, endpoint):
    """Wired whatever the mode: in ``off`` the substitute pipeline answers from legacy, which on a host
    without the ML stack is the monolith's own degraded shape; the endpoint is never called."""
    inst = adapters.install(framework=fw_factory("on", modes={"behavioral_analyzer": "off"}))
    oss_module = importlib.import_module(f"{STANDIN}.optimized_search_system")
    assert "behavioral_analyzer" in inst.patched and "behavioral_analyzer" not in inst.skipped
    assert oss_module.BEHAVIOURAL_ANALYSIS_AVAILABLE is True
    read = oss_module.OptimizedSearchSystem().behavioral("Resume text", "q")["profile"]
    assert read["overall_score"] == 0.5 and read["strengths"] == []
    assert sm_calls(endpoint, "behavioral_analyzer") == 0
