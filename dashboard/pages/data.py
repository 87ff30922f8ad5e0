"""Data page: upload a CSV or pick a sample, see what was inferred, override it.

The page's layout, its callbacks and the reading of the file within the request budget; the
"What was inferred" card is :mod:`dashboard.pages.data_inferred`, the pretrained model's first
look :mod:`dashboard.pages.data_first_look`.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import datasets
from dashboard.budget import StillWorking
from dashboard.components import (
    FRIENDLY_ERROR,
    card,
    data_table,
    empty_state,
    error_alert,
    log,
    plotly_preload,
    user_message,
)
from dashboard.pages.data_first_look import first_look
from dashboard.pages.data_inferred import inferred_card
from forecast.errors import ForecastError

KEY = "data"
PATH = "/"
TITLE = "Data"

_FILL_OPTIONS = [
    {"label": "leave gaps", "value": "none"},
    {"label": "interpolate", "value": "interpolate"},
    {"label": "carry forward", "value": "ffill"},
]


def layout(**_query):
    """The page's layout."""
    samples = [{"label": name, "value": name} for name in datasets.list_samples()]
    # assets/upload.js takes the file chosen or dropped here and streams it to the upload route
    # (dashboard/upload.py); dcc.Upload only provides the box, the file input and the dialog.
    # The same class when dragging over it: upload.js draws the drag state.
    upload = dcc.Upload(
        id="upload",
        children=html.Div(
            ["Drag and drop a CSV here, or ", html.A("choose a file", href="#", tabIndex=0)]
        ),
        className="upload-box",
        className_active="upload-box",
        multiple=False,
    )
    source = card(
        "1 · Choose data",
        [
            upload,
            html.Small(
                f".csv, .tsv or .txt, up to {datasets.MAX_UPLOAD_BYTES // 2**20} MB. "
                "Wide (time + value columns) or long (time, id, value).",
                className="text-muted d-block mb-2",
            ),
            html.Div(id="upload-alert", role="alert"),
            dcc.Store(id="upload-error"),
            # polls while a big file is read for the first time (render_within)
            dcc.Interval(id="data-poll", interval=POLL_MS, disabled=True),
            dbc.Label("…or pick a bundled sample", html_for="sample"),
            dcc.Dropdown(
                id="sample", options=samples, placeholder="Pick a sample", clearable=False
            ),
        ],
    )
    overrides = card(
        "2 · Check what was inferred",
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Time column", html_for="ov-time"),
                            dcc.Dropdown(id="ov-time", clearable=True),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Series key columns (long files)", html_for="ov-id"),
                            dcc.Dropdown(id="ov-id", clearable=True, multi=True),
                        ],
                        md=6,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Label("Value columns (targets)", html_for="ov-values"),
            dcc.Dropdown(id="ov-values", multi=True, className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                "Drivers (columns that may move the target)", html_for="ov-drivers"
                            ),
                            dcc.Dropdown(id="ov-drivers", multi=True),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Observed only (future not known)", html_for="ov-observed"),
                            dcc.Dropdown(id="ov-observed", multi=True),
                        ],
                        md=6,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Checklist(
                            id="ov-calendar",
                            options=[{"label": "Calendar drivers", "value": "calendar"}],
                            value=[],
                            switch=True,
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Input(
                            id="ov-holidays",
                            type="text",
                            debounce=True,
                            placeholder="Holidays: AU, AU-VIC, US…",
                        ),
                        md=6,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Frequency (pandas alias)", html_for="ov-freq"),
                            dbc.Input(id="ov-freq", type="text", debounce=True),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Gaps", html_for="ov-fill"),
                            dbc.RadioItems(
                                id="ov-fill", options=_FILL_OPTIONS, value="none", inline=True
                            ),
                        ],
                        md=6,
                    ),
                ],
                className="mb-2",
            ),
            dbc.Button("Apply", id="ov-apply", color="secondary", size="sm", className="me-2"),
            dbc.Button("Reset to inferred", id="ov-reset", color="link", size="sm"),
        ],
    )
    return html.Div(
        [
            dcc.Store(id="data-page-init", data=0),
            plotly_preload(),
            html.H1("Data", className="h4"),
            dbc.Row(
                [
                    dbc.Col([source, overrides], lg=4),
                    dbc.Col(
                        [
                            dcc.Loading(html.Div(id="data-summary"), delay_show=200),
                            dcc.Loading(html.Div(id="first-look"), delay_show=200),
                            card("Preview (first rows of the file)", html.Div(id="data-preview")),
                        ],
                        lg=8,
                    ),
                ]
            ),
        ]
    )


