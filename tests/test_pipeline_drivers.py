"""A job with drivers: roles from the future given, auto with or without them per series, and
the refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame

from forecast.errors import DataError
from forecast.run.pipeline import run_forecast

H = 4
MODELS = ["snaive", "ets", "arima", "auto"]


def _auto(result) -> pd.DataFrame:
    fc = result.forecasts
    return fc[fc["model"] == "auto"].reset_index(drop=True)


def _mae(fc: pd.DataFrame, actuals: pd.DataFrame) -> float:
    return float(np.mean(np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy())))


def test_known_drivers_are_used_and_auto_says_which_and_why():
    history, future, actuals = make_driver_frame(60, H, series=2, effect=5.0)
    result = run_forecast(history, horizon=H, models=MODELS, X_future=future)
    drivers = result.drivers
    assert drivers["known"] == ["x", "flag"] and drivers["observed"] == []
    assert set(drivers["used_by"]) == {"ets", "arima"}
    assert {v["choice"] for v in drivers["per_series"].values()} == {"with"}
    for v in drivers["per_series"].values():
        assert v["mase_with"] < 0.5 * v["mase_without"]
    assert drivers["reading"].startswith("Using x and flag cut the backtest error by")
    assert drivers["reading"].endswith("auto uses them for every series.")
    assert any("assumes the future of x and flag is known" in n for n in result.notes)
    assert "assumes the future of x and flag is known" in result.verdict
    assert {e["driver"] for e in drivers["effects"]["arima"]} == {"x", "flag"}
    assert _mae(_auto(result), actuals) < 0.5 * _mae(result.baseline, actuals)
    assert result.summary()["drivers"]["per_series"]["s0"]["choice"] == "with"


def test_future_rows_in_the_frame_are_the_same_as_a_separate_future():
    history, future, _ = make_driver_frame(60, H, series=2)
    separate = run_forecast(history, horizon=H, models=["arima"], X_future=future)
    frame = pd.concat([history, future]).sort_values(["unique_id", "ds"], kind="stable")
    frame.attrs["freq"] = "MS"
    inside = run_forecast(frame.reset_index(drop=True), horizon=H, models=["arima"])
    pd.testing.assert_frame_equal(inside.forecasts, separate.forecasts)
    with pytest.raises(DataError, match="given twice"):
        run_forecast(frame.reset_index(drop=True), horizon=H, models=["arima"], X_future=future)


def test_where_a_driver_does_not_help_auto_keeps_the_forecast_without_it():
    history, future, _ = make_driver_frame(60, H, series=2, effect=0.0, seed=4)
    rng = np.random.default_rng(5)
    history["x"] = rng.normal(0, 1, len(history))  # unrelated to y
    history = history.drop(columns="flag")
    future = future.drop(columns="flag")
    result = run_forecast(history, horizon=H, models=MODELS, X_future=future)
    per = result.drivers["per_series"]
    auto, base = _auto(result), result.baseline
    for uid, v in per.items():
        assert v["choice"] == ("with" if v["mase_with"] < v["mase_without"] else "without")
        if v["choice"] == "without":
            mine = auto[auto["unique_id"] == uid]["yhat"].to_numpy()
            np.testing.assert_allclose(mine, base[base["unique_id"] == uid]["yhat"].to_numpy())


def test_without_a_future_the_drivers_are_observed_only_and_unused():
    history, _, _ = make_driver_frame(60, H, series=1)
    result = run_forecast(history, horizon=H, models=["ets", "arima"])
    assert result.drivers["known"] == [] and result.drivers["observed"] == ["x", "flag"]
    assert "No model of this run uses the drivers x, flag (observed only" in " ".join(result.notes)
    plain = history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "MS"
    pd.testing.assert_frame_equal(
        result.forecasts, run_forecast(plain, horizon=H, models=["ets", "arima"]).forecasts
    )


def test_a_short_or_gapped_future_is_refused_before_anything_runs():
    history, future, _ = make_driver_frame(60, H, series=2)
    with pytest.raises(DataError, match="driver 'x' for series 's0' has no value"):
        run_forecast(history, horizon=H, models=["arima"], X_future=future.drop(index=2))
    with pytest.raises(DataError, match="step 5 of 5"):
        run_forecast(history, horizon=H + 1, models=["arima"], X_future=future)
    with pytest.raises(DataError, match="hold price, which the history lacks"):
        run_forecast(history, horizon=H, models=["arima"], X_future=future.assign(price=1.0))


def test_a_holdout_uses_the_held_out_rows_drivers():
    history, _, _ = make_driver_frame(64, H, series=1)
    result = run_forecast(history, horizon=H, models=["arima"], holdout=H)
    assert result.drivers["known"] == ["x", "flag"]
    assert result.leaderboard.set_index("model").loc["arima", "mase"] < 0.5


def _oscillating_errors(n: int = 80, h: int = H, series: int = 2, seed: int = 1):
    """``y = 30 + 5 x + 3 e`` with AR(1) errors ``e_t = -0.8 e_{t-1} + u_t``: a regression with
    ARIMA errors forecasts the oscillation, a regression plus ETS cannot."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        x, u, e = rng.normal(0, 1, n + h), rng.normal(0, 1, n + h), np.zeros(n + h)
        for t in range(1, n + h):
            e[t] = -0.8 * e[t - 1] + u[t]
        ds = pd.date_range("2000-01-01", periods=n + h, freq="MS")
        frames.append(
            pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": 30 + 5 * x + 3 * e, "x": x})
        )
    full = pd.concat(frames, ignore_index=True)
    step = full.groupby("unique_id").cumcount()
    history = full[step < n].reset_index(drop=True)
    history.attrs["freq"] = "MS"
    return history, full.loc[step >= n, ["unique_id", "ds", "x"]].reset_index(drop=True)


def test_with_drivers_arima_stands_alone_where_its_backtest_is_clearly_better():
    from forecast.run.drivers import DRIVERS_MARGIN

    history, future = _oscillating_errors()
    result = run_forecast(history, horizon=H, models=MODELS, X_future=future)
    bt = result.backtest_forecasts
    fc = result.forecasts
    alone = []
    for uid, members in result.drivers["members_with"].items():
        part = bt[(bt["unique_id"] == uid) & bt["model"].isin(["ets", "arima"])]
        mean = part.groupby(["window", "ds"])[["yhat", "y"]].mean()
        combined = float(np.mean(np.abs(mean["yhat"] - mean["y"])))
        arima = part[part["model"] == "arima"]
        own = float(np.mean(np.abs(arima["yhat"] - arima["y"])))
        if members == ["arima"]:
            alone.append(uid)
            assert own < (1 - DRIVERS_MARGIN) * combined
            assert result.drivers["per_series"][uid]["choice"] == "with"
            auto = fc[(fc["model"] == "auto") & (fc["unique_id"] == uid)]["yhat"].to_numpy()
            mine = fc[(fc["model"] == "arima") & (fc["unique_id"] == uid)]["yhat"].to_numpy()
            np.testing.assert_allclose(auto, mine)  # arima's forecast with the drivers
        else:
            assert sorted(members) == ["arima", "ets"]
            assert own >= (1 - DRIVERS_MARGIN) * combined
    assert alone == ["s1"]
    assert (
        "arima alone for 1 of 2 series"
        in result.leaderboard.set_index("model").loc["auto", "detail"]
    )
