"""The pretrained recurrent model: pretraining end to end, the shipped weights, zero-shot and
fine-tuned forecasts, tampered files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import DATA, make_frame

from forecast.errors import DataError, SpecError
from forecast.ingest.reader import read_csv
from forecast.models import make_model
from forecast.models.neural.pretrained import Finetuned, Pretrained
from forecast.models.neural.pretrained_io import DEFAULT_WEIGHTS, read_pretrained
from forecast.models.neural.training import MaskedL1Loss
from forecast.models.neural.windows import pad_left, padded_windows


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> str:
    """Weights from the real pretraining command on a tiny synthetic corpus (seconds)."""
    from forecast.pretrain.__main__ import main

    out = tmp_path_factory.mktemp("weights") / "tiny.json"
    assert main(["--tiny", "--out", str(out)]) == 0
    return str(out)


def test_pretraining_runs_end_to_end_and_records_its_recipe(tiny_weights):
    config, arrays = read_pretrained(tiny_weights)
    assert config["architecture"]["hidden_size"] == 8
    assert config["seed"] == 0 and config["script_version"]
    assert config["corpus"]["never"] == "M3 test parts, M1, Tourism"
    assert arrays["calibration"].shape[1] == config["architecture"]["horizon"]
    assert any(k.startswith("net.rnn.") for k in arrays)


def test_pretraining_is_reproducible_from_its_seed(tiny_weights, tmp_path):
    from forecast.pretrain.__main__ import main

    again = tmp_path / "again.json"
    assert main(["--tiny", "--out", str(again)]) == 0
    a, b = read_pretrained(tiny_weights)[1], read_pretrained(again)[1]
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_padded_windows_pad_inputs_and_targets():
    w = padded_windows([np.arange(1.0, 8.0)], 4, 3, min_input=2)
    np.testing.assert_array_equal(w.ends, [2, 3, 4, 5, 6])
    np.testing.assert_array_equal(w.X[0], [1, 1, 1, 2])
    np.testing.assert_array_equal(w.Y[0], [3, 4, 5])
    np.testing.assert_array_equal(w.X[-1], [3, 4, 5, 6])
    assert w.Y[-1][0] == 7 and np.isnan(w.Y[-1][1:]).all()
    np.testing.assert_array_equal(pad_left(np.array([5.0, 6.0]), 4), [5, 5, 5, 6])
    full = padded_windows([np.arange(10.0)], 4, 3, min_input=2, full_targets=True)
    assert not np.isnan(full.Y).any() and full.ends.max() == 7


def test_masked_loss_skips_missing_targets():
    loss = MaskedL1Loss()
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[2.0, float("nan")], [3.0, 6.0]])
    assert float(loss(pred, target)) == pytest.approx((1 + 0 + 2) / 3)
    assert float(loss(pred, torch.full((2, 2), float("nan")))) == 0.0


# ---------------------------------------------------------------- the shipped weights
def _bundled_frames():
    for path in sorted(Path(DATA).glob("*.csv")):
        df, _ = read_csv(path, fill="interpolate")
        yield path.name, df


def test_shipped_weights_are_small_verified_and_forecast_every_bundled_sample():
    config, _ = read_pretrained()
    assert DEFAULT_WEIGHTS.with_suffix(".safetensors").stat().st_size < 20e6
    assert {"corpus", "seed", "script_version", "zero_shot_held_out"} <= set(config)
    for name, df in _bundled_frames():
        fc = Pretrained().fit(df).predict(12)
        assert len(fc) == 12 * df["unique_id"].nunique(), name
        assert np.isfinite(fc[["yhat", "lo", "hi"]].to_numpy()).all(), name
        assert (fc["lo"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["hi"]).all(), name


def test_zero_shot_forecasts_are_deterministic_and_follow_the_series():
    df = make_frame(60, trend=2.0, noise=0.5)
    a = Pretrained().fit(df).predict(18)
    b = Pretrained().fit(df).predict(18)
    pd.testing.assert_frame_equal(a, b)
    last_year = df["y"].iloc[-12:].mean()
    assert abs(a["yhat"].iloc[:12].mean() - last_year) < 0.3 * last_year
    assert a["yhat"].iloc[:12].mean() > df["y"].iloc[-24:-12].mean()  # the trend continues


def test_pretrained_forecasts_series_shorter_than_its_window():
    df = make_frame(14, freq="QS", season=4)
    fc = Pretrained().fit(df).predict(8)
    assert len(fc) == 8 and np.isfinite(fc["yhat"]).all()
    resid = Pretrained().fit(df).residuals_
    assert resid["resid"].notna().sum() == 14 - 4


def test_pretrained_refuses_a_period_the_corpus_did_not_cover():
    df = make_frame(60, freq="MS")
    with pytest.raises(SpecError, match="covers seasonal periods"):
        Pretrained(season_length=6).fit(df).predict(6)


def test_pretrained_serves_business_days_and_three_hourly_data():
    # periods 5 and 8 were not in the corpus; measured to work as well as those that were
    for freq, m in (("B", 5), ("3h", 8)):
        df = make_frame(90, freq=freq, season=m)
        model = Pretrained().fit(df)
        fc = model.predict(m)
        assert model.season_length_ == m and np.isfinite(fc["yhat"]).all()
        assert (fc["lo"] < fc["yhat"]).all() and (fc["yhat"] < fc["hi"]).all()
    with pytest.raises(SpecError, match=r"not 6 \(frequency 4h\)"):
        Pretrained().fit(make_frame(90, freq="4h", season=6))


# ---------------------------------------------------------------- tampering
def _copy_weights(src: str, folder: Path) -> Path:
    src_json = Path(src)
    dst = folder / "w.json"
    dst.write_bytes(src_json.read_bytes())
    dst.with_suffix(".safetensors").write_bytes(src_json.with_suffix(".safetensors").read_bytes())
    return dst


def test_tampered_weights_are_refused(tiny_weights, tmp_path):
    path = _copy_weights(tiny_weights, tmp_path)
    blob = bytearray(path.with_suffix(".safetensors").read_bytes())
    blob[-3] ^= 0x01
    path.with_suffix(".safetensors").write_bytes(bytes(blob))
    with pytest.raises(DataError, match="changed or damaged"):
        read_pretrained(path)
    with pytest.raises(DataError, match="changed or damaged"):
        Pretrained(weights=str(path)).fit(make_frame(40)).predict(3)


def test_tampered_config_is_refused(tiny_weights, tmp_path):
    path = _copy_weights(tiny_weights, tmp_path)
    config = json.loads(path.read_text())
    config["architecture"]["hidden_size"] = 16
    path.write_text(json.dumps(config))
    with pytest.raises(DataError, match="config was changed"):
        read_pretrained(path)


def test_missing_or_foreign_weights_are_refused(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_pretrained(tmp_path / "nothing.json")
    (tmp_path / "x.json").write_text('{"format": "other"}')
    (tmp_path / "x.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(DataError, match="not a pretrained-weights config"):
        read_pretrained(tmp_path / "x.json")


# ---------------------------------------------------------------- fine-tuning
def test_finetuned_trains_from_the_weights_and_is_reproducible(tiny_weights, tmp_path):
    df = make_frame(72)
    zero = Pretrained(weights=tiny_weights).fit(df).predict(12)
    a = Finetuned(weights=tiny_weights, epochs=4, seed=1).fit(df)
    fa = a.predict(12)
    fb = Finetuned(weights=tiny_weights, epochs=4, seed=1).fit(df).predict(12)
    pd.testing.assert_frame_equal(fa, fb)
    assert not np.allclose(fa["yhat"], zero["yhat"])
    assert a.n_train_windows_ > 0 and a.n_val_windows_ > 0
    assert a.train_result_.epochs_run >= 1
    a.save(tmp_path / "ft")
    back = Finetuned.load(tmp_path / "ft")
    np.testing.assert_allclose(back.predict(12)["yhat"], fa["yhat"])
    memory = back.effective_memory()
    assert len(memory) == a.input_size_ and memory["share"].sum() == pytest.approx(1.0)


def test_pretrained_in_a_run_has_residual_checks(tiny_weights):
    from forecast.run.pipeline import run_forecast

    df = make_frame(60)
    result = run_forecast(
        df,
        horizon=6,
        models=["pretrained", "finetuned"],
        holdout=6,
        model_params={
            "pretrained": {"weights": tiny_weights},
            "finetuned": {"weights": tiny_weights, "epochs": 2},
        },
    )
    board = result.leaderboard.set_index("model")
    assert board["error"].isna().all(), board["error"].tolist()
    assert np.isfinite(board.loc["pretrained", "mase"])
    assert set(result.residual_checks) == {"pretrained", "finetuned"}


def test_make_model_knows_both_names():
    assert isinstance(make_model("pretrained"), Pretrained)
    assert isinstance(make_model("finetuned", epochs=3), Finetuned)
    with pytest.raises(SpecError, match="epochs"):
        Finetuned(epochs=0).fit(make_frame(40))
