"""The per-series base: one loop, fan-out over processes with the same forecasts, the
specification searched once and re-estimated, capabilities read by the backtest, model files
re-applied with their specification."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame
from typer.testing import CliRunner

from forecast.cli import app
from forecast.errors import DataError, SpecError
from forecast.models.fan_out import fit_many
from forecast.models.registry import model_table
from forecast.models.saved import apply_saved, open_saved
from forecast.models.statistical.arima import AutoARIMA
from forecast.models.statistical.naive import SeasonalNaive
from forecast.models.statistical.smoothing import AutoETS
from forecast.run.backtest import SEARCH_MODES, backtest
from forecast.run.pipeline import run_forecast
from forecast.run.workers import check_workers, local_pool


def _seasonal_series(n_series: int, n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Series that differ in level, trend and noise (so their fits differ)."""
    frames = []
    for k in range(n_series):
        part = make_frame(n, seed=seed + k, trend=0.2 * k, noise=1.0 + k / 2)
        part["unique_id"] = f"s{k}"
        frames.append(part)
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


def test_stl_adjusted_arima_is_reapplied_with_its_season(tmp_path):
    """A saved STL[52] + ARIMA fit, re-applied to a file, keeps its yearly wave (the old guard
    on a class name that no longer existed re-applied the inner ARIMA without the season)."""
    df = make_frame(160, freq="W-SUN", season=52)
    model = AutoARIMA().fit(df)
    assert model.model_strings_["s0"].startswith("STL[52] + ARIMA(")
    model.save(tmp_path / "arima")
    loaded = open_saved(tmp_path / "arima")["arima"]
    again = apply_saved(loaded, df, 52)
    truth = make_frame(212, freq="W-SUN", season=52, noise=0.0)["y"].to_numpy()[160:]
    assert np.mean(np.abs(again["yhat"].to_numpy() - truth)) < 4.0  # the season is back
    np.testing.assert_allclose(again["yhat"], model.predict(52)["yhat"], rtol=1e-3)


def test_a_new_series_takes_the_one_specification_or_is_refused():
    model = AutoARIMA().fit(make_frame(60))
    other = make_frame(60, seed=3)
    other["unique_id"] = "elsewhere"
    fc = model.forecast_from(other, 4)
    assert list(fc["unique_id"].unique()) == ["elsewhere"] and len(fc) == 4
    two = AutoARIMA().fit(_seasonal_series(2))
    with pytest.raises(SpecError, match="holds none for series 'elsewhere'"):
        two.forecast_from(other, 4)


def test_refit_keeps_each_series_specification_and_reestimates_it():
    full = _seasonal_series(3, n=72)
    early = full.groupby("unique_id").head(48).reset_index(drop=True)
    early.attrs["freq"] = "MS"
    for klass in (AutoARIMA, AutoETS):
        first = klass().fit(early)
        again = first.refit(full)
        assert again is not first and first.last_ds_["s0"] < again.last_ds_["s0"]
        for uid in first.fits_:
            if klass is AutoARIMA:
                f0, f1 = first.fits_[uid], again.fits_[uid]
                assert (f0.order, f0.seasonal_order) == (f1.order, f1.seasonal_order)
            else:
                assert first.model_strings_[uid] == again.model_strings_[uid]
        # re-estimated on the longer history: other forecasts than the first fit's
        assert not np.allclose(first.predict(6)["yhat"], again.predict(6)["yhat"])


class _Counting(AutoARIMA):
    """ARIMA that counts its searches and re-estimations (in this process)."""

    calls: ClassVar[list] = []

    def fit_one(self, y, m):
        _Counting.calls.append(("search", len(y)))
        return super().fit_one(y, m)

    def refit_one(self, prior, y, m):
        _Counting.calls.append(("refit", len(y)))
        return super().refit_one(prior, y, m)


@pytest.mark.parametrize("search", ["once", "twice", "every"])
def test_the_backtest_searches_once_on_the_oldest_window(search):
    df = _seasonal_series(2, n=60)
    _Counting.calls = []
    first: dict = {}
    bt = backtest({"arima": _Counting}, df, h=6, n_windows=3, search=search, first_fits=first)
    searches = [n for kind, n in _Counting.calls if kind == "search"]
    refits = [n for kind, n in _Counting.calls if kind == "refit"]
    if search != "every":
        assert searches == [42, 42] and sorted(refits) == [48, 48, 54, 54]
        assert first["arima"].last_ds_["s0"] == bt[bt["window"] == 0]["cutoff"].iloc[0]
    else:
        assert sorted(searches) == [42, 42, 48, 48, 54, 54] and refits == [] and first == {}
    assert sorted(bt["window"].unique()) == [0, 1, 2] and len(bt) == 3 * 2 * 6


