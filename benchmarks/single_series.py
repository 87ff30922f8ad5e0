"""The user's flow, measured: each series its own CSV through ``forecast run FILE --horizon H``.

Run:  make install-bench && nice -n 10 .venv/bin/python benchmarks/single_series.py \
          [--monthly 200 --quarterly 189] [--part tune|report] [--jobs 2] [--models ...] \
          [--dataset m1|tourism]

For a fixed, seeded sample of series (M3 monthly and quarterly by default; M1 and Tourism are
blind checks, never tuned on), every series is written to its own CSV (``ds, y``) and run
through the CLI with its defaults, one process per file (``--jobs`` files at a time). The
future forecasts in ``forecasts.csv`` are scored against the official test set, per model and
for the job's ``"recommended"`` forecast. statsforecast's SeasonalNaive, Theta, AutoETS,
AutoARIMA and the equal-weight mean of Theta, AutoETS and AutoARIMA run on the same series in
this process. Metrics as in ``benchmarks/m3.py`` (sMAPE 0-200; MASE with the in-sample
seasonal-naive scale, m = 12 monthly, 4 quarterly). ``seconds`` is wall time per file (ours,
including the process start) or per series (peers, one thread).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from competition import PART_SEED, SUBSET_FREQS, held_out_part, load_m3, mase, sample, smape

__all__ = ["PART_SEED", "SUBSETS", "held_out_part", "main", "sample"]

#: Subset -> (season length, pandas frequency of the written dates).
SUBSETS = SUBSET_FREQS
#: Models whose interval coverage ``--coverage`` reports.
COVERAGE_MODELS = ("auto", "ets", "arima", "snaive")
#: The CLI of the worktree this script lives in.
FORECAST = str(Path(sys.executable).with_name("forecast"))


def write_csv(path: Path, x: np.ndarray, freq: str) -> None:
    """One series as a wide CSV ``ds, y`` with dates of the subset's frequency."""
    ds = pd.date_range("1950-01-01", periods=len(x), freq=freq)
    pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "y": x}).to_csv(path, index=False)


def run_file(path: Path, h: int, extra: list[str]) -> dict:
    """``forecast run`` on one file; its future forecasts per model, the recommendation, time."""
    out = path.with_suffix("")
    cmd = [FORECAST, "run", str(path), "--horizon", str(h), "--out", str(out), "--json", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip()[-300:], "seconds": seconds}
    info = json.loads(proc.stdout)
    fc = pd.read_csv(out / "forecasts.csv")
    yhat = {
        str(model): part["yhat"].to_numpy(dtype=float)[:h]
        for model, part in fc.groupby("model", sort=False)
    }
    rec = info.get("recommended") or {}
    return {
        "yhat": yhat,
        "intervals": _intervals(fc, out, info, h),
        "recommended": rec.get("model"),
        "seconds": seconds,
    }


def _intervals(fc: pd.DataFrame, out: Path, info: dict, h: int) -> dict:
    """Per model, the future ``(lo, hi)`` as the job wrote them (``"now"``) and, for the models
    whose intervals were rescaled, as the earlier rule would have made them (``"before"``: one
    conformal factor on >= 5 backtest errors, unbounded): the written interval is unscaled by
    the job's factor and rescaled by the earlier one, so both stand on the same forecasts."""
    from forecast.evaluation.calibration import apply_scale, interval_scale

    bt = pd.read_csv(out / "backtest.csv")
    scale = {row["model"]: row.get("interval_scale") for row in info.get("leaderboard") or []}
    level = float(info.get("level") or 80)
    result = {}
    for model, part in fc.groupby("model", sort=False):
        part = part.iloc[:h]
        now = (part["lo"].to_numpy(float), part["hi"].to_numpy(float))
        entry = {"now": now}
        used = scale.get(model)
        if model in COVERAGE_MODELS:
            ok = used is not None and np.isfinite(used) and used > 0
            raw = apply_scale(part, 1.0 / used) if ok else part
            earlier = interval_scale(bt[bt["model"] == model], level)
            before = apply_scale(raw, earlier) if earlier is not None else raw
            entry["before"] = (before["lo"].to_numpy(float), before["hi"].to_numpy(float))
        result[str(model)] = entry
    return result


