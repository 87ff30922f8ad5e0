"""Diagnostics page: the series, its ACF/PACF, Ljung-Box, stationarity, seasonality, STL, lags;
and, for a file read with drivers, which lags of each driver move it (the Drivers section)."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, dcc, html, no_update

from dashboard import datasets
from dashboard.budget import StillWorking
from dashboard.cache import memo, prefetch
from dashboard.components import (
    FRIENDLY_ERROR,
    card,
    empty_figure,
    empty_state,
    error_alert,
    log,
    plot,
    user_message,
)
from dashboard.pages.diagnostics_summary import summary_views
from dashboard.shared_cache import shared
from dashboard.thinning import (
    DISPLAY_POINTS,
    LAG_DISPLAY_POINTS,
    STL_DISPLAY_POINTS,
    display_frame,
    roomy,
    thin_figure,
)
from forecast.errors import DataError, ForecastError
from forecast.ingest.series_names import series_name

#: STL and the lag scatter are computed on the last ``ANALYSIS_POINTS`` observations of longer
#: series (STL of 100k hourly points takes seconds and shows nothing more).
ANALYSIS_POINTS = 5000

KEY = "diagnostics"
PATH = "/diagnostics"
TITLE = "Diagnostics"


#: The page's graphs and their heights (pixels).
GRAPHS = {
    "diag-series-fig": 380,
    "diag-stl": 640,
    "diag-lagscatter": 400,
    "diag-acf": 380,
    "diag-pacf": 380,
    "diag-ccf-raw": 360,
    "diag-ccf-pw": 360,
    "diag-driver-scatter": 360,
}
#: Positions of the figures in :func:`page_views`' outputs.
_FIGURE_OUTPUTS = {
    3: "diag-series-fig",
    8: "diag-stl",
    9: "diag-lagscatter",
    12: "diag-acf",
    13: "diag-pacf",
}


def _slot(graph_id: str) -> dcc.Loading:
    """Where a graph goes: an empty box of its height until the page's callback fills it.

    The graph itself comes with its figure (see :func:`register`): a graph in the layout would
    first draw an empty placeholder figure, which costs the browser as much as a small plot.
    """
    box = html.Div(id=f"{graph_id}-slot", style={"minHeight": f"{GRAPHS[graph_id]}px"})
    return dcc.Loading(box, type="default", delay_show=200)


def graph(graph_id: str, fig) -> dcc.Graph:
    """The graph ``graph_id`` of the page showing ``fig``."""
    return dcc.Graph(
        id=graph_id,
        figure=fig,
        config={"displaylogo": False, "responsive": True},
        style={"height": f"{GRAPHS[graph_id]}px"},
    )


def layout(**_query):
    """The page's layout."""
    from dashboard.diagnostics_drivers import drivers_layout

    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Series", html_for="diag-series"),
                    dcc.Dropdown(id="diag-series", clearable=False),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label("ACF/PACF lags shown", html_for="diag-lags"),
                    dcc.Slider(
                        id="diag-lags",
                        min=1,
                        max=36,
                        step=1,
                        value=None,
                        marks=None,
                        tooltip={"placement": "bottom", "always_visible": False},
                    ),
                ],
                md=8,
            ),
        ],
        className="mb-2",
    )
    return html.Div(
        [
            dcc.Store(id="diag-page-init", data=0),
            html.H1("Diagnostics", className="h4"),
            html.Div(id="diag-alert"),
            controls,
            dbc.Row(
                [
                    dbc.Col(card("Series", _slot("diag-series-fig")), lg=8),
                    dbc.Col(card("Readings", dcc.Loading(html.Div(id="diag-readings"))), lg=4),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(card("Autocorrelation (ACF)", _slot("diag-acf")), lg=6),
                    dbc.Col(
                        card("Partial autocorrelation (PACF)", _slot("diag-pacf")),
                        lg=6,
                    ),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(card("Ljung-Box test", html.Div(id="diag-ljungbox")), lg=4),
                    dbc.Col(card("Stationarity", html.Div(id="diag-stationarity")), lg=4),
                    dbc.Col(card("Seasonality and suggestions", html.Div(id="diag-season")), lg=4),
                ]
            ),
            dbc.Row(
                [
                    dbc.Col(card("STL decomposition", _slot("diag-stl")), lg=7),
                    dbc.Col(card("Lag scatter", _slot("diag-lagscatter")), lg=5),
                ]
            ),
            card("Drivers", drivers_layout()),
            dcc.Link(dbc.Button("Next: run models →", color="primary"), href="/run"),
        ]
    )


