"""Choosing a reconciliation by backtest, and the run's reconciliation step.

:func:`choose_method` (``--reconcile auto``, the default) keeps the combination unless one
method's backtest MASE over levels (the mean over levels of each level's mean MASE) is lower
than the combination's by more than :data:`AUTO_MARGIN`: measured on visnights and simulated
hierarchies (``benchmarks/hierarchy.py``), backtest differences of a few percent between
methods did not predict which was better on the test (on visnights the backtest preferred
BottomUp, the worst method on the test), while the combination was never far from the best.

:func:`reconcile_step` applies the chosen method to every model's future and backtest forecasts
of a run, falling back (``combination`` → ``ols`` → ``bottom_up``) where a method cannot run,
and records the evidence the Results page and ``run.json`` show. The methods themselves live in
:mod:`forecast.run.reconcile`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.run.reconcile import (
    MINT_MAX_SERIES,
    NEEDS_BACKTEST,
    NEEDS_INSAMPLE,
    check_method,
    coherence_error,
    combination_members,
    combine_reconciled,
    has_rows,
    insample_frame,
    reconcile_backtest,
    reconcile_forecasts,
)

__all__ = [
    "AUTO_CANDIDATES",
    "AUTO_MARGIN",
    "DEFAULT_METHOD",
    "choose_method",
    "level_mase",
    "reconcile_step",
]

#: Methods ``auto`` scores on the backtest (``mint_backtest`` is not: a window's covariance
#: from the other two windows' errors scored it poorly on the backtest of the simulations, where
#: its test forecasts were the best).
AUTO_CANDIDATES = ("bottom_up", "top_down", "ols", "mint_shrink", "combination")
#: How much lower (relative) a method's backtest MASE over levels must be than the
#: combination's for ``auto`` to choose it instead: on visnights BottomUp's backtest was 5.3 %
#: below the combination's at one origin while its test MASE was 10 % above it (at a 5 % margin
#: that switch alone lost the goal there); no backtest gap above 10 % was measured on visnights
#: or the simulations.
AUTO_MARGIN = 0.10
#: The method used when no backtest can choose: the combination, for the same reason.
DEFAULT_METHOD = "combination"


def level_mase(scores: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Mean MASE per (model, level) of per-series scores, and the mean over levels.

    Parameters
    ----------
    scores : DataFrame
        ``model, unique_id, mase`` (one row per series, or per window and series).
    keys : DataFrame
        ``unique_id, level`` of every series.

    Returns
    -------
    DataFrame
        Index: model; one column per level (coarsest first, as in ``keys``) and ``mean``
        (the mean over levels, each level weighing the same).
    """
    level_of = keys.assign(unique_id=keys["unique_id"].astype(str)).set_index("unique_id")["level"]
    frame = scores.assign(level=scores["unique_id"].astype(str).map(level_of))
    per_series = frame.groupby(["model", "level", "unique_id"])["mase"].mean().reset_index()
    table = per_series.groupby(["model", "level"])["mase"].mean().unstack("level")
    order = [lv for lv in pd.unique(keys["level"]) if lv in table.columns]
    table = table[order]
    table["mean"] = table.mean(axis=1)
    return table


def choose_method(table: Mapping[str, float], margin: float = AUTO_MARGIN) -> str:
    """``auto``'s method from backtest MASE over levels: the combination, unless another method
    is lower than the combination's by more than ``margin`` (relative).

    Parameters
    ----------
    table : mapping of str to float
        Method (and ``base``) -> backtest MASE over levels; NaN for a method that failed.
    margin : float
        Relative margin, e.g. 0.05.

    Returns
    -------
    str
        A method of ``table`` (never ``base``); the lowest when the combination did not run.

    Raises
    ------
    DataError
        No method has a finite score.

    Examples
    --------
    >>> choose_method({"base": 1.0, "ols": 0.97, "combination": 0.99})
    'combination'
    >>> choose_method({"base": 1.0, "ols": 0.85, "combination": 0.99})
    'ols'
    """
    scored = {k: v for k, v in table.items() if k != "base" and np.isfinite(v)}
    if not scored:
        raise DataError("No reconciliation method could be scored on the backtest.")
    best = min(scored, key=scored.get)
    mixed = scored.get("combination")
    if mixed is None or scored[best] < mixed * (1 - margin):
        return best
    return "combination"


