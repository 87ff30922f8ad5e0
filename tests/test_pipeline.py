"""run_forecast: the contract every front end relies on."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.errors import Cancelled, DataError, SpecError
from forecast.leaderboard import LEADERBOARD_COLUMNS
from forecast.models.base import FORECAST_COLUMNS
from forecast.pipeline import RunResult, parse_models, run_forecast


def test_holdout_run_scores_ranks_and_checks_every_model():
    df = make_frame(60, series=2)
    result = run_forecast(df, horizon=6, models="naive,snaive,drift", holdout=6)
    assert isinstance(result, RunResult)
    board = result.leaderboard
    assert list(board.columns[: len(LEADERBOARD_COLUMNS)]) == LEADERBOARD_COLUMNS
    assert board["model"].iloc[0] == "snaive"  # seasonal data: seasonal naive wins
    assert list(board["rank"]) == [1.0, 2.0, 3.0]
    assert board["mase"].is_monotonic_increasing
    assert list(result.forecasts.columns) == FORECAST_COLUMNS
    assert len(result.forecasts) == 3 * 2 * 6
    # the history ends where the actuals start, and the forecasts cover the actuals
    assert len(result.history) == len(df) - 12 and len(result.actuals) == 12
    merged = result.forecasts.merge(result.actuals, on=["unique_id", "ds"])
    assert len(merged) == len(result.forecasts)
    naive = merged[merged["model"] == "naive"]
    assert board.set_index("model").loc["naive", "mae"] == pytest.approx(
        np.mean(np.abs(naive["y"] - naive["yhat"]))
    )
    # naive residuals on seasonal data keep structure; seasonal naive's do not
    assert board.set_index("model").loc["naive", "residuals_white"] == False  # noqa: E712
    assert "seasonal" in result.residual_checks["naive"]["verdict"]
    json.dumps(result.to_json())
    assert result.to_json()["leaderboard"][0]["model"] == "snaive"


def test_without_holdout_metrics_are_null_and_forecasts_go_past_the_end():
    df = make_frame(40)
    result = run_forecast(df, horizon=3, models=["snaive"])
    assert result.actuals is None
    row = result.leaderboard.iloc[0]
    assert np.isnan(row["mae"]) and np.isnan(row["rank"]) and row["evaluation"] == "none"
    assert result.forecasts["ds"].min() > df["ds"].max()


def test_backtest_scores_when_nothing_is_held_out():
    df = make_frame(60)
    result = run_forecast(df, horizon=6, models="naive,snaive", backtest_windows=2)
    assert result.leaderboard["evaluation"].iloc[0] == "backtest of 2 windows"
    assert result.leaderboard["mase"].notna().all()
    assert set(result.backtest["window"]) == {0, 1}


def test_a_failing_model_is_recorded_and_the_run_goes_on():
    df = make_frame(40)
    result = run_forecast(
        df,
        horizon=3,
        models="snaive,naive",
        holdout=3,
        model_params={"snaive": {"season_length": 0}},
    )
    board = result.leaderboard.set_index("model")
    assert "season_length" in board.loc["snaive", "error"]
    assert np.isnan(board.loc["snaive", "rank"]) and board.loc["naive", "rank"] == 1
    assert set(result.forecasts["model"]) == {"naive"}


def test_cancel_propagates_and_progress_counts_steps():
    df = make_frame(40)
    calls = []
    run_forecast(
        df, horizon=3, models="naive,snaive", progress=lambda s, t, m: calls.append((s, t))
    )
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    # while a network trains, the step itself moves (epochs done / epochs), in numbers
    calls.clear()
    run_forecast(
        df,
        horizon=3,
        models="snaive,lstm",
        epochs=4,
        model_params={"lstm": {"hidden_size": 4, "refit": False, "threads": 1}},
        progress=lambda s, t, m: calls.append((s, t)),
    )
    within = [s for s, t in calls if 1 < s < 2]
    assert within == [1.25, 1.5, 1.75, 1.99] and calls[-1] == (2, 2)  # the row ends the step
    with pytest.raises(Cancelled):
        run_forecast(df, horizon=3, models="naive", should_stop=lambda: True)


def test_bad_specs_raise_our_errors():
    df = make_frame(30)
    with pytest.raises(SpecError, match="horizon"):
        run_forecast(df, horizon=0)
    with pytest.raises(SpecError, match="holdout"):
        run_forecast(df, horizon=3, holdout=30)
    with pytest.raises(SpecError, match="Unknown model"):
        parse_models("snaive,prophet")
    with pytest.raises(DataError, match="backtest windows"):
        run_forecast(df, horizon=6, models="naive", backtest_windows=5)
    holes = df.copy()
    holes.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match="missing"):
        run_forecast(holes, horizon=3, models="naive")


def test_executor_fan_out_matches_the_in_process_run():
    df = make_frame(48, series=3)
    plain = run_forecast(df, horizon=4, models="snaive,arima", holdout=4)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fanned = run_forecast(df, horizon=4, models="snaive,arima", holdout=4, executor=pool)
    pd.testing.assert_frame_equal(
        plain.forecasts.reset_index(drop=True), fanned.forecasts.reset_index(drop=True)
    )
    assert fanned.fitted["arima"].n_params_ == plain.fitted["arima"].n_params_
    assert fanned.fitted["arima"].model_strings_ == plain.fitted["arima"].model_strings_
    assert "most common ARIMA(" in fanned.leaderboard.set_index("model").loc["arima", "detail"]


def test_neural_models_get_split_conformal_intervals_from_the_backtest():
    import torch

    torch.set_num_threads(1)
    df = make_frame(72, series=3)
    params = {"esn": {"reservoir_size": 40}}
    result = run_forecast(
        df, horizon=6, models="esn", holdout=6, backtest_windows=2, model_params=params
    )
    row = result.leaderboard.iloc[0]
    assert row["error"] is None, row["error"]
    assert "conformal" in row["detail"]
    fc = result.forecasts
    half = (fc["hi"] - fc["yhat"]).to_numpy()
    assert np.allclose(half, (fc["yhat"] - fc["lo"]).to_numpy())  # symmetric
    assert (half > 0).all()


def test_arima_row_offers_the_hybrid_when_structure_is_left():
    # a seasonal series with a fixed non-seasonal ARIMA leaves the seasonal pattern behind
    df = make_frame(72)
    result = run_forecast(
        df, horizon=3, models="arima", model_params={"arima": {"order": (1, 1, 0)}}
    )
    row = result.leaderboard.iloc[0]
    assert row["residuals_white"] == False  # noqa: E712
    assert "hybrid" in row["detail"] and "ARIMA(1,1,0)" in row["detail"]
