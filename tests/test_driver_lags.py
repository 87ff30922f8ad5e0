"""Lag analysis between a target and its drivers: CCF both ways, prewhitening, lead, Granger, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.stattools import ccf
from typer.testing import CliRunner

from forecast.cli import app
from forecast.diagnostics.crosscorr import (
    bonferroni_band,
    cross_correlation,
    prewhiten,
    prewhitened_cross_correlation,
)
from forecast.diagnostics.driver_lags import DRIVER_KEYS, analyse_driver, analyse_drivers
from forecast.diagnostics.granger import granger_test
from forecast.errors import DataError
from forecast.ingest.reader import read_text

runner = CliRunner()


def ar1(n: int, phi: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An AR(1) series and its innovations (burn-in of 100 dropped)."""
    e = rng.normal(size=n + 100)
    x = np.zeros(n + 100)
    for t in range(1, n + 100):
        x[t] = phi * x[t - 1] + e[t]
    return x[100:], e[100:]


def lagged_pair(k: int, n: int = 240, beta: float = 0.5, seed: int = 0):
    """Driver AR(1) (phi 0.7); target = beta x_{t-k} + AR(1) noise (phi 0.5)."""
    rng = np.random.default_rng(seed)
    x, _ = ar1(n + 20, 0.7, rng)
    noise, _ = ar1(n, 0.5, rng)
    y = beta * x[20 - k : 20 - k + n] + noise
    return y, x[20:]


def test_ccf_matches_statsmodels_on_both_sides():
    rng = np.random.default_rng(7)
    x = rng.normal(size=60)
    y = np.r_[0.0, 0.0, x[:-2]] + rng.normal(size=60)
    lags, r = cross_correlation(y, x, 5)
    assert lags.tolist() == list(range(-5, 6))
    ahead = ccf(y, x, adjusted=False, nlags=6)  # corr(y_{t+k}, x_t) = corr(y_t, x_{t-k})
    behind = ccf(x, y, adjusted=False, nlags=6)
    np.testing.assert_allclose(r[5:], ahead, atol=1e-12)
    np.testing.assert_allclose(r[:5], behind[1:][::-1], atol=1e-12)
    assert int(lags[np.argmax(r)]) == 2  # the driver leads by two steps


def test_prewhitening_recovers_a_known_ar1_driver():
    rng = np.random.default_rng(3)
    x, e = ar1(2000, 0.8, rng)
    ex, ey, lags = prewhiten(x, 2 * x, maxlag=10)
    assert lags == [1]
    # the filtered driver is its innovations, the target filtered with the same phi(B)
    assert np.corrcoef(ex, e[1:])[0, 1] > 0.999
    np.testing.assert_allclose(ey, 2 * ex, atol=1e-9)
    phi_hat = 1 - np.polyfit(x[:-1], x[1:], 1)[0]
    assert abs((1 - phi_hat) - 0.8) < 0.03


@pytest.mark.parametrize("k", [0, 1, 3, 6, 12])
def test_the_true_lead_is_found(k):
    y, x = lagged_pair(k, seed=k)
    res = prewhitened_cross_correlation(y, x, season=12)
    assert res.lead == k
    assert k in res.significant_lags and res.relation == ("contemporaneous" if k == 0 else "lagged")


def test_independent_autocorrelated_series_show_no_lead_while_the_raw_ccf_does():
    rng = np.random.default_rng(11)
    x, _ = ar1(240, 0.9, rng)
    y, _ = ar1(240, 0.9, rng)
    res = prewhitened_cross_correlation(y, x, season=12)
    assert res.lead is None and res.significant_lags == [] and res.relation == "absent"
    assert len(res.raw_significant_lags) > 5  # spurious raw peaks: what prewhitening removes


def test_the_target_leading_the_driver_is_not_a_lead():
    y, x = lagged_pair(2, seed=5)
    res = prewhitened_cross_correlation(x, y, season=12)  # roles swapped: x lags y by 2
    assert res.strongest == -2 and res.lead is None and res.relation == "target leads"


def test_two_random_walks_are_not_related_after_the_diagnosed_differencing():
    rng = np.random.default_rng(2)
    y, x = rng.normal(size=300).cumsum(), rng.normal(size=300).cumsum()
    a = analyse_driver(y, x, name="X", target="Y", freq="MS")
    assert a.differences == {"target": 1, "driver": 1, "ccf": [1, 1]}
    assert a.lead is None and a.granger_p > 0.05
    assert "no lead-lag relation" in a.reading and "first differences of both" in a.reading


