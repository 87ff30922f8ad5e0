"""Metrics against hand-computed values, and the frame-level scorer."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecast.evaluation.metrics import (
    METRICS,
    coverage,
    mae,
    mase,
    mase_scale,
    rmse,
    score_frame,
    smape,
    width,
)

Y = np.array([1.0, 2.0, 3.0])
YHAT = np.array([2.0, 2.0, 5.0])


def test_point_metrics_by_hand():
    assert mae(Y, YHAT) == pytest.approx(1.0)
    assert rmse(Y, YHAT) == pytest.approx(math.sqrt(5 / 3))
    assert smape(Y, YHAT) == pytest.approx((200 / 3 + 0 + 50) / 3)
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0/0 counts as 0


def test_mase_uses_the_seasonal_in_sample_scale():
    insample = np.array([1.0, 3.0, 2.0, 4.0])
    assert mase_scale(insample, 1) == pytest.approx(5 / 3)
    assert mase(Y, YHAT, insample=insample, m=1) == pytest.approx(0.6)
    assert mase(Y, YHAT, insample=insample, m=2) == pytest.approx(1.0)
    assert mase_scale(insample, 12) == pytest.approx(5 / 3)  # too short: lag 1
    assert math.isnan(mase_scale(np.ones(5), 1))
    with pytest.raises(ValueError):
        mase(Y, YHAT)


def test_interval_metrics_by_hand():
    lo, hi = np.array([0.0, 2.5, 3.0]), np.array([1.5, 3.0, 4.0])
    assert coverage(Y, YHAT, lo=lo, hi=hi) == pytest.approx(2 / 3)
    assert width(Y, YHAT, lo=lo, hi=hi) == pytest.approx(1.0)
    assert math.isnan(coverage(Y, YHAT))
    assert math.isnan(coverage(Y, YHAT, lo=np.full(3, np.nan), hi=hi))


def test_one_signature_for_all():
    for fn in METRICS.values():
        value = fn(Y, YHAT, lo=Y - 1, hi=Y + 1, insample=np.arange(10.0), m=1)
        assert isinstance(value, float)
    with pytest.raises(ValueError):
        mae(Y, YHAT[:2])


def test_score_frame_scores_only_the_overlap():
    ds = pd.date_range("2001-01-01", periods=3, freq="MS")
    fc = pd.DataFrame(
        {"unique_id": "a", "ds": ds, "model": "m", "yhat": YHAT, "lo": YHAT - 1, "hi": YHAT + 1}
    )
    actuals = pd.DataFrame({"unique_id": "a", "ds": ds[:2], "y": Y[:2]})
    history = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2000-09-01", periods=4, freq="MS"),
            "y": [1.0, 3, 2, 4],
        }
    )
    out = score_frame(fc, actuals, history, m=1)
    assert len(out) == 1 and out["n"].iloc[0] == 2
    assert out["mae"].iloc[0] == pytest.approx(0.5)
    assert out["mase"].iloc[0] == pytest.approx(0.5 / (5 / 3))
    assert out["coverage"].iloc[0] == pytest.approx(1.0)


def test_panel_metrics_are_the_per_series_metrics():
    """The benchmarks' and the pretraining's panel figures come from the same functions."""
    from forecast.evaluation.metrics import mase_by_series, smape_by_series

    rng = np.random.default_rng(3)
    train = [rng.normal(100, 10, n) for n in (30, 12, 5)]
    train.append(np.full(8, 4.0))  # a flat history: no MASE scale
    y = rng.normal(100, 10, (4, 6))
    yhat = y + rng.normal(0, 5, (4, 6))
    yhat[0, 0], y[0, 0] = 0.0, 0.0  # 0/0 counts as 0
    want_smape = [smape(a, b) for a, b in zip(y, yhat, strict=True)]
    np.testing.assert_allclose(smape_by_series(y, yhat), want_smape)
    got = mase_by_series(train, y, yhat, m=12)
    np.testing.assert_allclose(
        got[:3], [mase(a, b, insample=x, m=12) for x, a, b in zip(train[:3], y, yhat, strict=False)]
    )
    assert np.isnan(got[3])
    # a series no longer than m is scaled at lag 1
    assert got[1] == pytest.approx(
        np.mean(np.abs(y[1] - yhat[1])) / np.mean(np.abs(np.diff(train[1])))
    )
