"""Recurrent forecasters (forecast.models.neural.recurrent) against the model contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_frame

from forecast.errors import Cancelled, DataError, SpecError
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS, RESIDUAL_COLUMNS
from forecast.models.neural.recurrent import LSTM, RecurrentNet

torch.set_num_threads(1)

NAMES = ["rnn", "lstm", "gru", "bilstm"]
SMALL = {"hidden_size": 8, "epochs": 8, "threads": 1}


def seasonal_ar(n=144, series=4, phi=0.8, seed=0) -> pd.DataFrame:
    """Monthly series: level + sine season + AR(1) noise (sd 2)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        x = np.zeros(n)
        e = rng.normal(0, 2, n)
        for t in range(1, n):
            x[t] = phi * x[t - 1] + e[t]
        y = 100 + 20 * k + 10 * np.sin(2 * np.pi * np.arange(n) / 12 + k) + x
        ds = pd.date_range("2000-01-01", periods=n, freq="MS")
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": y}))
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


def _check_forecast(fc: pd.DataFrame, df: pd.DataFrame, h: int, name: str) -> None:
    assert list(fc.columns) == FORECAST_COLUMNS
    assert len(fc) == h * df["unique_id"].nunique()
    assert (fc["model"] == name).all()
    assert np.isfinite(fc[["yhat", "lo", "hi"]].to_numpy()).all()
    assert (fc["lo"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["hi"]).all()
    for uid, g in fc.groupby("unique_id"):
        last = df.loc[df.unique_id == uid, "ds"].max()
        assert g["ds"].iloc[0] == last + pd.offsets.MonthBegin(1)


@pytest.mark.parametrize("name", NAMES)
def test_fits_seasonal_trending_and_multi_series(name):
    seasonal = make_frame(96, trend=0.0)
    trending = make_frame(80, trend=2.0, noise=0.5)
    multi = make_frame(72, series=3)
    for df in (seasonal, trending, multi):
        model = make_model(name, horizon=6, **SMALL).fit(df)
        fc = model.predict(6)
        _check_forecast(fc, df, 6, name)
        resid = model.residuals_
        assert list(resid.columns) == RESIDUAL_COLUMNS and len(resid) == len(df)
        first = resid.groupby("unique_id").head(model.input_size_)
        assert first["resid"].isna().all()
        assert resid["resid"].notna().sum() == len(df) - model.input_size_ * df.unique_id.nunique()
        assert model.n_params_ == dict.fromkeys(df.unique_id.unique(), 0)
    # a steep trend is followed, not flattened: forecasts continue above the last values
    fc = make_model(name, horizon=6, **SMALL).fit(trending).predict(6)
    assert fc["yhat"].mean() > trending["y"].iloc[-12:].mean()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_beats_seasonal_naive_on_a_seasonal_ar_process(name):
    h = 6
    errors, naive = [], []
    for seed in range(2):
        df = seasonal_ar(seed=seed)
        train = df.groupby("unique_id").head(len(df) // 4 - h)
        test = df.groupby("unique_id").tail(h)["y"].to_numpy().reshape(4, h)
        snaive = np.stack([g["y"].to_numpy()[-12 : -12 + h] for _, g in train.groupby("unique_id")])
        model = make_model(name, horizon=h, hidden_size=16, epochs=20, skip=True, threads=1)
        yhat = model.fit(train).predict(h)["yhat"].to_numpy().reshape(4, h)
        errors.append(np.abs(test - yhat).mean())
        naive.append(np.abs(test - snaive).mean())
    assert np.mean(errors) < 0.9 * np.mean(naive)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_forecast_and_save_load_is_exact(name, tmp_path):
    df = make_frame(60, series=2)
    a = make_model(name, horizon=4, seed=7, **SMALL).fit(df).predict(4, level=90)
    model = make_model(name, horizon=4, seed=7, **SMALL).fit(df)
    b = model.predict(4, level=90)
    pd.testing.assert_frame_equal(a, b)
    c = make_model(name, horizon=4, seed=8, **SMALL).fit(df).predict(4)
    assert not np.array_equal(a["yhat"], c["yhat"])
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "weights.safetensors",
    ]
    loaded = type(model).load(tmp_path / "m")
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.predict(4, level=90), b, check_exact=True)
    pd.testing.assert_frame_equal(loaded.predict(9), model.predict(9), check_exact=True)
    pd.testing.assert_frame_equal(loaded.residuals_, model.residuals_, check_exact=True)


def test_load_refuses_other_files_and_other_models(tmp_path):
    with pytest.raises(DataError, match="not a saved model"):
        LSTM.load(tmp_path)
    model = make_model("gru", horizon=3, **SMALL).fit(make_frame(40))
    model.save(tmp_path / "g")
    with pytest.raises(DataError, match="'gru'"):
        LSTM.load(tmp_path / "g")


def test_bad_inputs_give_clear_errors():
    df = make_frame(40)
    with pytest.raises(SpecError, match=r"'s0'.*input_size <= 34"):
        make_model("lstm", horizon=6, input_size=200, **SMALL).fit(df)
    with pytest.raises(SpecError, match="horizon"):
        make_model("lstm", horizon=0, **SMALL).fit(df)
    model = make_model("lstm", **SMALL).fit(df)
    with pytest.raises(SpecError, match="horizon"):
        model.predict(0)
    gappy = df.copy()
    gappy.loc[5, "y"] = np.nan
    with pytest.raises(DataError, match="missing"):
        make_model("lstm", horizon=3, **SMALL).fit(gappy)
    with pytest.raises(SpecError, match="head"):
        make_model("lstm", head="sideways").fit(df)
    with pytest.raises(SpecError, match="hidden_size"):
        make_model("lstm", hidden_size=0).fit(df)
    with pytest.raises(SpecError, match="not fitted"):
        make_model("lstm").predict(3)
    with pytest.raises(SpecError, match="Bad parameters"):
        make_model("lstm", hidden=3)


