"""Naive, seasonal naive and drift: point forecasts, interval widths, residuals, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.errors import Cancelled, SpecError
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS
from forecast.models.statistical.naive import Drift, Naive, SeasonalNaive, normal_quantile


def _frame(y, freq="MS"):
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=len(y), freq=freq), "y": y}
    )
    df.attrs["freq"] = freq
    return df


def test_naive_forecast_and_interval_by_hand():
    y = np.array([1.0, 3.0, 2.0, 5.0])
    fc = Naive().fit(_frame(y)).predict(3, level=95)
    sigma = np.sqrt(np.mean(np.diff(y) ** 2))  # residuals 2, -1, 3
    z = 1.959964
    assert list(fc.columns) == FORECAST_COLUMNS
    np.testing.assert_allclose(fc["yhat"], 5.0)
    np.testing.assert_allclose(fc["hi"] - fc["yhat"], z * sigma * np.sqrt([1, 2, 3]), rtol=1e-5)
    assert list(fc["ds"]) == list(pd.date_range("2000-05-01", periods=3, freq="MS"))


def test_seasonal_naive_repeats_last_season_and_widens_per_season():
    y = np.arange(1.0, 9.0)  # season 4: residuals y_t - y_{t-4} = 4
    model = SeasonalNaive(season_length=4).fit(_frame(y, "QS-JAN"))
    fc = model.predict(6, level=80)
    np.testing.assert_allclose(fc["yhat"], [5, 6, 7, 8, 5, 6])
    resid = model.residuals_["resid"].to_numpy()
    assert np.isnan(resid[:4]).all() and np.allclose(resid[4:], 4.0)
    half = (fc["hi"] - fc["yhat"]).to_numpy()
    np.testing.assert_allclose(half, normal_quantile(80) * 4.0 * np.sqrt([1, 1, 1, 1, 2, 2]))


def test_seasonal_naive_season_from_frequency_and_short_fallback():
    model = SeasonalNaive().fit(make_frame(30))
    assert model.m_["s0"] == 12
    short = SeasonalNaive().fit(make_frame(10))  # not longer than one season: naive
    assert short.m_["s0"] == 1
    assert np.allclose(short.predict(2)["yhat"], make_frame(10)["y"].iloc[-1])


def test_drift_extends_the_line_through_first_and_last():
    y = np.array([0.0, 1.0, 3.0, 3.0, 4.0])
    model = Drift().fit(_frame(y))
    fc = model.predict(2, level=80)
    np.testing.assert_allclose(fc["yhat"], [5.0, 6.0])
    resid = model.residuals_["resid"].to_numpy()
    np.testing.assert_allclose(resid[1:], np.diff(y) - 1.0)
    sigma = np.sqrt(np.mean((np.diff(y) - 1.0) ** 2))
    se = sigma * np.sqrt(np.array([1, 2]) * (1 + np.array([1, 2]) / 4))
    np.testing.assert_allclose(fc["hi"] - fc["yhat"], normal_quantile(80) * se)


def test_naive_interval_covers_random_walks_at_the_nominal_rate():
    rng = np.random.default_rng(3)
    hits = []
    for _ in range(300):
        y = np.cumsum(rng.normal(size=61))
        fc = Naive().fit(_frame(y[:60])).predict(1, level=80)
        hits.append(fc["lo"].iloc[0] <= y[60] <= fc["hi"].iloc[0])
    assert 0.73 <= np.mean(hits) <= 0.87


def test_many_series_keep_their_order_and_models_are_registered():
    df = make_frame(40, series=3)
    for name in ("naive", "snaive", "drift"):
        model = make_model(name)
        fc = model.fit(df).predict(4)
        assert model.name == name
        assert list(pd.unique(fc["unique_id"])) == ["s0", "s1", "s2"]
        assert len(fc) == 12 and (fc["lo"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["hi"]).all()
        assert model.n_params_ == {"s0": 0, "s1": 0, "s2": 0}
        assert len(model.residuals_) == len(df)


def test_errors_and_cancellation():
    with pytest.raises(SpecError):
        Naive().predict(3)
    model = Naive().fit(make_frame(20))
    with pytest.raises(SpecError):
        model.predict(0)
    with pytest.raises(SpecError):
        model.predict(3, level=120)
    with pytest.raises(SpecError):
        SeasonalNaive(season_length=0).fit(make_frame(20))
    with pytest.raises(Cancelled):
        Naive().fit(make_frame(20), should_stop=lambda: True)
