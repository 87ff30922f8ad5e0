"""forecast.diagnostics: values are statsmodels' own, edge cases are explained, not crashed on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, make_frame
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.stattools import acf, adfuller, kpss, pacf
from threadpoolctl import threadpool_limits

from forecast.diagnostics import (
    CONTRACT_KEYS,
    autocorrelation,
    default_nlags,
    diagnose,
    diagnose_series,
    ljung_box,
    ndiffs,
    strengths,
)
from forecast.diagnostics.autocorr import LJUNG_BOX_DIRECT_MAX
from forecast.diagnostics.stationarity import ADF_MAX_OBS, kpss_lags
from forecast.errors import DataError, SpecError
from forecast.ingest.reader import read_csv

# the statsmodels reference calls use the tuple API that 0.15 deprecates
pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:The test statistic is outside"),
]


@pytest.fixture(scope="module")
def air():
    df, _ = read_csv(DATA / "air_passengers.csv")
    return df


@pytest.fixture(scope="module")
def air_diag(air):
    return diagnose(air)[0]


def test_acf_pacf_and_bands_equal_statsmodels(air, air_diag):
    x = air["y"].to_numpy()
    k = air_diag.nlags
    assert k == 36  # 3 seasonal periods of 12, below n/2 - 1 = 71
    ref_acf, ref_ci = acf(x, nlags=k, fft=True, alpha=0.05)
    ref_pacf, ref_pci = pacf(x, nlags=k, method="ldb", alpha=0.05)
    np.testing.assert_allclose(air_diag.acf, ref_acf, rtol=0, atol=1e-10)
    np.testing.assert_allclose(air_diag.acf_confint, ref_ci, rtol=0, atol=1e-10)
    np.testing.assert_allclose(air_diag.pacf, ref_pacf, rtol=0, atol=1e-10)
    np.testing.assert_allclose(air_diag.pacf_confint, ref_pci, rtol=0, atol=1e-10)
    assert air_diag.acf[0] == 1.0
    outside = [k for k in range(1, k + 1) if ref_ci[k, 0] > 0 or ref_ci[k, 1] < 0]
    assert air_diag.significant_lags == outside


def test_ljung_box_and_box_pierce_equal_statsmodels(air, air_diag):
    x = air["y"].to_numpy()
    lags = [row["lag"] for row in air_diag.ljung_box]
    assert lags == [10, 12, 20, 24]
    ref = acorr_ljungbox(x, lags=lags, boxpierce=True)
    got = pd.DataFrame(air_diag.ljung_box).set_index("lag")
    np.testing.assert_allclose(got["stat"], ref["lb_stat"], rtol=1e-12)
    np.testing.assert_allclose(got["pvalue"], ref["lb_pvalue"], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(got["bp_stat"], ref["bp_stat"], rtol=1e-12)


def test_long_series_ljung_box_from_fft_acf_equals_statsmodels():
    rng = np.random.default_rng(3)
    e = rng.normal(size=LJUNG_BOX_DIRECT_MAX + 1_000)
    x = e + 0.3 * np.r_[0.0, e[:-1]]  # MA(1): large statistics, small p-values
    rows = ljung_box(x, [1, 5, 10])
    ref = acorr_ljungbox(x, lags=[1, 5, 10], boxpierce=True)
    np.testing.assert_allclose([r["stat"] for r in rows], ref["lb_stat"], rtol=1e-10)
    np.testing.assert_allclose([r["bp_stat"] for r in rows], ref["bp_stat"], rtol=1e-10)
    np.testing.assert_allclose(
        [r["pvalue"] for r in rows], ref["lb_pvalue"], rtol=1e-8, atol=1e-300
    )


def test_adf_and_kpss_equal_statsmodels(air, air_diag):
    x = air["y"].to_numpy()
    stat, p, *_ = adfuller(x, regression="c", autolag="AIC")
    assert air_diag.adf == pytest.approx({"stat": stat, "pvalue": p}, abs=1e-10)
    kstat, kp, *_ = kpss(x, regression="c", nlags=kpss_lags(len(x)))
    kpss_numbers = {k: air_diag.kpss[k] for k in ("stat", "pvalue")}
    assert kpss_numbers == pytest.approx({"stat": kstat, "pvalue": kp}, abs=1e-10)
    assert kp == 0.01 and air_diag.kpss["pvalue_bound"] == "<"  # statsmodels' table ends there
    assert air_diag.kpss_detail["lags"] == 4  # trunc(4 (144/100)^(1/4)), as R's lags="short"


def test_adf_on_long_series_uses_the_most_recent_points():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=ADF_MAX_OBS + 500))
    d = diagnose_series(x, nlags=5)
    with threadpool_limits(limits=1, user_api="blas"):
        stat, *_ = adfuller(x[-ADF_MAX_OBS:], regression="c", autolag="AIC")
    assert d.adf["stat"] == pytest.approx(stat, abs=1e-10)
    assert d.adf_detail["tail"] == ADF_MAX_OBS
    assert any("most recent 5000" in r for r in d.readings)


def test_stl_strengths_follow_hyndman_formulas(air):
    x = air["y"].to_numpy()
    res = STL(x, period=12, robust=False).fit()
    f_t = max(0.0, 1 - np.var(res.resid) / np.var(res.trend + res.resid))
    f_s = max(0.0, 1 - np.var(res.resid) / np.var(res.seasonal + res.resid))
    got = strengths(x, 12)
    assert got["trend_strength"] == pytest.approx(f_t, abs=1e-12)
    assert got["seasonal_strength"] == pytest.approx(f_s, abs=1e-12)
    assert got["seasonal_strength"] > 0.9  # the airline series is strongly seasonal


def test_air_passengers_diagnosis(air_diag):
    assert air_diag.seasonal_period == 12
    assert (air_diag.ndiffs, air_diag.nsdiffs) == (1, 1)
    seasonal = air_diag.suggested_arima_order["seasonal_order"]
    assert (seasonal[1], seasonal[3]) == (1, 12)
    assert air_diag.suggested_arima_order["order"][1] == 1
    assert air_diag.suggested_window >= 15  # 1.25 seasonal periods
    assert air_diag.start.startswith("1949-01-01") and air_diag.end.startswith("1960-12-01")
    assert any("unit root" in r for r in air_diag.readings)
    assert any("strong serial dependence" in r for r in air_diag.readings)


def test_to_dict_has_exactly_the_contract_keys_and_is_strict_json(air_diag):
    out = air_diag.to_dict()
    assert tuple(out) == CONTRACT_KEYS
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    assert len(back["acf"]) == len(back["acf_confint"]) == air_diag.nlags + 1
    assert set(back["ljung_box"][0]) >= {"lag", "stat", "pvalue"}
    assert set(back["suggested_arima_order"]) == {"order", "seasonal_order"}


def test_constant_series_is_explained_without_nan():
    d = diagnose_series(np.full(50, 3.0), freq="MS")
    assert d.acf == [] and d.pacf == [] and d.significant_lags == [] and d.ljung_box == []
    assert d.adf == {"stat": None, "pvalue": None} and d.seasonal_period is None
    assert any("constant" in r for r in d.readings)
    json.dumps(d.to_dict(), allow_nan=False)


def test_short_series_works_and_says_why_little_is_computed():
    d = diagnose_series(np.array([1.0, 3.0, 2.0, 5.0]))
    assert d.nlags == 1 and len(d.acf) == 2
    d = diagnose_series(np.array([1.0, 3.0, 2.0]))
    assert d.nlags == 0 and d.ljung_box == []
    assert len(d.acf) == len(d.acf_confint) == len(d.pacf_confint) == 1
    assert any("too short" in r for r in d.readings)
    json.dumps(d.to_dict(), allow_nan=False)


def test_missing_values_are_interpolated_and_reported(data_dir):
    df, _ = read_csv(data_dir / "co2_weekly.csv")  # 59 gaps left as NaN
    d = diagnose(df)[0]
    assert d.n_missing == 59 and not np.isnan(d.values).any()
    assert d.readings[0].startswith("59 missing values were filled by linear interpolation")
    assert d.seasonal_period == 52


def test_default_nlags_rule():
    assert default_nlags(144, 12) == 36
    assert default_nlags(1000) == 20
    assert default_nlags(30) == 7  # n/4 wins: later lags carry no information
    assert default_nlags(40, 12) == 13  # a detected seasonal lag is always shown
    assert default_nlags(30, 12) == 13
    assert default_nlags(20, 12) == 9  # never n/2 or beyond
    assert default_nlags(8) == 2
    assert default_nlags(3) == 0


def test_pacf_is_statsmodels_ldb_and_a_correlation_where_ywadjusted_is_not():
    # a short seasonal random walk: the adjusted Yule-Walker PACF reaches 18 here
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=30)) + 10 * np.sin(2 * np.pi * np.arange(30) / 12)
    k = 14  # n/2 - 1, what the previous default showed
    old = pacf(x, nlags=k, method="ywadjusted")
    assert np.abs(old).max() > 10  # the estimator this package no longer uses
    ours = autocorrelation(x, k)
    ref, ref_ci = pacf(x, nlags=k, method="ldb", alpha=0.05)
    np.testing.assert_allclose(ours.pacf, ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.pacf_confint, ref_ci, rtol=0, atol=1e-10)
    assert np.abs(ours.pacf).max() <= 1.0
    d = diagnose_series(x, freq="MS")
    assert d.to_dict()["pacf_method"] == "ldb" and np.abs(d.pacf).max() <= 1.0


def test_nlags_argument_is_checked_and_capped():
    x = np.random.default_rng(0).normal(size=40)
    with pytest.raises(SpecError, match="nlags"):
        diagnose_series(x, nlags=0)
    d = diagnose_series(x, nlags=100)
    assert d.nlags == 19 and any("reduced to 19" in r for r in d.readings)


def test_bad_values_raise_data_error():
    with pytest.raises(DataError, match="at least 3"):
        diagnose_series(np.array([1.0, np.nan, np.nan, 2.0]))
    with pytest.raises(DataError, match="infinite"):
        diagnose_series(np.array([1.0, np.inf, 2.0, 3.0]))
    with pytest.raises(DataError, match="lacks columns"):
        diagnose(pd.DataFrame({"ds": [1], "y": [1.0]}))


def test_diagnose_runs_every_series_of_a_frame():
    df = make_frame(n=120, series=3)
    out = diagnose(df)
    assert [d.unique_id for d in out] == ["s0", "s1", "s2"]
    assert all(d.seasonal_period == 12 and d.freq == "MS" for d in out)


@pytest.mark.parametrize("seed", range(3))
def test_ndiffs_counts_integration_order(seed):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=400)
    assert ndiffs(e) == 0
    assert ndiffs(np.cumsum(e)) == 1
    assert ndiffs(np.cumsum(np.cumsum(e))) == 2
    assert ndiffs(np.arange(50.0)) == 1  # a line is constant after one difference


def test_autocorrelation_bands_hold_for_white_noise():
    rng = np.random.default_rng(7)
    fractions = [
        len(autocorrelation(rng.normal(size=400), 20).significant_acf) / 20 for _ in range(40)
    ]
    assert np.mean(fractions) <= 0.08  # nominal 5 %
