"""The named steps of one job (:func:`forecast.run.pipeline.run_forecast` runs them in order).

Each step reads and fills the shared :class:`Run`: ``backtest_step`` (every model over the
rolling origins, seasonal naive too as the reference of ``skill``), ``refit_step`` (the whole
history, the future ``h`` steps), ``combine_step`` (``auto``), ``calibrate_step`` (intervals from
backtest errors), ``residual_step`` (the residual checks) and ``score_step`` (the leaderboard).
A model that fails records its error in its row and the job goes on; ``Cancelled`` propagates.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.errors import Cancelled, ForecastError
from forecast.evaluation.calibration import apply_scales, calibrate_per_series
from forecast.evaluation.leaderboard import leaderboard
from forecast.evaluation.metrics import score_frame
from forecast.evaluation.residuals import combine_checks, residual_check
from forecast.jsonable import to_jsonable
from forecast.models import make_model
from forecast.models.base import FORECAST_COLUMNS
from forecast.models.fan_out import TASKS_PER_FIT
from forecast.models.per_series import PerSeriesForecaster
from forecast.run.backtest import backtest, conformal_quantiles, window_scores
from forecast.run.combination import (
    AUTO,
    auto_backtest,
    choose_members,
    combine,
    member_errors,
)
from forecast.run.defaults import AUTO_RULE, AUTO_TOP_K, REFERENCE_MODELS, SEARCH
from forecast.run.recommend import skill

__all__ = [
    "Run",
    "backtest_step",
    "calibrate_step",
    "combine_step",
    "concat",
    "refit_step",
    "residual_step",
    "score_step",
]


@dataclass
class Run:
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
    per_series: frozenset = frozenset()
    neural: frozenset = frozenset()
    search: str = SEARCH
    #: Per-series models fitted on the oldest backtest window, whose specifications the refit
    #: keeps (``search="once"``).
    first: dict = field(default_factory=dict)
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
    #: Known drivers over the future ``horizon`` steps (``unique_id, ds, <drivers>``), or None.
    x_future: pd.DataFrame | None = None
    #: ``auto``'s future without the drivers (when a run with drivers compared both).
    baseline: pd.DataFrame | None = None
    #: ``auto``'s future with the drivers for every series (before the choice per series).
    with_drivers: pd.DataFrame | None = None
    intervals: dict = field(default_factory=dict)
    scores: pd.DataFrame | None = None  # per (model, series) scores, the reference included

    def tick(self, message: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, message)

    def reporter(self) -> Callable[[int, int, str], None]:
        """A ``progress`` for a sub-task whose step counts start at the run's current count."""
        base = self.done

        def report(step: int, _total: int, message: str) -> None:
            self.done = base + step
            if self.progress is not None:
                self.progress(self.done, self.total, message)

        return report

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


def backtest_step(run: Run) -> None:
    """Step 1: every model over the rolling origins (a model failing here fails the model)."""
    if not run.windows:
        return
    reference = [] if "snaive" in run.names else [("snaive", {})]
    for name, params in [(n, run.params_of[n]) for n in run.fitted_names] + reference:
        run.stop_check()
        report = run.reporter() if name in run.rows else None
        try:
            run.bt[name] = backtest(
                {name: lambda name=name, params=params: make_model(name, **params)},
                run.history,
                run.horizon,
                run.windows,
                level=run.level,
                should_stop=run.should_stop,
                progress=report,
                executor=run.executor,
                search=run.search,
                first_fits=run.first,
            )
        except Exception as exc:
            if name in run.rows:
                run.fail(name, exc)


def refit_step(run: Run) -> None:
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
            report = (
                None
                if run.progress is None
                else (
                    lambda s, t, msg, name=name: run.progress(
                        run.done + _within(s, t), run.total, f"{name}: {msg}"
                    )
                )
            )
            first = run.first.get(name) if run.search == "once" else None
            if first is not None:  # the specification of the oldest window, re-estimated
                model = first.refit(
                    run.history,
                    progress=report,
                    should_stop=run.should_stop,
                    executor=run.executor,
                )
            else:
                model = make_model(name, **params)
                fan_out = (
                    {"executor": run.executor} if isinstance(model, PerSeriesForecaster) else {}
                )
                model.fit(run.history, progress=report, should_stop=run.should_stop, **fan_out)
            fc = model.predict(run.horizon, level=run.level, X_future=run.x_future)
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


def combine_step(run: Run) -> None:
    """Step 3: ``auto`` — per series, the combination of the best backtesting candidates."""
    if AUTO not in run.names:
        return
    start = time.perf_counter()
    succeeded = [n for n in run.fitted_names if n in run.future]
    candidates = [n for n in succeeded if n not in REFERENCE_MODELS] or succeeded
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


