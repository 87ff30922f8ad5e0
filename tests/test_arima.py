"""AutoARIMA: order recovery on simulated processes, fixed orders, fallbacks, intervals.

Measured order-recovery rate (statsforecast engine, n = 150, 20 draws per process, seed 0):
AR(1) φ=0.7 50%, MA(1) θ=0.7 80%, random walk 70%, ARIMA(0,1,1) θ=0.6 70% — 68% overall
(misses are neighbouring orders such as (2,0,0) or (1,0,1) for the AR(1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.errors import SpecError
from forecast.models import make_model
from forecast.models.statistical import arima as arima_module
from forecast.models.statistical.arima import AutoARIMA, arima_label


def _simulate(kind: str, n: int, rng) -> np.ndarray:
    e = rng.normal(size=n + 50)
    x = np.zeros(n + 50)
    for t in range(1, n + 50):
        if kind == "ar1":
            x[t] = 0.7 * x[t - 1] + e[t]
        elif kind == "ma1":
            x[t] = e[t] + 0.7 * e[t - 1]
        elif kind == "rw":
            x[t] = x[t - 1] + e[t]
        else:  # ARIMA(0,1,1)
            x[t] = x[t - 1] + e[t] + 0.6 * e[t - 1]
    return x[50:] + 10


def _frame(y, freq="YS"):
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("1900-01-01", periods=len(y), freq=freq), "y": y}
    )
    df.attrs["freq"] = freq
    return df


@pytest.mark.slow
def test_recovers_the_order_of_simulated_processes_often_enough():
    target = {"ar1": (1, 0, 0), "ma1": (0, 0, 1), "rw": (0, 1, 0), "ima": (0, 1, 1)}
    rng = np.random.default_rng(0)
    hits = {kind: 0 for kind in target}
    draws = 8
    for kind, order in target.items():
        for _ in range(draws):
            model = AutoARIMA().fit(_frame(_simulate(kind, 150, rng)))
            hits[kind] += model.fits_["a"].order == order
    rate = sum(hits.values()) / (draws * len(target))
    assert rate >= 0.5, hits
    assert all(count >= 2 for count in hits.values()), hits


def test_seasonal_fit_string_residuals_and_intervals():
    df = make_frame(72, series=2)
    model = make_model("arima").fit(df)
    assert model.name == "arima"
    for uid, label in model.model_strings_.items():
        assert label.startswith("ARIMA(") and "[12]" in label
        order, seasonal = model.fits_[uid].order, model.fits_[uid].seasonal_order
        assert model.n_params_[uid] == order[0] + order[2] + seasonal[0] + seasonal[2]
    assert len(model.residuals_) == len(df)
    fc80 = model.predict(6, level=80)
    fc95 = model.predict(6, level=95)
    assert (fc80["lo"] < fc80["yhat"]).all() and (fc80["yhat"] < fc80["hi"]).all()
    assert ((fc95["hi"] - fc95["lo"]) > (fc80["hi"] - fc80["lo"])).all()
    # a clean seasonal sine: the forecast follows next year's shape
    truth = make_frame(78, series=2, noise=0.0)
    future = truth.groupby("unique_id").tail(6)["y"].to_numpy()
    assert np.mean(np.abs(fc80["yhat"].to_numpy() - future)) < 3.0


def test_fixed_order_uses_statsmodels_and_labels_it():
    model = AutoARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1)).fit(make_frame(60))
    assert model.model_strings_["s0"] == "ARIMA(0,1,1)(0,1,1)[12]"
    assert model.n_params_["s0"] == 2
    resid = model.residuals_["resid"].to_numpy()
    assert np.isnan(resid[:13]).all() and np.isfinite(resid[13:]).all()
    assert arima_label((1, 0, 0), constant=True) == "ARIMA(1,0,0) with mean"
    assert arima_label((0, 1, 1), constant=True) == "ARIMA(0,1,1) with drift"


def test_engine_failure_falls_back_to_a_simpler_order_and_says_so(monkeypatch):
    def broken(y, m, **kwargs):
        raise RuntimeError("no convergence")

    monkeypatch.setattr(arima_module.StatsforecastFit, "fit", broken)
    model = AutoARIMA().fit(make_frame(60))
    assert model.model_strings_["s0"] == "ARIMA(0,1,1)(0,1,1)[12]"
    assert "fell back" in model.notes_["s0"] and "no convergence" in model.notes_["s0"]
    assert "fell back" in model.detail_
    assert len(model.predict(3)) == 3


def test_short_series_fit_without_season_and_statsmodels_engine():
    short = AutoARIMA().fit(make_frame(16))
    assert "[12]" not in short.model_strings_["s0"]
    y = _simulate("ar1", 80, np.random.default_rng(1))
    sm = AutoARIMA(engine="statsmodels").fit(_frame(y))
    assert sm.fits_["a"].order[1] == 0  # KPSS: stationary
    assert sm.model_strings_["a"].startswith("ARIMA(")
    assert len(sm.predict(4)) == 4


def test_bad_parameters_are_spec_errors():
    df = make_frame(30)
    with pytest.raises(SpecError):
        AutoARIMA(engine="R").fit(df)
    with pytest.raises(SpecError):
        AutoARIMA(order=(1, 1)).fit(df)
    with pytest.raises(SpecError):
        AutoARIMA(seasonal_order=(0, 1, 1)).fit(df)
    with pytest.raises(SpecError):
        AutoARIMA().predict(3)


@pytest.mark.parametrize("params", [{}, {"order": (1, 1, 0), "seasonal_order": (0, 1, 1)}])
def test_save_and_load_forecast_exactly_the_same(tmp_path, params):
    model = AutoARIMA(**params).fit(make_frame(60, series=2))
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "weights.safetensors",
    ]
    loaded = AutoARIMA.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.predict(7, level=90), loaded.predict(7, level=90))
    pd.testing.assert_frame_equal(model.residuals_, loaded.residuals_)
    assert loaded.model_strings_ == model.model_strings_ and loaded.n_params_ == model.n_params_


def test_load_rejects_other_folders(tmp_path):
    from forecast.errors import DataError

    with pytest.raises(DataError, match="not a saved model"):
        AutoARIMA.load(tmp_path)


def test_long_seasons_use_stl_plus_arima_and_round_trip(tmp_path):
    df = make_frame(160, freq="W-SUN", season=52)
    model = AutoARIMA().fit(df)
    label = model.model_strings_["s0"]
    assert label.startswith("STL[52] + ARIMA(") and model.fits_["s0"].seasonal_order == (0, 0, 0)
    fc = model.predict(52)
    truth = make_frame(212, freq="W-SUN", season=52, noise=0.0)["y"].to_numpy()[160:]
    assert np.mean(np.abs(fc["yhat"].to_numpy() - truth)) < 4.0  # the yearly wave is kept
    model.save(tmp_path / "w")
    pd.testing.assert_frame_equal(AutoARIMA.load(tmp_path / "w").predict(10), model.predict(10))


def test_the_search_differences_by_the_diagnostics_rules():
    from forecast import diagnostics
    from forecast.models.statistical import arima_search

    assert arima_search.ndiffs is diagnostics.ndiffs
    assert arima_search.nsdiffs is diagnostics.nsdiffs
    walk = np.cumsum(np.random.default_rng(1).normal(size=120))
    assert arima_search.stepwise_search(walk, 1, max_models=6).order[1] == 1