def test_a_level_relation_keeps_its_lag_when_only_the_target_needs_differencing():
    # y = 2 x_t + a random walk: differencing y alone would show a spurious -2 at lag 1
    rng = np.random.default_rng(6)
    x = (np.arange(400) % 7 < 5).astype(float) + 0.3 * rng.normal(size=400)
    y = 2 * x + rng.normal(size=400).cumsum()
    a = analyse_driver(y, x, name="WorkDay", target="Demand", freq="D", season=7)
    assert a.differences == {"target": 1, "driver": 0, "ccf": [1, 1]}
    assert a.lead == 0 and a.strongest == 0


def test_a_target_that_integrates_the_driver_is_read_in_its_changes():
    # a price that rises in the month of a freeze and the next: dy_t = x_t + 0.5 x_{t-1} + e
    rng = np.random.default_rng(9)
    x = np.where(rng.random(600) < 0.08, rng.exponential(5.0, 600), 0.0)
    dy = x + 0.5 * np.r_[0.0, x[:-1]] + 2 * rng.normal(size=600)
    a = analyse_driver(100 + dy.cumsum(), x, name="fdd", target="price", freq="MS")
    assert a.differences == {"target": 1, "driver": 0, "ccf": [1, 0]}
    assert a.lead == 0 and 1 in a.significant_lags
    assert "on first differences of price, fdd as it is" in a.reading


def test_a_deterministic_weekly_flag_is_not_whitened_away():
    # an AR(7) predicts a working-day flag exactly: filtering it would leave rounding noise
    rng = np.random.default_rng(12)
    workday = (np.arange(280) % 7 < 5).astype(float)
    y = 2 * workday + rng.normal(size=280)
    res = prewhitened_cross_correlation(y, workday, season=7)
    assert res.ar_lags == [] and res.lead == 0  # lags 0, 7, 14 tie: the shortest wins
    assert res.value_at(0) > 0.5


def test_bonferroni_band_is_the_usual_band_for_one_lag():
    assert bonferroni_band(100, 1) == pytest.approx(1.959964 / 10, rel=1e-6)
    assert bonferroni_band(100, 25) > bonferroni_band(100, 1)


def test_granger_finds_a_lagged_driver_and_not_an_unrelated_one():
    y, x = lagged_pair(1, seed=4)
    assert granger_test(y, x)["pvalue"] < 1e-6
    rng = np.random.default_rng(4)
    out = granger_test(rng.normal(size=200), rng.normal(size=200))
    assert 0.05 < out["pvalue"] <= 1 and out["lags"] >= 1
    assert granger_test(np.ones(50), rng.normal(size=50))["pvalue"] is None


def test_readings_name_the_lead_in_the_frequency_unit():
    y, x = lagged_pair(3, seed=1)
    a = analyse_driver(y, x, name="Advert", target="Quotes", freq="MS", season=12, d_target=0)
    assert a.reading.startswith("Advert leads Quotes by 3 months (prewhitened correlation")
    assert "Granger: Advert's past helps predict Quotes (p = " in a.reading
    y, x = lagged_pair(0, seed=1)
    a = analyse_driver(y, x, name="Temperature", target="Demand", freq="D", season=7, d_target=0)
    assert a.reading.startswith("Temperature moves Demand in the same day")


def test_the_summary_names_who_moves_and_who_leads():
    from forecast.diagnostics.readings import drivers_summary

    y0, x0 = lagged_pair(0, seed=2)
    y3, x3 = lagged_pair(3, seed=3)
    same = analyse_driver(y0, x0, name="Temperature", target="Demand", freq="D", d_target=0)
    ahead = analyse_driver(y3, x3, name="Price", target="Demand", freq="D", d_target=0)
    rng = np.random.default_rng(0)
    none = analyse_driver(
        rng.normal(size=240), rng.normal(size=240), name="Noise", target="Demand", freq="D"
    )
    assert drivers_summary([same, none], freq="D") == (
        "Drivers of Demand: Temperature moves it in the same day; Noise shows no lead-lag "
        "relation; none leads it."
    )
    assert drivers_summary([same, ahead], freq="D") == (
        "Drivers of Demand: Temperature moves it in the same day; Price leads it by 3 days."
    )
    assert drivers_summary([]) is None


