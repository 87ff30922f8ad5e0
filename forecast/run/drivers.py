"""Drivers in a job: their roles, their future, and ``auto``'s choice with or without them.

A job's frame is ``unique_id, ds, y, <drivers>``; rows after a series' last observed ``y``
(``y`` missing) hold the drivers' future and are split off (:func:`split_future`), as is a
separate future frame. A driver whose future is given is *known in advance*; one without is
*observed only* (:func:`plan_drivers`). Models that accept known drivers (``drivers_accepted``)
use them; the backtest gives them the actual values over each window, which assumes the future
is known — said in the run's notes.

:func:`drivers_step` (after ``auto`` is combined): with the drivers, a series takes ``arima``
alone where its backtest error is clearly below the combination's (:data:`DRIVERS_MARGIN`); the
driver-aware candidates are backtested and refit once more without the drivers, ``auto`` is
combined again from those (the combination, as in a job without drivers), and per series the
one with the lower backtest MASE is kept — with the evidence and a sentence saying which
and why. The reported backtest of the chosen ``auto`` is honest: each window uses the choice the
earlier windows made (the first window uses the drivers), as ``auto`` chooses its members.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.evaluation.metrics import score_frame
from forecast.ingest.frame import driver_columns, with_observed
from forecast.models.base import FORECAST_COLUMNS
from forecast.models.drivers import future_drivers
from forecast.models.registry import model_class
from forecast.run.combination import (
    AUTO,
    auto_backtest,
    choose_alone,
    choose_members,
    combine,
    member_errors,
)

__all__ = [
    "DRIVERS_ALONE",
    "DRIVERS_MARGIN",
    "DriverPlan",
    "drivers_step",
    "plan_drivers",
    "split_future",
    "uses_drivers",
]


#: ``auto`` with drivers: per series ``arima`` alone where its backtest error (MAE over the
#: windows) is below ``1 - DRIVERS_MARGIN`` times that of the combination, else the combination
#: (:func:`forecast.run.combination.choose_alone`; None: the combination, as without drivers).
#: Chosen on the six development sets of ``benchmarks/drivers.py`` (figures in
#: benchmarks/README.md): arima's regression with ARIMA errors estimates the drivers' effect with
#: its errors, where the other members take the effect by a two-step regression.
DRIVERS_ALONE = "arima"
DRIVERS_MARGIN: float | None = 0.05


def split_future(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split the rows after each series' last observed ``y`` off as the drivers' future.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y, <drivers>``; trailing rows of a series with ``y``
        missing hold the drivers' future values.

    Returns
    -------
    (history, future)
        ``future`` is ``unique_id, ds, <drivers>`` or None when there are no such rows (or no
        drivers). Missing ``y`` before a series' last observation stays in ``history``.
    """
    drivers = driver_columns(df)
    if not drivers or not df["y"].isna().any():
        return df, None
    observed = df["y"].notna().to_numpy()
    # position of the last observed y of each row's series, and each row's position
    pos = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    last = (
        pd.Series(np.where(observed, pos, -1), index=df.index)
        .groupby(df["unique_id"], sort=False)
        .transform("max")
        .to_numpy()
    )
    tail = pos > last
    if not tail.any():
        return df, None
    history = df.loc[~tail].reset_index(drop=True)
    history.attrs.update(df.attrs)
    future = df.loc[tail, ["unique_id", "ds", *drivers]].reset_index(drop=True)
    return history, future


class DriverPlan:
    """The drivers of a job: ``known`` (future given), ``observed`` (not), the future frame."""

    def __init__(self, known: list[str], observed: list[str], future: pd.DataFrame | None):
        self.known = known
        self.observed = observed
        self.future = future

    @property
    def names(self) -> list[str]:
        return [*self.known, *self.observed]

    def note(self) -> str:
        """The backtest's assumption in words ('' without known drivers)."""
        if not self.known:
            return ""
        names = " and ".join(self.known)
        return (
            f"The backtest assumes the future of {names} is known (it uses their actual values "
            "over each window); with forecast values expect more error than it shows."
        )


