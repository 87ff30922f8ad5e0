"""Zhang's hybrid: ARIMA + a recurrent net on ARIMA's residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_frame

from forecast.errors import SpecError
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS


@pytest.mark.slow
def test_hybrid_adds_the_residual_forecast_to_arima(tmp_path):
    torch.set_num_threads(1)
    df = make_frame(72, series=2)
    model = make_model("hybrid", horizon=4, epochs=3, nn="gru", nn_params={"hidden_size": 8})
    model.fit(df)
    fc = model.predict(4, level=80)
    assert list(fc.columns) == FORECAST_COLUMNS and set(fc["model"]) == {"hybrid"}
    linear = model.arima_.predict(4, level=80)
    delta = model.nn_.predict(4)["yhat"].to_numpy()
    np.testing.assert_allclose(fc["yhat"], linear["yhat"].to_numpy() + delta)
    np.testing.assert_allclose(fc["hi"] - fc["lo"], linear["hi"] - linear["lo"])
    assert model.n_params_ == model.arima_.n_params_
    resid = model.residuals_
    assert list(resid.columns) == ["unique_id", "ds", "resid"] and len(resid) == len(df)
    # the hybrid's residuals are what the net could not explain of ARIMA's residuals
    arima_resid = model.arima_.residuals_["resid"].to_numpy()
    ok = resid["resid"].notna().to_numpy()
    assert ok.sum() > len(df) // 2
    assert not np.allclose(resid["resid"].to_numpy()[ok], arima_resid[ok])
    memory = model.effective_memory()
    assert {"lag", "importance"} <= set(memory.columns)
    assert "gru on its residuals" in model.detail_
    model.save(tmp_path / "hybrid")
    loaded = type(model).load(tmp_path / "hybrid")
    pd.testing.assert_frame_equal(loaded.predict(4, level=80), fc)
    pd.testing.assert_frame_equal(loaded.residuals_, resid)


def test_hybrid_rejects_an_unknown_net():
    with pytest.raises(SpecError, match="nn must be one of rnn, lstm, gru, bilstm, esn"):
        make_model("hybrid", nn="transformer").fit(make_frame(40))
    with pytest.raises(SpecError, match="'esn' does not train by epochs"):
        make_model("hybrid", nn="esn", epochs=3).fit(make_frame(40))
    with pytest.raises(SpecError):
        make_model("hybrid").predict(3)
