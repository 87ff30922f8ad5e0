"""Results page, for a run with drivers: the forecast with them beside the one without, the gain
in words, the drivers' estimated effects, and a scenario editor.

The scenario editor shows the drivers' future (as the job stored it) as an editable table and a
shift per driver (``+2`` added to every future value, ``+10 %`` scaling them); every edit
forecasts the series again from the job's stored models
(:func:`forecast.run.scenario.scenario_forecast`: no new job) and draws the baseline and the
scenario on one chart; the scenario downloads as CSV (the product's safe CSV writer). The
section stays hidden for a run without drivers.
"""

from __future__ import annotations

import time

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.cache import memo
from dashboard.components import (
    card,
    data_table,
    empty_figure,
    error_alert,
    figure,
    log,
    plot,
    table_records,
    user_message,
)
from dashboard.job_results import load_result
from forecast.errors import ForecastError
from forecast.run.driver_effects import assumption_sentence, effects_table, gain_sentence
from forecast.safe_csv import to_csv_for_people

__all__ = [
    "drivers_cards",
    "drivers_view",
    "register",
    "scenario_csv",
    "scenario_view",
]

#: Shown where the section would be for a run without drivers (it is hidden then).
HIDDEN = {"display": "none"}


def drivers_cards() -> list:
    """The section's cards (hidden until a job with drivers is shown)."""
    return [
        html.Div(
            [
                card(
                    "Drivers: the forecast with them and without",
                    [
                        html.Div(id="drivers-gain", className="mb-1"),
                        html.Div(id="drivers-assumption", className="small text-muted mb-2"),
                        figure("drivers-compare", height=420),
                        html.H2("Estimated effects", className="h6 mt-3"),
                        html.Div(id="drivers-effects"),
                    ],
                ),
                card(
                    "Scenario: other future values of the drivers",
                    [
                        html.Small(
                            "Edit the drivers' future below, or shift a driver: +2 adds 2 to "
                            "every future value, +10 % raises them by a tenth (the shift applies "
                            "on top of the edited values). The forecast is made again from the "
                            "job's stored models, without a new job.",
                            className="text-muted d-block mb-2",
                        ),
                        html.Div(id="scenario-shifts", className="mb-2"),
                        html.Div(id="scenario-alert", role="alert"),
                        dbc.Row(
                            [
                                dbc.Col(
                                    dash_table.DataTable(
                                        id="scenario-table",
                                        editable=True,
                                        page_size=14,
                                        style_table={"overflowX": "auto"},
                                        style_cell={"fontSize": "0.85rem", "padding": "3px 6px"},
                                        style_header={
                                            "fontWeight": "600",
                                            "backgroundColor": "#f1f3f5",
                                        },
                                    ),
                                    lg=4,
                                ),
                                dbc.Col(figure("scenario-figure", height=420), lg=8),
                            ]
                        ),
                        html.Div(
                            [
                                dbc.Button(
                                    "Scenario CSV",
                                    id="scenario-dl-btn",
                                    size="sm",
                                    color="outline-primary",
                                    className="me-2",
                                ),
                                html.Small(id="scenario-timing", className="text-muted"),
                            ],
                            className="mt-2",
                        ),
                        dcc.Download(id="scenario-dl"),
                        dcc.Store(id="scenario-data"),
                    ],
                ),
            ],
            id="drivers-section",
            style=HIDDEN,
        )
    ]


def _names(drivers: dict) -> str:
    names = list(drivers.get("known") or drivers.get("observed") or [])
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def _tail(run) -> int:
    """History points the section's charts show: enough to read the future beside the past."""
    return max(60, 8 * int(run.summary.get("horizon") or 1))


