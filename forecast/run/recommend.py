"""Which forecast to use, and why, in words: the recommendation and the verdict of a run.

:func:`skill` is the leaderboard's ``skill`` column: ``1 - MASE / MASE of seasonal naive`` on the
same evaluation (0: no better than seasonal naive; negative: worse). :func:`recommend` picks the
model with the best score of the run's evaluation (per series too, where series differ), and
:func:`verdict` writes the paragraph the Results page and the CLI lead with: which model, how much
better than seasonal naive, whether its residuals look white, how its intervals covered, and
which models lost to seasonal naive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["recommend", "skill", "verdict"]


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


def _best(scores: pd.DataFrame) -> str | None:
    means = scores.groupby("model")["mase"].mean().dropna()
    if means.empty:
        means = scores.groupby("model")["smape"].mean().dropna()
    return None if means.empty else str(means.idxmin())


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
        Per (model, series) scores behind the leaderboard (``model, unique_id, mase, smape``).
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
        ``{"model", "reason", "per_series"}``; ``per_series`` maps series to model only where a
        series' best model differs from the overall one (empty when ``prefer`` is recommended:
        it is chosen per series already). ``model`` is None when no model succeeded.
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
        return {"model": prefer, "reason": "; ".join(parts), "per_series": {}}
    if ranked.empty:
        model = None if ok.empty else str(ok["model"].iloc[0])
        reason = (
            "nothing could be scored (no backtest or holdout fitted the data); first model of "
            "the run"
            if model
            else "every model failed"
        )
        return {"model": model, "reason": reason, "per_series": {}}
    top = ranked.iloc[0]
    model = str(top["model"])
    parts = [f"lowest mean MASE ({top['mase']:.3f}) in the {evaluation}"]
    if len(ranked) > 1:
        second = ranked.iloc[1]
        parts.append(f"next best {second['model']} ({second['mase']:.3f})")
    per_series: dict[str, str] = {}
    if scores is not None and not scores.empty and scores["unique_id"].nunique() > 1:
        good = scores[scores["model"].isin(set(ranked["model"]))]
        for uid, part in good.groupby("unique_id", sort=False):
            best = _best(part)
            if best is not None and best != model:
                per_series[str(uid)] = best
    return {"model": model, "reason": "; ".join(parts), "per_series": per_series}


def verdict(
    board: pd.DataFrame,
    recommended: dict,
    *,
    level: float,
    evaluation: str,
    checks: dict,
    default_models: frozenset[str] = frozenset(),
    notes: list[str] | None = None,
) -> str:
    """One paragraph for people: which model, how good, how trustworthy.

    Parameters
    ----------
    board : DataFrame
        The leaderboard (with ``skill``, ``coverage``, ``interval_scale`` when a backtest ran).
    recommended : dict
        From :func:`recommend`.
    level : float
        Nominal interval level in percent.
    evaluation : str
        How the leaderboard was scored.
    checks : dict
        Model -> residual check summary (``white``, ``verdict``).
    default_models : frozenset of str
        Models of the default set (a default model losing to seasonal naive is named).
    notes : list of str, optional
        Caveats of the run (fewer backtest windows than asked, ...).

    Returns
    -------
    str
    """
    model = recommended.get("model")
    if model is None:
        return "Every model failed; see the leaderboard for the errors."
    rows = board.set_index("model")
    row = rows.loc[model]
    text = [f"Use {model}: {recommended.get('reason', '')}."]
    if model not in rows.index:
        return " ".join(text)
    sk = row.get("skill")
    if sk is not None and np.isfinite(sk):
        if sk > 0:
            text.append(f"That is {100 * sk:.0f}% lower MASE than seasonal naive.")
        else:
            text.append(
                f"It is no better than seasonal naive ({100 * -sk:.0f}% higher MASE): no model "
                "beat the simplest forecast here."
            )
    check = checks.get(model) or {}
    if check.get("white") is True:
        text.append("Its residuals look like white noise.")
    elif check.get("white") is False:
        text.append(f"Its residuals keep structure ({check.get('verdict', '')}).")
    cov = row.get("coverage")
    if cov is not None and np.isfinite(cov):
        scale = row.get("interval_scale")
        calibrated = (
            f"; the future intervals are rescaled ×{scale:.2f} to match"
            if scale is not None and np.isfinite(scale)
            else ""
        )
        text.append(
            f"Its {level:g}% intervals covered {100 * cov:.0f}% of the actuals in the "
            f"{evaluation}{calibrated}."
        )
    if recommended.get("per_series"):
        n = len(recommended["per_series"])
        text.append(f"For {n} series another model backtested best (see per-series).")
    losers = [
        str(m)
        for m, r in rows.iterrows()
        if m in default_models and m != "snaive" and np.isfinite(r.get("skill", np.nan))
        if r["skill"] < 0
    ]
    if losers:
        text.append(
            f"Worse than seasonal naive in the {evaluation}: {', '.join(losers)} — do not use "
            + ("it." if len(losers) == 1 else "them.")
        )
    failed = _failures(rows)
    if failed:
        text.append(f"Could not run: {'; '.join(failed)}.")
    text.extend(notes or [])
    return " ".join(t for t in text if t)


def _failures(rows: pd.DataFrame) -> list[str]:
    """``model (why)`` for every leaderboard row that carries an error."""
    if "error" not in rows.columns:
        return []
    out = []
    for model, error in rows["error"].items():
        if isinstance(error, str) and error:
            why = error.removeprefix(f"{model}: ").rstrip(".")
            out.append(f"{model} ({why})")
    return out
