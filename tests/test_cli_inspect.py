"""`forecast inspect`: the JSON contract, the table, and clean failures (exit 2, one line)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecast.cli import app

CORPUS = Path(__file__).parent / "csv_corpus"
runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize(
    "name,n_series,freq",
    [
        ("air_passengers.csv", 1, "MS"),
        ("co2_weekly.csv", 1, "W-SAT"),
        ("sunspots_yearly.csv", 1, "YS"),
        ("us_macro_quarterly.csv", 5, "QS-OCT"),
    ],
)
def test_inspect_json_contract_on_bundled_data(data_dir, name, n_series, freq):
    result = _invoke("inspect", str(data_dir / name), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"series", "report"}
    assert len(payload["series"]) == n_series
    for s in payload["series"]:
        assert {"unique_id", "n_obs", "freq", "start", "end", "gaps", "missing_filled"} <= set(s)
        assert s["freq"] == freq
    assert {
        "delimiter",
        "encoding",
        "time_col",
        "value_cols",
        "id_col",
        "decimal",
        "repairs",
    } <= set(payload["report"])


def test_inspect_counts_rows_after_filling(data_dir):
    result = _invoke("inspect", str(data_dir / "co2_weekly.csv"), "--json", "--fill", "interpolate")
    (s,) = json.loads(result.stdout)["series"]
    assert (s["n_obs"], s["gaps"], s["missing_filled"]) == (2284, 59, 59)
    assert s["start"].startswith("1958-03-29") and s["end"].startswith("2001-12-29")


def test_inspect_table_names_the_inferences(data_dir):
    result = _invoke("inspect", str(data_dir / "us_macro_quarterly.csv"))
    assert result.exit_code == 0
    for word in ("QS-OCT", "realgdp", "unemp", "quarter"):
        assert word in result.stdout


def test_inspect_column_options(data_dir):
    result = _invoke(
        "inspect", str(data_dir / "us_macro_quarterly.csv"), "--value-col", "cpi", "--json"
    )
    payload = json.loads(result.stdout)
    assert [s["unique_id"] for s in payload["series"]] == ["cpi"]


@pytest.mark.parametrize(
    "name", ["empty.csv", "header_only.csv", "text_in_numbers.csv", "binary_zip.csv"]
)
def test_inspect_bad_file_exits_2_with_one_error_line(name):
    proc = subprocess.run(
        [sys.executable, "-m", "forecast", "inspect", str(CORPUS / "bad" / name), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_exits_2():
    result = _invoke("inspect", "/no/such.csv")
    assert result.exit_code == 2
    assert "error: File not found" in result.stderr