def _effects_view(drivers: dict, uid: str | None):
    table = effects_table(drivers)
    if uid is not None and not table.empty:
        table = table[table["unique_id"] == str(uid)]
    if table.empty:
        return html.Small(
            "No model of this run estimated a driver effect (the effects come from the "
            "regression of arima and ets on the drivers).",
            className="text-muted",
        )
    shown = pd.DataFrame(
        {
            "model": table["model"],
            "driver": table["driver"],
            "effect": table["coef"],
            "95 % interval": [
                f"{lo:.4g} to {hi:.4g}" if pd.notna(lo) else "—"
                for lo, hi in zip(table["lo95"], table["hi95"], strict=True)
            ],
            "units": table["units"],
        }
    )
    return html.Div(
        [
            data_table("drivers-effects-table", shown, page_size=10),
            html.Small(
                "The effect is the change in the forecast per unit of the driver, all else "
                "equal (the regression's coefficient; its 95 % interval from the standard "
                "error).",
                className="text-muted",
            ),
        ]
    )


def _shift_inputs(drivers: dict) -> list:
    return [
        dbc.InputGroup(
            [
                dbc.InputGroupText(f"Shift {name}"),
                dbc.Input(
                    id={"type": "scenario-shift", "driver": name},
                    placeholder="+2 or +10 %",
                    debounce=True,
                    type="text",
                ),
            ],
            size="sm",
            className="me-2 mb-1 d-inline-flex w-auto",
        )
        for name in drivers.get("known") or []
    ]


def _future_rows(run, uid: str | None) -> pd.DataFrame | None:
    future = run.future_drivers
    if future is None or uid is None:
        return None
    return future[future["unique_id"] == str(uid)].reset_index(drop=True)


def drivers_view(job_id: str | None, uid: str | None):
    """Outputs of the section for a job and series.

    Returns
    -------
    tuple
        section style, gain, assumption, comparison figure, effects, shift inputs, scenario
        table data and columns (the section hidden and empty for a run without drivers).
    """
    blank = (HIDDEN, None, None, empty_figure(""), None, [], [], [])
    if not job_id:
        return blank
    run = load_result(job_id)
    drivers = run.drivers
    if not drivers:
        return blank
    gain = (
        gain_sentence(drivers, uid)
        or drivers.get("reading")
        or (
            f"The models used {_names(drivers)}; this run did not compare auto with and without "
            "them."
        )
    )
    compared = run.drivers_forecasts
    if compared is not None and uid is not None:
        choice = ((drivers.get("per_series") or {}).get(str(uid)) or {}).get("choice", "with")
        history = run.history
        fig = plot(
            "drivers_comparison_figure",
            history,
            compared,
            unique_id=str(uid),
            choice=choice,
            names=_names(drivers),
            level=run.level or 80,
            tail=_tail(run),
        )
    else:
        fig = empty_figure("This run did not compare auto with and without the drivers.")
    future = _future_rows(run, uid)
    if future is None or future.empty:
        data, columns = [], []
    else:
        shown = future.assign(ds=pd.DatetimeIndex(future["ds"]).strftime("%Y-%m-%d %H:%M"))
        shown["ds"] = shown["ds"].str.replace(" 00:00", "", regex=False)
        data = table_records(shown)
        columns = [  # text cells: what is typed reaches the check, which says what is wrong
            {"name": "date" if c == "ds" else c, "id": c, "editable": c not in ("unique_id", "ds")}
            for c in shown.columns
            if c != "unique_id"
        ]
        for row, raw in zip(data, future.to_dict("records"), strict=True):
            for c in future.columns:  # the table edits the stored numbers, not their rounding
                if c not in ("unique_id", "ds"):
                    row[c] = float(raw[c])
    return (
        {},
        html.Div(gain, id="drivers-gain-text", className="fw-semibold"),
        assumption_sentence(drivers) or drivers.get("assumption") or "",
        fig,
        _effects_view(drivers, uid),
        _shift_inputs(drivers),
        data,
        columns,
    )


@memo(maxsize=4)
def _scenario_models(job_id: str):
    """The scenario's plan and the stored models it needs, loaded once per job (per process)."""
    from forecast.run.scenario import load_models, scenario_plan

    run = load_result(job_id)
    plan = scenario_plan(run)
    return plan, load_models(run, plan.models)


