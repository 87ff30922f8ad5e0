"""One split-conformal rule for every interval: the backtest's and the networks' calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame

from forecast.evaluation.conformal import conformal_quantile
from forecast.models import make_model
from forecast.run.backtest import conformal_quantiles


def test_the_k_th_smallest_score_with_k_from_n_plus_one():
    scores = np.arange(1.0, 11.0)  # n = 10
    assert conformal_quantile(scores, 80) == 9.0  # k = ceil(11 * 0.8) = 9
    assert conformal_quantile(scores, 50) == 6.0  # k = ceil(5.5) = 6
    assert conformal_quantile(scores, 95) == 10.0  # k = 11 > n: the largest
    assert conformal_quantile(scores[::-1], 80) == 9.0  # order does not matter
    two = np.column_stack([scores, 10 * scores])
    np.testing.assert_array_equal(conformal_quantile(two, 80, axis=0), [9.0, 90.0])
    with pytest.raises(ValueError, match="at least one"):
        conformal_quantile(np.zeros(0), 80)


def test_backtest_and_networks_use_the_same_rule():
    rng = np.random.default_rng(0)
    bt = pd.DataFrame(
        {
            "unique_id": "a",
            "window": np.repeat(np.arange(7), 2),
            "ds": pd.date_range("2000-01-01", periods=14, freq="MS"),
            "y": rng.normal(size=14),
            "yhat": 0.0,
        }
    )
    q = conformal_quantiles(bt, {"a": 2.0}, 80)
    for step in (0, 1):
        scores = bt["y"].abs().to_numpy()[step::2] / 2.0
        assert q[step] == conformal_quantile(scores, 80)
    model = make_model("esn", horizon=3, reservoir_size=20, threads=1).fit(make_frame(60))
    np.testing.assert_array_equal(
        model._conformal_width(3, 80), conformal_quantile(model.calibration_, 80, axis=0)
    )
