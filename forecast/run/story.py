"""The answer of a run in words, per series, built from the numbers the tables and charts show.

One function, :func:`tell`, writes every sentence of the recommendation and the verdict from a
run's scored pieces (leaderboard, per-series scores, residual checks, ``auto``'s evidence,
per-series interval calibration). Nothing in a sentence is computed anywhere else, so a number
in the text is the number in the table: the same cell, written by the same rule (p-values by
:func:`forecast.diagnostics.pvalues.pvalue_text`, shares as whole percentages, MASE to three
decimals).

Per series first. A series' answer names its model, that model's MASE and skill against
seasonal naive *on that series*, its residual check *on that series* and the coverage of its
intervals *on that series*. The line across series is scale-free only: how many series each
model wins, the median skill and the median MASE of the recommended model. MAE and RMSE are in
each series' own units and are never averaged across series.

Invariants (asserted over generated results by ``tests/test_story.py``):

- a p-value in a sentence is ``pvalue_text`` of the check's ``pvalue``, the leaderboard cell;
- "look like white noise" / "no autocorrelation left" only where Ljung-Box finds none *and* no
  residual ACF bar leaves its band at a lag up to the largest tested one;
- a model told "do not use" is never a member of the series' recommendation; a losing member
  of ``auto`` is named with the reason it stays;
- the share quoted for intervals is the leaderboard's (or the series') coverage cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.diagnostics.pvalues import pvalue_text
from forecast.ingest.series_names import series_name

__all__ = ["opening_series", "series_scores", "tell"]

#: The combination's name (kept here as a string: story sits beside, not above, combination).
_AUTO = "auto"
#: The reference of skill.
_REFERENCE = "snaive"


def _finite(x) -> bool:
    try:
        return x is not None and bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def _pct(x: float) -> str:
    return f"{100 * float(x):.0f}%"


def _signed_pct(x: float) -> str:
    return f"{100 * float(x):+.0f}%"


def series_scores(scores: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (model, series): the mean over windows of the run's evaluation, plus skill.

    Parameters
    ----------
    scores : DataFrame or None
        Per (window,) model, series scores (``model, unique_id, mase, smape, mae, rmse,
        coverage, ...``; holdout scores have no ``window``).

    Returns
    -------
    DataFrame
        ``model, unique_id, mae, rmse, smape, mase, coverage, skill`` (``skill`` is
        ``1 - mase / mase of seasonal naive on the same series``; NaN without it). Empty when
        nothing was scored.
    """
    cols = ["model", "unique_id", "mae", "rmse", "smape", "mase", "coverage", "skill"]
    if scores is None or scores.empty:
        return pd.DataFrame(columns=cols)
    metric = [c for c in ("mae", "rmse", "smape", "mase", "coverage") if c in scores.columns]
    frame = scores.assign(unique_id=scores["unique_id"].astype(str))
    out = frame.groupby(["model", "unique_id"], sort=False)[metric].mean().reset_index()
    ref = out[out["model"] == _REFERENCE].set_index("unique_id")["mase"]
    base = out["unique_id"].map(ref).astype(float)
    out["skill"] = np.where((base > 0) & np.isfinite(base), 1.0 - out["mase"] / base, np.nan)
    for c in cols:
        if c not in out:
            out[c] = np.nan
    return out[cols]


def opening_series(history: pd.DataFrame) -> str | None:
    """The series a reader most likely cares about: the largest (mean ``|y|``), first on ties.

    On a wide file of a target beside its drivers (demand, temperature, a 0/1 flag) that is the
    target; on a long file of parts and totals, the total.

    Parameters
    ----------
    history : DataFrame
        Long frame ``unique_id, y``.

    Returns
    -------
    str or None
        None for an empty frame.
    """
    if history is None or history.empty:
        return None
    size = history.assign(a=history["y"].abs()).groupby("unique_id", sort=False)["a"].mean()
    size = size.fillna(-np.inf)
    return str(size.idxmax())