def plan_drivers(
    history: pd.DataFrame,
    future: pd.DataFrame | None,
    horizon: int,
    freq: str,
) -> DriverPlan:
    """Roles of the drivers of ``history`` and the future the models will be given.

    Parameters
    ----------
    history : DataFrame
        The frame the models are fitted on (its ``attrs`` get the observed-only drivers).
    future : DataFrame or None
        ``unique_id, ds, <drivers>`` after the history; a driver with a column here is known in
        advance and must cover the ``horizon`` steps of every series.
    horizon : int
        Steps forecast.
    freq : str
        Offset alias.

    Returns
    -------
    DriverPlan

    Raises
    ------
    DataError
        A known driver's future has gaps or does not cover the horizon, or is not numeric.
    """
    drivers = driver_columns(history)
    if future is not None:
        extra = [c for c in driver_columns(future) if c not in drivers]
        if extra:
            raise DataError(
                f"The future drivers hold {', '.join(extra)}, which the history lacks; give "
                "every driver over the history too, or drop it from the future."
            )
    named = [] if future is None else list(future.columns)
    known = [c for c in drivers if c in named]
    observed = [c for c in drivers if c not in known]
    with_observed(history, observed)
    if known:
        last = {
            str(u): pd.Timestamp(d) for u, d in history.groupby("unique_id")["ds"].max().items()
        }
        future_drivers(future, known, last, freq, horizon, model="forecast")
        future = future[["unique_id", "ds", *known]].reset_index(drop=True)
    else:
        future = None
    return DriverPlan(known, observed, future)


def uses_drivers(name: str, plan: DriverPlan | None) -> bool:
    """Whether model ``name`` uses any driver of ``plan``."""
    if plan is None:
        return False
    accepted = set(model_class(name).drivers_accepted)
    return bool(plan.known and "known" in accepted) or bool(
        plan.observed and "observed" in accepted
    )


def _mase_by_series(bt: pd.DataFrame, history: pd.DataFrame, m: int) -> pd.DataFrame:
    """``window, unique_id, mase`` of one model's backtest frame."""
    out = []
    for (w, _cutoff), part in bt.groupby(["window", "cutoff"], sort=True):
        first = part.groupby("unique_id")["ds"].min()
        past = history[history["ds"] < history["unique_id"].map(first)]
        actuals = part[["unique_id", "ds", "y"]].dropna()
        scores = score_frame(part.drop(columns="y"), actuals, past, m=m)
        out.append(scores.assign(window=w)[["window", "unique_id", "mase"]])
    return pd.concat(out, ignore_index=True)


