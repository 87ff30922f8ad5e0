"""Every registered model with and without drivers: fit, predict with the future drivers,
save/load, refusal of a missing or short future, and the bad inputs of the future frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame
from test_models_contract import _fast

from forecast.errors import DataError
from forecast.ingest.frame import driver_columns, known_drivers, observed_drivers, with_observed
from forecast.models.base import FORECAST_COLUMNS, Forecaster
from forecast.models.registry import MODEL_NAMES, model_class

H = 4


def _frames():
    history, future, actuals = make_driver_frame(60, H, series=2)
    return history, future, actuals


def test_driver_columns_are_the_numeric_columns_beside_y_in_frame_order():
    frame = pd.DataFrame(
        {
            "unique_id": ["a"],
            "ds": [pd.Timestamp("2024-01-01")],
            "price": [2.5],
            "y": [1.0],
            "note": ["x"],
            "holiday": [True],
            "temp": [3],
        }
    )
    assert driver_columns(frame) == ["price", "holiday", "temp"]
    assert known_drivers(frame) == ["price", "holiday", "temp"]
    with_observed(frame, ["temp"])
    assert observed_drivers(frame) == ["temp"] and known_drivers(frame) == ["price", "holiday"]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_capability_is_declared_on_the_class(name):
    accepted = model_class(name).drivers_accepted
    assert isinstance(accepted, tuple) and set(accepted) <= {"known", "observed"}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_contract_with_and_without_drivers(name, tmp_path):
    history, future, _ = _frames()
    plain = history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "MS"
    base = _fast(name).fit(plain).predict(H)
    assert list(base.columns) == FORECAST_COLUMNS and len(base) == 2 * H
    # without drivers, X_future is ignored
    pd.testing.assert_frame_equal(_fast(name).fit(plain).predict(H, X_future=future), base)
    model = _fast(name).fit(history)
    if "known" not in model_class(name).drivers_accepted:
        # a model taking no drivers ignores the driver columns
        pd.testing.assert_frame_equal(model.predict(H), base)
        return
    assert model.drivers_ == ["x", "flag"]
    fc = model.predict(H, level=90, X_future=future)
    assert list(fc.columns) == FORECAST_COLUMNS and len(fc) == 2 * H
    assert np.isfinite(fc["yhat"]).all()
    assert not np.allclose(fc["yhat"], base["yhat"])  # the drivers changed the forecast
    with pytest.raises(DataError, match="known-in-advance drivers x, flag"):
        model.predict(H)
    short = future.groupby("unique_id").head(H - 1)
    with pytest.raises(DataError, match=f"step {H} of {H}"):
        model.predict(H, X_future=short)
    model.save(tmp_path / name)
    loaded = Forecaster.load(tmp_path / name)
    pd.testing.assert_frame_equal(loaded.predict(H, level=90, X_future=future), fc)
    with pytest.raises(DataError, match="known-in-advance"):
        loaded.predict(H)
    effects = model.effects()
    assert list(effects.columns) == ["unique_id", "driver", "coef", "se"]
    if _channels(model):  # the drivers' effects are the network's: no coefficients
        assert effects.empty
    else:
        assert set(effects["driver"]) == {"x", "flag"}


def _channels(model) -> bool:
    """Whether a fitted model reads its drivers as network channels (the ensemble: its
    members)."""
    inner = getattr(model, "members_", [model])[0]
    return getattr(inner, "channels_", getattr(model, "channels_", None)) is not None


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_contract_with_observed_only_drivers(name, tmp_path):
    history, future, _ = _frames()
    accepted = model_class(name).drivers_accepted
    with_observed(history, ["flag"])
    model = _fast(name).fit(history)
    known = future[["unique_id", "ds", "x"]]
    if "observed" not in accepted:  # the observed-only flag is left out
        assert list(getattr(model, "drivers_", [])) == (["x"] if "known" in accepted else [])
        return
    assert model.drivers_ == ["x", "flag"]
    fc = model.predict(H, X_future=known)
    assert list(fc.columns) == FORECAST_COLUMNS and np.isfinite(fc["yhat"]).all()
    with pytest.raises(DataError, match="known-in-advance drivers x;"):
        model.predict(H)
    model.save(tmp_path / name)
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / name).predict(H, X_future=known), fc)
    # every driver observed only: no future is needed, and one given is ignored
    with_observed(history, ["x", "flag"])
    only = _fast(name).fit(history)
    assert only.drivers_ == ["x", "flag"]
    plain = history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "MS"
    fc = only.predict(H)
    pd.testing.assert_frame_equal(only.predict(H, X_future=future), fc)
    assert not np.allclose(fc["yhat"], _fast(name).fit(plain).predict(H)["yhat"])


@pytest.mark.parametrize("name", ["arima", "ets", "stheta", "pretrained"])
def test_drivers_that_matter_cut_the_error(name):
    history, future, actuals = make_driver_frame(80, 6, series=2, effect=5.0)
    plain = history[["unique_id", "ds", "y"]]
    with_x = _fast(name).fit(history).predict(6, X_future=future)
    without = _fast(name).fit(plain).predict(6)
    err = lambda fc: float(np.mean(np.abs(fc["yhat"].to_numpy() - actuals["y"].to_numpy())))  # noqa: E731
    assert err(with_x) < 0.5 * err(without)
    effect = _fast(name).fit(history).effects()
    x = effect.loc[effect["driver"] == "x", "coef"].to_numpy()
    np.testing.assert_allclose(x, 5.0, atol=0.6)


def test_observed_only_drivers_are_not_used_by_known_only_models():
    history, _future, _ = make_driver_frame(60, H)
    with_observed(history, ["x", "flag"])
    model = _fast("arima").fit(history)
    assert model.drivers_ == []
    plain = history[["unique_id", "ds", "y"]]
    pd.testing.assert_frame_equal(model.predict(H), _fast("arima").fit(plain).predict(H))


@pytest.mark.parametrize(
    "spoil, words",
    [
        (lambda f: f.drop(columns="flag"), "lack column\\(s\\) flag"),
        (lambda f: f.assign(x=f["x"].astype(str)), "'x' is not numeric"),
        (lambda f: f.drop(index=1), "no value at .* \\(step 2 of 4"),
        (lambda f: f.assign(x=f["x"].where(f.index != 2)), "driver 'x' for series 's0'"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "twice for series 's0'"),
    ],
)
def test_bad_future_drivers_are_refused_with_what_and_where(spoil, words):
    history, future, _ = _frames()
    model = _fast("arima").fit(history)
    with pytest.raises(DataError, match=words):
        model.predict(H, X_future=spoil(future))


def test_a_driver_missing_in_the_history_is_refused():
    history, _, _ = _frames()
    history.loc[5, "x"] = np.nan
    with pytest.raises(DataError, match="driver 'x' has 1 missing or infinite values"):
        _fast("ets").fit(history)