def _white_sentence(check: Mapping | None, who: str) -> tuple[str, str]:
    """``(sentence, kind)``: the residual reading of one series' check; kind is ``white``,
    ``banded`` (Ljung-Box finds nothing, an ACF bar leaves its band at a tested lag), ``structure``
    or ``untested``."""
    if not check or check.get("white") is None:
        return "", "untested"
    p = pvalue_text(check.get("pvalue"))
    quoted = p if p.startswith("<") else f"= {p}"
    if check.get("white") is False:
        return f"{who} residuals keep structure ({check.get('verdict', '')}).", "structure"
    table = check.get("ljung_box") or []
    top = max((int(r["lag"]) for r in table), default=0)
    outside = check.get("outside_lags")
    if outside is None:  # a check written before outside_lags existed
        outside = [k for k in check.get("significant_lags") or [] if k <= top]
    if outside:
        where = ("lag " if len(outside) == 1 else "lags ") + ", ".join(map(str, outside[:6]))
        return (
            f"Ljung-Box finds no autocorrelation in {who.lower()} residuals (p {quoted}), but "
            f"their ACF leaves its band at {where}.",
            "banded",
        )
    return f"{who} residuals look like white noise (Ljung-Box p {quoted}).", "white"


def _series_check(checks: Mapping, model: str, uid: str) -> dict | None:
    check = checks.get(model) or {}
    per = check.get("series") or {}
    if uid in per:
        return per[uid]
    return check if check.get("n_series", 1) == 1 and "series" not in check else None


def _series_answer(
    uid: str,
    model: str,
    table: pd.DataFrame,
    *,
    checks: Mapping,
    members: list[str],
    detail: str | None,
    evaluation: str,
    level: float,
    intervals: Mapping | None,
    default_models: frozenset[str],
    ran: set,
    rule: str = "mean",
    label: str | None = None,
) -> dict:
    """Model, reason and verdict of one series."""
    rows = table[(table["unique_id"] == uid) & table["model"].isin(ran)].set_index("model")
    have = rows.index.intersection([m for m in rows.index if _finite(rows.loc[m, "mase"])])
    ranked = rows.loc[have].sort_values("mase") if len(have) else rows.iloc[0:0]
    parts: list[str] = []
    if model == _AUTO and members:
        parts.append(detail or f"mean of {' + '.join(members)}")
    if model in ranked.index:
        rank = int(list(ranked.index).index(model)) + 1
        parts.append(
            f"MASE {rows.loc[model, 'mase']:.3f} on this series in the {evaluation} (rank {rank} "
            f"of {len(ranked)})"
        )
        top = str(ranked.index[0])
        if top != model:
            why = (
                "but picking one model by a few backtest origins was less accurate than the "
                "combination on M3"
                if model == _AUTO
                else "but it scored best over all series"
            )
            parts.append(f"{top} scored lower ({ranked.loc[top, 'mase']:.3f}), {why}")
    elif not len(ranked):
        parts.append("nothing could be scored on this series")
    reason = "; ".join(parts)
    name = series_name(uid, {str(uid): label} if label else None)
    text = [f"Use {model} for '{name}': {reason}." if reason else f"Use {model} for '{name}'."]
    sk = rows.loc[model, "skill"] if model in rows.index else np.nan
    if _finite(sk):
        if sk > 0:
            text.append(f"That is {_pct(sk)} lower MASE than seasonal naive on this series.")
        else:
            beat = [
                str(m)
                for m in rows.index
                if m != model and _finite(rows.loc[m, "skill"]) and rows.loc[m, "skill"] > 0
            ]
            text.append(
                f"It is no better than seasonal naive here ({_pct(-sk)} higher MASE)"
                + (
                    ": no model beat the simplest forecast on this series."
                    if not beat
                    else f"; {', '.join(beat)} did on this series."
                )
            )
    sentence, kind = _white_sentence(_series_check(checks, model, uid), "Its")
    if sentence:
        text.append(sentence)
    cal = (intervals or {}).get(model, {}).get(uid) or {}
    cov = cal.get("coverage", rows.loc[model, "coverage"] if model in rows.index else np.nan)
    if _finite(cov):
        said = f"Its {level:g}% intervals covered {_pct(cov)} of this series' actuals in the {evaluation}"
        scale = cal.get("scale")
        if _finite(scale) and not np.isclose(float(scale), 1.0):
            said += f"; its future intervals are rescaled ×{float(scale):.2f}"
            held = cal.get("lowo_coverage")
            if _finite(held):
                said += f" (rescaled, they covered {_pct(held)} on windows not fitted on)"
            if cal.get("why"):
                said += f"; {cal['why']}"
        elif cal.get("why"):
            said += f"; its future intervals are left as the model made them ({cal['why']})"
        text.append(said + ".")
    losers = [
        str(m)
        for m in rows.index
        if m in default_models and m not in (_REFERENCE, model) and _finite(rows.loc[m, "skill"])
        if rows.loc[m, "skill"] < 0
    ]
    dropped = [m for m in losers if m not in members]
    kept = [m for m in losers if m in members]
    if dropped:
        text.append(
            f"Worse than seasonal naive on this series: {', '.join(dropped)} — do not use "
            + ("it." if len(dropped) == 1 else "them.")
        )
    if kept:
        text.append(
            f"Alone, {', '.join(kept)} scored worse than seasonal naive on this series, yet "
            + ("stays a member" if len(kept) == 1 else "stay members")
            + f" of {model}: "
            + (
                f"its members are the best {len(members)} candidates by backtest error, and "
                f"their {rule} beat picking single models on M3."
                if len(members) > 1
                else "its one member is the candidate with the lowest backtest error."
            )
        )
    return {
        "model": model,
        "reason": reason,
        "verdict": " ".join(text),
        "mase": float(rows.loc[model, "mase"]) if model in rows.index else None,
        "skill": float(sk) if _finite(sk) else None,
        "best": str(ranked.index[0]) if len(ranked) else None,
        "residuals": kind,
    }


