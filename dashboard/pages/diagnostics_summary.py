"""The Diagnostics page's summary cards: the readings, Ljung-Box, stationarity and season facts."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.components import data_table, empty_state
from forecast.diagnostics.pvalues import pvalue_text


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return "—"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _facts(rows: list[tuple[str, str]]) -> html.Dl:
    return html.Dl(
        [
            html.Div(
                [html.Dt(k, className="col-6"), html.Dd(v, className="col-6 mb-1")], className="row"
            )
            for k, v in rows
        ],
        className="mb-0",
    )


def _window_label(d: dict) -> str:
    """The window fact's name, with the horizon it was decided for (the Run page's offer)."""
    h = (d.get("decisions") or {}).get("window_horizon")
    return f"Suggested window (look-back, horizon {h})" if h else "Suggested window (look-back)"


def summary_views(d: dict):
    """Readings, Ljung-Box table, stationarity and seasonality views from ``diagnosis.to_dict()``.

    Parameters
    ----------
    d : dict
        Keys of the ``forecast diagnose --json`` contract.
    """
    readings = html.Ul(
        [html.Li(r) for r in d.get("readings") or []],
        className="readings mb-0",
        id="diag-readings-list",
    )
    lb = pd.DataFrame(d.get("ljung_box") or [])
    if not lb.empty:
        lb = lb[[c for c in ("lag", "stat", "pvalue") if c in lb.columns]]
        if "pvalue" in lb.columns:  # text: an underflowed p is "< 1e-300", never 0
            lb["pvalue"] = [pvalue_text(v, digits=4) for v in lb["pvalue"]]
        lb = lb.rename(columns={"stat": "Q statistic", "pvalue": "p-value"})
    lb_view = (
        data_table("diag-ljungbox-table", lb, page_size=8)
        if not lb.empty
        else empty_state("Too short for a Ljung-Box test.")
    )
    adf, kpss = d.get("adf") or {}, d.get("kpss") or {}
    stationarity = _facts(
        [
            ("ADF statistic", _fmt(adf.get("stat"))),
            ("ADF p-value (H0: unit root)", pvalue_text(adf.get("pvalue"))),
            ("KPSS statistic", _fmt(kpss.get("stat"))),
            (
                "KPSS p-value (H0: stationary)",
                pvalue_text(kpss.get("pvalue"), bound=kpss.get("pvalue_bound")),
            ),
            ("Regular differences (ndiffs)", _fmt(d.get("ndiffs"))),
            ("Seasonal differences (nsdiffs)", _fmt(d.get("nsdiffs"))),
        ]
    )
    window = d.get("suggested_window")
    if isinstance(window, (list, tuple)):
        window = window[0]
    order = d.get("suggested_arima_order") or {}
    arima = "—"
    if order.get("order"):
        p, dd, q = order["order"]
        arima = f"ARIMA({p},{dd},{q})"
        if order.get("seasonal_order") and order["seasonal_order"][-1] not in (0, 1, None):
            sp, sd, sq, m = order["seasonal_order"]
            arima += f"({sp},{sd},{sq})[{m}]"
    season = _facts(
        [
            (
                "Seasonal period",
                _fmt(d.get("seasonal_period")) if d.get("seasonal_period") else "none found",
            ),
            ("Trend strength F_T", _fmt(d.get("trend_strength"), 2)),
            ("Seasonal strength F_S", _fmt(d.get("seasonal_strength"), 2)),
            (
                "Significant ACF lags",
                ", ".join(map(str, (d.get("significant_lags") or [])[:12])) or "none",
            ),
            (_window_label(d), _fmt(window)),
            ("Suggested ARIMA start", arima),
        ]
    )
    return readings, lb_view, stationarity, season
