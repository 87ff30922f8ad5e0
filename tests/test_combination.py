"""forecast.run.combination: how ``auto`` chooses and combines its members."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import SpecError
from forecast.run.combination import (
    auto_backtest,
    choose_alone,
    choose_members,
    combine,
    member_errors,
)


def _forecasts(values: dict[str, list[float]]) -> pd.DataFrame:
    """Two steps of one series ``s``; ``lo``/``hi`` = ``yhat`` ∓ 1."""
    ds = pd.date_range("2020-01-01", periods=2, freq="MS")
    rows = [
        {"unique_id": "s", "ds": d, "model": m, "yhat": y, "lo": y - 1.0, "hi": y + 1.0}
        for m, ys in values.items()
        for d, y in zip(ds, ys, strict=True)
    ]
    return pd.DataFrame(rows)


FC = _forecasts({"a": [1.0, 10.0], "b": [2.0, 20.0], "c": [4.0, 30.0], "d": [100.0, 0.0]})
MEMBERS = {"s": [("a", 1.0), ("b", 2.0), ("c", 4.0), ("d", 8.0)]}


def test_trimmed_mean_drops_the_highest_and_lowest_member_at_each_step():
    out = combine(FC, MEMBERS, "trimmed")
    # step 1: 1, 2, 4, 100 -> mean of 2 and 4; step 2: 0, 10, 20, 30 -> mean of 10 and 20
    np.testing.assert_allclose(out["yhat"], [3.0, 15.0])
    np.testing.assert_allclose(out["lo"], [2.0, 14.0])
    np.testing.assert_allclose(out["hi"], [4.0, 16.0])
    assert (out["model"] == "auto").all()
    # two members: nothing to trim, the plain mean
    two = combine(FC, {"s": MEMBERS["s"][:2]}, "trimmed")
    np.testing.assert_allclose(two["yhat"], [1.5, 15.0])


def test_mean_median_and_inverse_weights():
    np.testing.assert_allclose(combine(FC, MEMBERS, "mean")["yhat"], [26.75, 15.0])
    np.testing.assert_allclose(combine(FC, MEMBERS, "median")["yhat"], [3.0, 15.0])
    w = np.array([1, 1 / 2, 1 / 4, 1 / 8]) / sum([1, 1 / 2, 1 / 4, 1 / 8])
    np.testing.assert_allclose(
        combine(FC, MEMBERS, "inverse")["yhat"], [w @ [1, 2, 4, 100], w @ [10, 20, 30, 0]]
    )
    with pytest.raises(SpecError, match="rule must be one of mean, median, trimmed, inverse"):
        combine(FC, MEMBERS, "mode")


def test_members_are_the_best_k_by_backtest_error_ties_in_candidate_order():
    errors = pd.DataFrame(
        {"unique_id": "s", "model": ["a", "b", "c", "d"], "mae": [3.0, 1.0, 3.0, np.nan]}
    )
    assert choose_members(errors, 2, ["c", "a", "b", "d"]) == {"s": [("b", 1.0), ("c", 3.0)]}
    assert choose_members(errors, 2, ["a", "b"]) == {"s": [("b", 1.0), ("a", 3.0)]}


def test_the_combinations_backtest_chooses_on_earlier_windows_only():
    bt = _windows_bt([{"a": 0.0, "b": 4.0, "c": 8.0}, {"a": 9.0, "b": 1.0, "c": 2.0}])
    out = auto_backtest(bt, ["a", "b", "c"], 1, "trimmed")
    # window 0: every candidate, trimmed (the middle one, b); window 1: a, chosen on window 0
    np.testing.assert_allclose(out.sort_values("window")["yhat"], [14.0, 19.0])
    assert member_errors(out)["mae"].iloc[0] == pytest.approx(6.5)


def _many_series(n: int, seed: int = 0) -> pd.DataFrame:
    """Backtest rows of ``n`` series, 3 windows of 4 steps, 4 models; a few missing bounds."""
    rng = np.random.default_rng(seed)
    rows = []
    for w in range(3):
        for u in range(n):
            for m in ("a", "b", "c", "d"):
                for t in range(4):
                    yhat = float(rng.normal(100, 10))
                    lo = np.nan if rng.random() < 0.05 else yhat - abs(rng.normal(5, 2))
                    rows.append(
                        (w, w, f"s{u:03d}", t, m, yhat, lo, yhat + 5.0, yhat + rng.normal())
                    )
    columns = ["window", "cutoff", "unique_id", "ds", "model", "yhat", "lo", "hi", "y"]
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize("rule", ["mean", "median", "trimmed", "inverse"])
def test_combining_every_series_at_once_equals_each_series_alone(rule):
    bt = _many_series(60)
    members = choose_members(member_errors(bt), 3, ["a", "b", "c", "d"])
    fc = bt[bt["window"] == 2].drop(columns=["window", "cutoff", "y"])
    together = combine(fc, members, rule)
    alone = pd.concat(
        [combine(fc[fc["unique_id"] == u], {u: chosen}, rule) for u, chosen in members.items()],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
    assert len(together) == 60 * 4
    assert together["lo"].isna().any()  # a member without a bound leaves the step without one


def _windows_bt(errors: list[dict[str, float]]) -> pd.DataFrame:
    """One series, one step per window, ``y = 10``; ``yhat = 10 + error`` per model."""
    rows = []
    for w, errs in enumerate(errors):
        for m, e in errs.items():
            rows.append(
                {
                    "window": w,
                    "cutoff": pd.Timestamp("2020-01-01") + pd.DateOffset(months=w),
                    "unique_id": "s",
                    "ds": pd.Timestamp("2020-02-01") + pd.DateOffset(months=w),
                    "model": m,
                    "yhat": 10.0 + e,
                    "lo": np.nan,
                    "hi": np.nan,
                    "y": 10.0,
                }
            )
    return pd.DataFrame(rows)


def test_one_model_stands_alone_only_where_its_backtest_is_clearly_better():
    # a errs by 1, b by 3 and c by -1: the mean of the three errs by 1 (MAE 1), a alone by 1 too
    bt = _windows_bt([{"a": 1.0, "b": 3.0, "c": -1.0}])
    members = choose_members(member_errors(bt), 3, ["a", "b", "c"])
    assert choose_alone(bt, members, "a", 0.05) == members  # not better than the mean
    # b errs by 1.4 instead: the mean errs by 1.1333, a alone (1.0) is 11.8 % better
    bt = _windows_bt([{"a": 1.0, "b": 1.4, "c": 1.0}])
    members = choose_members(member_errors(bt), 3, ["a", "b", "c"])
    assert choose_alone(bt, members, "a", 0.05) == {"s": [("a", 1.0)]}
    assert choose_alone(bt, members, "a", 0.15) == members  # not by 15 %
    assert choose_alone(bt, members, "missing", 0.05) == members  # no backtest: no change


def test_the_combinations_backtest_decides_alone_on_earlier_windows_only():
    # window 0: a is far better than the mean of a and b; window 1: a errs by 6, b by 2
    bt = _windows_bt([{"a": 0.0, "b": 4.0}, {"a": 6.0, "b": 2.0}, {"a": 1.0, "b": 1.0}])
    out = auto_backtest(bt, ["a", "b"], 2, "mean", ("a", 0.05)).sort_values("window")
    # window 0: the mean of both (12); window 1: a alone, chosen on window 0 (16); window 2:
    # over windows 0-1 a's MAE 3 is not below the mean's 3 (errors 2 and 4): the mean (11)
    np.testing.assert_allclose(out["yhat"], [12.0, 16.0, 11.0])
    plain = auto_backtest(bt, ["a", "b"], 2, "mean").sort_values("window")
    np.testing.assert_allclose(plain["yhat"], [12.0, 14.0, 11.0])