def reconcile_step(run, hierarchy, method: str = "auto") -> dict:
    """The reconciliation step of a run: every model's future (and backtest) forecasts made
    coherent, the method per model chosen by :func:`choose_method` when ``method`` is ``auto``.

    Parameters
    ----------
    run : forecast.run.steps.Run
        After the refit and combine steps (``run.future``, ``run.bt``, ``run.residuals``).
    hierarchy : forecast.run.hierarchy.Hierarchy
    method : str
        ``auto``, ``none`` or one of :data:`METHODS`.

    Returns
    -------
    dict
        JSON-ready evidence: ``levels``, ``method`` (asked), ``chosen`` (model -> method),
        ``backtest_mase`` (model -> {``base``, methods...}: mean over levels of each level's
        backtest MASE), ``coherence`` (model -> largest |total − sum of parts| of the future),
        ``failed`` (model -> why it kept its base forecasts), ``fallback`` (model -> why the
        method asked could not run, when another one reconciled it; only then),
        ``combination`` (its members) and ``margin`` (:data:`AUTO_MARGIN`, with ``auto``).
    """
    from forecast.run.backtest import window_scores

    method = check_method(method)
    evidence: dict = {
        "levels": list(hierarchy.tags),
        "method": method,
        "chosen": {},
        "backtest_mase": {},
        "coherence": {},
        "failed": {},
    }
    if method == "none":
        return evidence
    S, tags, level = hierarchy.S, hierarchy.tags, run.level
    evidence["combination"] = list(combination_members(S, tags))
    if method == "auto":
        evidence["margin"] = AUTO_MARGIN
    fallbacks = ("combination", "ols", "bottom_up")
    dense = NEEDS_INSAMPLE | NEEDS_BACKTEST
    candidates = AUTO_CANDIDATES
    if len(S) > MINT_MAX_SERIES:
        candidates = tuple(m for m in AUTO_CANDIDATES if m not in dense)
        if method in dense:
            method = "bottom_up"
        evidence["note"] = (
            f"{len(S):,} series: MinTrace's dense covariance is too large above "
            f"{MINT_MAX_SERIES:,}, so the covariance methods are left out (the combination is "
            f"{' + '.join(combination_members(S, tags))})"
        )
    for name in list(run.future):
        insample = insample_frame(run.history, run.residuals.get(name))
        bt = run.bt.get(name)
        tried: dict[str, pd.DataFrame] = {}
        chosen = DEFAULT_METHOD if method == "auto" else method
        if method == "auto" and has_rows(bt):
            table = {}
            base = window_scores(bt, run.history, m=run.m)
            table["base"] = float(level_mase(base, hierarchy.keys)["mean"].iloc[0])
            for candidate in candidates:
                try:
                    members = combination_members(S, tags, backtest=True)
                    if candidate == "combination" and all(m in tried for m in members):
                        rec = combine_reconciled([tried[m] for m in members])
                    else:
                        rec = reconcile_backtest(bt, S, tags, candidate, level, insample)
                except Exception:  # a method that cannot run here is not chosen
                    continue
                tried[candidate] = rec
                scores = window_scores(rec, run.history, m=run.m)
                table[candidate] = float(level_mase(scores, hierarchy.keys)["mean"].iloc[0])
            evidence["backtest_mase"][name] = table
            if any(k != "base" and np.isfinite(v) for k, v in table.items()):
                chosen = choose_method(table)
        order = [chosen, *(m for m in fallbacks if m != chosen)]
        for candidate in order:
            try:
                future = reconcile_forecasts(
                    run.future[name], S, tags, candidate, level, insample, bt
                )
            except Exception as exc:
                evidence["failed"][name] = f"{candidate}: {exc}"
                continue
            run.future[name] = future
            evidence["chosen"][name] = candidate
            evidence["coherence"][name] = coherence_error(future, S)
            missed = evidence["failed"].pop(name, None)
            if missed:  # the method asked could not run here: say so beside the one used
                evidence.setdefault("fallback", {})[name] = missed
            if has_rows(bt):
                try:
                    rec = tried.get(candidate)
                    if rec is None:
                        rec = reconcile_backtest(bt, S, tags, candidate, level, insample)
                    run.bt[name] = rec
                except Exception as exc:  # the future is coherent; its backtest stays base
                    evidence["failed"][name] = f"backtest kept unreconciled ({exc})"
            break
        row = run.rows.get(name)
        if row is not None:
            if name in evidence["chosen"]:
                how = f"reconciled across levels by {evidence['chosen'][name]}"
                missed = evidence.get("fallback", {}).get(name)
                if missed:
                    how += f" (not {missed})"
                table = evidence["backtest_mase"].get(name)
                if table:
                    how += (
                        " (backtest MASE over levels "
                        + ", ".join(f"{k} {v:.3f}" for k, v in table.items())
                        + ")"
                    )
            else:
                how = f"not reconciled ({evidence['failed'].get(name)})"
            row["detail"] = "; ".join(filter(None, [row.get("detail"), how]))
    return evidence
