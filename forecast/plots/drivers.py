"""Figures of a target and its drivers: cross-correlations as stems with bands, the lagged scatter.

- :func:`ccf_figure`: the raw or the prewhitened cross-correlation ``corr(y_t, x_{t-k})`` at lags
  ``-L ... L`` as stems (red where significant), the ``±1.96/√n`` band shaded and the band a lag
  must clear after the correction for the lags tested dashed; the lead marked.
- :func:`driver_scatter_figure`: the target against the driver ``k`` steps earlier (at the lead),
  on the series as they were cross-correlated.

Each takes a :class:`~forecast.diagnostics.driver_lags.DriverAnalysis` (or its ``to_dict()``
for :func:`ccf_figure`) and returns a ``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from forecast.errors import SpecError
from forecast.plots.series import _line
from forecast.plots.style import MARGIN

__all__ = ["ccf_figure", "driver_scatter_figure"]

_SIG = "#d62728"
_PLAIN = "#1f77b4"
_BAND = "rgba(31, 119, 180, 0.18)"


def _get(a, key: str):
    return a[key] if isinstance(a, dict) else getattr(a, key)


def ccf_figure(analysis, kind: str = "prewhitened") -> go.Figure:
    """Raw or prewhitened cross-correlation of a target and a driver, as stems with bands.

    Parameters
    ----------
    analysis : DriverAnalysis or dict
        From :func:`forecast.diagnostics.driver_lags.analyse_driver` (or its ``to_dict()``).
    kind : {"prewhitened", "raw"}
        Which cross-correlation to draw.

    Returns
    -------
    plotly.graph_objects.Figure
        Stems at lags ``-L ... L`` (positive: the driver leads), the shaded band ``±1.96/√n``
        (symmetric about 0), the corrected band dashed (prewhitened), red markers where a lag is
        significant (prewhitened: beyond the corrected band; raw: beyond its band), a dotted
        line at the lead.

    Raises
    ------
    SpecError
        ``kind`` is neither "prewhitened" nor "raw".
    """
    if kind not in ("prewhitened", "raw"):
        raise SpecError(f"kind='{kind}' is not a cross-correlation; use 'prewhitened' or 'raw'.")
    lags = np.asarray(_get(analysis, "lags"), dtype=int)
    pre = kind == "prewhitened"
    values = np.asarray(_get(analysis, "prewhitened_ccf" if pre else "ccf"), dtype=float)
    band = float(_get(analysis, "band" if pre else "raw_band"))
    sig_lags = set(_get(analysis, "significant_lags" if pre else "raw_significant_lags"))
    sig = np.array([k in sig_lags for k in lags])
    name, target = (
        _get(analysis, "name"),
        (analysis.get("target", "y") if isinstance(analysis, dict) else analysis.target),
    )
    label = "prewhitened CCF" if pre else "raw CCF"
    shade = go.Scatter(
        x=np.r_[lags[0], lags[-1], lags[-1], lags[0]],
        y=[band, band, -band, -band],
        fill="toself",
        fillcolor=_BAND,
        line={"width": 0},
        hoverinfo="skip",
        name="±1.96/√n",
        showlegend=False,
    )
    stem_x = np.column_stack([lags, lags, np.full(len(lags), np.nan)]).ravel()
    stem_y = np.column_stack([np.zeros(len(lags)), values, np.full(len(lags), np.nan)]).ravel()
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
        y=values,
        mode="markers",
        name=label,
        showlegend=False,
        marker={"color": np.where(sig, _SIG, _PLAIN), "size": 7},
        customdata=np.where(sig, "yes", "no"),
        hovertemplate="lag %{x}<br>r = %{y:.3f}<br>significant: %{customdata}<extra></extra>",
    )
    shapes = [_line("y", 0, {"color": "#444", "width": 1})]
    if pre:
        corrected = float(_get(analysis, "band_corrected"))
        dash = {"color": _SIG, "width": 1, "dash": "dash"}
        shapes += [_line("y", corrected, dash), _line("y", -corrected, dash)]
        lead = _get(analysis, "lead")
        if lead is not None:
            shapes.append(_line("x", lead, {"color": _SIG, "width": 1, "dash": "dot"}))
    title = f"{label}: {target} and {name}"
    layout = {
        "title": {"text": title},
        "xaxis": {"title": {"text": f"lag k: corr(y(t), x(t−k)); k > 0: {name} leads"}},
        "yaxis": {"title": {"text": "r"}, "range": [-1.05, 1.05]},
        "shapes": shapes,
        "margin": MARGIN,
    }
    return go.Figure(data=[shade, stems, markers], layout=layout)


def driver_scatter_figure(analysis, lag: int | None = None) -> go.Figure:
    """The target against the driver ``lag`` steps earlier, with their correlation.

    Parameters
    ----------
    analysis : DriverAnalysis
        Holds the series as cross-correlated (``y_values``, ``x_values``).
    lag : int, optional
        ``k`` of ``x(t−k)`` (default: the lead, else 0); may be negative.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    SpecError
        ``|lag|`` not smaller than the series.
    """
    y = np.asarray(analysis.y_values, dtype=float)
    x = np.asarray(analysis.x_values, dtype=float)
    k = int(analysis.lead if lag is None and analysis.lead is not None else (lag or 0))
    if abs(k) >= len(y) - 2:
        raise SpecError(f"Lag {k} cannot be shown for {len(y)} points; use a smaller lag.")
    if k >= 0:
        yt, xk = y[k:], x[: len(x) - k]
    else:
        yt, xk = y[: len(y) + k], x[-k:]
    r = float(np.corrcoef(xk, yt)[0, 1]) if xk.std() > 0 and yt.std() > 0 else float("nan")
    diffs = analysis.differences.get("ccf", [0, 0])
    prefix = {0: "", 1: "Δ", 2: "Δ²"}
    xname = f"{prefix.get(diffs[1], '')}{analysis.name}(t−{k})" if k else f"{analysis.name}(t)"
    yname = f"{prefix.get(diffs[0], '')}{analysis.target}(t)"
    trace = go.Scatter(
        x=xk,
        y=yt,
        mode="markers",
        marker={"size": 5, "color": _PLAIN, "opacity": 0.6},
        showlegend=False,
        hovertemplate=f"{xname} = %{{x:.4g}}<br>{yname} = %{{y:.4g}}<extra></extra>",
    )
    layout = {
        "title": {"text": f"{yname} against {xname}: r = {r:.2f}"},
        "xaxis": {"title": {"text": xname}},
        "yaxis": {"title": {"text": yname}},
        "margin": MARGIN,
    }
    return go.Figure(data=[trace], layout=layout)
