"""``auto``: per series, a combination of the models that backtest best.

For every series, the candidate models (every other model of the run but the reference
baselines naive, seasonal naive and drift) are ranked by their mean absolute error over the backtest windows; the
best ``top_k`` are combined point by point (``rule``: their mean, their median, their trimmed
mean — the highest and the lowest member dropped at each step when there are at least three —
or weights proportional to 1 / backtest MAE). Its intervals are the members' intervals combined the same
way, then calibrated on the combination's own backtest errors like every model's
(:mod:`forecast.evaluation.calibration`).

The combination's own backtest is honest (:func:`auto_backtest`): in window ``w`` its members
are chosen on windows before ``w`` only, and in the first window (nothing earlier to choose on)
it is the combination of every candidate. So its leaderboard score is what choosing by backtest
would have earned, not the best models' scores in hindsight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.errors import SpecError

__all__ = [
    "AUTO",
    "RULES",
    "auto_backtest",
    "choose_alone",
    "choose_members",
    "combine",
    "member_errors",
]

#: The model name of the combination.
AUTO = "auto"
#: How members are combined.
RULES = ("mean", "median", "trimmed", "inverse")


def member_errors(bt: pd.DataFrame, windows: Iterable[int] | None = None) -> pd.DataFrame:
    """Mean absolute backtest error per (series, model), over the given windows.

    Parameters
    ----------
    bt : DataFrame
        Backtest forecasts ``window, unique_id, model, yhat, y``.
    windows : iterable of int, optional
        Windows to use (all when None).

    Returns
    -------
    DataFrame
        ``unique_id, model, mae`` (models that never forecast a series are absent).
    """
    part = bt if windows is None else bt[bt["window"].isin(list(windows))]
    part = part.dropna(subset=["y", "yhat"])
    err = (part["y"] - part["yhat"]).abs()
    out = err.groupby([part["unique_id"].astype(str), part["model"]], sort=False).mean()
    return out.rename("mae").reset_index()


def choose_members(
    errors: pd.DataFrame, top_k: int, candidates: Sequence[str]
) -> dict[str, list[tuple[str, float]]]:
    """The ``top_k`` candidates with the lowest backtest error, per series.

    Parameters
    ----------
    errors : DataFrame
        ``unique_id, model, mae`` from :func:`member_errors`.
    top_k : int
        Members per series (fewer when fewer candidates were scored).
    candidates : sequence of str
        Models allowed; ties keep this order.

    Returns
    -------
    dict
        ``unique_id -> [(model, mae), ...]``, best first.
    """
    order = {name: i for i, name in enumerate(candidates)}
    errors = errors[errors["model"].isin(order) & np.isfinite(errors["mae"])]
    out: dict[str, list[tuple[str, float]]] = {}
    for uid, part in errors.groupby("unique_id", sort=False):
        ranked = sorted(
            zip(part["model"], part["mae"], strict=True), key=lambda t: (t[1], order[t[0]])
        )
        out[str(uid)] = [(str(m), float(e)) for m, e in ranked[:top_k]]
    return out


def _trimmed_mean(values: pd.Series) -> float:
    """Mean without the highest and the lowest value (the plain mean of fewer than three)."""
    v = np.sort(values.to_numpy(dtype=float))
    return float(v[1:-1].mean() if len(v) >= 3 else v.mean())


def _weights(members: list[tuple[str, float]], rule: str) -> dict[str, float]:
    if rule == "inverse":
        inv = {m: 1.0 / max(e, 1e-12) for m, e in members}
        total = sum(inv.values())
        return {m: v / total for m, v in inv.items()}
    return {m: 1.0 / len(members) for m, _ in members}


def combine(
    forecasts: pd.DataFrame,
    members: Mapping[str, list[tuple[str, float]]],
    rule: str = "mean",
    *,
    keys: Sequence[str] = ("unique_id", "ds"),
) -> pd.DataFrame:
    """Combine the members' forecasts of every series.

    Parameters
    ----------
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` (plus any columns in ``keys``).
    members : mapping
        ``unique_id -> [(model, backtest error), ...]`` from :func:`choose_members`.
    rule : {"mean", "median", "trimmed", "inverse"}
        Mean, median, trimmed mean (highest and lowest dropped, with three members or more) or
        1/error-weighted mean of the members' ``yhat``; ``lo`` and ``hi`` are combined the same
        way (the median rule averages them).
    keys : sequence of str
        Columns identifying one forecast point.

    Returns
    -------
    DataFrame
        Same columns as ``forecasts`` with ``model == "auto"``; series without members are
        absent.

    Raises
    ------
    SpecError
        Unknown rule.
    """
    if rule not in RULES:
        raise SpecError(f"auto: rule must be one of {', '.join(RULES)}, got {rule!r}.")
    keys = list(keys)
    weights = [
        (uid, model, w)
        for uid, chosen in members.items()
        if chosen
        for model, w in _weights(chosen, rule).items()
    ]
    columns = list(forecasts.columns)
    if not weights:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(weights, columns=["_uid", "model", "_w"])
    order = {uid: i for i, uid in enumerate(dict.fromkeys(table["_uid"]))}
    # one merge and one grouping for every series: linear in the rows, where a scan of the
    # whole frame per series was quadratic in the series (minutes with a few thousand)
    rows = forecasts.assign(_uid=forecasts["unique_id"].astype(str)).merge(
        table, on=["_uid", "model"], how="inner", sort=False
    )
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["_rank"] = rows["_uid"].map(order)
    rows = rows.sort_values("_rank", kind="stable")  # series in the order of ``members``
    by = [rows[k] for k in keys]
    grouped = rows.groupby(keys, sort=False)
    wsum = grouped["_w"].sum()
    out = pd.DataFrame(
        {
            col: (rows[col] * rows["_w"]).groupby(by, sort=False).sum() / wsum
            for col in ("yhat", "lo", "hi")
        }
    )
    if rule == "median":
        out["yhat"] = grouped["yhat"].median()
    elif rule == "trimmed":
        for col in ("yhat", "lo", "hi"):
            out[col] = grouped[col].agg(_trimmed_mean)
    bounds = rows[["lo", "hi"]].notna().all(axis=1).groupby(by).all()
    out.loc[~bounds.reindex(out.index).fillna(False).to_numpy(), ["lo", "hi"]] = np.nan
    out = out.reset_index()
    out["model"] = AUTO
    for col in columns:
        if col not in out:
            first = forecasts.drop_duplicates(keys).set_index(keys)[col]
            out[col] = first.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy()
    return out[columns]


def choose_alone(
    bt: pd.DataFrame,
    members: Mapping[str, list[tuple[str, float]]],
    name: str,
    margin: float,
    rule: str = "mean",
    windows: Iterable[int] | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """Per series, model ``name`` alone where its backtest error is clearly below that of the
    combination of ``members``; else ``members`` as they are.

    Parameters
    ----------
    bt : DataFrame
        Backtest forecasts ``window, cutoff, unique_id, ds, model, yhat, lo, hi, y``.
    members : mapping
        ``unique_id -> [(model, backtest error), ...]`` from :func:`choose_members`.
    name : str
        The model that may stand alone (``auto`` with drivers: ``arima``, whose regression with
        ARIMA errors estimates the drivers' effect and the errors together).
    margin : float
        ``name`` alone where its mean absolute error over ``windows`` is below ``1 - margin``
        times the combination's (the combination of ``members`` by ``rule`` over the same
        windows and steps).
    rule : str
        See :func:`combine`.
    windows : iterable of int, optional
        Windows to use (all when None).

    Returns
    -------
    dict
        ``unique_id -> [(model, backtest error), ...]``.
    """
    part = bt if windows is None else bt[bt["window"].isin(list(windows))]
    keys = ["window", "cutoff", "unique_id", "ds"]
    own = member_errors(part[part["model"] == name])
    own = dict(zip(own["unique_id"].astype(str), own["mae"], strict=True))
    combined = member_errors(combine(part, members, rule, keys=keys).assign(model=AUTO))
    combined = dict(zip(combined["unique_id"].astype(str), combined["mae"], strict=True))
    out = {}
    for uid, chosen in members.items():
        mine, theirs = own.get(uid, np.nan), combined.get(uid, np.nan)
        alone = np.isfinite(mine) and np.isfinite(theirs) and mine < (1 - margin) * theirs
        out[uid] = [(name, float(mine))] if alone else list(chosen)
    return out


def auto_backtest(
    bt: pd.DataFrame,
    candidates: Sequence[str],
    top_k: int,
    rule: str = "mean",
    alone: tuple[str, float] | None = None,
) -> pd.DataFrame:
    """The combination's own backtest, choosing members on earlier windows only.

    Parameters
    ----------
    bt : DataFrame
        Backtest forecasts of the candidates: ``window, cutoff, unique_id, ds, model, yhat, lo,
        hi, y``.
    candidates : sequence of str
        Models allowed as members.
    top_k : int
        Members per series.
    rule : str
        See :func:`combine`.
    alone : (str, float), optional
        ``(name, margin)`` of :func:`choose_alone`, decided on the earlier windows too.

    Returns
    -------
    DataFrame
        The same columns, ``model == "auto"``. Window 0 combines every candidate.
    """
    keys = ["window", "cutoff", "unique_id", "ds"]
    frames = []
    windows = sorted(bt["window"].unique())
    for w in windows:
        part = bt[(bt["window"] == w) & bt["model"].isin(list(candidates))]
        if part.empty:
            continue
        if w == windows[0]:
            scored = member_errors(part)
            members = {u: [(m, 1.0) for m in g["model"]] for u, g in scored.groupby("unique_id")}
            fc = combine(part, members, "mean" if rule == "inverse" else rule, keys=keys)
        else:
            earlier = [v for v in windows if v < w]
            members = choose_members(member_errors(bt, windows=earlier), top_k, candidates)
            if alone is not None:
                scored = bt[bt["model"].isin(list(candidates))]
                members = choose_alone(scored, members, *alone, rule=rule, windows=earlier)
            fc = combine(part, members, rule, keys=keys)
        frames.append(fc)
    if not frames:
        return pd.DataFrame(columns=bt.columns)
    out = pd.concat(frames, ignore_index=True)
    return out[list(bt.columns)]
