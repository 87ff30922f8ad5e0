"""Echo State Network forecaster (forecast.models.neural.esn)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame
from test_recurrent import _check_forecast, seasonal_ar

from forecast.errors import Cancelled, DataError, SpecError
from forecast.models import make_model
from forecast.models.neural.esn import ESN
from forecast.models.neural.recurrent import LSTM

SMALL = {"reservoir_size": 40, "threads": 1}


def test_fits_seasonal_trending_and_multi_series():
    for df in (
        make_frame(96, trend=0.0),
        make_frame(80, trend=2.0, noise=0.5),
        make_frame(72, series=3),
    ):
        model = make_model("esn", horizon=6, **SMALL).fit(df)
        _check_forecast(model.predict(6), df, 6, "esn")
        resid = model.residuals_
        assert resid["resid"].notna().sum() == len(df) - model.input_size_ * df.unique_id.nunique()
        # in-sample one-step residuals are small next to the seasonal swing (amplitude 10)
        assert resid["resid"].abs().mean() < 3.0
        assert model.alpha_ in (0.01, 0.1, 1.0, 10.0, 100.0)


def test_reservoir_has_the_requested_spectral_radius_and_density():
    model = ESN(reservoir_size=60, spectral_radius=0.7, density=0.2)
    w_in, w, bias = model._random_reservoir(0)
    assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(0.7, rel=1e-4)
    assert 0.1 < np.mean(w != 0) < 0.3
    assert w_in.shape == bias.shape == (60,)


def test_beats_seasonal_naive_on_a_seasonal_ar_process():
    h = 6
    errors, naive = [], []
    for seed in range(2):
        df = seasonal_ar(seed=seed)
        train = df.groupby("unique_id").head(len(df) // 4 - h)
        test = df.groupby("unique_id").tail(h)["y"].to_numpy().reshape(4, h)
        snaive = np.stack([g["y"].to_numpy()[-12 : -12 + h] for _, g in train.groupby("unique_id")])
        yhat = make_model("esn", horizon=h, **SMALL).fit(train).predict(h)["yhat"].to_numpy()
        errors.append(np.abs(test - yhat.reshape(4, h)).mean())
        naive.append(np.abs(test - snaive).mean())
    assert np.mean(errors) < 0.9 * np.mean(naive)


def test_same_seed_same_forecast_and_save_load_is_exact(tmp_path):
    df = make_frame(60, series=2)
    model = make_model("esn", horizon=4, seed=3, n_seeds=3, **SMALL).fit(df)
    fc = model.predict(4)
    pd.testing.assert_frame_equal(
        make_model("esn", horizon=4, seed=3, n_seeds=3, **SMALL).fit(df).predict(4), fc
    )
    other = make_model("esn", horizon=4, seed=4, **SMALL).fit(df).predict(4)
    assert not np.array_equal(other["yhat"], fc["yhat"])
    model.save(tmp_path / "esn")
    loaded = ESN.load(tmp_path / "esn")
    pd.testing.assert_frame_equal(loaded.predict(4), fc, check_exact=True)
    pd.testing.assert_frame_equal(
        loaded.predict(10, level=95), model.predict(10, level=95), check_exact=True
    )
    with pytest.raises(DataError, match="'esn'"):
        LSTM.load(tmp_path / "esn")


def test_bad_parameters_and_data():
    df = make_frame(40)
    with pytest.raises(SpecError, match="spectral_radius"):
        make_model("esn", spectral_radius=1.2).fit(df)
    with pytest.raises(SpecError, match="leak"):
        make_model("esn", leak=0).fit(df)
    with pytest.raises(SpecError, match="input_size <= 34"):
        make_model("esn", horizon=6, input_size=50).fit(df)
    gappy = df.copy()
    gappy.loc[3, "y"] = np.nan
    with pytest.raises(DataError, match="missing"):
        make_model("esn", horizon=3).fit(gappy)
    with pytest.raises(Cancelled):
        make_model("esn", horizon=3, **SMALL).fit(df, should_stop=lambda: True)


def test_options_it_does_not_use_are_refused_and_progress_is_reported():
    df = make_frame(60)
    for option in ({"epochs": 99}, {"device": "cpu"}):
        with pytest.raises(SpecError, match=f"esn does not take {next(iter(option))}"):
            make_model("esn", horizon=3, **option)
    seen = []
    make_model("esn", horizon=3, **SMALL).fit(df, progress=lambda *a: seen.append(a))
    assert [s[:2] for s in seen] == [(1, 2), (2, 2)]  # fit, then refit on every window