def test_the_run_refits_the_oldest_origins_specification_or_searches_again():
    df = _seasonal_series(2, n=60)
    runs = {s: run_forecast(df, horizon=6, models="arima,ets", search=s) for s in SEARCH_MODES}
    for name in ("arima", "ets"):
        future = {s: r.forecasts[r.forecasts["model"] == name] for s, r in runs.items()}
        # twice: the future from a search on the whole history, as every
        np.testing.assert_array_equal(future["twice"]["yhat"], future["every"]["yhat"])
        # once and twice share the backtest; every searched again at the later origins
        bt = {s: r.backtest_forecasts for s, r in runs.items()}
        np.testing.assert_array_equal(bt["once"]["yhat"], bt["twice"]["yhat"])
    once = runs["once"].fitted["arima"]
    assert once.last_ds_ == runs["every"].fitted["arima"].last_ds_  # fitted on everything


def test_workers_give_the_same_forecasts_bit_for_bit_and_count_series():
    df = _seasonal_series(4, n=60)
    models = "snaive,arima,ets,theta"
    plain = run_forecast(df, horizon=6, models=models)
    steps = []
    with local_pool(2) as pool:
        fanned = run_forecast(
            df, horizon=6, models=models, executor=pool, progress=lambda s, t, m: steps.append(m)
        )
        assert pool.started  # the work really went to the worker processes
    pd.testing.assert_frame_equal(plain.forecasts, fanned.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(
        plain.backtest_forecasts, fanned.backtest_forecasts, check_exact=True
    )
    assert fanned.fitted["arima"].model_strings_ == plain.fitted["arima"].model_strings_
    # progress still names every series as its fit comes back from a worker
    assert {f"s{k}" for k in range(4)} <= {
        m.split(": ")[-2].split()[-1] for m in steps if ": " in m
    }


def test_one_series_and_the_baselines_never_start_the_pool():
    with local_pool(2) as pool:
        run_forecast(make_frame(60), horizon=6, models="snaive,arima", executor=pool)  # 1 series
        run_forecast(_seasonal_series(3), horizon=6, models="naive,snaive,drift", executor=pool)
        assert not pool.started


def test_cli_workers_2_writes_the_same_files_as_workers_1(tmp_path):
    path = tmp_path / "four.csv"
    _seasonal_series(4, n=48).rename(columns={"unique_id": "id"}).to_csv(path, index=False)
    runner = CliRunner()
    written = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        args = ["run", str(path), "--horizon", "6", "--models", "snaive,arima,ets"]
        result = runner.invoke(app, [*args, "--workers", str(workers), "--out", str(out)])
        assert result.exit_code == 0, result.output
        written[workers] = {
            name: (out / name).read_bytes() for name in ("forecasts.csv", "backtest.csv")
        }
    assert written[1] == written[2]


def test_bad_workers_and_search_are_refused_with_exit_2(tmp_path):
    path = tmp_path / "one.csv"
    make_frame(48).drop(columns="unique_id").to_csv(path, index=False)
    runner = CliRunner()
    for option in (["--workers", "0"], ["--search", "sometimes"]):
        result = runner.invoke(app, ["run", str(path), "--horizon", "6", *option])
        assert result.exit_code == 2 and result.stderr.startswith("error: "), result.output
    assert not (tmp_path / "forecast-run").exists()
    with pytest.raises(SpecError, match="whole number >= 1"):
        check_workers(0)
    assert check_workers(None) >= 1


class _NeedsThirty(SeasonalNaive):
    name = "snaive"
    min_length = 30


def test_the_backtest_asks_the_model_its_minimum_length():
    df = make_frame(40)
    with pytest.raises(DataError, match="need at least 48"):  # 6 + 2 * 6 + 30
        backtest({"long": _NeedsThirty}, df, h=6, n_windows=3)
    assert len(backtest({"snaive": SeasonalNaive}, df, h=6, n_windows=3)) == 18
    with pytest.raises(DataError, match="at least 30"):
        _NeedsThirty().fit(make_frame(20))


def test_capabilities_are_declared_on_the_classes_and_listed_by_the_registry():
    rows = {row["name"]: row for row in model_table()}
    assert rows["arima"]["min_length"] == 4 and rows["arima"]["searches"]
    assert rows["ets"]["searches"] and not rows["theta"]["searches"]
    assert rows["snaive"]["reapplies"] and not rows["hybrid"]["reapplies"]
    assert rows["arima"]["drivers"] == ["known"] and rows["ets"]["drivers"] == ["known"]
    assert rows["snaive"]["drivers"] == [] and rows["hybrid"]["drivers"] == []
    assert all(set(row["drivers"]) <= {"known", "observed"} for row in rows.values())


def test_fit_many_fits_several_frames_like_fit_one_by_one():
    a, b = _seasonal_series(2, n=48), _seasonal_series(2, n=60, seed=5)
    together = fit_many([(AutoETS(), a, None), (AutoETS(), b, None)], None)
    for model, frame in zip(together, (a, b), strict=True):
        alone = AutoETS().fit(frame)
        pd.testing.assert_frame_equal(model.predict(4), alone.predict(4), check_exact=True)
