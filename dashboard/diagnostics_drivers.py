"""The Drivers section of the Diagnostics page: which lags of each driver move the series.

For the series picked on the page and a driver picked here: the raw and the prewhitened
cross-correlation with their bands, the target against the driver at the lead, the Granger
p-value and the reading (:func:`forecast.diagnostics.driver_lags.analyse_driver`; the figures
from :mod:`forecast.plots.drivers`), on the last ``ANALYSIS_POINTS`` (5,000) points of longer
series, as STL and the lag scatter. Its own callback, so the rest of the page never waits for
it; ``forecast diagnose --drivers`` analyses every point.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard import datasets
from dashboard.cache import memo
from dashboard.components import empty_figure, empty_state, error_alert, log, plot, user_message
from dashboard.pages.diagnostics import ANALYSIS_POINTS, _diagnose, _slot, graph
from dashboard.pages.diagnostics_summary import _facts, _fmt
from dashboard.thinning import LAG_DISPLAY_POINTS, roomy, thin_figure
from forecast.diagnostics.pvalues import pvalue_text
from forecast.errors import DataError, ForecastError

__all__ = ["driver_views", "drivers_layout", "register"]


def drivers_layout() -> html.Div:
    """The Drivers section: a driver picker, its raw and prewhitened CCF, scatter, facts."""
    return html.Div(
        [
            html.Div(id="diag-drivers-note"),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Driver", html_for="diag-driver"),
                        dcc.Dropdown(id="diag-driver", clearable=False),
                    ],
                    md=4,
                ),
                className="mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(_slot("diag-ccf-raw"), lg=6),
                    dbc.Col(_slot("diag-ccf-pw"), lg=6),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(_slot("diag-driver-scatter"), lg=6),
                    dbc.Col(dcc.Loading(html.Div(id="diag-driver-facts")), lg=6),
                ]
            ),
        ],
        id="diag-drivers",
    )


@memo(maxsize=16)
def _driver_analysis(digest: str, overrides: datasets.Overrides, uid: str, driver: str):
    from forecast.diagnostics.driver_lags import analyse_driver

    df, report = datasets.load_frame(digest, overrides)
    facts = {d.name: d for d in report.drivers}
    if driver not in facts:
        raise DataError(f"'{driver}' is not a driver of this file; pick one on the Data page.")
    part = df.loc[df["unique_id"] == uid].sort_values("ds")
    if part.empty:
        raise DataError(f"Series '{uid}' is not in this file; pick another series.")
    part = part.iloc[-ANALYSIS_POINTS:]  # as STL and the lag scatter: the recent points
    diag = _diagnose(digest, overrides, uid)
    return analyse_driver(
        part["y"].to_numpy(),
        part[driver].to_numpy(),
        name=driver,
        target=diag.name,  # its label and id when the file labels its series
        freq=report.freq,
        season=diag.seasonal_period,
        d_target=diag.ndiffs,
        known_in_advance=facts[driver].known_in_advance,
    )


def driver_views(data: dict | None, uid: str | None, driver: str | None):
    """The Drivers section for one series and one driver.

    Returns
    -------
    tuple
        note (None, or why there is nothing to show), driver options, driver value, raw CCF,
        prewhitened CCF and lagged-scatter figures, and the facts (Granger p, lead, reading).
    """
    blank = empty_figure("")
    if not data or not data.get("hash") or not uid:
        return (None, [], None, blank, blank, blank, None)
    datasets.resolve_path(data["hash"])  # the user's? (before the caches, which are everyone's)
    overrides = datasets.Overrides.from_dict(data.get("overrides"))
    _df, report = datasets.load_frame(data["hash"], overrides)
    names = [d.name for d in report.drivers]
    if not names:
        note = empty_state(
            "No drivers: name the columns that may move the target (or ask for calendar or "
            "holiday drivers) on the Data page.",
            link=("Go to Data", "/"),
        )
        return (note, [], None, blank, blank, blank, None)
    driver = driver if driver in names else names[0]
    a = _driver_analysis(data["hash"], overrides, uid, driver)
    raw = roomy(plot("ccf_figure", a, kind="raw"))
    pw = roomy(plot("ccf_figure", a, kind="prewhitened"))
    scatter = roomy(thin_figure(plot("driver_scatter_figure", a), LAG_DISPLAY_POINTS))
    lead_r = a.prewhitened_ccf[a.lags.index(a.lead)] if a.lead is not None else None
    facts = html.Div(
        [
            _facts(
                [
                    ("Known in advance", "yes" if a.known_in_advance else "no (observed only)"),
                    ("Lead (driver ahead by)", "none" if a.lead is None else str(a.lead)),
                    ("Prewhitened r at the lead", _fmt(lead_r, 2)),
                    (
                        "Significant lags (corrected)",
                        ", ".join(map(str, a.significant_lags[:12])) or "none",
                    ),
                    ("Band ±1.96/√n / corrected", f"{a.band:.3f} / {a.band_corrected:.3f}"),
                    (
                        "Granger p (driver's past helps)",
                        pvalue_text(a.granger_p)
                        + (f" ({a.granger_lags} lags)" if a.granger_lags else ""),
                    ),
                    ("Relation", a.relation),
                    *_daily_facts(a.daily),
                ]
            ),
            html.P(a.reading, className="mt-2 mb-0", id="diag-driver-reading"),
        ]
    )
    options = [{"label": n, "value": n} for n in names]
    return (None, options, driver, raw, pw, scatter, facts)


def _daily_facts(day) -> list[tuple[str, str]]:
    """A sub-daily pair's analysis on daily means (lags in days), where its reading speaks."""
    if day is None:
        return []
    r = day.prewhitened_ccf[day.lags.index(day.lead)] if day.lead is not None else None
    lead = "none" if day.lead is None else f"{day.lead} day{'s' if day.lead != 1 else ''}"
    return [
        ("Daily means: lead", lead + ("" if r is None else f" (r {r:.2f})")),
        ("Daily means: Granger p", pvalue_text(day.granger_p)),
    ]


def register(app) -> None:
    """Attach the section's callback to ``app``."""

    @app.callback(
        Output("diag-drivers-note", "children"),
        Output("diag-driver", "options"),
        Output("diag-driver", "value"),
        Output("diag-ccf-raw-slot", "children"),
        Output("diag-ccf-pw-slot", "children"),
        Output("diag-driver-scatter-slot", "children"),
        Output("diag-driver-facts", "children"),
        Input("diag-series", "value"),
        Input("diag-driver", "value"),
        Input("dataset", "data"),
    )
    def _drivers(uid, driver, data):
        try:
            out = list(driver_views(data, uid, driver))
        except Exception as exc:
            if not isinstance(exc, ForecastError):
                log.exception("driver analysis failed")
            blank = empty_figure("")
            out = [error_alert(user_message(exc)), [], None, blank, blank, blank, None]
        for i, graph_id in ((3, "diag-ccf-raw"), (4, "diag-ccf-pw"), (5, "diag-driver-scatter")):
            out[i] = graph(graph_id, out[i])
        return tuple(out)
