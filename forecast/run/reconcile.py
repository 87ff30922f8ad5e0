"""Coherent forecasts: every level's forecasts reconciled so each total is the sum of its parts.

A step after forecasting, never a model: base forecasts of every series of a
:class:`forecast.run.hierarchy.Hierarchy` go through :mod:`hierarchicalforecast`
(``BottomUp``; ``TopDown`` by forecast proportions; ``MinTrace(method="ols")``, the
least-squares projection onto coherent forecasts; ``MinTrace`` weighted by structure or by
in-sample error variances; ``MinTrace(method="mint_shrink")``: the trace-minimising combination
with the Schäfer–Strimmer shrunk covariance of the in-sample one-step errors, or of the
backtest's ``h``-step errors when handed those instead), with its ``normality`` intervals (the
base intervals read as Gaussian, their variances carried through the reconciliation).
``combination`` is the mean of the :data:`COMBINATION` members' reconciled forecasts: a mean of
coherent forecasts is coherent.

Choosing the method by backtest, and the run's step: :mod:`forecast.run.reconcile_auto`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError

__all__ = [
    "COMBINATION",
    "METHODS",
    "check_method",
    "coherence_error",
    "combination_members",
    "combine_reconciled",
    "has_rows",
    "insample_frame",
    "reconcile_backtest",
    "reconcile_forecasts",
]

#: Reconciliation methods a run may name (``auto``: chosen by backtest): BottomUp; TopDown by
#: forecast proportions (``top_down``: the total as forecast, split down the levels in the
#: proportions of the base forecasts; levels that nest only); MinTrace with identity weights
#: (``ols``: every series adjusted by amounts of the same size), weighted by the number of
#: bottom series a series sums (``wls_struct``) or by the variance of its in-sample errors
#: (``wls_var``); MinTrace with the shrunk covariance of the in-sample one-step errors
#: (``mint_shrink``) or of the backtest's ``h``-step errors (``mint_backtest``); and
#: ``combination``: the mean of the :data:`COMBINATION` members' reconciled forecasts
#: (coherent, as a mean of coherent forecasts).
METHODS = (
    "bottom_up",
    "top_down",
    "ols",
    "wls_struct",
    "wls_var",
    "mint_shrink",
    "mint_backtest",
    "combination",
)
#: The methods whose reconciled forecasts ``combination`` averages (each weighing the same):
#: ``top_down`` (keeps the total as forecast: best where the total is forecast better than the
#: sum of its parts, as on visnights) and ``mint_shrink`` (trusts the series with the smaller
#: in-sample errors: best on the simulated hierarchies). Where the levels do not nest,
#: ``ols`` takes ``top_down``'s place. Chosen by measurement (``benchmarks/README.md``): of the
#: means of two and three methods tried, the only one at or below both the base forecasts and
#: BottomUp on visnights and the simulations with ETS, and below the base on visnights with
#: ARIMA and ``auto`` too.
COMBINATION = ("top_down", "mint_shrink")
#: Methods that need the in-sample fitted values of every series.
NEEDS_INSAMPLE = frozenset({"wls_var", "mint_shrink"})
#: Methods that need the model's backtest errors of every series.
NEEDS_BACKTEST = frozenset({"mint_backtest"})
#: Most series MinTrace reconciles: its covariance is dense (n x n), so above this a run uses
#: ``bottom_up`` (said in the evidence).
MINT_MAX_SERIES = 2_000
_BASE = "base"


def check_method(method: str) -> str:
    """``auto``, ``none`` or one of :data:`METHODS`, lower-cased.

    Raises
    ------
    SpecError
        Any other value.
    """
    value = str(method).strip().lower().replace("-", "_")
    if value not in ("auto", "none", *METHODS):
        raise SpecError(
            f"Unknown reconciliation method '{method}'; use auto (chosen by backtest), "
            f"{', '.join(METHODS)} or none."
        )
    return value


def _reconciler(method: str):
    from hierarchicalforecast.methods import BottomUp, MinTrace, TopDown

    if method == "bottom_up":
        return BottomUp()
    if method == "top_down":
        return TopDown(method="forecast_proportions")
    if method == "mint_backtest":  # the shrunk covariance, of the errors it is handed
        return MinTrace(method="mint_shrink")
    return MinTrace(method=method)  # mint_shrink, or another MinTrace weighting (ols, wls_*)


def is_tree(S: pd.DataFrame, tags: Mapping[str, np.ndarray]) -> bool:
    """Whether the levels of ``tags`` form a tree that ``top_down`` can split: the first level
    is one series summing every bottom series, and every series of each later level lies within
    exactly one series of the level above (``state`` inside ``total``, ``state/region`` inside
    ``state``; not a grouped hierarchy, where ``gender`` crosses ``state``).

    Parameters
    ----------
    S : DataFrame
        Summing matrix (:attr:`forecast.run.hierarchy.Hierarchy.S`).
    tags : mapping
        Level -> series, coarsest first, the bottom level last.
    """
    rows = S.drop(columns="unique_id").to_numpy(dtype=float)
    index = {u: i for i, u in enumerate(S["unique_id"].astype(str))}
    levels = [np.asarray([index[str(u)] for u in ids], dtype=int) for ids in tags.values()]
    if len(levels) < 2 or len(levels[0]) != 1 or not np.all(rows[levels[0][0]] == 1):
        return False
    owners = []  # per level: which of its series sums each bottom series
    for level in levels:
        part = rows[level]
        if not np.all(part.sum(axis=0) == 1):  # a partition of the bottom series
            return False
        owners.append(part.argmax(axis=0))
    for upper, lower in itertools.pairwise(owners):
        pairs = np.unique(np.stack([lower, upper]), axis=1)
        if pairs.shape[1] != len(np.unique(lower)):  # a series inside two of the level above
            return False
    return True


def _level_name(level: float) -> str:
    return f"{level:g}"


def reconcile_forecasts(
    fc: pd.DataFrame,
    S: pd.DataFrame,
    tags: Mapping[str, np.ndarray],
    method: str,
    level: float,
    insample: pd.DataFrame | None = None,
    backtest: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reconcile one model's forecasts of every series of a hierarchy.

    Parameters
    ----------
    fc : DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` of one model, every series of ``S`` at the same
        timestamps.
    S : DataFrame
        Summing matrix (:attr:`forecast.run.hierarchy.Hierarchy.S`).
    tags : mapping
        Level -> series (:attr:`forecast.run.hierarchy.Hierarchy.tags`).
    method : str
        One of :data:`METHODS`.
    level : float
        Interval level of ``lo, hi`` in percent.
    insample : DataFrame, optional
        ``unique_id, ds, y, fitted`` (in-sample one-step fitted values); needed by
        ``wls_var`` and ``mint_shrink``.
    backtest : DataFrame, optional
        The model's backtest forecasts beside the actuals (``window, unique_id, ds, yhat, y``:
        every series, the ``h``-step errors of each window); needed by ``mint_backtest``.

    Returns
    -------
    DataFrame
        ``fc``'s columns, ``yhat`` coherent; ``lo, hi`` the reconciled normal intervals (NaN
        where the base had no intervals; with ``top_down`` the base intervals moved with their
        forecast, as the package gives ``top_down`` no normal intervals).

    Raises
    ------
    DataError
        A series of the hierarchy missing from ``fc``, timestamps that differ by series, a
        method without what it needs (``insample``, ``backtest``), or ``top_down`` on levels
        that do not nest (:func:`is_tree`).
    """
    if method == "combination":
        members = combination_members(S, tags, backtest=has_rows(backtest))
        return combine_reconciled(
            [reconcile_forecasts(fc, S, tags, m, level, insample, backtest) for m in members]
        )
    if method == "top_down" and not is_tree(S, tags):
        raise DataError(
            "top_down splits the total down levels that nest (a total, then each series within "
            "one series of the level above); these levels cross (a grouped hierarchy): use "
            "ols, mint_shrink or the combination."
        )
    from hierarchicalforecast.core import HierarchicalReconciliation

    ids = S["unique_id"].astype(str).tolist()
    fc = fc.copy()
    fc["unique_id"] = fc["unique_id"].astype(str)
    missing = sorted(set(ids) - set(fc["unique_id"]))
    if missing:
        raise DataError(
            f"Cannot reconcile: no forecast for series {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}; every level needs a forecast."
        )
    counts = fc.groupby("unique_id").size()
    if counts.nunique() != 1:
        raise DataError("Cannot reconcile: the series have forecasts at different timestamps.")
    lv = _level_name(level)
    with_intervals = bool(fc["lo"].notna().all() and fc["hi"].notna().all())
    y_hat = fc.rename(columns={"yhat": _BASE})[["unique_id", "ds", _BASE]]
    if with_intervals:
        y_hat[f"{_BASE}-lo-{lv}"] = fc["lo"].to_numpy(dtype=float)
        y_hat[f"{_BASE}-hi-{lv}"] = fc["hi"].to_numpy(dtype=float)
    y_df = None
    if method in NEEDS_INSAMPLE:
        if insample is None:
            raise DataError(f"{method} needs the in-sample fitted values of every series.")
        y_df = insample.rename(columns={"fitted": _BASE})[["unique_id", "ds", "y", _BASE]].copy()
        y_df["unique_id"] = y_df["unique_id"].astype(str)
    elif method in NEEDS_BACKTEST:
        y_df = backtest_errors(backtest, ids)
    normal = with_intervals and method != "top_down"
    rec = HierarchicalReconciliation([_reconciler(method)])
    out = rec.reconcile(
        Y_hat_df=y_hat,
        S_df=S,
        tags={k: np.asarray(v) for k, v in tags.items()},
        Y_df=y_df,
        level=[float(lv)] if normal else None,
        intervals_method="normality",
    )
    new = [c for c in out.columns if c not in y_hat.columns]
    name = next(c for c in new if "-lo-" not in c and "-hi-" not in c)
    result = fc.drop(columns=["yhat", "lo", "hi"]).merge(
        out[["unique_id", "ds", name]].rename(columns={name: "yhat"}),
        on=["unique_id", "ds"],
        how="left",
    )
    if normal:
        lo = next(c for c in new if c.startswith(f"{name}-lo-"))
        hi = next(c for c in new if c.startswith(f"{name}-hi-"))
        bounds = out[["unique_id", "ds", lo, hi]].rename(columns={lo: "lo", hi: "hi"})
        result = result.merge(bounds, on=["unique_id", "ds"], how="left")
    elif with_intervals:  # top_down: the base interval moved with its forecast
        shift = result["yhat"].to_numpy() - fc["yhat"].to_numpy()
        result["lo"] = fc["lo"].to_numpy(dtype=float) + shift
        result["hi"] = fc["hi"].to_numpy(dtype=float) + shift
    else:
        result["lo"] = np.nan
        result["hi"] = np.nan
    return result[list(fc.columns)]