@memo(maxsize=8)
def _diagnose(digest: str, overrides: datasets.Overrides, uid: str):
    """The diagnosis of one series, its window decided for the horizon the Run page offers
    (:func:`dashboard.pages.run.offered_horizon`), so both pages propose the same window."""
    from dashboard.pages.run import offered_horizon
    from forecast.diagnostics import diagnose_series

    df, report = datasets.load_frame(digest, overrides)
    y = df.loc[df["unique_id"] == uid].set_index("ds")["y"]
    if y.empty:
        raise DataError(f"Series '{uid}' is not in this file; pick another series.")
    return diagnose_series(
        y,
        freq=report.freq,
        unique_id=uid,
        horizon=offered_horizon(df, report.freq),
        label=(report.labels or {}).get(uid),
    )


def diagnosis(data: dict, uid: str):
    """The :class:`forecast.diagnostics.SeriesDiagnosis` of one series of a dataset (cached
    in this process; the page itself reads :func:`page_content`)."""
    datasets.resolve_path(data["hash"])
    return _diagnose(data["hash"], datasets.Overrides.from_dict(data.get("overrides")), uid)


#: Longest a Diagnostics page request waits for a big file's first reading, in seconds.
PAGE_BUDGET_S = 2.0


def prefetch_first(data: dict | None) -> None:
    """Diagnose a dataset's first series and build its figures in the background.

    Called as soon as a file is uploaded or a sample picked (its owner just saved it): when the
    user opens the Diagnostics page, its callback finds the page ready, in this web process or
    in the shared cache (:mod:`dashboard.shared_cache`) if the request lands on another one, or
    waits for it, never computing it twice.
    """
    if not data or not data.get("hash"):
        return
    digest, overrides = data["hash"], datasets.Overrides.from_dict(data.get("overrides"))

    def first():
        uids = _series(digest, overrides)
        if uids:
            _page(digest, overrides, uids[0])

    prefetch(first)


def series_options(
    data: dict | None, budget_s: float | None = None
) -> tuple[list[dict], str | None]:
    """Series picker options and the first series for a dataset store content.

    ``budget_s``: the longest wait for a big file's first reading (None: as long as it takes).

    Raises
    ------
    dashboard.budget.StillWorking
        A big file is still being read (with ``budget_s``).
    DataError
        The dataset cannot be read, or is not the signed-in user's.
    """
    if not data or not data.get("hash"):
        return [], None
    datasets.resolve_path(data["hash"])  # the user's? (before the caches, which are everyone's)
    overrides = datasets.Overrides.from_dict(data.get("overrides"))
    if budget_s is not None and datasets.is_big(data["hash"]):
        # a big file read for the first time: wait at most budget_s (a small one is read, or
        # its series list taken from the shared cache, below)
        datasets.load_frame_within(data["hash"], overrides, budget_s)
    uids = _series(data["hash"], overrides)
    labels = _labels(data["hash"], overrides)
    options = [{"label": series_name(u, labels), "value": u} for u in uids]
    return options, (uids[0] if uids else None)


def _listing(digest: str, overrides: datasets.Overrides) -> dict:
    """The series of a dataset, sorted, and their labels (read once for every web process:
    the shared cache)."""

    def read() -> dict:
        df, report = datasets.load_frame(digest, overrides)
        return {
            "series": sorted(df["unique_id"].unique().tolist()),
            "labels": dict(report.labels or {}),
        }

    key = {"overrides": overrides.to_dict()}
    return shared("diagnostics-series", digest, key, read)


@memo(maxsize=16)
def _series(digest: str, overrides: datasets.Overrides) -> list:
    """The series of a dataset, sorted."""
    return _listing(digest, overrides)["series"]


@memo(maxsize=16)
def _labels(digest: str, overrides: datasets.Overrides) -> dict:
    """The labels of a dataset's series (empty when its file gives none)."""
    return _listing(digest, overrides).get("labels") or {}


def main_views(data: dict | None, uid: str | None):
    """Everything on the page except the ACF/PACF (see :func:`register`); figures as dicts."""
    if not data or not data.get("hash") or not uid:
        note = "Upload a CSV or pick a sample on the Data page."
        blank = empty_figure(note)
        return (
            None,
            blank,
            empty_state(note, link=("Go to Data", "/")),
            None,
            None,
            None,
            blank,
            blank,
            36,
            None,
        )
    datasets.resolve_path(data["hash"])  # the user's? (before the caches, which are everyone's)
    return _main_views(data["hash"], datasets.Overrides.from_dict(data.get("overrides")), uid)


