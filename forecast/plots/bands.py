"""The interval band of a forecast: one filled trace from ``hi`` out and ``lo`` back.

Every figure that draws a forecast with its interval (the fan chart,
:mod:`forecast.plots.forecasts`; the forecast with and without drivers and a scenario,
:mod:`forecast.plots.scenario`) draws its band with :func:`interval_band`, so the bands look the
same everywhere and toggle with their line in the legend.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

__all__ = ["BAND_ALPHA", "has_band", "interval_band", "rgba"]

#: Opacity of a band's fill (its line's colour).
BAND_ALPHA = 0.15


def rgba(hex_color: str, alpha: float) -> str:
    """``"#1f77b4"`` and 0.15 as ``"rgba(31,119,180,0.15)"``.

    Examples
    --------
    >>> rgba("#1f77b4", 0.15)
    'rgba(31,119,180,0.15)'
    """
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def has_band(part: pd.DataFrame) -> bool:
    """Whether every row of a forecast (``lo``, ``hi``) has both bounds: only then is a band
    drawn (a band with holes would be drawn wrong)."""
    return bool(part["lo"].notna().all() and part["hi"].notna().all())


def interval_band(part: pd.DataFrame, color: str, *, name: str, legendgroup: str) -> go.Scatter:
    """The filled band between ``lo`` and ``hi`` of one forecast.

    Parameters
    ----------
    part : DataFrame
        ``ds, lo, hi`` of one series and model, sorted by ``ds`` (shape (h, ...)).
    color : str
        The forecast line's colour (``#rrggbb``); the band is filled with it at
        :data:`BAND_ALPHA`.
    name : str
        The trace's name (``"arima 80%"``); it has no legend entry of its own.
    legendgroup : str
        The line's legend group, so clicking the line in the legend hides the band too.

    Returns
    -------
    plotly.graph_objects.Scatter
        ``2 h`` points: ``hi`` forward in time, then ``lo`` backward, filled (``toself``), no
        markers or line, no hover.
    """
    return go.Scatter(
        x=list(part["ds"]) + list(part["ds"][::-1]),
        y=list(part["hi"]) + list(part["lo"][::-1]),
        fill="toself",
        fillcolor=rgba(color, BAND_ALPHA),
        mode="none",  # fill only: plotly adds markers to short traces by default
        line={"width": 0},
        name=name,
        legendgroup=legendgroup,
        showlegend=False,
        hoverinfo="skip",
    )
