"""Run page: a form pre-filled from the data and its diagnostics that submits a forecasting job."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import auth, datasets, state
from dashboard.components import FRIENDLY_ERROR, card, empty_state, error_alert, log
from forecast.calendar.frequency import freq_words, season_length
from forecast.errors import ForecastError, SpecError
from forecast.models.registry import MODEL_NAMES, check_model_list, model_class
from forecast.run.defaults import DEFAULT_MODELS as JOB_DEFAULT_MODELS
from forecast.run.defaults import DEFAULT_WINDOWS

KEY = "run"
PATH = "/run"
TITLE = "Run"

#: Models ticked by default: the job's default set (seasonal naive, the candidates of auto, auto).
DEFAULT_MODELS = list(JOB_DEFAULT_MODELS)


def model_labels() -> dict[str, str]:
    """Models offered, in registry order, with their labels for people."""
    return {name: model_class(name).label for name in MODEL_NAMES}


def default_horizon(freq: str | None, n_min: int) -> int:
    """Horizon offered for a frequency: two seasons (8 steps without seasonality), ≤ n/5.

    Parameters
    ----------
    freq : str or None
        Offset alias of the data.
    n_min : int
        Length of the shortest series.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> default_horizon("MS", 144), default_horizon("QS-OCT", 203), default_horizon("YS", 30)
    (24, 8, 6)
    """
    m = season_length(freq)
    h = 2 * m if m > 1 else 8
    return max(1, min(h, n_min // 5))


def offered_horizon(df, freq: str | None) -> int:
    """The horizon the Run page offers for a long frame: :func:`default_horizon` of its
    frequency and its shortest series (the horizon the Diagnostics page's window is for)."""
    return default_horizon(freq, int(df.groupby("unique_id")["y"].size().min()))


def series_window(df, uid: str, freq: str | None, horizon: int | None) -> tuple[int, str]:
    """The window proposed for one series of a long frame at a horizon, and why.

    :func:`forecast.diagnostics.suggested_window` of the series' values: the Diagnostics page's
    diagnosis of the same series for the same horizon states the same window and reason (both
    decided by :func:`forecast.diagnostics.decisions.decide_window`).

    Raises
    ------
    DataError, SpecError
        The series cannot be diagnosed, or the horizon is not a positive whole number.
    """
    from forecast.diagnostics import suggested_window

    y = df.loc[df["unique_id"] == uid].set_index("ds")["y"]
    window, reason = suggested_window(y, freq, horizon)
    return int(window), reason


def defaults(data: dict | None, horizon: int | None = None) -> dict:
    """Pre-filled values of the form for a dataset store content.

    Parameters
    ----------
    data : dict
        Dataset store content.
    horizon : int, optional
        The horizon typed in the form (default: :func:`offered_horizon`); the window and its
        reason are decided for it.

    Returns
    -------
    dict
        ``horizon, holdout, window, window_reason, window_series, freq, n_series, n_min,
        gaps``; ``window_series`` names the series the window was read off (the shortest);
        ``drivers``: ``(name, known in advance)`` of the drivers the Data page set.

    Raises
    ------
    DataError
        The dataset cannot be read.
    """
    from forecast.ingest.series_names import series_name

    df, report = datasets.load_frame(data["hash"], data.get("overrides"))
    sizes = df.groupby("unique_id")["y"].size()
    n_min = int(sizes.min())
    if horizon is None:
        horizon = default_horizon(report.freq, n_min)
    shortest = str(sizes.idxmin())
    window, reason = None, "each model derives its own window from the data"
    try:
        window, reason = series_window(df, shortest, report.freq, horizon)
    except ForecastError as exc:
        reason = str(exc)
    return {
        "horizon": horizon,
        "holdout": 0,  # the default job forecasts the future; the backtest scores the models
        "window": window,
        "window_reason": reason,
        "window_series": series_name(shortest, report.labels),
        "freq": report.freq,
        "n_series": len(sizes),
        "n_min": n_min,
        "gaps": int(df["y"].isna().sum()),
        "drivers": [
            (d.name, bool(d.known_in_advance)) for d in getattr(report, "drivers", None) or []
        ],
    }


def _int_or_none(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a whole number, got {value!r}.") from None
    if not number.is_integer():
        raise SpecError(f"{name} must be a whole number, got {value!r}.")
    return int(number)


def build_spec(data: dict | None, form: dict):
    """The :class:`forecast.jobs.JobSpec` for a dataset and the form's values.

    Parameters
    ----------
    data : dict
        Dataset store content (``hash``, ``filename``, ``overrides``); the drivers, observed-only
        drivers, calendar and holidays set on the Data page go into the spec.
    form : dict
        ``horizon, holdout, backtest_windows, window, epochs, level, seed, models``.

    Raises
    ------
    SpecError
        No dataset, or a bad value (the message names the field).
    """
    from forecast.jobs import JobSpec

    if not data or not data.get("hash"):
        raise SpecError("No data chosen: upload a CSV or pick a sample on the Data page first.")
    ticked = set(form.get("models") or [])
    models = [m for m in MODEL_NAMES if m in ticked]
    if not models:
        raise SpecError("Tick at least one model.")
    check_model_list(models)
    horizon = _int_or_none(form.get("horizon"), "Horizon")
    if horizon is None:
        raise SpecError("Horizon is empty: give the number of steps to forecast.")
    window = _int_or_none(form.get("window"), "Window")
    if window is not None and window < 1:
        raise SpecError(f"Window must be at least 1 step, got {window}.")
    params = {
        m: {"input_size": window}
        for m in models
        if window and "input_size" in model_class(m).run_options()
    }
    level = form.get("level")
    overrides = datasets.Overrides.from_dict(data.get("overrides"))
    return JobSpec(
        dataset_hash=data["hash"],
        dataset_path=str(datasets.resolve_path(data["hash"])),
        filename=data.get("filename") or "",
        time_col=overrides.time_col,
        value_cols=list(overrides.value_cols) or None,
        id_col=overrides.id_col,
        fill=overrides.fill,
        freq=overrides.freq,
        horizon=horizon,
        models=models,
        holdout=_int_or_none(form.get("holdout"), "Holdout") or 0,
        backtest_windows=_backtest_windows(form.get("backtest_windows")),
        epochs=_int_or_none(form.get("epochs"), "Epochs"),
        seed=_int_or_none(form.get("seed"), "Seed") or 0,
        level=80.0 if level in (None, "") else float(level),
        model_params=params,
        levels=form.get("levels") or None,
        reconcile=form.get("reconcile") or "auto",
        # the roles set on the Data page: the job reads the drivers as the page showed them
        drivers=list(overrides.drivers) or None,
        observed_only=list(overrides.observed_only),
        calendar=overrides.calendar,
        holidays=overrides.holidays,
    )


def _backtest_windows(value) -> int:
    """The form's backtest windows: empty means the default, 0 none."""
    windows = _int_or_none(value, "Backtest windows")
    return DEFAULT_WINDOWS if windows is None else windows


def submit(data: dict | None, form: dict) -> str:
    """Validate the form and queue the job; returns its id (raises SpecError/DataError)."""
    return state.get_store().submit(build_spec(data, form), owner=auth.owner_name())


def _number(id: str, label: str, help: str, **kwargs) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, html_for=id),
            dbc.Input(id=id, type="number", **kwargs),
            dbc.FormText(help),
        ],
        md=4,
        className="mb-3",
    )