@memo(maxsize=8)
def _main_views(digest: str, overrides: datasets.Overrides, uid: str):
    content = _page(digest, overrides, uid)
    readings, lb_view, stationarity, season = summary_views(content["diagnosis"])
    figures, max_lag = content["figures"], content["max_lag"]
    return (
        None,
        figures["diag-series-fig"],
        readings,
        lb_view,
        stationarity,
        season,
        figures["diag-stl"],
        figures["diag-lagscatter"],
        max_lag,
        max_lag,
    )


def page_content(data: dict, uid: str) -> dict:
    """What the page shows of one series, computed once for every web process.

    Returns
    -------
    dict
        ``diagnosis`` (the ``forecast diagnose --json`` keys), ``max_lag`` (the lag slider's
        range and first value) and ``figures`` (plotly JSON of every graph of :data:`GRAPHS`,
        the ACF/PACF up to ``max_lag``).

    Raises
    ------
    DataError
        The dataset cannot be read, is not the signed-in user's, or lacks the series.
    """
    datasets.resolve_path(data["hash"])
    return _page(data["hash"], datasets.Overrides.from_dict(data.get("overrides")), uid)


@memo(maxsize=16)
def _page(digest: str, overrides: datasets.Overrides, uid: str) -> dict:
    key = {"overrides": overrides.to_dict(), "series": uid}
    return shared("diagnostics", digest, key, lambda: _draw_page(digest, overrides, uid))


def _draw_page(digest: str, overrides: datasets.Overrides, uid: str) -> dict:
    """Diagnose one series and draw the page's figures (see :func:`page_content`)."""
    diag = _diagnose(digest, overrides, uid)
    d = diag.to_dict()
    df, _ = datasets.load_frame(digest, overrides)
    y = df.loc[df["unique_id"] == uid].set_index("ds")["y"]
    period = d.get("seasonal_period") or 1
    name = diag.name  # "label · id" when the file labels its series
    labels = {uid: diag.label} if diag.label else {}
    series_fig = roomy(plot("series_figure", display_frame(df, uid), unique_id=uid, labels=labels))
    recent = y.iloc[-max(ANALYSIS_POINTS, 4 * period) :]
    if len(y) > DISPLAY_POINTS:
        note = f" (drawn: min/max of {DISPLAY_POINTS // 2:,} buckets"
        note += f"; STL and lags: last {len(recent):,})" if len(y) > len(recent) else ")"
        series_fig.update_layout(title_text=f"{name}: {len(y):,} points{note}")
    if period and period > 1:
        stl_fig = plot("stl_figure", recent if len(y) > len(recent) else diag, period, name=name)
        roomy(thin_figure(stl_fig, STL_DISPLAY_POINTS))
    else:
        stl_fig = empty_figure("No seasonal period found: STL needs one.")
    lags = (1, period) if period > 1 else (1, 2)
    lag_fig = plot("lag_scatter_figure", recent, lags=lags, name=name)
    # the narrow card: a small title from the left edge, clear of the modebar on the right
    lag_fig.update_layout(title={"font": {"size": 13}, "x": 0.01, "xanchor": "left"})
    lag_fig = roomy(thin_figure(lag_fig, LAG_DISPLAY_POINTS))
    max_lag = max(1, len(d.get("acf") or [0, 0]) - 1)
    acf, pacf = _acf_figures(d, max_lag)
    figures = {"diag-series-fig": series_fig, "diag-stl": stl_fig, "diag-lagscatter": lag_fig}
    return {
        "diagnosis": d,
        "max_lag": max_lag,
        "figures": {
            **{k: _plotly_json(f) for k, f in figures.items()},
            "diag-acf": acf,
            "diag-pacf": pacf,
        },
    }


def _plotly_json(fig) -> dict:
    """``fig`` as plain JSON data (lists, numbers, strings; NaN as null), as the browser gets it."""
    import plotly.io as pio

    # validate=False: the figure was validated as it was built (validating again: ~6 ms)
    return json.loads(pio.to_json(fig, validate=False))


def _acf_figures(d: dict, max_lag: int | None) -> tuple[dict, dict]:
    """ACF and PACF figures (plotly JSON) of a diagnosis dict, up to ``max_lag``."""
    return tuple(
        _plotly_json(roomy(plot("acf_figure", d, kind=kind, max_lag=max_lag)))
        for kind in ("acf", "pacf")
    )


