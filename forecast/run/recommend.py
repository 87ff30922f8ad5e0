"""Which forecast to use, and why, in words: the recommendation and the verdict of a run.

:func:`skill` is the leaderboard's ``skill`` column: ``1 - MASE / MASE of seasonal naive`` on the
same evaluation (0: no better than seasonal naive; negative: worse). :func:`recommend` picks the
overall model with the best score of the run's evaluation (or ``auto``);
:func:`forecast.run.story.tell` then writes, from the same numbers, the per-series answer and the
paragraph the Results page and the CLI lead with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["recommend", "skill"]


def skill(board: pd.DataFrame, reference_mase: float | None) -> pd.Series:
    """``1 - mase / reference_mase`` per leaderboard row (NaN without a reference).

    Parameters
    ----------
    board : DataFrame
        Leaderboard with a ``mase`` column.
    reference_mase : float, optional
        Mean MASE of seasonal naive on the same series and evaluation.
    """
    if reference_mase is None or not np.isfinite(reference_mase) or reference_mase <= 0:
        return pd.Series(np.nan, index=board.index)
    return 1.0 - board["mase"].astype(float) / float(reference_mase)


def recommend(
    board: pd.DataFrame,
    scores: pd.DataFrame | None,
    evaluation: str,
    prefer: str | None = None,
    prefer_detail: str | None = None,
) -> dict:
    """The model to use, with its reason, overall and per series.

    When ``prefer`` (``auto``) ran, it is recommended: on M3, always using the combination beat
    picking each series' backtest winner (a 3-origin backtest is too noisy to pick one model;
    ``benchmarks/studies/auto_rules/run.py``), so the backtest decides *within* it (members, weights,
    interval calibration), and the reason says when another model scored better. Otherwise the
    model with the best score of the run's evaluation is recommended.

    Parameters
    ----------
    board : DataFrame
        Ranked leaderboard (rank 1 first).
    scores : DataFrame, optional
        Per (model, series) scores behind the leaderboard (unused: kept for callers).
    evaluation : str
        How the leaderboard was scored (``"backtest of 3 windows"``, ``"holdout of 12"``,
        ``"none"``).
    prefer : str, optional
        The model to recommend when it succeeded (``auto`` when it ran).
    prefer_detail : str, optional
        What ``prefer`` is (e.g. its members), for the reason.

    Returns
    -------
    dict
        ``{"model", "reason"}``: the overall pick (``model`` None when no model succeeded).
        :func:`forecast.run.story.tell` adds the per-series answer.
    """
    ok = board[board["error"].isna()] if "error" in board else board
    ranked = ok.dropna(subset=["rank"]).sort_values("rank")
    if prefer is not None and prefer in set(ok["model"]):
        row = ok.set_index("model").loc[prefer]
        parts = [prefer_detail or "the combination of the best backtesting models"]
        if np.isfinite(row.get("mase", np.nan)):
            parts.append(
                f"MASE {row['mase']:.3f} in the {evaluation} (rank {int(row['rank'])} of "
                f"{len(ranked)})"
            )
            top = ranked.iloc[0]
            if str(top["model"]) != prefer:
                parts.append(
                    f"{top['model']} scored lower ({top['mase']:.3f}), but picking one model by "
                    "a few backtest origins was less accurate than the combination on M3"
                )
        else:
            parts.append("nothing could be scored, so the backtest could not weigh in")
        return {"model": prefer, "reason": "; ".join(parts)}
    if ranked.empty:
        model = None if ok.empty else str(ok["model"].iloc[0])
        reason = (
            "nothing could be scored (no backtest or holdout fitted the data); first model of "
            "the run"
            if model
            else "every model failed"
        )
        return {"model": model, "reason": reason}
    top = ranked.iloc[0]
    model = str(top["model"])
    parts = [f"lowest mean MASE ({top['mase']:.3f}) in the {evaluation}"]
    if len(ranked) > 1:
        second = ranked.iloc[1]
        parts.append(f"next best {second['model']} ({second['mase']:.3f})")
    return {"model": model, "reason": "; ".join(parts)}