def layout(**_query):
    """The page's layout."""
    form = [
        dbc.Row(
            [
                _number(
                    "run-horizon", "Horizon (steps)", "How far ahead to forecast.", min=1, step=1
                ),
                _number(
                    "run-holdout",
                    "Holdout (steps)",
                    "Last steps held out and scored (0: forecast the future).",
                    min=0,
                    step=1,
                ),
                _number(
                    "run-backtest",
                    "Backtest windows",
                    "Rolling origins scoring each model (fewer on short series; 0: none).",
                    min=0,
                    step=1,
                    value=DEFAULT_WINDOWS,
                ),
            ]
        ),
        dbc.Row(
            [
                _number("run-window", "Window (look-back, steps)", "", min=1, step=1),
                _number("run-epochs", "Epochs", "Empty: each network's default.", min=1, step=1),
                _number(
                    "run-level",
                    "Interval level (%)",
                    "Prediction interval coverage.",
                    min=1,
                    max=99,
                    step=1,
                    value=80,
                ),
            ]
        ),
        dbc.Row(
            [
                _number("run-seed", "Seed", "Same seed, same forecasts.", min=0, step=1, value=0),
                dbc.Col(
                    [
                        dbc.Label("Levels (files with key columns)", html_for="run-levels"),
                        dbc.Input(id="run-levels", type="text", placeholder="e.g. state,total"),
                        dbc.FormText(
                            "Aggregate levels summed from the bottom and forecast too: keys "
                            "joined by '/', comma-separated, 'total', or 'all'."
                        ),
                    ],
                    md=4,
                    className="mb-3",
                ),
                dbc.Col(
                    [
                        dbc.Label("Reconciliation", html_for="run-reconcile"),
                        dcc.Dropdown(
                            id="run-reconcile",
                            options=[
                                {
                                    "label": "auto (combination, checked by backtest)",
                                    "value": "auto",
                                },
                                {"label": "bottom-up", "value": "bottom_up"},
                                {"label": "top-down", "value": "top_down"},
                                {"label": "MinTrace (OLS)", "value": "ols"},
                                {"label": "MinTrace (structural)", "value": "wls_struct"},
                                {"label": "MinTrace (variances)", "value": "wls_var"},
                                {"label": "MinTrace (shrink)", "value": "mint_shrink"},
                                {
                                    "label": "MinTrace (backtest errors)",
                                    "value": "mint_backtest",
                                },
                                {
                                    "label": "combination (top-down + shrink)",
                                    "value": "combination",
                                },
                                {"label": "none", "value": "none"},
                            ],
                            value="auto",
                            clearable=False,
                        ),
                        dbc.FormText("How the levels' forecasts are made to add up."),
                    ],
                    md=4,
                    className="mb-3",
                ),
            ]
        ),
        dbc.Label("Models", html_for="run-models"),
        dbc.Checklist(
            id="run-models",
            options=[{"label": label, "value": key} for key, label in model_labels().items()],
            value=list(DEFAULT_MODELS),
            inline=True,
            className="mb-3",
        ),
        dbc.Button("Submit job", id="run-submit", color="primary", className="me-2"),
        html.Div(id="run-feedback", className="mt-3", role="status"),
        # below the button and its feedback: the estimate arrives after the page and must not
        # move what is above it while someone clicks
        html.Div(id="run-estimate", className="mt-3", role="status"),
    ]
    return html.Div(
        [
            dcc.Store(id="run-page-init", data=0),
            html.H1("Run", className="h4"),
            dbc.Row(
                [
                    dbc.Col(card("Forecasting job", form), lg=8),
                    dbc.Col(card("About this data", dcc.Loading(html.Div(id="run-about"))), lg=4),
                ]
            ),
        ]
    )


