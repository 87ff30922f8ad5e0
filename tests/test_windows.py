"""Sliding windows, time-ordered splits and reversible scaling (forecast.models.neural.windows)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_frame

from forecast.errors import DataError, SpecError
from forecast.models.neural.windows import (
    SeriesTransform,
    check_window,
    denormalize,
    frame_to_arrays,
    last_windows,
    make_windows,
    max_input_size,
    normalize_windows,
    split_windows,
)


def _loop_windows(series, L, H):
    """Reference implementation: one Python iteration per window."""
    X, Y, S, E = [], [], [], []
    for i, z in enumerate(series):
        for t in range(L, len(z) - H + 1):
            X.append(z[t - L : t])
            Y.append(z[t : t + H])
            S.append(i)
            E.append(t)
    return np.array(X), np.array(Y), np.array(S), np.array(E)


def test_make_windows_matches_a_loop_over_windows():
    rng = np.random.default_rng(1)
    series = [rng.normal(size=n) for n in (20, 9, 31)]
    w = make_windows(series, 5, 3)
    X, Y, S, E = _loop_windows(series, 5, 3)
    assert len(w) == (20 - 8 + 1) + (9 - 8 + 1) + (31 - 8 + 1)
    np.testing.assert_array_equal(w.X, X)
    np.testing.assert_array_equal(w.Y, Y)
    np.testing.assert_array_equal(w.series, S)
    np.testing.assert_array_equal(w.ends, E)


def test_make_windows_skips_short_series_and_strides_from_the_end():
    series = [np.arange(10.0), np.arange(3.0)]
    w = make_windows(series, 3, 2, stride=2)
    # windows must include the most recent one (ending at the last point)
    assert w.Y[-1].tolist() == [8.0, 9.0]
    assert np.all(np.diff(w.ends) == 2)
    assert set(w.series.tolist()) == {0}
    empty = make_windows([np.arange(3.0)], 3, 2)
    assert len(empty) == 0 and empty.X.shape == (0, 3) and empty.Y.shape == (0, 2)


def test_last_windows_takes_the_most_recent_points():
    out = last_windows([np.arange(10.0), np.arange(5.0)], 4)
    assert out.tolist() == [[6, 7, 8, 9], [1, 2, 3, 4]]


def test_check_window_names_shortest_series_and_largest_input():
    check_window([40, 50], ["a", "b"], 28, 12)  # fits exactly
    with pytest.raises(SpecError) as err:
        check_window([40, 30], ["a", "b"], 24, 12)
    message = str(err.value)
    assert "'b'" in message and "30" in message and "input_size <= 18" in message
    assert max_input_size([40, 30], 12) == 18
    with pytest.raises(SpecError, match="shorten the horizon"):
        check_window([10], ["a"], 3, 12)
    with pytest.raises(SpecError, match="horizon"):
        check_window([40], ["a"], 3, 0)
    with pytest.raises(SpecError, match="input_size"):
        check_window([40], ["a"], 0, 3)


def test_split_is_time_ordered_without_leakage():
    lengths = [30, 40]
    series = [np.arange(float(n)) for n in lengths]
    L, H, k = 6, 4, 3
    w = make_windows(series, L, H)
    train, val = split_windows(w, lengths, H, k)
    assert len(np.intersect1d(train, val)) == 0
    for i, n in enumerate(lengths):
        tr = train[w.series[train] == i]
        va = val[w.series[val] == i]
        assert len(va) == k
        # every training target ends before the first validation target starts
        assert (w.ends[tr] + H).max() <= w.ends[va].min()
        # the validation windows are the most recent ones
        assert (w.ends[va] + H).max() == n
    all_train, none = split_windows(w, lengths, H, 0)
    assert len(all_train) == len(w) and len(none) == 0


@pytest.mark.parametrize("method", ["last", "mean", "none"])
@pytest.mark.parametrize("scale", [True, False])
def test_normalisation_inverse_is_exact(method, scale):
    rng = np.random.default_rng(2)
    X = rng.normal(100, 20, size=(50, 12))
    Y = rng.normal(100, 20, size=(50, 4))
    Xn, Yn, level, scl = normalize_windows(X, Y, method=method, scale=scale)
    np.testing.assert_allclose(denormalize(Yn, level, scl), Y, rtol=0, atol=1e-10)
    np.testing.assert_allclose(denormalize(Xn, level, scl), X, rtol=0, atol=1e-10)
    if method == "last":
        assert np.all(Xn[:, -1] == 0)
    if method == "mean":
        np.testing.assert_allclose(Xn.mean(axis=1), 0, atol=1e-12)


def test_normalisation_uses_input_statistics_only():
    X = np.array([[1.0, 2.0, 4.0]])
    _, Yn, level, scl = normalize_windows(X, np.array([[1000.0]]), method="last", scale=True)
    assert level[0, 0] == 4.0
    assert scl[0, 0] == pytest.approx(max(7 / 3, np.std([1, 2, 4])))
    assert Yn[0, 0] == pytest.approx((1000 - 4) / scl[0, 0])
    _, _, _, flat = normalize_windows(np.zeros((1, 3)), method="last")
    assert flat[0, 0] == 1.0
    with pytest.raises(SpecError, match="normalize"):
        normalize_windows(X, method="median")


def test_transform_chooses_log_for_positive_series_only():
    positive = [np.linspace(1, 10, 40)]
    assert SeriesTransform.fit(positive, log="auto").log
    assert not SeriesTransform.fit([np.linspace(-1, 10, 40)], log="auto").log
    assert not SeriesTransform.fit(positive, log=False).log
    with pytest.raises(DataError, match="'neg'"):
        SeriesTransform.fit([np.linspace(-1, 10, 40)], log=True, ids=["neg"])


def test_deseasonalised_transform_round_trips_and_repeats_last_cycle():
    df = make_frame(72, series=2, noise=0.5)
    _, values, _ = frame_to_arrays(df)
    tr = SeriesTransform.fit(values, log="auto", period=12, deseasonalize=True)
    assert tr.log
    z = tr.forward(values)
    for i, y in enumerate(values):
        np.testing.assert_allclose(tr.inverse(z[i], tr.seasonal[i]), y, rtol=1e-12)
        # the seasonal component carries most of the sine wave: z is much smoother than log(y)
        assert np.std(np.diff(z[i])) < 0.5 * np.std(np.diff(np.log(y)))
    fut = tr.future_seasonal(30)
    assert fut.shape == (2, 30)
    np.testing.assert_array_equal(fut[0, :12], tr.seasonal[0][-12:])
    np.testing.assert_array_equal(fut[0, 12:24], tr.seasonal[0][-12:])
    short = SeriesTransform.fit([np.arange(1.0, 20.0)], period=12, deseasonalize=True)
    assert np.all(short.seasonal[0] == 0) and np.all(short.future_seasonal(5) == 0)


def test_frame_to_arrays_keeps_order_and_last_dates():
    df = make_frame(30, series=3).sample(frac=1.0, random_state=0)
    ids, values, last = frame_to_arrays(df)
    assert sorted(ids) == ["s0", "s1", "s2"]
    for uid, v in zip(ids, values, strict=True):
        expected = df[df.unique_id == uid].sort_values("ds")["y"].to_numpy()
        np.testing.assert_array_equal(v, expected)
        assert last[uid] == df[df.unique_id == uid]["ds"].max()
