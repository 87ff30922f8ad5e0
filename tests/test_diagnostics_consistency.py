"""Every reading of a diagnosis agrees with the others and with the numbers beside it.

:func:`contradictions` reads the sentences :func:`forecast.diagnostics.diagnose_series` wrote
and checks each claim: the d of the starting order is the differencing the differencing reading
states (on the series itself, or after the seasonal difference); a "PACF cuts off after lag k"
never stands beside a window reason saying nothing is significant on the same series, and
what the window reason says of the PACF of a series holds for statsmodels' PACF of that series;
the window the Diagnostics page states is the Run page's (:func:`suggested_window`) for the
same horizon; every number quoted is the field it came from. It runs over >= 200 generated
series (AR, MA, seasonal, trend, random walk, white noise, short, constant-ish) and over the
bundled samples; the expected number of contradictions is zero.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from statsmodels.tsa.stattools import pacf

from forecast.diagnostics import CONTRACT_KEYS, diagnose, diagnose_series, suggested_window
from forecast.diagnostics.autocorr import default_nlags
from forecast.diagnostics.window import MIN_WINDOW
from forecast.ingest.reader import read_csv

DATA = Path(__file__).resolve().parents[1] / "data"
KINDS = ("ar", "ma", "seasonal", "trend", "walk", "noise", "short", "constantish")
SEEDS = 26  # 8 kinds x 26 seeds = 208 series
_TIMES = {"once": 1, "twice": 2}


def generated(kind: str, seed: int) -> tuple[np.ndarray, str | None, int | None]:
    """One series of ``kind`` (values, frequency, horizon) from a numpy seed."""
    rng = np.random.default_rng(1000 * KINDS.index(kind) + seed)
    n = int(rng.integers(60, 240))
    t = np.arange(n)
    e = rng.normal(size=n + 2)
    freq = str(rng.choice(["MS", "QS-OCT", "D", "W-SUN"]))
    if kind == "ar":
        phi = rng.uniform(-0.9, 0.9, size=int(rng.integers(1, 3))) / 1.5
        x = np.zeros(n)
        for i in range(n):
            x[i] = e[i] + sum(p * x[i - k - 1] for k, p in enumerate(phi) if i - k - 1 >= 0)
    elif kind == "ma":
        theta = rng.uniform(-0.9, 0.9)
        x = e[1 : n + 1] + theta * e[:n]
    elif kind == "seasonal":
        m = int(rng.choice([4, 7, 12]))
        freq = {4: "QS-OCT", 7: "D", 12: "MS"}[m]
        level = np.cumsum(rng.normal(0, rng.uniform(0, 0.3), n)) + rng.uniform(0, 0.05) * t
        x = level + np.sin(2 * np.pi * t / m) * rng.uniform(0.5, 3) + e[:n] * rng.uniform(0.1, 1)
    elif kind == "trend":
        x = rng.uniform(0.01, 0.5) * t + e[:n] * rng.uniform(0.1, 2)
    elif kind == "walk":
        x = np.cumsum(e[:n]) + 50
    elif kind == "noise":
        x = e[:n] * rng.uniform(0.1, 10) + rng.uniform(-5, 5)
    elif kind == "short":
        n = int(rng.integers(5, 20))
        x = rng.normal(size=n) + rng.uniform(0, 0.3) * np.arange(n)
    else:  # constant-ish: a constant with rare blips, or exactly constant
        x = np.full(n, 7.0)
        if seed % 3:
            x[rng.integers(0, n, size=int(rng.integers(1, 4)))] += rng.normal(size=1)[0]
    horizon = None if seed % 4 == 0 else int(rng.integers(1, max(2, len(x) // 4)))
    return np.asarray(x, dtype=float), freq, horizon


def _statsmodels_pacf_significant(x: np.ndarray, d: int, period: int | None) -> set[int] | None:
    """Significant PACF lags of ``x`` differenced ``d`` times, straight from statsmodels (the
    check does not trust the code it checks); None when no PACF can be computed."""
    z = x / 2.0 ** np.frexp(np.max(np.abs(x)))[1]  # near unit magnitude, as the diagnosis
    w = np.diff(z, n=d) if d else z
    nlags = default_nlags(len(w), period)
    if nlags < 1 or np.ptp(w) <= 1e-12 * max(1.0, np.max(np.abs(w))):
        return None
    _values, band = pacf(w, nlags=nlags, method="ldb", alpha=0.05)
    return {k for k in range(1, nlags + 1) if band[k][0] > 0 or band[k][1] < 0}


def _times(words: str) -> int:
    found = re.fullmatch(r"the series(?: differenced (once|twice|\d+ times))?", words)
    assert found, words
    if not found[1]:
        return 0
    return _TIMES.get(found[1]) or int(found[1].split()[0])


def contradictions(diag, horizon: int | None = None) -> list[str]:
    """Every disagreement among the readings of one diagnosis (empty: one consistent answer)."""
    s = diag.to_dict()
    text = "\n".join(s["readings"])
    found: list[str] = []
    dec = s["decisions"]
    m = s["seasonal_period"] or 0

    # -- differencing and the starting order -----------------------------------------------
    order = re.search(
        r"Suggested starting ARIMA order: \((\d+),(\d+),(\d+)\)(?:\((\d+),(\d+),(\d+)\)\[(\d+)\])?",
        text,
    )
    if not order:
        return ["no starting order"]
    p, d, q = (int(v) for v in order.groups()[:3])
    big_d = int(order[5]) if order[5] else 0
    if [p, d, q] != s["suggested_arima_order"]["order"]:
        found.append("order sentence is not the order field")
    if order[7] and int(order[7]) != m:
        found.append(f"order's m={order[7]} is not the seasonal period {m}")
    kpss = re.search(r"KPSS suggests (\d+) regular differences? of the series", text)
    stated = int(kpss[1]) if kpss else 0
    if stated != s["ndiffs"] or dec["ndiffs"] != s["ndiffs"]:
        found.append(f"KPSS sentence says {stated}, ndiffs is {s['ndiffs']}")
    seasonal = re.search(r"gives (\d+) seasonal differences?", text)
    if (int(seasonal[1]) if seasonal else 0) != s["nsdiffs"]:
        found.append("seasonal differences stated are not nsdiffs")
    if big_d != s["nsdiffs"]:
        found.append(f"order's D={big_d} is not the {s['nsdiffs']} seasonal differences stated")
    more = re.search(r"after the seasonal difference \(lag (\d+)\), KPSS suggests (\d+) more", text)
    if big_d:
        if not more:
            found.append("D=1 but no reading of KPSS after the seasonal difference")
        elif int(more[2]) != d or int(more[1]) != m:
            found.append(f"order d={d} but after the seasonal difference KPSS suggests {more[2]}")
    else:
        if more:
            found.append("a reading after a seasonal difference that the order does not take")
        if d != stated:
            found.append(f"order d={d} but KPSS suggests {stated} regular differences")
    reason = re.search(r"d=(\d) from KPSS( after the seasonal difference)?", text)
    if s["acf"] and (not reason or int(reason[1]) != d or bool(reason[2]) != bool(big_d)):
        found.append("the order's reason states another d")
    if dec["order_diffs"] != d:
        found.append("decisions.order_diffs is not the order's d")
    on = re.search(r"from the cut-offs of the PACF and ACF of (the series[^;.]*)", text)
    if on:
        words = on[1]
        if big_d and f"after a seasonal difference (lag {m})" not in words:
            found.append(f"order read off '{words}' but D={big_d}")
        if not big_d and _times(words) != d:
            found.append(f"order read off '{words}' but d={d}")
        if big_d and (" and a regular difference" in words) != (d == 1):
            found.append(f"order read off '{words}' but d={d}")

    # -- the PACF and the window -----------------------------------------------------------
    window = re.search(
        r"Suggested look-back window: (\d+) steps(?: for a horizon of (\d+))?: (.*)\.$", text, re.M
    )
    if not window:
        return [*found, "no window sentence"]
    w, h_said, why = int(window[1]), window[2], window[3]
    if w != s["suggested_window"]:
        found.append("window sentence is not the window field")
    if (int(h_said) if h_said else None) != horizon or dec["window_horizon"] != horizon:
        found.append(f"window said for horizon {h_said}, decided for {horizon}")
    cuts = re.search(r"The PACF cuts off after lag (\d+)", text)
    nothing = re.search(r"on (the series[^;]*?) no partial autocorrelation is significant", why)
    if cuts and nothing and _times(nothing[1]) == 0:
        found.append("PACF cuts off after a lag, yet the window sees nothing on the same series")
    if nothing and _times(nothing[1]) == 0 and re.search(r"The PACF is significant", text):
        found.append("PACF significant, yet the window sees nothing on the same series")
    for claim in re.finditer(
        r"(?:on (the series[^;]*?) (no partial|the significant partial autocorrelations \(lags? "
        r"([\d, …()a-z]+)\) are isolated)|covers the last significant PACF lag of "
        r"(the series[^;(]*?) \((\d+)\))",
        why,
    ):
        words = claim[1] or claim[4]
        k = _times(words)
        if k != s["ndiffs"] or dec["window_diffs"] != k:
            found.append(f"window PACF on '{words}' but the series needs {s['ndiffs']} differences")
        sig = _statsmodels_pacf_significant(np.asarray(diag.values), k, s["seasonal_period"])
        if sig is None:
            found.append(f"window speaks of a PACF of '{words}' that cannot be computed")
        elif claim[2] == "no partial" and sig:
            found.append(f"window: nothing significant on '{words}', statsmodels: {sorted(sig)}")
        elif claim[5] and int(claim[5]) not in sig:
            found.append(f"window: lag {claim[5]} significant on '{words}', statsmodels disagrees")
        elif claim[5] and int(claim[5]) != max(dec["window_pacf_lags"]):
            found.append("window's PACF lag is not the last lag that counts")
        elif claim[3] and not {int(v) for v in re.findall(r"\d+", claim[3].split("…")[0])} <= sig:
            found.append(f"window: isolated lags {claim[3]} are not significant on '{words}'")
    # the window is the rule applied to the numbers it quotes
    quoted = [int(v) for v in re.findall(r"PACF lag of [^;(]*\((\d+)\)", why)]
    for pattern, n_said in (
        (r"spans 1\.25 seasonal periods of (\d+)", m),
        (r"spans 1\.25 horizons of (\d+)", horizon),
    ):
        said = re.search(pattern, why)
        if (int(said[1]) if said else None) != (n_said or None):
            found.append(f"'{pattern}' quotes {said[1] if said else None}, field {n_said}")
        if said:
            quoted.append(math.ceil(1.25 * int(said[1])))
    cycle = re.search(r"spans 1\.25 cycles of about (\d+)", why)
    if cycle:
        quoted.append(math.ceil(1.25 * int(cycle[1])))
    wanted = max(MIN_WINDOW, *quoted) if quoted else MIN_WINDOW
    capped = re.match(r"capped at (\d+), .*\((\d+) would be needed", why)
    if capped:
        if int(capped[1]) != w or int(capped[2]) != wanted or w >= wanted:
            found.append(f"capped window {w} does not follow from {capped.groups()}")
    elif w != wanted:
        found.append(f"window {w} is not max(3, {quoted})")
    # the Run page proposes the same window, with the same reason, for the same horizon
    run = suggested_window(diag.values, diag.freq, horizon)
    if run != (s["suggested_window"], diag.window_reason):
        found.append(f"Run page: {run}; Diagnostics page: {s['suggested_window']}")

    # -- other numbers ---------------------------------------------------------------------
    strength = re.search(r"the seasonal strength (\d\.\d\d) gives", text)
    if strength and float(strength[1]) != round(s["seasonal_strength"], 2):
        found.append("seasonal strength quoted is not the field")
    period = re.search(r"^Seasonal period (\d+)", text, re.M)
    if (int(period[1]) if period else None) != s["seasonal_period"]:
        found.append("seasonal period quoted is not the field")
    return found


CASES = [(kind, seed) for kind in KINDS for seed in range(SEEDS)]


def test_enough_generated_series():
    assert len(CASES) >= 200


@pytest.mark.parametrize(("kind", "seed"), CASES)
def test_generated_series_read_as_one_consistent_answer(kind, seed):
    x, freq, horizon = generated(kind, seed)
    diag = diagnose_series(x, freq=freq, horizon=horizon)
    assert contradictions(diag, horizon) == [], diag.readings


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.csv")))
def test_bundled_samples_read_as_one_consistent_answer(name):
    df, _report = read_csv(DATA / name)
    horizon = 12
    for diag in diagnose(df, horizon=horizon):
        assert contradictions(diag, horizon) == [], (diag.unique_id, diag.readings)


def test_the_airline_says_each_difference_on_its_series():
    """The contradiction a user saw: "KPSS suggests 1 regular difference", then "d=0 from
    KPSS". Now the count after the seasonal difference is said, and the order takes it."""
    df, _ = read_csv(DATA / "air_passengers.csv")
    diag = diagnose(df, horizon=24)[0]
    text = " ".join(diag.readings)
    assert diag.ndiffs == 1 and diag.nsdiffs == 1
    d = diag.suggested_arima_order["order"][1]
    assert f"after the seasonal difference (lag 12), KPSS suggests {d} more" in text
    assert f"d={d} from KPSS after the seasonal difference" in text
    assert "Suggested look-back window: 30 steps for a horizon of 24" in text  # 1.25 x 24
    assert suggested_window(df["y"], "MS", 24) == (30, diag.window_reason)


