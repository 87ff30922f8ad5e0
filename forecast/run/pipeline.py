"""One forecasting job: what happens next, and can I trust it — for every front end.

:func:`run_forecast` is what ``forecast run``, the job runner and the dashboard call. It infers
the frequency once, optionally holds out the last ``holdout`` points (scored later), plans the
rolling origins the shortest series allows (:func:`plan_backtest`, fewer than asked is said in
``notes``), then runs named steps:

1. ``_backtest_step``: every model over the rolling origins (seasonal naive too, as the
   reference of ``skill``, even when it is not in the run);
2. ``_refit_step``: every model refit on the whole history, forecasting the future ``horizon``
   steps; a model that fails records its error and the run goes on (``Cancelled`` propagates);
3. ``_combine_step``: ``auto``, per series the combination of the best backtesting candidates
   (:mod:`forecast.run.combination`), with its evidence;
4. ``_calibrate_step``: every model's intervals calibrated on its own backtest errors
   (:mod:`forecast.evaluation.calibration`; neural models get split-conformal intervals);
5. ``_residual_step``: the residual check of every model (:mod:`forecast.evaluation.residuals`);
6. ``_score_step``: the leaderboard (:mod:`forecast.evaluation.leaderboard`) from the holdout, else the
   backtest, with ``skill`` against seasonal naive;
then the recommendation and the verdict in words (:mod:`forecast.run.recommend`).

Per-series models (:class:`forecast.models.per_series.PerSeriesForecaster`: naive, snaive,
drift, arima, the statsforecast models) fan chunks of series, and their backtest windows side by
side, out over a ``concurrent.futures.Executor`` (a local process pool, ``forecast run
--workers N``, or ``distributed.Client.get_executor()``); global (neural) models train as one
task in this process with their own thread settings. A model with a specification search
(ARIMA's orders, the ETS model) searches per series on the oldest backtest window's training
data and re-estimates that specification at the later origins (``search``: and searches again
on the whole history for the future, by default).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq, season_length
from forecast.errors import DataError, SpecError
from forecast.evaluation.metrics import mase_scale
from forecast.ingest.frame import driver_columns
from forecast.models.base import FORECAST_COLUMNS, check_horizon, check_level
from forecast.models.registry import (
    check_model_list,
    check_model_params,
    check_run_options,
    model_class,
)
from forecast.run.backtest import MIN_TRAIN, check_search, min_train
from forecast.run.by_series import series_table
from forecast.run.combination import (
    AUTO,
)
from forecast.run.defaults import (
    AUTO_DEFAULT_CANDIDATES,
    AUTO_RULE,
    AUTO_TOP_K,
    BACKTEST_COLUMNS,
    DEFAULT_MODELS,
    DEFAULT_WINDOWS,
    REFERENCE_MODELS,
    SEARCH,
)
from forecast.run.drivers import drivers_step, plan_drivers, split_future, uses_drivers
from forecast.run.hierarchy import (
    attach_keys,
    bottom_keys,
    build_hierarchy,
    key_columns,
    parse_levels,
)
from forecast.run.recommend import recommend
from forecast.run.reconcile import check_method
from forecast.run.reconcile_auto import reconcile_step
from forecast.run.result import RunResult
from forecast.run.steps import (
    Run,
    backtest_step,
    calibrate_step,
    combine_step,
    concat,
    refit_step,
    residual_step,
    score_step,
)
from forecast.run.story import series_scores, tell

__all__ = [
    "BACKTEST_COLUMNS",
    "DEFAULT_MODELS",
    "DEFAULT_WINDOWS",
    "RunResult",
    "parse_models",
    "plan_backtest",
    "run_forecast",
]


def parse_models(models: str | Sequence[str]) -> list[str]:
    """Normalise a model list (``"snaive,arima"`` or a sequence); see
    :func:`forecast.models.registry.check_model_list`.

    Raises
    ------
    SpecError
        Empty list, unknown name, or a name listed twice.
    """
    return check_model_list(models)


def _model_params(
    name: str, model_params: Mapping[str, dict], *, horizon: int, epochs, seed: int
) -> dict:
    params = dict(model_params.get(name, {}))
    takes = model_class(name).run_options()
    run = {"horizon": horizon, "seed": seed, "epochs": epochs}
    for key, value in run.items():
        if key in takes and value is not None:
            params.setdefault(key, value)
    return params


def _split_holdout(
    df: pd.DataFrame, holdout: int, freq: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if holdout == 0:
        history = df.reset_index(drop=True)
        history.attrs["freq"] = freq
        return history, None
    sizes = df.groupby("unique_id", sort=False).size()
    if (sizes <= holdout + 2).any():
        uid = sizes.idxmin()
        raise SpecError(
            f"holdout {holdout} leaves series '{uid}' ({int(sizes.min())} points) fewer than 3 "
            "points to fit on; use a holdout smaller than every series' length minus 2."
        )
    position = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    cut = df["unique_id"].map(sizes).to_numpy() - holdout
    history = df.loc[position < cut].reset_index(drop=True)
    actuals = df.loc[position >= cut, ["unique_id", "ds", "y"]].reset_index(drop=True)
    history.attrs["freq"] = freq
    actuals.attrs["freq"] = freq
    return history, actuals


def plan_backtest(
    history: pd.DataFrame, horizon: int, requested: int, m: int, *, min_points: int = MIN_TRAIN
) -> tuple[int, str]:
    """How many rolling origins the shortest series allows (at most ``requested``).

    Every window keeps at least ``max(min_points, m + 1)`` training points (``min_points``:
    :func:`forecast.run.backtest.min_train` of the run's models, at least ``MIN_TRAIN``).

    Returns
    -------
    (int, str)
        The number of windows and a note for people ('' when all requested windows fit).
    """
    if requested == 0:
        return 0, ""
    shortest = int(history.groupby("unique_id", sort=False).size().min())
    least = max(MIN_TRAIN, int(min_points), m + 1)
    fits = max(0, (shortest - least) // horizon)
    windows = min(requested, fits)
    if windows == requested:
        return windows, ""
    if windows == 0:
        note = (
            f"No backtest: the shortest series ({shortest} points) is too short for one origin of "
            f"{horizon} steps after {least} training points, so nothing is scored."
        )
    else:
        note = (
            f"Backtest over {windows} origin{'s' if windows > 1 else ''} instead of {requested}: "
            f"the shortest series has {shortest} points."
        )
    return windows, note


def _check_settings(df, horizon, level, models, holdout, backtest_windows, model_params, epochs):
    horizon = check_horizon(horizon)
    level = check_level(level)
    names = parse_models(models)
    for label, value in (("holdout", holdout), ("backtest_windows", backtest_windows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise SpecError(f"{label} must be a whole number >= 0, got {value!r}.")
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise DataError(
            f"The frame lacks columns {sorted(missing)}; read it with forecast.ingest.reader.read_csv."
        )
    if df["y"].isna().any():
        raise DataError(
            f"The data has {int(df['y'].isna().sum())} missing values; fill the gaps "
            "(--fill interpolate or ffill) before forecasting."
        )
    model_params = dict(model_params or {})
    check_model_params(model_params, names)
    check_run_options(names, epochs=epochs)
    if AUTO in names and not [n for n in names if n != AUTO and n not in REFERENCE_MODELS]:
        # auto needs candidates to combine
        names = [n for n in names if n != AUTO] + [*AUTO_DEFAULT_CANDIDATES, AUTO]
    return horizon, level, names, model_params


def _auto_words(evidence: dict) -> str | None:
    """``auto`` in words for the recommendation: its rule and most common members."""
    members = evidence.get("members") or {}
    if not members:
        return None
    common = Counter(" + ".join(v) for v in members.values()).most_common(1)[0][0]
    n = len(members)
    where = "" if n == 1 else f" (most common of {n} series)"
    return f"{evidence.get('rule', 'mean')} of {common}{where}"


def run_forecast(
    df: pd.DataFrame,
    *,
    horizon: int,
    models: str | Sequence[str] = DEFAULT_MODELS,
    holdout: int = 0,
    backtest_windows: int = DEFAULT_WINDOWS,
    epochs: int | None = None,
    seed: int = 0,
    level: float = 80,
    model_params: Mapping[str, dict] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    executor: Executor | None = None,
    levels: str | Sequence[str] | None = None,
    reconcile: str = "auto",
    search: str = SEARCH,
    X_future: pd.DataFrame | None = None,
) -> RunResult:
    """Backtest, refit, forecast the future, combine, calibrate, check, score and recommend.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (``attrs["freq"]`` used when set), with any driver
        columns (:func:`forecast.ingest.frame.driver_columns`); rows after a series' last
        observed ``y`` hold the drivers' future.
    horizon : int
        Steps to forecast past the end of the history.
    models : str or sequence of str
        Model names (:data:`forecast.models.MODEL_NAMES`); ``"snaive,arima"`` also works.
        Default :data:`DEFAULT_MODELS`.
    holdout : int
        Points held out at the end of every series and scored (0: forecast the future).
    backtest_windows : int
        Rolling-origin windows (step = horizon) on the history; fewer when the shortest series
        is too short (said in ``notes``); 0 skips the backtest.
    epochs : int, optional
        Training epochs of neural models (their default when None).
    seed : int
        Seed of neural models.
    level : float
        Prediction-interval level in percent.
    model_params : mapping, optional
        ``model name -> dict`` of extra hyperparameters.
    progress : callable, optional
        ``progress(step, total, message)``, steps counted over backtest fits and refits.
    should_stop : callable, optional
        Polled between steps and handed to model fits; True raises :class:`Cancelled`.
    executor : concurrent.futures.Executor, optional
        Where per-series models fit their series, in chunks, and their backtest windows side
        by side (a local pool of :func:`forecast.run.workers.local_pool`, or
        ``distributed.Client.get_executor()``); the forecasts are the same as without.
    levels : str or sequence of str, optional
        Aggregate levels of the key columns (``"state,state/gender,total"`` or ``"all"``;
        :func:`forecast.run.hierarchy.parse_levels`): their series are summed from the bottom,
        forecast like any other, and every model's forecasts reconciled.
    reconcile : str
        ``auto`` (the combination of ``top_down`` and MinTrace ``mint_shrink``, unless another
        method is clearly better on the backtest: :func:`forecast.run.reconcile_auto.choose_method`),
        a method of :data:`forecast.run.reconcile.METHODS` or ``none`` (forecasts of every level
        left as they are); used only with ``levels``.
    search : {"twice", "once", "every"}
        ``"twice"`` (default, :data:`forecast.run.defaults.SEARCH`): ARIMA's orders and the ETS
        model are searched per series on the oldest backtest window's training data,
        re-estimated at the later origins, and searched again on the whole history for the
        future; ``"once"``: re-estimated on the whole history too; ``"every"``: searched afresh
        at every origin and for the refit (:data:`forecast.run.backtest.SEARCH_MODES`).
    X_future : DataFrame, optional
        ``unique_id, ds, <drivers>`` over the ``horizon`` steps (instead of future rows in
        ``df``): the drivers named here are known in advance, the others observed only.

    Returns
    -------
    RunResult

    Raises
    ------
    SpecError
        Bad horizon, level, holdout, window count or model name.
    DataError
        Unusable frame (missing values).
    Cancelled
        When ``should_stop()`` returned True.
    """
    df, future_rows = split_future(df)
    if future_rows is not None and X_future is not None:
        raise DataError(
            "The drivers' future is given twice (rows after the last observed value and a "
            "separate future frame); give one."
        )
    X_future = future_rows if X_future is None else X_future
    horizon, level, names, model_params = _check_settings(
        df, horizon, level, models, holdout, backtest_windows, model_params, epochs
    )
    search = check_search(search)
    freq = frame_freq(df)  # inferred once; every frame below carries it in attrs
    m = season_length(freq)
    reconcile = check_method(reconcile)
    hierarchy = None
    keys = key_columns(df)
    if levels and not keys and df["unique_id"].nunique() > 1:  # one key: the series id itself
        df = df.assign(series=df["unique_id"].astype(str))
        df.attrs.update(freq=freq, keys=["series"])
        keys = ["series"]
    wanted = parse_levels(levels, keys)
    if wanted:
        df = df.copy()
        df.attrs["freq"] = freq
        hierarchy = build_hierarchy(df, wanted)
        df = hierarchy.frame
        keys_table = hierarchy.keys
    else:
        keys_table = bottom_keys(df)
    history, actuals = _split_holdout(df, int(holdout), freq)
    plan = None
    if driver_columns(history):
        if holdout:  # the held-out rows' drivers are the first of the future the models see
            held = df.groupby("unique_id", sort=False).tail(int(holdout))
            held = held[["unique_id", "ds", *driver_columns(history)]]
            X_future = held if X_future is None else pd.concat([held, X_future])
        plan = plan_drivers(history, X_future, horizon, freq)
    least = min_train(model_class(n) for n in [*names, "snaive"] if n != AUTO)
    windows, note = plan_backtest(history, horizon, int(backtest_windows), m, min_points=least)
    auto_params = dict(model_params.get(AUTO, {}))
    run = Run(
        names=names,
        params_of={
            n: _model_params(n, model_params, horizon=horizon, epochs=epochs, seed=seed)
            for n in names
            if n != AUTO
        },
        horizon=horizon,
        level=level,
        m=m,
        history=history,
        actuals=actuals,
        windows=windows,
        progress=progress,
        should_stop=should_stop,
        executor=executor,
        search=search,
        per_series=frozenset(n for n in names if model_class(n).scope == "per_series"),
        neural=frozenset(n for n in names if model_class(n).neural),
        top_k=int(auto_params.pop("top_k", AUTO_TOP_K)),
        rule=str(auto_params.pop("rule", AUTO_RULE)),
        rows={n: {"model": n, "error": None} for n in names},
        notes=[note] if note else [],
    )
    if auto_params:
        raise SpecError(
            f"auto in a job takes top_k and rule, not {', '.join(sorted(auto_params))}."
        )
    run.total = len(run.fitted_names) * (1 + windows)
    if plan is not None:
        run.x_future = plan.future
        aware = [n for n in run.fitted_names if uses_drivers(n, plan)]
        if aware:
            run.notes.append(plan.note())
            if AUTO in names and windows:  # auto compares them with the same without drivers
                run.total += len([n for n in aware if n not in REFERENCE_MODELS]) * (1 + windows)
        else:
            run.notes.append(
                f"No model of this run uses the drivers {', '.join(plan.names)}"
                + (" (observed only: no future given)" if not plan.known else "")
                + "."
            )
    if progress is not None:
        progress(0, run.total, "starting")
    scales = {
        str(uid): mase_scale(part["y"].to_numpy(dtype=float), m)
        for uid, part in history.groupby("unique_id", sort=False)
    }
    backtest_step(run)
    refit_step(run)
    combine_step(run)
    drivers_step(run, plan)
    reconciliation = reconcile_step(run, hierarchy, reconcile) if hierarchy is not None else {}
    calibrate_step(run, scales)
    residual_step(run)
    board, scores, evaluation, _reference = score_step(run, int(holdout))
    recommended = recommend(
        board,
        scores,
        evaluation,
        prefer=AUTO if AUTO in names else None,
        prefer_detail=_auto_words(run.evidence),
    )
    bt_frame = concat([run.bt[n] for n in names if n in run.bt], BACKTEST_COLUMNS)
    recommended, text = tell(
        board,
        run.scores,  # seasonal naive included: the reference of each series' skill
        recommended,
        checks=run.checks,
        level=level,
        evaluation=evaluation,
        history=history,
        evidence=run.evidence,
        intervals=run.intervals,
        default_models=frozenset(DEFAULT_MODELS),
        notes=run.notes,
    )
    by_series = series_table(
        run.scores,
        recommended,
        run.checks,
        [str(u) for u in pd.unique(history["unique_id"])],
        evaluation,
    )
    per_series = series_scores(run.scores)
    return RunResult(
        leaderboard=board,
        forecasts=attach_keys(
            concat([run.future[n] for n in names if n in run.future], FORECAST_COLUMNS),
            keys_table,
        ),
        actuals=actuals,
        history=history,
        residual_checks=run.checks,
        fitted={n: f for n, f in run.fitted.items() if f is not None},
        level=level,
        horizon=horizon,
        holdout=int(holdout),
        backtest=None if scores is None or not evaluation.startswith("backtest") else scores,
        residuals=run.residuals,
        backtest_forecasts=attach_keys(bt_frame, keys_table) if run.windows else None,
        backtest_windows=windows,
        recommended=recommended,
        verdict=text,
        notes=run.notes,
        auto=run.evidence,
        series_scores=per_series[per_series["model"].isin(names)].reset_index(drop=True),
        intervals=run.intervals,
        by_series=attach_keys(by_series, keys_table),
        keys=keys_table,
        hierarchy=reconciliation,
        m=int(m or 1),
        drivers=_drivers_summary(run, plan),
        baseline=run.baseline,
        with_drivers=run.with_drivers,
        x_future=None if plan is None else plan.future,
    )


def _drivers_summary(run: Run, plan) -> dict:
    """``RunResult.drivers``: roles, users, auto's choice, the fitted effects per model."""
    if plan is None:
        return {}
    out = {
        "known": plan.known,
        "observed": plan.observed,
        "used_by": [n for n in run.fitted_names if uses_drivers(n, plan) and n in run.fitted],
        "assumption": plan.note(),
        "freq": run.history.attrs.get("freq"),
    }
    out.update({k: v for k, v in (run.evidence.get("drivers") or {}).items() if k != "known"})
    effects = {}
    for name, model in run.fitted.items():
        if model is not None and callable(getattr(model, "effects", None)):
            frame = model.effects()
            if not frame.empty:
                effects[name] = frame.to_dict(orient="records")
    out["effects"] = effects
    return out
