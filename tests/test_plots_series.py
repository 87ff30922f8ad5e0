"""Figures of series and autocorrelation: the data drawn is the diagnosis' data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import DATA, make_frame

from forecast.diagnostics import diagnose, diagnose_series
from forecast.errors import DataError, SpecError
from forecast.ingest.reader import read_csv
from forecast.plots import acf_figure, lag_scatter_figure, series_figure, stl_figure


@pytest.fixture(scope="module")
def air_diag():
    return diagnose(read_csv(DATA / "air_passengers.csv")[0])[0]


def test_acf_figure_draws_values_band_and_significance(air_diag):
    fig = acf_figure(air_diag, "acf")
    band, stems, markers = fig.data
    np.testing.assert_allclose(markers.x, np.arange(1, 37))
    np.testing.assert_allclose(markers.y, air_diag.acf[1:])
    np.testing.assert_allclose(np.asarray(stems.y, dtype=float)[1::3], air_diag.acf[1:])
    half = np.asarray(air_diag.acf_confint)[1:, 1] - np.asarray(air_diag.acf)[1:]
    np.testing.assert_allclose(band.y[:36], half, atol=1e-12)  # upper edge, lags 1..36
    sig = [c == "yes" for c in np.asarray(markers.customdata)[:, 0]]
    assert [k for k, s in zip(markers.x, sig, strict=True) if s] == air_diag.significant_lags
    assert "significant" in markers.hovertemplate and "lag" in markers.hovertemplate
    assert fig.layout.xaxis.title.text == "lag" and "ACF" in fig.layout.title.text
    assert len(fig.layout.shapes) >= 3  # seasonal lags 12, 24, 36 and the zero line


def test_pacf_figure_from_json_dict_and_max_lag(air_diag):
    fig = acf_figure(air_diag.to_dict(), kind="pacf", max_lag=12)
    markers = fig.data[2]
    np.testing.assert_allclose(markers.y, air_diag.pacf[1:13])
    assert fig.layout.yaxis.title.text == "PACF"
    assert "method: ldb (Durbin-Levinson, biased autocovariances)" in markers.hovertemplate
    assert "method" not in acf_figure(air_diag, kind="acf").data[2].hovertemplate
    old = {k: v for k, v in air_diag.to_dict().items() if k != "pacf_method"}  # saved before
    assert "method" not in acf_figure(old, kind="pacf").data[2].hovertemplate
    with pytest.raises(SpecError, match="acf"):
        acf_figure(air_diag, kind="ccf")


def test_acf_figure_of_a_constant_series_is_empty_with_a_note():
    fig = acf_figure(diagnose_series(np.full(30, 2.0)))
    assert len(fig.data) == 0 and "constant" in fig.layout.annotations[0].text


def test_series_figure_one_trace_per_series():
    df = make_frame(n=40, series=3)
    fig = series_figure(df)
    assert [t.name for t in fig.data] == ["s0", "s1", "s2"]
    one = series_figure(df, "s1")
    np.testing.assert_allclose(one.data[0].y, df.loc[df.unique_id == "s1", "y"])
    with pytest.raises(DataError, match="s9"):
        series_figure(df, "s9")


def test_lag_scatter_pairs_and_correlation():
    y = np.sin(np.arange(60) / 3.0)
    fig = lag_scatter_figure(y, lags=(1, 12))
    np.testing.assert_allclose(fig.data[1].x, y[:-12])
    np.testing.assert_allclose(fig.data[1].y, y[12:])
    r = np.corrcoef(y[:-1], y[1:])[0, 1]
    assert fig.layout.annotations[0].text == f"lag 1: r = {r:.2f}"
    with pytest.raises(SpecError, match="Lag 100"):
        lag_scatter_figure(y, lags=(100,))


def test_stl_figure_components_add_up(air_diag):
    fig = stl_figure(air_diag)
    observed, trend, seasonal, resid = (np.asarray(t.y) for t in fig.data)
    np.testing.assert_allclose(trend + seasonal + resid, observed, atol=1e-8)
    assert str(fig.data[0].x[0]).startswith("1949-01-01")
    assert "period 12" in fig.layout.title.text
    with pytest.raises(SpecError, match="period"):
        stl_figure(np.random.default_rng(0).normal(size=50))


def test_grid_layout_is_the_layout_of_make_subplots():
    from plotly.subplots import make_subplots

    from forecast.plots.grid import grid_layout, panel_axes

    titles = ("a", "b", "c", "d", "e", "f")
    want = make_subplots(rows=2, cols=3, subplot_titles=titles, vertical_spacing=0.1)
    want.add_scatter(x=[1, 2], y=[3, 4], row=2, col=2)
    layout = grid_layout(2, 3, titles, vertical_spacing=0.1)
    assert panel_axes(2, 2, 3) == ("x5", "y5") and panel_axes(1, 1, 3) == ("x", "y")
    got = go.Figure(data=[go.Scatter(x=[1, 2], y=[3, 4], xaxis="x5", yaxis="y5")], layout=layout)
    assert got.to_plotly_json() == want.to_plotly_json()
    layout["xaxis"]["title"] = {"text": "changed"}  # a copy: the next one is clean
    assert "title" not in grid_layout(2, 3, titles, vertical_spacing=0.1)["xaxis"]
