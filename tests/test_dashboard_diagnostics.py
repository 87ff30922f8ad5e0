"""Diagnostics page of the dashboard: callbacks called directly on real data."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import make_frame
from dash.exceptions import PreventUpdate

from dashboard import datasets
from dashboard.app import default_dataset
from dashboard.pages import diagnostics as page


def _text(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    out = _text(getattr(component, "children", None))
    data = getattr(component, "data", None)
    if isinstance(data, list):
        out += " " + " ".join(str(v) for row in data for v in row.values())
    return out


def _values(v) -> list:
    """A trace's coordinates from plotly JSON: a list, or a typed array (``dtype``, ``bdata``)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v or [])


def test_airline_diagnostics_views():
    data = default_dataset()
    options, first = page.series_options(data)
    assert options == [{"label": "Passengers", "value": "Passengers"}] and first == "Passengers"
    alert, series, readings, ljung_box, stationarity, season, stl, lag, max_lag, value = (
        page.main_views(data, first)
    )
    assert alert is None
    assert all(isinstance(f, dict) and f["data"] for f in (series, stl, lag))  # plotly JSON
    assert max_lag == value == 36  # three seasonal periods
    assert "Seasonal period 12" in _text(readings)
    lb = ljung_box.data
    assert [row["lag"] for row in lb] == sorted(row["lag"] for row in lb)
    # the airline data is far from white; at lag 24 the chi-squared tail underflows to 0.0,
    # which is written as the bound it is, never as a p-value of 0
    p_texts = [row["p-value"] for row in lb]
    assert "< 1e-300" in p_texts and "0" not in p_texts
    assert all(t.startswith("<") or float(t) < 0.001 for t in p_texts)
    assert "Seasonal period 12" in _text(season) and "ARIMA(" in _text(season)
    assert "ADF p-value" in _text(stationarity)
    # KPSS reads its p-value off a table ending at 0.01: the airline KPSS is beyond it
    assert "< 0.01" in _text(stationarity)
    acf, pacf = page.acf_views(data, first, 10)
    assert isinstance(acf, dict) and isinstance(pacf, dict)
    xs = [x for trace in acf["data"] for x in _values(trace.get("x"))]
    assert max(float(x) for x in xs if x is not None) <= 10.5  # the lag slider limits the lags


def test_empty_state_without_data():
    out = page.main_views(None, None)
    assert "Upload a CSV or pick a sample" in _text(out[2])
    assert page.series_options(None) == ([], None)


def test_display_frame_thins_long_series_and_keeps_the_envelope():
    df = make_frame(n=30_000, freq="h", season=24, noise=5.0)
    thin = page.display_frame(df, "s0", max_points=1000)
    assert len(thin) <= 1000 and thin["ds"].is_monotonic_increasing
    assert thin["y"].max() == df["y"].max() and thin["y"].min() == df["y"].min()
    short = page.display_frame(df.head(500), "s0", max_points=1000)
    assert len(short) == 500


def test_long_series_figures_are_thinned():
    rng = np.random.default_rng(0)
    n = 12_000
    t = np.arange(n)
    frame = pd.DataFrame(
        {
            "ds": pd.date_range("2020-01-01", periods=n, freq="h"),
            "v": 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n),
        }
    )
    digest = datasets.save_dataset(frame.to_csv(index=False).encode(), "long.csv")
    data = {"hash": digest, "filename": "long.csv", "overrides": {}}
    out = page.main_views(data, "v")
    series, stl = out[1], out[6]
    assert sum(len(_values(tr["x"])) for tr in series["data"]) <= page.DISPLAY_POINTS
    assert "12,000 points" in series["layout"]["title"]["text"]
    assert max(len(_values(tr["x"])) for tr in stl["data"]) <= page.DISPLAY_POINTS


def test_memo_computes_once_for_concurrent_callers():
    import threading
    import time

    from dashboard.cache import memo

    calls = []

    @memo(maxsize=2)
    def slow(x):
        calls.append(x)
        time.sleep(0.2)
        return x * 2

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(3))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [6, 6, 6, 6] and calls == [3]
    slow(1), slow(2), slow(3)  # 3 was evicted (maxsize 2) and is computed again
    assert calls == [3, 1, 2, 3]


