"""Results page: the answer first (the recommended future and the verdict in words), then the
evidence (backtest leaderboard, backtest forecasts against actuals per origin, residual checks,
effective memory) and the downloads. A run with drivers adds their section
(:mod:`dashboard.pages.results_drivers`); applying the models to another file is
:mod:`dashboard.pages.results_apply`."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import auth, state
from dashboard.components import (
    card,
    empty_figure,
    empty_state,
    error_alert,
    figure,
    log,
    plot,
    user_message,
)
from dashboard.job_results import (
    backtest_frame,
    download_backtest,
    download_forecasts,
    download_leaderboard,
    download_models,
    effective_memory,
    history_acf,
    job_options,
    job_series_name,
    load_result,
    residual_frame,
    run_summary,
)
from dashboard.pages.results_apply import apply_card, apply_view  # noqa: F401 - the page API
from dashboard.pages.results_apply import register as register_apply
from dashboard.pages.results_drivers import drivers_cards
from dashboard.pages.results_drivers import register as register_drivers
from dashboard.pages.results_leaderboard import leaderboard_view
from dashboard.pages.results_series import register as register_series
from dashboard.pages.results_series import series_cards
from forecast.errors import ForecastError

KEY = "results"
PATH = "/results"
TITLE = "Results"


def layout(job: str | None = None, **_query):
    """The page's layout (``?job=ID`` selects a job)."""
    return html.Div(
        [
            dcc.Store(id="results-query", data=job),
            dcc.Interval(id="results-tick", interval=5000),
            html.H1("Results", className="h4"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Job", html_for="results-job"),
                            dcc.Dropdown(
                                id="results-job", clearable=False, placeholder="Pick a finished job"
                            ),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Series", html_for="results-series"),
                            dcc.Dropdown(id="results-series", clearable=False),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Downloads"),
                            html.Div(
                                [
                                    dbc.Button(
                                        "Forecasts CSV",
                                        id="dl-forecasts-btn",
                                        size="sm",
                                        color="outline-primary",
                                        className="me-1",
                                    ),
                                    dbc.Button(
                                        "Backtest CSV",
                                        id="dl-backtest-btn",
                                        size="sm",
                                        color="outline-primary",
                                        className="me-1",
                                    ),
                                    dbc.Button(
                                        "Leaderboard CSV",
                                        id="dl-leaderboard-btn",
                                        size="sm",
                                        color="outline-primary",
                                        className="me-1",
                                    ),
                                    dbc.Button(
                                        "Model files (zip)",
                                        id="dl-models-btn",
                                        size="sm",
                                        color="outline-primary",
                                    ),
                                ]
                            ),
                            dcc.Download(id="dl-forecasts"),
                            dcc.Download(id="dl-backtest"),
                            dcc.Download(id="dl-leaderboard"),
                            dcc.Download(id="dl-models"),
                        ],
                        md=4,
                    ),
                ],
                className="mb-3",
            ),
            html.Div(id="results-alert"),
            html.Div(id="results-summary", className="mb-2 text-muted small"),
            card(
                "What happens next",
                [
                    html.Div(id="results-answer", className="mb-2"),
                    html.Div(
                        [
                            html.Span("Models shown: ", className="small text-muted me-2"),
                            dbc.Checklist(
                                id="results-models", inline=True, className="d-inline-block"
                            ),
                        ],
                        className="mb-1",
                    ),
                    figure("results-fan", height=480),
                ],
            ),
            *drivers_cards(),
            *series_cards(job),
            card(
                "Evidence: backtest leaderboard (click a header to sort)",
                dcc.Loading(html.Div(id="results-leaderboard")),
            ),
            card(
                "Evidence: backtest forecasts against the actuals, per origin",
                figure("results-backtest", height=420),
            ),
            card(
                "Residual diagnostics",
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Model", html_for="results-resid-model"),
                                    dcc.Dropdown(id="results-resid-model", clearable=False),
                                ],
                                md=3,
                            ),
                            dbc.Col(html.Div(id="results-verdict", className="pt-4"), md=9),
                        ],
                        className="mb-2",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(figure("results-resid", height=520), lg=7),
                            dbc.Col(
                                figure("results-memory", height=520), lg=5, id="results-memory-col"
                            ),
                        ]
                    ),
                ],
            ),
            apply_card(),
        ]
    )


