"""The tests' helpers that drive a live server or a browser, for the guards that measure them.

``serving`` (``forecast serve`` and ``forecast worker`` in subprocesses, and a client that speaks
to them like a browser and like a script), ``pgcluster`` (a throwaway PostgreSQL cluster) and
``browser`` (headless Chromium's flags and a dashboard in a subprocess) live in ``tests/``, so
that the tests and the benchmarks start and drive the server the same way. A guard imports
them from here (``from harness import serving``), as it imports ``competition``: a script's own
folder is on ``sys.path``.

They are loaded from their files, under the names the tests give them, without touching
``sys.path``: ``tests/`` is no package, and a top-level ``tests`` package that some of the
bench extra's dependencies install would shadow it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["browser_conftest", "browser_server", "pgcluster", "serving"]

TESTS = Path(__file__).resolve().parent.parent / "tests"


def _load(name: str, path: Path, package: bool = False) -> ModuleType:
    """The module ``name`` from ``path`` (once: a second import finds it in ``sys.modules``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


serving = _load("serving", TESTS / "serving.py")
pgcluster = _load("pgcluster", TESTS / "pgcluster.py")


def browser_server() -> ModuleType:
    """``tests/browser/server.py`` (a dashboard in a subprocess), loaded when asked."""
    _load("browser", TESTS / "browser" / "__init__.py", package=True)
    return importlib.import_module("browser.server")


def browser_conftest() -> ModuleType:
    """``tests/browser/conftest.py`` (Chromium's flags), loaded when asked (it imports pytest)."""
    _load("browser", TESTS / "browser" / "__init__.py", package=True)
    return importlib.import_module("browser.conftest")
