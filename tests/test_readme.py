"""The README is a short front door whose model table is the registry's."""

from __future__ import annotations

import re
from pathlib import Path

from forecast.models.registry import model_table_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_is_short():
    assert README.count("\n") <= 200


def test_readme_model_table_is_the_registry():
    block = re.search(r"<!-- models:begin -->\n(.*?)\n<!-- models:end -->", README, re.S)
    assert block, "the README must hold the model table between its markers"
    assert block.group(1).strip() == model_table_markdown(), (
        "the README's model table is stale: put the output of .venv/bin/python -c "
        "'from forecast.models.registry import model_table_markdown as t; print(t())' "
        "between <!-- models:begin --> and <!-- models:end -->"
    )


def test_readme_links_to_pages_that_exist():
    # pages other work adds (diagnostics, forecasting, pretrained, deployment) are linked ahead
    pending = {
        "docs/diagnostics.md",
        "docs/forecasting.md",
        "docs/pretrained.md",
        "docs/deployment.md",
    }
    links = set(re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)", README))
    assert {"docs/models.md", "benchmarks/README.md"} <= links
    missing = sorted(p for p in links - pending if not (ROOT / p).is_file())
    assert not missing, missing


def test_docs_speak_of_the_product_not_of_its_history():
    pages = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *(ROOT / "docs").glob("*.md")]
    for page in pages:
        text = page.read_text().lower()
        for phrase in ("engineer", "this round", "before/after", "issue "):
            assert phrase not in text, f"{page.name}: {phrase!r}"