def pick_job(options: list[dict], query: str | None, current: str | None) -> str | None:
    """The job to show: the one in the URL, else the session's latest, else the newest done."""
    ids = [o["value"] for o in options]
    for candidate in (query, current):
        if candidate and candidate in ids:
            return candidate
    return ids[0] if ids else None


def job_views(job_id: str | None):
    """Summary, series options, model options and leaderboard for one job."""
    if not job_id:
        note = empty_state(
            "No finished job yet. Submit one on the Run page and wait for it to "
            "finish on the Jobs page.",
            link=("Go to Run", "/run"),
        )
        return None, note, [], None, [], [], None, [], None
    record = state.get_store().get(job_id, owner=auth.owner_filter())
    result = load_result(job_id)
    summary_json = run_summary(job_id)
    spec = record.spec
    uids = sorted(result.forecasts["unique_id"].unique()) if not result.forecasts.empty else []
    board = result.leaderboard
    windows = summary_json.get("backtest_windows", spec.backtest_windows)
    summary = (
        f"{spec.filename or spec.dataset_hash[:10]} · horizon {spec.horizon} · holdout "
        f"{spec.holdout} · {windows} backtest windows · level "
        f"{result.level or spec.level:g}% · finished "
        f"{record.finished_at.astimezone():%Y-%m-%d %H:%M}"
        if record.finished_at
        else ""
    )
    rec = summary_json.get("recommended") or {}
    recommended = rec.get("model")
    opening = rec.get("opening") if rec.get("opening") in uids else (uids[0] if uids else None)
    opts, ticked, resid_opts, resid_first = model_choices(result, summary_json, opening)
    return (
        None,
        summary,
        [{"label": series_name(u, rec), "value": u} for u in uids],
        opening,
        opts,
        ticked,
        leaderboard_view(board, recommended),
        resid_opts,
        resid_first,
    )


def model_choices(result, summary_json: dict, uid: str | None):
    """The fan chart's model checklist and the residual model picker for one series.

    The series' own recommendation (``recommended["per_series"][uid]``) is marked, ticked and
    listed first among the residual models; the job-wide recommendation stands in for a job
    recorded without per-series answers.

    Returns
    -------
    tuple
        ``(checklist options, ticked models, residual options, residual model)``.
    """
    fc = result.forecasts
    models = list(dict.fromkeys(fc["model"])) if not fc.empty else []
    rec = summary_json.get("recommended") or {}
    recommended = (rec.get("per_series") or {}).get(str(uid), rec.get("model"))
    opts = [{"label": f"{m} (recommended)" if m == recommended else m, "value": m} for m in models]
    board = result.leaderboard
    resid_models = (
        [m for m in board["model"] if m in (result.residual_checks or {})]
        if "model" in board.columns
        else []
    )
    if recommended in resid_models:  # the recommended model's residuals first
        resid_models.remove(recommended)
        resid_models.insert(0, recommended)
    return (
        opts,
        [recommended] if recommended in models else models,
        [{"label": m, "value": m} for m in resid_models],
        resid_models[0] if resid_models else None,
    )


def series_name(uid: str, recommended: dict) -> str:
    """A series as people read it: ``"Total Private · CEU0500000001"`` when the file labels it."""
    from forecast.ingest.series_names import series_name as name_of

    return name_of(uid, recommended.get("labels"))


def answer_view(summary: dict, uid: str | None = None):
    """The verdict in words, leading the page: for the series shown, its own answer (model,
    evidence, residuals, intervals), after the scale-free line across series; a note for jobs
    run before verdicts existed."""
    text = summary.get("verdict")
    if not text:
        return html.P(
            "This job ran before recommendations existed: all its forecasts are shown.",
            className="text-muted small",
        )
    recommended = summary.get("recommended") or {}
    rec = recommended.get("model")
    own = (recommended.get("verdicts") or {}).get(str(uid)) if uid is not None else None
    if own:
        rec = (recommended.get("per_series") or {}).get(str(uid), rec)
        across = (recommended.get("summary") or {}).get("text")
        text = own
        body = [html.Strong(f"Recommended for {series_name(uid, recommended)}: {rec}. "), own]
        if across:
            body = [html.Div(across, className="small mb-1", id="results-across"), *body]
    else:
        body = [html.Strong(f"Recommended: {rec}. ") if rec else None, text]
    return dbc.Alert(body, color="primary", className="mb-0 py-2", id="results-verdict-answer")


