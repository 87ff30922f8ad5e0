"""``arima`` with known drivers: a regression with ARIMA errors (statsforecast's AutoARIMA with
``X``, the orders searched with the regressors in), saved and loaded exactly, re-estimated with
its drivers, refusing a missing future, and the dynamic regression where that cannot be fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame

from forecast.errors import DataError
from forecast.models.base import Forecaster
from forecast.models.statistical.arima import AutoARIMA

H = 6


def _frames(series=2, n=72, seed=0):
    return make_driver_frame(n, H, series=series, seed=seed)


def test_drivers_enter_the_search_as_statsforecast_does_with_x():
    from statsforecast.models import AutoARIMA as SF

    history, future, _ = _frames(series=1)
    model = AutoARIMA().fit(history)
    fit = model.fits_["s0"]
    assert fit.takes_drivers and model.model_strings_["s0"].startswith("Regression with")
    fc = model.predict(H, X_future=future)
    X = history[["x", "flag"]].to_numpy(float)
    Xf = future[["x", "flag"]].to_numpy(float)
    peer = SF(season_length=12).forecast(history["y"].to_numpy(float), H, X=X, X_future=Xf)
    np.testing.assert_allclose(fc["yhat"].to_numpy(), peer["mean"], rtol=1e-9)
    effects = model.effects().set_index("driver")["coef"]
    np.testing.assert_allclose(effects["x"], 5.0, atol=0.5)
    np.testing.assert_allclose(effects["flag"], 3.0, atol=1.0)


def test_a_saved_model_forecasts_the_same_and_refuses_a_missing_future(tmp_path):
    history, future, _ = _frames()
    model = AutoARIMA().fit(history)
    assert all(f.takes_drivers for f in model.fits_.values())
    fc = model.predict(H, level=90, X_future=future)
    model.save(tmp_path / "arima")
    loaded = Forecaster.load(tmp_path / "arima")
    assert all(f.takes_drivers for f in loaded.fits_.values())
    pd.testing.assert_frame_equal(loaded.predict(H, level=90, X_future=future), fc)
    pd.testing.assert_frame_equal(loaded.effects(), model.effects())
    with pytest.raises(DataError, match="known-in-advance drivers x, flag"):
        loaded.predict(H)
    short = future.groupby("unique_id").head(H - 2)
    with pytest.raises(DataError, match=f"step {H - 1} of {H}"):
        loaded.predict(H, X_future=short)


def test_refit_keeps_the_orders_and_re_estimates_with_the_drivers():
    history, future, actuals = _frames(n=90)
    early = history.groupby("unique_id").head(70).reset_index(drop=True)
    early.attrs["freq"] = "MS"
    first = AutoARIMA().fit(early)
    again = first.refit(history)
    for uid, fit in again.fits_.items():
        assert fit.takes_drivers
        assert fit.order == first.fits_[uid].order
        assert fit.seasonal_order == first.fits_[uid].seasonal_order
    fc = again.predict(H, X_future=future)
    err = np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy()).mean()
    assert err < 2.0  # the effect of x (5 per unit, sd 1) is forecast, not left as noise
    same = first.forecast_from(history, H, X_future=future)
    np.testing.assert_allclose(same["yhat"], fc["yhat"], rtol=1e-9)


def test_collinear_drivers_take_the_dynamic_regression_and_still_forecast():
    history, future, actuals = _frames(series=1)
    history["flag"], future["flag"] = history["x"], future["x"]  # statsforecast: rank deficient
    model = AutoARIMA().fit(history)
    assert not getattr(model.fits_["s0"], "takes_drivers", False)
    assert model.model_strings_["s0"].startswith("regression + ")
    fc = model.predict(H, X_future=future)
    err = np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy()).mean()
    assert err < 4.0  # x's effect still forecast (the flag's 3 units are now unexplained)
    assert list(model.effects()["driver"]) == ["x", "flag"]


def test_fixed_orders_keep_the_dynamic_regression():
    history, future, _ = _frames(series=1, n=60)
    model = AutoARIMA(order=(1, 1, 0)).fit(history)
    assert not getattr(model.fits_["s0"], "takes_drivers", False)
    assert model.model_strings_["s0"].startswith("regression + ")
    assert np.isfinite(model.predict(H, X_future=future)["yhat"]).all()
