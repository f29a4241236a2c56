"""Load the REAL AdeptAI monolith modules at test time, on a host without the ML stack.

Nothing of the monolith is committed here. A snapshot of the public monolith
(``AdeptAIPro/kempian-backend-``) is found at test time, in this order:

- ``ADEPTAI_MONOLITH_SRC``: a directory, either a checkout of the monolith (``app/search/adeptai_components``
  inside it) or the ``adeptai_components`` folder itself;
- ``ADEPTAI_MONOLITH_GIT``: a git directory of the monolith (bare or ``.git``).

Only a path you name is read: the tests never look outside the checkout on their own. With neither (CI), every test using these fixtures is skipped with that reason. The snapshot's
``app/search/adeptai_components`` is extracted once per session (``git archive``) into a temporary
folder as the package ``adeptai_real.adeptai_components`` (a name no other test uses: the stand-ins are
``adeptai_components``) and imported from there, with relative imports exactly as the monolith runs them.

The host is made to look like the one the issue describes, whatever is installed here:

- ``ML_STACK`` (torch, transformers, spacy, sentence_transformers, textstat) cannot be imported at all;
- ``BROKEN_WITHOUT_ML`` monolith modules unrelated to the five integration points fail to import with
  ``ImportError`` (``rl_ranking_agent`` subclasses ``nn.Module`` at import time and dies with ``NameError``
  without torch, which would stop ``optimized_search_system`` from importing at all);
- ``UNRELATED_DEPENDENCIES`` that are not installed (scraping, dataframes, classic ML, Flask, Selenium,
  the LinkedIn client, aiohttp) are replaced by inert stub modules so the packages that import them at the
  top can load. No module under test is stubbed, and the stubs are never on a path the tests check: the
  legacy LLM services only touch aiohttp with an API key, and the tests remove every key.

Everything is undone after each test: modules imported from the snapshot, stub modules, ``sys.path``,
``sys.meta_path``, the environment (the monolith writes ``os.environ`` at import) and the adapters.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import types
from pathlib import Path
from typing import Optional

import pytest

SRC_ENV = "ADEPTAI_MONOLITH_SRC"
GIT_ENV = "ADEPTAI_MONOLITH_GIT"
COMPONENTS = "app/search/adeptai_components"
PACKAGE = "adeptai_real"
ROOT_NAME = f"{PACKAGE}.adeptai_components"

ML_STACK = ("torch", "transformers", "spacy", "sentence_transformers", "textstat")
BROKEN_WITHOUT_ML = ("rl_ranking_agent",)
UNRELATED_DEPENDENCIES = ("aiohttp", "bs4", "pandas", "sklearn", "scipy", "flask", "joblib", "xgboost", "selenium",
                          "linkedin_api")
#: the monolith's API keys and switches: none may be set, so no legacy code tries the network
MONOLITH_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HUGGINGFACE_TOKEN", "USE_SAGEMAKER", "LINKEDIN_USERNAME",
                "LINKEDIN_PASSWORD", "LLM_PROVIDER", "LLM_MODEL", "LLM_DEVICE")


# --------------------------------------------------------------------------- finding and extracting the snapshot


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, timeout=120).stdout


def find_snapshot() -> tuple[Optional[str], str]:
    """(``"dir:<path>"`` or ``"git:<path>"``, description), or (None, why there is none)."""
    src = os.environ.get(SRC_ENV)
    if src:
        path = Path(src)
        for candidate in (path / COMPONENTS, path):
            if (candidate / "llm_query_enhancer.py").is_file():
                return f"dir:{candidate}", f"{SRC_ENV}={src}"
        return None, f"{SRC_ENV}={src} holds no adeptai_components"
    git_dir = os.environ.get(GIT_ENV)
    if git_dir:
        path = Path(git_dir)
        if not path.is_dir() or shutil.which("git") is None:
            return None, f"{GIT_ENV}={git_dir} is not a git directory (or git is missing)"
        try:
            _git(path, "rev-parse", "--verify", f"HEAD:{COMPONENTS}")
        except (subprocess.SubprocessError, OSError):
            return None, f"{GIT_ENV}={git_dir} holds no {COMPONENTS} at HEAD"
        return f"git:{path}", str(path)
    return None, (f"no AdeptAI monolith snapshot: set {SRC_ENV} (a checkout) or {GIT_ENV} (a git dir of "
                  "AdeptAIPro/kempian-backend-)")


def extract(source: str, dest: Path) -> str:
    """Put the snapshot's adeptai_components under ``dest/adeptai_real/``; returns the commit (or "working tree")."""
    package = dest / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The real monolith, extracted for tests."""\n', encoding="utf-8")
    kind, _, where = source.partition(":")
    target = package / "adeptai_components"
    if kind == "dir":
        shutil.copytree(where, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        return "working tree"
    git_dir = Path(where)
    commit = _git(git_dir, "rev-parse", "HEAD").decode().strip()
    archive = _git(git_dir, "archive", "--format=tar", f"{commit}:{COMPONENTS}")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if "__pycache__" not in m.name and not m.name.endswith(".pyc")]
        tar.extractall(target, members=members, filter="data")
    return commit


# --------------------------------------------------------------------------- the host without the ML stack


class _Inert:
    """What a stubbed unrelated dependency hands out: callable, any attribute, usable as a base class."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # used as a decorator (Flask's route): keep the function
        return _Inert()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Inert()

    def __mro_entries__(self, bases):
        return (object,)


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = types.ModuleType(spec.name, "Inert stand-in for an unrelated dependency absent in tests.")
        module.__path__ = []

        def __getattr__(name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Inert()

        module.__getattr__ = __getattr__
        module.__adeptai_test_stub__ = True
        return module

    def exec_module(self, module):
        pass


class HostFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path`` during a test: refuses the ML stack, stubs absent unrelated dependencies."""

    def __init__(self, stub: tuple[str, ...]):
        self.stub = stub

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in ML_STACK:
            raise ModuleNotFoundError(f"No module named {name!r} (the ML stack is absent on this host)", name=name)
        if name.startswith(ROOT_NAME + ".") and name.rpartition(".")[2] in BROKEN_WITHOUT_ML:
            raise ModuleNotFoundError(f"No module named {name!r} (needs torch at import)", name=name)
        if top in self.stub:
            return importlib.machinery.ModuleSpec(name, _StubLoader(), is_package=True)
        return None


class RealMonolith:
    """The extracted monolith for one test: ``load("llm_query_enhancer")`` imports the real module."""

    def __init__(self, root: Path, commit: str):
        self.root = root
        self.commit = commit
        self.components = root / PACKAGE / "adeptai_components"

    def name(self, module: str) -> str:
        return f"{ROOT_NAME}.{module}"

    def load(self, module: str) -> types.ModuleType:
        return importlib.import_module(self.name(module))

    def load_matcher(self) -> types.ModuleType:
        """``semantic_function/matcher`` imports itself as the top-level package ``matcher`` (its own
        ``from matcher.base_matcher import ...``), so it only loads with ``semantic_function`` on ``sys.path``."""
        folder = str(self.components / "semantic_function")
        if folder not in sys.path:
            sys.path.insert(0, folder)
        return importlib.import_module("matcher.enhanced_matcher")


@pytest.fixture(scope="session")
def monolith_snapshot(tmp_path_factory):
    """(extracted root, commit) of the real monolith; skips the test when no snapshot is available."""
    source, why = find_snapshot()
    if source is None and (os.environ.get(SRC_ENV) or os.environ.get(GIT_ENV)):
        pytest.fail(why)  # a snapshot was named and is not usable: a broken setup, never a silent skip
    if source is None:
        pytest.skip(why)  # the monolith is never committed here: without a named snapshot these tests cannot run
    root = tmp_path_factory.mktemp("real-monolith")
    return root, extract(source, root)


@pytest.fixture()
def real_monolith(monolith_snapshot, monkeypatch, tmp_path):
    """The real monolith importable for this test, on a host without the ML stack; all undone afterwards."""
    from adeptai_sagemaker import adapters

    root, commit = monolith_snapshot
    present = [name for name in ML_STACK if name in sys.modules]
    assert not present, f"the ML stack is already imported in this process: {present}"
    stub = tuple(name for name in UNRELATED_DEPENDENCIES
                 if name not in sys.modules and importlib.util.find_spec(name) is None)
    environ, path, modules_before = dict(os.environ), list(sys.path), set(sys.modules)
    for name in MONOLITH_ENV:
        os.environ.pop(name, None)
    monkeypatch.chdir(tmp_path)  # the matcher writes model/ files relative to the working directory
    finder = HostFinder(stub)
    sys.meta_path.insert(0, finder)
    sys.path.insert(0, str(root))
    try:
        yield RealMonolith(root, commit)
    finally:
        adapters.uninstall()
        sys.meta_path.remove(finder)
        for name in set(sys.modules) - modules_before:
            module = sys.modules.get(name)
            file = str(getattr(module, "__file__", "") or "")
            if name.partition(".")[0] in (PACKAGE, *stub) or file.startswith(str(root)):
                del sys.modules[name]
        sys.path[:] = path
        os.environ.clear()
        os.environ.update(environ)
