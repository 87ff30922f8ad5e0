"""`forecast run`: the two CSVs, the JSON contract, and clean failures (exit 2, one line)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.models.base import FORECAST_COLUMNS
from forecast.run.by_series import BY_SERIES_COLUMNS
from forecast.run.defaults import BACKTEST_COLUMNS

runner = CliRunner()
JSON_KEYS = {
    "model",
    "mae",
    "rmse",
    "smape",
    "mase",
    "coverage",
    "ljung_box_pvalue",
    "residuals_white",
    "fit_seconds",
}


def _run(*args):
    return runner.invoke(app, ["run", *map(str, args)])


@pytest.mark.parametrize(
    ("name", "horizon", "extra"),
    [
        ("air_passengers.csv", 12, ["--holdout", "12"]),
        ("us_macro_quarterly.csv", 4, ["--holdout", "4", "--value-col", "realgdp,unemp"]),
        ("sunspots_yearly.csv", 5, []),
    ],
)
def test_run_writes_forecasts_and_leaderboard_csvs(data_dir, tmp_path, name, horizon, extra):
    out = tmp_path / "out"
    res = _run(
        data_dir / name,
        "--horizon",
        horizon,
        "--models",
        "naive,snaive,arima",
        "--out",
        out,
        *extra,
    )
    assert res.exit_code == 0, res.output
    fc = pd.read_csv(out / "forecasts.csv", parse_dates=["ds"])
    board = pd.read_csv(out / "leaderboard.csv")
    assert list(fc.columns) == FORECAST_COLUMNS
    n_series = fc["unique_id"].nunique()
    assert len(fc) == 3 * n_series * horizon
    assert (fc["lo"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["hi"]).all()
    assert set(board["model"]) == {"naive", "snaive", "arima"}
    assert board["error"].isna().all()
    if extra:  # scored on the holdout
        assert board["mase"].notna().all() and list(board["rank"]) == [1, 2, 3]
    assert "leaderboard" in res.stdout and "wrote" in res.stdout
    by_series = pd.read_csv(out / "leaderboard_by_series.csv")
    assert list(by_series.columns) == BY_SERIES_COLUMNS
    assert set(by_series["unique_id"].astype(str)) == set(fc["unique_id"].astype(str))
    assert by_series["mase"].dropna().is_monotonic_decreasing  # worst series first
    # the printed table reads coverage as a percentage beside the nominal level; the CSV keeps
    # the fraction
    snaive = board.set_index("model").loc["snaive"]
    line = next(x for x in res.stdout.splitlines() if " snaive " in x)
    cells = [c.strip() for c in line.split("│")]
    assert f"{snaive['coverage']:.0%}" in cells and 0 <= snaive["coverage"] <= 1


def test_json_prints_one_object_with_the_contract_keys(data_dir, tmp_path):
    out = tmp_path / "o"
    res = _run(
        data_dir / "air_passengers.csv",
        "--horizon",
        6,
        "--models",
        "snaive,drift",
        "--out",
        out,
        "--json",
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)  # exactly one JSON object, nothing else on stdout
    assert payload["forecasts"] == str(out / "forecasts.csv")
    assert sorted(row["model"] for row in payload["leaderboard"]) == ["drift", "snaive"]
    assert payload["evaluation"] == "backtest of 3 windows"
    for row in payload["leaderboard"]:
        assert set(row) >= JSON_KEYS | {"skill", "level", "interval_scale", "heldout_coverage"}
        assert row["mase"] > 0 and row["level"] == 80  # scored by the backtest
        assert 0 <= row["ljung_box_pvalue"] <= 1 and isinstance(row["residuals_white"], bool)
    by_model = {row["model"]: row for row in payload["leaderboard"]}
    assert by_model["snaive"]["skill"] == 0
    assert payload["recommended"]["model"] == payload["leaderboard"][0]["model"]
    rec = payload["recommended"]
    assert rec["reason"] and rec["per_series"] == {"Passengers": rec["model"]}  # every series
    assert rec["reasons"]["Passengers"].startswith("MASE ")
    assert rec["verdicts"]["Passengers"] in payload["verdict"]
    assert payload["backtest"] == str(out / "backtest.csv")
    bt = pd.read_csv(out / "backtest.csv", parse_dates=["cutoff", "ds"])
    assert list(bt.columns) == BACKTEST_COLUMNS
    assert bt["cutoff"].nunique() == 3 and (bt["ds"] > bt["cutoff"]).all()
    future = pd.read_csv(out / "forecasts.csv", parse_dates=["ds"])
    assert future["ds"].min() > pd.Timestamp("1960-12-01")  # after the last observation
    assert payload["verdict"].startswith(f"Use {payload['recommended']['model']}")


def test_json_with_holdout_has_metrics(data_dir, tmp_path):
    res = _run(
        data_dir / "air_passengers.csv",
        "--horizon",
        12,
        "--holdout",
        12,
        "--models",
        "snaive",
        "--level",
        95,
        "--out",
        tmp_path,
        "--json",
    )
    row = json.loads(res.stdout)["leaderboard"][0]
    assert row["mase"] > 0 and row["smape"] > 0 and 0 <= row["coverage"] <= 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizon", "0"], "horizon"),
        (["--horizon", "-3"], "horizon"),
        (["--horizon", "3", "--holdout", "144"], "holdout"),
        (["--horizon", "3", "--models", "snaive,prophet"], "Unknown model"),
        (["--horizon", "3", "--level", "150"], "level"),
        (["--horizon", "12", "--backtest-windows", "-1"], "backtest_windows"),
        (["--horizon", "3", "--models", "snaive,SNAIVE"], "listed twice"),
        (["--horizon", "3", "--models", "snaive,esn", "--epochs", "5"], "not used by any"),
        (["--horizon", "3", "--levels", "total"], "needs key columns"),
        (["--horizon", "3", "--reconcile", "wls"], "reconciliation method"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(data_dir, tmp_path, args, message):
    res = _run(data_dir / "air_passengers.csv", *args, "--out", tmp_path)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in res.output
    assert not (tmp_path / "forecasts.csv").exists()


def test_an_unwritable_out_folder_exits_2_with_one_error_line(data_dir, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    res = _run(
        data_dir / "air_passengers.csv", "--horizon", "3", "--models", "naive",
        "--backtest-windows", "0", "--out", taken,
    )  # fmt: skip
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write to {taken}: ")
    assert "pass a writable --out folder" in lines[0]
    assert taken.read_text() == "a file, not a folder"


def test_models_help_lists_every_registered_model():
    from forecast.models.registry import MODEL_NAMES

    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0 and ",".join(MODEL_NAMES) in " ".join(res.stdout.split())


def test_missing_file_exits_2(tmp_path):
    res = _run(tmp_path / "nope.csv", "--horizon", "3")
    assert res.exit_code == 2 and res.stderr.startswith("error: ")