def fan_figure(job_id: str | None, uid: str | None, models: list[str] | None):
    """The fan chart of the chosen models for one series."""
    if not job_id or not uid:
        return empty_figure("No forecasts to show yet.")
    result = load_result(job_id)
    fc = result.forecasts
    fc = fc[(fc["unique_id"] == uid) & fc["model"].isin(models or [])]
    history = result.history
    n = int((history["unique_id"] == uid).sum()) if history is not None else 0
    tail = max(60, 5 * int(fc["ds"].nunique() or 1)) if n > 300 else None
    return plot(
        "forecast_figure",
        history,
        fc,
        result.actuals,
        unique_id=uid,
        models=models,
        level=result.level or 80,
        tail=tail,
        name=job_series_name(job_id, uid),
    )


def backtest_view(job_id: str | None, uid: str | None):
    """The backtest forecasts of every model from every origin against the actuals."""
    if not job_id or not uid:
        return empty_figure("No backtest to show yet.")
    bt = backtest_frame(job_id)
    if bt is None:
        return empty_figure("This job ran without a backtest.")
    result = load_result(job_id)
    history = result.history
    if result.actuals is not None:
        history = pd.concat([history, result.actuals], ignore_index=True)
    return plot("backtest_figure", history, bt, unique_id=uid, name=job_series_name(job_id, uid))


def residual_views(job_id: str | None, model: str | None, uid: str | None = None):
    """Verdict, residual panel and effective-memory figure for one model (and series) of a job."""
    if not job_id or not model:
        return None, empty_figure("Pick a model."), empty_figure("")
    result = load_result(job_id)
    check = (result.residual_checks or {}).get(model) or {}
    series_check = (check.get("series") or {}).get(str(uid)) if uid is not None else None
    shown = series_check or check
    verdict = shown.get("verdict") or "no residual check"
    white = shown.get("white")
    name = job_series_name(job_id, uid) if uid is not None else None
    if series_check and check.get("n_series", 1) > 1:
        verdict = (
            f"{name}: {verdict} — over all {check['n_series']} series, "
            f"{check.get('n_white', 0)} look white."
        )
    color = "success" if white else ("warning" if white is False else "secondary")
    verdict_view = dbc.Alert(
        [html.Strong(f"{model}: "), verdict],
        color=color,
        className="mb-0 py-2",
        id="results-verdict-text",
    )
    resid = residual_frame(job_id)
    resid = resid[resid["model"] == model] if "model" in resid.columns else resid
    resid_fig = plot("residual_figure", resid, check, unique_id=uid, model=model, name=name)
    if resid_fig.layout.title.text:  # the verdict is in the alert above; keep the title short
        resid_fig.update_layout(title_text=f"{model} residuals of {name}" if uid else model)
    if _has_memory(model):
        reason = f"This run stored no effective memory for {model}."
        try:
            memory = effective_memory(job_id, model)
        except ForecastError as exc:  # e.g. an ensemble of ESNs only: no memory to measure
            memory, reason = None, str(exc)
        except Exception:
            log.exception("effective memory of %s failed", model)
            memory = None
        if memory is None:
            mem_fig = empty_figure(reason)
        else:
            mem_fig = plot("effective_memory_figure", memory, history_acf(job_id, uid), model=model)
    else:
        mem_fig = empty_figure("Effective memory is measured for recurrent models only.")
    return verdict_view, resid_fig, mem_fig


def memory_style(job_id: str | None) -> dict:
    """The effective-memory panel only for jobs with a recurrent model (hidden, not empty)."""
    if not job_id:
        return {"display": "none"}
    try:
        models = state.get_store().get(job_id, owner=auth.owner_filter()).spec.models
    except Exception:
        return {"display": "none"}
    return {} if any(_has_memory(m) for m in models) else {"display": "none"}


def _has_memory(model: str) -> bool:
    """Whether the registry says ``model`` reports an effective memory."""
    from forecast.models.registry import MODELS, model_class

    return model in MODELS and bool(model_class(model).memory)


def _error(exc: Exception):
    if not isinstance(exc, ForecastError):
        log.exception("results view failed")
    return error_alert(user_message(exc))