def acf_views(data: dict | None, uid: str | None, max_lag: int | None):
    """ACF and PACF figures of one series, up to ``max_lag``."""
    if not data or not data.get("hash") or not uid:
        blank = empty_figure("Upload a CSV or pick a sample on the Data page.")
        return blank, blank
    datasets.resolve_path(data["hash"])  # the user's? (before the caches, which are everyone's)
    overrides = datasets.Overrides.from_dict(data.get("overrides"))
    return _acf_views(data["hash"], overrides, uid, max_lag)


@memo(maxsize=16)
def _acf_views(digest: str, overrides: datasets.Overrides, uid: str, max_lag: int | None):
    content = _page(digest, overrides, uid)
    if max_lag == content["max_lag"]:  # the page as first drawn
        return content["figures"]["diag-acf"], content["figures"]["diag-pacf"]
    return _acf_figures(content["diagnosis"], max_lag)


def page_views(trigger: str | None, data: dict | None, uid: str | None, max_lag: int | None):
    """Every output of the page in one round trip (see :func:`register`).

    Parameters
    ----------
    trigger : str or None
        Id of the input that fired: ``diag-lags`` (only the ACF/PACF change), ``diag-series``
        (another series of the same file), anything else (a new dataset or the page opened).
    data : dict or None
        Dataset store content.
    uid : str or None
        Picked series.
    max_lag : int or None
        Lag slider value.

    Returns
    -------
    tuple
        series options and value, then the outputs of :func:`main_views`, then ACF and PACF.
    """
    if trigger == "diag-lags":
        return (*([no_update] * 12), *_safe_acf(data, uid, max_lag))
    options = no_update
    if trigger != "diag-series":
        try:
            options, uid = series_options(data, PAGE_BUDGET_S)
        except StillWorking:
            name = (data or {}).get("filename") or "the file"
            note = error_alert(
                color="info",
                message=f"Reading {name}… a big file takes a while the first time; its Data "
                "page shows when it is read, then open this page again.",
            )
            main = main_views(None, None)
            return ([], None, note, *main[1:], *acf_views(None, None, 0))
        except Exception as exc:
            if not isinstance(exc, ForecastError):
                log.exception("listing series failed")
            main = main_views(None, None)
            return ([], None, error_alert(user_message(exc)), *main[1:], *acf_views(None, None, 0))
    try:
        main = main_views(data, uid)
    except Exception as exc:
        if not isinstance(exc, ForecastError):
            log.exception("diagnostics failed")
        blank = empty_figure("")
        main = (error_alert(user_message(exc)), blank, None, None, None, None, blank, blank)
        return (options, uid, *main, no_update, no_update, *_safe_acf(data, uid, max_lag))
    return (options, uid, *main, *_safe_acf(data, uid, main[-1]))


def _safe_acf(data: dict | None, uid: str | None, max_lag: int | None):
    try:
        return acf_views(data, uid, max_lag)
    except Exception as exc:
        if not isinstance(exc, ForecastError):
            log.exception("ACF figures failed")
        blank = empty_figure(
            user_message(exc) if isinstance(exc, ForecastError) else FRIENDLY_ERROR
        )
        return blank, blank


def register(app) -> None:
    """Attach the page's callbacks to ``app``.

    One callback draws the whole page (series list, figures, tables, ACF/PACF), so opening the
    page after an upload costs one round trip instead of a chain of three (series list -> main
    figures -> ACF, each waiting for the previous one's output). The series picker and the lag
    slider are both inputs and outputs of it (a same-callback circular dependency, which Dash
    allows): moving the slider redraws only the ACF/PACF.
    """

    @app.callback(
        Output("diag-series", "options"),
        Output("diag-series", "value"),
        Output("diag-alert", "children"),
        Output("diag-series-fig-slot", "children"),
        Output("diag-readings", "children"),
        Output("diag-ljungbox", "children"),
        Output("diag-stationarity", "children"),
        Output("diag-season", "children"),
        Output("diag-stl-slot", "children"),
        Output("diag-lagscatter-slot", "children"),
        Output("diag-lags", "max"),
        Output("diag-lags", "value"),
        Output("diag-acf-slot", "children"),
        Output("diag-pacf-slot", "children"),
        Input("diag-series", "value"),
        Input("diag-lags", "value"),
        Input("dataset", "data"),
        Input("diag-page-init", "data"),
    )
    def _views(uid, max_lag, data, _init):
        out = list(page_views(ctx.triggered_id, data, uid, max_lag))
        for i, graph_id in _FIGURE_OUTPUTS.items():
            if out[i] is not no_update:
                out[i] = graph(graph_id, out[i])
        return tuple(out)

    from dashboard.diagnostics_drivers import register as register_drivers

    register_drivers(app)