def test_page_views_draws_everything_in_one_round_trip():
    from dash import no_update

    data = default_dataset()
    out = page.page_views(None, data, None, None)
    assert len(out) == 14
    options, uid, alert = out[:3]
    assert uid == "Passengers" and options[0]["value"] == "Passengers" and alert is None
    assert out[-4] == out[-3] == 36  # slider max and value
    assert all(isinstance(f, dict) and f["data"] for f in out[-2:])  # ACF and PACF
    only_acf = page.page_views("diag-lags", data, uid, 10)
    assert all(v is no_update for v in only_acf[:12])
    xs = [x for trace in only_acf[12]["data"] for x in _values(trace.get("x"))]
    assert max(float(x) for x in xs if x is not None) <= 10.5
    same_file = page.page_views("diag-series", data, uid, 10)
    assert same_file[0] is no_update and same_file[1] == uid and same_file[3]["data"]


def test_thin_figure_keeps_short_traces_and_the_envelope_of_long_ones():
    fig = go.Figure(
        [
            go.Scatter(x=np.arange(10_000), y=np.sin(np.arange(10_000) / 50), mode="lines"),
            go.Scatter(x=np.arange(10_000), y=np.arange(10_000), mode="markers"),
            go.Scatter(x=[1, 2, 3], y=[3, 2, 1], mode="lines"),
        ]
    )
    page.thin_figure(fig, 1000)
    assert len(fig.data[0].y) <= 1000 and max(fig.data[0].y) == np.sin(np.arange(10_000) / 50).max()
    assert len(fig.data[1].y) <= 1000 and list(fig.data[2].y) == [3, 2, 1]


def _sample(name: str) -> dict:
    return {"hash": datasets.save_sample(name), "filename": name, "overrides": {}}


def test_both_pages_propose_one_window_for_the_same_series_and_horizon():
    """The Diagnostics page states the window the Run page proposes (for the horizon the Run
    page offers), with the same reason, on every bundled sample."""
    from dashboard.pages import run as run_page

    for name in datasets.list_samples():
        data = _sample(name)
        d = run_page.defaults(data)
        df, report = datasets.load_frame(data["hash"])
        shortest = str(df.groupby("unique_id")["y"].size().idxmin())
        diag = page.diagnosis(data, shortest)
        assert d["horizon"] == run_page.offered_horizon(df, report.freq)
        assert (d["window"], d["window_reason"]) == (diag.suggested_window, diag.window_reason)
        said = f"Suggested look-back window: {d['window']} steps for a horizon of {d['horizon']}"
        assert any(r.startswith(said) for r in diag.readings), (name, diag.readings)
        season = page.summary_views(page.page_content(data, shortest)["diagnosis"])[3]
        assert f"horizon {d['horizon']}" in _text(season)


def test_the_run_pages_window_follows_the_horizon():
    from dash import no_update

    from dashboard.pages import run as run_page

    data = default_dataset()
    horizon, holdout, window, about = run_page.prefill(data)
    assert (horizon, holdout, window) == (24, 0, 30)
    assert "Window 30 for a horizon of 24: " in _text(about)
    assert "spans 1.25 horizons of 24" in _text(about)
    out = run_page.prefill(data, 6, horizon_changed=True)
    assert out[0] is no_update and out[1] is no_update  # the typed horizon and holdout stay
    df, freq = run_page_frame(data)
    window6 = run_page.series_window(df, "Passengers", freq, 6)
    assert out[2] == window6[0] and window6[0] < 30
    assert f"Window {window6[0]} for a horizon of 6: {window6[1]}" in _text(out[3])
    assert "spans 1.25 horizons of 6" in _text(out[3])
    for bad in (None, "", 0, -3, 2.5):  # nothing to decide for: the form is left as it is
        with pytest.raises(PreventUpdate):
            run_page.prefill(data, bad, horizon_changed=True)


def run_page_frame(data: dict) -> tuple:
    df, report = datasets.load_frame(data["hash"])
    return df, report.freq
