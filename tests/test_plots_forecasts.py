"""Run figures: fan chart with legend-grouped bands, residual panel, leaderboard table."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import make_frame

from forecast.diagnostics.pvalues import pvalue_text
from forecast.plots import forecast_figure, leaderboard_figure, model_color, residual_figure
from forecast.run.pipeline import run_forecast


@pytest.fixture(scope="module")
def result():
    return run_forecast(make_frame(60, series=2), horizon=6, models="naive,snaive", holdout=6)


def test_fan_chart_draws_history_actuals_bands_and_lines(result):
    fig = forecast_figure(
        result.history, result.forecasts, result.actuals, unique_id="s1", level=80
    )
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names[:2] == ["history", "actual"]
    lines = {t.name: t for t in fig.data if t.name in ("naive", "snaive")}
    assert set(lines) == {"naive", "snaive"}
    assert lines["snaive"].line.color == model_color("snaive")
    # each band is in its model's legend group, so the legend toggles both
    bands = [t for t in fig.data if t.fill == "toself"]
    assert {b.legendgroup for b in bands} == {"naive", "snaive"}
    fc = result.forecasts.query("unique_id == 's1' and model == 'snaive'")
    band = next(b for b in bands if b.legendgroup == "snaive")
    np.testing.assert_allclose(band.y[:6], fc["hi"])
    np.testing.assert_allclose(lines["snaive"].y, fc["yhat"])
    assert len(fig.data[0].x) == 54  # the history of s1
    only = forecast_figure(result.history, result.forecasts, models=["naive"], tail=12)
    assert [t.name for t in only.data if t.mode == "lines"][1:] == ["naive"]
    assert len(only.data[0].x) == 12


def test_residual_panel_has_the_four_views_and_the_verdict(result):
    check = result.residual_checks["naive"]
    fig = residual_figure(result.residuals["naive"], check, model="naive")
    kinds = [type(t).__name__ for t in fig.data]
    assert kinds == ["Scatter", "Histogram", "Bar", "Bar"]
    worst = check["series"][check["unique_id"]]
    np.testing.assert_allclose(fig.data[2].y, worst["acf"])
    assert list(fig.data[3].x) == [str(row["lag"]) for row in worst["ljung_box"]]
    assert worst["verdict"] in fig.layout.title.text
    # band lines at ± the white-noise band
    ys = sorted(shape.y0 for shape in fig.layout.shapes if shape.y0 == shape.y1)
    assert any(np.isclose(y, worst["band"]) for y in ys)
    assert any(np.isclose(y, -worst["band"]) for y in ys)


def test_leaderboard_table_lists_models_in_rank_order(result):
    fig = leaderboard_figure(result.leaderboard)
    table = fig.data[0]
    header = list(table.header.values)
    assert header[:2] == ["rank", "model"] and "error" not in header
    assert list(table.cells.values[1]) == list(result.leaderboard["model"])
    assert (
        table.cells.values[header.index("MASE")][0] == f"{result.leaderboard['mase'].iloc[0]:.3f}"
    )


def test_ljung_box_panel_reads_tiny_p_values_on_a_log_axis_with_the_5_percent_line(result):
    check = result.residual_checks["naive"]  # naive on seasonal data: tiny p-values
    worst = check["series"][check["unique_id"]]
    fig = residual_figure(result.residuals["naive"], check, model="naive")
    axis = fig.layout.yaxis4
    assert axis.type == "log"
    smallest = min(max(row["pvalue"], 1e-300) for row in worst["ljung_box"])
    assert axis.range[0] < np.log10(smallest) and axis.range[0] < np.log10(0.05)
    assert list(fig.data[3].text) == [pvalue_text(row["pvalue"]) for row in worst["ljung_box"]]
    assert any(np.isclose(shape.y0, 0.05) for shape in fig.layout.shapes if shape.y0 == shape.y1)


def test_the_fan_chart_and_the_scenario_draw_one_kind_of_band():
    """The fan chart's band and a scenario's come from one helper: the same trace for the same
    forecast (hi forward, lo back, the line's colour at 15 %, in the line's legend group)."""
    import pandas as pd

    from forecast.plots import scenario_figure
    from forecast.plots.bands import interval_band, rgba

    ds = pd.date_range("2024-01-01", periods=4, freq="MS")
    history = pd.DataFrame({"unique_id": "a", "ds": ds - pd.DateOffset(months=4), "y": 1.0})
    yhat = np.array([1.0, 2.0, 3.0, 4.0])
    part = pd.DataFrame({"ds": ds, "yhat": yhat, "lo": yhat - 0.5, "hi": yhat + 1.0})
    fan = forecast_figure(
        history, part.assign(unique_id="a", model="scenario"), unique_id="a", level=90
    )
    scenario = scenario_figure(
        history, part.assign(unique_id="a", baseline=yhat), unique_id="a", level=90
    )
    fan_band = next(t for t in fan.data if t.fill == "toself")
    scenario_band = next(t for t in scenario.data if t.fill == "toself")
    assert list(fan_band.y) == [2.0, 3.0, 4.0, 5.0, 3.5, 2.5, 1.5, 0.5]
    assert list(scenario_band.y) == list(fan_band.y)
    assert list(scenario_band.x) == list(fan_band.x)
    for band in (fan_band, scenario_band):
        assert (band.mode, band.hoverinfo, band.showlegend) == ("none", "skip", False)
        assert band.legendgroup == "scenario"
    assert fan_band.fillcolor == rgba(model_color("scenario"), 0.15)
    expected = interval_band(part, "#d62728", name="90%", legendgroup="scenario")
    assert scenario_band.to_plotly_json() == expected.to_plotly_json()
    # a forecast with a missing bound gets no band, in both
    holes = part.assign(lo=[np.nan, 0.0, 0.0, 0.0])
    fan = forecast_figure(history, holes.assign(unique_id="a", model="m"), unique_id="a")
    assert not [t for t in fan.data if t.fill == "toself"]
    scenario = scenario_figure(history, holes.assign(unique_id="a", baseline=yhat), unique_id="a")
    assert not [t for t in scenario.data if t.fill == "toself"]