def test_too_short_a_pair_is_refused():
    with pytest.raises(DataError, match="too few"):
        prewhitened_cross_correlation(np.arange(5.0), np.arange(5.0))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=20, max_value=120),
    phi=st.floats(min_value=-0.9, max_value=0.95),
    k=st.integers(min_value=0, max_value=4),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_properties_ccf_bounded_bands_symmetric_pvalues_in_unit_interval(n, phi, k, seed):
    rng = np.random.default_rng(seed)
    x, _ = ar1(n + 5, phi, rng)
    y = np.r_[np.zeros(k), x[: n + 5 - k]] * rng.normal() + rng.normal(size=n + 5)
    a = analyse_driver(y, x, name="x", target="y", freq="D", d_target=0)
    r = np.array(a.ccf + a.prewhitened_ccf)
    assert np.all(np.abs(r) <= 1.0)
    assert a.lags == list(range(-max(a.lags), max(a.lags) + 1))
    assert len(a.ccf) == len(a.prewhitened_ccf) == len(a.lags)
    assert a.band > 0 and a.band_corrected >= a.band  # the band is ±band: symmetric about 0
    assert all(
        abs(a.prewhitened_ccf[a.lags.index(j)]) > a.band_corrected for j in a.significant_lags
    )
    assert a.lead is None or (a.lead >= 0 and a.lead in a.significant_lags)
    assert a.granger_p is None or 0.0 <= a.granger_p <= 1.0


def _demand_csv(tmp_path, n: int = 200):
    rng = np.random.default_rng(0)
    temp, _ = ar1(n + 3, 0.7, rng)
    workday = (np.arange(n + 3) % 7 < 5).astype(float)
    demand = 50 + 3 * temp[:n] + 2 * workday[:n] + rng.normal(size=n)
    days = pd.date_range("2023-01-02", periods=n + 3, freq="D")
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "Demand": np.r_[demand, [np.nan] * 3],
            "Temperature": temp.round(4),
            "WorkDay": workday,
        }
    )
    path = tmp_path / "demand.csv"
    frame.to_csv(path, index=False)
    return path


