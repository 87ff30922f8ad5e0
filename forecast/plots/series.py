"""Figures of one or many series and of their autocorrelation structure.

- :func:`series_figure`: the series themselves (gaps shown as breaks).
- :func:`acf_figure`: ACF or PACF as stems with the shaded confidence band, like statsmodels'
  ``plot_acf``/``plot_pacf`` but interactive (hover: lag, value, significant yes/no, and for the
  PACF the estimator, e.g. ``ldb``).
- :func:`lag_scatter_figure`: y_t against y_{t-k} for chosen lags, with the correlation.
- :func:`stl_figure`: STL components (observed, trend, seasonal, remainder).

Every function takes data (a frame, an array, a :class:`~forecast.diagnostics.SeriesDiagnosis`
or its ``to_dict()``) and returns a ``plotly.graph_objects.Figure``; front ends only place them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecast.errors import DataError, SpecError
from forecast.ingest.series_names import frame_labels, series_name
from forecast.plots.grid import grid_layout, panel_axes
from forecast.plots.style import MARGIN

__all__ = ["acf_figure", "lag_scatter_figure", "series_figure", "stl_figure"]

_LINE = "#1f77b4"
_SIG = "#d62728"
_PLAIN = "#1f77b4"
_BAND = "rgba(31, 119, 180, 0.18)"
_LAYOUT = {"margin": MARGIN}  # the template: plotly_white, the default (forecast.plots.style)


def series_figure(
    df: pd.DataFrame, unique_id: str | None = None, *, labels: dict | None = None
) -> go.Figure:
    """Line chart of the series of a long frame.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    unique_id : str, optional
        Only this series (default: every series, one line each).
    labels : dict of str to str, optional
        Series labels (default: ``df.attrs["labels"]``); the title and the legend name each
        series by :func:`~forecast.ingest.series_names.series_name`.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per series; missing values show as breaks in the line.

    Raises
    ------
    DataError
        If the frame lacks the columns or ``unique_id`` is not one of its series.
    """
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise DataError(f"The frame lacks columns {sorted(missing)}; pass a long frame.")
    ids = sorted(df["unique_id"].astype(str).unique())
    if unique_id is not None:
        if str(unique_id) not in ids:
            raise DataError(f"Series '{unique_id}' is not in the frame; its series are {ids[:10]}.")
        ids = [str(unique_id)]
    labels = frame_labels(df) if labels is None else labels
    fig = go.Figure()
    for uid in ids:
        g = df[df["unique_id"].astype(str) == uid].sort_values("ds")
        name = series_name(uid, labels)
        fig.add_trace(
            go.Scatter(
                x=g["ds"],
                y=g["y"],
                mode="lines",
                name=name,
                connectgaps=False,
                hovertemplate="%{x|%Y-%m-%d %H:%M}<br>y = %{y:.4g}<extra>" + name + "</extra>",
            )
        )
    title = f"Series {series_name(ids[0], labels)}" if len(ids) == 1 else f"{len(ids)} series"
    fig.update_layout(
        title=title, xaxis_title="date", yaxis_title="value", showlegend=len(ids) > 1, **_LAYOUT
    )
    return fig


def _get(diag, key: str):
    return diag[key] if isinstance(diag, dict) else getattr(diag, key)


def diagnosis_name(diag) -> str:
    """The series of a diagnosis (or its ``to_dict()``) as people read it: ``"label · id"``."""
    uid = _get(diag, "unique_id")
    label = diag.get("label") if isinstance(diag, dict) else getattr(diag, "label", None)
    return series_name(uid, {str(uid): label} if label else None)


#: PACF estimators in words, by their statsmodels name.
_PACF_METHODS = {"ldb": "Durbin-Levinson, biased autocovariances"}


def acf_figure(diag, kind: str = "acf", max_lag: int | None = None) -> go.Figure:
    """ACF or PACF as stems with the shaded confidence band around zero.

    Parameters
    ----------
    diag : SeriesDiagnosis or dict
        A diagnosis (or its ``to_dict()``) holding ``acf``/``pacf`` and their ``*_confint``.
    kind : {"acf", "pacf"}
        Which function to draw.
    max_lag : int, optional
        Last lag drawn (default: every lag computed). Lag 0 (always 1) is left out.

    Returns
    -------
    plotly.graph_objects.Figure
        Stems and markers (red where significant), the band as a shaded area, dotted lines at
        multiples of the seasonal period; hover shows lag, value and significance, and for the
        PACF its method (``pacf_method``, e.g. "ldb": Durbin-Levinson on the biased
        autocovariances). A constant series gives an empty figure with a note.

    Raises
    ------
    SpecError
        If ``kind`` is not "acf" or "pacf".
    """
    if kind not in ("acf", "pacf"):
        raise SpecError(f"kind='{kind}' is not a correlogram; use 'acf' or 'pacf'.")
    values = np.asarray(_get(diag, kind), dtype=float)
    confint = np.asarray(_get(diag, f"{kind}_confint"), dtype=float).reshape(-1, 2)
    uid = diagnosis_name(diag)
    label = "ACF" if kind == "acf" else "PACF"
    method = None
    if kind == "pacf":  # diagnoses saved before the key existed have none
        method = diag.get("pacf_method") if isinstance(diag, dict) else diag.pacf_method
    how = f"<br>method: {method} ({_PACF_METHODS.get(method, method)})" if method else ""
    layout = {
        "title": {"text": f"{label} of {uid}"},
        "xaxis": {"title": {"text": "lag"}},
        "yaxis": {"title": {"text": label}},
        **_LAYOUT,
    }
    if len(values) < 2:
        note = "No autocorrelation: the series is constant or too short."
        layout["annotations"] = [
            {"text": note, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
        ]
        return go.Figure(layout=layout)
    last = len(values) - 1 if max_lag is None else max(1, min(int(max_lag), len(values) - 1))
    lags = np.arange(1, last + 1)
    vals = values[1 : last + 1]
    lo = confint[1 : last + 1, 0] - vals
    hi = confint[1 : last + 1, 1] - vals
    sig = (confint[1 : last + 1, 0] > 0) | (confint[1 : last + 1, 1] < 0)
    band = go.Scatter(
        x=np.r_[lags, lags[::-1]],
        y=np.r_[hi, lo[::-1]],
        fill="toself",
        fillcolor=_BAND,
        line={"width": 0},
        hoverinfo="skip",
        name="band",
        showlegend=False,
    )
    stem_x = np.column_stack([lags, lags, np.full(len(lags), np.nan)]).ravel()
    stem_y = np.column_stack([np.zeros(len(vals)), vals, np.full(len(vals), np.nan)]).ravel()
    stems = go.Scatter(
        x=stem_x,
        y=stem_y,
        mode="lines",
        line={"color": "#888", "width": 1},
        hoverinfo="skip",
        showlegend=False,
    )
    markers = go.Scatter(
        x=lags,
        y=vals,
        mode="markers",
        showlegend=False,
        name=label,
        marker={"color": np.where(sig, _SIG, _PLAIN), "size": 7},
        customdata=np.column_stack([np.where(sig, "yes", "no"), lo, hi]),
        hovertemplate="lag %{x}<br>" + label + " = %{y:.3f}<br>significant: %{customdata[0]}"
        "<br>band [%{customdata[1]:.3f}, %{customdata[2]:.3f}]" + how + "<extra></extra>",
    )
    period = _get(diag, "seasonal_period")
    seasons = range(int(period), last + 1, int(period)) if period else range(0)
    # lines as one list of shapes, the figure built at once: fig.add_vline/add_hline and each
    # update of a built figure cost milliseconds of validation
    shapes = [_line("x", k, {"dash": "dot", "color": "#999", "width": 1}) for k in seasons]
    layout["shapes"] = [*shapes, _line("y", 0, {"color": "#444", "width": 1})]
    return go.Figure(data=[band, stems, markers], layout=layout)


def _line(axis: str, at: float, line: dict) -> dict:
    """A line across the plot at ``axis`` = ``at`` (what ``fig.add_vline``/``add_hline`` draw)."""
    if axis == "x":
        return {
            "type": "line",
            "xref": "x",
            "yref": "y domain",
            "x0": at,
            "x1": at,
            "y0": 0,
            "y1": 1,
            "line": line,
        }
    return {
        "type": "line",
        "xref": "x domain",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": at,
        "y1": at,
        "line": line,
    }


def lag_scatter_figure(
    y, lags: Sequence[int] | None = None, *, name: str | None = None
) -> go.Figure:
    """Scatter of y_t against y_{t-k}, one panel per lag, with the correlation in each title.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order (NaN pairs are dropped).
    lags : sequence of int, optional
        Lags to show, e.g. ``(1, 12)`` for monthly data (default ``(1,)``).
    name : str, optional
        The series in the title (``"Lag scatter of …"``).

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    SpecError
        If a lag is not a positive integer smaller than the series length.
    """
    x = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y, dtype=float).ravel()
    lags = list(lags) if lags is not None else [1]
    for k in lags:
        if int(k) != k or k < 1 or k >= len(x) - 1:
            raise SpecError(
                f"Lag {k} cannot be shown for a series of {len(x)} points; use "
                f"whole lags between 1 and {len(x) - 2}."
            )
    titles = []
    pairs = []
    for k in lags:
        a, b = x[:-k], x[k:]
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        r = float(np.corrcoef(a, b)[0, 1]) if len(a) > 2 and a.std() > 0 and b.std() > 0 else None
        titles.append(f"lag {k}: r = {r:.2f}" if r is not None else f"lag {k}")
        pairs.append((a, b))
    layout = grid_layout(1, len(lags), tuple(titles))
    traces = []
    for i, (k, (a, b)) in enumerate(zip(lags, pairs, strict=True), start=1):
        xaxis, yaxis = panel_axes(1, i, len(lags))
        traces.append(
            go.Scatter(
                x=a,
                y=b,
                mode="markers",
                marker={"size": 5, "color": _LINE, "opacity": 0.6},
                showlegend=False,
                hovertemplate=f"y(t-{k}) = %{{x:.4g}}<br>y(t) = %{{y:.4g}}<extra></extra>",
                xaxis=xaxis,
                yaxis=yaxis,
            )
        )
        layout[f"xaxis{xaxis[1:]}"]["title"] = {"text": f"y(t-{k})"}
        if i == 1:
            layout[f"yaxis{yaxis[1:]}"]["title"] = {"text": "y(t)"}
    title = f"Lag scatter of {name}" if name else "Lag scatter"
    return go.Figure(data=traces, layout={**layout, "title": {"text": title}, **_LAYOUT})


def stl_figure(data, period: int | None = None, *, name: str | None = None) -> go.Figure:
    """STL components stacked: observed, trend, seasonal and remainder.

    Parameters
    ----------
    data : SeriesDiagnosis or array-like of float
        A diagnosis (its analysed values, timestamps and seasonal period are used) or the values.
    period : int, optional
        Seasonal period; required for raw values, taken from the diagnosis otherwise.
    name : str, optional
        The series in the title (default: the diagnosis' label and id, or the values' name).

    Returns
    -------
    plotly.graph_objects.Figure
        Four rows sharing the x axis (dates when known, else positions).

    Raises
    ------
    SpecError
        If no seasonal period is given or found (STL needs one).
    """
    from forecast.diagnostics import stl_decompose

    ds = None
    if hasattr(data, "values") and hasattr(data, "seasonal_period"):
        values, ds = data.values, data.ds
        period = period or data.seasonal_period
        name = name or diagnosis_name(data)
    else:
        values = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data, dtype=float)
        if isinstance(data, pd.Series) and isinstance(data.index, pd.DatetimeIndex):
            ds = data.index
        name = name or getattr(data, "name", None) or "series"
    if not period or period < 2:
        raise SpecError(
            "STL needs a seasonal period of at least 2; this series has none (pass period=...)."
        )
    comp = stl_decompose(values, int(period))
    x = ds[comp.index] if ds is not None else comp.index
    layout = grid_layout(
        4,
        1,
        ("observed", "trend", "seasonal", "remainder"),
        shared_xaxes=True,
        vertical_spacing=0.04,
    )
    traces = []
    for row, col in enumerate(("observed", "trend", "seasonal", "resid"), start=1):
        xaxis, yaxis = panel_axes(row, 1, 1)
        traces.append(
            go.Scatter(
                x=x,
                y=comp[col],
                mode="lines",
                name=col,
                showlegend=False,
                line={"color": _LINE if col != "resid" else "#7f7f7f", "width": 1.2},
                hovertemplate=f"{col} = %{{y:.4g}}<extra></extra>",
                xaxis=xaxis,
                yaxis=yaxis,
            )
        )
    layout["xaxis4"]["title"] = {"text": "date" if ds is not None else "position"}
    title = {"text": f"STL decomposition of {name} (period {period})"}
    return go.Figure(data=traces, layout={**layout, "title": title, "height": 700, **_LAYOUT})
