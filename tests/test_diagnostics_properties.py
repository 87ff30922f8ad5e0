"""Property test: every statistic of a diagnosis or a residual check lies in its range.

Hypothesis draws series of every awkward kind (short from n = 3, long up to 400, constant
stretches, a single spike, huge and tiny magnitudes, NaN gaps, negative values, integer counts with
many zeros) and checks, for :func:`forecast.diagnostics.diagnose_series`, ``forecast diagnose --json`` and
:func:`forecast.evaluation.residuals.residual_check` / :func:`~forecast.evaluation.residuals.combine_checks`: |ACF| and
|PACF| at most 1, bands finite and ordered, p-values and strengths in [0, 1], a seasonal period
None or in [2, n/2], a window in [1, what the series allows], non-negative orders, readings that
quote the numbers they stand on, and no exception but :class:`DataError`.

Examples run per test: 150 (diagnose_series), 25 (the CLI, one file each), 200 (residual_check),
40 (combine_checks): 415 in all, about 10 s on one core.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from forecast.cli import app
from forecast.diagnostics import diagnose_series
from forecast.diagnostics.pvalues import pvalue_text
from forecast.errors import DataError
from forecast.evaluation.residuals import combine_checks, residual_check

pytestmark = pytest.mark.filterwarnings("ignore")

KINDS = ("noise", "walk", "seasonal", "counts", "spike", "trend")
MAGNITUDES = (1e-300, 1e-12, 1e-3, 1.0, 1e6, 1e15, 1e300)
FREQS = (None, "MS", "D", "W-SUN", "QS-OCT", "h")


@st.composite
def series(draw, min_n: int = 8, max_n: int = 400) -> np.ndarray:
    """A random series of one of :data:`KINDS`, with optional gaps, stretches and offset."""
    n = draw(st.one_of(st.integers(min_n, 40), st.integers(min_n, max_n)))
    kind = draw(st.sampled_from(KINDS))
    if n == 0:
        return np.zeros(0)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.arange(n)
    if kind == "noise":
        x = rng.normal(size=n)
    elif kind == "walk":
        x = np.cumsum(rng.normal(size=n)) / np.sqrt(n)
    elif kind == "seasonal":
        m = int(rng.choice([4, 7, 12, 24]))
        x = np.sin(2 * np.pi * t / m) + rng.normal(0, rng.uniform(0, 1), n)
    elif kind == "counts":
        x = rng.poisson(rng.uniform(0.05, 1.0), n).astype(float)
    elif kind == "spike":
        x = np.zeros(n)
        x[rng.integers(n)] = 1.0
    else:
        x = t / n + rng.normal(0, 0.01, n)
    if draw(st.booleans()):  # a constant stretch
        a = int(rng.integers(n))
        x[a : a + int(rng.integers(1, n + 1))] = x[a]
    scale = draw(st.sampled_from(MAGNITUDES))
    offset = draw(st.sampled_from((0.0, -1.0, -5.0, 3.0)))  # negative values
    x = (x + offset) * scale if kind != "counts" else x * (1 if scale < 1e6 else scale)
    gaps = draw(st.sampled_from((0.0, 0.0, 0.1, 0.4)))
    if gaps:
        x[rng.random(n) < gaps] = np.nan
    return x


def _pvalue_ok(p) -> bool:
    return p is None or (isinstance(p, float) and 0.0 <= p <= 1.0)


def _significant(values: list, confint: list) -> list[int]:
    return [k for k in range(1, len(values)) if confint[k][0] > 0 or confint[k][1] < 0]


def check_diagnosis(s: dict, n: int, horizon: int | None = None) -> None:
    """Every invariant of one series of ``forecast diagnose --json`` (a ``to_dict()``)."""
    json.dumps(s, allow_nan=False)  # strict JSON: no NaN or infinity anywhere
    assert s["n_obs"] == n and s["pacf_method"] == "ldb"
    nlags = len(s["acf"]) - 1
    assert len(s["pacf"]) == len(s["acf"]) == len(s["acf_confint"]) == len(s["pacf_confint"])
    assert nlags <= max(0, n // 2 - 1)
    for key in ("acf", "pacf"):
        values, band = s[key], s[f"{key}_confint"]
        assert all(abs(v) <= 1.0 for v in values), (key, max(map(abs, values)))
        assert not values or values[0] == 1.0
        assert all(math.isfinite(lo) and math.isfinite(hi) and lo <= hi for lo, hi in band)
        assert all(lo <= v <= hi for v, (lo, hi) in zip(values, band, strict=True))
    assert s["significant_lags"] == _significant(s["acf"], s["acf_confint"])
    for row in s["ljung_box"]:
        assert 1 <= row["lag"] <= nlags
        assert row["stat"] >= 0 and row["bp_stat"] >= 0
        assert _pvalue_ok(row["pvalue"]) and _pvalue_ok(row["bp_pvalue"])
    for test in ("adf", "kpss"):
        assert _pvalue_ok(s[test]["pvalue"])
        assert (s[test]["stat"] is None) == (s[test]["pvalue"] is None)
    for key in ("trend_strength", "seasonal_strength"):
        assert s[key] is None or 0.0 <= s[key] <= 1.0
    m = s["seasonal_period"]
    assert m is None or 2 <= m <= n / 2
    assert s["seasonal_strength"] is None or m is not None
    assert 1 <= s["suggested_window"] <= max(1, (n - (horizon or 0)) // 3)
    p, d, q = s["suggested_arima_order"]["order"]
    big_p, big_d, big_q, m_order = s["suggested_arima_order"]["seasonal_order"]
    assert min(p, d, q, big_p, big_d, big_q, m_order) >= 0 and d + big_d <= 2
    assert m_order == (m or 0) and s["ndiffs"] >= 0 and s["nsdiffs"] in (0, 1)
    _check_readings(s, nlags)


def _check_readings(s: dict, nlags: int) -> None:
    """Each reading that quotes a number quotes the number of the diagnosis."""
    text = "\n".join(s["readings"])
    assert not re.search(r"\bnan\b|\binf\b", text, re.I), text
    found = re.search(r"Suggested look-back window: (\d+) steps", text)
    assert found and int(found[1]) == s["suggested_window"]
    found = re.search(r"Suggested starting ARIMA order: \((\d+),(\d+),(\d+)\)", text)
    assert found and [int(v) for v in found.groups()] == s["suggested_arima_order"]["order"]
    season = re.search(r"^Seasonal period (\d+)", text, re.M)
    assert (int(season[1]) if season else None) == s["seasonal_period"]
    if s["acf"]:
        sig = s["significant_lags"]
        found = re.search(r"The ACF is significant at (\d+) of (\d+) lags", text)
        if found:
            assert (int(found[1]), int(found[2])) == (len(sig), nlags)
        found = re.search(r"No autocorrelation is significant up to lag (\d+)", text)
        if found:
            assert not sig and int(found[1]) == nlags
        psig = _significant(s["pacf"], s["pacf_confint"])
        found = re.search(r"The PACF cuts off after lag (\d+)", text)
        if found:
            assert psig == list(range(1, int(found[1]) + 1))
        found = re.search(r"The PACF is significant at lags? ([\d, ]+)", text)
        if found:
            quoted = [int(v) for v in found[1].replace(" ", "").strip(",").split(",")]
            assert set(quoted) <= set(psig) and quoted[0] == psig[0]
        if not psig:
            assert "The PACF" not in text
    found = re.search(r"KPSS suggests (\d+) regular difference", text)
    assert (int(found[1]) if found else 0) == s["ndiffs"] and (found or not s["acf"])
    found = re.search(r"Trend strength (\d\.\d\d)", text)
    assert (float(found[1]) if found else None) == (
        None if s["trend_strength"] is None else round(s["trend_strength"], 2)
    )
    lb = s["ljung_box"]
    if "Ljung-Box: no evidence" in text:
        assert all(row["pvalue"] >= 0.05 for row in lb)
    if "Ljung-Box: strong serial dependence" in text:
        assert all(row["pvalue"] < 0.05 for row in lb)


@settings(max_examples=150, deadline=2000, suppress_health_check=list(HealthCheck))
@given(
    x=series(min_n=3),
    freq=st.sampled_from(FREQS),
    nlags=st.one_of(st.none(), st.integers(1, 60)),
    horizon=st.one_of(st.none(), st.integers(1, 24)),
)
def test_diagnose_series_statistics_stay_in_range(x, freq, nlags, horizon):
    try:
        d = diagnose_series(x, freq=freq, nlags=nlags, horizon=horizon)
    except DataError as exc:
        assert np.isfinite(x).sum() < 3, exc  # the only refusal: too few observed values
        return
    check_diagnosis(d.to_dict(), len(x), horizon)


runner = CliRunner()


@settings(max_examples=25, deadline=4000, suppress_health_check=list(HealthCheck))
@given(x=series(max_n=150), freq=st.sampled_from(("MS", "D", "W-SUN", "QS-OCT")))
def test_cli_diagnose_json_statistics_stay_in_range(tmp_path_factory, x, freq):
    import pandas as pd

    ds = pd.date_range("2001-01-01", periods=len(x), freq=freq).strftime("%Y-%m-%d")
    cells = ["" if np.isnan(v) else repr(float(v)) for v in x]
    path = tmp_path_factory.mktemp("cli") / "series.csv"
    path.write_text("date,value\n" + "".join(f"{a},{b}\n" for a, b in zip(ds, cells, strict=True)))
    result = runner.invoke(app, ["diagnose", str(path), "--json"])
    if result.exit_code == 2:  # bad input: one error line, no traceback
        assert result.output.startswith("error: ") and "Traceback" not in result.output
        return
    assert result.exit_code == 0, result.output
    (s,) = json.loads(result.stdout)["series"]
    check_diagnosis(s, s["n_obs"])


def check_residuals(c: dict, m: int, alpha: float = 0.05) -> None:
    """Every invariant of one :class:`ResidualCheck` (as ``to_dict()``)."""
    assert c["n"] >= 0 and c["m"] == max(m, 1)
    acf, band = c["acf"], c["band"]
    assert all(abs(v) <= 1.0 for v in acf)
    assert c["lags"] == list(range(1, len(acf) + 1))
    if acf:
        assert math.isfinite(band) and band > 0
        assert c["significant_lags"] == [
            k for k, v in zip(c["lags"], acf, strict=True) if abs(v) > band
        ]
    for row in c["ljung_box"]:
        assert 0.0 <= row["pvalue"] <= 1.0 and row["stat"] >= 0 and row["dof"] >= 1
    for key in ("mean_pvalue", "jarque_bera_pvalue"):
        assert math.isnan(c[key]) or 0.0 <= c[key] <= 1.0
    if c["white"] is None:
        assert math.isnan(c["pvalue"]) and not c["verdict"].startswith(("no autoc", "structure"))
        return
    assert 0.0 <= c["pvalue"] <= 1.0 and c["white"] == (c["pvalue"] >= alpha)
    outside = [k for k in c["significant_lags"] if k <= max(r["lag"] for r in c["ljung_box"])]
    assert c["outside_lags"] == outside
    opening = (
        "structure left"
        if not c["white"]
        else "little autocorrelation left"
        if outside
        else "no autocorrelation left"
    )
    assert c["verdict"].startswith(opening)
    # the p-value is quoted by the one rule of forecast.diagnostics.pvalues
    assert f"p {pvalue_text(c['pvalue'])}" in c["verdict"] or (
        f"p = {pvalue_text(c['pvalue'])}" in c["verdict"]
    )
    found = re.search(r"p ([=<]) ([\d.e-]+)", c["verdict"])
    assert found
    quoted_p = float(found[2].rstrip("."))
    if found[1] == "<":  # an underflowed tail is quoted as a bound, never as p = 0
        assert c["pvalue"] < quoted_p
    else:
        assert math.isclose(quoted_p, c["pvalue"], rel_tol=0.01, abs_tol=0.006)
    assert ("not zero" in c["verdict"]) == (c["mean_zero"] is False)
    assert ("not normal" in c["verdict"]) == (c["normal"] is False)
    if not c["white"]:
        lags = re.match(r"structure left at lags? ([\d, ]+)", c["verdict"])[1]
        quoted = {int(v) for v in lags.replace(" ", "").strip(",").split(",")}
        assert quoted <= set(c["significant_lags"]) | {c["ljung_box"][0]["lag"]}


residual_args = {
    "r": series(min_n=0, max_n=300),
    "m": st.sampled_from((1, 2, 4, 7, 12, 24, 52)),
    "params": st.integers(0, 6),
    "nlags": st.one_of(st.none(), st.integers(1, 80)),
}


@settings(max_examples=200, deadline=1000, suppress_health_check=list(HealthCheck))
@given(**residual_args)
def test_residual_check_statistics_stay_in_range(r, m, params, nlags):
    check = residual_check(r, m, params, nlags=nlags)
    c = check.to_dict()
    assert c["n"] == int(np.isfinite(r).sum())
    check_residuals(c, m)


@settings(max_examples=40, deadline=3000, suppress_health_check=list(HealthCheck))
@given(rs=st.lists(series(min_n=0, max_n=120), min_size=1, max_size=4), m=residual_args["m"])
def test_combined_residual_checks_stay_in_range(rs, m):
    checks = {f"s{i}": residual_check(r, m) for i, r in enumerate(rs)}
    out = combine_checks(checks)
    json.dumps(out, allow_nan=True)
    assert out["white"] is None or 0.0 <= out["pvalue"] <= 1.0
    assert all(abs(v) <= 1.0 for v in out["acf"])
    for c in out["series"].values():
        check_residuals(c, m)