def calibrate_step(run: Run, scales: Mapping[str, float]) -> None:
    """Step 4: every model's future intervals calibrated on its own backtest errors, per series
    (:func:`forecast.evaluation.calibration.calibrate_per_series`: bounded, with a minimum of
    errors, checked on windows left out); neural models get split-conformal intervals."""
    for name, fc in list(run.future.items()):
        bt = run.bt.get(name)
        row = run.rows[name]
        if bt is None or bt.empty:
            continue
        if name not in run.neural:
            per = calibrate_per_series(bt, run.level)
            run.intervals[name] = per
            factors = {u: c["scale"] for u, c in per.items()}
            run.future[name] = apply_scales(fc, factors)
            used = [c for c in factors.values() if c is not None]
            row["interval_scale"] = float(np.median(used)) if used else np.nan
            held = [c["lowo_coverage"] for c in per.values() if np.isfinite(c["lowo_coverage"])]
            row["heldout_coverage"] = float(np.mean(held)) if held else np.nan
            own = sum(c["group"] == "series" for c in per.values())
            if not used:
                note = f"intervals as the model made them ({next(iter(per.values()))['why']})"
            elif len(per) == 1:
                note = (
                    f"intervals rescaled x{used[0]:.2f} to cover {run.level:g}% of backtest actuals"
                )
            else:
                note = (
                    f"intervals rescaled per series (median x{row['interval_scale']:.2f}; "
                    f"{own} of {len(per)} series on their own backtest errors) to cover "
                    f"{run.level:g}%"
                )
        else:
            q = conformal_quantiles(bt, scales, run.level)
            run.future[name] = _apply_conformal(fc, q, scales)
            note = "split-conformal intervals from backtest errors"
        row["detail"] = "; ".join(filter(None, [note, row.get("detail")]))


def check_period(season_length, m: int) -> int:
    """The seasonal period a model's residuals are checked at.

    Parameters
    ----------
    season_length : int, list of int or None
        The model's ``season_length`` parameter as the user gave it (MSTL takes a list).
    m : int
        The run's seasonal period from the frequency, in steps.

    Returns
    -------
    int
        A user-given period wins; of several (MSTL's seasons) the longest, so the Ljung-Box lags
        reach every season the model was asked to remove; else ``m``.
    """
    if season_length is None or season_length == []:
        return int(m)
    if isinstance(season_length, (list, tuple)):
        return max(int(p) for p in season_length)
    return int(season_length) or int(m)


#: Residual checks (about 5 ms each) worth starting the run's worker processes for when no fit
#: started them; a pool already running takes any number of them.
FAN_OUT_CHECKS = 2000


def _check_chunk(items: list[tuple[np.ndarray, int, int]]) -> list:
    """Residual checks of ``[(residuals, m, fitted params)]`` (module level: executors pickle
    it)."""
    return [residual_check(resid, m, k) for resid, m, k in items]


def _residual_checks(run: Run) -> dict[str, dict[str, object]]:
    """``model -> {unique_id: ResidualCheck}`` of every model with residuals, series in order.

    With many series the checks run on the run's executor in chunks (the same checks, so the
    same results as in this process), where they would otherwise be serial work of this
    process while the workers idle."""
    work = []
    for name, resid in run.residuals.items():
        params = run.params_of.get(name, {})
        model = run.fitted.get(name)
        n_params = getattr(model, "n_params_", {}) if model is not None else {}
        m_check = check_period(params.get("season_length"), run.m)
        for uid, part in resid.groupby("unique_id", sort=False):
            work.append(
                (
                    name,
                    str(uid),
                    (part["resid"].to_numpy(dtype=float), m_check, n_params.get(str(uid), 0)),
                )
            )
    executor = run.executor
    started = executor is not None and getattr(executor, "started", True)
    if executor is not None and len(work) > 1 and (started or len(work) >= FAN_OUT_CHECKS):
        size = max(1, -(-len(work) // TASKS_PER_FIT))
        futures = [
            executor.submit(_check_chunk, [item for _n, _u, item in work[i : i + size]])
            for i in range(0, len(work), size)
        ]
        checks = [c for fut in futures for c in fut.result()]
    else:
        checks = _check_chunk([item for _n, _u, item in work])
    out: dict[str, dict[str, object]] = {name: {} for name in run.residuals}
    for (name, uid, _item), check in zip(work, checks, strict=True):
        out[name][uid] = check
    return out


def residual_step(run: Run) -> None:
    """Step 5: the residual check of every model that produced residuals."""
    checked = _residual_checks(run)
    for name in run.residuals:
        row = run.rows[name]
        per_series = checked[name]
        summary = combine_checks(per_series)
        run.checks[name] = to_jsonable(summary)
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


def score_step(
    run: Run, holdout: int
) -> tuple[pd.DataFrame, pd.DataFrame | None, str, float | None]:
    """Step 6: the leaderboard — holdout scores if any, else backtest scores; skill vs snaive."""
    all_fc = concat([run.future[n] for n in run.names if n in run.future], FORECAST_COLUMNS)
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
        run.scores = scores
        scores = scores[scores["model"].isin(run.names)]
    rows = list(run.rows.values())
    for row in rows:
        row["evaluation"] = evaluation if row["error"] is None else None
    board = leaderboard(rows, scores)
    board["skill"] = skill(board, reference)
    board["level"] = run.level
    for col in ("interval_scale", "heldout_coverage"):
        value = {r["model"]: r.get(col, np.nan) for r in rows}
        board[col] = board["model"].map(value).astype(float)
    if run.history["unique_id"].nunique() > 1:
        # MAE and RMSE are in each series' own units: never averaged across series
        board["mae"] = np.nan
        board["rmse"] = np.nan
    return board, scores, evaluation, reference


def concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _within(step: float, total: float) -> float:
    """Fraction of a model's own fit done (``step / total``), kept below 1: the step ends with
    the model's row, not its last epoch."""
    return min(float(step) / float(total), 0.99) if total else 0.0


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