def drivers_step(run, plan: DriverPlan | None) -> None:
    """``auto`` per series with or without the drivers, whichever backtests better.

    Runs after ``combine_step``; needs ``auto`` in the run and a backtest. Fills
    ``run.evidence["drivers"]`` (with ``members_with``, ``backtest_mae_with`` and ``rule``:
    ``auto`` with the drivers per series, before the choice), ``run.baseline`` (``auto``'s
    future without drivers) and ``run.with_drivers`` (its future with them, every series).
    """
    from forecast.models import make_model
    from forecast.run.backtest import backtest
    from forecast.run.steps import combine_step, refit_step

    if plan is None or AUTO not in run.names or AUTO not in run.future:
        return
    candidates = list(run.evidence.get("candidates") or [])
    aware = [n for n in candidates if uses_drivers(n, plan)]
    if not aware or not run.windows or AUTO not in run.bt:
        return
    _recombine_with_drivers(run, candidates, DRIVERS_MARGIN)
    plain = run.history[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = run.history.attrs.get("freq")
    start = run.done
    progress = run.progress
    sub = replace(
        run,
        names=[*aware, AUTO],
        history=plain,
        x_future=None,
        rows={n: {"model": n, "error": None} for n in [*aware, AUTO]},
        bt={n: run.bt[n] for n in candidates if n not in aware and n in run.bt},
        future={n: run.future[n] for n in candidates if n not in aware},
        fitted={},
        first={},  # no specification of a fit with drivers carried over
        residuals={n: run.residuals[n] for n in candidates if n not in aware},
        checks={},
        notes=[],
        evidence={},
        done=0,
        progress=None
        if progress is None
        else (lambda s, _t, msg: progress(start + s, run.total, f"without drivers: {msg}")),
    )
    for name in aware:
        sub.stop_check()
        try:
            sub.bt[name] = backtest(
                {name: lambda name=name: make_model(name, **run.params_of[name])},
                plain,
                run.horizon,
                run.windows,
                level=run.level,
                should_stop=run.should_stop,
                progress=sub.reporter(),
                executor=run.executor,
                search=run.search,
            )
        except Exception as exc:
            sub.fail(name, exc)
    refit_step(sub)
    sub.names = [*candidates, AUTO]
    sub.rows.update({n: {"model": n, "error": None} for n in candidates if n not in sub.rows})
    combine_step(sub)
    run.done = start + sub.done
    if AUTO not in sub.future or AUTO not in sub.bt:
        return
    with_bt, without_bt = run.bt[AUTO], sub.bt[AUTO]
    scores = pd.merge(
        _mase_by_series(with_bt, run.history, run.m),
        _mase_by_series(without_bt, run.history, run.m),
        on=["window", "unique_id"],
        suffixes=("_with", "_without"),
    )
    uids = [str(u) for u in pd.unique(run.history["unique_id"])]
    per_series, choice_bt = {}, []
    for uid in uids:
        rows = scores[scores["unique_id"].astype(str) == uid].sort_values("window")
        w_with, w_without = rows["mase_with"].to_numpy(), rows["mase_without"].to_numpy()
        for k, w in enumerate(rows["window"]):  # window w uses the choice of windows < w
            prior = k > 0 and np.nanmean(w_without[:k]) < np.nanmean(w_with[:k])
            choice_bt.append((uid, int(w), "without" if prior else "with"))
        mean_with, mean_without = float(np.nanmean(w_with)), float(np.nanmean(w_without))
        use = bool(mean_with < mean_without)
        per_series[uid] = {
            "choice": "with" if use else "without",
            "mase_with": mean_with,
            "mase_without": mean_without,
        }
    chosen = {u for u, v in per_series.items() if v["choice"] == "with"}
    run.baseline = sub.future[AUTO][FORECAST_COLUMNS].reset_index(drop=True)
    run.with_drivers = run.future[AUTO][FORECAST_COLUMNS].reset_index(drop=True)
    # auto with the drivers, per series: what a scenario of other driver values re-forecasts
    members_with = {u: list(v) for u, v in (run.evidence.get("members") or {}).items()}
    mae_with = {u: dict(v) for u, v in (run.evidence.get("backtest_mae") or {}).items()}
    run.future[AUTO] = _pick(run.future[AUTO], sub.future[AUTO], chosen)
    run.residuals[AUTO] = _pick(run.residuals[AUTO], sub.residuals[AUTO], chosen)
    picks = pd.DataFrame(choice_bt, columns=["unique_id", "window", "choice"])
    run.bt[AUTO] = _pick_windows(with_bt, without_bt, picks)
    members = dict(run.evidence.get("members") or {})
    for uid in uids:
        if uid not in chosen and uid in (sub.evidence.get("members") or {}):
            members[uid] = sub.evidence["members"][uid]
    run.evidence["members"] = members
    run.evidence["drivers"] = {
        "known": plan.known,
        "observed": plan.observed,
        "used_by": aware,
        "per_series": per_series,
        "reading": _reading(per_series, plan),
        "members_with": members_with,
        "backtest_mae_with": mae_with,
        "rule": run.evidence.get("rule"),
    }
    run.notes.append(run.evidence["drivers"]["reading"])
    run.rows[AUTO]["detail"] = "; ".join(
        filter(None, [run.rows[AUTO].get("detail"), run.evidence["drivers"]["reading"]])
    )


def _recombine_with_drivers(run, candidates: list[str], margin: float | None) -> None:
    """``auto`` with the drivers again: per series :data:`DRIVERS_ALONE` alone where its backtest
    error is ``margin`` below the combination's (:func:`forecast.run.combination.choose_alone`),
    its own backtest honest as ever (decided on earlier windows only)."""
    if margin is None or DRIVERS_ALONE not in candidates or DRIVERS_ALONE not in run.bt:
        return
    bt = pd.concat([run.bt[n] for n in candidates if n in run.bt], ignore_index=True)
    members = choose_members(member_errors(bt), run.top_k, candidates)
    members = choose_alone(bt, members, DRIVERS_ALONE, margin, run.rule)
    run.bt[AUTO] = auto_backtest(bt, candidates, run.top_k, run.rule, (DRIVERS_ALONE, margin))
    alone = [u for u, chosen in members.items() if [m for m, _ in chosen] == [DRIVERS_ALONE]]
    if not alone:
        return
    future = pd.concat([run.future[n] for n in candidates], ignore_index=True)
    run.future[AUTO] = combine(future, members, run.rule)[FORECAST_COLUMNS]
    resid = pd.concat(
        [run.residuals[n].assign(model=n, lo=np.nan, hi=np.nan) for n in candidates],
        ignore_index=True,
    ).rename(columns={"resid": "yhat"})
    combined = combine(resid[["unique_id", "ds", "model", "yhat", "lo", "hi"]], members, "mean")
    run.residuals[AUTO] = combined.rename(columns={"yhat": "resid"})[["unique_id", "ds", "resid"]]
    run.evidence["members"] = {uid: [m for m, _ in chosen] for uid, chosen in members.items()}
    run.evidence["backtest_mae"] = {uid: dict(chosen) for uid, chosen in members.items()}
    n = len(members)
    which = "" if n == 1 else f" for {len(alone)} of {n} series"
    note = (
        f"with the drivers, {DRIVERS_ALONE} alone{which}: its backtest error was more than "
        f"{100 * margin:.0f} % below the combination's"
    )
    run.rows[AUTO]["detail"] = "; ".join(filter(None, [run.rows[AUTO].get("detail"), note]))


def _pick(with_frame: pd.DataFrame, without: pd.DataFrame, chosen: set[str]) -> pd.DataFrame:
    keep = with_frame["unique_id"].astype(str).isin(chosen)
    other = ~without["unique_id"].astype(str).isin(chosen)
    out = pd.concat([with_frame[keep], without[other]], ignore_index=True)
    order = {u: i for i, u in enumerate(pd.unique(with_frame["unique_id"].astype(str)))}
    rank = out["unique_id"].astype(str).map(order)
    return out.assign(_r=rank).sort_values(["_r", "ds"], kind="stable").drop(columns="_r")


def _pick_windows(with_bt: pd.DataFrame, without_bt: pd.DataFrame, picks: pd.DataFrame):
    key = picks.assign(unique_id=picks["unique_id"].astype(str))
    frames = []
    for label, bt in (("with", with_bt), ("without", without_bt)):
        tagged = bt.assign(_u=bt["unique_id"].astype(str)).merge(
            key.rename(columns={"unique_id": "_u"}), on=["_u", "window"], how="inner"
        )
        frames.append(tagged[tagged["choice"] == label].drop(columns=["_u", "choice"]))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["window", "unique_id", "ds"], kind="stable").reset_index(drop=True)


def _reading(per_series: dict, plan: DriverPlan) -> str:
    """One sentence: which drivers, what they did to the backtest error, which series use them."""
    names = " and ".join(plan.known or plan.observed)
    with_ = np.array([v["mase_with"] for v in per_series.values()])
    without = np.array([v["mase_without"] for v in per_series.values()])
    used = [u for u, v in per_series.items() if v["choice"] == "with"]
    change = 1 - float(np.nanmean(with_)) / float(np.nanmean(without))
    if change > 0:
        effect = f"Using {names} cut the backtest error by {100 * change:.0f} %"
    else:
        effect = f"Using {names} raised the backtest error by {-100 * change:.0f} %"
    effect += f" (MASE {np.nanmean(with_):.3f} against {np.nanmean(without):.3f} without)"
    n = len(per_series)
    if len(used) == n:
        which = "auto uses them" + ("" if n == 1 else " for every series")
    elif not used:
        which = "auto leaves them out" + ("" if n == 1 else " for every series")
    else:
        which = f"auto uses them for {len(used)} of {n} series, where they lowered it"
    return f"{effect}; {which}."
