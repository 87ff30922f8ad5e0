"""forecast.evaluation.calibration: per-series interval factors fitted on backtest errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.evaluation.calibration import MIN_ERRORS, calibrate_per_series


def _backtest(n: int, steps: int, seed: int = 0) -> pd.DataFrame:
    """One model's backtest: ``n`` series, 3 windows of ``steps``; series ``i`` has errors
    ``i + 1`` times wider than its intervals' unit half-width (so each needs its own factor)."""
    rng = np.random.default_rng(seed)
    rows = []
    for w in range(3):
        for i in range(n):
            for t in range(steps):
                yhat = 100.0
                y = yhat + (i + 1) * rng.normal()
                rows.append((w, f"s{i:03d}", t, yhat, yhat - 1.0, yhat + 1.0, y))
    return pd.DataFrame(rows, columns=["window", "unique_id", "ds", "yhat", "lo", "hi", "y"])


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, x in a.items():
        y = b[key]
        assert x == y or (isinstance(x, float) and np.isnan(x) and np.isnan(y)), (key, x, y)


def test_each_series_with_enough_errors_gets_what_it_gets_alone():
    bt = _backtest(40, steps=6)  # 18 errors each, 12 with a window left out: all >= MIN_ERRORS
    together = calibrate_per_series(bt, 80.0)
    assert list(together) == [f"s{i:03d}" for i in range(40)]
    for uid, got in together.items():
        _same(got, calibrate_per_series(bt[bt["unique_id"] == uid], 80.0)[uid])
        assert got["group"] == "series" and got["n"] == 18
    scales = [together[f"s{i:03d}"]["scale"] for i in range(40)]
    assert scales[-1] > 10 * scales[0]  # the widest errors need the widest factor


def test_series_with_few_errors_take_the_pooled_factor():
    bt = _backtest(30, steps=3)  # 9 errors each: fewer than MIN_ERRORS
    assert MIN_ERRORS > 3 * 3
    out = calibrate_per_series(bt, 80.0)
    assert {c["group"] for c in out.values()} == {"pooled"}
    assert len({c["scale"] for c in out.values()}) == 1
    ratio = (bt["y"] - bt["yhat"]).abs().to_numpy()  # half-width 1 on both sides
    k = int(np.ceil((len(ratio) + 1) * 0.8))
    assert out["s000"]["scale"] == np.sort(ratio)[k - 1]
