"""Seasonal components for seasonal adjustment (forecast.calendar.seasonal_adjustment) and their use in windows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_frame

from forecast.calendar.seasonal_adjustment import (
    classical_seasonal,
    is_seasonal,
    seasonal_component,
    seasonal_method,
    stl_seasonal,
)
from forecast.errors import SpecError
from forecast.models import make_model
from forecast.models.neural.windows import SeriesTransform


def _seasonal_series(n=96, m=12, noise=0.3, seed=0):
    rng = np.random.default_rng(seed)
    cycle = np.sin(2 * np.pi * np.arange(m) / m) * 2.0
    cycle -= cycle.mean()
    t = np.arange(n)
    return 10 + 0.05 * t + cycle[t % m] + rng.normal(0, noise, n), cycle


def test_classical_indices_recover_a_known_cycle_around_a_trend():
    y, cycle = _seasonal_series(noise=0.1)
    s = classical_seasonal(y, 12)
    assert s.shape == y.shape
    np.testing.assert_allclose(s[:12], cycle, atol=0.15)
    np.testing.assert_allclose(s[12:24], s[:12])  # one fixed cycle
    assert abs(s[:12].sum()) < 1e-9


def test_seasonality_test_accepts_seasons_and_rejects_noise_trends_and_short_series():
    y, _ = _seasonal_series()
    assert is_seasonal(y, 12)
    rng = np.random.default_rng(3)
    false_alarms = sum(is_seasonal(rng.normal(size=96), 12) for _ in range(200))
    assert false_alarms < 20  # a one-sided 90 % test on |r_12|: about 5 % expected
    assert not is_seasonal(np.full(96, 4.0), 12)  # constant
    assert not is_seasonal(y[:35], 12)  # under three cycles
    assert not is_seasonal(y, 1)
    np.testing.assert_array_equal(classical_seasonal(rng.normal(size=96) * 0 + 1, 12), 0)


def test_stl_and_method_dispatch():
    y, _ = _seasonal_series()
    np.testing.assert_array_equal(seasonal_component(y, 12, "stl"), stl_seasonal(y, 12))
    np.testing.assert_array_equal(seasonal_component(y, 12, "none"), np.zeros(96))
    assert np.all(stl_seasonal(y[:20], 12) == 0)


def test_seasonal_method_names_and_bad_values():
    assert seasonal_method(True) == "stl"
    assert seasonal_method(False) == "none"
    assert seasonal_method("classical") == "classical"
    with pytest.raises(SpecError, match="deseasonalize must be one of"):
        seasonal_method("x11")


def test_classical_transform_round_trips_and_leaves_non_seasonal_series_alone():
    y, _ = _seasonal_series()
    flat = np.random.default_rng(5).normal(50, 1, 96)
    tr = SeriesTransform.fit([y, flat], period=12, deseasonalize="classical")
    z = tr.forward([y, flat])
    np.testing.assert_allclose(tr.inverse(z[0], tr.seasonal[0]), y, rtol=1e-12)
    assert np.any(tr.seasonal[0] != 0) and np.all(tr.seasonal[1] == 0)
    fut = tr.future_seasonal(24)
    np.testing.assert_allclose(fut[0, :12], tr.seasonal[0][-12:])
    assert np.all(fut[1] == 0)


def test_models_default_to_classical_adjustment_and_save_it(tmp_path):
    df = make_frame(72, series=2, noise=0.5)
    model = make_model("gru", horizon=6, epochs=2, hidden_size=4, seed=0).fit(df)
    assert model.deseasonalized_ == "classical"
    assert any(np.any(s != 0) for s in model.transform_.seasonal)
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["fitted"]["deseasonalized"] == "classical"
    loaded = type(model).load(tmp_path / "m")
    assert loaded.deseasonalized_ == "classical"
    np.testing.assert_array_equal(loaded.predict(6)["yhat"], model.predict(6)["yhat"])
    # a file from before "classical" existed stored a bool
    config["fitted"]["deseasonalized"] = False
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    assert type(model).load(tmp_path / "m").deseasonalized_ == "none"
    with pytest.raises(SpecError, match="gru: deseasonalize must be one of"):
        make_model("gru", deseasonalize="x11").fit(df)
    stl = make_model("esn", horizon=6, deseasonalize=True).fit(df)
    assert stl.deseasonalized_ == "stl"


def test_one_stl_serves_the_networks_arima_and_the_diagnostics():
    from forecast.calendar.seasonal_adjustment import stl_fit, stl_seasonal
    from forecast.diagnostics.seasonality import stl_decompose
    from forecast.models.statistical.arima_fits import SeasonalAdjustedFit

    y = make_frame(120)["y"].to_numpy()
    res = stl_fit(y, 12)
    np.testing.assert_array_equal(stl_seasonal(y, 12), res.seasonal)
    np.testing.assert_array_equal(stl_decompose(y, 12)["seasonal"].to_numpy(), res.seasonal)
    adjusted = []
    fit = SeasonalAdjustedFit.fit(y, 12, lambda x: adjusted.append(x) or _Inner())
    np.testing.assert_allclose(adjusted[0], y - res.seasonal)
    np.testing.assert_array_equal(fit.season, res.seasonal[-12:])


class _Inner:
    order, label, n_params, resid = (0, 1, 1), "ARIMA(0,1,1)", 1, np.zeros(3)