def test_training_stops_when_asked_and_reports_progress():
    df = make_frame(60)
    seen = []
    with pytest.raises(Cancelled):
        make_model("lstm", horizon=3, hidden_size=4, epochs=50, n_seeds=2, threads=1).fit(
            df, progress=lambda s, t, m: seen.append((s, t, m)), should_stop=lambda: len(seen) >= 3
        )
    # two seeds, each an early-stopped fit and a refit on every window: 4 runs of 50 epochs
    assert [s[:2] for s in seen] == [(1, 200), (2, 200), (3, 200)]
    assert seen[0][2].startswith("seed 1/2 fit: epoch 1/50")
    seen.clear()
    make_model("lstm", horizon=3, hidden_size=4, epochs=2, refit=False, threads=1).fit(
        df, progress=lambda s, t, m: seen.append((s, t, m))
    )
    assert [s[:2] for s in seen] == [(1, 2), (2, 2)] and seen[0][2].startswith("seed 1/1: epoch")


def test_horizon_none_trains_at_fit_for_one_season_and_longer_horizons_extend():
    df = make_frame(72)
    model = make_model("lstm", **SMALL).fit(df)
    assert model.horizon_ == 12 and len(model.members_) == 1  # monthly: one season, at fit
    members = model.members_
    fc = model.predict(5)
    assert len(fc) == 5 and model.members_ is members  # predict never trains
    long = model.predict(13)  # beyond the trained horizon: forecasts are fed back
    np.testing.assert_allclose(long["yhat"].to_numpy()[:5], fc["yhat"].to_numpy())
    width = (long["hi"] - long["lo"]).to_numpy()
    assert width[12] > width[4]


def test_recursive_head_and_seed_ensemble():
    df = make_frame(72, series=2)
    rec = make_model("gru", horizon=6, head="recursive", **SMALL).fit(df)
    assert rec.members_[0].head.out_features == 1
    _check_forecast(rec.predict(6), df, 6, "gru")
    ens = make_model("gru", horizon=6, n_seeds=3, **SMALL).fit(df)
    singles = [
        make_model("gru", horizon=6, seed=s, **SMALL).fit(df).predict(6)["yhat"] for s in range(3)
    ]
    expected = np.median(np.stack(singles), axis=0)
    np.testing.assert_allclose(ens.predict(6)["yhat"], expected, rtol=1e-9)


def test_intervals_widen_with_level_and_cover_the_calibration_set():
    df = make_frame(120, series=2, noise=3.0)
    model = make_model("lstm", horizon=6, **SMALL).fit(df)
    narrow, wide = model.predict(6, level=50), model.predict(6, level=95)
    assert ((wide["hi"] - wide["lo"]) > (narrow["hi"] - narrow["lo"])).all()
    q = model._conformal_width(6, 80)
    assert np.all((model.calibration_ <= q).mean(axis=0) >= 0.8)


def test_effective_memory_by_lag():
    df = make_frame(96, series=2)
    model = make_model("lstm", horizon=6, input_size=18, **SMALL).fit(df)
    mem = model.effective_memory()
    assert list(mem.columns) == ["lag", "importance", "share"]
    assert mem["lag"].tolist() == list(range(1, 19))
    assert (mem["importance"] >= 0).all() and mem["share"].sum() == pytest.approx(1.0)
    assert mem["importance"].iloc[0] > 0
    other = model.effective_memory(make_frame(96, series=2, seed=5))
    assert len(other) == 18


def test_network_shapes_for_every_cell():
    x = torch.randn(5, 10)
    for cell in ("rnn", "lstm", "gru"):
        for bidirectional in (False, True):
            net = RecurrentNet(cell, 10, 6, 2, 0.1, bidirectional, 4, skip=True)
            assert net(x).shape == (5, 4)
            assert net.encode(x).shape == (5, 6 * (2 if bidirectional else 1))
    with pytest.raises(SpecError, match="cell"):
        RecurrentNet("transformer", 10, 6, 1, 0.0, False, 4)


def test_effective_memory_figure_beside_the_acf():
    from forecast.errors import DataError as _DataError
    from forecast.plots import effective_memory_figure

    mem = pd.DataFrame({"lag": [1, 2, 3, 4], "importance": [0.4, 0.2, 0.1, 0.05]})
    acf = np.array([1.0, 0.8, -0.5, 0.3, 0.1, 0.0])
    fig = effective_memory_figure(mem, acf, model="lstm")
    bars, line = fig.data
    assert list(bars.y) == [1.0, 0.5, 0.25, 0.125]
    assert list(line.x) == [1, 2, 3, 4] and list(line.y) == [0.8, 0.5, 0.3, 0.1]
    assert "lstm" in fig.layout.title.text
    assert len(effective_memory_figure(mem, {"acf": acf}).data) == 2
    assert len(effective_memory_figure(mem).data) == 1
    with pytest.raises(_DataError, match="importance"):
        effective_memory_figure(pd.DataFrame({"lag": [1]}))


def test_series_sampling_weighs_every_series_the_same():
    from forecast.models.neural.recurrent import LSTM

    model = LSTM(sampling="series")
    series = np.r_[np.zeros(90, int), np.ones(10, int), np.full(5, 3)]
    w = model._window_weights(series, 4)
    totals = np.bincount(series, weights=w, minlength=4)
    np.testing.assert_allclose(totals, [1, 1, 0, 1])
    assert LSTM(sampling="window")._window_weights(series, 4) is None
    with pytest.raises(SpecError, match="sampling must be 'series' or 'window'"):
        make_model("lstm", sampling="random").fit(make_frame(40))
