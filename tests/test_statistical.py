"""ETS, the Theta models, CES and MSTL (statsforecast engines) under the estimator contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import DataError, SpecError
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS, RESIDUAL_COLUMNS
from forecast.models.statistical.smoothing import season_lengths

STAT_MODELS = ["ets", "theta", "stheta", "dotheta", "ces", "mstl"]


def seasonal_frame(n: int = 72, uid: str = "a", seed: int = 0, freq: str = "MS") -> pd.DataFrame:
    """Trend + monthly season + N(0, 1) noise."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range("2000-01-01", periods=n, freq=freq), "y": y}
    )


@pytest.mark.parametrize("name", STAT_MODELS)
def test_forecasts_follow_the_contract_and_the_pattern(name):
    full = seasonal_frame(84)
    train, test = full.iloc[:72], full.iloc[72:]
    model = make_model(name).fit(train)
    fc = model.predict(12, level=90)
    assert list(fc.columns) == FORECAST_COLUMNS
    assert (fc["model"] == name).all()
    assert fc["ds"].tolist() == test["ds"].tolist()
    assert (fc["lo"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["hi"]).all()
    mae = np.mean(np.abs(fc["yhat"].to_numpy() - test["y"].to_numpy()))
    assert mae < 3.0  # noise sd is 1; seasonal naive is off by 6 (one year of trend)
    assert list(model.residuals_.columns) == RESIDUAL_COLUMNS
    assert len(model.residuals_) == 72
    assert np.nanstd(model.residuals_["resid"]) < 2.5
    assert model.n_params_ == {"a": 0}
    assert isinstance(model.detail_, str) and model.detail_


@pytest.mark.parametrize("name", STAT_MODELS)
def test_several_series_and_a_short_one(name):
    df = pd.concat([seasonal_frame(60, "long"), seasonal_frame(8, "short", seed=1)])
    fc = make_model(name).fit(df).predict(4)
    assert fc.groupby("unique_id").size().to_dict() == {"long": 4, "short": 4}
    assert np.isfinite(fc["yhat"]).all()


def test_stheta_is_statsforecasts_standard_theta():
    # the peer of benchmarks/single_series.py: the same point forecasts, the same model
    from statsforecast.models import Theta

    df = seasonal_frame(72)
    ours = make_model("stheta").fit(df).predict(6)["yhat"].to_numpy()
    theirs = Theta(season_length=12).forecast(df["y"].to_numpy(), h=6)["mean"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_wider_level_gives_wider_intervals():
    model = make_model("ets").fit(seasonal_frame())
    narrow, wide = model.predict(6, level=50), model.predict(6, level=95)
    assert ((wide["hi"] - wide["lo"]) > (narrow["hi"] - narrow["lo"])).all()


def test_predict_before_fit_and_bad_input():
    with pytest.raises(SpecError, match="not fitted"):
        make_model("theta").predict(3)
    with pytest.raises(SpecError, match="Bad parameters"):
        make_model("ets", order=3)
    with pytest.raises(DataError, match="at least 3"):
        make_model("ces").fit(seasonal_frame(2))
    with pytest.raises(SpecError, match="season lengths"):
        make_model("mstl", season_length=[0, 7]).fit(seasonal_frame())


def test_mstl_uses_every_period_the_frequency_implies():
    assert season_lengths("h") == [24, 168]
    assert season_lengths("D") == [7, 365]
    assert season_lengths("30min") == [48, 336]
    assert season_lengths("MS") == [12]
    n = 24 * 7 * 3
    t = np.arange(n)
    y = 10 + np.sin(2 * np.pi * t / 24) + 2 * np.sin(2 * np.pi * t / 168)
    df = pd.DataFrame(
        {"unique_id": "h", "ds": pd.date_range("2024-01-01", periods=n, freq="h"), "y": y}
    )
    model = make_model("mstl").fit(df)
    assert model.detail_ == "MSTL[24, 168] + ETS"
    fc = model.predict(24)
    truth = 10 + np.sin(2 * np.pi * (n + np.arange(24)) / 24)
    truth += 2 * np.sin(2 * np.pi * (n + np.arange(24)) / 168)
    assert np.max(np.abs(fc["yhat"].to_numpy() - truth)) < 0.2
