"""Results page: fan chart against held-out actuals, leaderboard, residual checks, memory, downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import state
from dashboard.cache import memo
from dashboard.components import (
    card,
    data_table,
    empty_figure,
    empty_state,
    error_alert,
    figure,
    log,
    plot,
    user_message,
)
from forecast.errors import ForecastError, SpecError

KEY = "results"
PATH = "/results"
TITLE = "Results"

#: Models whose effective memory can be measured (recurrent networks).
RECURRENT = {"rnn", "lstm", "gru", "bilstm"}
#: Leaderboard columns shown, in order.
LEADERBOARD_LABELS = {
    "rank": "rank",
    "model": "model",
    "mae": "MAE",
    "rmse": "RMSE",
    "smape": "sMAPE",
    "mase": "MASE",
    "coverage": "coverage",
    "ljung_box_pvalue": "Ljung-Box p",
    "residual_verdict": "residual verdict",
    "fit_seconds": "fit s",
    "error": "error",
}
LEADERBOARD_COLUMNS = [
    "rank",
    "model",
    "mae",
    "rmse",
    "smape",
    "mase",
    "coverage",
    "ljung_box_pvalue",
    "residual_verdict",
    "fit_seconds",
    "error",
]


def layout(job: str | None = None, **_query):
    """The page's layout (``?job=ID`` selects a job)."""
    return html.Div(
        [
            dcc.Store(id="results-query", data=job),
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
                "Forecasts against held-out actuals",
                [
                    dbc.Checklist(id="results-models", inline=True, className="mb-1"),
                    figure("results-fan", height=480),
                ],
            ),
            card(
                "Leaderboard (click a header to sort)",
                dcc.Loading(html.Div(id="results-leaderboard")),
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
                            dbc.Col(figure("results-memory", height=520), lg=5),
                        ]
                    ),
                ],
            ),
        ]
    )


@memo(maxsize=8)
def load_result(job_id: str):
    """The (cached) :class:`forecast.jobs.JobResult` of a done job.

    Raises
    ------
    SpecError
        Unknown job, or a job that is not done.
    """
    result = state.get_store().result(job_id)
    if result is None:
        status = state.get_store().get(job_id).status
        raise SpecError(f"Job {job_id} is {status}; results appear when it is done.")
    return result


def job_options(limit: int = 50) -> list[dict]:
    """Dropdown options of the finished jobs, newest first."""
    if not state.jobs_available():
        return []
    out = []
    for r in state.get_store().list_jobs(limit=limit, status="done"):
        label = (
            f"{r.id} · {r.spec.filename or r.spec.dataset_hash[:8]} · {', '.join(r.spec.models)}"
        )
        out.append({"label": label, "value": r.id})
    return out


def pick_job(options: list[dict], query: str | None, current: str | None) -> str | None:
    """The job to show: the one in the URL, else the session's latest, else the newest done."""
    ids = [o["value"] for o in options]
    for candidate in (query, current):
        if candidate and candidate in ids:
            return candidate
    return ids[0] if ids else None


def leaderboard_view(board: pd.DataFrame):
    """The sortable leaderboard table."""
    cols = [c for c in LEADERBOARD_COLUMNS if c in board.columns]
    frame = board[cols].sort_values("rank") if "rank" in cols else board[cols]
    if "error" in frame.columns and frame["error"].isna().all():
        frame = frame.drop(columns="error")
    table = data_table(
        "leaderboard-table",
        frame,
        sortable=True,
        page_size=12,
        style_data_conditional=[
            {
                "if": {"filter_query": "{rank} = 1"},
                "fontWeight": "600",
                "backgroundColor": "#e7f1ff",
            },
        ],
    )
    table.columns = [{"name": LEADERBOARD_LABELS.get(c, c), "id": c} for c in frame.columns]
    return table


def job_views(job_id: str | None):
    """Summary, series options, model options and leaderboard for one job."""
    if not job_id:
        note = empty_state(
            "No finished job yet. Submit one on the Run page and wait for it to "
            "finish on the Jobs page.",
            link=("Go to Run", "/run"),
        )
        return None, note, [], None, [], [], None, [], None
    record = state.get_store().get(job_id)
    result = load_result(job_id)
    spec = record.spec
    uids = sorted(result.forecasts["unique_id"].unique()) if not result.forecasts.empty else []
    models = list(dict.fromkeys(result.forecasts["model"])) if not result.forecasts.empty else []
    board = result.leaderboard
    summary = (
        f"{spec.filename or spec.dataset_hash[:10]} · horizon {spec.horizon} · holdout "
        f"{spec.holdout} · {spec.backtest_windows} backtest windows · level "
        f"{result.level or spec.level:g}% · finished "
        f"{record.finished_at.astimezone():%Y-%m-%d %H:%M}"
        if record.finished_at
        else ""
    )
    opts = [{"label": m, "value": m} for m in models]
    resid_models = (
        [m for m in board["model"] if m in (result.residual_checks or {})]
        if "model" in board.columns
        else []
    )
    return (
        None,
        summary,
        [{"label": u, "value": u} for u in uids],
        uids[0] if uids else None,
        opts,
        models,
        leaderboard_view(board),
        [{"label": m, "value": m} for m in resid_models],
        resid_models[0] if resid_models else None,
    )


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
    )