def combination_members(
    S: pd.DataFrame, tags: Mapping[str, np.ndarray] | None = None, backtest: bool = True
) -> tuple[str, ...]:
    """The members ``combination`` averages for one hierarchy: :data:`COMBINATION`, with
    ``ols`` in place of ``top_down`` where the levels do not nest (:func:`is_tree`; ``tags``
    None: kept), ``mint_shrink`` in place of ``mint_backtest`` without a backtest, and less the
    MinTrace covariance methods above :data:`MINT_MAX_SERIES` series (``ols`` when none is
    left).

    Parameters
    ----------
    S : DataFrame
        Summing matrix.
    tags : mapping, optional
        Level -> series.
    backtest : bool
        Whether the model has backtest forecasts of every series.
    """
    members = list(COMBINATION)
    if tags is not None and not is_tree(S, tags):
        members = ["ols" if m == "top_down" else m for m in members]
    if not backtest:
        members = ["mint_shrink" if m in NEEDS_BACKTEST else m for m in members]
    if len(S) > MINT_MAX_SERIES:
        members = [m for m in members if m not in NEEDS_INSAMPLE | NEEDS_BACKTEST]
    members = list(dict.fromkeys(members)) or ["ols"]
    return tuple(members)


def has_rows(frame: pd.DataFrame | None) -> bool:
    return frame is not None and not frame.empty