def test_diagnose_drivers_json_contract(tmp_path):
    path = _demand_csv(tmp_path)
    result = runner.invoke(
        app,
        [
            "diagnose",
            str(path),
            "--value-col",
            "Demand",
            "--drivers",
            "Temperature,WorkDay",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (series,) = json.loads(result.stdout)["series"]
    assert [d["name"] for d in series["drivers"]] == ["Temperature", "WorkDay"]
    for d in series["drivers"]:
        assert set(DRIVER_KEYS) <= set(d)
        lags = d["lags"]
        assert lags == list(range(-lags[-1], lags[-1] + 1))
        assert len(d["ccf"]) == len(d["prewhitened_ccf"]) == len(lags)
        assert d["known_in_advance"] is True  # three future rows of both drivers
        assert isinstance(d["band"], float) and 0 <= d["granger_p"] <= 1
    temp = series["drivers"][0]
    assert temp["lead"] == 0 and 0 in temp["significant_lags"]
    assert temp["reading"].startswith("Temperature moves Demand in the same day")
    assert temp["reading"] in series["readings"]
    assert series["readings"][-1].startswith("Drivers of Demand: Temperature")
    assert series["readings"][-1].endswith("none leads it.")


def test_diagnose_without_drivers_keeps_its_json(tmp_path):
    path = _demand_csv(tmp_path)
    result = runner.invoke(app, ["diagnose", str(path), "--value-col", "Demand", "--json"])
    assert result.exit_code == 0
    assert "drivers" not in json.loads(result.stdout)["series"][0]


def test_diagnose_drivers_table_and_bad_input(tmp_path):
    path = _demand_csv(tmp_path)
    result = runner.invoke(
        app, ["diagnose", str(path), "--value-col", "Demand", "--drivers", "all"]
    )
    assert result.exit_code == 0 and "Drivers of Demand" in result.stdout
    bad = runner.invoke(
        app, ["diagnose", str(path), "--value-col", "Demand", "--drivers", "Humidity", "--json"]
    )
    assert bad.exit_code == 2 and bad.stdout == ""
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Driver 'Humidity' is not in the file")


def test_analyse_drivers_on_a_long_frame_with_drivers_per_series():
    rows = ["month,State,Takings,CPI"]
    rng = np.random.default_rng(1)
    for state in ("NSW", "VIC"):
        cpi, _ = ar1(80, 0.6, rng)
        takings = 5 + np.r_[0.0, cpi[:-1]] + 0.3 * rng.normal(size=80)
        for i, month in enumerate(pd.date_range("2000-01-01", periods=80, freq="MS")):
            rows.append(f"{month:%Y-%m},{state},{takings[i]:.4f},{cpi[i]:.4f}")
    df, _ = read_text("\n".join(rows) + "\n", value_cols="Takings", drivers="CPI")
    out = analyse_drivers(df)
    assert sorted(out) == ["NSW", "VIC"]
    assert all(a[0].lead == 1 for a in out.values())
    with pytest.raises(DataError, match="no driver columns"):
        analyse_drivers(df[["unique_id", "ds", "y"]])


def half_hourly_pair(days: int = 42, seed: int = 3) -> pd.DataFrame:
    """Half-hourly target and driver whose relation is in the day's level: the driver is a daily
    AR(1) level (phi 0.8) plus a strong daily cycle; the target is twice that level plus a cycle
    of its own and half-hourly noise."""
    rng = np.random.default_rng(seed)
    level, _ = ar1(days, 0.8, rng)
    n = 48 * days
    h = np.arange(n) % 48
    day_level = np.repeat(level, 48)
    x = day_level + 3 * np.sin(2 * np.pi * h / 48) + rng.normal(scale=0.2, size=n)
    y = 2 * day_level + 5 * np.cos(2 * np.pi * h / 48) + rng.normal(scale=1.0, size=n)
    ds = pd.date_range("2014-01-01", periods=n, freq="30min")
    return pd.DataFrame({"unique_id": "Demand", "ds": ds, "y": y, "Temperature": x})


def test_half_hourly_pair_read_at_the_day_scale():
    df = half_hourly_pair()
    (a,) = analyse_drivers(df)["Demand"]
    assert a.daily is not None
    assert a.daily.lead == 0 and a.daily.relation == "contemporaneous"
    r0 = a.daily.prewhitened_ccf[a.daily.lags.index(0)]
    assert r0 > 0.5
    assert a.daily.n <= 42 and max(a.daily.lags) < 42
    assert a.reading.startswith(
        f"Temperature moves Demand in the same day (daily means: prewhitened correlation {r0:.2f}"
    )
    assert "Sampled every 30 minutes" in a.reading
    # the sub-daily numbers keep their meaning: lags in half-hours, on all 2,016 points
    assert a.n > 1900 and max(a.lags) >= 48


def test_half_hourly_driver_json_keys():
    (a,) = analyse_drivers(half_hourly_pair())["Demand"]
    out = json.loads(json.dumps(a.to_dict()))
    assert list(out)[: len(DRIVER_KEYS)] == list(DRIVER_KEYS)
    assert set(DRIVER_KEYS) <= set(out["daily"])
    assert out["daily"]["lead"] == 0 and out["daily"]["daily"] is None
    assert len(out["lags"]) == len(out["prewhitened_ccf"])


def test_daily_series_have_no_daily_analysis():
    y, x = lagged_pair(1)
    ds = pd.date_range("2020-01-01", periods=len(y), freq="D")
    df = pd.DataFrame({"unique_id": "s", "ds": ds, "y": y, "x": x})
    (a,) = analyse_drivers(df)["s"]
    assert a.daily is None and a.to_dict()["daily"] is None and a.lead == 1


def test_weak_sub_daily_correlations_name_no_lead():
    """Significant but tiny sub-daily correlations (|r| < MIN_SUBDAILY_EFFECT): the step names
    no lead, so the table, the JSON and the sentence agree that the daily means speak."""
    from dataclasses import replace

    from forecast.diagnostics.crosscorr import MIN_SUBDAILY_EFFECT
    from forecast.diagnostics.driver_lags import _weak_to_none
    from forecast.diagnostics.readings import driver_reading

    (a,) = analyse_drivers(half_hourly_pair())["Demand"]
    r = dict(zip(a.lags, a.prewhitened_ccf, strict=True))
    assert a.strongest is not None and abs(r[a.strongest]) >= MIN_SUBDAILY_EFFECT
    assert a.lead == a.strongest == 0 and a.relation == "contemporaneous"  # strong: kept
    scale = 0.5 * MIN_SUBDAILY_EFFECT / abs(r[a.strongest])
    weak = replace(a, prewhitened_ccf=[v * scale for v in a.prewhitened_ccf])
    _weak_to_none(weak)
    assert weak.lead is None and weak.relation == "weak" and weak.strongest == 0
    text = driver_reading(weak, freq="30min")
    assert "too weak to read a lead from" in text
    assert text.startswith("Temperature moves Demand in the same day (daily means:")
    # two Granger tests, each named by its scale
    assert "Granger on the daily means:" in text and "Granger at that step: p = " in text
    assert weak.to_dict()["lead"] is None and weak.to_dict()["daily"]["lead"] == 0
