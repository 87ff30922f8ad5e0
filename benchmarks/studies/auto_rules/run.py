"""How should ``auto`` combine, and which candidates? Every rule scored on the M3 tuning part.

Run:  nice -n 10 .venv/bin/python -m benchmarks.studies.auto_rules.run --part tune \\
          [--monthly 200 --quarterly 189] [--cache /tmp/rules] [--jobs 2]

The sample is the tuning part of the M3 half kept out of pretraining (``single_series.py
--part tune``: ``pretrained`` never saw these series; the report part is never scored here).
Each sampled series goes once through :func:`forecast.run.pipeline.run_forecast` with the
candidates (:data:`STAT`, then :data:`NEURAL` in a second run, each cached as CSV under
``--cache``) and the default backtest, which gives every candidate's backtest and future
forecasts. Every rule is then applied to those forecasts and scored on the official test set:
for every set of candidates, the best ``k`` per series by mean absolute backtest error,
combined by their mean, median, trimmed mean (the highest and lowest member dropped at each
step) or 1 / error weights. Rows also give each rule's MASE relative to AutoETS (``ets``) and to
the statsforecast combination (mean of Theta, AutoETS, AutoARIMA: here ``stheta``, ``ets``,
``arima``, the same statsforecast models), the ratios of the goals.
"""

from __future__ import annotations

import argparse
import itertools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.competition import SUBSET_FREQS as SUBSETS
from benchmarks.competition import held_out_part, load_m3, mase, sample, smape

#: Statistical candidates (one pipeline run per series); ``snaive`` is the reference.
STAT = ("snaive", "ets", "theta", "stheta", "dotheta", "ces", "arima")
#: The zero-shot pretrained network (a second run per series, cached apart).
NEURAL = ("pretrained",)
#: Aggregations of the chosen members.
AGGS = ("mean", "median", "trimmed", "inverse")
#: The statsforecast combination of ``single_series.py`` in our names (same models).
SF_COMBO = ("stheta", "ets", "arima")


def one_series(x: np.ndarray, h: int, freq: str, windows: int, models: tuple[str, ...]):
    """Backtest and future forecasts of the given models on one series."""
    from forecast.run.pipeline import run_forecast

    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("1950-01-01", periods=len(x), freq=freq), "y": x}
    )
    result = run_forecast(df, horizon=h, models=list(models), backtest_windows=windows)
    return result.backtest_forecasts, result.forecasts


def cached_runs(cache, group, models, subset, idx, train, h, freq, windows, jobs):
    """Every series' ``(backtest, future)`` for a group of models, from the cache or computed."""
    folder = Path(cache) / f"{subset}-{windows}" if cache else None
    todo = [
        i
        for i, k in enumerate(idx)
        if folder is None or not (folder / f"{k}-{group}-future.csv").exists()
    ]
    fresh = {}
    if todo:
        print(f"  {subset} {group}: running {len(todo)} series", flush=True)
        with ProcessPoolExecutor(jobs) as pool:
            runs = pool.map(
                one_series,
                [train[i] for i in todo],
                [h] * len(todo),
                [freq] * len(todo),
                [windows] * len(todo),
                [models] * len(todo),
                chunksize=4,
            )
            for i, run in zip(todo, runs, strict=True):
                fresh[i] = run
                if folder is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                    bt, fut = run
                    (bt if bt is not None else pd.DataFrame(columns=["window"])).to_csv(
                        folder / f"{idx[i]}-{group}-bt.csv", index=False
                    )
                    fut.to_csv(folder / f"{idx[i]}-{group}-future.csv", index=False)
    if folder is None:
        return [fresh[i] for i in range(len(idx))]
    outs = []
    for k in idx:
        bt = pd.read_csv(folder / f"{k}-{group}-bt.csv")
        outs.append((None if bt.empty else bt, pd.read_csv(folder / f"{k}-{group}-future.csv")))
    return outs


def to_arrays(runs, names, h):
    """``F`` (series, model, h) future forecasts and ``E`` (series, model) mean absolute
    backtest errors (NaN without a backtest), for the models in ``names`` order."""
    from forecast.run.combination import member_errors

    n = len(runs[0])
    F = np.full((n, len(names), h), np.nan)
    E = np.full((n, len(names)), np.nan)
    for group in runs:
        for i, (bt, fut) in enumerate(group):
            for j, name in enumerate(names):
                part = fut[fut["model"] == name]
                if len(part):
                    F[i, j] = part["yhat"].to_numpy(dtype=float)[:h]
            if bt is not None:
                err = member_errors(bt).set_index("model")["mae"]
                for j, name in enumerate(names):
                    if name in err.index:
                        E[i, j] = err[name]
    return F, E