def scenario_view(
    job_id: str | None, uid: str | None, rows: list[dict] | None, shifts: dict[str, str]
):
    """The scenario for the edited table and the shifts.

    Returns
    -------
    figure, alert, records, timing : tuple
        The baseline-and-scenario chart, an alert (None when fine), the scenario's rows for
        the download, and how long the forecast took in words.

    Raises
    ------
    PreventUpdate
        No job, series or table yet.
    """
    from forecast.run.scenario import apply_shifts, edited_future, scenario_forecast

    if not job_id or uid is None or not rows:
        raise PreventUpdate
    run = load_result(job_id)  # the signed-in user's access, on every call
    original = _future_rows(run, uid)
    if original is None or original.empty:
        raise PreventUpdate
    future = apply_shifts(
        edited_future([{**r, "unique_id": str(uid)} for r in rows], original), shifts
    )
    started = time.perf_counter()
    plan, models = _scenario_models(job_id)  # loaded once per job: the first call waits for it
    loading = time.perf_counter() - started
    started = time.perf_counter()
    scenario = scenario_forecast(run, future, models, plan, series=[str(uid)])
    seconds = time.perf_counter() - started
    if scenario.empty:
        raise ForecastError(f"The scenario has no forecast for {uid}.")
    history = run.history
    fig = plot(
        "scenario_figure",
        history,
        scenario,
        unique_id=str(uid),
        level=run.level or 80,
        tail=_tail(run),
    )
    out = scenario.merge(future, on=["unique_id", "ds"], how="left")
    records = out.assign(ds=out["ds"].astype(str)).to_dict("records")
    changed = float((scenario["yhat"] - scenario["baseline"]).abs().max())
    timing = f"Forecast again in {seconds:.2f} s; largest change {changed:.4g}."
    if loading > 0.05:
        timing = f"The job's models loaded in {loading:.1f} s. " + timing
    return fig, None, records, timing


def scenario_csv(records: list[dict] | None, job_id: str | None) -> dict:
    """``dcc.Download`` payload of the scenario (the safe CSV writer: no formulas run)."""
    if not records or not job_id:
        raise PreventUpdate
    frame = pd.DataFrame.from_records(records)
    return dcc.send_string(to_csv_for_people(frame, index=False), f"scenario-{job_id}.csv")


def _error(exc: Exception):
    if not isinstance(exc, ForecastError):
        log.exception("the drivers section failed")
    return error_alert(user_message(exc), id="scenario-error")


def register(app) -> None:
    """Attach the section's callbacks to ``app``."""

    @app.callback(
        Output("drivers-section", "style"),
        Output("drivers-gain", "children"),
        Output("drivers-assumption", "children"),
        Output("drivers-compare", "figure"),
        Output("drivers-effects", "children"),
        Output("scenario-shifts", "children"),
        Output("scenario-table", "data"),
        Output("scenario-table", "columns"),
        Input("results-job", "value"),
        Input("results-series", "value"),
    )
    def _section(job_id, uid):
        try:
            return drivers_view(job_id, uid)
        except Exception as exc:
            return ({}, _error(exc), None, empty_figure(""), None, [], [], [])

    @app.callback(
        Output("scenario-figure", "figure"),
        Output("scenario-alert", "children"),
        Output("scenario-data", "data"),
        Output("scenario-timing", "children"),
        Input("scenario-table", "data"),
        Input({"type": "scenario-shift", "driver": ALL}, "value"),
        State({"type": "scenario-shift", "driver": ALL}, "id"),
        State("results-job", "value"),
        State("results-series", "value"),
    )
    def _scenario(rows, values, ids, job_id, uid):
        shifts = {i["driver"]: v for i, v in zip(ids or [], values or [], strict=False) if v}
        try:
            return scenario_view(job_id, uid, rows, shifts)
        except PreventUpdate:
            raise
        except Exception as exc:
            return no_update, _error(exc), no_update, None

    @app.callback(
        Output("scenario-dl", "data"),
        Input("scenario-dl-btn", "n_clicks"),
        State("scenario-data", "data"),
        State("results-job", "value"),
        prevent_initial_call=True,
    )
    def _download(_n, records, job_id):
        return scenario_csv(records, job_id)
