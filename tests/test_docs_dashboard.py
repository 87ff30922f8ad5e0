"""docs/dashboard.md says what the pages do by default: checked against the pages."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.pages import run as run_page
from forecast.run.defaults import DEFAULT_WINDOWS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "dashboard.md").read_text()


def _run_section() -> str:
    start = DOC.index("- **Run**")
    return " ".join(DOC[start : DOC.index("- **Jobs**", start)].split())


def test_the_run_page_defaults_in_the_docs_are_the_pages():
    text = _run_section()
    ticked = re.search(r"models ticked: ([a-z, ]+) \(", text)[1]
    assert [m.strip() for m in ticked.split(",")] == run_page.DEFAULT_MODELS
    layout = run_page.layout()
    windows = int(re.search(r"backtest windows = (\d+);", text)[1])
    assert windows == _find(layout, "run-backtest").value == DEFAULT_WINDOWS
    level = int(re.search(r"level = (\d+) %", text)[1])
    assert level == _find(layout, "run-level").value
    checklist = _find(layout, "run-models")
    assert checklist.value == run_page.DEFAULT_MODELS


def _find(component, id_: str):
    """The component of ``id_`` in a Dash layout (depth first)."""
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, id_)
            if found is not None:
                return found
    return None


def test_the_run_page_prefills_the_holdout_the_docs_name(tmp_path, monkeypatch):
    from dashboard.app import default_dataset

    defaults = run_page.defaults(default_dataset())
    assert defaults["holdout"] == int(re.search(r"holdout = (\d+)", _run_section())[1])
    # two seasons, capped at a fifth of the shortest series (air passengers: 144 monthly)
    assert defaults["horizon"] == min(2 * 12, 144 // 5)
