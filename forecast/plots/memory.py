"""Figure of the effective memory of a recurrent model, beside the series' autocorrelation.

:func:`effective_memory_figure` draws, by lag ``k``, the mean |∂ŷ/∂x_{t−k}| of a fitted network
(``model.effective_memory(df)``) as bars, scaled so the largest is 1, and optionally |ACF| at the
same lags as a line: how far back the network actually looks against how far back the data
remember (vanishing gradients made visible).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecast.errors import DataError
from forecast.plots.style import MARGIN

__all__ = ["effective_memory_figure"]

_LAYOUT = {"margin": MARGIN}  # the template: plotly_white, the default (forecast.plots.style)
_BAR = "#2ca02c"
_ACF = "#1f77b4"


def _acf_values(acf) -> np.ndarray:
    """ACF values indexed by lag (element 0 is lag 0) from an array, a diagnosis or its dict."""
    if isinstance(acf, dict):
        acf = acf["acf"]
    elif hasattr(acf, "acf"):
        acf = acf.acf
    return np.asarray(acf, dtype=float).ravel()


def effective_memory_figure(
    memory_df: pd.DataFrame, acf=None, *, model: str | None = None
) -> go.Figure:
    """Bars of a network's sensitivity by lag, with |ACF| for comparison.

    Parameters
    ----------
    memory_df : DataFrame
        ``lag`` (1 = the last input) and ``importance`` (mean absolute gradient), as returned by
        ``effective_memory`` of a recurrent model.
    acf : array-like, SeriesDiagnosis or dict, optional
        Autocorrelations by lag starting at lag 0 (an array, or anything with an ``acf`` field
        such as :class:`forecast.diagnostics.SeriesDiagnosis` or its ``to_dict()``); drawn as
        |ACF| at the same lags.
    model : str, optional
        Model name for the title.

    Returns
    -------
    plotly.graph_objects.Figure
        Bars of relative importance (max = 1) by lag; hover shows lag, relative and raw
        importance; an |ACF| line when ``acf`` is given.

    Raises
    ------
    DataError
        If ``memory_df`` lacks ``lag`` or ``importance`` or is empty.
    """
    missing = {"lag", "importance"} - set(memory_df.columns)
    if missing or memory_df.empty:
        raise DataError(
            f"effective memory needs a frame with columns lag and importance (missing "
            f"{sorted(missing)}); compute it with model.effective_memory(df)."
        )
    lags = memory_df["lag"].to_numpy(dtype=int)
    raw = memory_df["importance"].to_numpy(dtype=float)
    top = raw.max()
    rel = raw / top if top > 0 else raw
    title = "Effective memory" + (f" of {model}" if model else "") + ": |∂ŷ/∂x(t−k)| by lag k"
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=lags,
            y=rel,
            name="network sensitivity",
            marker_color=_BAR,
            customdata=raw,
            hovertemplate="lag %{x}<br>relative %{y:.3f}<br>mean |grad| %{customdata:.4g}<extra></extra>",
        )
    )
    if acf is not None:
        values = _acf_values(acf)
        keep = lags[lags < len(values)]
        if len(keep):
            fig.add_trace(
                go.Scatter(
                    x=keep,
                    y=np.abs(values[keep]),
                    name="|ACF| of the series",
                    mode="lines+markers",
                    line={"color": _ACF},
                    hovertemplate="lag %{x}<br>|ACF| %{y:.3f}<extra></extra>",
                )
            )
    fig.update_layout(
        title=title,
        xaxis_title="lag k (steps back from the forecast origin)",
        yaxis_title="relative sensitivity / |ACF|",
        yaxis_range=[0, 1.05],
        legend={"orientation": "h", "y": -0.2},
        **_LAYOUT,
    )
    return fig
