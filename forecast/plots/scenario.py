"""Figures of a run with drivers: the forecast with them beside the one without, and a scenario.

Inputs are a stored run's frames (:class:`forecast.run.outputs.StoredRun`: ``history``,
``drivers_forecasts``) and a scenario's forecast (:func:`forecast.run.scenario.scenario_forecast`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

import forecast.plots.style  # noqa: F401 - plotly_white as the default template
from forecast.plots.bands import has_band, interval_band
from forecast.plots.colors import model_color

__all__ = ["WITHOUT_COLOR", "WITH_COLOR", "drivers_comparison_figure", "scenario_figure"]

#: Colours of the forecast with the drivers (and of a scenario) and of the one without.
WITH_COLOR = "#1f77b4"
WITHOUT_COLOR = "#ff7f0e"
SCENARIO_COLOR = "#d62728"


def _history(fig: go.Figure, history: pd.DataFrame | None, uid: str, tail: int | None) -> None:
    if history is None:
        return
    part = history[history["unique_id"].astype(str) == uid].sort_values("ds")
    if tail:
        part = part.tail(int(tail))
    fig.add_trace(
        go.Scatter(
            x=part["ds"],
            y=part["y"],
            name="history",
            mode="lines",
            line={"color": model_color("actual"), "width": 1.5},
        )
    )


def _line(fig, part: pd.DataFrame, name: str, color: str, *, band: str | None, dash=None) -> None:
    part = part.sort_values("ds")
    if band and has_band(part):
        fig.add_trace(interval_band(part, color, name=band, legendgroup=name))
    fig.add_trace(
        go.Scatter(
            x=part["ds"],
            y=part["yhat"],
            name=name,
            legendgroup=name,
            mode="lines",
            line={"color": color, "width": 2, **({"dash": dash} if dash else {})},
            hovertemplate=f"{name}<br>%{{x}}<br>ŷ %{{y:.4g}}<extra></extra>",
        )
    )


def drivers_comparison_figure(
    history: pd.DataFrame | None,
    compared: pd.DataFrame,
    *,
    unique_id: str,
    choice: str = "with",
    names: str = "the drivers",
    level: float = 80,
    tail: int | None = None,
) -> go.Figure:
    """The forecast with the drivers and the one without, for one series, on one chart.

    Parameters
    ----------
    history : DataFrame or None
        ``unique_id, ds, y`` (drawn in the actuals' colour).
    compared : DataFrame
        ``unique_id, ds, drivers, yhat, lo, hi`` with ``drivers`` ``with`` / ``without``.
    unique_id : str
        The series.
    choice : {"with", "without"}
        The recommended one (drawn with its interval band, and named so in the legend).
    names : str
        The drivers in words, for the legend (``"Temperature and WorkDay"``).
    level : float
        Interval level in percent (legend text only).
    tail : int, optional
        Only the last ``tail`` history points.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``history``, then the recommended one (band and line), then the other (line).
    """
    uid = str(unique_id)
    fig = go.Figure()
    _history(fig, history, uid, tail)
    part = compared[compared["unique_id"].astype(str) == uid]
    order = [choice, "without" if choice == "with" else "with"]
    for which in order:
        rows = part[part["drivers"] == which]
        if rows.empty:
            continue
        label = f"with {names}" if which == "with" else "without drivers"
        recommended = which == choice
        _line(
            fig,
            rows,
            f"{label} (recommended)" if recommended else label,
            WITH_COLOR if which == "with" else WITHOUT_COLOR,
            band=f"{level:g}%" if recommended else None,
            dash=None if recommended else "dash",
        )
    fig.update_layout(
        title=f"{uid}: auto with {names} and without",
        xaxis_title="time",
        yaxis_title="value",
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.0, "x": 1.0, "xanchor": "right", "yanchor": "bottom"},
    )
    return fig


def scenario_figure(
    history: pd.DataFrame | None,
    scenario: pd.DataFrame,
    *,
    unique_id: str,
    level: float = 80,
    tail: int | None = None,
) -> go.Figure:
    """The baseline forecast and a scenario's, for one series, on one chart.

    Parameters
    ----------
    history : DataFrame or None
        ``unique_id, ds, y``.
    scenario : DataFrame
        ``unique_id, ds, yhat, lo, hi, baseline`` (:func:`forecast.run.scenario.scenario_forecast`).
    unique_id : str
        The series.
    level : float
        Interval level in percent (legend text only).
    tail : int, optional
        Only the last ``tail`` history points.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``history``, ``baseline`` (dashed), then the scenario's band and line.
    """
    uid = str(unique_id)
    fig = go.Figure()
    _history(fig, history, uid, tail)
    part = scenario[scenario["unique_id"].astype(str) == uid].sort_values("ds")
    base = part.assign(yhat=part["baseline"])
    _line(fig, base, "baseline", WITH_COLOR, band=None, dash="dash")
    _line(fig, part, "scenario", SCENARIO_COLOR, band=f"{level:g}%")
    fig.update_layout(
        title=f"{uid}: baseline and scenario",
        xaxis_title="time",
        yaxis_title="value",
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.0, "x": 1.0, "xanchor": "right", "yanchor": "bottom"},
    )
    return fig
