"""run_forecast: the contract every front end relies on."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.errors import Cancelled, DataError, SpecError
from forecast.evaluation.leaderboard import LEADERBOARD_COLUMNS
from forecast.models.base import FORECAST_COLUMNS
from forecast.run.defaults import (
    AUTO_DEFAULT_CANDIDATES,
    AUTO_RULE,
    AUTO_TOP_K,
    BACKTEST_COLUMNS,
    DEFAULT_MODELS,
)
from forecast.run.pipeline import parse_models, run_forecast
from forecast.run.result import RunResult


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
    # MAE is in each series' units: per series, never averaged over the two
    assert board["mae"].isna().all() and board["rmse"].isna().all()
    per = result.series_scores.set_index(["model", "unique_id"])
    for uid, part in naive.groupby("unique_id"):
        assert per.loc[("naive", uid), "mae"] == pytest.approx(
            np.mean(np.abs(part["y"] - part["yhat"]))
        )
    # naive residuals on seasonal data keep structure; seasonal naive's do not
    assert board.set_index("model").loc["naive", "residuals_white"] == False  # noqa: E712
    assert "seasonal" in result.residual_checks["naive"]["verdict"]
    json.dumps(result.to_json())
    assert result.to_json()["leaderboard"][0]["model"] == "snaive"


def test_without_backtest_or_holdout_metrics_are_null_and_forecasts_go_past_the_end():
    df = make_frame(40)
    result = run_forecast(df, horizon=3, models=["snaive"], backtest_windows=0)
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
    # two models, each backtested over 3 windows and refit once
    assert calls[0] == (0, 8) and calls[-1] == (8, 8)
    assert [s for s, _ in calls] == sorted(s for s, _ in calls)
    # while a network trains, the step itself moves (epochs done / epochs), in numbers
    calls.clear()
    run_forecast(
        df,
        horizon=3,
        models="snaive,lstm",
        epochs=4,
        backtest_windows=0,
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
    with pytest.raises(SpecError, match="backtest_windows"):
        run_forecast(df, horizon=6, models="naive", backtest_windows=-1)
    with pytest.raises(SpecError, match="auto does not take k"):
        run_forecast(df, horizon=3, models="ets,auto", model_params={"auto": {"k": 2}})
    with pytest.raises(SpecError, match="auto in a job takes top_k and rule, not windows"):
        run_forecast(df, horizon=3, models="ets,auto", model_params={"auto": {"windows": 2}})
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


def test_default_job_backtests_refits_forecasts_the_future_and_recommends():
    df = make_frame(72, series=2)
    result = run_forecast(df, horizon=6)
    board = result.leaderboard.set_index("model")
    assert list(board.index.sort_values()) == sorted(DEFAULT_MODELS)
    assert result.backtest_windows == 3 and result.notes == []
    assert (board["evaluation"] == "backtest of 3 windows").all()
    # the future: h steps after the last observation of every series, every model
    fc = result.forecasts
    last = df.groupby("unique_id")["ds"].max()
    assert (fc["ds"] > fc["unique_id"].map(last)).all()
    assert fc.groupby(["model", "unique_id"]).size().eq(6).all()
    assert set(fc["model"]) == set(DEFAULT_MODELS)
    # the backtest: every model, 3 cutoffs, actuals beside the forecasts, nothing past the end
    bt = result.backtest_forecasts
    assert list(bt.columns) == BACKTEST_COLUMNS
    assert set(bt["model"]) == set(DEFAULT_MODELS)
    assert bt.groupby("model")["cutoff"].nunique().eq(3).all()
    assert (bt["ds"] > bt["cutoff"]).all() and bt["y"].notna().all()
    # skill against seasonal naive; seasonal naive's own is 0
    assert board.loc["snaive", "skill"] == pytest.approx(0.0)
    ref = board.loc["snaive", "mase"]
    assert board.loc["ets", "skill"] == pytest.approx(1 - board.loc["ets", "mase"] / ref)
    # auto is recommended (combining beat picking the backtest winner on M3), with its reason
    assert result.recommended["model"] == "auto"
    reason = result.recommended["reason"]
    assert reason.startswith("mean of ") and "in the backtest of 3 windows" in reason
    winner = board["rank"].idxmin()
    assert (winner == "auto") == ("scored lower" not in reason)
    # per series first: the scale-free line across series, then the opening series' answer
    rec = result.recommended
    assert rec["per_series"] == {"s0": "auto", "s1": "auto"}
    assert set(rec["reasons"]) == set(rec["verdicts"]) == {"s0", "s1"}
    assert result.verdict.startswith("Across 2 series: use auto for every series.")
    assert rec["verdicts"][rec["opening"]] in result.verdict
    assert all(v.startswith(f"Use auto for '{u}'") for u, v in rec["verdicts"].items())
    assert rec["summary"]["median_mase"] == pytest.approx(
        np.median(result.series_scores.query("model == 'auto'")["mase"])
    )
    # auto: members per series from the candidates, evidence recorded
    ev = result.auto
    assert set(ev["members"]) == {"s0", "s1"}
    assert all(1 <= len(v) <= ev["top_k"] for v in ev["members"].values())
    assert all(set(v) <= set(ev["candidates"]) for v in ev["members"].values())
    assert set(ev["residuals_white"]) == set(ev["candidates"])
    assert "snaive" not in ev["candidates"]  # the reference is never a member
    json.dumps(result.to_json())


def test_default_auto_is_the_documented_rule_over_the_default_candidates():
    # the defaults: seasonal naive, the candidates, auto; auto = mean of the best 4 of them,
    # which with 4 candidates is the equal-weight mean of all four (ets, stheta, arima,
    # pretrained), whatever the backtest says
    assert ("snaive", *AUTO_DEFAULT_CANDIDATES, "auto") == DEFAULT_MODELS
    assert ("mean", len(AUTO_DEFAULT_CANDIDATES)) == (AUTO_RULE, AUTO_TOP_K)
    assert set(AUTO_DEFAULT_CANDIDATES) == {"ets", "stheta", "arima", "pretrained"}
    df = make_frame(72)
    result = run_forecast(df, horizon=6)
    ev = result.auto
    assert (ev["rule"], ev["top_k"]) == (AUTO_RULE, AUTO_TOP_K)
    assert ev["candidates"] == list(AUTO_DEFAULT_CANDIDATES)
    assert sorted(ev["members"]["s0"]) == sorted(AUTO_DEFAULT_CANDIDATES)
    fc = result.forecasts.set_index(["model", "ds"])["yhat"]
    expect = np.mean([fc.loc[m].to_numpy() for m in AUTO_DEFAULT_CANDIDATES], axis=0)
    np.testing.assert_allclose(fc.loc["auto"].to_numpy(), expect, rtol=1e-12)


def test_auto_combines_the_others_when_pretrained_cannot_serve_the_frequency():
    # 4-hourly data (period 6): a period the pretrained network does not serve, so its row
    # carries the reason and auto averages the three statistical candidates
    df = make_frame(90, freq="4h", season=6)
    result = run_forecast(df, horizon=5)
    board = result.leaderboard.set_index("model")
    assert "covers seasonal periods" in board.loc["pretrained", "error"]
    assert "Could not run: pretrained (the pretrained model covers seasonal periods" in (
        result.verdict
    )
    assert board.drop(index="pretrained")["error"].isna().all()
    members = result.auto["members"]["s0"]
    assert sorted(members) == ["arima", "ets", "stheta"]
    fc = result.forecasts.set_index(["model", "ds"])["yhat"]
    expect = np.mean([fc.loc[m].to_numpy() for m in members], axis=0)
    np.testing.assert_allclose(fc.loc["auto"].to_numpy(), expect, rtol=1e-12)
    assert (
        result.recommended["model"] in board.index
        and "pretrained" not in result.recommended["model"]
    )


def test_auto_future_is_the_mean_of_its_members():
    df = make_frame(72)
    result = run_forecast(df, horizon=6, models="snaive,ets,theta,auto", level=80)
    members = result.auto["members"]["s0"]
    fc = result.forecasts.set_index(["model", "ds"])["yhat"]
    expect = sum(fc.loc[m].to_numpy() for m in members) / len(members)
    assert np.allclose(fc.loc["auto"].to_numpy(), expect)


def test_short_series_get_fewer_windows_and_say_so():
    df = make_frame(30)
    result = run_forecast(df, horizon=6, models="snaive,ets,auto")
    assert result.backtest_windows == 2  # 30 points: 2 x 6 steps after 13 training points
    assert "2 origins instead of 3" in result.notes[0]
    assert result.notes[0] in result.verdict
    tiny = make_frame(16)
    result = run_forecast(tiny, horizon=6, models="snaive,ets,auto")
    assert result.backtest_windows == 0 and "No backtest" in result.notes[0]
    assert result.backtest_forecasts is None
    assert result.recommended["model"] == "auto"
    assert "nothing could be scored" in result.recommended["reason"]
    assert "mean of every candidate" in result.leaderboard.set_index("model").loc["auto", "detail"]


def test_intervals_are_calibrated_on_backtest_errors():
    df = make_frame(96, noise=3.0)
    result = run_forecast(df, horizon=6, models="snaive,ets", level=80)
    board = result.leaderboard.set_index("model")
    for model in ("snaive", "ets"):
        scale = board.loc[model, "interval_scale"]
        assert np.isfinite(scale) and scale > 0
        assert "rescaled" in board.loc[model, "detail"]
    bt = result.backtest_forecasts
    # the scale makes the backtest intervals of ets cover at least the nominal share
    from forecast.evaluation.calibration import apply_scale, backtest_coverage

    ets = apply_scale(bt[bt["model"] == "ets"], board.loc["ets", "interval_scale"])
    assert backtest_coverage(ets) >= 0.8


def test_auto_alone_brings_its_default_candidates():
    df = make_frame(60)
    result = run_forecast(df, horizon=4, models="auto")
    assert set(result.leaderboard["model"]) == {*AUTO_DEFAULT_CANDIDATES, "auto"}
    with_snaive = run_forecast(df, horizon=4, models="snaive,auto", backtest_windows=1)
    assert with_snaive.auto["candidates"] == list(AUTO_DEFAULT_CANDIDATES)


def test_without_auto_each_series_gets_its_own_backtest_winner():
    df = make_frame(60, series=2)
    result = run_forecast(df, horizon=6, models="naive,snaive")
    assert result.recommended["model"] == "snaive"  # seasonal data
    assert result.recommended["reason"].startswith("lowest mean MASE")
    per = result.series_scores.sort_values("mase").groupby("unique_id")["model"].first()
    assert result.recommended["per_series"] == per.to_dict() == {"s0": "snaive", "s1": "snaive"}
    for uid, reason in result.recommended["reasons"].items():
        mase = result.series_scores.set_index(["model", "unique_id"]).loc[("snaive", uid), "mase"]
        assert reason.startswith(f"MASE {mase:.3f} on this series")


def test_mstl_with_a_list_of_seasons_is_checked_at_its_longest_season():
    # season_length of MSTL is a list; the residual check once did int(list) and aborted the run
    df = make_frame(96)
    result = run_forecast(
        df,
        horizon=6,
        models=["snaive", "mstl"],
        model_params={"mstl": {"season_length": [6, 12]}},
        backtest_windows=1,
    )
    board = result.leaderboard.set_index("model")
    assert board.loc["mstl", "error"] is None or pd.isna(board.loc["mstl", "error"])
    check = result.residual_checks["mstl"]
    # the reported ACF reaches two cycles of the longest season (2 x 12), not of the first (2 x 6)
    assert max(check["lags"]) == 24
    assert isinstance(board.loc["mstl", "residual_verdict"], str)
    assert board.loc["mstl", "residual_verdict"] != ""