def _summary(answers: dict[str, dict], level: float) -> dict:
    """The scale-free line across series."""
    wins = Counter(a["best"] for a in answers.values() if a.get("best"))
    chosen = Counter(a["model"] for a in answers.values())
    skills = [a["skill"] for a in answers.values() if a.get("skill") is not None]
    mases = [a["mase"] for a in answers.values() if a.get("mase") is not None]
    out = {
        "n_series": len(answers),
        "recommended": dict(chosen.most_common()),
        "wins": dict(wins.most_common()),
        "median_skill": float(np.median(skills)) if skills else None,
        "median_mase": float(np.median(mases)) if mases else None,
    }
    use = (
        f"{next(iter(chosen))} for every series"
        if len(chosen) == 1
        else ", ".join(f"{m} for {n}" for m, n in chosen.most_common())
    )
    text = [f"Across {len(answers)} series: use {use}."]
    if wins:
        text.append(
            "Backtest winners by series: " + ", ".join(f"{m} {n}" for m, n in wins.most_common())
        )
    if skills or mases:
        bits = []
        if skills:
            bits.append(f"median skill vs seasonal naive {_signed_pct(out['median_skill'])}")
        if mases:
            bits.append(f"median MASE {out['median_mase']:.3f}")
        text[-1] = text[-1] + ("; " if wins else "") + ", ".join(bits)
    out["text"] = " ".join(t if t.endswith(".") else t + "." for t in text)
    return out


def _failures(board: pd.DataFrame) -> list[str]:
    if "error" not in board.columns:
        return []
    out = []
    for model, error in zip(board["model"], board["error"], strict=True):
        if isinstance(error, str) and error:
            out.append(f"{model} ({error.removeprefix(f'{model}: ').rstrip('.')})")
    return out