def backtest_errors(bt: pd.DataFrame | None, ids: Sequence[str]) -> pd.DataFrame:
    """A model's backtest errors as the in-sample frame :mod:`hierarchicalforecast` estimates
    MinTrace's covariance from: ``unique_id, ds, y, base`` (``base`` the backtest forecast),
    one row per window and step.

    Windows that overlap (a step shorter than the horizon) would repeat a timestamp, so the
    rows are numbered window by window instead of dated (the package only pairs them up).

    Parameters
    ----------
    bt : DataFrame
        ``window, unique_id, ds, yhat, y`` of one model (``window`` optional).
    ids : sequence of str
        Every series of the hierarchy.

    Raises
    ------
    DataError
        No backtest, or a series of the hierarchy without backtest errors.
    """
    if not has_rows(bt):
        raise DataError("mint_backtest needs the model's backtest forecasts; run a backtest.")
    frame = bt.copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    frame = frame[frame["unique_id"].isin(set(ids)) & frame["y"].notna() & frame["yhat"].notna()]
    missing = sorted(set(ids) - set(frame["unique_id"]))
    if missing:
        raise DataError(
            f"mint_backtest: no backtest errors for series {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}."
        )
    order = [c for c in ("window", "ds") if c in frame.columns]
    frame = frame.sort_values(["unique_id", *order], kind="stable")
    step = frame.groupby("unique_id").cumcount()
    frame["ds"] = pd.Timestamp("2000-01-01") + pd.to_timedelta(step.to_numpy(), unit="D")
    return frame.rename(columns={"yhat": _BASE})[["unique_id", "ds", "y", _BASE]]


