"""`forecast run --drivers` and `forecast predict MODEL FILE` with drivers: the JSON contract
gains "drivers"; a saved driver-aware model needs the drivers and their future rows, and bad
input exits 2 with one `error:` line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame
from typer.testing import CliRunner

from forecast.cli import app
from forecast.models import make_model

runner = CliRunner()
H = 4


def _csv(tmp_path, *, future: bool = True, spoil=None) -> str:
    history, fut, _ = make_driver_frame(60, H, series=1)
    rows = history[["ds", "y", "x", "flag"]]
    if future:
        rows = pd.concat([rows, fut[["ds", "x", "flag"]]], ignore_index=True)
    if spoil is not None:
        rows = spoil(rows)
    path = tmp_path / "demand.csv"
    rows.rename(columns={"ds": "month"}).to_csv(path, index=False)
    return str(path)


def _one_error_line(res, words: str) -> None:
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], res.output


def test_run_with_drivers_uses_them_and_says_so(tmp_path):
    path = _csv(tmp_path)
    res = runner.invoke(
        app,
        ["run", path, "--value-col", "y", "--drivers", "x,flag", "--horizon", str(H),
         "--models", "snaive,arima,ets,auto", "--out", str(tmp_path / "out"), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    drivers = out["drivers"]
    assert drivers["known"] == ["x", "flag"] and set(drivers["used_by"]) == {"arima", "ets"}
    assert drivers["per_series"]["y"]["choice"] == "with"
    assert "Using x and flag cut the backtest error by" in out["verdict"]
    assert "assumes the future of x and flag is known" in out["verdict"]
    fc = pd.read_csv(tmp_path / "out" / "forecasts.csv")
    assert len(fc[fc["model"] == "arima"]) == H


def test_predict_applies_a_saved_driver_model_to_a_file_with_future_rows(tmp_path):
    history, _future, actuals = make_driver_frame(60, H, series=1)
    history["unique_id"] = "y"
    model = make_model("arima").fit(history)
    model.save(tmp_path / "arima")
    path = _csv(tmp_path)
    args = ["predict", str(tmp_path / "arima"), path, "--value-col", "y", "--horizon", str(H)]
    res = runner.invoke(app, [*args, "--drivers", "x,flag", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    fc = pd.read_csv(tmp_path / "p" / "forecasts.csv")
    err = np.mean(np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy()))
    assert err < 2.0  # the drivers' effect (5 per unit of x) is in the forecast
    _one_error_line(runner.invoke(app, args), "the file lacks x, flag (read it with --drivers")
    no_future = _csv(tmp_path, future=False)
    res = runner.invoke(
        app,
        ["predict", str(tmp_path / "arima"), no_future, "--value-col", "y",
         "--horizon", str(H), "--drivers", "x,flag"],
    )  # fmt: skip
    _one_error_line(res, "no future values of x, flag")


@pytest.mark.parametrize(
    "spoil, words",
    [
        (lambda r: r.assign(x=r["x"].astype(object).where(r.index != 61, "hot")), "x"),
        (lambda r: r.assign(x=r["x"].where(r.index != 62)), "x"),
    ],
)
def test_bad_future_drivers_exit_2_with_one_line(tmp_path, spoil, words):
    path = _csv(tmp_path, spoil=spoil)
    res = runner.invoke(
        app,
        ["run", path, "--value-col", "y", "--drivers", "x,flag", "--horizon", str(H),
         "--models", "arima", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    _one_error_line(res, words)


def test_a_driver_absent_from_the_file_exits_2(tmp_path):
    path = _csv(tmp_path)
    res = runner.invoke(
        app,
        ["run", path, "--value-col", "y", "--drivers", "x,price", "--horizon", str(H),
         "--models", "arima", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    _one_error_line(res, "price")
