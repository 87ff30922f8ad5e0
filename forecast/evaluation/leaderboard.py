"""The leaderboard: one row per model — accuracy, interval coverage, residual verdict, fit time, rank."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "JSON_KEYS",
    "LABELS",
    "LEADERBOARD_COLUMNS",
    "RUN_COLUMNS",
    "SHOWN_COLUMNS",
    "leaderboard",
]

#: Contract columns, in order (extra columns follow them).
LEADERBOARD_COLUMNS = [
    "model",
    "mae",
    "rmse",
    "smape",
    "mase",
    "coverage",
    "ljung_box_pvalue",
    "residuals_white",
    "residual_verdict",
    "fit_seconds",
    "rank",
    "error",
]
_EXTRA = ["width", "evaluation", "detail"]
#: Columns the run adds after ranking (:func:`forecast.run.steps.score_step`): skill against
#: seasonal naive, the nominal interval level, the calibration's interval scale and the coverage
#: its intervals reached on the backtest windows held out of their calibration.
RUN_COLUMNS = ["skill", "level", "interval_scale", "heldout_coverage"]
#: The leaderboard's keys in ``forecast run --json``, in order (a public contract): the contract
#: columns with ``residual_verdict`` after ``rank`` (as first published), then ``error``,
#: ``detail`` and the run's columns.
JSON_KEYS = [
    *LEADERBOARD_COLUMNS[: LEADERBOARD_COLUMNS.index("residual_verdict")],
    *LEADERBOARD_COLUMNS[LEADERBOARD_COLUMNS.index("residual_verdict") + 1 : -1],
    "residual_verdict",
    "error",
    "detail",
    *RUN_COLUMNS,
]
#: Every column's name for people (tables of the dashboard and the CLI).
LABELS = {
    "rank": "rank",
    "model": "model",
    "mae": "MAE",
    "rmse": "RMSE",
    "smape": "sMAPE",
    "mase": "MASE",
    "skill": "skill vs snaive",
    "coverage": "interval coverage",
    "level": "nominal level",
    "ljung_box_pvalue": "Ljung-Box p",
    "residuals_white": "white",
    "residual_verdict": "residual verdict",
    "fit_seconds": "fit s",
    "error": "error",
    "width": "interval width",
    "evaluation": "scored on",
    "detail": "detail",
    "interval_scale": "interval scale",
    "heldout_coverage": "rescaled, on held-out windows",
}
#: The columns a table for people shows, in order (the Results page, ``forecast jobs show``).
SHOWN_COLUMNS = [
    "rank",
    "model",
    "mae",
    "rmse",
    "smape",
    "mase",
    "skill",
    "coverage",
    "heldout_coverage",
    "level",
    "ljung_box_pvalue",
    "residual_verdict",
    "fit_seconds",
    "error",
]


def leaderboard(rows: list[dict], scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Assemble and rank the leaderboard.

    Parameters
    ----------
    rows : list of dict
        One per model with at least ``model``; optional keys ``ljung_box_pvalue``,
        ``residuals_white``, ``residual_verdict``, ``fit_seconds``, ``error``, ``evaluation``,
        ``detail``.
    scores : DataFrame, optional
        Per (model, series) metrics from :func:`forecast.evaluation.metrics.score_frame`; each model's
        metric is the mean over its series (the M3 convention).

    Returns
    -------
    DataFrame
        :data:`LEADERBOARD_COLUMNS` then ``width, evaluation, detail``, sorted by rank. Rank 1
        is the lowest MASE (ties and series without a MASE scale fall back to sMAPE); models
        that failed or were not scored get no rank (NaN) and sort last.
    """
    board = pd.DataFrame(rows)
    if board.empty:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS + _EXTRA)
    metric_cols = ["mae", "rmse", "smape", "mase", "coverage", "width"]
    if scores is not None and not scores.empty:
        means = scores.groupby("model", sort=False)[metric_cols].mean().reset_index()
        board = board.drop(columns=[c for c in metric_cols if c in board], errors="ignore")
        board = board.merge(means, on="model", how="left")
    for col in LEADERBOARD_COLUMNS + _EXTRA:
        if col not in board:
            board[col] = np.nan if col not in {"error", "residual_verdict", "detail"} else None
    has_error = board["error"].notna() & (board["error"].astype(str) != "")
    key_mase = board["mase"].where(~has_error)
    key_smape = board["smape"].where(~has_error)
    scored = key_mase.notna() | key_smape.notna()
    keys = list(zip(key_mase.fillna(np.inf), key_smape.fillna(np.inf), strict=True))
    board["rank"] = [
        float(1 + sum(other < key for other in keys)) if ok else np.nan
        for key, ok in zip(keys, scored, strict=True)
    ]
    board = board.assign(_k=board["rank"].fillna(np.inf)).sort_values("_k", kind="stable")
    board = board.drop(columns="_k").reset_index(drop=True)
    return board[LEADERBOARD_COLUMNS + _EXTRA]