def estimate_view(data: dict | None, horizon, backtest, models):
    """The job's expected duration from the data (series, lengths) and the ticked models
    (:func:`forecast.run.cost.estimate_job`); a warning with a cheaper set above a minute."""
    from forecast.run.cost import estimate_job

    if not data or not data.get("hash") or not models:
        return None
    try:
        h = _int_or_none(horizon, "Horizon")
        windows = _backtest_windows(backtest)
    except SpecError:
        return None
    if not h or h < 1:
        return None
    df, report = datasets.load_frame(data["hash"], data.get("overrides"))
    lengths = df.dropna(subset=["y"]).groupby("unique_id").size().tolist()
    ticked = [m for m in MODEL_NAMES if m in set(models)]
    cost = estimate_job(
        lengths,
        horizon=h,
        windows=windows,
        models=ticked,
        season=season_length(report.freq),
        drivers=bool(report.drivers),
    )
    return dbc.Alert(
        cost.text(),
        color="warning" if cost.warn else "light",
        className="py-2 mb-0 small",
        id="run-estimate-text",
    )


def _window_text(d: dict) -> str:
    """The proposed window and its reason, for the horizon it was decided for."""
    if not d["window"]:
        return f"Window (automatic): {d['window_reason']}."
    of = f", read off the shortest series ({d['window_series']})" if d["n_series"] > 1 else ""
    return f"Window {d['window']} for a horizon of {d['horizon']}{of}: {d['window_reason']}."


def _about(d: dict, filename: str) -> list:
    items = [
        html.Li(
            f"{filename}: {d['n_series']} series, shortest {d['n_min']} steps, "
            f"{freq_words(d['freq'])} ({d['freq']})."
        ),
        html.Li(_window_text(d), id="run-window-reason"),
    ]
    if d.get("drivers"):
        known = [n for n, k in d["drivers"] if k]
        observed = [n for n, k in d["drivers"] if not k]
        text = "Drivers (set on the Data page): " + ", ".join(n for n, _ in d["drivers"])
        text += f"; known in advance: {', '.join(known) or 'none'}"
        if observed:
            text += f"; observed only: {', '.join(observed)}"
        items.append(html.Li(text + ".", id="run-drivers"))
    if d["gaps"]:
        items.append(
            html.Li(
                f"{d['gaps']} gaps are left open: choose a gap policy on the Data page, or the "
                "models will refuse the data.",
                className="text-danger",
            )
        )
    return [html.Ul(items, className="mb-0")]


