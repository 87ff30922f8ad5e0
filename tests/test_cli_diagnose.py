"""`forecast diagnose`: the JSON contract, the table and readings, clean failures (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.diagnostics import CONTRACT_KEYS, diagnose
from forecast.ingest.reader import read_csv

runner = CliRunner()


def _invoke(*args):
    return runner.invoke(app, list(args))


def test_json_is_one_object_with_the_contract_keys(data_dir):
    result = _invoke("diagnose", str(data_dir / "air_passengers.csv"), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # exactly one JSON document
    assert list(payload) == ["series"]
    (s,) = payload["series"]
    assert tuple(s) == CONTRACT_KEYS
    assert s["acf"][0] == 1.0 and len(s["acf"]) == len(s["acf_confint"]) == 37
    assert s["seasonal_period"] == 12 and s["freq"] == "MS"
    assert set(s["adf"]) == {"stat", "pvalue"}
    assert set(s["kpss"]) == {"stat", "pvalue", "pvalue_bound"}  # the bound added compatibly
    expected = diagnose(read_csv(data_dir / "air_passengers.csv")[0])[0]
    np.testing.assert_allclose(s["pacf"], expected.pacf, atol=1e-12)
    assert s["suggested_arima_order"] == expected.suggested_arima_order


def test_options_nlags_columns_and_fill(data_dir):
    result = _invoke(
        "diagnose",
        str(data_dir / "us_macro_quarterly.csv"),
        "--value-col",
        "unemp,cpi",
        "--nlags",
        "8",
        "--json",
    )
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)["series"]
    assert [s["unique_id"] for s in series] == ["cpi", "unemp"]
    assert all(len(s["pacf"]) == 9 for s in series)
    result = _invoke(
        "diagnose", str(data_dir / "co2_weekly.csv"), "--fill", "interpolate", "--json"
    )
    (s,) = json.loads(result.stdout)["series"]
    assert s["seasonal_period"] == 52
    assert not any("interpolation for this analysis" in r for r in s["readings"])


def test_constant_series_writes_null_not_nan(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("month,v\n" + "".join(f"2020-{m:02d},5\n" for m in range(1, 13)))
    result = _invoke("diagnose", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.stdout
    (s,) = json.loads(result.stdout)["series"]
    assert s["adf"] == {"stat": None, "pvalue": None} and s["acf"] == []


def test_table_and_readings_for_people(data_dir):
    result = _invoke("diagnose", str(data_dir / "air_passengers.csv"))
    assert result.exit_code == 0, result.output
    assert "seasonal period" in result.stdout and "ARIMA start" in result.stdout
    assert "Suggested look-back window" in result.stdout
    # p-values: the underflowed Ljung-Box tail and KPSS's table bound, never a bare 0 or 0.01
    assert "< 1e-300" in result.stdout and "< 0.01" in result.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["missing.csv"], "not found"),
        (["{air}", "--nlags", "0"], "--nlags"),
        (["{air}", "--value-col", "nope"], "nope"),
        (["{air}", "--fill", "zeros"], "fill"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(data_dir, args, needle):
    args = [a.format(air=data_dir / "air_passengers.csv") for a in args]
    result = _invoke("diagnose", *args, "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert result.stdout == "" and "Traceback" not in result.output
