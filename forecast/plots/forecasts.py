"""Figures of a forecasting run: fan chart against actuals, residual diagnostics, leaderboard.

Inputs are the frames and dicts of :class:`forecast.run.result.RunResult` (``history``,
``forecasts``, ``actuals``, ``residuals[model]``, ``residual_checks[model]``, ``leaderboard``),
so every front end draws the same pictures. Colours come from :mod:`forecast.plots.colors`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import forecast.plots.style  # noqa: F401 - plotly_white as the default template
from forecast.diagnostics.pvalues import P_FLOOR, pvalue_text
from forecast.ingest.series_names import frame_labels, series_name
from forecast.plots.bands import has_band, interval_band
from forecast.plots.colors import model_color

__all__ = ["backtest_figure", "forecast_figure", "leaderboard_figure", "residual_figure"]


def _pick(frame: pd.DataFrame | None, unique_id: str | None) -> str | None:
    if unique_id is not None:
        return str(unique_id)
    if frame is None or frame.empty:
        return None
    return str(frame["unique_id"].iloc[0])


def _actual_line(series: pd.DataFrame, name: str) -> go.Scatter:
    """The observed values of one series (``ds, y``) as a plain line in the actuals' colour."""
    return go.Scatter(
        x=series["ds"],
        y=series["y"],
        name=name,
        mode="lines",
        line={"color": model_color("actual"), "width": 1.5},
    )


def forecast_figure(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    actuals: pd.DataFrame | None = None,
    *,
    unique_id: str | None = None,
    models: list[str] | None = None,
    level: float = 80,
    tail: int | None = None,
    name: str | None = None,
) -> go.Figure:
    """Fan chart of one series: history, held-out actuals and every model's forecast band.

    Each model's line and interval band share a legend group, so clicking the model in the
    legend shows or hides both.

    Parameters
    ----------
    history : DataFrame
        ``unique_id, ds, y`` the models were fitted on.
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.
    actuals : DataFrame, optional
        ``unique_id, ds, y`` of the held-out part.
    unique_id : str, optional
        Series to draw (default: the first of ``history``).
    models : list of str, optional
        Models to draw, in this order (default: all in ``forecasts``).
    level : float
        Interval level in percent (legend text only).
    tail : int, optional
        Show only the last ``tail`` history points.
    name : str, optional
        The series in the title (default: :func:`~forecast.ingest.series_names.series_name`
        of ``unique_id`` and ``history.attrs["labels"]``).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: ``history``, ``actual`` (if any), then per model a band and a line.
    """
    uid = _pick(history, unique_id)
    fig = go.Figure()
    hist = history[history["unique_id"].astype(str) == uid] if uid is not None else history
    if tail:
        hist = hist.tail(int(tail))
    fig.add_trace(_actual_line(hist, "history"))
    if actuals is not None and not actuals.empty:
        act = actuals[actuals["unique_id"].astype(str) == uid]
        fig.add_trace(
            go.Scatter(
                x=act["ds"],
                y=act["y"],
                name="actual",
                mode="lines+markers",
                line={"color": model_color("actual"), "width": 1.5, "dash": "dot"},
                marker={"size": 5},
            )
        )
    fc = forecasts[forecasts["unique_id"].astype(str) == uid]
    names = models if models is not None else list(pd.unique(fc["model"]))
    for model in names:
        part = fc[fc["model"] == model].sort_values("ds")
        if part.empty:
            continue
        color = model_color(model)
        if has_band(part):
            fig.add_trace(interval_band(part, color, name=f"{model} {level:g}%", legendgroup=model))
        fig.add_trace(
            go.Scatter(
                x=part["ds"],
                y=part["yhat"],
                name=model,
                legendgroup=model,
                mode="lines",
                line={"color": color, "width": 2},
                customdata=np.stack([part["lo"], part["hi"]], axis=-1),
                hovertemplate=(
                    f"{model}<br>%{{x}}<br>ŷ %{{y:.4g}}<br>{level:g}%: "
                    "[%{customdata[0]:.4g}, %{customdata[1]:.4g}]<extra></extra>"
                ),
            )
        )
    shown = name or (series_name(uid, frame_labels(history)) if uid is not None else None)
    fig.update_layout(
        title=f"Forecast of {shown} with {level:g}% intervals" if shown else "Forecast",
        xaxis_title="time",
        yaxis_title="value",
        hovermode="x unified",
        legend={"title": "click to show/hide"},
    )
    return fig