@memo(maxsize=8)
def residual_frame(job_id: str) -> pd.DataFrame:
    """In-sample residuals ``model, unique_id, ds, resid`` of a job (empty if not stored)."""
    path = load_result(job_id).artifacts.get("residuals.csv")
    if path and Path(path).exists():
        frame = pd.read_csv(path, parse_dates=["ds"])
        frame["unique_id"] = frame["unique_id"].astype(str)
        return frame
    return pd.DataFrame({"model": [], "unique_id": [], "ds": pd.to_datetime([]), "resid": []})


@memo(maxsize=16)
def effective_memory(job_id: str, model: str) -> pd.DataFrame | None:
    """Effective memory of a job's recurrent model (None when its file is missing)."""
    from forecast.models import make_model

    result = load_result(job_id)
    path = result.artifacts.get(f"model:{model}")
    if not path or not Path(path).exists():
        return None
    loaded = type(make_model(model)).load(path)
    return loaded.effective_memory(result.history)


@memo(maxsize=16)
def history_acf(job_id: str, uid: str | None) -> list[float] | None:
    """ACF (lag 0 first) of one series of a job's training data, or None."""
    from forecast.diagnostics import diagnose_series
    from forecast.frequency import frame_freq

    history = load_result(job_id).history
    if history is None or history.empty:
        return None
    uid = uid if uid is not None else str(history["unique_id"].iloc[0])
    part = history.loc[history["unique_id"].astype(str) == str(uid)]
    if part.empty:
        return None
    y = part.set_index("ds")["y"]
    try:
        return list(diagnose_series(y, freq=frame_freq(part), unique_id=str(uid)).to_dict()["acf"])
    except Exception:  # a series the diagnostics refuse still gets its memory plot
        log.exception("ACF of %s in job %s failed", uid, job_id)
        return None


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
    if series_check and check.get("n_series", 1) > 1:
        verdict = (
            f"{uid}: {verdict} — over all {check['n_series']} series, "
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
    resid_fig = plot("residual_figure", resid, check, unique_id=uid, model=model)
    if resid_fig.layout.title.text:  # the verdict is in the alert above; keep the title short
        resid_fig.update_layout(title_text=f"{model} residuals of {uid}" if uid else model)
    if model in RECURRENT:
        try:
            memory = effective_memory(job_id, model)
        except Exception:
            log.exception("effective memory of %s failed", model)
            memory = None
        if memory is None:
            mem_fig = empty_figure("The model file is not available.")
        else:
            mem_fig = plot("effective_memory_figure", memory, history_acf(job_id, uid), model=model)
    else:
        mem_fig = empty_figure("Effective memory is measured for recurrent models only.")
    return verdict_view, resid_fig, mem_fig


def download_forecasts(job_id: str) -> dict:
    """``dcc.send_data_frame`` payload of a job's forecasts CSV."""
    fc = load_result(job_id).forecasts
    return dcc.send_data_frame(fc.to_csv, f"forecasts-{job_id}.csv", index=False)


def download_leaderboard(job_id: str) -> dict:
    """``dcc.send_data_frame`` payload of a job's leaderboard CSV."""
    board = load_result(job_id).leaderboard
    return dcc.send_data_frame(board.to_csv, f"leaderboard-{job_id}.csv", index=False)


def download_models(job_id: str) -> dict:
    """A zip of a job's model files (safetensors + JSON), as a ``dcc.Download`` payload.

    Raises
    ------
    SpecError
        The job saved no model files (only neural models write them).
    """
    artifacts = load_result(job_id).artifacts
    models = {
        k.split(":", 1)[1]: Path(v)
        for k, v in artifacts.items()
        if k.startswith("model:") and Path(v).exists()
    }
    if not models:
        raise SpecError("This job saved no model files (only neural models write them).")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in models.items():
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                arc = f"{name}/{f.name}" if path.is_file() else f"{name}/{f.relative_to(path)}"
                zf.write(f, arc)
    return dcc.send_bytes(buffer.getvalue(), f"models-{job_id}.zip")


def _error(exc: Exception):
    if not isinstance(exc, ForecastError):
        log.exception("results view failed")
    return error_alert(user_message(exc))


def register(app) -> None:
    """Attach the page's callbacks to ``app``."""

    @app.callback(
        Output("results-job", "options"),
        Output("results-job", "value"),
        Input("results-query", "data"),
        State("job-id", "data"),
    )
    def _jobs(query, current):
        try:
            options = job_options()
        except Exception as exc:
            _error(exc)
            return [], None
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
