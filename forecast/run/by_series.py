"""The per-series table of a run (``leaderboard_by_series.csv``): one row per series.

Per series: the recommended model, its MASE (mean over backtest windows, or on the holdout) and
its skill against seasonal naive on the same series, its interval coverage, its residual
verdict, and the best single model by the same score. Worst series first (highest MASE).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.run.combination import AUTO

__all__ = ["BY_SERIES_COLUMNS", "series_table"]

#: Columns of ``leaderboard_by_series.csv`` (the key columns and ``level`` follow when the data
#: has keys).
BY_SERIES_COLUMNS = [
    "unique_id",
    "model",
    "mase",
    "skill",
    "coverage",
    "residuals_white",
    "residual_verdict",
    "best_model",
    "best_mase",
    "evaluation",
]


def series_table(
    scores: pd.DataFrame | None,
    recommended: Mapping,
    checks: Mapping[str, dict],
    uids: list[str],
    evaluation: str = "none",
) -> pd.DataFrame:
    """One row per series: recommended model, its scores, verdict, and the best single model.

    Parameters
    ----------
    scores : DataFrame or None
        Per (model, series) scores of the run's evaluation, per window for a backtest
        (``model, unique_id, mase, coverage``; seasonal naive included as the reference).
    recommended : mapping
        ``{"model", "per_series"}`` of :func:`forecast.run.recommend.recommend`.
    checks : mapping
        Model -> residual summary with ``series`` (uid -> ``white``, ``verdict``).
    uids : list of str
        Every series of the run, in order.
    evaluation : str
        How the scores were made (``"backtest of 3 windows"``).

    Returns
    -------
    DataFrame
        :data:`BY_SERIES_COLUMNS`, sorted by ``mase`` descending (worst first; unscored
        series last). ``skill`` is ``1 - mase / mase of seasonal naive`` on the series.
    """
    overall = recommended.get("model")
    per_series = dict(recommended.get("per_series") or {})
    means = None
    if scores is not None and not scores.empty:
        means = (
            scores.assign(unique_id=scores["unique_id"].astype(str))
            .groupby(["unique_id", "model"])[["mase", "coverage"]]
            .mean()
        )
    rows = []
    for uid in uids:
        model = per_series.get(uid, overall)
        row = {"unique_id": uid, "model": model, "evaluation": evaluation}
        mase = coverage = ref = best_mase = np.nan
        best = None
        if means is not None and uid in means.index.get_level_values(0):
            part = means.loc[uid]
            if model in part.index:
                mase = float(part.loc[model, "mase"])
                coverage = float(part.loc[model, "coverage"])
            if "snaive" in part.index:
                ref = float(part.loc["snaive", "mase"])
            singles = part.drop(index=[AUTO], errors="ignore")["mase"].dropna()
            if model is not None:
                singles = singles[singles.index.isin(_run_models(checks, scores, model))]
            if not singles.empty:
                best, best_mase = str(singles.idxmin()), float(singles.min())
        check = (checks.get(model) or {}).get("series", {}).get(uid, {}) if model else {}
        row.update(
            mase=mase,
            skill=1.0 - mase / ref if np.isfinite(ref) and ref > 0 else np.nan,
            coverage=coverage,
            residuals_white=check.get("white"),
            residual_verdict=check.get("verdict"),
            best_model=best,
            best_mase=best_mase,
        )
        rows.append(row)
    table = pd.DataFrame(rows, columns=BY_SERIES_COLUMNS)
    return table.sort_values(
        "mase", ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)


def _run_models(checks: Mapping, scores: pd.DataFrame, model: str) -> set:
    """Models of the run a series may name as its best: those scored, seasonal naive kept only
    when it ran as a model (it has a residual check then)."""
    names = set(scores["model"].unique())
    if "snaive" not in checks:
        names.discard("snaive")
    return names
