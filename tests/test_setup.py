"""The README's two set-up commands are the ones the Makefile defines and .ci/run calls."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "the README must open with a code block of commands"
    head = text[: block.start()]
    assert head.count("\n") <= 3, "the command block must come first in the README"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_dashboard_and_test_commands():
    assert _readme_commands() == ["make dashboard", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert "make test" in lines
    # nothing else of substance: only shell set-up around it
    assert all(ln == "make test" or ln.startswith(("set ", "cd ")) for ln in lines), lines


def test_makefile_targets_install_what_they_need():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("dashboard", "test"):
        rule = re.search(rf"^{target}:(.*)$", makefile, re.M)
        assert rule and "install" in rule.group(1), f"'make {target}' must depend on install"
    assert re.search(r"^test:.*browser", makefile, re.M), "'make test' must install Chromium"
    assert "-m venv" in makefile and "torch==2.13.0" in makefile
    assert "forecast dashboard" in makefile


def test_pyproject_declares_package_script_and_extras():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["name"] == "forecast-workbench"
    assert project["scripts"]["forecast"] == "forecast.cli:main"
    deps = " ".join(project["dependencies"]).lower()
    for name in (
        "pandas",
        "numpy",
        "statsmodels",
        "scikit-learn",
        "torch",
        "plotly",
        "dash",
        "sqlalchemy",
        "pydantic",
        "typer",
        "rich",
        "safetensors",
        "dask[distributed]",
    ):
        assert name in deps, name
    assert {"dev", "bench"} <= set(project["optional-dependencies"])
    assert "ruff" in meta["tool"]