def combine_reconciled(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The mean of several reconciled forecasts of the same series and timestamps.

    A mean of coherent forecasts is coherent (every aggregate the sum of its parts in each
    member, so in their mean); ``lo, hi`` are the means of the members' bounds.

    Parameters
    ----------
    frames : sequence of DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` each (and ``window`` for backtest frames), the
        same rows (one per series and step, and window).

    Returns
    -------
    DataFrame
        The first frame's rows and columns, ``yhat, lo, hi`` the means over ``frames``.
    """
    if not frames:
        raise DataError("Cannot combine reconciled forecasts: none were made.")
    first = frames[0]
    index = [c for c in ("window", "unique_id", "ds") if c in first.columns]
    numbers = ["yhat", "lo", "hi"]
    aligned = [f.set_index(index)[numbers] for f in frames]
    mean = sum(aligned[1:], aligned[0]) / len(aligned)
    out = first.drop(columns=numbers).merge(mean.reset_index(), on=index, how="left")
    return out[list(first.columns)]


def reconcile_backtest(
    bt: pd.DataFrame,
    S: pd.DataFrame,
    tags: Mapping[str, np.ndarray],
    method: str,
    level: float,
    insample: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`reconcile_forecasts` window by window of one model's backtest frame.

    The ``wls_var`` and ``mint_shrink`` covariance of window ``w`` uses only the in-sample rows
    before the window's first forecast timestamp; the ``mint_backtest`` covariance of window
    ``w`` uses the errors of the other windows (a cross-validation: a window's own errors never
    weigh its reconciliation; with one window, the in-sample ``mint_shrink`` instead).
    """
    if method == "combination":
        members = combination_members(S, tags, backtest=has_rows(bt))
        return combine_reconciled(
            [reconcile_backtest(bt, S, tags, m, level, insample) for m in members]
        )
    out = []
    for w, part in bt.groupby("window", sort=True):
        first = part["ds"].min()
        before = None if insample is None else insample[insample["ds"] < first]
        cols = ["unique_id", "ds", "model", "yhat", "lo", "hi"]
        others = bt[bt["window"] != w]
        how = "mint_shrink" if method in NEEDS_BACKTEST and others.empty else method
        rec = reconcile_forecasts(part[cols], S, tags, how, level, before, others)
        keep = part.drop(columns=["yhat", "lo", "hi"])
        keep["unique_id"] = keep["unique_id"].astype(str)
        out.append(keep.merge(rec[["unique_id", "ds", "yhat", "lo", "hi"]], on=["unique_id", "ds"]))
    return pd.concat(out, ignore_index=True)[list(bt.columns)]


def coherence_error(fc: pd.DataFrame, S: pd.DataFrame) -> float:
    """Largest ``|aggregate − sum of its bottom series|`` over every series and timestamp
    (0 for coherent forecasts), in the data's units.

    Parameters
    ----------
    fc : DataFrame
        ``unique_id, ds, yhat`` of one model (one window) for every series of ``S``.
    S : DataFrame
        Summing matrix.
    """
    wide = fc.pivot_table(index="ds", columns="unique_id", values="yhat", aggfunc="first")
    ids = S["unique_id"].astype(str).tolist()
    bottom = [c for c in S.columns if c != "unique_id"]
    wide.columns = wide.columns.astype(str)
    matrix = S.set_index(S["unique_id"].astype(str))[bottom].to_numpy(dtype=float)
    implied = wide[bottom].to_numpy(dtype=float) @ matrix.T
    return float(np.nanmax(np.abs(implied - wide[ids].to_numpy(dtype=float))))


def insample_frame(history: pd.DataFrame, resid: pd.DataFrame | None) -> pd.DataFrame | None:
    """``unique_id, ds, y, fitted`` from a model's in-sample residuals (None without)."""
    if resid is None or resid.empty:
        return None
    frame = history[["unique_id", "ds", "y"]].copy()
    frame["unique_id"] = frame["unique_id"].astype(str)
    r = resid[["unique_id", "ds", "resid"]].copy()
    r["unique_id"] = r["unique_id"].astype(str)
    frame = frame.merge(r, on=["unique_id", "ds"], how="left")
    frame["fitted"] = frame["y"] - frame["resid"]
    return frame.drop(columns="resid")