def prefill(data: dict | None, horizon=None, horizon_changed: bool = False) -> tuple:
    """The form's horizon, holdout, window and the "About this data" card.

    On a new dataset (or the page opened) every value is pre-filled for the offered horizon;
    when the horizon is changed, only the window and its reason follow it (the horizon and
    holdout typed are kept; a horizon that is not a positive whole number changes nothing).
    """
    if not data or not data.get("hash"):
        if horizon_changed:
            raise PreventUpdate
        return (
            None,
            None,
            None,
            empty_state("Upload a CSV or pick a sample first.", link=("Go to Data", "/")),
        )
    asked = None
    if horizon_changed:
        try:
            asked = _int_or_none(horizon, "Horizon")
        except SpecError:
            raise PreventUpdate from None
        if asked is None or asked < 1:
            raise PreventUpdate
    try:
        d = defaults(data, asked)
    except Exception as exc:
        if not isinstance(exc, ForecastError):
            log.exception("pre-filling the run form failed")
        message = str(exc) if isinstance(exc, ForecastError) else FRIENDLY_ERROR
        if horizon_changed:
            return no_update, no_update, no_update, error_alert(message)
        return None, None, None, error_alert(message)
    about = _about(d, data.get("filename") or "")
    if horizon_changed:
        return no_update, no_update, d["window"], about
    return d["horizon"], d["holdout"], d["window"], about


def register(app) -> None:
    """Attach the page's callbacks to ``app``."""

    @app.callback(
        Output("run-horizon", "value"),
        Output("run-holdout", "value"),
        Output("run-window", "value"),
        Output("run-about", "children"),
        Input("dataset", "data"),
        Input("run-page-init", "data"),
        Input("run-horizon", "value"),
    )
    def _prefill(data, _init, horizon):
        return prefill(data, horizon, ctx.triggered_id == "run-horizon")

    @app.callback(
        Output("run-estimate", "children"),
        Input("dataset", "data"),
        Input("run-horizon", "value"),
        Input("run-backtest", "value"),
        Input("run-models", "value"),
    )
    def _estimate(data, horizon, backtest, models):
        try:
            return estimate_view(data, horizon, backtest, models)
        except Exception as exc:  # the estimate never blocks a job
            if not isinstance(exc, ForecastError):
                log.exception("estimating the job failed")
            return None

    @app.callback(
        Output("run-feedback", "children"),
        Output("job-id", "data"),
        Input("run-submit", "n_clicks"),
        State("dataset", "data"),
        State("run-horizon", "value"),
        State("run-holdout", "value"),
        State("run-backtest", "value"),
        State("run-window", "value"),
        State("run-epochs", "value"),
        State("run-level", "value"),
        State("run-seed", "value"),
        State("run-models", "value"),
        State("job-id", "data"),
        State("run-levels", "value"),
        State("run-reconcile", "value"),
        prevent_initial_call=True,
    )
    def _submit(
        _n,
        data,
        horizon,
        holdout,
        backtest,
        window,
        epochs,
        level,
        seed,
        models,
        current,
        levels=None,
        reconcile="auto",
    ):
        if not _n:
            raise PreventUpdate  # Dash may fire it when the page mounts
        form = {
            "horizon": horizon,
            "holdout": holdout,
            "backtest_windows": backtest,
            "window": window,
            "epochs": epochs,
            "level": level,
            "seed": seed,
            "models": models,
            "levels": levels,
            "reconcile": reconcile,
        }
        try:
            job_id = submit(data, form)
        except Exception as exc:
            if not isinstance(exc, ForecastError):
                log.exception("submitting a job failed")
            message = str(exc) if isinstance(exc, ForecastError) else FRIENDLY_ERROR
            return error_alert(message), current
        done = dbc.Alert(
            [
                "Job ",
                html.Code(job_id, id="run-job-id"),
                " queued. ",
                dcc.Link("Watch it on the Jobs page →", href="/jobs"),
            ],
            color="success",
        )
        return done, job_id
