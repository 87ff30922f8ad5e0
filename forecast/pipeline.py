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
   (:mod:`forecast.combination`), with its evidence;
4. ``_calibrate_step``: every model's intervals calibrated on its own backtest errors
   (:mod:`forecast.calibration`; neural models get split-conformal intervals);
5. ``_residual_step``: the residual check of every model (:mod:`forecast.residuals`);
6. ``_score_step``: the leaderboard (:mod:`forecast.leaderboard`) from the holdout, else the
   backtest, with ``skill`` against seasonal naive;
then the recommendation and the verdict in words (:mod:`forecast.recommend`).

Per-series models (naive, snaive, drift, arima) can be fanned out over a
``concurrent.futures.Executor`` (a local process pool, or ``distributed.Client.get_executor()``)
in chunks of series; global (neural) models train as one task in this process.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.backtest import MIN_TRAIN, backtest, conformal_quantiles, window_scores
from forecast.calibration import apply_scale, interval_scale
from forecast.combination import (
    AUTO,
    MEMBER_MODELS,
    auto_backtest,
    choose_members,
    combine,
    member_errors,
)
from forecast.defaults import (
    AUTO_DEFAULT_CANDIDATES,
    AUTO_RULE,
    AUTO_TOP_K,
    BACKTEST_COLUMNS,
    DEFAULT_MODELS,
    DEFAULT_WINDOWS,
)
from forecast.errors import Cancelled, DataError, ForecastError, SpecError
from forecast.frequency import frame_freq, season_length
from forecast.jsonable import to_jsonable
from forecast.leaderboard import leaderboard
from forecast.metrics import mase_scale, score_frame
from forecast.models import MODEL_NAMES, make_model
from forecast.models.base import FORECAST_COLUMNS, check_horizon, check_level
from forecast.recommend import recommend, skill, verdict
from forecast.residuals import combine_checks, residual_check

__all__ = [
    "BACKTEST_COLUMNS",
    "DEFAULT_MODELS",
    "DEFAULT_WINDOWS",
    "NEURAL_MODELS",
    "PER_SERIES_MODELS",
    "RunResult",
    "parse_models",
    "plan_backtest",
    "run_forecast",
]

#: Models fitted series by series (fanned out over an executor when one is given).
PER_SERIES_MODELS = frozenset({"naive", "snaive", "drift", "arima", "ets", "theta", "ces", "mstl"})
#: Global models that take ``horizon, epochs, seed`` and get conformal intervals from backtests.
NEURAL_MODELS = frozenset({"rnn", "lstm", "gru", "bilstm", "esn", "hybrid", "ensemble"})


