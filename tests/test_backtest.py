"""Rolling-origin backtest: windows never see their own future; scores and conformal widths."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.errors import DataError, SpecError
from forecast.models.statistical.naive import SeasonalNaive
from forecast.run.backtest import backtest, backtest_splits, conformal_quantiles, window_scores


def _ragged():
    """Two series of different lengths and end dates."""
    a = make_frame(48, series=1)
    b = make_frame(40, series=1, seed=1)
    b["unique_id"] = "s1"
    b["ds"] = pd.date_range("2001-03-01", periods=40, freq="MS")
    df = pd.concat([a, b], ignore_index=True)
    df.attrs["freq"] = "MS"
    return df


def test_splits_are_time_ordered_and_end_at_the_series_end():
    df = _ragged()
    splits = backtest_splits(df, h=6, n_windows=3, step=4)
    assert len(splits) == 3
    for w, (_cutoff, train, test) in enumerate(splits):
        for uid, part in test.groupby("unique_id"):
            seen = train.loc[train["unique_id"] == uid, "ds"]
            assert seen.max() < part["ds"].min()
            assert len(part) == 6
            full = df.loc[df["unique_id"] == uid, "ds"]
            assert part["ds"].max() == full.iloc[len(full) - 1 - (2 - w) * 4]
            # the training part is everything before the test part (no gap)
            assert len(seen) == (full < part["ds"].min()).sum()


class _Recording(SeasonalNaive):
    """Seasonal naive that remembers the last timestamp it was fitted on, per series (every
    fit of a per-series model, ``fit``, ``refit`` or the backtest's windows side by side,
    starts in ``_start``)."""

    seen: ClassVar[list] = []

    def _start(self, df):
        _Recording.seen.append(df.groupby("unique_id")["ds"].max().to_dict())
        return super()._start(df)


def test_backtest_never_shows_a_model_its_own_future():
    df = _ragged()
    _Recording.seen = []
    bt = backtest({"rec": _Recording}, df, h=5, n_windows=3)
    assert len(_Recording.seen) == 3
    for w, last in enumerate(_Recording.seen):
        part = bt[bt["window"] == w]
        for uid, fc in part.groupby("unique_id"):
            assert last[uid] < fc["ds"].min()
    assert bt["y"].notna().all() and len(bt) == 3 * 2 * 5
    assert list(bt.columns[:2]) == ["window", "cutoff"]


def test_backtest_by_names_and_window_scores():
    df = make_frame(60, series=2)
    bt = backtest(["naive", "snaive"], df, h=6, n_windows=2)
    scores = window_scores(bt, df, m=12)
    assert len(scores) == 2 * 2 * 2
    # seasonal data: seasonal naive wins in every window
    means = scores.groupby("model")["mase"].mean()
    assert means["snaive"] < means["naive"]
    # MASE scale of window 0 uses only its past: recompute it by hand
    row = scores[
        (scores["window"] == 0) & (scores["model"] == "naive") & (scores["unique_id"] == "s0")
    ]
    first = bt[(bt["window"] == 0) & (bt["unique_id"] == "s0")]["ds"].min()
    past = df[(df["unique_id"] == "s0") & (df["ds"] < first)]["y"].to_numpy()
    fc = bt[(bt["window"] == 0) & (bt["model"] == "naive") & (bt["unique_id"] == "s0")]
    expected = np.mean(np.abs(fc["y"] - fc["yhat"])) / np.mean(np.abs(past[12:] - past[:-12]))
    assert row["mase"].iloc[0] == pytest.approx(expected)


def test_bad_specs_and_short_series():
    df = make_frame(20)
    with pytest.raises(DataError, match="backtest windows"):
        backtest_splits(df, h=6, n_windows=3)
    with pytest.raises(SpecError):
        backtest_splits(df, h=0, n_windows=1)
    with pytest.raises(SpecError):
        backtest_splits(df, h=2, n_windows=0)


def test_conformal_quantiles_by_hand():
    bt = pd.DataFrame(
        {
            "window": np.repeat(np.arange(4), 2),
            "unique_id": "a",
            "ds": pd.date_range("2000-01-01", periods=8, freq="MS"),
            "yhat": 0.0,
            "y": [1.0, 2.0, 2.0, 4.0, 3.0, 6.0, 4.0, 8.0],
        }
    )
    q = conformal_quantiles(bt, {"a": 2.0}, level=50)
    # step 1 scores 0.5, 1, 1.5, 2: ceil(5 * 0.5) / 4 = 0.625 quantile, "higher" -> 1.5
    np.testing.assert_allclose(q, [1.5, 3.0])
    # too few errors for 90%: the largest one
    np.testing.assert_allclose(conformal_quantiles(bt, {"a": 2.0}, level=90), [2.0, 4.0])
