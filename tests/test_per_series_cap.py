"""The history cap of the per-series statistical models: a long series is fitted on its last
points only, the residuals keep the history's shape, short series (every M3 series) are
untouched, and model files and the pool forecast what the fit did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame, make_frame

from forecast.errors import SpecError
from forecast.models import make_model
from forecast.models.base import Forecaster
from forecast.models.per_series import (
    CAP_POINTS,
    CAP_SEASONS,
    DRIVERS_CAP_POINTS,
    history_cap,
)
from forecast.run.workers import local_pool

CAPPED = ("ets", "arima")
#: Models capped by default, with their caps at m = 12 and m = 48.
DEFAULT_CAPS = {"ets": (480, 1920), "arima": (240, 960), "stheta": (240, 960)}


def _long(n: int, seed: int = 0) -> pd.DataFrame:
    """One monthly series of ``n`` points whose trend bends, so its start and end differ."""
    df = make_frame(n, seed=seed, trend=0.3)
    t = np.arange(n)
    df["y"] = df["y"] + 0.002 * (t - n / 2) ** 2
    return df


def test_the_default_cap_keeps_every_m3_series_whole():
    # M3's longest series has 144 points (monthly, m = 12; quarterly 72, yearly 47)
    for m in (1, 4, 12):
        assert history_cap("auto", m) > 144
    assert history_cap("auto", 12) == max(CAP_POINTS, CAP_SEASONS * 12)
    assert history_cap("auto", 48) == max(CAP_POINTS, CAP_SEASONS * 48)
    assert history_cap(None, 12) is None
    assert history_cap(300, 12) == 300


def test_the_default_models_declare_their_caps_and_the_others_fit_everything():
    for name, (monthly, half_hourly) in DEFAULT_CAPS.items():
        model = make_model(name)
        assert model.max_history == "auto"
        assert (model._cap(12), model._cap(48)) == (monthly, half_hourly)
    for name in ("theta", "dotheta", "ces", "mstl", "snaive"):
        assert make_model(name)._cap(12) is None


@pytest.mark.parametrize("name", [*CAPPED, "stheta"])
def test_a_series_under_the_cap_is_fitted_as_without_it(name):
    df = _long(144)
    capped = make_model(name).fit(df).predict(12)
    whole = make_model(name, max_history=None).fit(df).predict(12)
    pd.testing.assert_frame_equal(capped, whole, check_exact=True)


@pytest.mark.parametrize(("name", "cap"), [("ets", "auto"), ("arima", 120), ("stheta", 120)])
def test_a_long_series_is_fitted_on_its_last_points(name, cap):
    df = _long(history_cap(cap, 12) + 150)
    model = make_model(name, max_history=cap).fit(df)
    cap = history_cap(cap, 12)
    tail = df.tail(cap).reset_index(drop=True)
    tail.attrs["freq"] = "MS"
    alone = make_model(name, max_history=None).fit(tail)
    pd.testing.assert_frame_equal(model.predict(12), alone.predict(12), check_exact=True)
    # the residuals cover the whole history: NaN before the fitted stretch
    resid = model.residuals_["resid"].to_numpy()
    assert len(resid) == len(df)
    assert np.isnan(resid[:150]).all()
    np.testing.assert_array_equal(resid[150:], alone.residuals_["resid"].to_numpy())
    # and the cap changes the forecast of this series (its start bends the other way)
    whole = make_model(name, max_history=None).fit(df).predict(12)
    assert not np.allclose(whole["yhat"], model.predict(12)["yhat"])


@pytest.mark.parametrize("name", CAPPED)
def test_a_capped_model_file_forecasts_what_the_fit_did(name, tmp_path):
    df = _long(180)
    model = make_model(name, max_history=120).fit(df)
    model.save(tmp_path / name)
    loaded = Forecaster.load(tmp_path / name)
    pd.testing.assert_frame_equal(loaded.predict(12), model.predict(12), check_exact=True)
    pd.testing.assert_frame_equal(loaded.residuals_, model.residuals_)


def test_a_model_file_without_max_history_loads_uncapped(tmp_path):
    import json

    df = _long(history_cap("auto", 12) + 60)
    model = make_model("ets", max_history=None).fit(df)
    assert not make_model("ets").fit(df).predict(12)["yhat"].equals(model.predict(12)["yhat"])
    model.save(tmp_path / "ets")
    config = json.loads((tmp_path / "ets" / "config.json").read_text())
    del config["params"]["max_history"]  # as a file written before the cap
    (tmp_path / "ets" / "config.json").write_text(json.dumps(config))
    loaded = Forecaster.load(tmp_path / "ets")
    assert loaded.max_history is None
    pd.testing.assert_frame_equal(loaded.predict(12), model.predict(12), check_exact=True)


def test_with_drivers_the_fits_see_the_last_points_and_the_pool_gives_the_same():
    history, future, _actuals = make_driver_frame(140, h=6, series=2)
    with local_pool(2) as pool:
        for name in CAPPED:
            capped = make_model(name, max_history=60).fit(history)
            fanned = make_model(name, max_history=60).fit(history, executor=pool)
            yhat = capped.predict(6, X_future=future)
            pd.testing.assert_frame_equal(
                yhat, fanned.predict(6, X_future=future), check_exact=True
            )
            resid = capped.residuals_.groupby("unique_id")["resid"]
            assert resid.apply(lambda r: int(r.iloc[:80].isna().sum())).tolist() == [80, 80]
            whole = make_model(name, max_history=None).fit(history)
            assert not np.allclose(whole.predict(6, X_future=future)["yhat"], yhat["yhat"])
        assert pool.started


def test_with_drivers_the_automatic_cap_keeps_at_least_the_drivers_floor():
    # 400 monthly points: over ets' and arima's caps (480 / 240 at m = 12 for arima), under
    # the floor a regression on drivers keeps
    history, future, _actuals = make_driver_frame(400, h=6, series=1)
    assert 240 < len(history) < DRIVERS_CAP_POINTS
    capped = make_model("arima").fit(history)
    whole = make_model("arima", max_history=None).fit(history)
    assert not capped.residuals_["resid"].iloc[:150].isna().all()
    pd.testing.assert_frame_equal(
        capped.predict(6, X_future=future), whole.predict(6, X_future=future), check_exact=True
    )
    # without the drivers the same series is capped at 240 points
    plain = make_model("arima").fit(history[["unique_id", "ds", "y"]])
    assert plain.residuals_["resid"].isna().sum() >= len(history) - 240


@pytest.mark.parametrize("bad", [0, 10, -5, 2.5, "all", True])
def test_a_bad_cap_is_refused_before_any_fit(bad):
    with pytest.raises(SpecError, match="max_history"):
        make_model("ets", max_history=bad).fit(_long(60))