def choose_dataset(
    trigger: str | None,
    sample: str | None,
    overrides: dict,
    current: dict | None,
) -> dict:
    """New content of the dataset store after a sample pick or an override.

    (Uploads do not come through here: the upload route, :mod:`dashboard.upload`, answers the
    store's content and ``assets/upload.js`` puts it in the store.)

    Parameters
    ----------
    trigger : str
        Id of the component that fired: ``sample``, ``ov-apply`` or ``ov-reset``.
    sample : str
        Picked sample name.
    overrides : dict
        Override form values (``time_col``, ``value_cols``, ``id_col``, ``freq``, ``fill``,
        ``drivers``, ``observed_only``, ``calendar``, ``holidays``).
    current : dict or None
        Current store content.

    Returns
    -------
    dict
        ``{"hash", "filename", "overrides"}``.

    Raises
    ------
    DataError
        Unknown sample.
    PreventUpdate
        Nothing to change.
    """
    from dashboard.pages.diagnostics import prefetch_first

    if trigger == "sample" and sample:
        chosen = {"hash": datasets.save_sample(sample), "filename": sample, "overrides": {}}
        prefetch_first(chosen)
        return chosen
    if trigger in {"ov-apply", "ov-reset"} and current:
        overrides = dict(overrides)
        drivers = set(overrides.get("drivers") or [])
        if drivers and overrides.get("value_cols"):  # a column named a driver is no target
            overrides["value_cols"] = [c for c in overrides["value_cols"] if c not in drivers]
        chosen = {} if trigger == "ov-reset" else datasets.Overrides.from_dict(overrides).to_dict()
        return {**current, "overrides": chosen}
    raise PreventUpdate


def upload_alert(error: dict | None):
    """The alert under the upload box for the ``upload-error`` store's content.

    ``assets/upload.js`` puts ``{"message", "at"}`` there when the upload route refuses a file
    (the message is already worded for the user) or cannot be reached.

    Raises
    ------
    PreventUpdate
        No message.
    """
    if not error or not error.get("message"):
        raise PreventUpdate
    return error_alert(str(error["message"]))


#: Longest a Data page request waits for a big file's first reading, in seconds; past it the
#: page says the file is being read and polls (:data:`POLL_MS`) until it is.
PAGE_BUDGET_S = 2.0
#: Interval of the Data page's poll while a big file is read, in milliseconds.
POLL_MS = 2000
#: Outputs of :func:`render`.
N_OUTPUTS = 17


def render(data: dict | None):
    """Outputs of the page for a dataset store content (see :func:`register`).

    Returns
    -------
    tuple
        alert, summary, preview, options and values of the five column controls, then the
        drivers' options and value, the observed-only options and value, calendar, holidays.
    """
    return render_within(data, None)[:N_OUTPUTS]


def _reading(data: dict, preview_view, options: list) -> tuple:
    """The page while a big file is read for the first time: the preview, a note, a poll."""
    name = data.get("filename") or "the file"
    size = datasets.resolve_path(data["hash"]).stat().st_size / 1e6
    reading = card(
        "What was inferred",
        empty_state(
            f"Reading {name} ({size:.0f} MB)… a big file takes a while the first time; this "
            "page fills in by itself when it is read."
        ),
    )
    columns = (options, None, options, [], options, None, "", "none", options, [], [], [], [], "")
    return (None, reading, preview_view, *columns, False)


