"""The patch engine alone (adapters/_patching.py), on toy modules: exact undo, caller rebinding, bound classes.

install() relies on these guarantees for every adapter; testing them without the monolith shows a
failure here is the engine's, not an adapter's wiring.
"""

from __future__ import annotations

import logging
import types

from adeptai_sagemaker.adapters._patching import PatchLog, bound_class


def toy(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def test_undo_restores_replaced_attributes_and_removes_added_ones_newest_first():
    original = object()
    module = toy("mono.svc", Service=original)
    patches = PatchLog()
    patches.set(module, "Service", "first", module.__name__)
    patches.set(module, "Service", "second", module.__name__)
    patches.set(module, "added", 1, module.__name__)
    order = []
    patches.on_undo(lambda: order.append(("cleanup", module.Service)))
    assert module.Service == "second" and module.added == 1
    patches.undo()
    assert module.Service is original and not hasattr(module, "added")
    assert order == [("cleanup", original)]  # cleanups run after every attribute is back
    patches.undo()  # twice is harmless
    assert module.Service is original


def test_callers_are_rebound_and_a_module_imported_while_installed_gets_the_original_back():
    original, replacement = object(), object()
    mono = toy("mono.svc", Service=original)
    caller = toy("app.caller", Service=original, unrelated=original.__class__)
    patches = PatchLog()
    with patches.tagged("cap"):
        patches.set(mono, "Service", replacement, mono.__name__)
        patches.swap(original, replacement)
        with patches.tagged(None, caller=True):
            patches.rebind(caller)
        patches.set(mono, "extra", 1, mono.__name__)  # the outer tag is back after the nested one
    late = toy("app.late", Service=replacement)  # bound the replacement by name while installed
    patches.adopt(late, None)
    assert caller.Service is replacement and patches.replacement_for(original) is replacement
    assert patches.by_capability() == {"cap": ["mono.svc"]}  # caller rebinds are not "patched modules"
    assert [(p.where, p.attr) for p in patches.patches if p.capability == "cap"] == [
        ("mono.svc", "Service"), ("mono.svc", "extra")]
    patches.undo()
    assert mono.Service is original and caller.Service is original and late.Service is original
    assert not hasattr(mono, "extra")


def test_a_restore_that_fails_is_logged_and_the_others_still_restored(caplog):
    class Frozen:
        locked = False

        def __setattr__(self, name, value):
            if type(self).locked:
                raise TypeError("read-only")
            object.__setattr__(self, name, value)

    frozen, module = Frozen(), toy("mono.svc", Service="original")
    frozen.value = "original"
    patches = PatchLog()
    patches.set(module, "Service", "new", module.__name__)
    patches.set(frozen, "value", "new", "mono.frozen")
    Frozen.locked = True
    with caplog.at_level(logging.ERROR, logger="adeptai_sagemaker.adapters"):
        patches.undo()
    assert module.Service == "original" and frozen.value == "new"
    assert "could not restore mono.frozen.value (TypeError)" in caplog.text


def test_a_bound_class_keeps_the_zero_argument_constructor_and_builds_legacy_per_instance():
    class Adapter:
        def __init__(self, size=1, *, framework=None, legacy=None):
            self.size, self.framework, self.legacy = size, framework, legacy

    fw = object()
    Bound = bound_class(Adapter, "Service", framework=fw, legacy_for=lambda size=1, **_: f"legacy size {size}")
    assert Bound.__name__ == "Service" and issubclass(Bound, Adapter)
    plain, sized = Bound(), Bound(3)
    assert (plain.framework, plain.legacy) == (fw, "legacy size 1") and sized.legacy == "legacy size 3"
    assert Bound(legacy="given").legacy == "given"  # an explicit argument wins over the default
