"""Seasonal period, simulated ARMA structure, suggested window/orders, and property tests."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA, make_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.tsa.arima_process import ArmaProcess

from forecast.diagnostics import (
    diagnose_series,
    nsdiffs,
    seasonal_period,
    suggested_arima_order,
    suggested_window,
)
from forecast.diagnostics.window import MIN_WINDOW, window_from
from forecast.errors import SpecError
from forecast.ingest.reader import read_csv


def _arma(ar, ma, n, seed):
    rng = np.random.default_rng(seed)
    return ArmaProcess(ar, ma).generate_sample(n, distrvs=rng.standard_normal, burnin=200)


def e_noise(n=100, seed=0):
    return np.random.default_rng(seed).normal(size=n)


def _sar(phi, n, seed, m=12):
    ar = np.zeros(m + 1)
    ar[0], ar[m] = 1.0, -phi
    return _arma(ar, [1.0], n, seed)


def test_period_of_the_airline_data_is_12():
    df, report = read_csv(DATA / "air_passengers.csv")
    period, ev = seasonal_period(df["y"], report.freq)
    assert period == 12
    (row,) = ev["candidates"]
    assert row["accepted"] and row["acf"] > row["band"] > 0
    assert round(ev["periodogram_period"]) == 12


def test_period_of_weekly_co2_with_gaps_is_52():
    df, report = read_csv(DATA / "co2_weekly.csv")
    assert df["y"].isna().sum() == 59
    period, ev = seasonal_period(df["y"], report.freq)
    assert period == 52 and ev["n_interpolated"] == 59


@pytest.mark.parametrize("seed", range(5))
def test_no_period_for_white_noise_or_random_walk(seed):
    e = np.random.default_rng(seed).normal(size=144)
    assert seasonal_period(e, "MS")[0] is None
    assert seasonal_period(np.cumsum(e), "MS")[0] is None


def test_sunspot_cycle_is_a_cycle_not_a_season():
    df, report = read_csv(DATA / "sunspots_yearly.csv")
    period, ev = seasonal_period(df["y"], report.freq)
    assert period is None and ev["cycle"] in (10, 11, 12)


@pytest.mark.parametrize("n", [48, 60])
def test_short_strongly_seasonal_series_gets_its_period(n):
    y = make_frame(n=n)["y"].to_numpy()  # 4-5 years of a clear monthly pattern
    period, ev = seasonal_period(y, "MS")
    (row,) = ev["candidates"]
    assert period == 12
    assert row["acf"] < row["band"]  # Bartlett's band alone would miss it ...
    assert row["seasonal_strength"] > 0.64  # ... the strength rule does not


def test_daily_data_finds_the_weekly_period():
    t = np.arange(7 * 60)
    y = 3 * (t % 7 >= 5) + np.random.default_rng(0).normal(size=len(t))
    assert seasonal_period(y, "D")[0] == 7


def test_ar1_gives_pacf_cutoff_and_ar_order():
    orders, cutoffs = [], []
    for seed in range(8):
        d = diagnose_series(_arma([1, -0.7], [1], 400, seed), freq="MS")
        assert d.significant_pacf_lags[0] == 1 and d.pacf[1] > 0.6
        assert d.significant_lags[:3] == [1, 2, 3]  # the ACF decays geometrically
        orders.append(d.suggested_arima_order["order"])
        cutoffs.append(2 not in d.significant_pacf_lags)
    assert orders.count([1, 0, 0]) >= 6 and sum(cutoffs) >= 7


def test_ma1_gives_acf_cutoff_and_ma_order():
    orders = []
    for seed in range(8):
        d = diagnose_series(_arma([1], [1, 0.8], 400, seed), freq="MS")
        assert d.significant_lags[0] == 1 and 2 not in d.significant_lags
        assert d.pacf[2] < 0  # the PACF alternates
        orders.append(d.suggested_arima_order["order"])
    assert orders.count([0, 0, 1]) >= 7


def test_seasonal_ar_gives_seasonal_lags_and_seasonal_ar_order():
    seasonal = []
    for seed in range(6):
        d = diagnose_series(_sar(0.6, 360, seed), freq="MS")
        assert d.seasonal_period == 12
        assert 12 in d.significant_lags and 12 in d.significant_pacf_lags
        seasonal.append(d.suggested_arima_order["seasonal_order"])
    assert seasonal.count([1, 0, 0, 12]) >= 5


def test_nsdiffs_separates_seasonal_unit_root_from_seasonal_ar():
    rng = np.random.default_rng(1)
    e = rng.normal(size=360)
    srw = e.copy()
    for t in range(12, 360):
        srw[t] = srw[t - 12] + e[t]
    assert nsdiffs(srw, 12)[0] == 1
    assert nsdiffs(_sar(0.6, 360, 1), 12)[0] == 0
    assert nsdiffs(e, None) == (0, "no seasonal period")


def test_suggested_window_rules():
    df, report = read_csv(DATA / "air_passengers.csv")
    length, reason = suggested_window(df["y"], report.freq, horizon=24)
    assert 30 <= length <= 144 // 3 and "1.25" in reason
    minimal = [suggested_window(np.random.default_rng(s).normal(size=300))[0] for s in range(6)]
    assert minimal.count(MIN_WINDOW) >= 5  # chance PACF hits do not stretch the window
    sun, _ = read_csv(DATA / "sunspots_yearly.csv")
    length, reason = suggested_window(sun["y"], "YS")
    assert length >= 14 and "cycles" in reason  # 1.25 x the ~11-year cycle
    length, reason = window_from(300, None, [], None)
    assert length == MIN_WINDOW and "minimum" in reason
    capped, why = window_from(30, 12, [1, 13], horizon=6)
    assert capped == 8 and "capped" in why  # (30 - 6) // 3
    assert window_from(500, 12, [1, 2, 27], None)[0] == 27
    assert window_from(500, 12, [1], 20)[0] == 25
    with pytest.raises(SpecError, match="horizon"):
        suggested_window(e_noise(), horizon=0)


def test_suggested_order_for_a_constant_and_a_random_walk():
    assert suggested_arima_order(np.ones(30)) == {
        "order": [0, 0, 0],
        "seasonal_order": [0, 0, 0, 0],
        "reason": "a constant series needs no model beyond its mean",
    }
    rw = np.cumsum(np.random.default_rng(2).normal(size=300))
    out = suggested_arima_order(rw)
    assert out["order"] == [0, 1, 0] and out["seasonal_order"] == [0, 0, 0, 0]


@settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=3, max_size=120),
    st.sampled_from([None, "MS", "D", "W-SUN", "QS-OCT", "h"]),
)
def test_any_series_gives_strict_json_without_exception(values, freq):
    d = diagnose_series(np.array(values), freq=freq)
    out = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert len(out["acf"]) in (0, d.nlags + 1)
    assert 1 <= out["suggested_window"] <= max(MIN_WINDOW, len(values))
    assert all(isinstance(r, str) and r for r in out["readings"])


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.integers(min_value=100, max_value=600))
def test_white_noise_bands_rarely_exclude_zero(seed, n):
    d = diagnose_series(np.random.default_rng(seed).normal(size=n))
    assert len(d.significant_lags) / d.nlags <= 0.25  # nominal 5 % per lag
    assert d.seasonal_period is None