def tell(
    board: pd.DataFrame,
    scores: pd.DataFrame | None,
    recommended: dict,
    *,
    checks: Mapping,
    level: float,
    evaluation: str,
    history: pd.DataFrame,
    evidence: Mapping | None = None,
    intervals: Mapping | None = None,
    default_models: frozenset[str] = frozenset(),
    notes: list[str] | None = None,
) -> tuple[dict, str]:
    """The recommendation per series and the verdict, every sentence from the given numbers.

    Parameters
    ----------
    board : DataFrame
        The leaderboard (``model, mase, skill, coverage, error, rank``...).
    scores : DataFrame or None
        Per (window,) model, series scores of the run's evaluation, seasonal naive included
        (the reference of skill) even when it is not a model of the run.
    recommended : dict
        The overall pick, ``{"model", "reason"}`` (:func:`forecast.run.recommend.recommend`).
    checks : mapping
        Model -> residual summary with ``series`` (uid -> that series' check).
    level : float
        Nominal interval level in percent.
    evaluation : str
        How the run was scored (``"backtest of 3 windows"``).
    history : DataFrame
        The training frame (its series, in order, and their sizes for the opening series).
    evidence : mapping, optional
        ``auto``'s evidence (``members``: uid -> members, ``rule``).
    intervals : mapping, optional
        Model -> uid -> ``{"scale", "coverage", "lowo_coverage", "why"}``, the per-series
        interval calibration (:func:`forecast.evaluation.calibration.calibrate_per_series`).
    default_models : frozenset of str
        Models of the default set (one losing to seasonal naive on a series is named).
    notes : list of str, optional
        Caveats of the run, appended to the verdict.

    Returns
    -------
    (dict, str)
        The recommendation — the given ``model`` and ``reason``, plus ``per_series`` (every
        series -> its model), ``reasons`` (series -> the reason in words), ``verdicts``
        (series -> its paragraph), ``summary`` (scale-free line across series: ``wins``,
        ``median_skill``, ``median_mase``, ``text``), ``opening`` (the series shown first) and,
        when the file labels its series (``history.attrs["labels"]``), ``labels`` —
        and the verdict: for one series its paragraph, for several the summary line then the
        opening series' paragraph; failures and notes last.
    """
    model = recommended.get("model")
    out = dict(recommended)
    uids = [str(u) for u in pd.unique(history["unique_id"])] if not history.empty else []
    if model is None:
        out.update(per_series={}, reasons={}, verdicts={}, summary={}, opening=None)
        return out, "Every model failed; see the leaderboard for the errors."
    table = series_scores(scores)
    labels = dict(history.attrs.get("labels") or {})
    members_of = (evidence or {}).get("members") or {}
    rule = (evidence or {}).get("rule", "mean")
    ok = set(board["model"][board["error"].isna()]) if "error" in board else set(board["model"])
    answers = {}
    for uid in uids:
        pick = model
        if model != _AUTO:
            rows = table[(table["unique_id"] == uid) & table["model"].isin(ok)]
            rows = rows[np.isfinite(rows["mase"].astype(float))]
            if not rows.empty:
                pick = str(rows.sort_values("mase", kind="stable")["model"].iloc[0])
        members = list(members_of.get(uid, [])) if pick == _AUTO else [pick]
        detail = f"{rule} of {' + '.join(members)}" if pick == _AUTO and members else None
        answers[uid] = _series_answer(
            uid,
            pick,
            table,
            checks=checks,
            members=members,
            detail=detail,
            evaluation=evaluation,
            level=level,
            intervals=intervals,
            default_models=default_models,
            rule=rule,
            ran=set(board["model"]),
            label=labels.get(uid),
        )
    opening = opening_series(history)
    out.update(
        per_series={uid: a["model"] for uid, a in answers.items()},
        reasons={uid: a["reason"] for uid, a in answers.items()},
        verdicts={uid: a["verdict"] for uid, a in answers.items()},
        summary=_summary(answers, level) if len(answers) > 1 else {},
        opening=opening,
    )
    if labels:
        out["labels"] = {uid: labels[uid] for uid in uids if uid in labels}
    text: list[str] = []
    if len(answers) == 1:
        text.append(answers[uids[0]]["verdict"])
    elif answers:
        text.append(out["summary"]["text"])
        text.append(answers[opening]["verdict"])
    failed = _failures(board)
    if failed:
        text.append(f"Could not run: {'; '.join(failed)}.")
    text.extend(notes or [])
    return out, " ".join(t for t in text if t)