@dataclass
class RunResult:
    """Everything one run produced.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per model (see :data:`forecast.leaderboard.LEADERBOARD_COLUMNS`).
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` of every model that succeeded.
    actuals : DataFrame or None
        The held-out part (``unique_id, ds, y``), None without a holdout.
    history : DataFrame
        The training part.
    residual_checks : dict
        Model -> JSON-ready residual summary (:func:`forecast.residuals.combine_checks`).
    fitted : dict
        Model -> fitted estimator.
    level : float
        Interval level in percent.
    backtest : DataFrame or None
        Per-window, per-series backtest scores (:func:`forecast.backtest.window_scores`).
    backtest_forecasts : DataFrame or None
        Every model's backtest forecasts beside the actuals (:data:`BACKTEST_COLUMNS`).
    backtest_windows : int
        Rolling origins actually used (fewer than asked on short series, see ``notes``).
    recommended : dict
        ``{"model", "reason", "per_series"}`` (:func:`forecast.recommend.recommend`).
    verdict : str
        The run's answer in words (:func:`forecast.recommend.verdict`).
    notes : list of str
        Caveats of the run.
    auto : dict
        Evidence of ``auto``: rule, candidates, members and their backtest errors per series,
        the candidates' residual verdicts (empty when ``auto`` did not run).
    """

    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    actuals: pd.DataFrame | None
    history: pd.DataFrame
    residual_checks: dict
    fitted: dict
    level: float
    horizon: int = 0
    holdout: int = 0
    backtest: pd.DataFrame | None = None
    residuals: dict = field(default_factory=dict)
    backtest_forecasts: pd.DataFrame | None = None
    backtest_windows: int = 0
    recommended: dict = field(default_factory=dict)
    verdict: str = ""
    notes: list = field(default_factory=list)
    auto: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready answer of the run: ``recommended``, ``verdict``, ``notes``,
        ``backtest_windows``, ``auto`` (what ``summary.json`` of a job holds)."""
        return _jsonable(
            {
                "recommended": self.recommended,
                "verdict": self.verdict,
                "notes": self.notes,
                "backtest_windows": self.backtest_windows,
                "auto": self.auto,
            }
        )

    def to_json(self) -> dict:
        """JSON-ready dict: ``leaderboard``, ``forecasts``, ``actuals``, ``residual_checks``,
        ``level``, ``horizon``, ``holdout``, ``backtest`` (records; timestamps ISO strings,
        NaN as None), and the keys of :meth:`summary`."""
        return _jsonable(
            {
                "leaderboard": _records(self.leaderboard),
                "forecasts": _records(self.forecasts),
                "actuals": None if self.actuals is None else _records(self.actuals),
                "residual_checks": self.residual_checks,
                "level": self.level,
                "horizon": self.horizon,
                "holdout": self.holdout,
                "backtest": None if self.backtest is None else _records(self.backtest),
                **self.summary(),
            }
        )


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_dict(orient="records")


_jsonable = to_jsonable


def parse_models(models: str | Sequence[str]) -> list[str]:
    """Normalise a model list (``"snaive,arima"`` or a sequence) and reject unknown names.

    Raises
    ------
    SpecError
        Empty list or unknown name.
    """
    names = models.split(",") if isinstance(models, str) else list(models)
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    if not names:
        raise SpecError("No models given; pass at least one, e.g. --models snaive,arima.")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise SpecError(
            f"Unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}."
        )
    return list(dict.fromkeys(names))


class ChunkedModel:
    """Per-series model fitted in chunks of series (one estimator per chunk), used as one."""

    def __init__(self, name: str, parts: list) -> None:
        self.name = name
        self.parts = parts
        self.residuals_ = pd.concat([p.residuals_ for p in parts], ignore_index=True)
        self.n_params_ = {k: v for p in parts for k, v in p.n_params_.items()}
        self.model_strings_ = {
            k: v for p in parts for k, v in getattr(p, "model_strings_", {}).items()
        }
        self.notes_ = {k: v for p in parts for k, v in getattr(p, "notes_", {}).items()}
        if len(parts) == 1:
            self.detail_ = getattr(parts[0], "detail_", None)
        elif self.model_strings_:
            label, count = Counter(self.model_strings_.values()).most_common(1)[0]
            self.detail_ = f"{len(self.model_strings_)} series; most common {label} ({count})"
            if self.notes_:
                self.detail_ += f"; {len(self.notes_)} fell back to a simpler order"
        else:
            self.detail_ = None

    def predict(self, h: int, level: float = 80) -> pd.DataFrame:
        """Concatenated forecasts of every chunk (see the model's own ``predict``)."""
        return pd.concat([p.predict(h, level=level) for p in self.parts], ignore_index=True)


def _fit_predict(name: str, params: dict, frame: pd.DataFrame, h: int, level: float):
    """Fit one model on a frame and forecast (module level so executors can pickle it)."""
    model = make_model(name, **params)
    model.fit(frame)
    return model, model.predict(h, level=level)


def _model_params(
    name: str, model_params: Mapping[str, dict], *, horizon: int, epochs, seed: int
) -> dict:
    params = dict(model_params.get(name, {}))
    if name in NEURAL_MODELS:
        params.setdefault("horizon", horizon)
        params.setdefault("seed", seed)
        if epochs is not None:
            params.setdefault("epochs", epochs)
    return params


def _fit_on_executor(executor: Executor, name, params, frame, h, level, should_stop):
    uids = list(pd.unique(frame["unique_id"]))
    n_chunks = min(len(uids), 32)
    chunks = [list(c) for c in np.array_split(np.asarray(uids, dtype=object), n_chunks)]
    freq = frame_freq(frame)  # set in attrs by run_forecast: no inference here
    futures = []
    for chunk in chunks:
        part = frame[frame["unique_id"].isin(chunk)].reset_index(drop=True)
        part.attrs["freq"] = freq
        futures.append(executor.submit(_fit_predict, name, params, part, h, level))
    results = []
    try:
        for fut in futures:
            while True:
                if should_stop is not None and should_stop():
                    raise Cancelled(f"{name}: cancelled")
                try:
                    results.append(fut.result(timeout=0.5))
                    break
                except TimeoutError:
                    continue
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    model = ChunkedModel(name, [r[0] for r in results])
    return model, pd.concat([r[1] for r in results], ignore_index=True)


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


def plan_backtest(history: pd.DataFrame, horizon: int, requested: int, m: int) -> tuple[int, str]:
    """How many rolling origins the shortest series allows (at most ``requested``).

    Every window keeps at least ``max(MIN_TRAIN, m + 1)`` training points.

    Returns
    -------
    (int, str)
        The number of windows and a note for people ('' when all requested windows fit).
    """
    if requested == 0:
        return 0, ""
    shortest = int(history.groupby("unique_id", sort=False).size().min())
    min_train = max(MIN_TRAIN, m + 1)
    fits = max(0, (shortest - min_train) // horizon)
    windows = min(requested, fits)
    if windows == requested:
        return windows, ""
    if windows == 0:
        note = (
            f"No backtest: the shortest series ({shortest} points) is too short for one origin of "
            f"{horizon} steps after {min_train} training points, so nothing is scored."
        )
    else:
        note = (
            f"Backtest over {windows} origin{'s' if windows > 1 else ''} instead of {requested}: "
            f"the shortest series has {shortest} points."
        )
    return windows, note


@dataclass
class _Run:
    """What the steps of one run share (settings, the frame, the steps' products)."""

    names: list[str]
    params_of: dict
    horizon: int
    level: float
    m: int
    history: pd.DataFrame
    actuals: pd.DataFrame | None
    windows: int
    progress: Callable[[int, int, str], None] | None
    should_stop: Callable[[], bool] | None
    executor: Executor | None
    top_k: int = AUTO_TOP_K
    rule: str = AUTO_RULE
    done: int = 0
    total: int = 0
    rows: dict = field(default_factory=dict)
    bt: dict = field(default_factory=dict)
    future: dict = field(default_factory=dict)
    fitted: dict = field(default_factory=dict)
    residuals: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)

    def tick(self, message: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, message)

    def stop_check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise Cancelled("run cancelled")

    def fail(self, name: str, exc: Exception) -> None:
        if isinstance(exc, Cancelled):
            raise exc
        self.rows[name]["error"] = (
            str(exc) if isinstance(exc, ForecastError) else f"{type(exc).__name__}: {exc}"
        )

    @property
    def fitted_names(self) -> list[str]:
        return [n for n in self.names if n != AUTO]


def _check_settings(df, horizon, level, models, holdout, backtest_windows, model_params):
    horizon = check_horizon(horizon)
    level = check_level(level)
    names = parse_models(models)
    for label, value in (("holdout", holdout), ("backtest_windows", backtest_windows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise SpecError(f"{label} must be a whole number >= 0, got {value!r}.")
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise DataError(
            f"The frame lacks columns {sorted(missing)}; read it with forecast.io.read_csv."
        )
    if df["y"].isna().any():
        raise DataError(
            f"The data has {int(df['y'].isna().sum())} missing values; fill the gaps "
            "(--fill interpolate or ffill) before forecasting."
        )
    model_params = dict(model_params or {})
    unknown = set(model_params) - set(names)
    if unknown:
        raise SpecError(f"model_params names models not in the run: {', '.join(sorted(unknown))}.")
    if AUTO in names and not any(n in MEMBER_MODELS for n in names):
        names = [*AUTO_DEFAULT_CANDIDATES, *names]  # auto needs candidates to combine
    return horizon, level, names, model_params


def _backtest_step(run: _Run) -> None:
    """Step 1: every model over the rolling origins (a model failing here fails the model)."""
    if not run.windows:
        return
    reference = [] if "snaive" in run.names else [("snaive", {})]
    for name, params in [(n, run.params_of[n]) for n in run.fitted_names] + reference:
        run.stop_check()
        try:
            run.bt[name] = backtest(
                {name: lambda name=name, params=params: make_model(name, **params)},
                run.history,
                run.horizon,
                run.windows,
                level=run.level,
                should_stop=run.should_stop,
                progress=(lambda s, t, msg: run.tick(msg)) if name in run.rows else None,
            )
        except Exception as exc:
            if name in run.rows:
                run.fail(name, exc)


def _refit_step(run: _Run) -> None:
    """Step 2: every model that backtested refit on the whole history; the future ``h`` steps."""
    for name in run.fitted_names:
        run.stop_check()
        row = run.rows[name]
        if row["error"] is not None:
            run.tick(f"{name} failed")
            continue
        params = run.params_of[name]
        try:
            start = time.perf_counter()
            if run.executor is not None and name in PER_SERIES_MODELS:
                model, fc = _fit_on_executor(
                    run.executor,
                    name,
                    params,
                    run.history,
                    run.horizon,
                    run.level,
                    run.should_stop,
                )
            else:
                model = make_model(name, **params)
                model.fit(
                    run.history,
                    progress=None
                    if run.progress is None
                    else (
                        lambda s, t, msg, name=name: run.progress(
                            run.done, run.total, f"{name}: {msg}"
                        )
                    ),
                    should_stop=run.should_stop,
                )
                fc = model.predict(run.horizon, level=run.level)
            row["fit_seconds"] = time.perf_counter() - start
            detail = getattr(model, "detail_", None)
            if detail:
                row["detail"] = str(detail)
            run.fitted[name] = model
            run.future[name] = fc[FORECAST_COLUMNS]
            run.residuals[name] = model.residuals_
        except Exception as exc:
            run.fail(name, exc)
        run.tick(f"{name} done" if row["error"] is None else f"{name} failed")


def _combine_step(run: _Run) -> None:
    """Step 3: ``auto`` — per series, the combination of the best backtesting candidates."""
    if AUTO not in run.names:
        return
    start = time.perf_counter()
    candidates = [n for n in run.fitted_names if n in MEMBER_MODELS and n in run.future]
    row = run.rows[AUTO]
    if not candidates:
        row["error"] = "auto has no candidate model that succeeded to combine."
        return
    uids = [str(u) for u in pd.unique(run.history["unique_id"])]
    bt_all = [run.bt[n] for n in candidates if n in run.bt]
    if bt_all:
        bt = pd.concat(bt_all, ignore_index=True)
        errors = member_errors(bt)
        members = choose_members(errors, run.top_k, candidates)
        run.bt[AUTO] = auto_backtest(bt, candidates, run.top_k, run.rule)
        how = f"{run.rule} of the best {run.top_k} of {', '.join(candidates)} by backtest error"
    else:
        members = {uid: [(n, float("nan")) for n in candidates] for uid in uids}
        how = f"mean of every candidate ({', '.join(candidates)}): no backtest to choose on"
    rule = run.rule if bt_all else "mean"
    future = pd.concat([run.future[n] for n in candidates], ignore_index=True)
    run.future[AUTO] = combine(future, members, rule)[FORECAST_COLUMNS]
    resid = pd.concat(
        [run.residuals[n].assign(model=n, yhat=0.0, lo=np.nan, hi=np.nan) for n in candidates],
        ignore_index=True,
    ).rename(columns={"resid": "r"})
    resid["yhat"] = resid["r"]
    combined = combine(resid[["unique_id", "ds", "model", "yhat", "lo", "hi"]], members, "mean")
    run.residuals[AUTO] = combined.rename(columns={"yhat": "resid"})[["unique_id", "ds", "resid"]]
    run.evidence = {
        "rule": rule,
        "top_k": run.top_k,
        "candidates": candidates,
        "members": {uid: [m for m, _ in chosen] for uid, chosen in members.items()},
        "backtest_mae": {uid: dict(chosen) for uid, chosen in members.items()},
    }
    common = Counter(tuple(v) for v in run.evidence["members"].values()).most_common(1)
    row["detail"] = how + (f"; members {' + '.join(common[0][0])}" if common else "")
    row["fit_seconds"] = time.perf_counter() - start
    run.fitted[AUTO] = None


def _calibrate_step(run: _Run, scales: Mapping[str, float]) -> None:
    """Step 4: every model's future intervals calibrated on its own backtest errors."""
    for name, fc in list(run.future.items()):
        bt = run.bt.get(name)
        row = run.rows[name]
        if bt is None or bt.empty:
            continue
        scale = None if name in NEURAL_MODELS else interval_scale(bt, run.level)
        if scale is not None:
            run.future[name] = apply_scale(fc, scale)
            row["interval_scale"] = scale
            note = f"intervals rescaled x{scale:.2f} to cover {run.level:g}% of backtest actuals"
        else:
            q = conformal_quantiles(bt, scales, run.level)
            run.future[name] = _apply_conformal(fc, q, scales)
            note = "split-conformal intervals from backtest errors"
        row["detail"] = "; ".join(filter(None, [note, row.get("detail")]))


def _residual_step(run: _Run) -> None:
    """Step 5: the residual check of every model that produced residuals."""
    for name, resid in run.residuals.items():
        row = run.rows[name]
        params = run.params_of.get(name, {})
        model = run.fitted.get(name)
        n_params = getattr(model, "n_params_", {}) if model is not None else {}
        m_check = int(params.get("season_length") or run.m)  # a user-given period wins
        per_series = {
            str(uid): residual_check(
                part["resid"].to_numpy(dtype=float), m_check, n_params.get(str(uid), 0)
            )
            for uid, part in resid.groupby("unique_id", sort=False)
        }
        summary = combine_checks(per_series)
        run.checks[name] = _jsonable(summary)
        if name == "arima" and summary["white"] is False and "hybrid" not in run.names:
            tip = "residual structure left: try the hybrid model (ARIMA + recurrent net)"
            row["detail"] = "; ".join(filter(None, [row.get("detail"), tip]))
        row.update(
            ljung_box_pvalue=summary["pvalue"],
            residuals_white=summary["white"],
            residual_verdict=summary["verdict"],
        )
    if AUTO in run.rows and run.evidence:
        run.evidence["residuals_white"] = {
            n: run.checks.get(n, {}).get("white") for n in run.evidence["candidates"]
        }


def _score_step(
    run: _Run, holdout: int
) -> tuple[pd.DataFrame, pd.DataFrame | None, str, float | None]:
    """Step 6: the leaderboard — holdout scores if any, else backtest scores; skill vs snaive."""
    all_fc = _concat([run.future[n] for n in run.names if n in run.future], FORECAST_COLUMNS)
    bt_scores = None
    if run.bt:
        bt_scores = window_scores(
            pd.concat(list(run.bt.values()), ignore_index=True), run.history, m=run.m
        )
    if run.actuals is not None and not all_fc.empty:
        scores = score_frame(all_fc, run.actuals, run.history, m=run.m)
        evaluation = f"holdout of {holdout}"
        if "snaive" not in run.names:
            ref = make_model("snaive").fit(run.history).predict(run.horizon, level=run.level)
            scores = pd.concat([scores, score_frame(ref, run.actuals, run.history, m=run.m)])
    elif bt_scores is not None and not bt_scores.empty:
        scores = bt_scores
        evaluation = f"backtest of {run.windows} window{'s' if run.windows > 1 else ''}"
    else:
        scores, evaluation = None, "none"
    reference = None
    if scores is not None:
        ref_rows = scores[scores["model"] == "snaive"]
        reference = float(ref_rows["mase"].mean()) if not ref_rows.empty else None
        scores = scores[scores["model"].isin(run.names)]
    rows = list(run.rows.values())
    for row in rows:
        row["evaluation"] = evaluation if row["error"] is None else None
    board = leaderboard(rows, scores)
    board["skill"] = skill(board, reference)
    board["level"] = run.level
    scale = {r["model"]: r.get("interval_scale", np.nan) for r in rows}
    board["interval_scale"] = board["model"].map(scale).astype(float)
    return board, scores, evaluation, reference


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
) -> RunResult:
    """Backtest, refit, forecast the future, combine, calibrate, check, score and recommend.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (``attrs["freq"]`` used when set).
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
        Where per-series models refit, in chunks of series.

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
    horizon, level, names, model_params = _check_settings(
        df, horizon, level, models, holdout, backtest_windows, model_params
    )
    freq = frame_freq(df)  # inferred once; every frame below carries it in attrs
    m = season_length(freq)
    history, actuals = _split_holdout(df, int(holdout), freq)
    windows, note = plan_backtest(history, horizon, int(backtest_windows), m)
    auto_params = dict(model_params.get(AUTO, {}))
    run = _Run(
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
        top_k=int(auto_params.pop("top_k", AUTO_TOP_K)),
        rule=str(auto_params.pop("rule", AUTO_RULE)),
        rows={n: {"model": n, "error": None} for n in names},
        notes=[note] if note else [],
    )
    if auto_params:
        raise SpecError(f"auto takes top_k and rule, not {', '.join(sorted(auto_params))}.")
    run.total = len(run.fitted_names) * (1 + windows)
    if progress is not None:
        progress(0, run.total, "starting")
    scales = {
        str(uid): mase_scale(part["y"].to_numpy(dtype=float), m)
        for uid, part in history.groupby("unique_id", sort=False)
    }
    _backtest_step(run)
    _refit_step(run)
    _combine_step(run)
    _calibrate_step(run, scales)
    _residual_step(run)
    board, scores, evaluation, _reference = _score_step(run, int(holdout))
    recommended = recommend(board, scores, evaluation, AUTO if AUTO in names else None)
    bt_frame = _concat([run.bt[n] for n in names if n in run.bt], BACKTEST_COLUMNS)
    text = verdict(
        board,
        recommended,
        level=level,
        evaluation=evaluation,
        checks=run.checks,
        default_models=frozenset(DEFAULT_MODELS),
        notes=run.notes,
    )
    return RunResult(
        leaderboard=board,
        forecasts=_concat([run.future[n] for n in names if n in run.future], FORECAST_COLUMNS),
        actuals=actuals,
        history=history,
        residual_checks=run.checks,
        fitted={n: f for n, f in run.fitted.items() if f is not None},
        level=level,
        horizon=horizon,
        holdout=int(holdout),
        backtest=None if scores is None or not evaluation.startswith("backtest") else scores,
        residuals=run.residuals,
        backtest_forecasts=bt_frame if run.windows else None,
        backtest_windows=windows,
        recommended=recommended,
        verdict=text,
        notes=run.notes,
        auto=run.evidence,
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _apply_conformal(fc: pd.DataFrame, q: np.ndarray, scales: Mapping[str, float]) -> pd.DataFrame:
    """Replace ``lo, hi`` by ``yhat ∓ q[step] * scale[series]`` (steps beyond ``q`` reuse its last)."""
    fc = fc.copy()
    step = fc.groupby("unique_id", sort=False).cumcount().to_numpy()
    half = q[np.minimum(step, len(q) - 1)]
    scale = fc["unique_id"].map(lambda uid: scales.get(str(uid), np.nan)).astype(float)
    scale = scale.where(scale > 0, 1.0).fillna(1.0).to_numpy()
    fc["lo"] = fc["yhat"] - half * scale
    fc["hi"] = fc["yhat"] + half * scale
    return fc
