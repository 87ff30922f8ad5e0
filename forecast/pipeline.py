"""One forecasting run: fit models, forecast, score, check residuals, rank — for every front end.

:func:`run_forecast` is what ``forecast run``, the job runner and the dashboard call. Steps:

1. hold out the last ``holdout`` points of every series (scored later), keep the rest as history;
2. optionally backtest every model over ``backtest_windows`` rolling origins of the history;
3. fit every model on the history and forecast ``horizon`` steps; a model that fails records its
   error in the leaderboard and the run goes on (``Cancelled`` always propagates);
4. neural models with backtest windows get split-conformal intervals from the backtest errors;
5. residual check per model (:mod:`forecast.residuals`) and the leaderboard
   (:mod:`forecast.leaderboard`): metrics from the holdout, else from the backtest, else none.

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

from forecast.backtest import backtest, backtest_splits, conformal_quantiles, window_scores
from forecast.errors import Cancelled, DataError, ForecastError, SpecError
from forecast.frequency import frame_freq, season_length
from forecast.jsonable import to_jsonable
from forecast.leaderboard import leaderboard
from forecast.metrics import mase_scale, score_frame
from forecast.models import MODEL_NAMES, make_model
from forecast.models.base import FORECAST_COLUMNS, check_horizon, check_level
from forecast.residuals import combine_checks, residual_check

__all__ = ["NEURAL_MODELS", "PER_SERIES_MODELS", "RunResult", "parse_models", "run_forecast"]

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

    def to_json(self) -> dict:
        """JSON-ready dict: ``leaderboard``, ``forecasts``, ``actuals``, ``residual_checks``,
        ``level``, ``horizon``, ``holdout``, ``backtest`` (records; timestamps ISO strings,
        NaN as None)."""
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
    freq = frame_freq(frame)
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


def _split_holdout(df: pd.DataFrame, holdout: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    freq = frame_freq(df)
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


def run_forecast(
    df: pd.DataFrame,
    *,
    horizon: int,
    models: str | Sequence[str] = ("snaive", "arima"),
    holdout: int = 0,
    backtest_windows: int = 0,
    epochs: int | None = None,
    seed: int = 0,
    level: float = 80,
    model_params: Mapping[str, dict] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Fit, forecast, score and check several models on a long frame.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (``attrs["freq"]`` used when set).
    horizon : int
        Steps to forecast past the end of the history.
    models : str or sequence of str
        Model names (:data:`forecast.models.MODEL_NAMES`); ``"snaive,arima"`` also works.
    holdout : int
        Points held out at the end of every series and scored (0: fit on everything).
    backtest_windows : int
        Rolling-origin windows (step = horizon) on the history; their errors score the models
        when there is no holdout and give neural models split-conformal intervals.
    epochs : int, optional
        Training epochs of neural models (their default when None).
    seed : int
        Seed of neural models.
    level : float
        Prediction-interval level in percent.
    model_params : mapping, optional
        ``model name -> dict`` of extra hyperparameters.
    progress : callable, optional
        ``progress(step, total, message)``, steps counted over models and backtest fits.
    should_stop : callable, optional
        Polled between steps and handed to model fits; True raises :class:`Cancelled`.
    executor : concurrent.futures.Executor, optional
        Where per-series models run, in chunks of series.

    Returns
    -------
    RunResult

    Raises
    ------
    SpecError
        Bad horizon, level, holdout, window count or model name.
    DataError
        Unusable frame (missing values, series too short for the backtest).
    Cancelled
        When ``should_stop()`` returned True.
    """
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
    history, actuals = _split_holdout(df, int(holdout))
    if backtest_windows:
        backtest_splits(history, horizon, int(backtest_windows))  # fail early on short series
    freq = frame_freq(history)
    m = season_length(freq)

    total = len(names) * (1 + int(backtest_windows))
    done = 0

    def tick(message: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, message)

    def stop_check() -> None:
        if should_stop is not None and should_stop():
            raise Cancelled("run cancelled")

    if progress is not None:
        progress(0, total, "starting")
    params_of = {
        name: _model_params(name, model_params, horizon=horizon, epochs=epochs, seed=seed)
        for name in names
    }
    rows: list[dict] = []
    forecasts: list[pd.DataFrame] = []
    fitted: dict = {}
    checks: dict = {}
    residuals: dict = {}
    bt_frames: list[pd.DataFrame] = []
    scales = {
        str(uid): mase_scale(part["y"].to_numpy(dtype=float), m)
        for uid, part in history.groupby("unique_id", sort=False)
    }
    for name in names:
        stop_check()
        row: dict = {"model": name, "error": None}
        params = params_of[name]
        bt = None
        try:
            if backtest_windows:
                bt = backtest(
                    {name: lambda name=name, params=params: make_model(name, **params)},
                    history,
                    horizon,
                    int(backtest_windows),
                    level=level,
                    should_stop=should_stop,
                    progress=lambda s, t, msg: tick(msg),
                )
                bt_frames.append(bt)
            start = time.perf_counter()
            if executor is not None and name in PER_SERIES_MODELS:
                model, fc = _fit_on_executor(
                    executor, name, params, history, horizon, level, should_stop
                )
            else:
                model = make_model(name, **params)
                model.fit(
                    history,
                    progress=None
                    if progress is None
                    else (lambda s, t, msg, name=name: progress(done, total, f"{name}: {msg}")),
                    should_stop=should_stop,
                )
                fc = model.predict(horizon, level=level)
            row["fit_seconds"] = time.perf_counter() - start
            if name in NEURAL_MODELS and bt is not None and not bt.empty:
                q = conformal_quantiles(bt, scales, level)
                fc = _apply_conformal(fc, q, scales)
                row["detail"] = "split-conformal intervals from backtest errors"
            detail = getattr(model, "detail_", None)
            if detail:
                row["detail"] = "; ".join(filter(None, [row.get("detail"), str(detail)]))
            fitted[name] = model
            forecasts.append(fc[FORECAST_COLUMNS])
            residuals[name] = model.residuals_
            m_check = int(params.get("season_length") or m)  # a user-given period wins
            per_series = {
                str(uid): residual_check(
                    part["resid"].to_numpy(dtype=float), m_check, model.n_params_.get(str(uid), 0)
                )
                for uid, part in model.residuals_.groupby("unique_id", sort=False)
            }
            summary = combine_checks(per_series)
            checks[name] = _jsonable(summary)
            if name == "arima" and summary["white"] is False and "hybrid" not in names:
                tip = "residual structure left: try the hybrid model (ARIMA + recurrent net)"
                row["detail"] = "; ".join(filter(None, [row.get("detail"), tip]))
            row.update(
                ljung_box_pvalue=summary["pvalue"],
                residuals_white=summary["white"],
                residual_verdict=summary["verdict"],
            )
        except Cancelled:
            raise
        except Exception as exc:  # one model failing never takes the run down
            row["error"] = (
                str(exc) if isinstance(exc, ForecastError) else f"{type(exc).__name__}: {exc}"
            )
        rows.append(row)
        tick(f"{name} done" if row["error"] is None else f"{name} failed")

    all_fc = (
        pd.concat(forecasts, ignore_index=True)
        if forecasts
        else pd.DataFrame(columns=FORECAST_COLUMNS)
    )
    scores, bt_scores = None, None
    if bt_frames:
        bt_scores = window_scores(pd.concat(bt_frames, ignore_index=True), history, m=m)
    if actuals is not None and not all_fc.empty:
        scores = score_frame(all_fc, actuals, history, m=m)
        evaluation = f"holdout of {holdout}"
    elif bt_scores is not None and not bt_scores.empty:
        scores = bt_scores
        evaluation = f"backtest of {backtest_windows} windows"
    else:
        evaluation = "none"
    for row in rows:
        row["evaluation"] = evaluation if row["error"] is None else None
    return RunResult(
        leaderboard=leaderboard(rows, scores),
        forecasts=all_fc,
        actuals=actuals,
        history=history,
        residual_checks=checks,
        fitted=fitted,
        level=level,
        horizon=horizon,
        holdout=int(holdout),
        backtest=bt_scores,
        residuals=residuals,
    )


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