def apply(F: np.ndarray, E: np.ndarray, cols: list[int], k: int, agg: str) -> np.ndarray:
    """The combination of the best ``k`` of ``cols`` per series (all of them without errors)."""
    f, e = F[:, cols], E[:, cols]
    no_bt = ~np.isfinite(e).any(axis=1)
    order = np.argsort(np.where(np.isfinite(e), e, np.inf), axis=1, kind="stable")[:, :k]
    g = np.take_along_axis(f, order[:, :, None], axis=1)  # (n, k, h)
    w_err = np.take_along_axis(e, order, axis=1)
    if agg == "mean":
        out = g.mean(axis=1)
    elif agg == "median":
        out = np.median(g, axis=1)
    elif agg == "trimmed":
        out = np.sort(g, axis=1)[:, 1:-1].mean(axis=1) if k >= 3 else g.mean(axis=1)
    else:
        w = 1.0 / np.maximum(w_err, 1e-12)
        out = (g * w[:, :, None]).sum(axis=1) / w.sum(axis=1)[:, None]
    out[no_bt] = f[no_bt].mean(axis=1)  # the pipeline's rule without a backtest
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--monthly", type=int, default=200)
    parser.add_argument("--quarterly", type=int, default=189)
    parser.add_argument("--part", choices=("tune",), default="tune")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-pretrained", action="store_true")
    parser.add_argument("--top", type=int, default=15, help="Best rules printed per subset.")
    parser.add_argument("--cache", default=None, help="Folder keeping the runs as CSV (reused).")
    args = parser.parse_args(argv)
    groups = {"stat": STAT} if args.no_pretrained else {"stat": STAT, "neural": NEURAL}
    names = [n for g in groups.values() for n in g]
    pool_names = [n for n in names if n != "snaive"]
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for subset, n in (("monthly", args.monthly), ("quarterly", args.quarterly)):
        if n <= 0:
            continue
        m, freq = SUBSETS[subset]
        train_all, test_all, h, ids = load_m3(subset)
        pool = held_out_part(subset, ids, args.part)
        idx = pool[sample(len(pool), n, args.seed)]
        train = [train_all[i] for i in idx]
        test = np.asarray([test_all[i][:h] for i in idx], dtype=float)
        runs = [
            cached_runs(args.cache, g, models, subset, idx, train, h, freq, args.windows, args.jobs)
            for g, models in groups.items()
        ]
        F, E = to_arrays(runs, names, h)
        col = {name: j for j, name in enumerate(names)}
        scores: dict[str, tuple[float, float]] = {}
        for name in names:
            scores[name] = (smape(test, F[:, col[name]]), mase(train, test, F[:, col[name]], m))
        combo = F[:, [col[c] for c in SF_COMBO]].mean(axis=1)
        scores["SF combo (stheta, ets, arima)"] = (smape(test, combo), mase(train, test, combo, m))
        for size in range(2, len(pool_names) + 1):
            for cands in itertools.combinations(pool_names, size):
                cols = [col[c] for c in cands]
                for k, agg in itertools.product(range(1, size + 1), AGGS):
                    if (agg in ("median", "trimmed") and k < 3) or (k == 1 and agg != "mean"):
                        continue
                    yhat = apply(F, E, cols, k, agg)
                    label = f"{'+'.join(cands)}: best {k} {agg}"
                    scores[label] = (smape(test, yhat), mase(train, test, yhat, m))
        results[subset] = scores
        ets, sf = scores["ets"][1], scores["SF combo (stheta, ets, arima)"][1]
        print(f"\n### M3 {subset}, tuning part: {len(idx)} series, h = {h}, {args.windows} windows")
        print(f"{len(scores)} rules; AutoETS MASE {ets:.3f}, SF combo {sf:.3f}\n")
        print("| rule | sMAPE | MASE | / ets | / SF combo |\n|---|---|---|---|---|")
        ranked = sorted(scores.items(), key=lambda kv: kv[1][1])
        show = ranked[: args.top] + [
            (k, scores[k]) for k in [*names, "SF combo (stheta, ets, arima)"]
        ]
        for label, (s, ms) in dict(show).items():
            print(f"| {label} | {s:.2f} | {ms:.3f} | {ms / ets:.3f} | {ms / sf:.3f} |")
    if len(results) == 2:
        # one rule for both frequencies: its worst ratio to a goal (<= 1: every goal met)
        sf = {s: r["SF combo (stheta, ets, arima)"][1] for s, r in results.items()}
        ets = {s: r["ets"][1] for s, r in results.items()}
        common = set.intersection(*(set(r) for r in results.values()))
        worst = {
            label: max(
                max(results[s][label][1] / sf[s] / 0.97, results[s][label][1] / ets[s] / 0.95)
                for s in results
            )
            for label in common
        }
        mean_sf = {
            label: float(np.mean([results[s][label][1] / sf[s] for s in results]))
            for label in common
        }
        print("\n### One rule for both frequencies\n")
        print("worst: max over subsets of MASE / (0.97 SF combo) and MASE / (0.95 ets) (<= 1")
        print("meets every goal); mean / SF: mean over subsets of MASE / SF combo MASE.\n")
        print("| rule | monthly MASE | quarterly MASE | worst | mean / SF |\n|---|---|---|---|---|")
        for order in (worst, mean_sf):
            for label, _ in sorted(order.items(), key=lambda kv: kv[1])[: args.top]:
                print(
                    f"| {label} | {results['monthly'][label][1]:.3f} | "
                    f"{results['quarterly'][label][1]:.3f} | {worst[label]:.3f} | "
                    f"{mean_sf[label]:.3f} |"
                )
            print("| | | | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
