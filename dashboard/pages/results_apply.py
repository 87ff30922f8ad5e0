"""Results page: apply a finished job's saved models to another file (``forecast predict`` for
the page)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.components import card, data_table, error_alert, log, user_message
from dashboard.job_results import apply_models
from forecast.errors import ForecastError

__all__ = ["apply_card", "apply_view", "register"]


def apply_card():
    """The card: an upload box, the horizon, and where the forecasts appear."""
    return card(
        "Apply this job's models to another file",
        [
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Upload(
                            id="apply-upload",
                            children=html.Div(
                                ["Drop a CSV here, or ", html.A("choose a file", href="#")]
                            ),
                            className="upload-box",
                            multiple=False,
                        ),
                        md=8,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Horizon", html_for="apply-horizon"),
                            dbc.Input(id="apply-horizon", type="number", min=1, step=1, value=12),
                        ],
                        md=4,
                    ),
                ],
                className="mb-2",
            ),
            html.Small(
                "Each saved model forecasts every series of the file from its last "
                "window (the same as `forecast predict`); nothing is retrained.",
                className="text-muted d-block mb-2",
            ),
            dcc.Loading(html.Div(id="apply-output")),
        ],
    )


def apply_view(job_id: str | None, contents: str | None, filename: str | None, horizon):
    """The "apply to another file" output: a fan chart of the file's first series, the forecasts
    table and one line per model that refused the file (or an error alert)."""
    if not job_id or not contents:
        return None
    try:
        fc, history, problems = apply_models(job_id, contents, filename or "upload.csv", horizon)
    except Exception as exc:
        return _error(exc)
    from forecast.plots import forecast_figure

    uid = str(history["unique_id"].iloc[0])
    fig = forecast_figure(history, fc, unique_id=uid, tail=120)
    shown = fc.copy()
    shown["ds"] = shown["ds"].astype(str)
    return html.Div(
        [
            dcc.Graph(id="apply-fan", figure=fig),
            html.Ul([html.Li(p, className="text-warning") for p in problems]) if problems else None,
            data_table("apply-table", shown.round(4), page_size=10),
        ]
    )


def _error(exc: Exception):
    if not isinstance(exc, ForecastError):
        log.exception("applying the models failed")
    return error_alert(user_message(exc))


def register(app) -> None:
    """Attach the card's callback to ``app``."""

    @app.callback(
        Output("apply-output", "children"),
        Input("apply-upload", "contents"),
        State("apply-upload", "filename"),
        State("apply-horizon", "value"),
        State("results-job", "value"),
        prevent_initial_call=True,
    )
    def _apply(contents, filename, horizon, job_id):
        try:
            horizon = int(horizon)
        except (TypeError, ValueError):
            return error_alert("Set the horizon to a whole number of steps first.")
        return apply_view(job_id, contents, filename, horizon)