def render_within(data: dict | None, budget_s: float | None):
    """:func:`render`'s outputs, waiting at most ``budget_s`` for a big file, then whether to poll.

    Returns
    -------
    tuple
        The :data:`N_OUTPUTS` outputs of :func:`render`, then ``poll_disabled`` (False while a
        big file is still being read: the page asks again in :data:`POLL_MS`).
    """
    blank = (
        None,
        empty_state("Upload a CSV or pick a sample to begin."),
        empty_state("No file yet."),
        [],
        None,
        [],
        None,
        [],
        None,
        "",
        "none",
        [],
        [],
        [],
        [],
        [],
        "",
    )
    if not data or not data.get("hash"):
        return (*blank, True)
    overrides = datasets.Overrides.from_dict(data.get("overrides"))
    alert, summary, preview_view = None, None, None
    columns: list[str] = []
    try:
        preview = datasets.preview_table(data["hash"])
        columns = [str(c) for c in preview.columns]
        preview_view = data_table("preview-table", preview, page_size=10)
    except ForecastError as exc:
        return (error_alert(str(exc)), *blank[1:], True)
    try:
        df, report = datasets.load_frame_within(data["hash"], overrides, budget_s)
        summary = inferred_card(df, report, data.get("filename") or "upload")
        from dashboard.pages.diagnostics import prefetch_first

        prefetch_first(data)
        time_col, id_col = report.time_col, list(report.keys) or None
        value_cols, freq, fill = report.value_cols, report.freq, report.fill
        drivers = [d.name for d in report.drivers if d.source == "file"]
        observed = list(overrides.observed_only)
        driver_options = [{"label": d.name, "value": d.name} for d in report.drivers]
    except StillWorking:
        return _reading(data, preview_view, [{"label": c, "value": c} for c in columns])
    except Exception as exc:  # ForecastError shown as is, anything else logged
        if not isinstance(exc, ForecastError):
            log.exception("reading dataset %s failed", data["hash"])
        name = data.get("filename") or "the file"
        alert = error_alert(f"{name}: {user_message(exc)}")
        summary = card(
            "What was inferred",
            empty_state(
                "This file cannot be used as it is. Fix it, or set the columns and frequency "
                "under “Check what was inferred” and press Apply."
            ),
        )
        time_col = overrides.time_col
        id_col = overrides.id_col.split(",") if overrides.id_col else None
        value_cols, freq, fill = list(overrides.value_cols), overrides.freq or "", overrides.fill
        drivers, observed = list(overrides.drivers), list(overrides.observed_only)
        driver_options = [{"label": c, "value": c} for c in drivers]
    options = [{"label": c, "value": c} for c in columns]
    return (
        alert,
        summary,
        preview_view,
        options,
        time_col,
        options,
        value_cols,
        options,
        id_col,
        freq,
        fill,
        options,
        drivers,
        driver_options,
        observed,
        ["calendar"] if overrides.calendar else [],
        overrides.holidays or "",
        True,
    )


def register(app) -> None:
    """Attach the page's callbacks to ``app``."""

    @app.callback(
        Output("dataset", "data"),
        Output("upload-alert", "children", allow_duplicate=True),
        Input("sample", "value"),
        Input("ov-apply", "n_clicks"),
        Input("ov-reset", "n_clicks"),
        State("ov-time", "value"),
        State("ov-values", "value"),
        State("ov-id", "value"),
        State("ov-freq", "value"),
        State("ov-fill", "value"),
        State("ov-drivers", "value"),
        State("ov-observed", "value"),
        State("ov-calendar", "value"),
        State("ov-holidays", "value"),
        State("dataset", "data"),
        prevent_initial_call=True,
    )
    def _choose(
        sample,
        _apply,
        _reset,
        time_col,
        value_cols,
        id_col,
        freq,
        fill,
        drivers,
        observed,
        calendar,
        holidays,
        current,
    ):
        overrides = {
            "time_col": time_col,
            "value_cols": value_cols,
            "id_col": id_col,
            "freq": freq,
            "fill": fill,
            "drivers": drivers,
            "observed_only": observed,
            "calendar": bool(calendar),
            "holidays": holidays,
        }
        try:
            data = choose_dataset(ctx.triggered_id, sample, overrides, current)
        except PreventUpdate:
            raise
        except ForecastError as exc:
            return no_update, error_alert(str(exc))
        except Exception:
            log.exception("choosing a dataset failed")
            return no_update, error_alert(FRIENDLY_ERROR)
        return data, None

    @app.callback(
        Output("upload-alert", "children", allow_duplicate=True),
        Input("upload-error", "data"),
        prevent_initial_call=True,
    )
    def _upload_error(error):
        return upload_alert(error)

    @app.callback(
        Output("upload-alert", "children"),
        Output("data-summary", "children"),
        Output("data-preview", "children"),
        Output("ov-time", "options"),
        Output("ov-time", "value"),
        Output("ov-values", "options"),
        Output("ov-values", "value"),
        Output("ov-id", "options"),
        Output("ov-id", "value"),
        Output("ov-freq", "value"),
        Output("ov-fill", "value"),
        Output("ov-drivers", "options"),
        Output("ov-drivers", "value"),
        Output("ov-observed", "options"),
        Output("ov-observed", "value"),
        Output("ov-calendar", "value"),
        Output("ov-holidays", "value"),
        Output("data-poll", "disabled"),
        Input("dataset", "data"),
        Input("data-page-init", "data"),
        Input("data-poll", "n_intervals"),
    )
    def _render(data, _init, _poll):
        try:
            return render_within(data, PAGE_BUDGET_S)
        except Exception:
            log.exception("rendering the data page failed")
            return (error_alert(FRIENDLY_ERROR), *([no_update] * (N_OUTPUTS - 1)), True)

    @app.callback(
        Output("first-look", "children"),
        Input("dataset", "data"),
        Input("data-page-init", "data"),
        Input("data-poll", "n_intervals"),
    )
    def _first_look(data, _init, _poll):
        try:
            return first_look(data, PAGE_BUDGET_S)
        except Exception:
            log.exception("the first look failed")
            return None
