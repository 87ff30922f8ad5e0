"""Drivers as channels of the recurrent networks and the ESN: they learn a driver's effect, never
read a value they could not know, and a model file keeps them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame

from forecast.errors import DataError, SpecError
from forecast.ingest.frame import with_observed
from forecast.models.base import Forecaster
from forecast.models.neural.channels import DriverScaler, channel_windows
from forecast.models.neural.esn import ESN, masked_ridge
from forecast.models.neural.recurrent import GRU, LSTM
from forecast.run.backtest import backtest


def _simulated(n: int, h: int, *, series: int, lag: int, effect: float, seed: int = 0):
    """``y_t = effect * x_{t - lag} + noise`` with ``x`` white noise: ``(history, future,
    actuals)`` as :func:`conftest.make_driver_frame` returns them (daily)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        x = rng.normal(0, 1, n + h + 1)  # x[t + 1] is x_t; x[0] is x_{-1}
        y = effect * x[1 - lag : n + h + 1 - lag] + rng.normal(0, 0.3, n + h)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{k}",
                    "ds": pd.date_range("2020-01-01", periods=n + h, freq="D"),
                    "y": y,
                    "x": x[1:],
                }
            )
        )
    full = pd.concat(frames, ignore_index=True)
    step = full.groupby("unique_id").cumcount()
    history = full[step < n].reset_index(drop=True)
    history.attrs["freq"] = "D"
    future = full.loc[step >= n, ["unique_id", "ds", "x"]].reset_index(drop=True)
    actuals = full.loc[step >= n, ["unique_id", "ds", "y"]].reset_index(drop=True)
    return history, future, actuals


def _mae(fc: pd.DataFrame, actuals: pd.DataFrame) -> float:
    return float(np.mean(np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy())))


def test_scaler_uses_each_series_own_history():
    xs = [np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[10.0, 0.0], [30.0, 2.0]])]
    scaler = DriverScaler.fit(xs)
    np.testing.assert_allclose(scaler.mean, [[2.0, 5.0], [20.0, 1.0]])
    np.testing.assert_allclose(scaler.std, [[1.0, 1.0], [10.0, 1.0]])  # constant: 1
    np.testing.assert_allclose(scaler.apply(1, xs[1]), [[-1.0, -1.0], [1.0, 1.0]])


