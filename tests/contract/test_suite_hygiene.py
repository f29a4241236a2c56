"""The test suite checks itself: every test asserts behaviour, and no test bounds wall-clock time.

Rule (a), a test asserts something. A ``test_*`` function (module level or in a ``Test*`` class) passes
when its body, nested functions included, contains at least one of:

* an ``assert`` statement;
* a ``with pytest.raises(...)`` / ``pytest.warns(...)`` block, or a call to ``pytest.raises``,
  ``pytest.warns``, ``pytest.deprecated_call`` or ``pytest.fail``;
* a call to a helper whose name starts with ``assert``, ``check`` or ``expect`` (``assert_shape(...)``,
  ``check_adapter_shapes(...)``, ``mock.assert_called_once_with(...)``). Where the helper is a function
  of the suite (in the test's own module or in ``tests/support/``), it must itself pass rule (a), so a
  helper named ``check_*`` that checks nothing does not count.

A test whose claim is "this does not raise" still asserts what the call returned or changed: a call that
returns garbage without raising must fail it.

Rule (b), no wall-clock bound. Timing claims depend on the machine and its load; they live in
``benchmarks/`` as ratios against a baseline measured in the same run. In ``tests/`` a comparison
fails this check when it bounds time from above by a literal number (``elapsed < 2``, ``2 > elapsed``,
also as one link of a chain such as ``0 < elapsed < 2``) and the timed side reads the clock
(``time.monotonic()``, ``time.perf_counter()``, ``time.time()`` and their ``_ns`` forms) or is a name
or attribute that holds a duration: ``elapsed``, ``duration``, ``latency``, ``took``, ``wall`` (also as
part of a longer name: ``elapsed_s``, ``p99_latency_ms``). Injected clocks are not
wall-clock time: a comparison against ``clock.now`` passes. Lower bounds pass (``took >= 0.15`` after
injecting a 150 ms delay): a loaded machine only makes them truer, so they check behaviour (the delay
happened), not speed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
TEST_FILES = sorted(p for p in TESTS.rglob("test_*.py") if p.relative_to(TESTS).parts[0] != "monolith")
SUPPORT_FILES = sorted((TESTS / "support").glob("*.py"))

ASSERTING_HELPER = re.compile(r"^_?(assert|check|expect)", re.IGNORECASE)
PYTEST_ASSERTIONS = {"raises", "warns", "fail", "deprecated_call"}
CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}
DURATION_NAME = re.compile(r"(^|_)(elapsed|duration|latency|took|wall)(_|$)", re.IGNORECASE)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _is_pytest_assertion(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr in PYTEST_ASSERTIONS
            and isinstance(func.value, ast.Name) and func.value.id == "pytest")


def suite_helpers(*trees: ast.Module) -> dict[str, ast.FunctionDef]:
    """Module-level functions of the suite whose names promise an assertion (``assert_*``, ``check_*``...)."""
    return {node.name: node for tree in trees for node in tree.body
            if isinstance(node, ast.FunctionDef) and ASSERTING_HELPER.match(node.name)}


def asserts_something(fn: ast.FunctionDef | ast.AsyncFunctionDef, helpers: dict | None = None,
                      _seen: frozenset = frozenset()) -> bool:
    """Rule (a) for one test function; ``helpers`` are the suite's own asserting helpers, checked in turn."""
    helpers = helpers or {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        if not isinstance(node, ast.Call):
            continue
        if _is_pytest_assertion(node):
            return True
        name = _call_name(node)
        if not ASSERTING_HELPER.match(name):
            continue
        helper = helpers.get(name) if isinstance(node.func, ast.Name) else None
        if helper is None or (name not in _seen and asserts_something(helper, helpers, _seen | {name})):
            return True
    return False


def _reads_clock(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in CLOCKS:
            owner = sub.func.value
            if isinstance(owner, ast.Name) and owner.id == "time":
                return True
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in CLOCKS - {"time"}:
            return True  # from time import monotonic
    return False


def _names_duration(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and DURATION_NAME.search(sub.id):
            return True
        if isinstance(sub, ast.Attribute) and DURATION_NAME.search(sub.attr):
            return True
        if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant) \
                and isinstance(sub.slice.value, str) and DURATION_NAME.search(sub.slice.value):
            return True
    return False


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.BinOp):  # 0.5 * 2, 1 + 0.1
        return _is_number(node.left) and _is_number(node.right)
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _is_upper_bound(left: ast.AST, op: ast.cmpop, right: ast.AST) -> bool:
    """``duration < 2`` or ``2 > duration``: the clock side must stay under a literal."""
    if isinstance(op, (ast.Lt, ast.LtE)):
        timed, bound = left, right
    elif isinstance(op, (ast.Gt, ast.GtE)):
        timed, bound = right, left
    else:
        return False
    return _is_number(bound) and not _is_number(timed) and (_reads_clock(timed) or _names_duration(timed))


def wall_clock_bounds(tree: ast.AST) -> list[int]:
    """Rule (b): line numbers of comparisons that bound wall-clock time from above by a literal."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_upper_bound(sides[i], op, sides[i + 1]) for i, op in enumerate(node.ops)):
                lines.append(node.lineno)
    return lines


def iter_tests(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    yield item


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, line: int, name: str = "") -> str:
    return f"{path.relative_to(TESTS.parent)}:{line}" + (f" {name}" if name else "")


def test_the_suite_has_test_files_to_check():
    assert len(TEST_FILES) > 50
    assert Path(__file__).resolve() in TEST_FILES


def test_every_test_asserts_behaviour():
    shared = suite_helpers(*(_parse(path) for path in SUPPORT_FILES))
    silent = []
    for path in TEST_FILES:
        tree = _parse(path)
        helpers = {**shared, **suite_helpers(tree)}
        silent += [_where(path, fn.lineno, fn.name) for fn in iter_tests(tree) if not asserts_something(fn, helpers)]
    assert not silent, "tests that assert nothing (see this module's docstring for the rule):\n" + "\n".join(silent)


def test_no_test_bounds_wall_clock_time():
    bounds = [_where(path, line) for path in TEST_FILES for line in wall_clock_bounds(_parse(path))]
    assert not bounds, ("wall-clock bounds in tests/ (move timing claims to benchmarks/, or assert the effect "
                        "with an injected clock):\n" + "\n".join(bounds))


# The checker's own behaviour: each rule catches what it names and lets through what it allows.

def _only_test(source: str) -> ast.FunctionDef:
    return next(iter_tests(ast.parse(source)))


@pytest.mark.parametrize("body", [
    "assert f() == 1",
    "with pytest.raises(ValueError):\n        f()",
    "pytest.warns(UserWarning, f)",
    "check_adapter_shapes(f())",
    "m.assert_called_once_with(1)",
    "def inner():\n        assert f()\n    inner()",
])
def test_rule_a_accepts_asserting_tests(body):
    assert asserts_something(_only_test(f"def test_x():\n    {body}\n"))


@pytest.mark.parametrize("body", ["f()", "x = f()\n    print(x)", "pytest.approx(1.0)", "run_checked(f)"])
def test_rule_a_rejects_tests_that_assert_nothing(body):
    assert not asserts_something(_only_test(f"def test_x():\n    {body}\n"))


def test_rule_a_checks_the_suites_own_helpers():
    tree = ast.parse("def check_empty(x):\n    return x\n"
                     "def check_full(x):\n    assert x\n"
                     "def test_a():\n    check_empty(1)\n"
                     "def test_b():\n    check_full(1)\n")
    helpers = suite_helpers(tree)
    verdicts = {fn.name: asserts_something(fn, helpers) for fn in iter_tests(tree)}
    assert verdicts == {"test_a": False, "test_b": True}


def test_rule_a_looks_inside_test_classes():
    tree = ast.parse("class TestX:\n    def test_a(self):\n        f()\n    def helper(self):\n        pass\n")
    assert [fn.name for fn in iter_tests(tree)] == ["test_a"]


@pytest.mark.parametrize("expr", [
    "time.monotonic() - t0 < 2.0",
    "elapsed < 1",
    "0.5 > took_s",
    "stats.p99_latency_ms <= 250",
    "r['duration'] < 3",
    "time.perf_counter() - start <= 0.1",
    "0 < elapsed < 2",
    "wall < 1.5 * 2",
])
def test_rule_b_flags_wall_clock_bounds(expr):
    assert wall_clock_bounds(ast.parse(expr)) == [1]


@pytest.mark.parametrize("expr", [
    "clock.now >= 60",           # an injected clock, not wall time
    "elapsed < budget",          # a bound computed in the test, not a literal
    "len(calls) < 3",
    "time.monotonic() < deadline",
    "duration == 0",             # equality is a behaviour, not a bound
    "time.perf_counter() - start >= 0.15",  # a lower bound: the injected delay happened
])
def test_rule_b_lets_behaviour_through(expr):
    assert wall_clock_bounds(ast.parse(expr)) == []