def coverage_rows(test, ours: list[dict], models: tuple[str, ...]) -> list[dict]:
    """Share of the future test values inside the written 80 % intervals, per model: the job's
    rule beside the earlier one on the same forecasts."""
    rows = []
    for model in models:
        for rule in ("before", "now"):
            hits, total = 0, 0
            for y, r in zip(test, ours, strict=True):
                lohi = (r.get("intervals") or {}).get(model, {}).get(rule)
                if lohi is None:
                    continue
                lo, hi = lohi
                ok = np.isfinite(lo) & np.isfinite(hi)
                hits += int(((y >= lo) & (y <= hi))[ok].sum())
                total += int(ok.sum())
            if total:
                rows.append({"model": model, "rule": rule, "coverage": hits / total, "n": total})
    return rows


def run_ours(train, h: int, freq: str, folder: Path, jobs: int, extra: list[str]) -> list[dict]:
    """Every series through the CLI, ``jobs`` processes at a time."""
    paths = []
    for i, x in enumerate(train):
        path = folder / f"s{i:04d}.csv"
        write_csv(path, x, freq)
        paths.append(path)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda p: run_file(p, h, extra), paths))


def run_peers(train, h: int, m: int, freq: str) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """statsforecast's peers on the same series (one thread): forecasts and seconds per series."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive, Theta

    df = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": f"s{i:04d}",
                    "ds": pd.date_range("1950-01-01", periods=len(x), freq=freq),
                    "y": x,
                }
            )
            for i, x in enumerate(train)
        ],
        ignore_index=True,
    )
    models = {
        "SeasonalNaive": SeasonalNaive(season_length=m),
        "Theta": Theta(season_length=m),
        "AutoETS": AutoETS(season_length=m),
        "AutoARIMA": AutoARIMA(season_length=m),
    }
    out, seconds = {}, {}
    for name, model in models.items():
        start = time.perf_counter()
        fc = StatsForecast(models=[model], freq=freq, n_jobs=1).forecast(df=df, h=h)
        seconds[name] = (time.perf_counter() - start) / len(train)
        col = next(c for c in fc.columns if c not in ("unique_id", "ds"))
        out[name] = fc.sort_values(["unique_id", "ds"])[col].to_numpy().reshape(len(train), h)
    out["SF combo (Theta, ETS, ARIMA)"] = np.mean(
        [out["Theta"], out["AutoETS"], out["AutoARIMA"]], axis=0
    )
    seconds["SF combo (Theta, ETS, ARIMA)"] = sum(
        seconds[k] for k in ("Theta", "AutoETS", "AutoARIMA")
    )
    return out, seconds


def table_rows(train, test, m: int, ours: list[dict], peers, peer_seconds) -> list[dict]:
    """Mean sMAPE / MASE per method over the series every method forecast."""
    ok = [i for i, r in enumerate(ours) if "yhat" in r]
    train_ok = [train[i] for i in ok]
    y = np.asarray([test[i] for i in ok])
    rows = []
    names = list(dict.fromkeys(name for i in ok for name in ours[i]["yhat"]))
    seconds = float(np.mean([r["seconds"] for r in ours]))
    for name in names:
        have = [i for i in ok if name in ours[i]["yhat"]]
        if len(have) < len(ok):
            rows.append({"method": f"forecast: {name}", "note": f"{len(ok) - len(have)} missing"})
            continue
        yhat = np.asarray([ours[i]["yhat"][name] for i in ok])
        rows.append(
            {
                "method": f"forecast: {name}",
                "smape": smape(y, yhat),
                "mase": mase(train_ok, y, yhat, m),
                "seconds": seconds,
            }
        )
    rec = [ours[i]["recommended"] for i in ok]
    if all(r is not None and r in ours[i]["yhat"] for r, i in zip(rec, ok, strict=True)):
        yhat = np.asarray([ours[i]["yhat"][r] for r, i in zip(rec, ok, strict=True)])
        counts = pd.Series(rec).value_counts()
        rows.append(
            {
                "method": "forecast: recommended",
                "smape": smape(y, yhat),
                "mase": mase(train_ok, y, yhat, m),
                "seconds": seconds,
                "note": ", ".join(f"{k} {v}" for k, v in counts.items()),
            }
        )
    for name, fc in peers.items():
        yhat = fc[ok]
        rows.append(
            {
                "method": f"statsforecast {name}",
                "smape": smape(y, yhat),
                "mase": mase(train_ok, y, yhat, m),
                "seconds": peer_seconds[name],
            }
        )
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    """Markdown table of the rows, best MASE first."""
    print(f"\n### {title}\n")
    print("| method | mean sMAPE | mean MASE | seconds | note |")
    print("|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: r.get("mase", np.inf)):
        if "mase" not in row:
            print(f"| {row['method']} | - | - | - | {row.get('note', '')} |")
            continue
        print(
            f"| {row['method']} | {row['smape']:.2f} | {row['mase']:.3f} | "
            f"{row['seconds']:.2f} | {row.get('note', '')} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=("m3", "m1", "tourism"), default="m3")
    parser.add_argument("--monthly", type=int, default=40, help="Series sampled from monthly.")
    parser.add_argument("--quarterly", type=int, default=40, help="Series sampled from quarterly.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the sample.")
    parser.add_argument("--jobs", type=int, default=2, help="CLI processes at a time.")
    parser.add_argument("--models", default=None, help="Passed to forecast run --models.")
    parser.add_argument("--cli-args", default="", help="More options for forecast run.")
    parser.add_argument("--keep", default=None, help="Keep the files in this folder.")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="Sample only the M3 half kept out of pretraining (for runs with `pretrained`).",
    )
    parser.add_argument(
        "--part",
        choices=("tune", "report"),
        default=None,
        help="Sample only this part of the held-out half (implies --held-out): choose on "
        "`tune`, measure the chosen defaults once on `report`.",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="Also print the 80 %% intervals' coverage of the future test values, the job's "
        "rescaling beside the earlier one.",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="Skip statsforecast's peers (coverage runs)."
    )
    args = parser.parse_args(argv)
    extra = (["--models", args.models] if args.models else []) + args.cli_args.split()
    print(
        f"single-series benchmark: {args.dataset}, sample seed {args.seed}, "
        f"{args.jobs} files at a time, forecast run {' '.join(extra) or '(defaults)'}"
    )
    for subset, n in (("monthly", args.monthly), ("quarterly", args.quarterly)):
        if n <= 0:
            continue
        m, freq = SUBSETS[subset]
        train_all, test_all, h, _ids = load_m3(subset, args.dataset)
        pool = np.arange(len(train_all))
        if args.held_out or args.part:
            pool = held_out_part(subset, _ids, args.part)
        idx = pool[sample(len(pool), n, args.seed)]
        train = [train_all[i] for i in idx]
        test = [np.asarray(test_all[i][:h], dtype=float) for i in idx]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(args.keep) / subset if args.keep else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            ours = run_ours(train, h, freq, folder, args.jobs, extra)
            wall = time.perf_counter() - start
            peers, peer_seconds = ({}, {}) if args.no_peers else run_peers(train, h, m, freq)
        failed = [r["error"] for r in ours if "error" in r]
        for err in failed[:3]:
            print(f"  failed: {err}")
        rows = table_rows(train, test, m, ours, peers, peer_seconds)
        if args.coverage:
            ok = [i for i, r in enumerate(ours) if "yhat" in r]
            cov = coverage_rows([test[i] for i in ok], [ours[i] for i in ok], COVERAGE_MODELS)
            print(
                f"\n### {args.dataset} {subset}: 80 % interval coverage of the future test values\n"
            )
            print("| model | rule | coverage | test values |")
            print("|---|---|---|---|")
            for row in cov:
                label = {
                    "before": "one factor, >= 5 errors, unbounded",
                    "now": "per series, >= 10 errors, >= x0.5",
                }[row["rule"]]
                print(f"| {row['model']} | {label} | {100 * row['coverage']:.1f} % | {row['n']} |")
        print_table(
            f"{args.dataset} {subset}: {len(idx)} series, h = {h}, {len(failed)} failed, "
            f"{wall:.0f} s wall for our files",
            rows,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