def test_channel_windows_line_up_with_the_target_windows():
    dx = [np.arange(10.0)[:, None] * [1, -1]]
    D, F = channel_windows(dx, 3, 2)
    assert D.shape == (6, 3, 2) and F.shape == (6, 2, 2)
    np.testing.assert_array_equal(D[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(F[-1, :, 1], [-8, -9])


@pytest.mark.parametrize("klass", [GRU, ESN])
def test_a_known_driver_is_learned_through_the_channels(klass):
    """y_t = 3 x_t + noise with x white noise: without x nothing is forecastable."""
    h = 7
    history, future, actuals = _simulated(150, h, series=4, lag=0, effect=3.0)
    params = {"horizon": h, "input_size": 14, "seed": 0, "threads": 1, "drivers": "channels"}
    if klass is GRU:
        params.update(hidden_size=8, epochs=6, refit=False)
    else:
        params.update(reservoir_size=50)
    with_x = klass(**params).fit(history)
    assert with_x.drivers_ == ["x"] and with_x.effects().empty
    err_with = _mae(with_x.predict(h, X_future=future), actuals)
    plain = history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "D"
    err_without = _mae(klass(**params).fit(plain).predict(h), actuals)
    assert err_without > 1.5  # nothing but the driver to go by (3 E|x| ~ 2.4)
    assert err_with < 0.4 * err_without


@pytest.mark.parametrize("klass", [GRU, ESN])
def test_an_observed_only_driver_is_learned_from_the_input_window(klass):
    """y_t = 2 x_{t-1} + noise with x observed only: the last input value of x tells y."""
    history, _future, actuals = _simulated(120, 1, series=30, lag=1, effect=2.0, seed=1)
    with_observed(history, ["x"])
    params = {"horizon": 1, "input_size": 6, "seed": 0, "threads": 1}
    if klass is GRU:
        params.update(hidden_size=8, epochs=6, refit=False)
    else:
        params.update(reservoir_size=50)
    with_x = klass(**params).fit(history)
    assert with_x.drivers_ == ["x"]
    err_with = _mae(with_x.predict(1), actuals)  # no future needed: x is observed only
    plain = history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "D"
    err_without = _mae(klass(**params).fit(plain).predict(1), actuals)
    assert err_without > 1.0
    assert err_with < 0.5 * err_without


def _driver_model(klass=GRU, **extra):
    params = {"horizon": 4, "input_size": 8, "hidden_size": 4, "epochs": 2, "threads": 1}
    if klass is ESN:
        params = {"horizon": 4, "input_size": 8, "reservoir_size": 20, "threads": 1}
    params["drivers"] = "channels"
    return klass(**{**params, **extra})


@pytest.mark.parametrize("klass", [GRU, ESN])
def test_only_the_horizons_known_values_matter_and_causally(klass):
    history, future, _ = make_driver_frame(60, 6, series=2)
    model = _driver_model(klass).fit(history)
    base = model.predict(4, X_future=future)
    later = future.copy()
    later.loc[later.groupby("unique_id").cumcount() >= 4, ["x", "flag"]] = 1e6  # past step 4
    pd.testing.assert_frame_equal(model.predict(4, X_future=later), base)
    third = future.copy()
    third.loc[third.groupby("unique_id").cumcount() == 2, "x"] += 5.0  # step 3 of 4
    moved = model.predict(4, X_future=third)
    step = moved.groupby("unique_id").cumcount().to_numpy()
    np.testing.assert_allclose(moved["yhat"][step < 2], base["yhat"][step < 2], rtol=1e-12)
    assert not np.allclose(moved["yhat"][step == 2], base["yhat"][step == 2])
    # a shorter horizon forecasts the same first steps (the head never reads steps past them)
    short = model.predict(2, X_future=future)
    np.testing.assert_allclose(short["yhat"], base["yhat"][step < 2], rtol=1e-9)


@pytest.mark.parametrize("klass", [GRU, ESN])
def test_observed_only_drivers_in_the_future_are_ignored(klass):
    history, future, _ = make_driver_frame(60, 4, series=2)
    with_observed(history, ["flag"])
    model = _driver_model(klass).fit(history)
    assert model.drivers_ == ["x", "flag"]
    base = model.predict(4, X_future=future[["unique_id", "ds", "x"]])
    spoiled = future.assign(flag=1e6)
    pd.testing.assert_frame_equal(model.predict(4, X_future=spoiled), base)
    with pytest.raises(DataError, match="known-in-advance drivers x;"):
        model.predict(4)


def test_no_value_after_a_cutoff_reaches_the_channels():
    history, _, _ = make_driver_frame(56, 4, series=2, seed=3)
    with_observed(history, ["flag"])
    models = {"gru": lambda: _driver_model(GRU)}
    clean = backtest(models, history, 4, 2)
    spoiled = history.copy()
    spoiled.attrs.update(history.attrs)
    pos = spoiled.groupby("unique_id").cumcount().to_numpy()
    # window 0 forecasts rows 48..51: y and the observed flag from there on, the known x
    # after its 4 steps, are what it must never read
    spoiled.loc[pos >= 48, ["y", "flag"]] = 1e6
    spoiled.loc[pos >= 52, "x"] = 1e6
    after = backtest(models, spoiled, 4, 2)
    first = after["window"] == 0
    np.testing.assert_allclose(after.loc[first, "yhat"], clean.loc[first, "yhat"], rtol=1e-9)


@pytest.mark.parametrize("klass", [GRU, LSTM, ESN])
def test_channels_round_trip_through_the_model_file(klass, tmp_path):
    history, future, _ = make_driver_frame(60, 6, series=2)
    with_observed(history, ["flag"])
    model = _driver_model(klass).fit(history)
    fc = model.predict(6, level=90, X_future=future)  # past the trained 4: fed back
    model.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.drivers_ == ["x", "flag"] and loaded.channels_.observed == ["flag"]
    pd.testing.assert_frame_equal(loaded.predict(6, level=90, X_future=future), fc)
    pd.testing.assert_frame_equal(loaded.residuals_, model.residuals_)
    again = _driver_model(klass).fit(history).predict(6, level=90, X_future=future)
    pd.testing.assert_frame_equal(again, fc)  # a fixed seed gives the same forecast


def test_regression_is_still_a_choice(tmp_path):
    history, _, _ = make_driver_frame(60, 4, series=2)
    model = _driver_model(drivers="regression").fit(history)
    assert model.channels_ is None and set(model.effects()["driver"]) == {"x", "flag"}
    with_observed(history, ["flag"])  # an observed-only driver is a channel even so
    both = _driver_model(drivers="regression").fit(history)
    assert both.drivers_ == ["x", "flag"] and both.channels_.names == ["flag"]
    assert set(both.effects()["driver"]) == {"x"}
    future = make_driver_frame(60, 4, series=2)[1]
    fc = both.predict(4, X_future=future[["unique_id", "ds", "x"]])
    with pytest.raises(DataError, match="known-in-advance drivers x;"):
        both.predict(4)
    both.save(tmp_path / "m")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(4, X_future=future), fc)
    with pytest.raises(SpecError, match="drivers must be 'channels' or 'regression'"):
        _driver_model(drivers="both").fit(history)


def test_effective_memory_with_channels_reports_the_target_lags():
    history, _, _ = make_driver_frame(60, 4, series=2)
    model = _driver_model().fit(history)
    memory = model.effective_memory()
    assert list(memory["lag"]) == list(range(1, 9))
    assert np.isclose(memory["share"].sum(), 1.0)
    assert len(model.effective_memory(history)) == 8


def test_a_recursive_head_takes_channels():
    history, future, _ = make_driver_frame(60, 4, series=2)
    model = _driver_model(head="recursive").fit(history)
    fc = model.predict(4, X_future=future)
    assert np.isfinite(fc["yhat"]).all() and len(fc) == 8


def test_masked_ridge_matches_the_unmasked_solution_when_nothing_is_masked():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    F, Y, w = rng.normal(size=(50, 5)), rng.normal(size=(50, 2)), rng.random(50)
    ((coef, intercept),) = masked_ridge(F, Y, [1.0], np.ones((2, 5), bool), w)
    ref = Ridge(alpha=1.0).fit(F, Y, sample_weight=w)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(intercept, ref.intercept_, atol=1e-10)
    allowed = np.array([[1, 1, 0, 0, 1], [1, 1, 1, 1, 1]], bool)
    ((masked, _),) = masked_ridge(F, Y, [1.0], allowed, w)
    assert np.all(masked[0, 2:4] == 0) and np.all(masked[1] != 0)