def register(app) -> None:
    """Attach the page's callbacks to ``app``."""
    register_series(app)
    register_apply(app)
    register_drivers(app)

    @app.callback(
        Output("results-job", "options"),
        Output("results-job", "value"),
        Input("results-query", "data"),
        Input("results-tick", "n_intervals"),
        State("job-id", "data"),
        State("results-job", "options"),
        State("results-job", "value"),
    )
    def _jobs(query, _tick, current, shown, selected):
        try:
            options = job_options()
        except Exception as exc:
            _error(exc)
            return [], None
        if ctx.triggered_id == "results-tick":  # a job finished meanwhile: list it, keep the pick
            if options == shown:
                raise PreventUpdate
            ids = [o["value"] for o in options]
            before = {o["value"] for o in shown or []}
            if query in ids and query not in before:  # the job in the URL has just finished
                return options, query
            return options, no_update if selected in ids else pick_job(options, query, current)
        return options, pick_job(options, query, current)

    @app.callback(
        Output("results-alert", "children"),
        Output("results-summary", "children"),
        Output("results-series", "options"),
        Output("results-series", "value"),
        Output("results-models", "options"),
        Output("results-models", "value"),
        Output("results-leaderboard", "children"),
        Output("results-resid-model", "options"),
        Output("results-resid-model", "value"),
        Input("results-job", "value"),
    )
    def _job(job_id):
        try:
            return job_views(job_id)
        except Exception as exc:
            return (_error(exc), None, [], None, [], [], None, [], None)

    @app.callback(
        Output("results-models", "options", allow_duplicate=True),
        Output("results-models", "value", allow_duplicate=True),
        Output("results-resid-model", "options", allow_duplicate=True),
        Output("results-resid-model", "value", allow_duplicate=True),
        Input("results-series", "value"),
        State("results-job", "value"),
        prevent_initial_call=True,
    )
    def _series_models(uid, job_id):
        if not job_id or not uid:
            raise PreventUpdate
        try:
            return model_choices(load_result(job_id), run_summary(job_id), uid)
        except Exception:  # the job's own callback shows the reason
            raise PreventUpdate from None

    @app.callback(
        Output("results-memory-col", "style"),
        Input("results-job", "value"),
    )
    def _memory_shown(job_id):
        return memory_style(job_id)

    @app.callback(
        Output("results-answer", "children"),
        Input("results-job", "value"),
        Input("results-series", "value"),
    )
    def _answer(job_id, uid):
        if not job_id:
            return None
        try:
            return answer_view(run_summary(job_id), uid)
        except Exception as exc:
            return _error(exc)

    @app.callback(
        Output("results-backtest", "figure"),
        Input("results-job", "value"),
        Input("results-series", "value"),
    )
    def _backtest(job_id, uid):
        try:
            return backtest_view(job_id, uid)
        except Exception as exc:
            _error(exc)
            return empty_figure(user_message(exc))

    @app.callback(
        Output("results-fan", "figure"),
        Input("results-job", "value"),
        Input("results-series", "value"),
        Input("results-models", "value"),
    )
    def _fan(job_id, uid, models):
        try:
            return fan_figure(job_id, uid, models)
        except Exception as exc:
            _error(exc)
            return empty_figure(user_message(exc))

    @app.callback(
        Output("results-verdict", "children"),
        Output("results-resid", "figure"),
        Output("results-memory", "figure"),
        Input("results-job", "value"),
        Input("results-resid-model", "value"),
        Input("results-series", "value"),
    )
    def _resid(job_id, model, uid):
        try:
            return residual_views(job_id, model, uid)
        except Exception as exc:
            return _error(exc), empty_figure(""), empty_figure("")

    for name, fn in (
        ("forecasts", download_forecasts),
        ("backtest", download_backtest),
        ("leaderboard", download_leaderboard),
        ("models", download_models),
    ):
        _register_download(app, name, fn)


def _register_download(app, name: str, fn) -> None:
    @app.callback(
        Output(f"dl-{name}", "data"),
        Output("results-alert", "children", allow_duplicate=True),
        Input(f"dl-{name}-btn", "n_clicks"),
        State("results-job", "value"),
        prevent_initial_call=True,
    )
    def _download(_n, job_id):
        if not job_id:
            raise PreventUpdate
        try:
            return fn(job_id), no_update
        except Exception as exc:
            return no_update, _error(exc)
