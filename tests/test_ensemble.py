"""The recurrent ensemble (forecast.models.neural.ensemble)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_frame

from forecast.errors import Cancelled, DataError, SpecError
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS, RESIDUAL_COLUMNS
from forecast.models.neural.ensemble import RecurrentEnsemble

SMALL = {"hidden_size": 4, "epochs": 3, "threads": 1}


@pytest.fixture(scope="module")
def fitted():
    df = make_frame(72, series=2, noise=0.5)
    return df, make_model("ensemble", horizon=6, **SMALL).fit(df)


def test_members_cover_cells_by_adjustments_and_forecasts_are_their_median(fitted):
    df, model = fitted
    assert isinstance(model, RecurrentEnsemble)
    assert [m.name for m in model.members_] == ["gru", "gru", "lstm", "lstm"]
    assert [m.deseasonalized_ for m in model.members_] == ["classical", "none"] * 2
    assert model.labels_[0] == "gru (auto)"
    fc = model.predict(6)
    assert list(fc.columns) == FORECAST_COLUMNS and len(fc) == 12
    assert set(fc["model"]) == {"ensemble"}
    parts = np.stack([m.predict(6)["yhat"].to_numpy() for m in model.members_])
    np.testing.assert_allclose(fc["yhat"], np.median(parts, axis=0))
    assert np.all(fc["lo"] <= fc["yhat"]) and np.all(fc["yhat"] <= fc["hi"])
    res = model.residuals_
    assert list(res.columns) == RESIDUAL_COLUMNS and len(res) == len(df)
    assert res["resid"].notna().sum() > 0.5 * len(df)
    mem = model.effective_memory()
    assert list(mem.columns) == ["lag", "importance", "share"]
    assert mem["share"].sum() == pytest.approx(1.0)


def test_save_load_round_trip_is_exact_and_same_seed_same_forecast(fitted, tmp_path):
    df, model = fitted
    model.save(tmp_path / "ens")
    config = json.loads((tmp_path / "ens" / "config.json").read_text())
    assert config["format"] == "forecast-workbench/model" and config["version"] == 2
    assert config["model"] == "ensemble" and len(config["fitted"]["members"]) == 4
    assert (tmp_path / "ens" / "member3" / "weights.safetensors").exists()
    loaded = RecurrentEnsemble.load(tmp_path / "ens")
    np.testing.assert_array_equal(loaded.predict(6)["yhat"], model.predict(6)["yhat"])
    again = make_model("ensemble", horizon=6, **SMALL).fit(df)
    np.testing.assert_array_equal(again.predict(6)["yhat"], model.predict(6)["yhat"])
    # the first ensemble folders (config.json without format tag, no weights file) still load
    legacy = {"model": "ensemble", "params": config["params"], **config["fitted"]}
    (tmp_path / "ens" / "config.json").write_text(json.dumps(legacy))
    (tmp_path / "ens" / "weights.safetensors").unlink()
    old = RecurrentEnsemble.load(tmp_path / "ens")
    np.testing.assert_array_equal(old.predict(6)["yhat"], model.predict(6)["yhat"])
    # a tampered member entry is refused, not followed
    config["fitted"]["members"][0]["folder"] = "../elsewhere"
    (tmp_path / "ens" / "config.json").write_text(json.dumps(config))
    model.save(tmp_path / "ens2")
    (tmp_path / "ens2" / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match="not a recurrent model folder"):
        RecurrentEnsemble.load(tmp_path / "ens2")
    with pytest.raises(DataError, match="not a saved model"):
        RecurrentEnsemble.load(tmp_path / "nothing")
    model.members_[0].save(tmp_path / "gru")
    with pytest.raises(DataError, match="'gru' model"):
        RecurrentEnsemble.load(tmp_path / "gru")


def test_bad_parameters_and_cancellation():
    df = make_frame(48)
    with pytest.raises(SpecError, match="unknown member model"):
        make_model("ensemble", cells=["arima"]).fit(df)
    with pytest.raises(SpecError, match="at least one"):
        make_model("ensemble", adjustments=[]).fit(df)
    with pytest.raises(SpecError, match="deseasonalize must be one of"):
        make_model("ensemble", adjustments=["x11"], **SMALL).fit(df)
    with pytest.raises(SpecError, match="horizon"):
        make_model("ensemble", horizon=0).fit(df)
    with pytest.raises(SpecError, match="not fitted"):
        make_model("ensemble").predict(3)
    steps = []
    with pytest.raises(Cancelled):
        make_model("ensemble", horizon=3, **SMALL).fit(
            df,
            progress=lambda s, t, m: steps.append((s, t, m)),
            should_stop=lambda: len(steps) >= 4,
        )
    assert steps[0][2].startswith("member 1/4 gru (auto): ") and steps[0][1] % 4 == 0
    assert len(steps) == 4  # stopped at the next epoch boundary