def test_the_window_reason_names_the_differenced_series():
    """A random walk: the PACF of the series cuts off after lag 1, while its changes (which the
    window reads) show nothing; the window reason says so of the changes, not of the series."""
    x = np.cumsum(np.random.default_rng(3).normal(size=300))
    diag = diagnose_series(x, freq="D")
    text = " ".join(diag.readings)
    assert diag.ndiffs == 1
    assert "The PACF cuts off after lag 1" in text
    assert "on the series differenced once" in diag.window_reason
    assert diag.decisions["window_series"] == "the series differenced once"
    assert contradictions(diag) == []


def test_a_contradiction_is_caught():
    """The check itself can fail: a reading edited to the old wording is a contradiction."""
    df, _ = read_csv(DATA / "air_passengers.csv")
    diag = diagnose(df, horizon=24)[0]
    d = diag.suggested_arima_order["order"][1]
    diag.readings = [
        r.replace(f"KPSS suggests {d} more", f"KPSS suggests {d + 1} more") for r in diag.readings
    ]
    assert any("after the seasonal difference KPSS" in c for c in contradictions(diag, 24))
    walk = diagnose_series(np.cumsum(np.random.default_rng(3).normal(size=300)), freq="D")
    walk.readings = [
        r.replace("on the series differenced once", "on the series") for r in walk.readings
    ]
    assert any("same series" in c for c in contradictions(walk))


#: The keys of one series of ``forecast diagnose --json`` as they were first published.
PUBLISHED = [
    "unique_id",
    "n_obs",
    "freq",
    "start",
    "end",
    "seasonal_period",
    "acf",
    "acf_confint",
    "pacf",
    "pacf_confint",
    "pacf_method",
    "significant_lags",
    "ljung_box",
    "adf",
    "kpss",
    "ndiffs",
    "nsdiffs",
    "trend_strength",
    "seasonal_strength",
    "suggested_window",
    "suggested_arima_order",
    "readings",
]


def test_the_json_contract_only_grows():
    assert CONTRACT_KEYS[: len(PUBLISHED)] == tuple(PUBLISHED)
    assert CONTRACT_KEYS[len(PUBLISHED) :] == ("label", "decisions")
    s = diagnose_series(np.random.default_rng(0).normal(size=120), horizon=6).to_dict()
    assert tuple(s) == CONTRACT_KEYS
    assert s["label"] is None
    assert s["decisions"]["window_horizon"] == 6
    assert s["decisions"]["order_diffs"] == s["suggested_arima_order"]["order"][1]
