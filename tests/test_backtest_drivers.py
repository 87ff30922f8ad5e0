"""Backtests with drivers are honest: no value after a cutoff reaches a model, except the known
drivers' actual values over the window itself (the stated perfect-knowledge assumption)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from conftest import make_driver_frame

from forecast.ingest.frame import with_observed
from forecast.models.statistical.arima import AutoARIMA
from forecast.run.backtest import backtest, backtest_splits

H, WINDOWS = 4, 3


def _frame(observed=()):
    history, _, _ = make_driver_frame(56, H, series=2, seed=3)
    return with_observed(history, observed)


def _poisoned(df: pd.DataFrame, cutoff_pos: np.ndarray, known: list[str]) -> pd.DataFrame:
    """``df`` with ``y`` and the observed drivers replaced after each row's cutoff, and the
    known drivers replaced after the window's ``H`` steps."""
    out = df.copy()
    out.attrs.update(df.attrs)
    pos = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    after = pos >= cutoff_pos
    beyond = pos >= cutoff_pos + H
    rng = np.random.default_rng(99)
    for col in ["y", *[c for c in ("x", "flag") if c not in known]]:
        out.loc[after, col] = rng.normal(1e4, 1e3, after.sum())
    for col in known:
        out.loc[beyond, col] = rng.normal(1e4, 1e3, beyond.sum())
    return out


@pytest.mark.parametrize("observed", [(), ("flag",), ("x", "flag")])
def test_no_value_after_a_cutoff_reaches_a_model(observed):
    df = _frame(observed)
    known = [c for c in ("x", "flag") if c not in observed]
    models = ["arima", "ets"]
    clean = backtest(models, df, H, WINDOWS)
    sizes = df.groupby("unique_id", sort=False).size()
    length = df["unique_id"].map(sizes).to_numpy()
    for w in range(WINDOWS):
        cutoff_pos = length - H - (WINDOWS - 1 - w) * H  # first forecast position of window w
        spoiled = backtest(models, _poisoned(df, cutoff_pos, known), H, WINDOWS)
        a = clean[clean["window"] == w].reset_index(drop=True)
        b = spoiled[spoiled["window"] == w].reset_index(drop=True)
        np.testing.assert_allclose(b["yhat"], a["yhat"], rtol=1e-9)
        np.testing.assert_allclose(b["lo"], a["lo"], rtol=1e-9)


class _Recording(AutoARIMA):
    """ARIMA that records what it is shown: the training frame's end and the future's columns."""

    log: ClassVar[list] = []

    def _start(self, df):  # every fit of a per-series model starts here (fit, refit, fan-out)
        _Recording.log.append(("fit", df["ds"].max(), sorted(df.columns)))
        return super()._start(df)

    def predict(self, h, level=80, X_future=None):
        cols = None if X_future is None else sorted(X_future.columns)
        end = None if X_future is None else X_future["ds"].max()
        _Recording.log.append(("predict", end, cols))
        return super().predict(h, level=level, X_future=X_future)


def test_the_future_a_window_sees_is_the_known_drivers_over_that_window_only():
    df = _frame(("flag",))
    _Recording.log = []
    backtest({"rec": _Recording}, df, H, WINDOWS)
    splits = backtest_splits(df, H, WINDOWS)
    fits = [e for e in _Recording.log if e[0] == "fit"]
    predicts = [e for e in _Recording.log if e[0] == "predict"]
    assert len(fits) == len(predicts) == WINDOWS  # windows fitted first, then forecast in order
    for w, (_cutoff, train, test) in enumerate(splits):
        (_, fit_end, fit_cols), (_, fut_end, fut_cols) = fits[w], predicts[w]
        assert fit_end == train["ds"].max() and fit_cols == sorted(df.columns)
        assert fut_cols == ["ds", "unique_id", "x"]  # never y, never the observed-only flag
        assert fut_end == test["ds"].max()


def test_with_known_drivers_the_backtest_scores_better_than_without():
    df = _frame()
    plain = df[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = "MS"

    def mae(bt):
        return float((bt["y"] - bt["yhat"]).abs().mean())

    assert mae(backtest(["arima"], df, H, WINDOWS)) < 0.5 * mae(
        backtest(["arima"], plain, H, WINDOWS)
    )
