"""How should ``auto`` combine? Every rule scored on the same M3 sample (tuning; M3 only).

Run:  nice -n 10 .venv/bin/python benchmarks/auto_rules.py [--monthly 100 --quarterly 100]

For each sampled series (the sample of ``single_series.py``: same seed, same series), one
:func:`forecast.pipeline.run_forecast` with the candidate models and the default backtest gives
every candidate's backtest and future forecasts; each rule (top ``k`` by backtest error,
combined by mean / median / inverse-error weights; over several candidate sets) is then applied
to those forecasts and scored on the official test set. Also scored: picking the single model
with the lowest backtest error, and the statsforecast combination of ``single_series.py``
(mean of Theta, AutoETS, AutoARIMA; here ours: theta, ets, arima).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))

from m3 import load_m3, mase, smape
from single_series import SUBSETS, sample

CANDIDATES = ("snaive", "ets", "theta", "ces", "arima", "mstl")


def one_series(x: np.ndarray, h: int, freq: str, windows: int):
    """Backtest and future forecasts of every candidate on one series."""
    from forecast.pipeline import run_forecast

    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("1950-01-01", periods=len(x), freq=freq), "y": x}
    )
    result = run_forecast(df, horizon=h, models=list(CANDIDATES), backtest_windows=windows)
    return result.backtest_forecasts, result.forecasts


def apply_rule(bt, future, candidates, k, rule) -> np.ndarray:
    from forecast.combination import choose_members, combine, member_errors

    fut = future[future["model"].isin(candidates)]
    if bt is None or bt.empty:
        members = {"s": [(c, 1.0) for c in candidates]}
        rule = "mean"
    else:
        members = choose_members(member_errors(bt), k, list(candidates))
    return combine(fut, members, rule)["yhat"].to_numpy()


def _cached_runs(args, subset, idx, train, h, freq):
    """The runs of every series, read from ``--cache`` when there, else computed (and kept)."""
    from pathlib import Path

    folder = Path(args.cache) / f"{subset}-{args.windows}" if args.cache else None
    todo = [
        i for i, k in enumerate(idx) if folder is None or not (folder / f"{k}-future.csv").exists()
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = pool.map(
            one_series,
            [train[i] for i in todo],
            [h] * len(todo),
            [freq] * len(todo),
            [args.windows] * len(todo),
        )
        fresh = dict(zip(todo, runs, strict=True))
    if folder is None:
        return [fresh[i] for i in range(len(idx))]
    folder.mkdir(parents=True, exist_ok=True)
    for i, (bt, fut) in fresh.items():
        (bt if bt is not None else pd.DataFrame(columns=["window"])).to_csv(
            folder / f"{idx[i]}-bt.csv", index=False
        )
        fut.to_csv(folder / f"{idx[i]}-future.csv", index=False)
    outs = []
    for k in idx:
        bt = pd.read_csv(folder / f"{k}-bt.csv")
        outs.append((None if bt.empty else bt, pd.read_csv(folder / f"{k}-future.csv")))
    return outs


def winner_fc(bt, future, candidates) -> np.ndarray:
    """The forecast of the model with the lowest backtest error (``auto`` included, with its
    honest nested backtest): what recommending the backtest winner would have given."""
    from forecast.combination import auto_backtest, choose_members, combine, member_errors

    fut = future[future["model"].isin([*candidates, "snaive"])]
    if bt is None or bt.empty:
        members = {str(fut["unique_id"].iloc[0]): [(c, 1.0) for c in candidates]}
        return combine(fut, members, "mean")["yhat"].to_numpy()
    bt = bt[bt["model"].isin([*candidates, "snaive"])]
    members = choose_members(member_errors(bt), len(candidates), list(candidates))
    auto = combine(fut, members, "mean").assign(model="auto")
    both = pd.concat([bt, auto_backtest(bt, list(candidates), len(candidates), "mean")])
    best = member_errors(both).set_index("model")["mae"].idxmin()
    every = pd.concat([fut, auto])
    return every[every["model"] == best]["yhat"].to_numpy()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--monthly", type=int, default=40)
    parser.add_argument("--quarterly", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", default=None, help="Folder keeping the runs as CSV (reused).")
    args = parser.parse_args(argv)
    sets = {
        "stat4 (ets, theta, ces, arima)": ("ets", "theta", "ces", "arima"),
        "stat3 (ets, theta, arima)": ("ets", "theta", "arima"),
        "stat4 + snaive": ("snaive", "ets", "theta", "ces", "arima"),
        "stat5 (+ mstl)": ("ets", "theta", "ces", "arima", "mstl"),
        "all 6": CANDIDATES,
    }
    for subset, n in (("monthly", args.monthly), ("quarterly", args.quarterly)):
        if n <= 0:
            continue
        m, freq = SUBSETS[subset]
        train_all, test_all, h, _ = load_m3(subset)
        idx = sample(len(train_all), n, args.seed)
        train = [train_all[i] for i in idx]
        test = np.asarray([test_all[i][:h] for i in idx], dtype=float)
        outs = _cached_runs(args, subset, idx, train, h, freq)
        rows = []

        def score(label, yhat, rows=rows, train=train, test=test, m=m):
            rows.append((label, smape(test, yhat), mase(train, test, yhat, m)))

        for name in CANDIDATES:
            score(name, np.asarray([f[f["model"] == name]["yhat"].to_numpy() for _, f in outs]))
        for set_name, cands in sets.items():
            for k, rule in itertools.product((1, 2, 3, len(cands)), ("mean", "median", "inverse")):
                if k > len(cands) or (k <= 2 and rule == "median"):
                    continue
                yhat = np.asarray([apply_rule(b, f, cands, k, rule) for b, f in outs])
                score(f"{set_name}: top {k} {rule}", yhat)
        stat4 = ("ets", "theta", "ces", "arima")
        yhat = np.asarray([winner_fc(b, f, stat4) for b, f in outs])
        score("recommend the backtest winner (stat4 + snaive + auto)", yhat)
        print(f"\n### M3 {subset}: {len(idx)} series, h = {h}, {args.windows} windows\n")
        print("| rule | sMAPE | MASE |\n|---|---|---|")
        for label, s, ms in sorted(rows, key=lambda r: r[2]):
            print(f"| {label} | {s:.2f} | {ms:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
