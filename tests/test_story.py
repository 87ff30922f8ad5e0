"""Every sentence of a run's answer agrees with the numbers beside it.

:func:`contradictions` reads the per-series verdicts that :func:`forecast.run.story.tell` wrote
and checks each claim against the tables: the MASE, skill and coverage quoted, the Ljung-Box
p-value (the one rule of ``forecast/diagnostics/pvalues.py``, the leaderboard's cell), "white
noise" only without an ACF bar outside its band at a tested lag, "do not use" never for a member
of the series' recommendation, the scale-free summary. It runs over >= 200 generated results
(real residual checks of generated residuals, generated backtest scores) and over real runs of
the bundled samples; the expected number of contradictions is zero.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.diagnostics.pvalues import pvalue_text
from forecast.evaluation.residuals import combine_checks, residual_check
from forecast.ingest.reader import read_csv
from forecast.run.pipeline import run_forecast
from forecast.run.recommend import recommend
from forecast.run.story import series_scores, tell

DATA = Path(__file__).resolve().parents[1] / "data"
CANDIDATES = ["ets", "stheta", "arima", "pretrained"]
DEFAULTS = frozenset({"snaive", *CANDIDATES, "auto"})


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.)])\s+(?=[A-Z])", text) if s]


def contradictions(
    recommended: dict,
    verdict: str,
    table: pd.DataFrame,
    checks: dict,
    evidence: dict,
    intervals: dict,
) -> list[str]:
    """Every disagreement between the words and the numbers (empty: the story is consistent)."""
    found = []
    by = table.set_index(["model", "unique_id"]) if not table.empty else None
    members_of = evidence.get("members") or {}
    for uid, text in recommended["verdicts"].items():
        model = recommended["per_series"][uid]
        members = members_of.get(uid, []) if model == "auto" else [model]
        row = by.loc[(model, uid)] if by is not None and (model, uid) in by.index else None
        check = (checks.get(model) or {}).get("series", {}).get(uid)
        for s in _sentences(text):
            # the MASE quoted is the per-series table's cell
            quoted = re.search(r"MASE (\d+\.\d{3}) on this series", s)
            if quoted and (row is None or f"{row['mase']:.3f}" != quoted[1]):
                found.append(f"{uid}: MASE {quoted[1]} is not the table's")
            lower = re.search(r"That is (\d+)% lower MASE", s)
            if lower and (row is None or f"{100 * row['skill']:.0f}" != lower[1]):
                found.append(f"{uid}: skill {lower[1]}% is not the table's")
            # the p-value in a sentence is the check's p-value by the one rule
            p = re.search(r"Ljung-Box p ([=<]) ?([^\s)]+)", s) or re.search(
                r"residuals \(p ([=<]) ?([^\s)]+)", s
            )
            if p:
                cell = pvalue_text(check["pvalue"]) if check else None
                said = p[2] if p[1] == "=" else f"< {p[2]}"
                if said != cell:
                    found.append(f"{uid}: p {said} in the text, {cell} in the table")
            if "look like white noise" in s or "no autocorrelation left" in s:
                lb = max((r["lag"] for r in check["ljung_box"]), default=0) if check else 0
                bars = [k for k in (check or {}).get("significant_lags", []) if k <= lb]
                if not check or not check["white"] or bars:
                    found.append(f"{uid}: 'white noise' beside ACF bars outside at {bars}")
            if "no model beat the simplest forecast" in s and by is not None:
                here = table[table["unique_id"] == uid]
                if (here["skill"] > 0).any():
                    found.append(f"{uid}: 'no model beat seasonal naive' but one did")
            if "keep structure" in s and (not check or check["white"] is not False):
                found.append(f"{uid}: 'keep structure' but Ljung-Box finds none")
            cov = re.search(r"intervals covered (\d+)% of this series' actuals", s)
            if cov:
                cal = (intervals.get(model) or {}).get(uid) or {}
                ref = cal.get("coverage", row["coverage"] if row is not None else np.nan)
                if f"{100 * ref:.0f}" != cov[1]:
                    found.append(f"{uid}: coverage {cov[1]}% is not the table's {ref}")
            held = re.search(r"they covered (\d+)% on windows not fitted on", s)
            if held:
                ref = intervals[model][uid]["lowo_coverage"]
                if f"{100 * ref:.0f}" != held[1]:
                    found.append(f"{uid}: held-out coverage {held[1]}% is not {ref}")
            # a model called unusable is not a member of what is recommended for the series
            bad = re.search(r"Worse than seasonal naive on this series: (.+) — do not use", s)
            if bad:
                named = [m.strip() for m in bad[1].split(",")]
                if set(named) & set(members):
                    found.append(f"{uid}: 'do not use' {named} but members are {members}")
            kept = re.search(r"Alone, (.+) scored worse than seasonal naive", s)
            if kept and not (set(m.strip() for m in kept[1].split(",")) <= set(members)):
                found.append(f"{uid}: 'stays a member' but members are {members}")
        # every loser named, none missed
        if by is not None:
            here = table[(table["unique_id"] == uid) & table["model"].isin(DEFAULTS)]
            losers = set(here["model"][(here["skill"] < 0) & (here["model"] != "snaive")])
            losers.discard(model)
            for m in losers:
                if not re.search(rf"\b{re.escape(m)}\b[^.]*(do not use|scored worse)", text):
                    found.append(f"{uid}: {m} lost to seasonal naive but the text does not say")
    summary = recommended.get("summary") or {}
    if summary and by is not None:
        mases = [
            by.loc[(m, u), "mase"]
            for u, m in recommended["per_series"].items()
            if (m, u) in by.index and np.isfinite(by.loc[(m, u), "mase"])
        ]
        if mases and f"median MASE {np.median(mases):.3f}" not in summary["text"]:
            found.append("summary: median MASE is not the median of the series' MASE")
        if summary["text"] not in verdict:
            found.append("the verdict does not lead with the summary")
    if "MAE" in verdict or "RMSE" in verdict:
        found.append("a scale-dependent metric in the verdict")
    return found


# ---- generated results -------------------------------------------------------------------


def _residuals(draw, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(["white", "ar", "seasonal", "trend"]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    if kind == "ar":
        phi = draw(st.floats(-0.95, 0.95))
        for t in range(1, n):
            e[t] += phi * e[t - 1]
    elif kind == "seasonal":
        e += draw(st.floats(0.0, 5.0)) * np.sin(2 * np.pi * np.arange(n) / 12)
    elif kind == "trend":
        e += draw(st.floats(0.0, 0.2)) * np.arange(n)
    return e


@st.composite
def generated_result(draw):
    n_series = draw(st.integers(1, 6))
    uids = [f"series {k}" for k in range(n_series)]
    models = ["snaive", *draw(st.lists(st.sampled_from(CANDIDATES), unique=True, max_size=4))]
    with_auto = len(models) > 1 and draw(st.booleans())
    windows = draw(st.integers(1, 3))
    rows = []
    for model in models + (["auto"] if with_auto else []):
        for uid in uids:
            for w in range(windows):
                rows.append(
                    {
                        "window": w,
                        "model": model,
                        "unique_id": uid,
                        "mae": draw(st.floats(0.01, 1e6)),
                        "rmse": draw(st.floats(0.01, 1e6)),
                        "smape": draw(st.floats(0.0, 200.0)),
                        "mase": draw(st.floats(0.05, 3.0)),
                        "coverage": draw(st.sampled_from([0.0, 0.5, 0.8, 1.0, 2 / 3])),
                    }
                )
    scores = pd.DataFrame(rows)
    checks = {}
    for model in set(scores["model"]):
        per = {}
        for uid in uids:
            n = draw(st.integers(4, 200))
            per[uid] = residual_check(_residuals(draw, n), draw(st.sampled_from([1, 4, 12])))
        checks[model] = combine_checks(per)
    names = list(dict.fromkeys(scores["model"]))
    means = scores.groupby("model")["mase"].mean()
    board = pd.DataFrame(
        {
            "model": names,
            "mase": [means[m] for m in names],
            "error": [None] * len(names),
        }
    )
    board["rank"] = board["mase"].rank(method="first")
    board["skill"] = 1 - board["mase"] / means["snaive"]
    board = board.sort_values("rank").reset_index(drop=True)
    evidence = {}
    if with_auto:
        k = draw(st.integers(1, len(models) - 1))
        evidence = {
            "rule": "mean",
            "members": {u: draw(st.permutations(models[1:]))[:k] for u in uids},
        }
    intervals = {}
    for model in names:
        intervals[model] = {
            u: {
                "scale": draw(st.one_of(st.none(), st.floats(0.5, 3.0))),
                "coverage": draw(st.floats(0.0, 1.0)),
                "lowo_coverage": draw(st.floats(0.0, 1.0)),
                "why": draw(st.sampled_from(["", "fewer than 10 backtest errors (6)"])),
            }
            for u in uids
        }
    history = pd.DataFrame(
        {
            "unique_id": np.repeat(uids, 3),
            "y": draw(st.lists(st.floats(-1e6, 1e6), min_size=3 * n_series, max_size=3 * n_series)),
        }
    )
    return board, scores, checks, evidence, intervals, history


@settings(max_examples=220, deadline=None, suppress_health_check=list(HealthCheck))
@given(generated_result())
def test_generated_results_tell_no_contradiction(generated):
    board, scores, checks, evidence, intervals, history = generated
    rec = recommend(board, scores, "backtest of 3 windows", prefer="auto" if evidence else None)
    out, verdict = tell(
        board,
        scores,
        rec,
        checks=checks,
        level=80,
        evaluation="backtest of 3 windows",
        history=history,
        evidence=evidence,
        intervals=intervals,
        default_models=DEFAULTS,
    )
    uids = list(dict.fromkeys(history["unique_id"]))
    assert list(out["per_series"]) == uids  # every series, with its model and reason
    assert set(out["reasons"]) == set(out["verdicts"]) == set(uids)
    assert out["opening"] in uids
    assert contradictions(out, verdict, series_scores(scores), checks, evidence, intervals) == []


def test_the_checker_finds_a_planted_contradiction():
    # the test above could not fail if the checker never fired: plant each kind once
    table = pd.DataFrame(
        {
            "model": ["snaive", "ets"],
            "unique_id": ["a", "a"],
            "mase": [1.0, 0.5],
            "skill": [0.0, 0.5],
            "coverage": [0.8, 0.8],
        }
    )
    check = residual_check(np.random.default_rng(0).normal(size=100), 1).to_dict()
    checks = {"ets": {"series": {"a": check}}}
    rec = {
        "per_series": {"a": "ets"},
        "verdicts": {
            "a": "Use ets for 'a': MASE 0.400 on this series. Its residuals look like white "
            "noise (Ljung-Box p = 0.0). Worse than seasonal naive on this series: ets — do not "
            "use it."
        },
    }
    found = contradictions(rec, "", table, checks, {}, {})
    assert any("MASE 0.400" in f for f in found)
    assert any("p 0.0 in the text" in f for f in found)
    assert any("do not use" in f for f in found)


# ---- the bundled samples ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["air_passengers.csv", "us_macro_quarterly.csv", "sunspots_yearly.csv"]
)
def test_bundled_samples_tell_no_contradiction(name):
    df, _report = read_csv(DATA / name)
    result = run_forecast(df, horizon=4, models="snaive,ets,stheta,auto")
    steps = result.leaderboard
    assert result.recommended["per_series"].keys() == set(df["unique_id"].astype(str))
    found = contradictions(
        result.recommended,
        result.verdict,
        result.series_scores,
        result.residual_checks,
        result.auto,
        result.intervals,
    )
    assert found == []
    assert steps["ljung_box_pvalue"].notna().any()
    if df["unique_id"].nunique() > 1:
        assert steps["mae"].isna().all()  # never pooled across series