def backtest_figure(
    history: pd.DataFrame,
    backtest: pd.DataFrame,
    *,
    unique_id: str | None = None,
    models: list[str] | None = None,
    name: str | None = None,
) -> go.Figure:
    """The backtest of one series: the actual series and each model's forecast from each origin.

    Parameters
    ----------
    history : DataFrame
        ``unique_id, ds, y`` (the whole series the backtest ran on).
    backtest : DataFrame
        ``window, cutoff, unique_id, ds, model, yhat, lo, hi, y``.
    unique_id : str, optional
        Series to draw (default: the first of ``history``).
    models : list of str, optional
        Models to draw (default: all in ``backtest``).
    name : str, optional
        The series in the title (default: its label and id, from ``history.attrs["labels"]``).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: ``actual``, then per model one line per origin (one legend entry per model),
        and a dotted vertical line at each cutoff.
    """
    uid = _pick(history, unique_id)
    fig = go.Figure()
    bt = backtest[backtest["unique_id"].astype(str) == uid]
    hist = history[history["unique_id"].astype(str) == uid]
    if not bt.empty:  # from one horizon before the first cutoff
        start = bt["cutoff"].min()
        before = hist[hist["ds"] <= start].tail(max(1, int(bt.groupby("window").size().max())))
        hist = hist[hist["ds"] >= before["ds"].min()]
    fig.add_trace(_actual_line(hist, "actual"))
    names = models if models is not None else list(dict.fromkeys(bt["model"]))
    for model in names:
        part = bt[bt["model"] == model]
        for i, (_w, win) in enumerate(part.groupby("window", sort=True)):
            fig.add_trace(
                go.Scatter(
                    x=win["ds"],
                    y=win["yhat"],
                    name=model,
                    legendgroup=model,
                    showlegend=i == 0,
                    mode="lines",
                    line={"color": model_color(model), "width": 2},
                    hovertemplate=f"{model}, origin {pd.Timestamp(win['cutoff'].iloc[0]):%Y-%m-%d}"
                    "<br>%{x}: %{y:.4g}<extra></extra>",
                )
            )
    for cutoff in sorted(bt["cutoff"].unique()):
        fig.add_vline(x=pd.Timestamp(cutoff), line={"dash": "dot", "color": "#999", "width": 1})
    shown = name or (series_name(uid, frame_labels(history)) if uid is not None else None)
    fig.update_layout(
        title=f"Backtest of {shown}: forecasts from each origin against the actuals"
        if shown
        else None,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def residual_figure(
    residuals: pd.DataFrame,
    check: dict,
    *,
    unique_id: str | None = None,
    model: str = "",
    name: str | None = None,
) -> go.Figure:
    """Residual diagnostics panel of one model and series (R's ``checkresiduals``).

    Four panels: residuals over time, their histogram, the residual ACF with the white-noise
    band, and the Ljung-Box p-values per tested lag against the 5% line. The verdict is the
    title.

    Parameters
    ----------
    residuals : DataFrame
        ``unique_id, ds, resid`` (a model's ``residuals_``).
    check : dict
        The model's entry of ``RunResult.residual_checks`` (or one ``ResidualCheck.to_dict()``).
    unique_id : str, optional
        Series to draw (default: the worst series of ``check``, else the first).
    model : str
        Model name, for the title and colour.
    name : str, optional
        The series in the title (default: its id, with its label from
        ``residuals.attrs["labels"]``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    uid = unique_id if unique_id is not None else check.get("unique_id") or _pick(residuals, None)
    series_check = check.get("series", {}).get(str(uid), check)
    part = residuals[residuals["unique_id"].astype(str) == str(uid)]
    r = part["resid"].to_numpy(dtype=float)
    color = model_color(model or "actual")
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=("residuals over time", "histogram", "residual ACF", "Ljung-Box p-values"),
        vertical_spacing=0.18,
    )
    fig.add_trace(
        go.Scatter(
            x=part["ds"],
            y=r,
            mode="lines+markers",
            marker={"size": 3},
            line={"color": color, "width": 1},
            name="residual",
        ),
        row=1,
        col=1,
    )
    fig.add_hline(y=0, line={"color": "#888", "dash": "dash"}, row=1, col=1)
    fig.add_trace(
        go.Histogram(x=r[np.isfinite(r)], marker={"color": color}, name="histogram", nbinsx=30),
        row=1,
        col=2,
    )
    lags, acf = series_check.get("lags", []), series_check.get("acf", [])
    band = series_check.get("band")
    if lags:
        fig.add_trace(
            go.Bar(x=lags, y=acf, marker={"color": color}, name="ACF", width=0.3), row=2, col=1
        )
        if band is not None and math.isfinite(band):
            for sign in (1, -1):
                fig.add_hline(
                    y=sign * band, line={"color": "#d62728", "dash": "dash"}, row=2, col=1
                )
    table = series_check.get("ljung_box", [])
    alpha = series_check.get("alpha", 0.05)
    if table:
        # a log axis: p = 1e-7 and p = 0.3 are both readable; an underflowed 0 sits at the floor
        shown = [max(float(row["pvalue"]), P_FLOOR) for row in table]
        low = min(math.floor(math.log10(min(shown))) - 0.5, math.log10(alpha) - 1.0)
        fig.add_trace(
            go.Bar(
                x=[str(row["lag"]) for row in table],
                y=shown,
                marker={
                    "color": ["#2ca02c" if row["pvalue"] >= alpha else "#d62728" for row in table]
                },
                name="Ljung-Box p",
                text=[pvalue_text(row["pvalue"]) for row in table],
                textposition="outside",
            ),
            row=2,
            col=2,
        )
        fig.add_hline(
            y=alpha,
            line={"color": "#888", "dash": "dash"},
            annotation_text=f"{alpha:g}",
            annotation_position="bottom right",
            row=2,
            col=2,
        )
        fig.update_yaxes(type="log", range=[low, 0.3], title_text="p (log)", row=2, col=2)
    fig.update_xaxes(title_text="lag", row=2, col=1)
    fig.update_xaxes(title_text="lag", row=2, col=2)
    verdict = series_check.get("verdict", "")
    shown = name or series_name(uid, frame_labels(residuals))
    fig.update_layout(
        title=f"{model} residuals of {shown}: {verdict}" if model else f"{shown}: {verdict}",
        showlegend=False,
        title_font={"size": 13},
    )
    return fig


_BOARD_COLUMNS = [
    ("rank", "rank", "{:.0f}"),
    ("model", "model", "{}"),
    ("mae", "MAE", "{:.4g}"),
    ("rmse", "RMSE", "{:.4g}"),
    ("smape", "sMAPE", "{:.2f}"),
    ("mase", "MASE", "{:.3f}"),
    ("coverage", "coverage", "{:.0%}"),
    ("ljung_box_pvalue", "Ljung-Box p", "pvalue"),
    ("residual_verdict", "residuals", "{}"),
    ("fit_seconds", "fit s", "{:.2f}"),
    ("error", "error", "{}"),
]


def _cell(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if fmt == "pvalue":
        return pvalue_text(value, digits=2)
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def leaderboard_figure(board: pd.DataFrame) -> go.Figure:
    """Leaderboard as a table figure, best model first, white residuals in green.

    Parameters
    ----------
    board : DataFrame
        ``RunResult.leaderboard``.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Table`` trace.
    """
    cols = [(key, label, fmt) for key, label, fmt in _BOARD_COLUMNS if key in board.columns]
    if "error" in board.columns and board["error"].isna().all():
        cols = [c for c in cols if c[0] != "error"]
    values = [[_cell(v, fmt) for v in board[key]] for key, _, fmt in cols]
    white = (
        board["residuals_white"] if "residuals_white" in board else pd.Series([None] * len(board))
    )
    shade = [
        "white"
        if w is None or (isinstance(w, float) and math.isnan(w))
        else "#e8f5e9"
        if bool(w)
        else "#fdecea"
        for w in white
    ]
    fill = [shade if key == "residual_verdict" else ["white"] * len(board) for key, _, _ in cols]
    fig = go.Figure(
        go.Table(
            header={
                "values": [label for _, label, _ in cols],
                "fill_color": "#f0f0f0",
                "align": "left",
            },
            cells={"values": values, "fill_color": fill, "align": "left"},
        )
    )
    fig.update_layout(
        title="Leaderboard (rank by MASE)", margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )
    return fig
